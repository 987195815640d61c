/**
 * Completion in a config: keys (with documentation, and snippets for nested blocks such as a
 * `datasets:` entry), enumeration values, `lora_target_modules` names for the base model's
 * architecture, and local dataset paths. Pure: the directory listing comes in through the env.
 */
import type { CompletionItem, CompletionList, Position, Range } from 'vscode-languageserver-types';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { keySpec, keysAt, loraTargetModules, nodeAt, valuesFor } from '../../common/config/index';
import type { ConfigDocument, KeySpec, NodePath, ValueType } from '../../common/config/types';
import { keyMarkdown } from './markdown';
import { pathCompletions, type PathCompletionEnv } from './pathCompletion';

export interface CompletionEnv extends PathCompletionEnv {
  /** The client inserts snippets (`${1:...}` placeholders). */
  snippets: boolean;
}

const PROPERTY = 10;
const VALUE = 12;
const ENUM_MEMBER = 20;
const MODULE = 9;
const SNIPPET_FORMAT = 2;

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The plain value at a path of the parsed config. */
function valueAt(root: unknown, path: NodePath): unknown {
  let v = root;
  for (const seg of path) {
    if (typeof seg === 'number') v = Array.isArray(v) ? v[seg] : undefined;
    else v = isRecord(v) ? v[seg] : undefined;
    if (v === undefined) return undefined;
  }
  return v;
}

/** Paths whose values are local (or hub) dataset locations. */
function isDatasetPath(path: NodePath): boolean {
  const last = path[path.length - 1];
  const list = path[0];
  return last === 'path' && typeof path[1] === 'number' && (list === 'datasets' || list === 'test_datasets' || list === 'pretraining_dataset');
}

function kinds(t: ValueType): ValueType[] {
  return t.kind === 'union' ? t.of.flatMap(kinds) : [t];
}

/** What to insert after `key:` when the key has no snippet of its own. */
function keySnippet(spec: KeySpec, snippets: boolean): { text: string; snippet: boolean } {
  if (spec.snippet && snippets) return { text: spec.snippet, snippet: true };
  const ks = kinds(spec.type);
  const name = spec.key;
  if (!snippets) {
    const nested = ks.some((k) => k.kind === 'object' || k.kind === 'dict' || k.kind === 'list');
    return { text: nested ? `${name}:\n  ` : `${name}: `, snippet: false };
  }
  if (ks.length === 1 && ks[0]!.kind === 'list') {
    const item = ks[0]!.items;
    return { text: item.kind === 'object' ? `${name}:\n  - $0` : `${name}:\n  - $0`, snippet: true };
  }
  if (ks.length === 1 && (ks[0]!.kind === 'object' || ks[0]!.kind === 'dict')) return { text: `${name}:\n  $0`, snippet: true };
  const values = spec.values?.map((v) => v.value).filter((v) => !/[,|$}\\]/.test(v)) ?? [];
  if (ks.every((k) => k.kind === 'bool')) return { text: `${name}: \${1|true,false|}`, snippet: true };
  if (values.length > 0 && values.length <= 12) return { text: `${name}: \${1|${values.join(',')}|}`, snippet: true };
  return { text: `${name}: $0`, snippet: true };
}

function keyItems(doc: TextDocument, cfg: ConfigDocument, parentPath: NodePath, range: Range, typedKey: string, env: CompletionEnv): CompletionItem[] {
  const present = valueAt(cfg.value, parentPath);
  const existing = new Set(isRecord(present) ? Object.keys(present) : []);
  // A key being renamed in place keeps its `: value`; only the name is replaced then.
  const lineEnd = doc.getText({ start: range.end, end: { line: range.end.line, character: Number.MAX_SAFE_INTEGER } });
  const renaming = /^\s*:/.test(lineEnd);
  const items: CompletionItem[] = [];
  for (const spec of keysAt(parentPath, cfg)) {
    if (existing.has(spec.key) && spec.key !== typedKey) continue;
    if (spec.deprecated?.status === 'removed') continue;
    const insert = renaming ? { text: spec.key, snippet: false } : keySnippet(spec, env.snippets);
    const item: CompletionItem = {
      label: spec.key,
      kind: PROPERTY,
      detail: spec.typeText,
      // The documentation is filled in by completionItem/resolve: a top-level list has hundreds
      // of keys and their docs would make every answer ~100 KB.
      data: { tunelab: 'key', path: [...parentPath, spec.key] } satisfies KeyItemData,
      // Required keys first, then ordinary ones, deprecated last.
      sortText: `${spec.required ? 0 : spec.deprecated ? 2 : 1}${spec.key}`,
      textEdit: { range, newText: insert.text },
    };
    if (insert.snippet) item.insertTextFormat = SNIPPET_FORMAT;
    if (spec.deprecated) item.tags = [1];
    items.push(item);
  }
  return items;
}

function valueItems(cfg: ConfigDocument, path: NodePath, range: Range, typed: string, afterColon: boolean): CompletionItem[] {
  const lead = afterColon ? ' ' : '';
  const inList = typeof path[path.length - 1] === 'number';
  const keyPath = inList ? path.slice(0, -1) : path;
  if (keyPath[keyPath.length - 1] === 'lora_target_modules' || keyPath[keyPath.length - 1] === 'lora_modules_to_save') {
    const base = valueAt(cfg.value, ['base_model']);
    const names = typeof base === 'string' ? loraTargetModules(base) : [];
    const taken = valueAt(cfg.value, keyPath);
    const used = new Set(Array.isArray(taken) ? taken.map(String) : []);
    return names
      .filter((n) => !used.has(n) || n === typed)
      .map((n, i) => ({
        label: n,
        kind: MODULE,
        detail: `module of ${String(base)}`,
        sortText: String(i).padStart(3, '0'),
        textEdit: { range, newText: lead + n },
      }));
  }
  return valuesFor(path).map((v, i) => {
    const item: CompletionItem = {
      label: v.value,
      kind: v.value === 'true' || v.value === 'false' ? VALUE : ENUM_MEMBER,
      sortText: `${v.deprecated ? 1 : 0}${String(i).padStart(3, '0')}`,
      textEdit: { range, newText: lead + v.value },
    };
    if (v.doc) item.documentation = { kind: 'markdown', value: v.doc };
    if (v.deprecated) {
      item.tags = [1];
      item.detail = `deprecated: ${v.deprecated}`;
    }
    return item;
  });
}

/** What a key item carries for completionItem/resolve. */
export interface KeyItemData {
  tunelab: 'key';
  path: NodePath;
}

/** Adds the documentation of a key item (completionItem/resolve); other items come back as they are. */
export function resolveCompletion(item: CompletionItem): CompletionItem {
  const data = item.data as Partial<KeyItemData> | undefined;
  if (data?.tunelab !== 'key' || !Array.isArray(data.path) || item.documentation) return item;
  const spec = keySpec(data.path);
  if (spec) item.documentation = { kind: 'markdown', value: keyMarkdown(spec, { title: false, maxValues: 12 }) };
  return item;
}

/** Completion items at `position`; never throws on odd input (returns an empty list). */
export function configCompletion(doc: TextDocument, cfg: ConfigDocument, position: Position, env: CompletionEnv): CompletionList {
  const offset = doc.offsetAt(position);
  const loc = nodeAt(cfg, offset);
  const line = doc.getText({ start: { line: position.line, character: 0 }, end: position });
  if (/^\s*#/.test(line)) return { isIncomplete: false, items: [] };
  const range: Range = { start: doc.positionAt(loc.range[0]), end: doc.positionAt(Math.max(loc.range[1], offset)) };
  if (loc.kind === 'key') {
    const typed = loc.text;
    return { isIncomplete: false, items: keyItems(doc, cfg, loc.parentPath, range, typed, env) };
  }
  const afterColon = loc.range[0] === offset && doc.getText({ start: { line: position.line, character: Math.max(0, position.character - 1) }, end: position }) === ':';
  if (isDatasetPath(loc.path)) {
    const paths = pathCompletions(loc.text, range, env);
    return { isIncomplete: paths.length > 0, items: paths };
  }
  return { isIncomplete: false, items: valueItems(cfg, loc.path, range, loc.text, afterColon) };
}
