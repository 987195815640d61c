/**
 * lm-eval's `doc_to_text` / `doc_to_choice` / `doc_to_target` fields: a bare feature name reads
 * that field of the document; anything else is a Jinja template rendered over the document
 * (lm-eval uses Jinja2; we use @huggingface/jinja, which the chat core already uses). lm-eval then
 * turns a rendered all-digit string into an int (when the task has choices) and a rendered list
 * literal into a list; `fieldValue` does the same. Python's `list.index(x)` is not in
 * @huggingface/jinja, so `a.index(b)` is rewritten to a helper call before parsing.
 */
import { Template } from '@huggingface/jinja';

/** One document of a task: a record of the dataset (after the task's preprocessing). */
export type Doc = Record<string, unknown>;

/** A field spec as written in a task YAML: a template, a feature name, a list or an index. */
export type FieldSpec = string | number | readonly string[];

/** A bad template or a field that does not render to what the task needs. */
export class TemplateError extends Error {}

const compiled = new Map<string, Template>();
const SENTINEL = '\u0000';

function compile(source: string): Template {
  let t = compiled.get(source);
  if (!t) {
    // `x.index(y)` (Python list method, used by lm-eval's ARC target) → `__index(x, y)`.
    const rewritten = source.replace(/([A-Za-z_][\w.]*(?:\[[^\]]*\])*)\.index\(/g, '__index($1, ');
    try {
      t = new Template(rewritten);
    } catch (e) {
      throw new TemplateError(`bad template ${JSON.stringify(source)}: ${(e as Error).message}`);
    }
    compiled.set(source, t);
  }
  return t;
}

// @huggingface/jinja passes its runtime wrappers ({ value }) to functions; unwrap them.
function plain(v: unknown): unknown {
  const inner = typeof v === 'object' && v !== null && 'value' in v ? (v as { value: unknown }).value : v;
  return Array.isArray(inner) ? inner.map(plain) : inner;
}

function indexOf(listArg: unknown, itemArg: unknown): number {
  const list = plain(listArg);
  const item = plain(itemArg);
  if (!Array.isArray(list)) throw new TemplateError('index() called on something that is not a list');
  const i = list.indexOf(item);
  if (i < 0) throw new TemplateError(`index(): ${JSON.stringify(item)} is not in the list`);
  return i;
}

const JINJA_NAMES = new Set(['loop', 'range', 'true', 'false', 'none', 'True', 'False', 'None', 'not', 'namespace', '__index']);

/**
 * The first top-level variable a template reads that `doc` lacks, or null. lm-eval renders with
 * StrictUndefined (a missing field is an error); @huggingface/jinja prints nothing instead, so
 * the names are checked first. Loop and `set` variables are the template's own.
 */
export function missingField(source: string, doc: Doc): string | null {
  const own = new Set<string>();
  for (const m of source.matchAll(/\{%-?\s*(?:for\s+([\w\s,]+?)\s+in|set\s+(\w+))/g)) {
    for (const n of (m[1] ?? m[2] ?? '').split(',')) own.add(n.trim());
  }
  for (const m of source.matchAll(/\{\{-?\s*([A-Za-z_]\w*)/g)) {
    const name = m[1]!;
    if (!JINJA_NAMES.has(name) && !own.has(name) && !Object.prototype.hasOwnProperty.call(doc, name)) return name;
  }
  return null;
}

/** Renders a Jinja template over `doc` to a string. */
export function renderTemplate(source: string, doc: Doc): string {
  const missing = missingField(source, doc);
  if (missing !== null) throw new TemplateError(`the record has no field '${missing}' (template ${JSON.stringify(source)})`);
  try {
    // lm-eval's Jinja environment keeps a trailing newline (keep_trailing_newline=True);
    // @huggingface/jinja drops it, so render with a sentinel after it and take the sentinel off.
    const out = compile(source + SENTINEL).render({ ...doc, __index: indexOf });
    return out.endsWith(SENTINEL) ? out.slice(0, -SENTINEL.length) : out;
  } catch (e) {
    if (e instanceof TemplateError) throw e;
    throw new TemplateError(`template ${JSON.stringify(source)} failed: ${(e as Error).message}`);
  }
}

/**
 * The value of a field spec for `doc`, as lm-eval computes it: a feature name → the field itself;
 * a template → the rendered string, or an int when it renders to digits and `digitsToInt`
 * (lm-eval does that when the task has `doc_to_choice`), or a list when it renders to a list
 * literal (`{{choices.text}}`).
 */
export function fieldValue(spec: FieldSpec, doc: Doc, digitsToInt: boolean): unknown {
  if (typeof spec === 'number') return spec;
  if (Array.isArray(spec)) return [...spec];
  const s = spec as string;
  if (Object.prototype.hasOwnProperty.call(doc, s)) return doc[s];
  const text = renderTemplate(s, doc);
  if (digitsToInt && /^[0-9]+$/.test(text)) return Number(text);
  if (text.length >= 2 && text.startsWith('[') && text.endsWith(']')) {
    const list = parseListLiteral(text);
    if (list) return list;
  }
  return text;
}

/** Parses a rendered list literal: JSON (what @huggingface/jinja prints) or a Python repr of strings. */
export function parseListLiteral(text: string): unknown[] | null {
  try {
    const v: unknown = JSON.parse(text);
    return Array.isArray(v) ? v : null;
  } catch {
    // Python repr: ['a', "b's"] — read the quoted items one by one.
    const items: string[] = [];
    const re = /\s*(?:'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)")\s*(,|$)/y;
    const body = text.slice(1, -1);
    if (body.trim() === '') return [];
    re.lastIndex = 0;
    while (re.lastIndex < body.length) {
      const m = re.exec(body);
      if (!m) return null;
      items.push(unescapePython(m[1] ?? m[2] ?? ''));
      if (m[3] === '') break;
    }
    return items;
  }
}

function unescapePython(s: string): string {
  return s.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c === 't' ? '\t' : c));
}
