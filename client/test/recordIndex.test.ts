import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { indexFile, readRecords, RecordIndex, type IndexMode } from '../dataset/recordIndex';

/** Indexes `text` fed in chunks of `size` bytes (to cross every boundary) and returns the records' text and lines. */
function records(text: string, mode: IndexMode, size: number): { texts: string[]; lines: number[] } {
  const bytes = Buffer.from(text, 'utf8');
  const ix = new RecordIndex(mode);
  for (let at = 0; at < bytes.length; at += size) ix.push(bytes.subarray(at, at + size));
  ix.end();
  const texts: string[] = [];
  const lines: number[] = [];
  for (let i = 0; i < ix.count; i++) {
    const [s, e] = ix.range(i);
    texts.push(bytes.subarray(s, e).toString('utf8'));
    lines.push(ix.lineOf(i));
  }
  return { texts, lines };
}

test('JSONL: records by line, blank lines skipped, CRLF and a last line without newline', () => {
  const text = '{"a":1}\r\n\n   \n{"b":"é"}\n{"c":3}';
  for (const size of [1, 3, 7, 1000]) {
    assert.deepEqual(records(text, 'lines', size), { texts: ['{"a":1}', '{"b":"é"}', '{"c":3}'], lines: [0, 3, 4] }, `chunk ${size}`);
  }
});

test('JSON: values of a pretty-printed array, with brackets, commas and escaped quotes inside strings', () => {
  const text = '[\n  {"t": "a, ] } \\" [", "n": [1, {"x": 2}]},\n  {"t": "b"}\n, 7, "s,]" ]';
  for (const size of [1, 5, 1000]) {
    assert.deepEqual(records(text, 'json', size), { texts: ['{"t": "a, ] } \\" [", "n": [1, {"x": 2}]}', '{"t": "b"}', '7', '"s,]"'], lines: [1, 2, 3, 3] }, `chunk ${size}`);
  }
});

test('JSON: a stream of objects (JSONL saved as .json) and a single object', () => {
  assert.deepEqual(records('{"a":1}\n{"b":\n 2}\n', 'json', 4), { texts: ['{"a":1}', '{"b":\n 2}'], lines: [0, 1] });
  assert.deepEqual(records('{"only": true}', 'json', 100), { texts: ['{"only": true}'], lines: [0] });
});

test('records are found by line and by byte offset', () => {
  const ix = new RecordIndex('lines');
  ix.push(Buffer.from('{"a":1}\n\n{"b":2}\n{"c":3}\n'));
  ix.end();
  assert.deepEqual([0, 1, 2, 3, 9].map((l) => ix.recordAtLine(l)), [0, 0, 1, 2, 2]);
  assert.deepEqual([0, 6, 7, 8, 9, 16].map((o) => ix.recordAtOffset(o)), [0, 0, -1, -1, 1, -1]);
});

test('indexFile reads a file in chunks; readRecords cuts long records', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tunelab-index-'));
  const path = join(dir, 'd.jsonl');
  const lines = Array.from({ length: 1000 }, (_, i) => JSON.stringify({ i, text: 'x'.repeat(i % 50) }));
  writeFileSync(path, `${lines.join('\n')}\n`);
  const seen: number[] = [];
  const ix = await indexFile(path, 'lines', { chunkBytes: 4096, progress: (x) => seen.push(x.count) });
  assert.equal(ix.count, 1000);
  assert.equal(ix.done, true);
  assert.ok(seen.length > 5, `progress after every chunk (${seen.length})`);
  assert.deepEqual(seen, [...seen].sort((a, b) => a - b));
  const h = await open(path, 'r');
  try {
    const got = await readRecords(h, ix, [0, 999, 5000], 12);
    assert.deepEqual([...got.entries()], [
      [0, { text: '{"i":0,"text', truncated: true }],
      [999, { text: '{"i":999,"te', truncated: true }],
    ]);
  } finally {
    await h.close();
  }
});
