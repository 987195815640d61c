import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { join } from 'node:path';
import { selectBackend, tf } from '../../backend/index';
import { argmax, generate, sampleToken } from '../../generate/index';
import { loadModel } from '../../io/index';
import { KvCache } from '../../model/index';

const fixtures = join(import.meta.dirname, '..', 'fixtures');

before(async () => {
  await selectBackend('wasm');
});

describe('generate', () => {
  for (const name of ['llama-tiny', 'qwen2-tiny', 'gpt2-tiny']) {
    it(`${name}: greedy with the KV cache equals greedy re-reading the whole sequence`, () => {
      const model = loadModel(join(fixtures, name));
      const prompt = [5, 9, 13, 2 + 1, 7];
      const cached = generate(model, prompt, { maxNewTokens: 12 });
      const plain = generate(model, prompt, { maxNewTokens: 12, noCache: true });
      assert.deepEqual(cached, plain);
      assert.equal(cached.ids.length, 12);
      assert.equal(cached.stopReason, 'length');
      model.dispose();
    });
  }

  it('the cached step logits equal the full forward logits at that position', () => {
    const model = loadModel(join(fixtures, 'llama-tiny'));
    const ids = [4, 8, 15, 16, 23, 42];
    const full = model.logits({ batch: 1, seqLen: 6, inputIds: Int32Array.from(ids) });
    const want = tf.slice(full, [5, 0], [1, 64]).dataSync();
    const cache = new KvCache();
    model.lastLogits({ batch: 1, seqLen: 5, inputIds: Int32Array.from(ids.slice(0, 5)) }, { cache }).dispose();
    assert.equal(cache.length, 5);
    const step = model.lastLogits({ batch: 1, seqLen: 1, inputIds: Int32Array.of(42), positionIds: Int32Array.of(5) }, { cache });
    const got = step.dataSync();
    for (let i = 0; i < 64; i++) assert.ok(Math.abs(got[i] - want[i]) < 1e-5, `logit ${i}: ${got[i]} vs ${want[i]}`);
    cache.dispose();
    step.dispose();
    full.dispose();
    model.dispose();
  });

  it('stops on a stop id and does not return it', () => {
    const model = loadModel(join(fixtures, 'llama-tiny'));
    const free = generate(model, [5, 9, 13], { maxNewTokens: 6 });
    const stopAt = free.ids[3];
    const firstIndex = free.ids.indexOf(stopAt);
    const stopped = generate(model, [5, 9, 13], { maxNewTokens: 6, stopIds: [stopAt] });
    assert.deepEqual(stopped, { ids: free.ids.slice(0, firstIndex), stopReason: 'stop' });
    model.dispose();
  });

  it('sampling is reproducible for a seed and leaves no tensors behind', () => {
    const model = loadModel(join(fixtures, 'gpt2-tiny'));
    const before = tf.memory().numTensors;
    const a = generate(model, [1, 2, 3], { maxNewTokens: 10, temperature: 1, topP: 0.9, seed: 7 });
    const b = generate(model, [1, 2, 3], { maxNewTokens: 10, temperature: 1, topP: 0.9, seed: 7 });
    assert.deepEqual(a, b);
    assert.equal(tf.memory().numTensors, before);
    model.dispose();
  });

  it('stops at the context limit of learned positions (GPT-2 n_positions = 64)', () => {
    const model = loadModel(join(fixtures, 'gpt2-tiny'));
    const prompt = Array.from({ length: 60 }, (_, i) => i % 70);
    const r = generate(model, prompt, { maxNewTokens: 20 });
    // Positions 0..63 hold the prompt and 4 generated tokens; reading position 63 yields a 5th.
    assert.deepEqual([r.ids.length, r.stopReason], [5, 'context']);
    model.dispose();
  });
});

describe('sampleToken', () => {
  const logits = Float32Array.of(1, 3, 2, 0.5);
  it('is argmax at temperature 0', () => {
    assert.equal(sampleToken(logits, { temperature: 0, topP: 1, topK: 0 }, () => 0.99), 1);
    assert.equal(argmax(Float32Array.of(2, 5, 5)), 1);
  });
  it('top-k 1 is greedy whatever the draw', () => {
    for (const u of [0, 0.5, 0.999]) assert.equal(sampleToken(logits, { temperature: 1, topP: 1, topK: 1 }, () => u), 1);
  });
  it('top-p keeps the smallest set reaching p', () => {
    // softmax(1, 3, 2, 0.5) = 0.086, 0.636, 0.234, 0.043: p = 0.8 keeps tokens 1 and 2.
    const seen = new Set<number>();
    for (let u = 0; u < 1; u += 0.01) seen.add(sampleToken(logits, { temperature: 1, topP: 0.8, topK: 0 }, () => u));
    assert.deepEqual([...seen].sort(), [1, 2]);
  });
  it('samples every token in proportion without filters', () => {
    const seen = new Set<number>();
    for (let u = 0; u < 1; u += 0.005) seen.add(sampleToken(logits, { temperature: 1, topP: 1, topK: 0 }, () => u));
    assert.deepEqual([...seen].sort(), [0, 1, 2, 3]);
  });
});
