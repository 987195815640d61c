import type { Diagnostic, DiagnosticSeverity, Range } from 'vscode-languageserver-types';

/** Every diagnostic Tunelab produces carries this source. */
export const SOURCE = 'tunelab';

/** LSP severities, as numbers so that common/ needs no runtime import. */
export const Severity = {
  Error: 1 as DiagnosticSeverity,
  Warning: 2 as DiagnosticSeverity,
  Information: 3 as DiagnosticSeverity,
  Hint: 4 as DiagnosticSeverity,
} as const;

export type SeverityName = 'error' | 'warning' | 'info' | 'hint';

export const severityName = (s: DiagnosticSeverity | undefined): SeverityName =>
  s === 1 ? 'error' : s === 2 ? 'warning' : s === 3 ? 'info' : 'hint';

/**
 * Errors are data: a diagnostic with a stable kebab-case `code` (unique across Tunelab and listed
 * in docs/diagnostics.md), `source: "tunelab"` and a precise range. Code actions dispatch on the
 * code; `data` carries what a quick fix needs (e.g. the suggested key).
 */
export function diagnostic(
  code: string,
  severity: DiagnosticSeverity,
  range: Range,
  message: string,
  data?: unknown,
): Diagnostic {
  const d: Diagnostic = { range, severity, code, source: SOURCE, message };
  if (data !== undefined) d.data = data;
  return d;
}

/** Sorts by position, then severity, so outputs are stable. */
export function sortDiagnostics(ds: Diagnostic[]): Diagnostic[] {
  return ds.sort(
    (a, b) =>
      a.range.start.line - b.range.start.line ||
      a.range.start.character - b.range.start.character ||
      (a.severity ?? 4) - (b.severity ?? 4) ||
      String(a.code).localeCompare(String(b.code)),
  );
}
