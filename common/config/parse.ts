import { isMap, isScalar, isSeq, parseDocument, type Document } from 'yaml';
import { diagnostic, Severity } from '../diagnostics';
import { LineIndex } from '../text/lineIndex';
import type { ConfigDocument } from './types';

/**
 * Limits that keep hostile or accidental input bounded. A real config is a few KB; these are far
 * above any real one and far below what would hurt the editor.
 */
export const LIMITS = {
  /** Characters; larger input is refused before parsing (a 50 MB file costs nothing). */
  maxChars: 1024 * 1024,
  /** Alias expansions when building the plain value ("billion laughs"). */
  maxAliasCount: 100,
  /** Flow/block nesting depth. */
  maxDepth: 64,
} as const;

/**
 * YAML 1.1 like Axolotl's PyYAML loader: `yes`/`no` are booleans, `0755` is octal. The library's
 * own duplicate-key check compares every key with every other (quadratic: a 16,000-key file
 * takes seconds), so duplicates are found here with one set per mapping instead.
 */
const YAML_OPTIONS = { version: '1.1', prettyErrors: false, keepSourceTokens: false, uniqueKeys: false, merge: true } as const;

/**
 * Parses a config with the `yaml` library, keeping offsets. Never throws: syntax errors, duplicate
 * keys and refused input (too large, binary, too deep, alias bombs) come back as diagnostics.
 */
export function parseConfig(text: string): ConfigDocument {
  const lines = new LineIndex(text.length > LIMITS.maxChars ? text.slice(0, 4096) : text);
  const doc: ConfigDocument = { text, lines, yaml: null, root: null, value: undefined, parseDiagnostics: [] };
  const refuse = (code: string, message: string, start = 0, end = 0) => {
    doc.parseDiagnostics.push(diagnostic(code, Severity.Error, lines.range(start, end), message));
    return doc;
  };

  if (text.length > LIMITS.maxChars) {
    return refuse('config-too-large', `The file is ${formatSize(text.length)}, above the ${formatSize(LIMITS.maxChars)} limit for a config; it was not parsed.`);
  }
  const binaryAt = binaryOffset(text);
  if (binaryAt >= 0 && looksUtf16(text)) {
    return refuse('config-binary', 'This file is UTF-16 text (NUL bytes between characters): save it as UTF-8, which YAML tools and Axolotl read.', binaryAt, binaryAt + 1);
  }
  if (binaryAt >= 0) {
    return refuse('config-binary', `This looks like a binary file (control character U+${text.charCodeAt(binaryAt).toString(16).padStart(4, '0').toUpperCase()} at offset ${binaryAt}), not a YAML config.`, binaryAt, binaryAt + 1);
  }
  const deep = tooDeepAt(text, LIMITS.maxDepth);
  if (deep >= 0) {
    return refuse('config-too-deep', `Nesting deeper than ${LIMITS.maxDepth} levels; a config never needs this, so it was not parsed.`, deep, deep + 1);
  }

  let parsed: Document.Parsed;
  try {
    parsed = parseDocument(text, YAML_OPTIONS);
  } catch (e) {
    // The yaml library reports problems as errors on the document; a throw is unexpected, but a
    // language service must not fail, so it becomes a diagnostic too.
    return refuse('yaml-syntax', `The YAML parser failed: ${(e as Error).message}`);
  }
  doc.yaml = parsed;
  for (const err of parsed.errors) {
    const [start, end] = err.pos;
    doc.parseDiagnostics.push(diagnostic('yaml-syntax', Severity.Error, lines.range(start, Math.max(end, start + 1)), cleanMessage(err.message)));
  }
  for (const [start, end, key] of duplicateKeys(parsed.contents)) {
    doc.parseDiagnostics.push(diagnostic('yaml-duplicate-key', Severity.Error, lines.range(start, end), `Duplicate key '${key}': YAML keeps only the last value, so the earlier one is silently lost.`));
  }
  for (const w of parsed.warnings) {
    const [start, end] = w.pos;
    doc.parseDiagnostics.push(diagnostic('yaml-warning', Severity.Warning, lines.range(start, Math.max(end, start + 1)), cleanMessage(w.message)));
  }
  const contents = parsed.contents;
  if (contents && isMap(contents)) doc.root = contents;

  try {
    doc.value = parsed.toJS({ maxAliasCount: LIMITS.maxAliasCount });
  } catch (e) {
    const msg = (e as Error).message;
    if (/alias/i.test(msg)) {
      doc.parseDiagnostics.push(
        diagnostic('config-alias-limit', Severity.Error, lines.range(0, 0), `YAML aliases expand to too many nodes (more than ${LIMITS.maxAliasCount} alias uses): refused as a possible "billion laughs" document.`),
      );
    } else {
      doc.parseDiagnostics.push(diagnostic('yaml-syntax', Severity.Error, lines.range(0, 0), `The YAML could not be read: ${cleanMessage(msg)}`));
    }
    doc.value = undefined;
  }
  return doc;
}

function cleanMessage(m: string): string {
  // With prettyErrors off the library still sometimes appends "at line N, column M:" context.
  const firstLine = m.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
  return firstLine.endsWith('.') ? firstLine : `${firstLine}.`;
}

/**
 * Repeated scalar keys in every mapping, [start, end, key] of each repeat; iterative and depth-
 * bounded so hostile documents cannot exhaust the stack.
 */
function duplicateKeys(root: unknown): [number, number, string][] {
  const out: [number, number, string][] = [];
  const stack: [unknown, number][] = [[root, 0]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (depth > LIMITS.maxDepth) continue;
    if (isMap(node)) {
      const seen = new Set<string>();
      for (const pair of node.items) {
        const k = pair.key;
        if (isScalar(k) && k.range && (typeof k.value === 'string' || typeof k.value === 'number' || typeof k.value === 'boolean')) {
          const name = String(k.value);
          if (name !== '<<' && seen.has(name)) out.push([k.range[0], k.range[1], name]);
          seen.add(name);
        }
        if (pair.value) stack.push([pair.value, depth + 1]);
      }
    } else if (isSeq(node)) {
      for (const item of node.items) stack.push([item, depth + 1]);
    }
  }
  return out.sort((a, b) => a[0] - b[0]);
}

function formatSize(chars: number): string {
  return chars >= 1024 * 1024 ? `${(chars / 1024 / 1024).toFixed(1)} MB` : `${Math.round(chars / 1024)} KB`;
}

/** UTF-16 text decoded as UTF-8: a NUL after most ASCII characters of the first line. */
function looksUtf16(text: string): boolean {
  const head = text.slice(0, 200);
  let nuls = 0;
  for (let i = 0; i < head.length; i++) if (head.charCodeAt(i) === 0) nuls++;
  return head.length >= 8 && nuls * 3 >= head.length;
}

/** Offset of the first NUL or other non-text control character in the first 64 KB, or -1. */
export function binaryOffset(text: string): number {
  const n = Math.min(text.length, 65536);
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c < 32 && c !== 9 && c !== 10 && c !== 13 && c !== 12) return i;
    if (c === 0xfffd) {
      // Several replacement characters mean the bytes were not UTF-8 text.
      let count = 0;
      for (let j = i; j < Math.min(n, i + 64); j++) if (text.charCodeAt(j) === 0xfffd) count++;
      if (count >= 4) return i;
    }
  }
  return -1;
}

/**
 * Offset where flow brackets or block indentation nest deeper than `max`, or -1. A cheap scan
 * that keeps the recursive composer of the yaml library (and our own walks) away from stack
 * exhaustion on documents like `[[[[...]]]]` or thousands of indented levels.
 */
export function tooDeepAt(text: string, max: number): number {
  let flow = 0;
  let quote = '';
  let lineStart = true;
  let col = 0;
  const levels: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote) {
      if (c === quote) quote = '';
      continue;
    }
    if (lineStart) {
      if (c === ' ') {
        col++;
        continue;
      }
      if (c === '\n' || c === '\r') {
        col = 0;
        continue;
      }
      if (c === '"' || c === "'") quote = c;
      if (c !== '#') {
        while (levels.length > 0 && levels[levels.length - 1]! >= col) levels.pop();
        levels.push(col);
        if (levels.length > max) return i;
        const next = text[i + 1];
        if (c === '-' && (next === ' ' || next === '\n' || next === undefined)) {
          // `- - - x` nests a sequence per dash on one line.
          col++;
          continue;
        }
      }
      lineStart = false;
    }
    if (c === '\n') {
      lineStart = true;
      col = 0;
    } else if (c === '#' && (i === 0 || text[i - 1] === ' ' || text[i - 1] === '\t' || text[i - 1] === '\n')) {
      const nl = text.indexOf('\n', i);
      if (nl < 0) break;
      i = nl - 1;
    } else if ((c === '"' || c === "'") && (i === 0 || ' \t[{,:-'.includes(text[i - 1]!))) {
      quote = c;
    } else if (c === '[' || c === '{') {
      if (++flow > max) return i;
    } else if ((c === ']' || c === '}') && flow > 0) {
      flow--;
    }
  }
  return -1;
}
