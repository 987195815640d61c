// Quality findings of an open dataset over the wire: the real server (dist/server/server.cjs) over stdio.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LspClient, fileUri } from './lspClient';

const root = fileURLToPath(new URL('../..', import.meta.url));
let ws: string;
let client: LspClient | undefined;

before(() => {
  if (!existsSync(join(root, 'dist', 'server', 'server.cjs'))) execFileSync(process.execPath, ['scripts/build.mjs', '--quiet'], { cwd: root });
  ws = mkdtempSync(join(tmpdir(), 'tunelab-lsp-quality-'));
  mkdirSync(join(ws, 'data'));
});

after(async () => {
  await client?.stop();
  rmSync(ws, { recursive: true, force: true });
});

const chat = (q: string, a: string) => JSON.stringify({ messages: [{ role: 'user', content: q }, { role: 'assistant', content: a }] });
const LONG =
  'The mitochondria is the powerhouse of the cell. It produces most of the energy the cell needs, in the form of ATP, through respiration in its inner membrane and matrix. ' +
  'Mitochondria have their own DNA, inherited from the mother, and divide on their own inside the cell. They also take part in signalling, in cell growth and in programmed ' +
  'cell death, which is why faults in them cause a wide range of diseases.';

test('per-record quality findings are diagnostics on the record line: near-duplicates verified in the document, refusals, truncation', { timeout: 120_000 }, async () => {
  client = new LspClient({ command: [process.execPath, 'dist/server/server.cjs', '--stdio'], cwd: root, settings: { tunelab: {} } });
  await client.initialize(ws, {});
  const uri = fileUri(join(ws, 'data', 'quality.jsonl'));
  const lines = [
    chat('What do mitochondria do?', LONG),
    chat('Tell me how to pick a lock.', "I'm sorry, but I cannot help with that."),
    chat('What do mitochondria do in a cell?', LONG.replace('most of', 'nearly all of')),
    chat('Write an essay on Rome.', 'Rome was founded, according to legend, in 753 BC by Romulus, and grew from a small town into an empire that'),
  ];
  await client.open(uri, 'jsonl', lines.join('\n') + '\n');
  const d = await client.diagnostics(uri, 1);
  const quality = d.diagnostics.filter((x) => String(x.code).startsWith('quality-'));
  assert.deepEqual(
    quality.map((x) => ({ code: x.code, severity: x.severity, range: x.range, message: x.message, data: x.data })),
    [
      { code: 'quality-refusal', severity: 2, range: { start: { line: 1, character: 0 }, end: { line: 1, character: lines[1]!.length } }, message: `refusal: "I'm sorry, but I"`, data: undefined },
      {
        code: 'quality-near-duplicate',
        severity: 3,
        range: { start: { line: 2, character: 0 }, end: { line: 2, character: lines[2]!.length } },
        message: 'near-duplicate of record 1 (line 1): Jaccard 0.83 over 3-word shingles (threshold 0.8)',
        data: { firstLine: 0, index: 0, jaccard: 0.833 },
      },
      { code: 'quality-truncated', severity: 2, range: { start: { line: 3, character: 0 }, end: { line: 3, character: lines[3]!.length } }, message: 'ends mid-sentence: "…ew from a small town into an empire that"', data: undefined },
    ],
  );
  for (const x of quality) assert.equal(x.source, 'tunelab');
});
