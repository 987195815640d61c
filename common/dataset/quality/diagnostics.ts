import type { Diagnostic, Range } from 'vscode-languageserver-types';
import { diagnostic, Severity } from '../../diagnostics';
import type { RecordFinding } from './analyzer';

/**
 * A per-record finding as an LSP diagnostic on the record's first line (`range`, which the caller
 * computes from its text): information or warning, with the code and `data` of the finding.
 */
export function findingDiagnostic(f: RecordFinding, range: Range): Diagnostic {
  return diagnostic(f.code, f.severity === 'warning' ? Severity.Warning : Severity.Information, range, f.message, f.data);
}
