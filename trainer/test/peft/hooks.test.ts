// Prefix tuning, prompt tuning and bottleneck adapters on the fixture models: gradients against
// finite differences, step-0 behaviour, the KV cache, packing, and save → load round trips.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { selectBackend, tf } from '../../backend/index';
import { generate } from '../../generate/index';
import { loadModel, readSafetensors } from '../../io/index';
import { insertVirtualTokens, shiftTargets, type CausalLM } from '../../model/index';
import { applyMethod, loadAdapterInto, type MethodChoice } from '../../peft/index';
import { centralDifference, fixtures, maxDiff } from '../helpers';

const temp = mkdtempSync(join(tmpdir(), 'tunelab-peft-'));

before(async () => {
  await selectBackend('wasm');
});
after(() => rmSync(temp, { recursive: true, force: true }));

const CHOICES: Record<string, MethodChoice> = {
  prefix: { method: 'prefix', settings: { virtualTokens: 3, projection: false, encoderHidden: null } },
  'prefix+projection': { method: 'prefix', settings: { virtualTokens: 3, projection: true, encoderHidden: 8 } },
  prompt: { method: 'prompt', settings: { virtualTokens: 4, init: 'RANDOM', initText: null } },
  houlsby: { method: 'bottleneck', settings: { size: 4, placement: 'houlsby', activation: 'swish' } },
  // A smooth nonlinearity: finite differences across relu's kink are not a derivative.
  pfeiffer: { method: 'bottleneck', settings: { size: 4, placement: 'pfeiffer', activation: 'tanh' } },
};

/** Moves every zero-initialised adapter tensor off zero, so every gradient is informative. */
function perturb(model: CausalLM, seed: number): void {
  for (const p of model.parameters()) if (p.kind === 'adapter') p.variable.assign(tf.add(p.variable, tf.randomNormal(p.variable.shape, 0, 0.05, 'float32', seed++)));
}

function logitsOf(model: CausalLM, ids: number[], extra: Partial<{ positionIds: Int32Array; segmentIds: Int32Array }> = {}): Float32Array {
  const l = model.logits({ batch: 1, seqLen: ids.length, inputIds: Int32Array.from(ids), ...extra });
  const out = l.dataSync() as Float32Array;
  l.dispose();
  return out;
}

describe('insertVirtualTokens', () => {
  it('puts P virtual slots before each packed record, shifts positions, fills short rows', () => {
    const input = { batch: 2, seqLen: 4, inputIds: Int32Array.from([5, 6, 7, 8, 9, 10, 11, 12]), positionIds: Int32Array.from([0, 1, 0, 1, 0, 1, 2, 3]), segmentIds: Int32Array.from([1, 1, 2, 2, 1, 1, 1, 1]) };
    const { input: out, rows } = insertVirtualTokens(input, 2);
    assert.equal(out.seqLen, 8);
    const F = -2147483647;
    assert.deepEqual([...out.inputIds], [0, 0, 5, 6, 0, 0, 7, 8, 0, 0, 9, 10, 11, 12, 0, 0]);
    assert.deepEqual([...out.positionIds!], [0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 4, 5, 0, 0]);
    assert.deepEqual([...out.segmentIds!], [1, 1, 1, 1, 2, 2, 2, 2, 1, 1, 1, 1, 1, 1, F, F]);
    assert.deepEqual([...out.virtualSlots!], [0, 1, -1, -1, 0, 1, -1, -1, 0, 1, -1, -1, -1, -1, -1, -1]);
    assert.deepEqual([...rows], [2, 3, 6, 7, 10, 11, 12, 13]);
  });
});

describe('adapters through ForwardHooks', () => {
  for (const fixture of ['llama-tiny', 'gpt2-tiny']) {
    for (const [name, choice] of Object.entries(CHOICES)) {
      it(`${fixture} ${name}: analytic gradients of the adapter match central finite differences`, () => {
        const model = loadModel(join(fixtures, fixture));
        applyMethod(model, choice, { seed: 5 });
        perturb(model, 21);
        const ids = Int32Array.from([3, 17, 5, 9, 22, 1, 30, 11, 4, 8, 2, 6]);
        const segs = Int32Array.from([1, 1, 1, 2, 2, 2, 1, 1, 1, 1, 1, 1]); // two packed records in row 0
        const pos = Int32Array.from([0, 1, 2, 0, 1, 2, 0, 1, 2, 3, 4, 5]);
        const input = { batch: 2, seqLen: 6, inputIds: ids, segmentIds: segs, positionIds: pos };
        const targets = shiftTargets(ids, segs, 2, 6);
        const vars = model.trainableVariables();
        assert.ok(vars.length > 0 && model.parameters().filter((p) => p.variable.trainable).every((p) => p.kind === 'adapter'), 'only adapter parameters train');
        const { grads } = tf.variableGrads(() => model.loss(input, targets).loss, vars);
        for (const p of model.parameters().filter((q) => q.variable.trainable).slice(0, 6)) {
          const g = grads[p.variable.name].dataSync();
          const { at, numeric } = centralDifference(p.variable, g, () => tf.tidy(() => model.loss(input, targets).loss.dataSync()[0]));
          assert.ok(Math.abs(g[at]) > 1e-6, `${p.name}: gradient is zero`);
          assert.ok(Math.abs(numeric - g[at]) < 2e-3 + 0.02 * Math.abs(g[at]), `${p.name}[${at}]: analytic ${g[at]} vs numeric ${numeric}`);
        }
        tf.dispose(Object.values(grads));
        model.dispose();
      });

      it(`${fixture} ${name}: greedy generation with the KV cache equals re-reading the sequence, and save → load gives the same logits`, () => {
        const model = loadModel(join(fixtures, fixture));
        const applied = applyMethod(model, choice, { seed: 9 });
        perturb(model, 33);
        const prompt = [5, 9, 13, 3, 7];
        const cached = generate(model, prompt, { maxNewTokens: 8 });
        const plain = generate(model, prompt, { maxNewTokens: 8, noCache: true });
        assert.deepEqual(cached, plain);
        const dir = join(temp, `${fixture}-${name}`);
        assert.deepEqual(applied.save(dir, { baseModel: fixture }), ['adapter_config.json', 'adapter_model.safetensors']);
        const want = logitsOf(model, prompt);
        const fresh = loadModel(join(fixtures, fixture));
        loadAdapterInto(fresh, dir);
        assert.equal(fresh.trainableVariables().length, 0);
        assert.ok(maxDiff(logitsOf(fresh, prompt), want) < 1e-4);
        assert.ok(maxDiff(logitsOf(loadModel(join(fixtures, fixture)), prompt), want) > 1e-3, 'the adapter changes the logits');
        model.dispose();
        fresh.dispose();
      });
    }
  }

  it('bottleneck adapters start as the identity (W_up = 0): step 0 is the base model', () => {
    const base = loadModel(join(fixtures, 'llama-tiny'));
    const want = logitsOf(base, [4, 8, 15, 16, 23]);
    applyMethod(base, CHOICES.houlsby!, { seed: 1 });
    assert.equal(maxDiff(logitsOf(base, [4, 8, 15, 16, 23]), want), 0);
    base.dispose();
  });

  it('prompt tuning: packed records give the logits each gets alone', () => {
    const model = loadModel(join(fixtures, 'llama-tiny'));
    applyMethod(model, CHOICES.prompt!, { seed: 2 });
    const a = [4, 8, 15];
    const b = [16, 23, 42, 7];
    const packed = logitsOf(model, [...a, ...b], { positionIds: Int32Array.from([0, 1, 2, 0, 1, 2, 3]), segmentIds: Int32Array.from([1, 1, 1, 2, 2, 2, 2]) });
    const alone = new Float32Array([...logitsOf(model, a), ...logitsOf(model, b)]);
    assert.ok(maxDiff(packed, alone) < 1e-4);
    model.dispose();
  });

  it('prefix tuning saves PEFT\'s config and one prompt_embeddings tensor [P, L·2·Hkv·D] (the MLP output with projection)', () => {
    const model = loadModel(join(fixtures, 'llama-tiny'));
    const applied = applyMethod(model, CHOICES['prefix+projection']!, { seed: 3 });
    const dir = join(temp, 'prefix-format');
    applied.save(dir, { baseModel: 'llama-tiny' });
    const cfg = JSON.parse(readFileSync(join(dir, 'adapter_config.json'), 'utf8'));
    const { numLayers: L, numKvHeads: Hkv, headDim: D } = model.config;
    assert.deepEqual(cfg, {
      auto_mapping: null,
      base_model_name_or_path: 'llama-tiny',
      encoder_hidden_size: 8,
      inference_mode: true,
      num_attention_heads: Hkv,
      num_layers: L,
      num_transformer_submodules: 1,
      num_virtual_tokens: 3,
      peft_type: 'PREFIX_TUNING',
      prefix_projection: true,
      revision: null,
      task_type: 'CAUSAL_LM',
      token_dim: Hkv * D,
    });
    const { tensors } = readSafetensors(join(dir, 'adapter_model.safetensors'));
    assert.deepEqual([...tensors.keys()], ['prompt_embeddings']);
    assert.deepEqual(tensors.get('prompt_embeddings')!.shape, [3, L * 2 * Hkv * D]);
    model.dispose();
  });
});
