/**
 * Text edits on a parsed config that keep the user's formatting: replace a key or a value in
 * place, set a top-level key (its value replaced when present, else a new line next to the key
 * the fix is about), replace a whole `key: value` pair, remove a key. Values are written with the
 * yaml library so strings that need quotes get them.
 */
import { isMap, isPair, isScalar, isSeq, stringify, type Node, type Pair } from 'yaml';
import type { Range, TextEdit } from 'vscode-languageserver-types';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import type { ConfigDocument } from '../../common/config/types';

type Ranged = Node & { range?: [number, number, number] | null };

const rangeOf = (n: unknown): [number, number] | undefined => {
  const r = (n as Ranged | null | undefined)?.range;
  return r ? [r[0], r[1]] : undefined;
};

/** A value as it would be written after `key: ` on one line (or as an indented block). */
export function yamlText(value: unknown, indent: number): string {
  if (value === null || value === undefined) return '';
  const text = stringify(value, { lineWidth: 0 }).replace(/\n$/, '');
  const block = (Array.isArray(value) && value.length > 0) || (typeof value === 'object' && Object.keys(value as object).length > 0);
  if (!block && !text.includes('\n')) return ` ${text}`;
  const pad = ' '.repeat(indent + 2);
  return '\n' + text.split('\n').map((l) => pad + l).join('\n');
}

/** The `key: value` text for a new line at `indent`. */
export function pairText(key: string, value: unknown, indent: number): string {
  return `${' '.repeat(indent)}${stringify(key).trim()}:${yamlText(value, indent)}`;
}

/** The top-level pairs of the config, when its root is a mapping. */
function topPairs(cfg: ConfigDocument): Pair[] {
  const root = cfg.yaml?.contents;
  return root && isMap(root) ? (root.items as Pair[]) : [];
}

const keyOf = (p: Pair): string | undefined => (isScalar(p.key) ? String(p.key.value) : undefined);

/** The innermost pair whose key or value contains `offset`. */
export function pairAt(cfg: ConfigDocument, offset: number): Pair | undefined {
  let found: Pair | undefined;
  const walk = (n: unknown, depth: number) => {
    if (depth > 64) return;
    if (isMap(n)) {
      for (const p of n.items) {
        if (!isPair(p)) continue;
        const kr = rangeOf(p.key);
        const vr = rangeOf(p.value);
        const start = kr?.[0] ?? vr?.[0];
        // A block value's range runs to the next line's start: step back over the whitespace.
        let end = vr?.[1] ?? kr?.[1];
        while (end !== undefined && end > (start ?? 0) && /\s/.test(cfg.text[end - 1] ?? '')) end--;
        if (start === undefined || end === undefined || offset < start || offset > end) continue;
        found = p;
        walk(p.value, depth + 1);
        return;
      }
    } else if (isSeq(n)) {
      for (const item of n.items) walk(item, depth + 1);
    }
  };
  walk(cfg.yaml?.contents, 0);
  return found;
}

/** The end of the line holding `offset`, before the line break. */
function lineEndOffset(doc: TextDocument, offset: number): number {
  const line = doc.positionAt(offset).line;
  const next = doc.offsetAt({ line: line + 1, character: 0 });
  const text = doc.getText();
  let end = next;
  if (end > offset && text[end - 1] === '\n') end--;
  if (end > offset && text[end - 1] === '\r') end--;
  return Math.max(offset, end);
}

const eol = (doc: TextDocument) => (doc.getText().includes('\r\n') ? '\r\n' : '\n');

/**
 * Sets a top-level key: replaces the value of an existing one (the whole value, block or scalar),
 * or adds `key: value` on a new line after the top-level pair that contains `near` (or before the
 * first key when `near` is in no pair, or at the end of an empty document).
 */
export function setTopLevelKey(doc: TextDocument, cfg: ConfigDocument, key: string, value: unknown, near?: number): TextEdit[] {
  const pairs = topPairs(cfg);
  const existing = pairs.find((p) => keyOf(p) === key);
  const nl = eol(doc);
  if (existing) {
    const kr = rangeOf(existing.key)!;
    const colon = doc.getText().indexOf(':', kr[1]);
    const from = colon >= 0 ? colon + 1 : kr[1];
    const vr = rangeOf(existing.value);
    const end = vr && vr[1] > vr[0] ? trimEnd(doc, vr[1]) : from;
    return [{ range: range(doc, from, Math.max(from, end)), newText: yamlText(value, 0).replace(/\n/g, nl) }];
  }
  const text = pairText(key, value, 0).replace(/\n/g, nl);
  const container = near === undefined ? undefined : pairs.find((p) => {
    const s = rangeOf(p.key)?.[0];
    const e = rangeOf(p.value)?.[1] ?? rangeOf(p.key)?.[1];
    return s !== undefined && e !== undefined && near >= s && near <= e;
  });
  if (container) {
    const end = rangeOf(container.value)?.[1] ?? rangeOf(container.key)![1];
    const at = lineEndOffset(doc, Math.max(rangeOf(container.key)![1], trimEnd(doc, end)));
    return [{ range: range(doc, at, at), newText: nl + text }];
  }
  const first = pairs[0] && rangeOf(pairs[0].key);
  if (first) {
    const lineStart = doc.offsetAt({ line: doc.positionAt(first[0]).line, character: 0 });
    return [{ range: range(doc, lineStart, lineStart), newText: text + nl }];
  }
  const all = doc.getText();
  const prefix = all.length > 0 && !all.endsWith('\n') ? nl : '';
  return [{ range: range(doc, all.length, all.length), newText: prefix + text + nl }];
}

/** Offsets of a block value end at the next line's start; step back over trailing whitespace. */
function trimEnd(doc: TextDocument, end: number): number {
  const text = doc.getText();
  let e = end;
  while (e > 0 && /\s/.test(text[e - 1]!)) e--;
  return e;
}

/** Removes a top-level key with its value (whole lines). */
export function removeTopLevelKey(doc: TextDocument, cfg: ConfigDocument, key: string): TextEdit[] {
  const p = topPairs(cfg).find((x) => keyOf(x) === key);
  if (!p) return [];
  const start = doc.offsetAt({ line: doc.positionAt(rangeOf(p.key)![0]).line, character: 0 });
  const valueEnd = trimEnd(doc, rangeOf(p.value)?.[1] ?? rangeOf(p.key)![1]);
  const endLine = doc.positionAt(Math.max(valueEnd, rangeOf(p.key)![1])).line;
  const end = doc.offsetAt({ line: endLine + 1, character: 0 });
  return [{ range: range(doc, start, end), newText: '' }];
}

/** Replaces the whole pair at `offset` (`old_key: x` → `key: value`), keeping its indentation. */
export function replacePair(doc: TextDocument, cfg: ConfigDocument, offset: number, key: string, value: unknown): TextEdit[] {
  const p = pairAt(cfg, offset);
  const kr = p && rangeOf(p.key);
  if (!p || !kr) return [];
  const indent = doc.positionAt(kr[0]).character;
  const end = trimEnd(doc, rangeOf(p.value)?.[1] ?? kr[1]);
  const text = pairText(key, value, indent).slice(indent).replace(/\n/g, eol(doc));
  return [{ range: range(doc, kr[0], Math.max(end, kr[1])), newText: text }];
}

export function range(doc: TextDocument, start: number, end: number): Range {
  return { start: doc.positionAt(start), end: doc.positionAt(end) };
}

/** Offsets of a top-level key (`on: 'key'`) or its value; undefined when absent. */
export function topLevelRange(cfg: ConfigDocument, key: string, on: 'key' | 'value' = 'key'): [number, number] | undefined {
  const p = topPairs(cfg).find((x) => keyOf(x) === key);
  if (!p) return undefined;
  const vr = rangeOf(p.value);
  return on === 'value' && vr && vr[1] > vr[0] ? vr : rangeOf(p.key);
}

/**
 * Adds `key: value` lines next to the pair at `offset` (same mapping, same indentation), right
 * after it; keys the mapping already has are left alone.
 */
export function addSiblingKeys(doc: TextDocument, cfg: ConfigDocument, offset: number, pairs: readonly { key: string; value: unknown }[]): TextEdit[] {
  const p = pairAt(cfg, offset);
  const kr = p && rangeOf(p.key);
  if (!p || !kr) return [];
  const mapping = parentMapOf(cfg, p);
  const present = new Set(mapping ? mapping.items.map((x) => (isPair(x) ? keyOf(x as Pair) : undefined)).filter(Boolean) : []);
  const indent = doc.positionAt(kr[0]).character;
  const nl = eol(doc);
  const text = pairs
    .filter((x) => !present.has(x.key))
    .map((x) => pairText(x.key, x.value, indent).replace(/\n/g, nl))
    .join(nl);
  if (!text) return [];
  const at = lineEndOffset(doc, Math.max(kr[1], trimEnd(doc, rangeOf(p.value)?.[1] ?? kr[1])));
  return [{ range: range(doc, at, at), newText: nl + text }];
}

/** The mapping that holds `pair`. */
function parentMapOf(cfg: ConfigDocument, pair: Pair): { items: unknown[] } | undefined {
  let found: { items: unknown[] } | undefined;
  const walk = (n: unknown, depth: number) => {
    if (found || depth > 64) return;
    if (isMap(n)) {
      if (n.items.includes(pair as never)) {
        found = n;
        return;
      }
      for (const x of n.items) walk((x as Pair).value, depth + 1);
    } else if (isSeq(n)) for (const x of n.items) walk(x, depth + 1);
  };
  walk(cfg.yaml?.contents, 0);
  return found;
}
