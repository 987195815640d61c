import type { Diagnostic } from 'vscode-languageserver-types';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** A diagnostic as one comparable row: [line, char, endLine, endChar, severity, code, message, data?]. */
export type Row = [number, number, number, number, number, string, string, ...unknown[]];

export function rows(ds: Diagnostic[]): Row[] {
  return ds.map((d) => {
    const r: Row = [d.range.start.line, d.range.start.character, d.range.end.line, d.range.end.character, d.severity ?? 0, String(d.code), d.message];
    if (d.data !== undefined) r.push(d.data);
    return r;
  });
}

/** [line, code] pairs: for tests about which records are found, not the wording. */
export function codes(ds: Diagnostic[]): [number, string][] {
  return ds.map((d) => [d.range.start.line, String(d.code)]);
}

export const repoRoot = join(fileURLToPath(import.meta.url), '..', '..', '..', '..');
export const fixture = (...p: string[]) => join(repoRoot, 'common', 'test', 'fixtures', 'dataset', ...p);
export const chatFixture = (...p: string[]) => join(repoRoot, 'common', 'test', 'fixtures', 'chat', ...p);
export const corpus = join(repoRoot, '..', 'shared', 'corpus');
export const hasCorpus = existsSync(corpus);
