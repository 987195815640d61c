import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as zlib from 'node:zlib';
import { crc32Js, RecordHasher } from '../../dataset/hash';

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
