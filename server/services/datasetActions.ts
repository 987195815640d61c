/**
 * Quick fixes for dataset diagnostics (from common/dataset's validator), dispatching on the code
 * and `data`:
 * - `dataset-unknown-role` `{role, suggestion}`: replace the role with the suggestion;
 * - `dataset-unknown-key` `{key, suggestion}`: rename the key;
 * - `dataset-duplicate` / `dataset-duplicate-whitespace` (JSON Lines): remove the duplicate line,
 *   or every duplicate line the server has published at once.
 * Each edit is checked against the text it replaces, so a stale diagnostic never edits the wrong
 * thing.
 */
import type { CodeAction, Diagnostic, Range, TextEdit } from 'vscode-languageserver-types';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { SOURCE } from '../../common/diagnostics';

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

const DUPLICATES = new Set(['dataset-duplicate', 'dataset-duplicate-whitespace']);

function action(title: string, doc: TextDocument, edits: TextEdit[], diagnostics: Diagnostic[], preferred = false): CodeAction {
  const a: CodeAction = { title, kind: 'quickfix', diagnostics, edit: { changes: { [doc.uri]: edits } } };
  if (preferred) a.isPreferred = true;
  return a;
}

/** A replacement for a JSON string token (quotes kept) when the range still holds `expected`. */
function replaceToken(doc: TextDocument, range: Range, expected: string, replacement: string): TextEdit | undefined {
  const text = doc.getText(range);
  if (text === JSON.stringify(expected)) return { range, newText: JSON.stringify(replacement) };
  if (text === expected) return { range, newText: replacement };
  return undefined;
}

/** The whole line of a diagnostic, line break included. */
function lineRemoval(doc: TextDocument, d: Diagnostic): TextEdit {
  const line = d.range.start.line;
  const next = line + 1 < doc.lineCount ? { line: line + 1, character: 0 } : doc.positionAt(doc.getText().length);
  return { range: { start: { line, character: 0 }, end: next }, newText: '' };
}

/**
 * Fixes for the diagnostics in the request's context. `published` is everything the server last
 * published for the document (for "remove all duplicates"); `container` is the file's container:
 * records are only removed line by line in JSON Lines, where a line is a record.
 */
export function datasetCodeActions(doc: TextDocument, diagnostics: readonly Diagnostic[], published: readonly Diagnostic[], container: 'jsonl' | 'json'): CodeAction[] {
  const out: CodeAction[] = [];
  let offeredAll = false;
  for (const d of diagnostics) {
    if (d.source !== SOURCE || !isRecord(d.data)) continue;
    const data = d.data;
    if (d.code === 'dataset-unknown-role' && typeof data.role === 'string' && typeof data.suggestion === 'string') {
      const e = replaceToken(doc, d.range, data.role, data.suggestion);
      if (e) out.push(action(`Change role '${data.role}' to '${data.suggestion}'`, doc, [e], [d], true));
    } else if (d.code === 'dataset-unknown-key' && typeof data.key === 'string' && typeof data.suggestion === 'string') {
      const e = replaceToken(doc, d.range, data.key, data.suggestion);
      if (e) out.push(action(`Rename '${data.key}' to '${data.suggestion}'`, doc, [e], [d], true));
    } else if (DUPLICATES.has(String(d.code)) && container === 'jsonl' && d.range.start.line === d.range.end.line) {
      const first = typeof data.firstLine === 'number' ? ` (first on line ${data.firstLine + 1})` : '';
      out.push(action(`Remove this duplicate record${first}`, doc, [lineRemoval(doc, d)], [d], true));
      const all = published.filter((p) => DUPLICATES.has(String(p.code)) && p.source === SOURCE && p.range.start.line === p.range.end.line);
      const lines = new Set(all.map((p) => p.range.start.line));
      if (!offeredAll && lines.size > 1) {
        offeredAll = true;
        const edits = [...lines].sort((a, b) => a - b).map((line) => lineRemoval(doc, all.find((p) => p.range.start.line === line)!));
        out.push(action(`Remove all ${lines.size} duplicate records`, doc, edits, all));
      }
    }
  }
  return out;
}
