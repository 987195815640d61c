// Data mixing and loss weights (trainer/data/mix.ts): shares, counts, the seeded draw, and the
// per-label weights a batch carries.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { makeBatch, type Example } from '../../data/batches';
import { apportion, mixExamples, mixShares } from '../../data/mix';

const pool = (dataset: number, n: number): Example[] => Array.from({ length: n }, (_, k) => ({ ids: [1, 2 + k, 3 + dataset], trained: [false, true, true], dataset }));
const key = (e: Example) => `${e.dataset}:${e.ids.join(',')}`;

describe('shares and counts', () => {
  it('largest remainder: counts sum to the total, ties go to the earlier dataset', () => {
    assert.deepEqual(apportion([0.5, 0.25, 0.25], 10), [5, 3, 2]);
    assert.deepEqual(apportion([1 / 3, 1 / 3, 1 / 3], 10), [4, 3, 3]);
    assert.deepEqual(apportion([0.9, 0.1], 7), [6, 1]);
  });
  it('weights split the share of the weighted datasets; unweighted ones keep their natural share', () => {
    assert.deepEqual(mixShares([100, 1000], [9, 1]), [0.9, 0.1]);
    const s = mixShares([100, 300, 600], [null, 1, 3]);
    assert.deepEqual(s.map((x) => Math.round(x * 1e9) / 1e9), [0.1, 0.225, 0.675]);
    assert.deepEqual(mixShares([100, 300], [null, null]), [0.25, 0.75]);
    assert.deepEqual(mixShares([100, 300], [0, 2]), [0, 1]);
  });
});

describe('mixExamples', () => {
  it('up-samples with whole passes, down-samples without replacement, deterministically from the seed', () => {
    const examples = [...pool(0, 4), ...pool(1, 6)];
    const sources = [
      { path: 'a.jsonl', weight: 3, lossWeight: 1 },
      { path: 'b.jsonl', weight: 1, lossWeight: 2 },
    ];
    const r = mixExamples(examples, sources, 42);
    // N = 10; shares 0.75 / 0.25 → 7.5 / 2.5 → 8 / 2 (tie to the first).
    assert.deepEqual(r.mix, [
      { path: 'a.jsonl', records: 4, drawn: 8, share: 0.8, loss_weight: 1 },
      { path: 'b.jsonl', records: 6, drawn: 2, share: 0.2, loss_weight: 2 },
    ]);
    assert.equal(r.examples.length, 10);
    const a = r.examples.filter((e) => e.dataset === 0);
    const b = r.examples.filter((e) => e.dataset === 1);
    const counts = new Map<string, number>();
    for (const e of a) counts.set(key(e), (counts.get(key(e)) ?? 0) + 1);
    assert.deepEqual([...counts.values()], [2, 2, 2, 2], 'every example of a twice');
    assert.equal(new Set(b.map(key)).size, 2, 'two different examples of b');
    assert.ok(a.every((e) => e.lossWeight === undefined) && b.every((e) => e.lossWeight === 2));
    assert.deepEqual(mixExamples(examples, sources, 42).examples.map(key), r.examples.map(key), 'same seed, same draw');
    const draws = new Set([1, 2, 3, 4, 5, 6, 7, 8].map((seed) => mixExamples(examples, sources, seed).examples.filter((e) => e.dataset === 1).map(key).join('|')));
    assert.ok(draws.size > 1, 'the draw depends on the seed');
  });

  it('a remainder on top of whole passes is drawn without repeats', () => {
    const r = mixExamples([...pool(0, 3), ...pool(1, 7)], [
      { path: 'a', weight: 7, lossWeight: 1 },
      { path: 'b', weight: 3, lossWeight: 1 },
    ], 1);
    const a = r.examples.filter((e) => e.dataset === 0).map(key);
    assert.equal(a.length, 7);
    const counts = [...new Set(a)].map((k) => a.filter((x) => x === k).length).sort();
    assert.deepEqual(counts, [2, 2, 3]);
  });

  it('without weights only loss weights change; a weighted dataset with nothing to draw is refused', () => {
    const r = mixExamples([...pool(0, 2), ...pool(1, 3)], [
      { path: 'a', weight: null, lossWeight: 0.5 },
      { path: 'b', weight: null, lossWeight: 1 },
    ], 9);
    assert.deepEqual(r.examples.map((e) => [e.dataset, e.lossWeight]), [[0, 0.5], [0, 0.5], [1, undefined], [1, undefined], [1, undefined]]);
    assert.throws(() => mixExamples(pool(0, 4), [{ path: 'a', weight: 1, lossWeight: 1 }, { path: 'empty.jsonl', weight: 1, lossWeight: 1 }], 1), /datasets\[1\] \(empty\.jsonl\) has no training examples left to draw its share from/);
  });
});

describe('loss weights in a batch', () => {
  it('each trained label carries its record\'s weight; unweighted batches carry none', () => {
    const ex: Example[] = [
      { ids: [5, 6, 7], trained: [false, true, true], lossWeight: 2 },
      { ids: [8, 9], trained: [true, true] },
    ];
    const b = makeBatch(ex, [[0], [1]], { seqLen: 4, padId: 0, padToSeqLen: true });
    assert.deepEqual([...b.labelWeights!], [0, 2, 2, 0, 0, 1, 0, 0]);
    assert.equal(b.trainedTokens, 3, 'the token count stays unweighted');
    const packed = makeBatch(ex, [[0, 1]], { seqLen: 6, padId: 0, padToSeqLen: true });
    assert.deepEqual([...packed.labelWeights!], [0, 2, 2, 0, 1, 0]);
    assert.equal(makeBatch([ex[1]!], [[0]], { seqLen: 4, padId: 0, padToSeqLen: true }).labelWeights, undefined);
  });
});
