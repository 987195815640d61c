/**
 * Completion and hover in a merge config, from the same tables the validator reads: keys of each
 * mapping (top level, a models entry, a slice, a slice source), method names, the parameters of
 * the chosen method (global ones at top / slice level, per-model ones everywhere), dtypes,
 * tokenizer sources and chat templates; hover shows a key's, method's or parameter's doc with its
 * default for the chosen method. Pure: offsets in, LSP types out.
 */
import type { CompletionItem, CompletionItemKind, Hover } from 'vscode-languageserver-types';
import { nodeAt } from '../config/nodes';
import type { ConfigDocument, NodePath } from '../config/types';
import { CHAT_TEMPLATES, DTYPES, MERGE_METHODS, METHODS_BY_NAME, MODEL_KEYS, PARAM_DOCS, SLICE_KEYS, SOURCE_KEYS, TOP_KEYS, type MergeKeyDoc, type MergeMethodSpec, type MergeParamSpec } from './schema';

const PROPERTY = 10 as CompletionItemKind;
const ENUM_MEMBER = 20 as CompletionItemKind;
const VALUE = 12 as CompletionItemKind;
const SNIPPET = 2 as const;

const obj = (v: unknown): Record<string, unknown> | undefined => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined);

/** The method named in the document, when it is a known one. */
function methodOf(doc: ConfigDocument): MergeMethodSpec | undefined {
  const m = obj(doc.value)?.merge_method;
  return typeof m === 'string' ? METHODS_BY_NAME.get(m) : undefined;
}

/** The key table of the mapping at `parent`, or 'parameters' for a parameters mapping. */
function tableFor(parent: NodePath): ReadonlyMap<string, MergeKeyDoc> | 'parameters' | undefined {
  const p = parent.map((s) => (typeof s === 'number' ? '#' : s)).join('.');
  if (p === '') return TOP_KEYS;
  if (p === 'models.#') return MODEL_KEYS;
  if (p === 'slices.#') return SLICE_KEYS;
  if (p === 'slices.#.sources.#') return SOURCE_KEYS;
  if (/^(parameters|models\.#\.parameters|slices\.#\.parameters|slices\.#\.sources\.#\.parameters)$/.test(p)) return 'parameters';
  return undefined;
}

/** Parameters offered in a `parameters:` mapping at `parent`. */
function paramsFor(method: MergeMethodSpec | undefined, parent: NodePath): MergeParamSpec[] {
  const perModelOnly = parent[0] === 'models' || parent.includes('sources');
  if (!method) return [];
  return perModelOnly ? method.perModel : [...method.global, ...method.perModel];
}

function paramDoc(name: string, method: MergeMethodSpec | undefined): string {
  const spec = method && [...method.global, ...method.perModel].find((p) => p.name === name);
  const scope = method ? (method.global.some((p) => p.name === name) ? 'global' : method.perModel.some((p) => p.name === name) ? 'per model' : 'not used') : undefined;
  const lines = [`**${name}**${scope ? ` (${method!.name}: ${scope}${spec?.required ? ', required' : spec?.default !== undefined ? `, default ${String(spec.default)}` : ''})` : ''}`, '', PARAM_DOCS[name] ?? ''];
  return lines.join('\n').trim();
}

function methodDoc(m: MergeMethodSpec): string {
  const params = (list: MergeParamSpec[]): string => list.map((p) => `\`${p.name}\`${p.required ? ' (required)' : p.default !== undefined ? ` = ${String(p.default)}` : ''}`).join(', ') || 'none';
  return [
    `**${m.title}** (\`${m.name}\`)`,
    '',
    m.doc,
    '',
    `- base_model: ${m.base}${m.exactModels ? `; exactly ${m.exactModels} models` : m.minModels ? `; at least ${m.minModels} models` : ''}`,
    `- global parameters: ${params(m.global)}`,
    `- per-model parameters: ${params(m.perModel)}`,
    m.runs ? '- runs with `tunelab merge`' : '- validated only: `tunelab merge` does not run it (mergekit does)',
    ...(m.url ? ['', m.url] : []),
  ].join('\n');
}

/** In a list of mappings, `- |` or `- na|` starts a new entry: a key position. */
function location(doc: ConfigDocument, offset: number) {
  const loc = nodeAt(doc, offset);
  if (loc.kind === 'key' && !loc.node) {
    // Under a key whose value is still empty (`parameters:` then a deeper line): that key's mapping.
    const pos = doc.lines.positionAt(offset);
    const indent = doc.text.slice(doc.lines.lineStart(pos.line), offset).search(/\S|$/);
    for (let line = pos.line - 1; line >= 0; line--) {
      const start = doc.lines.lineStart(line);
      const text = doc.text.slice(start, doc.lines.lineEnd(line));
      if (text.trim() === '' || text.trimStart().startsWith('#')) continue;
      const m = /^(\s*)(?:-\s+)?([A-Za-z_][\w-]*):\s*$/.exec(text);
      if (m && m[1].length < indent) {
        const keyPath = nodeAt(doc, start + text.indexOf(m[2])).path;
        return { ...loc, parentPath: keyPath, path: [...keyPath, loc.text] };
      }
      break;
    }
  }
  const last = loc.path[loc.path.length - 1];
  if (loc.kind === 'value' && typeof last === 'number' && !loc.text.includes(':') && (tableFor(loc.path) !== undefined)) {
    return { ...loc, kind: 'key' as const, parentPath: loc.path, path: [...loc.path, loc.text] };
  }
  return loc;
}

/** Completion items at `offset`. */
export function mergeCompletion(doc: ConfigDocument, offset: number, opts: { snippets: boolean } = { snippets: true }): CompletionItem[] {
  const loc = location(doc, offset);
  const range = doc.lines.range(loc.range[0], loc.range[1]);
  const method = methodOf(doc);
  if (loc.kind === 'key') {
    const table = tableFor(loc.parentPath);
    if (!table) return [];
    const present = new Set(Object.keys(obj(loc.parentPath.reduce<unknown>((o, k) => (o as Record<string | number, unknown> | undefined)?.[k], doc.value)) ?? {}));
    if (table === 'parameters') {
      return paramsFor(method, loc.parentPath)
        .filter((p) => !present.has(p.name) || p.name === loc.text)
        .map((p) => ({ label: p.name, kind: PROPERTY, detail: p.required ? 'required' : `default ${String(p.default)}`, documentation: { kind: 'markdown', value: paramDoc(p.name, method) }, textEdit: { range, newText: `${p.name}: ` } }));
    }
    return [...table.values()]
      .filter((k) => !present.has(k.key) || k.key === loc.text)
      .map((k) => {
        const snippet = opts.snippets && k.snippet;
        const item: CompletionItem = { label: k.key, kind: PROPERTY, documentation: { kind: 'markdown', value: k.doc }, textEdit: { range, newText: snippet ? `${k.key}:${k.snippet!.startsWith('\n') ? '' : ' '}${k.snippet}` : `${k.key}: ` } };
        if (snippet) item.insertTextFormat = SNIPPET;
        return item;
      });
  }
  const key = loc.path[loc.path.length - 1];
  const parent = loc.path.slice(0, -1);
  const values = (list: readonly { label: string; doc?: string }[], kind = ENUM_MEMBER): CompletionItem[] =>
    list.map((v) => {
      const item: CompletionItem = { label: v.label, kind, textEdit: { range, newText: v.label } };
      if (v.doc) item.documentation = { kind: 'markdown', value: v.doc };
      return item;
    });
  if (loc.path.length === 1 && key === 'merge_method') return values(MERGE_METHODS.map((m) => ({ label: m.name, doc: methodDoc(m) })));
  if (loc.path.length === 1 && (key === 'dtype' || key === 'out_dtype')) return values(DTYPES.filter((d) => d !== 'int64').map((d) => ({ label: d })));
  if ((loc.path.length === 1 && key === 'tokenizer_source') || loc.path.join('.') === 'tokenizer.source') return values([{ label: 'base', doc: "Copy the base model's tokenizer." }, { label: 'union', doc: 'Merged vocabulary of all models (mergekit only).' }]);
  if (loc.path.length === 1 && key === 'chat_template') return values(['auto', ...CHAT_TEMPLATES].map((t) => ({ label: t })));
  if (typeof key === 'string' && tableFor(parent) === 'parameters') {
    const spec = paramsFor(method, parent).find((p) => p.name === key);
    if (spec?.kind === 'bool') return values([{ label: 'true' }, { label: 'false' }], VALUE);
  }
  return [];
}

/** Hover at `offset`: key, method or parameter documentation. */
export function mergeHover(doc: ConfigDocument, offset: number): Hover | null {
  const loc = nodeAt(doc, offset);
  if (!loc.node && loc.text === '') return null;
  const range = doc.lines.range(loc.range[0], loc.range[1]);
  const method = methodOf(doc);
  const key = loc.path[loc.path.length - 1];
  const parent = loc.path.slice(0, -1);
  if (loc.kind === 'value' && loc.path.length === 1 && key === 'merge_method') {
    const m = METHODS_BY_NAME.get(loc.text);
    return m ? { contents: { kind: 'markdown', value: methodDoc(m) }, range } : null;
  }
  if (typeof key !== 'string') return null;
  const table = tableFor(parent);
  if (table === 'parameters') return { contents: { kind: 'markdown', value: paramDoc(key, method) }, range };
  const entry = table?.get(key);
  if (!entry) return null;
  const extra = key === 'merge_method' && method ? `\n\n---\n\n${methodDoc(method)}` : '';
  return { contents: { kind: 'markdown', value: `**${key}**\n\n${entry.doc}${extra}` }, range };
}
