/**
 * Protocol tests: the real built server (dist/server/server.cjs) over stdio, driven by a JSON-RPC
 * client. Expected diagnostics are whole objects: literal where the server itself makes them, and
 * for the cores' findings the result of the same core run in this process on the same text (the
 * server must add, drop and move nothing).
 */
import { after, before, test as nodeTest } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseConfig, validateConfig, valuesFor, keySpec } from '../../common/config/index';
import { DatasetValidator } from '../../common/dataset/index';
import { checkDatasetAgainstEntry } from '../../common/dataset/configHook';
import { ConfigModelCheck, withModelCheck } from '../../common/config/modelCheck';
import { sortDiagnostics } from '../../common/diagnostics';
import { LspClient, fileUri } from './lspClient';

const root = fileURLToPath(new URL('../..', import.meta.url));
/** Every test gets a deadline, so a missing notification fails the test instead of hanging the run. */
const test = (name: string, fn: () => Promise<void>) => nodeTest(name, { timeout: 120_000 }, fn);
const chatml = join(root, 'common', 'test', 'fixtures', 'chat', 'chatml');
let ws: string;
let client: LspClient;

before(() => {
  if (!existsSync(join(root, 'dist', 'server', 'server.cjs'))) execFileSync(process.execPath, ['scripts/build.mjs', '--quiet'], { cwd: root });
  ws = mkdtempSync(join(tmpdir(), 'tunelab-lsp-'));
  mkdirSync(join(ws, 'data'));
});

after(async () => {
  await client?.stop();
  rmSync(ws, { recursive: true, force: true });
});

async function start(settings: Record<string, unknown> = {}, initializationOptions?: unknown): Promise<LspClient> {
  await client?.stop();
  client = new LspClient({ command: [process.execPath, 'dist/server/server.cjs', '--stdio'], cwd: root, settings: { tunelab: settings } });
  await client.initialize(ws, {}, initializationOptions);
  return client;
}

const CONFIG = `base_model: NousResearch/Meta-Llama-3-8B
adapter: lora
lora_rnak: 8
micro_batch_size: 2
gradient_accumulation_steps: 4
learning_rate: 0.0002
datasets:
  - path: data/missing.jsonl
    type: chat_template
`;

test('initialize announces the features, push diagnostics only', async () => {
  const c = new LspClient({ command: [process.execPath, 'dist/server/server.cjs', '--stdio'], cwd: root });
  try {
    const r = await c.initialize(ws);
    assert.deepEqual(r, {
      capabilities: {
        textDocumentSync: { openClose: true, change: 2 },
        completionProvider: { triggerCharacters: [':', '/', ' '], resolveProvider: true },
        hoverProvider: true,
        codeActionProvider: { codeActionKinds: ['quickfix'] },
        documentSymbolProvider: true,
        codeLensProvider: { resolveProvider: false },
        workspace: { workspaceFolders: { supported: true, changeNotifications: true } },
      },
      serverInfo: { name: 'tunelab', version: '0.1.0' },
    });
  } finally {
    assert.equal(await c.stop(), 0);
  }
});

test('a client that never answers workspace/configuration still gets diagnostics (defaults after 2 s)', async () => {
  const c = new LspClient({ command: [process.execPath, 'dist/server/server.cjs', '--stdio'], cwd: root, settings: null });
  try {
    await c.initialize(ws);
    const uri = fileUri(join(ws, 'silent.yml'));
    await c.open(uri, 'yaml', CONFIG);
    assert.ok((await c.diagnostics(uri, 1)).diagnostics.some((d) => d.code === 'config-unknown-key'));
  } finally {
    c.process.kill();
  }
});

test('didOpen of a config publishes the core\'s diagnostics for that version, unchanged', async () => {
  const c = await start();
  const path = join(ws, 'config.yml');
  const uri = fileUri(path);
  await c.open(uri, 'yaml', CONFIG, 7);
  const published = await c.diagnostics(uri, 7);
  const expected = validateConfig(parseConfig(CONFIG), { configPath: path, workspaceRoots: [ws], fileExists: existsSync, checkDatasetFile: checkDatasetAgainstEntry });
  assert.deepEqual(published, { uri, version: 7, diagnostics: expected });
  assert.deepEqual(
    published.diagnostics.find((d) => d.code === 'config-unknown-key'),
    {
      range: { start: { line: 2, character: 0 }, end: { line: 2, character: 9 } },
      severity: 2,
      code: 'config-unknown-key',
      source: 'tunelab',
      message: "Unknown key 'lora_rnak': did you mean 'lora_r'? Axolotl ignores unknown keys silently.",
      data: { replaceKeyWith: 'lora_r' },
    },
  );
  assert.ok(published.diagnostics.some((d) => d.code === 'config-dataset-path-missing'));
  // Creating the file and editing clears the path error.
  writeFileSync(join(ws, 'data', 'missing.jsonl'), '{"messages":[{"role":"user","content":"Hi"},{"role":"assistant","content":"Hello"}]}\n');
  await c.change(uri, 8, CONFIG.replace('lora_rnak', 'lora_r'));
  const fixed = await c.diagnostics(uri, 8);
  assert.deepEqual(fixed.diagnostics, validateConfig(parseConfig(CONFIG.replace('lora_rnak', 'lora_r')), { configPath: path, workspaceRoots: [ws], fileExists: existsSync, checkDatasetFile: checkDatasetAgainstEntry }));
  assert.equal(fixed.diagnostics.some((d) => d.code === 'config-dataset-path-missing' || d.code === 'config-unknown-key'), false);
  await c.close(uri);
  assert.deepEqual(await c.diagnostics(uri, undefined, (p) => p.version === undefined), { uri, diagnostics: [] });
  assert.deepEqual(c.published.filter((p) => p.uri === uri), [], 'one publish per version');
});

test('a dataset file created on disk clears the config\'s missing-file error without an edit', async () => {
  const c = await start();
  const path = join(ws, 'watched.yml');
  const uri = fileUri(path);
  const text = CONFIG.replace('data/missing.jsonl', 'data/created-later.jsonl');
  await c.open(uri, 'yaml', text);
  assert.ok((await c.diagnostics(uri, 1)).diagnostics.some((d) => d.code === 'config-dataset-path-missing'));
  writeFileSync(join(ws, 'data', 'created-later.jsonl'), GOOD + '\n');
  await c.connection.sendNotification('workspace/didChangeWatchedFiles', { changes: [{ uri: fileUri(join(ws, 'data', 'created-later.jsonl')), type: 1 }] });
  const again = await c.diagnostics(uri, 1);
  assert.deepEqual(again.diagnostics, validateConfig(parseConfig(text), { configPath: path, workspaceRoots: [ws], fileExists: existsSync, checkDatasetFile: checkDatasetAgainstEntry }));
  assert.equal(again.diagnostics.some((d) => d.code === 'config-dataset-path-missing'), false);
});

test('a burst of edits publishes for the latest version last, never a stale one after it', async () => {
  const c = await start();
  const uri = fileUri(join(ws, 'burst.yml'));
  await c.open(uri, 'yaml', CONFIG, 1);
  await c.diagnostics(uri, 1);
  for (let v = 2; v <= 20; v++) void c.change(uri, v, CONFIG.replace('lora_rnak: 8', `lora_rnak: ${v}`));
  const last = await c.diagnostics(uri, 20);
  assert.equal(last.version, 20);
  // Let anything still in flight arrive, then check nothing older came after version 20.
  await c.request('textDocument/hover', { textDocument: { uri }, position: { line: 0, character: 0 } });
  assert.deepEqual(c.published.filter((p) => p.uri === uri && (p.version ?? 0) > 20), []);
  assert.deepEqual(c.published.filter((p) => p.uri === uri && (p.version ?? 0) < 20), c.published.filter((p) => p.uri === uri && (p.version ?? 0) < 20));
});

test('a local dataset whose content does not match `type:` is flagged at the type line', async () => {
  const c = await start();
  writeFileSync(join(ws, 'data', 'messages.jsonl'), '{"messages":[{"role":"user","content":"Hi"},{"role":"assistant","content":"Hello"}]}\n');
  const path = join(ws, 'mismatch.yml');
  const uri = fileUri(path);
  const text = CONFIG.replace('lora_rnak', 'lora_r').replace('data/missing.jsonl\n    type: chat_template', 'data/messages.jsonl\n    type: alpaca');
  await c.open(uri, 'yaml', text);
  const d = await c.diagnostics(uri, 1);
  const expected = validateConfig(parseConfig(text), { configPath: path, workspaceRoots: [ws], fileExists: existsSync, checkDatasetFile: checkDatasetAgainstEntry });
  assert.deepEqual(d.diagnostics, expected);
  const mismatch = d.diagnostics.filter((x) => x.range.start.line === 8);
  assert.equal(mismatch.length, 1, JSON.stringify(d.diagnostics));
  assert.equal(mismatch[0]!.severity, 1);
  assert.deepEqual(mismatch[0]!.range, { start: { line: 8, character: 10 }, end: { line: 8, character: 16 } });
});

test('a local base_model folder is checked once its tokenizer loads: the never-stops trap appears without an edit', async () => {
  const c = await start();
  // The ChatML fixture with a base model's EOS: turns end with <|im_end|>, which is then never trained.
  const modelDir = join(ws, 'base-chatml');
  cpSync(chatml, modelDir, { recursive: true });
  const tc = join(modelDir, 'tokenizer_config.json');
  writeFileSync(tc, JSON.stringify({ ...(JSON.parse(readFileSync(tc, 'utf8')) as object), eos_token: '<|endoftext|>' }));
  writeFileSync(join(ws, 'data', 'chat.jsonl'), GOOD + '\n');
  const path = join(ws, 'model-aware.yml');
  const uri = fileUri(path);
  const text = CONFIG.replace('NousResearch/Meta-Llama-3-8B', './base-chatml').replace('lora_rnak', 'lora_r').replace('data/missing.jsonl\n    type: chat_template', 'data/chat.jsonl\n    type: chat_template\n    chat_template: chatml');
  await c.open(uri, 'yaml', text);
  const published = await c.diagnostics(uri, 1, (p) => p.version === 1 && p.diagnostics.some((d) => String(d.code).startsWith('mask-')));
  const doc = parseConfig(text);
  const env = await withModelCheck(doc, { configPath: path, workspaceRoots: [ws], fileExists: existsSync, checkDatasetFile: checkDatasetAgainstEntry }, new ConfigModelCheck());
  const expected = validateConfig(doc, env);
  assert.deepEqual(published.diagnostics, expected);
  assert.deepEqual(
    expected.filter((d) => String(d.code).startsWith('mask-')).map((d) => [d.code, d.range.start.line]),
    [
      ['mask-eos-not-in-template', 9],
      ['mask-turn-end-not-trained', 9],
    ],
  );
});

test('YAML that is not a config gets nothing; a tunelab.configFiles glob makes it one', async () => {
  let c = await start();
  const other = fileUri(join(ws, 'docker-compose.yml'));
  const text = 'services:\n  web:\n    image: nginx\n';
  await c.open(other, 'yaml', text);
  const marker = fileUri(join(ws, 'marker.yml'));
  await c.open(marker, 'yaml', CONFIG);
  await c.diagnostics(marker, 1);
  assert.deepEqual(await c.request('textDocument/completion', { textDocument: { uri: other }, position: { line: 1, character: 2 } }), null);
  assert.deepEqual(await c.request('textDocument/hover', { textDocument: { uri: other }, position: { line: 0, character: 2 } }), null);
  assert.deepEqual(c.published.filter((p) => p.uri === other), []);
  c = await start({ configFiles: ['docker-*.yml'] });
  await c.open(other, 'yaml', text);
  const d = await c.diagnostics(other, 1);
  assert.deepEqual(d.diagnostics, validateConfig(parseConfig(text), { configPath: join(ws, 'docker-compose.yml'), workspaceRoots: [ws], fileExists: existsSync, checkDatasetFile: checkDatasetAgainstEntry }));
  assert.ok(d.diagnostics.some((x) => x.code === 'config-missing-key'));
});

test('a config that forgot base_model and learning_rate is recognised by its Axolotl keys: both are errors at the start', async () => {
  const c = await start();
  const uri = fileUri(join(ws, 'forgot.yml'));
  const text = 'datasets:\n  - path: org/data\n    type: alpaca\nsequence_len: 512\nmicro_batch_size: 2\ngradient_accumulation_steps: 1\n';
  await c.open(uri, 'yaml', text);
  const d = await c.diagnostics(uri, 1);
  assert.deepEqual(d.diagnostics, validateConfig(parseConfig(text), { configPath: join(ws, 'forgot.yml'), workspaceRoots: [ws], fileExists: existsSync, checkDatasetFile: checkDatasetAgainstEntry }));
  assert.deepEqual(
    d.diagnostics.map((x) => [x.severity, x.code, x.range.start.line, x.range.start.character, x.message]),
    [
      [1, 'config-missing-key', 0, 0, "Missing required key 'base_model': the model to fine-tune (a Hub id or a local folder)."],
      [1, 'config-missing-key', 0, 0, "Missing required key 'learning_rate' (e.g. 2e-4 for LoRA, 1e-5 for full fine-tuning)."],
    ],
  );
});

test('completion and hover over the wire', async () => {
  const c = await start();
  const uri = fileUri(join(ws, 'complete.yml'));
  await c.open(uri, 'yaml', 'base_model: m\nadapter: \n');
  const list = await c.request<{ isIncomplete: boolean; itemDefaults: unknown; items: { label: string; textEditText: string }[] }>('textDocument/completion', { textDocument: { uri }, position: { line: 1, character: 9 } });
  assert.equal(list.isIncomplete, false);
  assert.deepEqual(list.items.map((i) => i.label), valuesFor(['adapter']).map((v) => v.value));
  // The client announced itemDefaults: the shared range is sent once.
  assert.deepEqual(list.itemDefaults, { editRange: { start: { line: 1, character: 9 }, end: { line: 1, character: 9 } } });
  assert.equal(list.items[0]!.textEditText, 'lora');
  const keys = await c.request<{ items: { label: string; data: unknown }[] }>('textDocument/completion', { textDocument: { uri }, position: { line: 2, character: 0 } });
  const lr = keys.items.find((i) => i.label === 'learning_rate')!;
  const resolved = await c.request<{ documentation: { kind: string; value: string } }>('completionItem/resolve', lr);
  assert.equal(resolved.documentation.kind, 'markdown');
  assert.ok(resolved.documentation.value.includes(keySpec(['learning_rate'])!.doc));
  const hover = await c.request<{ contents: { kind: string; value: string }; range: unknown }>('textDocument/hover', { textDocument: { uri }, position: { line: 1, character: 3 } });
  assert.deepEqual(hover.range, { start: { line: 1, character: 0 }, end: { line: 1, character: 7 } });
  assert.equal(hover.contents.kind, 'markdown');
  assert.ok(hover.contents.value.startsWith('**adapter** · `str`'), hover.contents.value);
  assert.ok(hover.contents.value.includes(keySpec(['adapter'])!.doc));
});

test('code lenses: the estimate and Train on the first key; symbols; a quick fix round trip', async () => {
  const c = await start();
  const uri = fileUri(join(ws, 'lens.yml'));
  await c.open(uri, 'yaml', '# my run\n' + CONFIG);
  const diags = await c.diagnostics(uri, 1);
  const lenses = await c.request<{ range: unknown; command: { title: string; command: string; arguments: unknown[] } }[]>('textDocument/codeLens', { textDocument: { uri } });
  assert.deepEqual(lenses.map((l) => [l.range, l.command.command]), [
    [{ start: { line: 1, character: 0 }, end: { line: 1, character: 0 } }, 'tunelab.showEstimate'],
    [{ start: { line: 1, character: 0 }, end: { line: 1, character: 0 } }, 'tunelab.train'],
  ]);
  assert.match(lenses[0]!.command.title, /^≈ \d+(\.\d+)? GiB per GPU · LoRA · [\d.]+ [KMB] trainable \([\d.<]+ %\)$/);
  assert.deepEqual(lenses[1]!.command, { title: '▷ Train', command: 'tunelab.train', arguments: [uri] });
  // The lens carries the same estimate that tunelab/estimate answers.
  assert.deepEqual(lenses[0]!.command.arguments, [uri, await c.request('tunelab/estimate', { uri })]);
  const eight = await c.request<{ ok: boolean; fits: boolean | null; perGpu: number }>('tunelab/estimate', { uri, gpuMemoryGb: 8 });
  assert.deepEqual([eight.ok, eight.fits], [true, eight.perGpu <= 8 * 2 ** 30]);
  assert.equal(await c.request('tunelab/estimate', { uri: fileUri(join(ws, 'not-open.yml')) }), null);
  const symbols = await c.request<{ name: string }[]>('textDocument/documentSymbol', { textDocument: { uri } });
  assert.deepEqual(symbols.map((s) => s.name), ['base_model', 'adapter', 'lora_rnak', 'micro_batch_size', 'gradient_accumulation_steps', 'learning_rate', 'datasets']);
  const unknown = diags.diagnostics.find((d) => d.code === 'config-unknown-key')!;
  // Clients that drop `data` still get the fix: the server remembers what it published.
  const { data: _dropped, ...withoutData } = unknown;
  const actions = await c.request<{ title: string; edit: unknown }[]>('textDocument/codeAction', { textDocument: { uri }, range: unknown.range, context: { diagnostics: [withoutData] } });
  assert.deepEqual(actions, [
    { title: "Rename to 'lora_r'", kind: 'quickfix', diagnostics: [unknown], edit: { changes: { [uri]: [{ range: unknown.range, newText: 'lora_r' }] } }, isPreferred: true },
  ]);
});

test('over the GPU memory setting: a memory-exceeds-gpu warning with fixes', async () => {
  const c = await start({ gpuMemoryGb: 8 });
  const uri = fileUri(join(ws, 'big.yml'));
  await c.open(uri, 'yaml', CONFIG.replace('adapter: lora\n', ''));
  const d = await c.diagnostics(uri, 1);
  const over = d.diagnostics.filter((x) => x.code === 'memory-exceeds-gpu');
  assert.equal(over.length, 1);
  assert.equal(over[0]!.severity, 2);
  assert.deepEqual(over[0]!.range, { start: { line: 0, character: 0 }, end: { line: 0, character: 10 } });
  const actions = await c.request<{ title: string }[]>('textDocument/codeAction', { textDocument: { uri }, range: over[0]!.range, context: { diagnostics: over } });
  assert.ok(actions.length > 0 && actions.every((a) => a.title.startsWith('Make it fit: ')), JSON.stringify(actions.map((a) => a.title)));
});

test('a binary file opened as a YAML config or a dataset gets one clear diagnostic', async () => {
  const c = await start();
  const uri = fileUri(join(ws, 'weights.yaml'));
  await c.open(uri, 'yaml', 'base_model: x\n\u0000\u0001\u0002garbage');
  const d = await c.diagnostics(uri, 1);
  assert.deepEqual(d.diagnostics.map((x) => x.code), ['config-binary']);
  const data = fileUri(join(ws, 'data', 'weights.jsonl'));
  await c.open(data, 'jsonl', '{"messages": []}\n\u0000\u0000\u0007binary');
  assert.deepEqual((await c.diagnostics(data, 1)).diagnostics, [
    {
      range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } },
      severity: 1,
      code: 'dataset-binary',
      source: 'tunelab',
      message: 'This file holds binary data (a NUL byte near the start), not JSON Lines or JSON text: it cannot be checked as a dataset.',
    },
  ]);
});

const GOOD = '{"messages":[{"role":"user","content":"Hi"},{"role":"assistant","content":"Hello!"}]}';
const DATASET = [GOOD, '{"messages":[{"role":"usr","content":"Hi"},{"role":"assistant","content":"Yo"}]}', 'not json', ...Array.from({ length: 6 }, (_, i) => `{"messages":[{"role":"user","content":"q${i}"}]}`)].join('\n') + '\n';

test('a dataset no config points at: the validator\'s diagnostics, capped with one summary for the rest', async () => {
  const path = join(ws, 'data', 'loose.jsonl');
  const c = await start({ maxDiagnostics: 4 });
  const uri = fileUri(path);
  await c.open(uri, 'jsonl', DATASET);
  const d = await c.diagnostics(uri, 1);
  const v = new DatasetValidator({ container: 'jsonl', maxDiagnostics: 4 });
  v.push(DATASET);
  const report = v.end();
  // The validator caps and summarises; the server publishes exactly that, in document order.
  assert.ok(report.summary.omittedDiagnostics > 0);
  assert.deepEqual(d.diagnostics, sortDiagnostics([...report.diagnostics]));
  assert.equal(d.diagnostics.filter((x) => x.code === 'dataset-diagnostics-capped').length, 1);
  const lens = await c.request<{ command: { title: string } }[]>('textDocument/codeLens', { textDocument: { uri } });
  assert.equal(lens[0]!.command.title, '9 records · openai · 8 errors, 1 warning (no-assistant ×6, invalid-json ×1, starts-with-assistant ×1) · tokens: no model');
  const role = d.diagnostics.find((x) => x.code === 'dataset-unknown-role')!;
  const actions = await c.request<{ title: string; edit: { changes: Record<string, unknown[]> } }[]>('textDocument/codeAction', { textDocument: { uri }, range: role.range, context: { diagnostics: [role] } });
  assert.deepEqual(actions.map((a) => [a.title, a.edit.changes[uri]]), [["Change role 'usr' to 'user'", [{ range: role.range, newText: '"user"' }]]]);
  const hover = await c.request<{ contents: { value: string } }>('textDocument/hover', { textDocument: { uri }, position: { line: 0, character: 5 } });
  assert.equal(hover.contents.value, '**Record 1** · 2 messages (user → assistant)\n\nNo token counts or loss mask: no model known: open the config that lists this file, or set tunelab.model to a model folder.');
});

test('a dataset a config lists: token counts, record hover and the loss mask with the config\'s model', async () => {
  const path = join(ws, 'data', 'chat.jsonl');
  writeFileSync(path, DATASET);
  const c = await start();
  const cfgUri = fileUri(join(ws, 'train.yml'));
  await c.open(cfgUri, 'yaml', `base_model: ${chatml}\nchat_template: chatml\nlearning_rate: 0.0002\nmicro_batch_size: 1\ngradient_accumulation_steps: 1\ndatasets:\n  - path: data/chat.jsonl\n    type: chat_template\n`);
  await c.diagnostics(cfgUri, 1);
  const uri = fileUri(path);
  await c.open(uri, 'jsonl', DATASET);
  await c.diagnostics(uri, 1);
  const lens = await c.request<{ command: { title: string; command: string; arguments: unknown[] } }[]>('textDocument/codeLens', { textDocument: { uri } });
  assert.equal(lens.length, 1);
  assert.deepEqual([lens[0]!.command.command, lens[0]!.command.arguments], ['tunelab.inspectDataset', [uri]]);
  assert.match(lens[0]!.command.title, /^9 records · chat_template · 8 errors, 1 warning \(no-assistant ×6, invalid-json ×1, starts-with-assistant ×1\) · \d+ tokens · mean \d+ · max \d+$/);
  const summary = await c.request<{ records: number; format: string; configUri: string; done: boolean; tokens: { model: string; records: number } | null }>('tunelab/datasetSummary', { uri });
  assert.deepEqual([summary.records, summary.format, summary.configUri, summary.done, summary.tokens?.model, summary.tokens?.records], [9, 'chat_template', cfgUri, true, chatml, 1]);
  const hover = await c.request<{ contents: { value: string } }>('textDocument/hover', { textDocument: { uri }, position: { line: 0, character: 5 } });
  assert.match(hover.contents.value, /^\*\*Record 1\*\* · \d+ tokens · \d+ trained \([\d.]+ %\) · template chatml · /);
  assert.ok(hover.contents.value.includes('⟦Hello!'), hover.contents.value);
  const mask = await c.request<{ ok: boolean; tokens: { text: string; trained: boolean }[]; text: string }>('tunelab/lossMask', { uri, record: 0 });
  assert.equal(mask.ok, true);
  assert.equal(mask.tokens.map((t) => t.text).join(''), mask.text);
  assert.ok(mask.tokens.filter((t) => t.trained).map((t) => t.text).join('').startsWith('Hello!'));
  assert.deepEqual(await c.request('tunelab/lossMask', { uri, record: 2 }), { ok: false, record: 2, reason: 'record 3 has errors (see the diagnostics)' });
});

test('a JSON array dataset: hover and the loss mask find the record around the cursor; lenses are refreshed when the check ends', async () => {
  const records = [
    { instruction: 'Say hi', input: '', output: 'Hi!' },
    { instruction: 'Add the numbers', input: '2 and 3', output: 'The sum is 5.' },
  ];
  const text = JSON.stringify(records, null, 2) + '\n';
  const path = join(ws, 'data', 'alpaca.json');
  writeFileSync(path, text);
  const c = await start({ model: chatml });
  const uri = fileUri(path);
  await c.open(uri, 'json', text);
  await c.diagnostics(uri, 1);
  const lines = text.split('\n');
  const onSecond = lines.findIndex((l) => l.includes('Add the numbers'));
  const hover = await c.request<{ contents: { value: string } }>('textDocument/hover', { textDocument: { uri }, position: { line: onSecond, character: 8 } });
  assert.match(hover.contents.value, /^\*\*Record 2\*\* · \d+ tokens · \d+ trained/);
  assert.ok(hover.contents.value.includes('⟦The sum is 5.'), hover.contents.value);
  const mask = await c.request<{ ok: boolean; line: number; tokens: { text: string; trained: boolean }[] }>('tunelab/lossMask', { uri, record: 1 });
  assert.deepEqual([mask.ok, mask.line], [true, lines.findIndex((l, i) => i > 0 && l.trim() === '{' && i > lines.findIndex((x) => x.includes('Say hi')))]);
  assert.ok(mask.tokens.filter((t) => t.trained).map((t) => t.text).join('').startsWith('The sum is 5.'));
  assert.equal(c.lensRefreshes >= 1, true);
});

test('a config opened after its dataset: the dataset is checked again with the config', async () => {
  const path = join(ws, 'data', 'later.jsonl');
  writeFileSync(path, DATASET);
  const c = await start();
  const uri = fileUri(path);
  await c.open(uri, 'jsonl', DATASET);
  await c.diagnostics(uri, 1);
  const before = await c.request<{ configUri: string | null; tokens: unknown }>('tunelab/datasetSummary', { uri });
  assert.deepEqual([before.configUri, before.tokens], [null, null]);
  const cfgUri = fileUri(join(ws, 'later.yml'));
  await c.open(cfgUri, 'yaml', `base_model: ${chatml}\nchat_template: chatml\ndatasets:\n  - path: data/later.jsonl\n    type: chat_template\n`);
  await c.diagnostics(cfgUri, 1);
  await c.diagnostics(uri, 1);
  const after = await c.request<{ configUri: string | null; tokens: { model: string } | null }>('tunelab/datasetSummary', { uri });
  assert.deepEqual([after.configUri, after.tokens?.model], [cfgUri, chatml]);
});

test('a settings change (tunelab.model) checks open datasets again', async () => {
  const c = await start();
  const uri = fileUri(join(ws, 'data', 'settings.jsonl'));
  await c.open(uri, 'jsonl', GOOD + '\n');
  await c.diagnostics(uri, 1);
  assert.equal((await c.request<{ tokens: unknown }>('tunelab/datasetSummary', { uri })).tokens, null);
  c.options.settings!.tunelab = { model: chatml };
  await c.connection.sendNotification('workspace/didChangeConfiguration', { settings: { tunelab: { model: chatml } } });
  await c.diagnostics(uri, 1);
  const after = await c.request<{ tokens: { model: string; records: number } | null }>('tunelab/datasetSummary', { uri });
  assert.deepEqual([after.tokens?.model, after.tokens?.records], [chatml, 1]);
});

test('in an untrusted workspace no chat template runs: no token counts, no loss mask', async () => {
  const c = await start({ model: chatml }, { trusted: false });
  const uri = fileUri(join(ws, 'data', 'untrusted.jsonl'));
  await c.open(uri, 'jsonl', GOOD + '\n');
  await c.diagnostics(uri, 1);
  const reason = "this workspace is not trusted, and counting tokens runs the model's chat template";
  const hover = await c.request<{ contents: { value: string } }>('textDocument/hover', { textDocument: { uri }, position: { line: 0, character: 1 } });
  assert.equal(hover.contents.value, `**Record 1** · 2 messages (user → assistant)\n\nNo token counts or loss mask: ${reason}.`);
  assert.deepEqual(await c.request('tunelab/lossMask', { uri, record: 0, model: chatml }), { ok: false, record: 0, reason });
  // With trust (and the tunelab.model setting) the same record gets its mask.
  const t = await start({ model: chatml }, { trusted: true });
  await t.open(uri, 'jsonl', GOOD + '\n');
  await t.diagnostics(uri, 1);
  const mask = await t.request<{ ok: boolean; model: string }>('tunelab/lossMask', { uri, record: 0 });
  assert.deepEqual([mask.ok, mask.model], [true, chatml]);
});

test('a large JSONL is checked in slices: other requests are answered while it runs', async () => {
  const c = await start();
  const cfg = fileUri(join(ws, 'side.yml'));
  await c.open(cfg, 'yaml', 'base_model: m\nadapter: \n');
  await c.diagnostics(cfg, 1);
  const rec = '{"messages":[{"role":"user","content":"What is the capital of France? Please answer briefly."},{"role":"assistant","content":"Paris is the capital of France."}]}\n';
  const big = rec.repeat(Math.ceil((40 * 1024 * 1024) / rec.length));
  const uri = fileUri(join(ws, 'data', 'big.jsonl'));
  const progress = new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      if (c.notifications.some((n) => n.method === 'tunelab/datasetProgress' && (n.params as { uri: string; done: boolean }).uri === uri)) {
        clearInterval(timer);
        resolve();
      }
    }, 5);
  });
  await c.open(uri, 'jsonl', big);
  await progress;
  const first = c.notifications.find((n) => n.method === 'tunelab/datasetProgress' && (n.params as { uri: string }).uri === uri)!.params as { done: boolean };
  if (first.done) return; // the machine checked 40 MB before the first progress tick: nothing to interleave
  const answer = await c.request<{ items: unknown[] }>('textDocument/completion', { textDocument: { uri: cfg }, position: { line: 1, character: 9 } });
  assert.deepEqual(answer.items.length, valuesFor(['adapter']).length);
  const doneYet = c.notifications.some((n) => n.method === 'tunelab/datasetProgress' && (n.params as { uri: string; done: boolean }).uri === uri && (n.params as { done: boolean }).done);
  assert.equal(doneYet, false, 'completion waited for the whole file');
  // A record beyond what has been checked still gets its hover (the line is the record).
  const lastLine = big.split('\n').length - 2;
  const hover = await c.request<{ contents: { value: string } } | null>('textDocument/hover', { textDocument: { uri }, position: { line: lastLine, character: 3 } });
  assert.match(hover!.contents.value, new RegExp(`^\\*\\*Record (on line ${lastLine + 1}|${lastLine + 1})\\*\\* · 2 messages \\(user → assistant\\)`));
  const d = await c.diagnostics(uri, 1);
  assert.deepEqual(d.diagnostics.filter((x) => x.code !== 'dataset-duplicate' && x.code !== 'dataset-diagnostics-capped').map((x) => x.code), []);
});

test('`tunelab lsp --stdio` runs the same server; without a transport it is a usage error', async () => {
  const c = new LspClient({ command: [process.execPath, 'bin/tunelab.js', 'lsp', '--stdio'], cwd: root });
  const r = await c.initialize(ws);
  assert.deepEqual(r.serverInfo, { name: 'tunelab', version: '0.1.0' });
  const uri = fileUri(join(ws, 'cli.yml'));
  await c.open(uri, 'yaml', CONFIG);
  assert.ok((await c.diagnostics(uri, 1)).diagnostics.some((d) => d.code === 'config-unknown-key'));
  assert.equal(await c.stop(), 0);
  const bad = spawnSync(process.execPath, ['bin/tunelab.js', 'lsp'], { cwd: root, encoding: 'utf8' });
  assert.equal(bad.status, 2);
  assert.equal(bad.stderr, 'tunelab lsp: choose a transport: --stdio (or --node-ipc, --socket=PORT)\n');
});
