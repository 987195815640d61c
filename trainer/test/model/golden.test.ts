// Golden logits: our loader + model against an independent PyTorch implementation of Hugging
// Face's maths (scripts/reference/golden_logits.py, outputs committed in trainer/test/fixtures).
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { join } from 'node:path';
import { selectBackend, tf } from '../../backend/index';
import { attachAdapter, loadModel, mergeAdapter, readAdapter, readModelConfig, readModelWeights, readSafetensors } from '../../io/index';
import { buildModel, type CausalLM, type ModelInput } from '../../model/index';

const fixtures = join(import.meta.dirname, '..', 'fixtures');
const TOLERANCE = 1e-4;

function maxAbsDiff(a: Float32Array | Int32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d;
}

function golden(name: string) {
  return readSafetensors(join(fixtures, name, 'golden.safetensors')).tensors;
}

function ids(t: { data: Float32Array }): Int32Array {
  return Int32Array.from(t.data);
}

function logitsOf(model: CausalLM, input: ModelInput): Float32Array {
  const l = model.logits(input);
  const out = l.dataSync() as Float32Array;
  l.dispose();
  return out;
}

before(async () => {
  await selectBackend('wasm');
});

for (const name of ['llama-tiny', 'qwen2-tiny', 'mistral-tiny', 'gpt2-tiny']) {
  describe(`golden logits: ${name}`, () => {
    it('matches the reference within 1e-4 (batch of 2 x 12)', () => {
      const g = golden(name);
      const model = loadModel(join(fixtures, name));
      const [B, T] = g.get('input_ids')!.shape;
      const d = maxAbsDiff(logitsOf(model, { batch: B, seqLen: T, inputIds: ids(g.get('input_ids')!) }), g.get('logits')!.data);
      model.dispose();
      assert.ok(d < TOLERANCE, `max |diff| ${d}`);
      if (process.env.TUNELAB_SHOW_DIFF) console.error(name, d);
    });

    it('packed records with restarted positions equal each record run alone', () => {
      const g = golden(name);
      const model = loadModel(join(fixtures, name));
      const [B, T] = g.get('packed_ids')!.shape;
      const input = { batch: B, seqLen: T, inputIds: ids(g.get('packed_ids')!), segmentIds: ids(g.get('packed_segments')!), positionIds: ids(g.get('packed_positions')!) };
      const d = maxAbsDiff(logitsOf(model, input), g.get('packed_logits')!.data);
      model.dispose();
      assert.ok(d < TOLERANCE, `max |diff| ${d}`);
      if (process.env.TUNELAB_SHOW_DIFF) console.error(name, d);
    });
  });
}

for (const name of ['llama-tiny', 'gpt2-tiny']) {
  describe(`PEFT adapter: ${name}`, () => {
    it('an adapter loaded from PEFT files reproduces the reference adapted logits', () => {
      const g = golden(name);
      const model = loadModel(join(fixtures, name));
      const wrapped = attachAdapter(model, readAdapter(join(fixtures, name, 'adapter')));
      assert.equal(wrapped.length, name === 'gpt2-tiny' ? 4 : 6);
      const [B, T] = g.get('input_ids')!.shape;
      const d = maxAbsDiff(logitsOf(model, { batch: B, seqLen: T, inputIds: ids(g.get('input_ids')!) }), g.get('adapter_logits')!.data);
      model.dispose();
      assert.ok(d < TOLERANCE, `max |diff| ${d}`);
      if (process.env.TUNELAB_SHOW_DIFF) console.error(name, d);
    });

    it('merging W0 + (alpha/r)·B·A into the base weights gives the same logits', () => {
      const g = golden(name);
      const dir = join(fixtures, name);
      const config = readModelConfig(dir);
      const merged = mergeAdapter(config, readModelWeights(dir), readAdapter(join(dir, 'adapter')));
      const model = buildModel(config, merged);
      const [B, T] = g.get('input_ids')!.shape;
      const d = maxAbsDiff(logitsOf(model, { batch: B, seqLen: T, inputIds: ids(g.get('input_ids')!) }), g.get('adapter_logits')!.data);
      model.dispose();
      assert.ok(d < TOLERANCE, `max |diff| ${d}`);
      if (process.env.TUNELAB_SHOW_DIFF) console.error(name, d);
    });
  });
}

it('leaves no tensors behind after loading and disposing a model', () => {
  const before = tf.memory().numTensors;
  loadModel(join(fixtures, 'llama-tiny')).dispose();
  assert.equal(tf.memory().numTensors, before);
});
