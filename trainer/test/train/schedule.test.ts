import { test } from 'node:test';
import assert from 'node:assert/strict';
import { learningRate, scheduleFactor, warmupSteps, type Schedule } from '../../train/schedule';

const s = (kind: Schedule['kind'], warm: number, total: number): Schedule => ({ kind, peak: 1e-3, warmupSteps: warm, totalSteps: total });
const factors = (sc: Schedule) => Array.from({ length: sc.totalSteps }, (_, i) => scheduleFactor(sc, i));

test('linear: warm-up from 0, then straight down to 0 at the last step', () => {
  assert.deepEqual(factors(s('linear', 2, 6)), [0, 0.5, 1, 0.75, 0.5, 0.25]);
});

test('cosine: half a cosine period after warm-up (Transformers num_cycles 0.5)', () => {
  const f = factors(s('cosine', 1, 5));
  const expected = [0, 1, 0.5 * (1 + Math.cos(Math.PI * 0.25)), 0.5, 0.5 * (1 + Math.cos(Math.PI * 0.75))];
  f.forEach((x, i) => assert.ok(Math.abs(x - expected[i]!) < 1e-15, `step ${i}: ${x} vs ${expected[i]}`));
});

test('cosine without warm-up starts at the peak', () => {
  assert.equal(learningRate(s('cosine', 0, 10), 0), 1e-3);
  assert.equal(scheduleFactor(s('cosine', 0, 10), 5), 0.5);
});

test('constant ignores warm-up (like Transformers); constant_with_warmup ramps', () => {
  assert.deepEqual(factors(s('constant', 3, 5)), [1, 1, 1, 1, 1]);
  assert.deepEqual(factors(s('constant_with_warmup', 4, 6)), [0, 0.25, 0.5, 0.75, 1, 1]);
});

test('never negative past the end', () => {
  assert.equal(scheduleFactor(s('linear', 0, 4), 7), 0);
  assert.equal(scheduleFactor(s('cosine', 0, 4), 4), 0);
});

test('warm-up steps: explicit count, ratio rounded up, else min(int(3% of total), 100)', () => {
  assert.equal(warmupSteps(1000, { warmupSteps: 7 }), 7);
  assert.equal(warmupSteps(1000, { warmupRatio: 0.0125 }), 13);
  assert.equal(warmupSteps(1000, {}), 30);
  assert.equal(warmupSteps(10000, {}), 100);
  assert.equal(warmupSteps(20, {}), 0);
});
