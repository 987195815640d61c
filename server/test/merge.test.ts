/**
 * Protocol test for mergekit configs: the built server over stdio publishes the merge core's
 * diagnostics unchanged (local model folders included), completes method names and parameters,
 * hovers methods, and offers the quick fix for a misspelt method.
 */
import { after, before, test as nodeTest } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CodeAction, CompletionList, Hover, MarkupContent } from 'vscode-languageserver-types';
import { parseConfig } from '../../common/config/index';
import { validateMergeConfig } from '../../common/merge/index';
import { LspClient, fileUri } from './lspClient';

const root = fileURLToPath(new URL('../..', import.meta.url));
const test = (name: string, fn: () => Promise<void>) => nodeTest(name, { timeout: 120_000 }, fn);
let ws: string;
let client: LspClient;

before(async () => {
  if (!existsSync(join(root, 'dist', 'server', 'server.cjs'))) execFileSync(process.execPath, ['scripts/build.mjs', '--quiet'], { cwd: root });
  ws = mkdtempSync(join(tmpdir(), 'tunelab-lsp-merge-'));
  cpSync(join(root, 'trainer', 'test', 'fixtures', 'llama-tiny'), join(ws, 'llama-tiny'), { recursive: true });
  cpSync(join(root, 'trainer', 'test', 'fixtures', 'gpt2-tiny'), join(ws, 'gpt2-tiny'), { recursive: true });
  client = new LspClient({ command: [process.execPath, 'dist/server/server.cjs', '--stdio'], cwd: root, settings: { tunelab: {} } });
  await client.initialize(ws, {});
});

after(async () => {
  await client?.stop();
  rmSync(ws, { recursive: true, force: true });
});

const TEXT = `merge_method: tie
base_model: ./llama-tiny
models:
  - model: ./gpt2-tiny
    parameters:
      weight: 1
      density: 1.5
dtype: bfloat16
`;

test('a mergekit config gets the merge core’s diagnostics, local folders included', async () => {
  const path = join(ws, 'merge.yml');
  writeFileSync(path, TEXT);
  const uri = fileUri(path);
  await client.open(uri, 'yaml', TEXT, 3);
  const published = await client.diagnostics(uri, 3);
  const expected = validateMergeConfig(parseConfig(TEXT), { configPath: path, workspaceRoots: [ws], fs: { exists: existsSync, readJson: (p) => (existsSync(p) ? (JSON.parse(readFileSync(p, 'utf8')) as unknown) : undefined) } });
  assert.deepEqual(published.diagnostics, expected);
  assert.deepEqual(published.diagnostics.map((d) => [d.code, d.range.start.line, d.range.start.character]), [
    ['merge-method-unknown', 0, 14],
    ['merge-model-mismatch', 3, 11],
    ['merge-param-range', 6, 15],
  ]);

  const actions = await client.request<CodeAction[]>('textDocument/codeAction', { textDocument: { uri }, range: published.diagnostics[0].range, context: { diagnostics: [published.diagnostics[0]] } });
  assert.deepEqual(actions.map((a) => a.edit?.changes?.[uri]?.[0]?.newText), ['ties']);

  const fixed = TEXT.replace('tie\n', 'ties\n').replace('./gpt2-tiny', './llama-tiny+./llama-tiny/adapter').replace('1.5', '0.5');
  await client.change(uri, 4, fixed);
  assert.deepEqual((await client.diagnostics(uri, 4)).diagnostics, []);
});

test('completion of methods and parameters, hover of a method', async () => {
  const uri = fileUri(join(ws, 'typing.yml'));
  const text = 'merge_method: dare_linear\nbase_model: a\nmodels:\n  - model: b\n    parameters:\n      \n';
  await client.open(uri, 'yaml', text, 1);
  await client.diagnostics(uri, 1);
  const params = await client.request<CompletionList>('textDocument/completion', { textDocument: { uri }, position: { line: 5, character: 6 } });
  assert.deepEqual(params.items.map((i) => i.label), ['weight', 'density']);
  const methods = await client.request<CompletionList>('textDocument/completion', { textDocument: { uri }, position: { line: 0, character: 14 } });
  assert.equal(methods.items.length, 20);
  const hover = await client.request<Hover>('textDocument/hover', { textDocument: { uri }, position: { line: 0, character: 18 } });
  assert.match((hover.contents as MarkupContent).value, /^\*\*Linear DARE\*\* \(`dare_linear`\)/);
});
