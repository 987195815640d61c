// Hand-written gradients (customGrad linear, embedding, tied head) against tfjs' own autograd of
// the plain ops, and against finite differences of the model loss.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { join } from 'node:path';
import { selectBackend, tf } from '../../backend/index';
import { loadModel } from '../../io/index';
import { applyLora, loraLayers, matMulLinear, shiftTargets } from '../../model/index';
import { centralDifference, fixtures, ids, input } from '../helpers';

before(async () => {
  await selectBackend('wasm');
});

function maxDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);
}

describe('matMulLinear gradients', () => {
  it('trainable kernel: dx and dk equal autograd of tf.matMul', () => {
    const x = tf.randomNormal([7, 5], 0, 1, 'float32', 1) as tf.Tensor2D;
    const k = tf.randomNormal([5, 3], 0, 1, 'float32', 2) as tf.Tensor2D;
    const w = tf.randomNormal([7, 3], 0, 1, 'float32', 3);
    const loss = (f: (a: tf.Tensor2D, b: tf.Tensor2D) => tf.Tensor) => (a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(f(a as tf.Tensor2D, b as tf.Tensor2D), w));
    const [dxOurs, dkOurs] = tf.grads(loss((a, b) => matMulLinear(a, b, true)))([x, k]);
    const [dxRef, dkRef] = tf.grads(loss((a, b) => tf.matMul(a, b)))([x, k]);
    assert.ok(maxDiff(dxOurs, dxRef) < 1e-5);
    assert.ok(maxDiff(dkOurs, dkRef) < 1e-5);
  });

  it('frozen kernel: dx equals autograd and the kernel gets no gradient', () => {
    const x = tf.randomNormal([4, 6], 0, 1, 'float32', 4) as tf.Tensor2D;
    const k = tf.variable(tf.randomNormal([6, 2], 0, 1, 'float32', 5), false);
    const [dxOurs] = tf.grads((a: tf.Tensor) => tf.sum(tf.square(matMulLinear(a as tf.Tensor2D, k as tf.Tensor2D, false))))([x]);
    const [dxRef] = tf.grads((a: tf.Tensor) => tf.sum(tf.square(tf.matMul(a as tf.Tensor2D, k as tf.Tensor2D))))([x]);
    assert.ok(maxDiff(dxOurs, dxRef) < 1e-5);
    k.dispose();
  });
});

describe('model gradients', () => {
  for (const name of ['llama-tiny', 'gpt2-tiny', 'qwen2-tiny', 'llama-tiny+lora']) {
    it(`${name}: analytic gradients match central finite differences`, () => {
      const model = loadModel(join(fixtures, name.replace('+lora', '')));
      if (name.endsWith('+lora')) {
        applyLora(model, { r: 4, alpha: 8, dropout: 0, targetModules: ['q_proj', 'down_proj'] });
        // Non-zero B so that A's gradient is not identically zero.
        for (const l of loraLayers(model).values()) l.loraB.assign(tf.randomNormal(l.loraB.shape, 0, 0.2, 'float32', 11));
      }
      const targets = shiftTargets(ids, undefined, 2, 6);
      const params = model.parameters();
      const { grads } = tf.variableGrads(() => model.loss(input, targets).loss, model.trainableVariables());
      // Probe one entry of a few tensors: embedding (gather + one-hot gradient, tied head), a
      // linear kernel (customGrad) and a norm weight (autograd).
      const probes = {
        'llama-tiny': ['model.embed_tokens.weight', 'model.layers.1.self_attn.q_proj.weight', 'model.layers.0.mlp.down_proj.weight', 'model.norm.weight', 'model.layers.0.input_layernorm.weight'],
        'gpt2-tiny': ['transformer.wte.weight', 'transformer.wpe.weight', 'transformer.h.0.attn.c_attn.weight', 'transformer.h.0.attn.c_attn.bias', 'transformer.h.1.ln_2.bias', 'transformer.h.0.ln_1.weight', 'transformer.ln_f.weight'],
        'qwen2-tiny': ['lm_head.weight', 'model.layers.0.self_attn.k_proj.bias', 'model.layers.1.self_attn.v_proj.weight'],
        'llama-tiny+lora': ['model.layers.0.self_attn.q_proj.lora_A.weight', 'model.layers.1.self_attn.q_proj.lora_B.weight', 'model.layers.1.mlp.down_proj.lora_A.weight'],
      }[name]!;
      for (const pname of probes) {
        const p = params.find((q) => q.name === pname)!;
        const g = grads[p.variable.name].dataSync();
        const { at, numeric } = centralDifference(p.variable, g, () => tf.tidy(() => model.loss(input, targets).loss.dataSync()[0]));
        assert.ok(Math.abs(numeric - g[at]) < 2e-3 + 0.02 * Math.abs(g[at]), `${pname}[${at}]: analytic ${g[at]} vs numeric ${numeric}`);
      }
      model.dispose();
    });
  }
});
