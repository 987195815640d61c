import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { readDatasetRecords, readRecordAt, validateDatasetFile } from '../../dataset/file';
import { validateDatasetText } from '../../dataset/index';
import { codes, rows } from './helpers';

const dir = mkdtempSync(join(tmpdir(), 'tunelab-dataset-file-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));
const write = (name: string, content: string | Uint8Array | ArrayBuffer) => {
  const p = join(dir, name);
  writeFileSync(p, content instanceof ArrayBuffer ? new Uint8Array(content) : content);
  return p;
};

const chat = (q: string, a: string) => JSON.stringify({ messages: [{ role: 'user', content: q }, { role: 'assistant', content: a }] });

test('a file gives the same report as its text, chunk boundaries inside multi-byte characters included', async () => {
  // 1 MiB reads cut "é" and "😀" in the middle: the decoder must carry the bytes over.
  const lines = Array.from({ length: 4000 }, (_, i) => chat(`question ${i} é😀 ${'x'.repeat(i % 500)}`, i % 1000 === 7 ? '' : `answer ${i}`));
  lines[2500] = lines[10]!;
  const text = lines.join('\n') + '\n';
  const p = write('multibyte.jsonl', text);
  const fromFile = await validateDatasetFile(p, { workers: false });
  assert.deepEqual(fromFile, validateDatasetText(text));
  assert.deepEqual(codes(fromFile.diagnostics), [
    [7, 'dataset-empty-content'],
    [1007, 'dataset-empty-content'],
    [2007, 'dataset-empty-content'],
    [2500, 'dataset-duplicate'],
    [3007, 'dataset-empty-content'],
  ]);
});

test('records longer than a read (4 MiB) with multi-byte characters across the cut, and a file ending inside a character', async () => {
  // Lines of 5 to 6 MiB: the reader must cut inside a line, never inside a character.
  const long = (unit: string) => chat('q', unit.repeat(Math.ceil((5 << 20) / unit.length)));
  const lines = [long('é'), long('日本'), long('😀 '), chat('q', 'short'), long('😀 ')];
  const text = lines.join('\n') + '\n';
  const p = write('long.jsonl', text);
  const fromFile = await validateDatasetFile(p, { workers: false });
  assert.deepEqual(fromFile, validateDatasetText(text));
  assert.deepEqual(codes(fromFile.diagnostics), [[4, 'dataset-duplicate']]);
  // The last byte of a cut-off "😀" becomes U+FFFD, as a decoder gives it, and is reported.
  const bytes = Buffer.from(chat('q', 'a') + '\n' + '{"text": "😀');
  const cut = write('cut.jsonl', bytes.subarray(0, bytes.length - 1));
  const report = await validateDatasetFile(cut, { workers: false });
  assert.deepEqual(report, validateDatasetText(bytes.subarray(0, bytes.length - 1).toString('utf8')));
  assert.deepEqual(codes(report.diagnostics), [[1, 'dataset-invalid-json']]);
});

test('binary, UTF-16, truncated Parquet and unsupported containers are refused with one located error', async () => {
  const cases: [string, string | Uint8Array, string, string][] = [
    ['bin.jsonl', new Uint8Array([0x7b, 0x00, 0x01, 0x02, 0xff]), 'dataset-binary', 'the file holds NUL bytes: it is binary, not a JSON or JSONL dataset'],
    ['utf16.jsonl', Buffer.from('\ufeff{"text": "a"}\n', 'utf16le'), 'dataset-binary', 'the file is UTF-16: training loaders read UTF-8; re-save it as UTF-8'],
    ['fake.parquet', '{"text": "a"}\n', 'dataset-binary', 'a .parquet file must start with the PAR1 magic bytes: the file is truncated or not Parquet'],
    ['data.csv', 'text\na\n', 'dataset-unsupported-container', '.csv datasets are not read by Tunelab yet: convert to JSONL or Parquet'],
  ];
  for (const [name, content, code, message] of cases) {
    const r = await validateDatasetFile(write(name, content));
    assert.deepEqual(rows(r.diagnostics), [[0, 0, 0, 0, 1, code, message]], name);
    assert.equal(r.summary.records, 0);
  }
});

test('a UTF-8 byte-order mark is skipped; invalid UTF-8 bytes are reported where they are', async () => {
  const bom = await validateDatasetFile(write('bom.jsonl', '\ufeff' + chat('a', 'b') + '\n'));
  assert.deepEqual([bom.summary.records, bom.diagnostics], [1, []]);
  const bytes = Buffer.concat([Buffer.from(chat('a', 'b') + '\n{"text'), Buffer.from([0xc3, 0x28]), Buffer.from('": 1}\n')]);
  const bad = await validateDatasetFile(write('latin.jsonl', bytes));
  // The bytes decode to U+FFFD inside the key: the record reads as an unknown shape, and the spot is named.
  assert.deepEqual(codes(bad.diagnostics), [
    [1, 'dataset-unknown-format'],
    [1, 'dataset-invalid-utf8'],
  ]);
  const badText = await validateDatasetFile(write('latin2.jsonl', Buffer.concat([Buffer.from('{"text": "caf'), Buffer.from([0xe9]), Buffer.from('"}\n')])));
  assert.deepEqual(rows(badText.diagnostics), [[0, 13, 0, 14, 2, 'dataset-invalid-utf8', 'U+FFFD replacement character: the file is not valid UTF-8 here, or was decoded lossily before', { offset: 13 }]]);
});

test('Parquet: rows are records (flat Alpaca columns and nested message lists)', async () => {
  const alpaca = parquetWriteBuffer({
    columnData: [
      { name: 'instruction', data: ['Add 1 and 2', 'Say hi', 'Say hi'], type: 'STRING' },
      { name: 'input', data: ['', '', ''], type: 'STRING' },
      { name: 'output', data: ['3', '', ''], type: 'STRING' },
    ],
  });
  const a = await validateDatasetFile(write('alpaca.parquet', alpaca));
  assert.equal(a.summary.container, 'parquet');
  assert.equal(a.summary.format, 'alpaca');
  assert.deepEqual(rows(a.diagnostics), [
    [1, 0, 1, 0, 1, 'dataset-empty-content', "empty 'output': the model is trained to answer with nothing"],
    [2, 0, 2, 0, 1, 'dataset-empty-content', "empty 'output': the model is trained to answer with nothing"],
  ]);
  const messages = [
    [{ role: 'user', content: 'hi' }, { role: 'assistant', content: 'hello' }],
    [{ role: 'user', content: 'x' }, { role: 'asistant', content: 'y' }],
  ];
  const chatPq = parquetWriteBuffer({ columnData: [{ name: 'messages', data: messages }, { name: 'weight', data: [BigInt(1), BigInt(2)], type: 'INT64' }] });
  const p = write('chat.parquet', chatPq);
  const c = await validateDatasetFile(p);
  assert.equal(c.summary.format, 'openai');
  assert.deepEqual(codes(c.diagnostics), [[1, 'dataset-unknown-role']]);
  const read: unknown[] = [];
  for await (const r of readDatasetRecords(p)) read.push(r);
  assert.deepEqual(read, [
    { record: { kind: 'chat', conversation: { messages: [{ role: 'user', content: 'hi' }, { role: 'assistant', content: 'hello' }] } }, loc: { index: 0, line: 0 }, hasErrors: false },
    { record: { kind: 'chat', conversation: { messages: [{ role: 'user', content: 'x' }] } }, loc: { index: 1, line: 1 }, hasErrors: true },
  ]);
});

test('readDatasetRecords yields normalised records in order with the config entry; the report comes at the end', async () => {
  const text = [
    JSON.stringify({ conversations: [{ from: 'human', value: 'Q1' }, { from: 'gpt', value: 'A1', train: false }, { from: 'human', value: 'Q2' }, { from: 'gpt', value: 'A2' }] }),
    '{broken',
    JSON.stringify({ conversations: [{ from: 'human', value: 'Q3' }, { from: 'gpt', value: 'A3' }] }),
  ].join('\n');
  const p = write('sharegpt.jsonl', text);
  const entry = { type: 'chat_template', field_messages: 'conversations', message_property_mappings: { role: 'from', content: 'value' }, message_field_training: 'train' };
  const it = readDatasetRecords(p, entry);
  const got: unknown[] = [];
  let n = await it.next();
  while (!n.done) {
    got.push(n.value);
    n = await it.next();
  }
  assert.deepEqual(got, [
    {
      record: { kind: 'chat', conversation: { messages: [{ role: 'user', content: 'Q1' }, { role: 'assistant', content: 'A1', weight: 0 }, { role: 'user', content: 'Q2' }, { role: 'assistant', content: 'A2' }] } },
      loc: { index: 0, line: 0 },
      hasErrors: false,
    },
    { record: undefined, loc: { index: 1, line: 1 }, hasErrors: true },
    { record: { kind: 'chat', conversation: { messages: [{ role: 'user', content: 'Q3' }, { role: 'assistant', content: 'A3' }] } }, loc: { index: 2, line: 2 }, hasErrors: false },
  ]);
  assert.deepEqual([n.value.summary.records, n.value.summary.format, codes(n.value.diagnostics)], [3, 'chat_template', [[1, 'dataset-invalid-json']]]);
  const third = await readRecordAt(p, 2, entry);
  assert.deepEqual(third?.loc, { index: 2, line: 2 });
  assert.equal(await readRecordAt(p, 5, entry), undefined);
});

test('worker threads give the same report as one thread', async () => {
  const lines: string[] = [];
  for (let i = 0; i < 30000; i++) {
    if (i % 997 === 3) lines.push('{"messages": [');
    else if (i % 1500 === 11) lines.push(chat(`q${i}`, ''));
    else lines.push(chat(`question ${i % 20000}`, `answer ${i % 20000}`));
  }
  lines.push(JSON.stringify({ conversations: [] }));
  const p = write('big.jsonl', lines.join('\n') + '\n');
  // Records i >= 20000 repeat record i - 20000 when both are clean: 9966 pairs; 31 broken lines.
  const one = await validateDatasetFile(p, { workers: false, maxDiagnostics: 100000 });
  const two = await validateDatasetFile(p, { workers: 2, maxDiagnostics: 100000 });
  assert.deepEqual(two, one);
  assert.deepEqual([one.summary.records, one.summary.duplicates.exact, one.summary.byCode['dataset-invalid-json']?.count], [30001, 9966, 31]);
  // With a cap, the same first problems are kept and the same counts reported.
  const oneCapped = await validateDatasetFile(p, { workers: false, maxDiagnostics: 50 });
  const twoCapped = await validateDatasetFile(p, { workers: 2, maxDiagnostics: 50 });
  assert.deepEqual(twoCapped, oneCapped);
});
