import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mulberry32 } from '../../random';
import { BandStore, candidateProbability, estimateJaccard, forEachWordHash, jaccard, lshParams, LshIndex, MinHasher, shingleSet } from '../../dataset/minhash';

/** Distinct made-up words w0, w1, ... (no two share a word hash by construction of the test). */
const word = (i: number) => `w${i.toString(36)}x`;
const text = (from: number, to: number) => Array.from({ length: to - from }, (_, k) => word(from + k)).join(' ');

test('words: lower-cased letter/digit runs; CJK characters are words by themselves', () => {
  const hashes = (s: string) => {
    const out: number[] = [];
    forEachWordHash(s, (h) => out.push(h));
    return out;
  };
  assert.deepEqual(hashes('Hello, WORLD!  hello-world'), hashes('hello world hello world'));
  assert.equal(hashes('Über ÉCOLE').join(), hashes('über école').join());
  assert.equal(hashes('日本語です').length, 5);
  assert.equal(hashes('  ...  ').length, 0);
});

test('exact Jaccard of shingle sets on constructed texts', () => {
  // 100 words -> 98 three-word shingles; shifting by 10 words shares the 88 shingles of words 10..99.
  assert.equal(jaccard(shingleSet(text(0, 100), 3), shingleSet(text(10, 110), 3)), 88 / 108);
  assert.equal(jaccard(shingleSet(text(0, 100), 3), shingleSet(text(0, 100), 3)), 1);
  assert.equal(jaccard(shingleSet(text(0, 50), 3), shingleSet(text(50, 100), 3)), 0);
  // One word replaced in the middle of 50: the 3 shingles through it differ -> 45 / 51.
  const a = text(0, 50);
  const b = a.replace(word(25), 'changed');
  assert.equal(jaccard(shingleSet(a, 3), shingleSet(b, 3)), 45 / 51);
  // Fewer words than the shingle: one shingle of what there is.
  assert.equal(shingleSet('two words', 3).length, 1);
  assert.equal(shingleSet('', 3).length, 0);
});

test('MinHash estimates track the exact Jaccard (deterministic seeds, within 3 standard errors)', () => {
  const params = lshParams(0.8);
  const hasher = new MinHasher(params, 3);
  const bins = hasher.bins;
  const sa = new Uint32Array(bins);
  const sb = new Uint32Array(bins);
  const rand = mulberry32(7);
  let sumError = 0;
  const cases = 60;
  for (let c = 0; c < cases; c++) {
    const base = c * 1000;
    const length = 40 + Math.floor(rand() * 300);
    const shift = Math.floor(rand() * length * 0.5);
    const a = text(base, base + length);
    const b = text(base + shift, base + shift + length);
    const setA = shingleSet(a, 3);
    const setB = shingleSet(b, 3);
    const exact = jaccard(setA, setB);
    // One-permutation hashing samples at most one value per distinct shingle: with fewer shingles
    // than bins (short texts), the borrowed bins add no information and the error is that of
    // min(bins, |A ∪ B|) samples.
    const union = Math.round((setA.length + setB.length) / (1 + exact));
    hasher.sign(a, sa);
    hasher.sign(b, sb);
    const est = estimateJaccard(sa, sb);
    const se = Math.sqrt((exact * (1 - exact)) / Math.min(bins, union));
    assert.ok(Math.abs(est - exact) <= 3 * se + 1e-9, `case ${c}: estimate ${est} vs exact ${exact} (3 se = ${3 * se})`);
    sumError += est - exact;
  }
  // No bias: the mean error over the cases is small.
  assert.ok(Math.abs(sumError / cases) < 0.015, `mean error ${sumError / cases}`);
  // Identical texts agree in every bin; disjoint long texts in (almost) none.
  hasher.sign(text(0, 200), sa);
  hasher.sign(text(0, 200), sb);
  assert.equal(estimateJaccard(sa, sb), 1);
  hasher.sign(text(5000, 5200), sb);
  assert.ok(estimateJaccard(sa, sb) <= 0.02);
  // A text without words has no signature.
  assert.equal(hasher.sign(' !? ', sa), 0);
});

test('bands x rows for a threshold, and the S-curve they give', () => {
  assert.deepEqual(lshParams(0.8), { bands: 16, rows: 8 });
  const p = lshParams(0.8);
  assert.equal(candidateProbability(0.8, p).toFixed(3), '0.947');
  assert.equal(candidateProbability(0.5, p).toFixed(3), '0.061');
  assert.equal(candidateProbability(1, p), 1);
  // A higher threshold takes longer bands.
  const high = lshParams(0.9);
  assert.ok(high.rows > p.rows, JSON.stringify(high));
});

test('LSH: near-duplicates become candidates of their first occurrence, unrelated texts do not', () => {
  const params = lshParams(0.8);
  const hasher = new MinHasher(params, 3);
  const index = new LshIndex(params);
  const sig = new Uint32Array(hasher.bins);
  const docs = [
    text(0, 120), // 0
    text(1000, 1120), // 1
    text(0, 120).replace(word(60), 'edited'), // 2: J = 115/121 with 0
    text(2000, 2150), // 3
    text(1000, 1120) + ' one more sentence at the end', // 4: J ~ 0.95 with 1
    text(3000, 3100), // 5
    text(0, 120).replace(word(60), 'edited').replace(word(30), 'again'), // 6: near 0 and 2
  ];
  const found: number[][] = [];
  const store = new BandStore(params);
  docs.forEach((d, i) => {
    hasher.sign(d, sig);
    found.push([...index.add(i, sig)]);
    // Record numbers need not be contiguous: skipped records (duplicates, empty) are not added.
    store.add(i * 10, sig);
  });
  // 6 shares bands with 0, and others (through the edit they have in common) with 2.
  assert.deepEqual(found, [[], [], [0], [], [1], [], [0, 2]]);
  assert.ok(index.bytes > 0);
  // The band store matches the same pairs at the end, ordered by the later record.
  const pairs = store.pairs();
  assert.deepEqual([...pairs.later], [20, 40, 60, 60]);
  assert.deepEqual([...pairs.earlier], [0, 10, 0, 20]);
  assert.equal(store.size, 0);
});
