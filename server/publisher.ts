/**
 * Push diagnostics, one model for every document kind (no pull): changes are coalesced (a burst of
 * keystrokes validates once, on the latest version), a result is published only when the document
 * is still at the version it was computed for (no stale results), and the number published per
 * file is capped by `tunelab.maxDiagnostics` with one summary diagnostic for the rest.
 */
import type { Diagnostic } from 'vscode-languageserver-types';
import { diagnostic, Severity, sortDiagnostics } from '../common/diagnostics';

export interface PublishTarget {
  sendDiagnostics(params: { uri: string; version?: number; diagnostics: Diagnostic[] }): void | Promise<void>;
}

/** Code of the summary that stands for the diagnostics left out by the cap. */
export const MORE_DIAGNOSTICS = 'diagnostics-capped';

/**
 * Keeps at most `max` diagnostics, errors first then warnings and so on (in document order within
 * a severity), and adds one information diagnostic on line 0 counting the rest by severity.
 */
export function capDiagnostics(ds: Diagnostic[], max: number): Diagnostic[] {
  if (ds.length <= max) return ds;
  const bySeverity = [...ds].sort((a, b) => (a.severity ?? 4) - (b.severity ?? 4));
  const kept = sortDiagnostics(bySeverity.slice(0, max));
  const rest = bySeverity.slice(max);
  const count = (s: number) => rest.filter((d) => (d.severity ?? 4) === s).length;
  const parts = [
    [count(1), 'error'],
    [count(2), 'warning'],
    [count(3) + count(4), 'note'],
  ]
    .filter(([n]) => (n as number) > 0)
    .map(([n, w]) => `${(n as number).toLocaleString('en-US')} ${w}${n === 1 ? '' : 's'}`);
  const summary = diagnostic(
    MORE_DIAGNOSTICS,
    Severity.Information,
    { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } },
    `${rest.length.toLocaleString('en-US')} more problems not shown (${parts.join(', ')}); the limit is tunelab.maxDiagnostics = ${max}. Run \`tunelab validate\` on the file for the full list.`,
    { hidden: rest.length },
  );
  return [summary, ...kept];
}

export class DiagnosticsPublisher {
  private readonly pending = new Set<string>();
  private scheduled = false;
  /** Uris we have published a non-empty list for (cleared with an empty one when they close). */
  private readonly shown = new Set<string>();

  constructor(
    private readonly target: PublishTarget,
    /** The current version of an open document, undefined when closed. */
    private readonly versionOf: (uri: string) => number | undefined,
    /** Validates one document; called on the next turn of the event loop after a change. */
    private readonly validate: (uri: string) => void,
    private readonly maxDiagnostics: () => number,
  ) {}

  /** Asks for `uri` to be validated soon; repeated calls before it runs collapse into one. */
  schedule(uri: string): void {
    this.pending.add(uri);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      const uris = [...this.pending];
      this.pending.clear();
      for (const u of uris) this.validate(u);
    });
  }

  /**
   * Publishes diagnostics computed for `version` (`alreadyCapped`: the producer applied the cap and
   * summarised the rest itself) (an empty list too: a served document always gets
   * an answer per version); returns false (and publishes nothing) when the
   * document has moved on or closed since.
   */
  publish(uri: string, version: number, diagnostics: Diagnostic[], alreadyCapped = false): boolean {
    if (this.versionOf(uri) !== version) return false;
    const capped = alreadyCapped ? diagnostics : capDiagnostics(diagnostics, this.maxDiagnostics());
    if (capped.length) this.shown.add(uri);
    else this.shown.delete(uri);
    void this.target.sendDiagnostics({ uri, version, diagnostics: capped });
    return true;
  }

  /** Removes what we showed for a closed (or no longer served) document. */
  clear(uri: string): void {
    this.pending.delete(uri);
    if (!this.shown.delete(uri)) return;
    void this.target.sendDiagnostics({ uri, diagnostics: [] });
  }
}
