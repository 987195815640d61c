/**
 * Quantised base models: a model whose linears are NF4 / FP4 / int8 computes what the float32
 * model with the dequantised weights computes (forward and LoRA gradients), keeps only the packed
 * weights, and counts its parameters unchanged.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { selectBackend, tf } from '../../backend/index';
import { loadModel, readModelConfig, readModelWeights } from '../../io/index';
import { applyLora, buildModel, loraLayers, shiftTargets, transpose2d, type CausalLM, type HostTensor } from '../../model/index';
import { QuantizedLinear, quantizeBase, quantizeWeight, type QuantizeOptions } from '../../model/quantLinear';
import { dequantize4bit } from '../../model/nf4';
import { dequantizeInt8 } from '../../model/quantInt8';
import { fixtures, ids, input, logits, maxDiff } from '../helpers';


before(async () => {
  await selectBackend('wasm');
});

/** The base model's tensors with every decoder-block linear weight replaced by its quantise→dequantise round trip. */
function roundTripped(dir: string, opts: QuantizeOptions): Map<string, HostTensor> {
  const cfg = readModelConfig(dir);
  const tensors = new Map(readModelWeights(dir));
  const probe = loadModel(dir);
  for (const name of probe.linears.keys()) {
    if (name === 'lm_head') continue;
    const key = [`${name}.weight`, `${name.replace(/^transformer\./, '')}.weight`].find((k) => tensors.has(k))!;
    const t = tensors.get(key)!;
    // GPT-2's Conv1D is stored [in, out]; quantisation works on [out, in].
    const hf = cfg.family === 'gpt2' ? transpose2d(t) : t;
    const w = quantizeWeight(hf.data, hf.shape as [number, number], opts);
    const deq: HostTensor = { shape: hf.shape, data: w.bits === 4 ? dequantize4bit(w.q) : dequantizeInt8(w.q) };
    tensors.set(key, cfg.family === 'gpt2' ? transpose2d(deq) : deq);
  }
  probe.dispose();
  return tensors;
}

const cases: { name: string; dir: string; opts: QuantizeOptions }[] = [
  { name: 'llama NF4 + double quantisation', dir: 'llama-tiny', opts: { bits: 4, quantType: 'nf4', doubleQuant: true } },
  { name: 'llama FP4', dir: 'llama-tiny', opts: { bits: 4, quantType: 'fp4', doubleQuant: false } },
  { name: 'llama int8', dir: 'llama-tiny', opts: { bits: 8 } },
  { name: 'gpt2 NF4 (Conv1D weights, biases)', dir: 'gpt2-tiny', opts: { bits: 4, quantType: 'nf4', doubleQuant: true } },
  { name: 'qwen2 int8 (q/k/v biases)', dir: 'qwen2-tiny', opts: { bits: 8 } },
];

describe('quantised base model', () => {
  for (const c of cases) {
    it(`${c.name}: forward and LoRA gradients equal the float32 model with dequantised weights`, () => {
      const dir = join(fixtures, c.dir);
      const q = loadModel(dir);
      const before = q.parameterCounts();
      const report = quantizeBase(q, c.opts);
      // Every decoder linear is quantised; the LM head stays float32.
      const decoderLinears = [...q.linears.keys()].filter((n) => n !== 'lm_head' && !n.endsWith('.lm_head'));
      assert.deepEqual([...report.modules].sort(), decoderLinears.sort());
      assert.ok(report.modules.every((m) => q.linears.get(m) instanceof QuantizedLinear));
      assert.ok(!report.modules.includes('lm_head'));
      // The float32 kernels are gone from the parameter table, but still counted.
      assert.deepEqual(q.parameterCounts(), { total: before.total, trainable: 0 });
      assert.ok(q.parameters().every((p) => !report.modules.some((m) => p.name === `${m}.weight`)));

      const cfg = readModelConfig(dir);
      const dense = buildModel(cfg, roundTripped(dir, c.opts));
      assert.ok(maxDiff(logits(q), logits(dense)) < 2e-5, 'forward');

      // LoRA on top of each: the same gradients (the quantised layer's backward is dy @ deq(W)).
      const targets = cfg.family === 'gpt2' ? ['c_attn', 'c_fc'] : ['q_proj', 'down_proj'];
      for (const m of [q, dense]) {
        applyLora(m, { r: 2, alpha: 4, dropout: 0, targetModules: targets, seed: 5 });
        for (const l of loraLayers(m).values()) l.loraB.assign(tf.randomNormal(l.loraB.shape, 0, 0.2, 'float32', 3));
      }
      const grads = (m: CausalLM) => {
        const { value, grads: g } = tf.variableGrads(() => m.loss(input, shiftTargets(ids, undefined, 2, 6)).loss, m.trainableVariables());
        const out = m.parameters().filter((p) => p.variable.trainable).map((p) => g[p.variable.name].dataSync() as Float32Array);
        value.dispose();
        return out;
      };
      const gq = grads(q);
      const gd = grads(dense);
      assert.equal(gq.length, gd.length);
      for (let i = 0; i < gq.length; i++) assert.ok(maxDiff(gq[i], gd[i]) < 1e-5, `gradient ${i}`);
      q.dispose();
      dense.dispose();
    });
  }

  it('stores NF4 with double quantisation at 4 bits per weight plus the block constants, int8 at 8 plus a scale per row', () => {
    const model = loadModel(join(fixtures, 'llama-tiny'));
    const r4 = quantizeBase(model, { bits: 4, quantType: 'nf4', doubleQuant: true });
    // 14 linears, 2 × (1024 + 512 + 512 + 1024 + 3 × 2048) = 18,432 weights: 9,216 packed bytes +
    // 288 absmax codes + one absmax2 and offset per linear.
    assert.equal(r4.params, 18432);
    assert.equal(r4.bytes, 9216 + 288 + 14 * 8);
    assert.equal(r4.float32Bytes, 4 * 18432);
    model.dispose();
    const m8 = loadModel(join(fixtures, 'llama-tiny'));
    const r8 = quantizeBase(m8, { bits: 8 });
    // One byte per weight plus one float32 per output row.
    assert.equal(r8.bytes, 18432 + 4 * 2 * (32 + 16 + 16 + 32 + 64 + 64 + 32));
    m8.dispose();
  });

  it('refuses to quantise under an adapter, or twice', () => {
    const model = loadModel(join(fixtures, 'llama-tiny'));
    applyLora(model, { r: 2, alpha: 2, dropout: 0, targetModules: ['q_proj'] });
    assert.throws(() => quantizeBase(model, { bits: 8 }), /"model\.layers\.0\.self_attn\.q_proj" is wrapped by an adapter; quantise the base before applying adapters/);
    model.dispose();
    const twice = loadModel(join(fixtures, 'llama-tiny'));
    quantizeBase(twice, { bits: 8 });
    assert.throws(() => quantizeBase(twice, { bits: 8 }), /is already quantised/);
    twice.dispose();
  });
});
