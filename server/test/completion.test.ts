import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CompletionItem } from 'vscode-languageserver-types';
import { keySpec, keysAt, loraTargetModules, parseConfig, valuesFor } from '../../common/config/index';
import { configCompletion, resolveCompletion, type CompletionEnv } from '../services/configCompletion';
import { keyMarkdown } from '../services/markdown';
import { compactCompletionList } from '../services/completionList';
import { applyEdits, withCursor } from './fixtures';

const noFs: CompletionEnv = { snippets: true, workspaceRoots: [], listDir: () => null };

function complete(marked: string, env: CompletionEnv = noFs) {
  const f = withCursor(marked);
  const list = configCompletion(f.doc, parseConfig(f.text), f.position, env);
  return { ...f, list };
}

/** The text after accepting `label` (snippet placeholders left as written). */
function accept(marked: string, label: string, env: CompletionEnv = noFs): string {
  const r = complete(marked, env);
  const item = r.list.items.find((i) => i.label === label);
  assert.ok(item, `no item ${label} in ${r.list.items.map((i) => i.label).join(', ')}`);
  const edit = item.textEdit as { range: never; newText: string };
  return applyEdits(r.doc, [{ range: edit.range, newText: edit.newText }]);
}

const labels = (items: CompletionItem[]) => items.map((i) => i.label);

test('enum values after `adapter: ` are the allowed values, with their docs', () => {
  const r = complete('base_model: meta-llama/Llama-3.1-8B\nadapter: |\n');
  assert.deepEqual(labels(r.list.items), valuesFor(['adapter']).map((v) => v.value));
  const lora = r.list.items.find((i) => i.label === 'lora')!;
  assert.deepEqual(lora.documentation, { kind: 'markdown', value: valuesFor(['adapter']).find((v) => v.value === 'lora')!.doc });
  assert.equal(accept('base_model: m\nadapter: |\n', 'qlora'), 'base_model: m\nadapter: qlora\n');
});

test('a value typed right after the colon gets its separating space', () => {
  assert.equal(accept('base_model: m\nadapter:|\n', 'lora'), 'base_model: m\nadapter: lora\n');
});

test('a partly typed value is replaced, not appended to', () => {
  assert.equal(accept('base_model: m\nadapter: ql|\n', 'qlora'), 'base_model: m\nadapter: qlora\n');
});

test('booleans complete to true and false', () => {
  const r = complete('base_model: m\nload_in_4bit: |\n');
  assert.deepEqual(labels(r.list.items), ['true', 'false']);
});

test('lora_target_modules offers the architecture\'s module names, minus those listed', () => {
  const r = complete('base_model: meta-llama/Llama-3.1-8B\nlora_target_modules:\n  - q_proj\n  - |\n');
  const all = loraTargetModules('meta-llama/Llama-3.1-8B');
  assert.deepEqual(labels(r.list.items), all.filter((m) => m !== 'q_proj'));
  assert.equal(
    accept('base_model: meta-llama/Llama-3.1-8B\nlora_target_modules:\n  - q_proj\n  - |\n', 'v_proj'),
    'base_model: meta-llama/Llama-3.1-8B\nlora_target_modules:\n  - q_proj\n  - v_proj\n',
  );
});

test('top-level keys: every key of the schema not already present, required ones first, snippets for blocks', () => {
  const r = complete('base_model: m\n|\n');
  // Keys of plugins count only when the plugin is listed; none is here.
  const expected = keysAt([], parseConfig('base_model: m\n')).map((s) => s.key).filter((k) => k !== 'base_model');
  assert.ok(keysAt([]).length > expected.length + 1);
  assert.deepEqual(new Set(labels(r.list.items)), new Set(expected));
  assert.equal(r.list.items.length, expected.length);
  const first = [...r.list.items].sort((a, b) => (a.sortText! < b.sortText! ? -1 : 1))[0]!;
  assert.equal(keysAt([]).find((s) => s.key === first.label)?.required, true);
  // `datasets:` inserts the config core's snippet for a whole entry.
  const datasets = r.list.items.find((i) => i.label === 'datasets')!;
  assert.equal(datasets.insertTextFormat, 2);
  assert.equal((datasets.textEdit as { newText: string }).newText, keysAt([]).find((s) => s.key === 'datasets')!.snippet);
  assert.equal(datasets.kind, 10);
});

test('without snippet support a key inserts plain `key: `', () => {
  const text = accept('base_model: m\nlearning_r|\n', 'learning_rate', { ...noFs, snippets: false });
  assert.equal(text, 'base_model: m\nlearning_rate: \n');
});

test('keys inside a datasets entry are the entry\'s keys', () => {
  const r = complete('base_model: m\ndatasets:\n  - path: x\n    |\n');
  const expected = keysAt(['datasets', 0]).map((s) => s.key).filter((k) => k !== 'path');
  assert.deepEqual(new Set(labels(r.list.items)), new Set(expected));
});

test('renaming a key in place replaces only its name', () => {
  assert.equal(accept('base_model: m\nlora_rn|: 8\n', 'lora_r'), 'base_model: m\nlora_r: 8\n');
});

test('nothing is offered inside a comment', () => {
  assert.deepEqual(complete('base_model: m\n# adapter: |\n').list.items, []);
});

test('dataset paths: folders and dataset files relative to the config folder, hidden and other files left out', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tunelab-complete-'));
  try {
    mkdirSync(join(dir, 'data', 'more'), { recursive: true });
    writeFileSync(join(dir, 'data', 'train.jsonl'), '{}\n');
    writeFileSync(join(dir, 'data', 'eval.parquet'), '');
    writeFileSync(join(dir, 'data', 'notes.md'), '');
    writeFileSync(join(dir, 'data', '.cache.jsonl'), '');
    const env: CompletionEnv = {
      snippets: true,
      configDir: dir,
      workspaceRoots: [],
      listDir: (d) => {
        try {
          return readdirSync(d, { withFileTypes: true }).map((e) => ({ name: e.name, isDirectory: e.isDirectory() }));
        } catch {
          return null;
        }
      },
    };
    const r = complete('base_model: m\ndatasets:\n  - path: data/|\n', env);
    assert.deepEqual(
      r.list.items.map((i) => [i.label, i.kind, i.detail]),
      [
        ['eval.parquet', 17, 'local dataset file'],
        ['more/', 19, 'folder'],
        ['train.jsonl', 17, 'local dataset file'],
      ].sort((a, b) => (a[0]! < b[0]! ? -1 : 1)),
    );
    assert.equal(accept('base_model: m\ndatasets:\n  - path: data/tr|\n', 'train.jsonl', env), 'base_model: m\ndatasets:\n  - path: data/train.jsonl\n');
    // Folders re-open the list so the user can go on typing the path.
    assert.deepEqual(r.list.items.find((i) => i.label === 'more/')!.command, { title: 'list folder', command: 'editor.action.triggerSuggest' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('key documentation comes with completionItem/resolve, not in the list', () => {
  const r = complete('base_model: m\nlora_al|\n');
  const item = r.list.items.find((i) => i.label === 'lora_alpha')!;
  assert.equal(item.documentation, undefined);
  assert.deepEqual(item.data, { tunelab: 'key', path: ['lora_alpha'] });
  const resolved = resolveCompletion({ ...item });
  assert.deepEqual(resolved.documentation, { kind: 'markdown', value: keyMarkdown(keySpec(['lora_alpha'])!, { title: false, maxValues: 12 }) });
  assert.ok((resolved.documentation as { value: string }).value.includes(keySpec(['lora_alpha'])!.doc));
  // Items that are not keys come back untouched.
  const value = { label: 'lora', data: undefined };
  assert.deepEqual(resolveCompletion(value), { label: 'lora', data: undefined });
});

test('itemDefaults: the shared range and snippet format are sent once when the client supports them', () => {
  const r = complete('base_model: m\n|\n');
  const compact = compactCompletionList(r.list, ['editRange', 'insertTextFormat']);
  const range = { start: { line: 1, character: 0 }, end: { line: 1, character: 0 } };
  assert.deepEqual(compact.itemDefaults, { editRange: range, insertTextFormat: 2 });
  assert.equal(compact.items.length, r.list.items.length);
  compact.items.forEach((item, i) => {
    const { textEdit, insertTextFormat: _f, ...rest } = r.list.items[i]!;
    assert.deepEqual(item, { ...rest, textEditText: (textEdit as { newText: string }).newText });
  });
  // Without the capability the list is left as it is.
  assert.equal(compactCompletionList(r.list, []).items, r.list.items);
});
