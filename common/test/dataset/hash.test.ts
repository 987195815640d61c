import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as zlib from 'node:zlib';
import { crc32Js, DuplicateIndex, RecordHasher } from '../../dataset/hash';

const native = (s: string) => zlib.crc32(s);
const normalizeRef = (s: string) => s.replace(/[ \t\n\v\f\r]+/g, ' ').replace(/^ | $/g, '');

const SAMPLES = ['', 'plain text', '  lead and trail  ', 'a\tb\nc\r\nd\fe\vf', 'runs    of     spaces', 'café crème', '日本語 の テキスト', 'emoji 😀 and 👍🏽', 'lone \ud800 surrogate', 'x\u00a0nbsp stays', '\n\n\n'];

test('the JavaScript CRC-32 is zlib.crc32 of the (normalised) UTF-8 bytes', () => {
  for (const s of SAMPLES) {
    assert.equal(crc32Js(s, false)[0], native(s), `exact: ${JSON.stringify(s)}`);
    assert.deepEqual(crc32Js(s, true), [native(normalizeRef(s)), normalizeRef(s).length], `normalised: ${JSON.stringify(s)}`);
  }
});

test('record fingerprints: the same with and without the native CRC; whitespace variants share the normalised hash only', () => {
  const key = (fields: string[], crc?: (s: string) => number) => {
    const h = new RecordHasher(crc);
    for (const f of fields) h.add(f);
    return [h.normalized(), h.exact()];
  };
  for (const s of SAMPLES) assert.deepEqual(key(['user', s], native), key(['user', s]), JSON.stringify(s));
  const [n1, e1] = key(['user', 'Hello  world\n'], native);
  const [n2, e2] = key(['user', 'Hello world'], native);
  assert.equal(n1, n2);
  assert.notEqual(e1, e2);
  // Field boundaries count.
  assert.notDeepEqual(key(['ab', 'c'], native), key(['a', 'bc'], native));
});

test('the duplicate index finds every first occurrence across table growth, by the whole 53-bit key', () => {
  const index = new DuplicateIndex();
  const keyOf = (i: number) => {
    const h = new RecordHasher();
    h.add(`record ${i}`);
    return h.normalized();
  };
  const n = 100_000;
  for (let i = 0; i < n; i++) assert.equal(index.check(keyOf(i), i, i), undefined);
  for (let i = 0; i < n; i += 997) assert.deepEqual(index.check(keyOf(i), i % 2 ? i : -1, n + i), { firstLine: i, exact: i % 2 === 1 });
  // Keys equal in their low 32 bits but not their high 21 are different records.
  const low = 4294967296 * 5 + 12345;
  assert.equal(index.check(low, 0, 1), undefined);
  assert.equal(index.check(4294967296 * 6 + 12345, 0, 2), undefined);
  assert.deepEqual(index.check(low, 1, 3), { firstLine: 1, exact: false });
});

test('one native CRC per record gives the keys of the JavaScript CRC, whatever mix of fields needs normalising', () => {
  const bytes = { bytes: (d: Uint8Array, init: number) => zlib.crc32(d, init) };
  const key = (fields: string[], native?: typeof bytes) => {
    const h = new RecordHasher(native);
    for (let round = 0; round < 2; round++) {
      // The second round checks that reset() forgets the first.
      h.reset();
      for (const f of fields) h.add(f);
    }
    return [h.normalized(), h.exact()];
  };
  const big = 'long answer '.repeat(3000); // over the 64 KiB buffer's third: not buffered
  const records = [
    ['user', 'plain', 'assistant', 'more plain text that is over twenty-four characters'],
    ['user', 'a\tb', 'assistant', 'after a changed field, plain text follows', 'système'],
    ['système', 'naïve café', '😀', big, 'tail'],
    ['  lead', 'plain', 'x'.repeat(30000), 'trail  ', big + ' ', 'end'],
    ...SAMPLES.map((s) => ['user', s, 'assistant', s + ' plain suffix to be long enough']),
  ];
  for (const r of records) assert.deepEqual(key(r, bytes), key(r), JSON.stringify(r).slice(0, 80));
  const [n1, e1] = key(['user', 'Hello  world\n', 'assistant', 'the same answer, written out at length'], bytes);
  const [n2, e2] = key(['user', 'Hello world', 'assistant', 'the same answer, written out at length'], bytes);
  assert.equal(n1, n2);
  assert.notEqual(e1, e2);
  assert.notDeepEqual(key(['ab', 'c'], bytes), key(['a', 'bc'], bytes));
});
