import { test } from 'node:test';
import assert from 'node:assert/strict';
import { epochRows, fitToLength, IGNORE, makeBatch, packRows, rowsPerEpoch, splitValidation, type Example } from '../../data/batches';

const ex = (ids: number[], trained: number[]): Example => ({ ids, trained: ids.map((_, i) => trained.includes(i)) });

test('makeBatch without packing: one record per row, padded to a multiple of 8, first token never a target', () => {
  const a = ex([5, 6, 7], [0, 1, 2]);
  const b = ex([8, 9], [1]);
  const batch = makeBatch([a, b], [[0], [1]], { seqLen: 16, padId: 0, padToSeqLen: false });
  assert.equal(batch.seqLen, 8);
  assert.deepEqual([...batch.inputIds], [5, 6, 7, 0, 0, 0, 0, 0, 8, 9, 0, 0, 0, 0, 0, 0]);
  const I = IGNORE;
  assert.deepEqual([...batch.labels], [I, 6, 7, I, I, I, I, I, I, 9, I, I, I, I, I, I]);
  assert.deepEqual([...batch.segmentIds], [1, 1, 1, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0]);
  assert.deepEqual([...batch.positionIds], [0, 1, 2, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0]);
  assert.equal(batch.trainedTokens, 3);
  assert.equal(batch.tokens, 5);
});

test('makeBatch with packing: segments numbered per record, positions restart, no label crosses a boundary', () => {
  const a = ex([1, 2, 3], [1, 2]);
  const b = ex([4, 5], [0, 1]);
  const batch = makeBatch([a, b], [[0, 1]], { seqLen: 6, padId: 0, padToSeqLen: true });
  assert.deepEqual([...batch.inputIds], [1, 2, 3, 4, 5, 0]);
  assert.deepEqual([...batch.segmentIds], [1, 1, 1, 2, 2, 0]);
  assert.deepEqual([...batch.positionIds], [0, 1, 2, 0, 1, 0]);
  // Token 4 (first of record b) is marked trained but would be predicted from record a: ignored.
  assert.deepEqual([...batch.labels], [IGNORE, 2, 3, IGNORE, 5, IGNORE]);
});

test('packRows: first-fit decreasing, every record exactly once, no row over the length', () => {
  const lengths = [5, 3, 8, 2, 6, 4, 1];
  const rows = packRows(lengths, 10);
  assert.deepEqual(rows, [[2, 3], [4, 5], [0, 1, 6]]);
  for (const r of rows) assert.ok(r.reduce((s, i) => s + lengths[i]!, 0) <= 10);
  assert.deepEqual(rows.flat().sort(), [0, 1, 2, 3, 4, 5, 6]);
});

test('fitToLength: drop (Axolotl default), truncate, raise; records without targets are dropped', () => {
  const long = ex([1, 2, 3, 4, 5], [3, 4]);
  const ok = ex([1, 2], [1]);
  const none = ex([1, 2], [0]);
  assert.deepEqual(fitToLength([long, ok, none], 4, 'drop'), { kept: [ok], dropped: 1, truncated: 0, untrained: 1 });
  const t = fitToLength([long, ok], 4, 'truncate');
  assert.deepEqual(t.kept, [ex([1, 2, 3, 4], [3]), ok]);
  assert.equal(t.truncated, 1);
  assert.throws(() => fitToLength([ok, long], 4, 'raise'), /record 2 has 5 tokens, more than sequence_len 4/);
});

test('splitValidation: fraction rounds up, counts are counts, seeded and disjoint', () => {
  const items = Array.from({ length: 10 }, (_, i) => i);
  const a = splitValidation(items, 0.15, 42);
  assert.equal(a.eval.length, 2);
  assert.equal(a.train.length, 8);
  assert.deepEqual([...a.train, ...a.eval].sort((x, y) => x - y), items);
  assert.deepEqual(splitValidation(items, 0.15, 42), a);
  assert.notDeepEqual(splitValidation(items, 0.15, 43).eval, a.eval);
  assert.equal(splitValidation(items, 3, 1).eval.length, 3);
  assert.deepEqual(splitValidation(items, 0, 1), { train: items, eval: [] });
  assert.throws(() => splitValidation(items, 10, 1), /leaves no training records/);
});

test('epochRows: a permutation per epoch, reproducible from (seed, epoch) alone', () => {
  const exs = Array.from({ length: 6 }, (_, i) => ex([i, i + 1], [1]));
  const e0 = epochRows(exs, 0, { seed: 3, seqLen: 8, packing: false, shuffle: true });
  const e1 = epochRows(exs, 1, { seed: 3, seqLen: 8, packing: false, shuffle: true });
  assert.deepEqual(e0.flat().sort(), [0, 1, 2, 3, 4, 5]);
  assert.notDeepEqual(e0, e1);
  assert.deepEqual(epochRows(exs, 1, { seed: 3, seqLen: 8, packing: false, shuffle: true }), e1);
  assert.deepEqual(epochRows(exs, 1, { seed: 3, seqLen: 8, packing: false, shuffle: false }), [[0], [1], [2], [3], [4], [5]]);
  const packed = epochRows(exs, 0, { seed: 3, seqLen: 8, packing: true, shuffle: true });
  assert.equal(packed.length, rowsPerEpoch(exs, 8, true));
  assert.equal(packed.length, 2);
});
