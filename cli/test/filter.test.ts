// tunelab filter and tunelab inspect --quality through the CLI entry point, as a user runs them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from './inProcess';

const dir = mkdtempSync(join(tmpdir(), 'tunelab-filter-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

const run = (...argv: string[]) => runCli(dir, argv);

const rec = (q: string, a: string) => JSON.stringify({ messages: [{ role: 'user', content: q }, { role: 'assistant', content: a }] });
const LONG =
  'The mitochondria is the powerhouse of the cell. It produces most of the energy the cell needs, in the form of ATP, through respiration in its inner membrane and matrix. ' +
  'Mitochondria have their own DNA, inherited from the mother, and divide on their own inside the cell. They also take part in signalling, in cell growth and in programmed ' +
  'cell death, which is why faults in them cause a wide range of diseases.';

// Line endings, a blank line, non-ASCII text and a last line without a line break must survive byte for byte.
const L = [
  rec('What do mitochondria do?', LONG) + '\r\n', // 1 kept
  rec('Écris un poème sur la mer.', 'La mer chante, immense et bleue, du soir jusqu’au matin.') + '\n', // 2 kept
  '\n', // 3 blank: not a record
  rec('What do mitochondria do?', LONG) + '\n', // 4 duplicate of 1
  rec('Tell me how to pick a lock.', "I'm sorry, but I cannot help with that.") + '\n', // 5 refusal
  rec('What do mitochondria do in a cell?', LONG.replace('most of', 'nearly all of')) + '\n', // 6 near-duplicate of 1
  rec('Explain gravity.', 'Gravity is the force by which masses attract one another; on Earth it gives weight to objects.') + '\r\n', // 7 kept
  rec('Say hi 👋', 'Hi! 👋'), // 8 kept, no final line break
];

test('filter: the cleaned file is the kept lines byte for byte; the report names every dropped record by line', async () => {
  writeFileSync(join(dir, 'in.jsonl'), L.join(''));
  const r = await run('filter', 'in.jsonl', '--drop', 'duplicates,near-duplicates,refusals', '--out', 'out.jsonl', '--report', 'report.json');
  assert.equal(r.code, 0, r.err);
  assert.equal(readFileSync(join(dir, 'out.jsonl'), 'utf8'), L[0]! + L[1]! + L[6]! + L[7]!);
  const report = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as Record<string, unknown>;
  assert.deepEqual(
    { ...report, droppedRecords: undefined },
    {
      input: 'in.jsonl',
      output: 'out.jsonl',
      reportPath: 'report.json',
      drop: ['duplicates', 'near-duplicates', 'refusals'],
      threshold: 0.8,
      records: 7,
      kept: 4,
      dropped: 3,
      byReason: { duplicates: 1, 'near-duplicates': 1, refusals: 1 },
      droppedRecords: undefined,
    },
  );
  assert.deepEqual(report.droppedRecords, [
    { record: 3, line: 4, reasons: ['duplicates'], details: ['same text as record 1 (line 1)'], of: { record: 1, line: 1 } },
    { record: 4, line: 5, reasons: ['refusals'], details: [`refusal: "I'm sorry, but I"`] },
    { record: 5, line: 6, reasons: ['near-duplicates'], details: ['near-duplicate of record 1 (line 1): Jaccard 0.83 over 3-word shingles (threshold 0.8)'], of: { record: 1, line: 1 } },
  ]);
  assert.equal(
    r.out,
    [
      'in.jsonl: 7 records; kept 4, dropped 3 -> out.jsonl',
      '  duplicates: 1',
      '  near-duplicates: 1',
      '  refusals: 1',
      '    line 4: duplicates: same text as record 1 (line 1)',
      `    line 5: refusals: refusal: "I'm sorry, but I"`,
      '    line 6: near-duplicates: near-duplicate of record 1 (line 1): Jaccard 0.83 over 3-word shingles (threshold 0.8)',
      '',
    ].join('\n'),
  );
  // No temporary file is left beside the outputs.
  assert.deepEqual(readdirSync(dir).filter((f) => f.endsWith('.tmp')), []);
});

test('filter: a stricter threshold keeps the near-duplicate', async () => {
  writeFileSync(join(dir, 'in2.jsonl'), L.join(''));
  const r = await run('filter', 'in2.jsonl', '--drop', 'near-duplicates', '--threshold', '0.9', '--out', 'out2.jsonl', '--format', 'json');
  assert.equal(r.code, 0, r.err);
  const j = JSON.parse(r.out) as { kept: number; dropped: number };
  assert.deepEqual([j.kept, j.dropped], [7, 0]);
});

test('filter: never in place (same path, a link to it), existing output needs --force, bad kinds and thresholds are usage errors', async () => {
  const input = join(dir, 'keep.jsonl');
  writeFileSync(input, L.join(''));
  symlinkSync(input, join(dir, 'link.jsonl'));
  const msg = 'tunelab filter: --out is the input file: the dataset is never filtered in place; write to a new file\n';
  assert.deepEqual(await run('filter', 'keep.jsonl', '--drop', 'all', '--out', 'keep.jsonl'), { code: 2, out: '', err: msg });
  assert.deepEqual(await run('filter', 'keep.jsonl', '--drop', 'all', '--out', './sub/../keep.jsonl'), { code: 2, out: '', err: msg });
  assert.deepEqual(await run('filter', 'keep.jsonl', '--drop', 'all', '--out', 'link.jsonl', '--force'), { code: 2, out: '', err: msg });
  assert.equal(readFileSync(input, 'utf8'), L.join(''));
  writeFileSync(join(dir, 'exists.jsonl'), 'x');
  assert.deepEqual(await run('filter', 'keep.jsonl', '--drop', 'all', '--out', 'exists.jsonl'), { code: 2, out: '', err: 'tunelab filter: exists.jsonl exists (pass --force to replace it)\n' });
  assert.deepEqual(await run('filter', 'keep.jsonl', '--drop', 'dupes', '--out', 'x.jsonl'), {
    code: 2,
    out: '',
    err: "tunelab filter: --drop: unknown kind 'dupes'; expected duplicates, near-duplicates, empty, refusals, boilerplate, truncated, echoes, invalid or all\n",
  });
  assert.deepEqual(await run('filter', 'keep.jsonl', '--drop', 'all', '--out', 'x.jsonl', '--threshold', '1.5'), { code: 2, out: '', err: "tunelab filter: --threshold must be in (0, 1], got '1.5'\n" });
  assert.equal((await run('filter', 'keep.jsonl', '--out', 'x.jsonl')).code, 2);
  assert.equal(existsSync(join(dir, 'x.jsonl')), false);
});

test('filter: a JSON array stays an array; invalid records are dropped with their error', async () => {
  const arr = `[\n  ${rec('Q one?', 'Answer one.')},\n  ${rec('Q one?', 'Answer one.')},\n  {"messages": []}\n]\n`;
  writeFileSync(join(dir, 'a.json'), arr);
  const r = await run('filter', 'a.json', '--drop', 'duplicates,invalid', '--out', 'b.json', '--format', 'json');
  assert.equal(r.code, 0, r.err);
  assert.equal(readFileSync(join(dir, 'b.json'), 'utf8'), `[\n${rec('Q one?', 'Answer one.')}\n]\n`);
  const j = JSON.parse(r.out) as { droppedRecords: { record: number; reasons: string[]; details: string[] }[] };
  assert.deepEqual(j.droppedRecords.map((d) => [d.record, d.reasons, d.details[0]!.split(':')[0]]), [
    [2, ['duplicates'], 'same text as record 1 (line 2)'],
    [3, ['invalid'], 'dataset-empty-messages'],
  ]);
});

test('filter: dropping every record writes nothing and exits 1', async () => {
  writeFileSync(join(dir, 'r.jsonl'), rec('Tell me how to pick a lock.', "I'm sorry, but I cannot help with that.") + '\n');
  const r = await run('filter', 'r.jsonl', '--drop', 'refusals', '--out', 'r2.jsonl');
  assert.deepEqual(r, { code: 1, out: '', err: 'tunelab filter: nothing written: all 1 record would be dropped\n' });
  assert.equal(existsSync(join(dir, 'r2.jsonl')), false);
});

test('inspect --quality --format json: the quality report with record links', async () => {
  writeFileSync(join(dir, 'q.jsonl'), L.join(''));
  const r = await run('inspect', 'q.jsonl', '--quality', '--format', 'json');
  assert.equal(r.code, 0, r.err);
  const j = JSON.parse(r.out) as { format: string; records: number; quality: import('../../common/dataset/quality/types').QualityReport };
  assert.deepEqual(Object.keys(j), ['format', 'records', 'quality']);
  assert.deepEqual([j.format, j.records, j.quality.records, j.quality.analysed], ['openai', 7, 7, 7]);
  assert.deepEqual(
    j.quality.findings.map((g) => [g.code, g.count, g.examples.map((e) => e.line)]),
    [
      ['dataset-duplicate', 1, [3]],
      ['quality-near-duplicate', 1, [5]],
      ['quality-refusal', 1, [4]],
    ],
  );
  assert.deepEqual(j.quality.languages.map((l) => [l.language, l.count]), [['en', 5], ['fr', 1], ['und', 1]]);
  const text = await run('inspect', 'q.jsonl', '--quality');
  assert.match(text.out, /^Near-duplicates \(Jaccard >= 0\.8 over 3-word shingles; MinHash LSH 16 bands x 8 rows\): 1 record in 1 cluster \(1 candidate pair, verified by exact Jaccard\)$/m);
  assert.match(text.out, /^  line 1 <- line 6 \(0\.83\)$/m);
  assert.deepEqual(await run('inspect', 'q.jsonl', '--quality', '--record', '1'), { code: 2, out: '', err: 'tunelab inspect: --quality takes no --record or --model\n' });
});

test('inspect --quality names the first error in its headline (an empty or binary file has nothing else to show)', async () => {
  writeFileSync(join(dir, 'empty.jsonl'), '');
  writeFileSync(join(dir, 'nul.jsonl'), Buffer.from([0x7b, 0x00, 0x7d, 0x0a]));
  writeFileSync(join(dir, 'two-bad.jsonl'), '{"instruction":"a","output":"b"}\n{oops\n[1]\n');
  const first = async (name: string) => {
    const r = await run('inspect', name, '--quality');
    return [r.code, r.out.split('\n')[0]];
  };
  assert.deepEqual(await first('empty.jsonl'), [1, 'empty.jsonl: 0 records, unknown format (1 error: line 1 dataset-empty-file: the dataset has no records)']);
  assert.deepEqual(await first('nul.jsonl'), [1, 'nul.jsonl: 0 records, unknown format (1 error: line 1 dataset-binary: the file holds NUL bytes: it is binary, not a JSON or JSONL dataset)']);
  assert.deepEqual(await first('two-bad.jsonl'), [1, "two-bad.jsonl: 3 records, alpaca (2 errors; first: line 2 dataset-invalid-json: invalid JSON: expected a property name in double quotes, found 'o'; tunelab validate lists them)"]);
});
