import { isAlias, isMap, isPair, isScalar, isSeq, type Node, type Pair, type ParsedNode, type YAMLMap } from 'yaml';
import type { ConfigDocument, ConfigSymbol, NodeLocation, NodePath } from './types';
import { LIMITS } from './parse';
import { specAt } from './schema/index';

/** Offsets of a node, [start, end) without trailing comments/whitespace. */
export function nodeRange(node: Node | null | undefined): [number, number] | undefined {
  const r = node?.range;
  return r ? [r[0], r[1]] : undefined;
}

/** The key text of a pair when the key is a scalar, else undefined. */
export function keyName(pair: Pair): string | undefined {
  const k = pair.key;
  if (isScalar(k)) return k.value === null ? '' : String(k.value);
  return undefined;
}

/** Offsets of a pair: from its key to the end of its value (or key). */
export function pairRange(pair: Pair): [number, number] | undefined {
  const k = nodeRange(pair.key as Node);
  if (!k) return undefined;
  const v = nodeRange(pair.value as Node | null);
  return [k[0], v ? Math.max(k[1], v[1]) : k[1]];
}

/** Key → pair per mapping, built on first use, so path lookups stay O(1) in huge mappings. */
const pairIndex = new WeakMap<YAMLMap, Map<string, Pair>>();
function pairOf(map: YAMLMap, key: string): Pair | undefined {
  let idx = pairIndex.get(map);
  if (!idx) {
    idx = new Map();
    for (const p of map.items) {
      const k = keyName(p);
      if (k !== undefined && !idx.has(k)) idx.set(k, p);
    }
    pairIndex.set(map, idx);
  }
  return idx.get(key);
}

/** Follows a path from the root; returns the node there (aliases are not followed). */
export function nodeAtPath(doc: ConfigDocument, path: NodePath): Node | undefined {
  let node: unknown = doc.yaml?.contents ?? undefined;
  for (const seg of path) {
    if (typeof seg === 'number') {
      if (!isSeq(node)) return undefined;
      node = node.items[seg];
    } else {
      if (!isMap(node)) return undefined;
      const pair = pairOf(node, seg);
      if (!pair) return undefined;
      node = pair.value;
    }
  }
  return (node as Node | undefined) ?? undefined;
}

/** The pair holding the last key of `path` (for key ranges), when present. */
export function pairAtPath(doc: ConfigDocument, path: NodePath): Pair | undefined {
  if (path.length === 0) return undefined;
  const parent = nodeAtPath(doc, path.slice(0, -1));
  const last = path[path.length - 1];
  if (!isMap(parent) || typeof last !== 'string') return undefined;
  return pairOf(parent, last);
}

/**
 * What is under the cursor: the key or value path, its token range and text. On an empty or
 * partial line inside a mapping it reports a key position whose parentPath is the mapping the
 * indentation puts it in, which is what key completion needs.
 */
export function nodeAt(doc: ConfigDocument, offset: number): NodeLocation {
  const loc = locate(doc, offset);
  // `- |` or `- pa|` in a list of mappings (datasets:) starts a new entry: a key position.
  const last = loc.path[loc.path.length - 1];
  if (loc.kind === 'value' && typeof last === 'number' && specAt(loc.path)?.children && !loc.text.includes(':')) {
    const key: NodeLocation = { path: [...loc.path, loc.text], kind: 'key', range: loc.range, text: loc.text, parentPath: loc.path };
    if (loc.node) key.node = loc.node;
    return key;
  }
  return loc;
}

function locate(doc: ConfigDocument, offset: number): NodeLocation {
  const text = doc.text;
  const o = Math.max(0, Math.min(offset, text.length));
  const root = doc.yaml?.contents as ParsedNode | null | undefined;
  const found = root ? findDeepest(doc, root, o, [], 0) : undefined;
  if (found) return found;
  // Nothing under the cursor: a fresh line. The indentation decides which mapping it belongs to.
  const lineNo = doc.lines.positionAt(o).line;
  const lineStart = doc.lines.lineStart(lineNo);
  const before = text.slice(lineStart, o);
  const indent = before.length - before.trimStart().length;
  const word = before.trimStart();
  const inSeqItem = /^-\s*/.exec(word);
  const typed = inSeqItem ? word.slice(inSeqItem[0].length) : word;
  const colon = typed.indexOf(':');
  const parentPath = root ? containerForIndent(doc, root, lineNo, indent + (inSeqItem ? inSeqItem[0].length : 0), inSeqItem !== null) : [];
  if (colon >= 0) {
    const key = typed.slice(0, colon).trim();
    const valueText = typed.slice(colon + 1).trimStart();
    return { path: [...parentPath, key], kind: 'value', range: [o - valueText.length, o], text: valueText, parentPath };
  }
  return { path: [...parentPath, typed], kind: 'key', range: [o - typed.length, o], text: typed, parentPath };
}

function findDeepest(doc: ConfigDocument, node: ParsedNode, o: number, path: NodePath, depth: number): NodeLocation | undefined {
  if (depth > LIMITS.maxDepth) return undefined;
  if (isMap(node)) {
    for (const pair of node.items) {
      const k = pair.key as ParsedNode | null;
      const v = pair.value as ParsedNode | null;
      const name = isPair(pair) ? keyName(pair) : undefined;
      const kr = nodeRange(k);
      if (kr && name !== undefined && o >= kr[0] && o <= kr[1]) {
        return { path: [...path, name], kind: 'key', range: kr, text: name, parentPath: path, node: k! };
      }
      if (name !== undefined && kr && o > kr[1] && (!v || (isScalar(v) && v.value === null && v.range[0] === v.range[1]))) {
        // `key:` with nothing yet: the rest of the key's line is a value position.
        const keyLine = doc.lines.positionAt(kr[1]).line;
        if (doc.lines.positionAt(o).line === keyLine && doc.text.slice(kr[1], o).trimStart().startsWith(':')) {
          const typed = doc.text.slice(kr[1], o).replace(/^\s*:\s*/, '');
          return { path: [...path, name], kind: 'value', range: [o - typed.length, o], text: typed, parentPath: path };
        }
        continue;
      }
      if (v && name !== undefined) {
        const vr = nodeRange(v);
        if (vr && o >= vr[0] && o <= vr[1]) {
          if (isMap(v) || isSeq(v)) {
            const inner = findDeepest(doc, v, o, [...path, name], depth + 1);
            if (inner) return inner;
            continue;
          }
          return { path: [...path, name], kind: 'value', range: vr, text: scalarText(v), parentPath: path, node: v };
        }
      }
    }
    return undefined;
  }
  if (isSeq(node)) {
    for (let i = 0; i < node.items.length; i++) {
      const item = node.items[i] as ParsedNode | null;
      const r = nodeRange(item);
      if (!item || !r || o < r[0] || o > r[1]) continue;
      if (isMap(item) || isSeq(item)) {
        const inner = findDeepest(doc, item, o, [...path, i], depth + 1);
        if (inner) return inner;
        continue;
      }
      return { path: [...path, i], kind: 'value', range: r, text: scalarText(item), parentPath: path, node: item };
    }
  }
  return undefined;
}

function scalarText(node: ParsedNode): string {
  if (isScalar(node)) return node.source ?? String(node.value ?? '');
  if (isAlias(node)) return `*${node.source}`;
  return '';
}

/**
 * The path of the mapping that a new line at `indent` belongs to: the deepest mapping whose keys
 * start at that column and which begins before the line.
 */
function containerForIndent(doc: ConfigDocument, root: ParsedNode, lineNo: number, indent: number, newSeqItem: boolean): NodePath {
  let best: NodePath = [];
  const lineStartOffset = doc.lines.lineStart(lineNo);
  const walk = (node: ParsedNode, path: NodePath, depth: number) => {
    if (depth > LIMITS.maxDepth) return;
    const r = nodeRange(node);
    if (!r || r[0] >= lineStartOffset) return;
    if (isMap(node)) {
      const first = node.items[0]?.key as ParsedNode | undefined;
      const fr = nodeRange(first);
      if (fr) {
        const col = doc.lines.positionAt(fr[0]).character;
        if (col === indent && !newSeqItem) best = path;
        if (col <= indent) {
          for (const pair of node.items) {
            const name = keyName(pair);
            const v = pair.value as ParsedNode | null;
            if (name !== undefined && v) walk(v, [...path, name], depth + 1);
          }
        }
      }
    } else if (isSeq(node)) {
      const col = doc.lines.positionAt(r[0]).character;
      if (col <= indent) {
        node.items.forEach((item, i) => {
          if (item) walk(item as ParsedNode, [...path, i], depth + 1);
        });
        if (newSeqItem && col === indent - 2) best = [...path, node.items.length];
      }
    }
  };
  walk(root, [], 0);
  return best;
}

/** The document outline: one symbol per key, nested for mappings and lists (datasets by path). */
export function configSymbols(doc: ConfigDocument): ConfigSymbol[] {
  const root = doc.yaml?.contents as ParsedNode | null | undefined;
  if (!root || !isMap(root)) return [];
  return mapSymbols(root, 0);
}

function mapSymbols(map: YAMLMap, depth: number): ConfigSymbol[] {
  const out: ConfigSymbol[] = [];
  if (depth > 8) return out;
  for (const pair of map.items) {
    const name = keyName(pair);
    const kr = nodeRange(pair.key as Node);
    const pr = pairRange(pair);
    if (name === undefined || !kr || !pr) continue;
    const v = pair.value as ParsedNode | null;
    if (isMap(v)) out.push({ name, detail: '', range: pr, selectionRange: kr, kind: 'object', children: mapSymbols(v, depth + 1) });
    else if (isSeq(v)) {
      const children: ConfigSymbol[] = [];
      v.items.forEach((item, i) => {
        const ir = nodeRange(item as Node);
        if (!ir) return;
        if (isMap(item)) {
          const label = itemLabel(item) ?? `[${i}]`;
          children.push({ name: label, detail: `[${i}]`, range: ir, selectionRange: ir, kind: 'object', children: mapSymbols(item, depth + 1) });
        }
      });
      out.push({ name, detail: `${v.items.length} ${v.items.length === 1 ? 'entry' : 'entries'}`, range: pr, selectionRange: kr, kind: 'array', children });
    } else out.push({ name, detail: v ? scalarText(v).slice(0, 60) : '', range: pr, selectionRange: kr, kind: 'key', children: [] });
  }
  return out;
}

function itemLabel(item: YAMLMap): string | undefined {
  for (const key of ['path', 'name']) {
    const p = item.items.find((x) => keyName(x) === key);
    if (p && isScalar(p.value) && p.value.value !== null) return String(p.value.value);
  }
  return undefined;
}
