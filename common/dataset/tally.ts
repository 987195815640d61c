/**
 * What a validation counts: problems by code (with the first N diagnostics kept), roles, per-record
 * lengths and token facts, duplicates. One Tally per file; worker threads send theirs as a
 * PartialTally and the main thread merges them in file order.
 */
import type { Diagnostic, DiagnosticSeverity, Range } from 'vscode-languageserver-types';
import { diagnostic, Severity, severityName, type SeverityName } from '../diagnostics';
import { IntList, type DuplicateOf } from './hash';
import type { DatasetFormat } from './types';

const { Error: E, Warning: W, Information: I } = Severity;

/** min / mean / percentiles of a per-record quantity. */
export interface Distribution {
  min: number;
  max: number;
  mean: number;
  p50: number;
  p95: number;
  total: number;
}

export interface TokenStats extends Distribution {
  trained: number;
  /** Records over sequence_len (truncated or dropped at training time). */
  overSequenceLen: number;
  sequenceLen?: number;
  /** Records whose labels are all masked. */
  allMasked: number;
  /** Records with an EOS / end-of-turn token inside the trained span. */
  eosTrained: number;
  measured: number;
}

/** The file-level summary (code lens, `inspect`, `validate --format json`). */
export interface DatasetSummary {
  records: number;
  container: 'jsonl' | 'json' | 'text' | 'parquet';
  format: DatasetFormat | null;
  /** Why this format: the keys that decided it, and where. */
  formatReason: string;
  errors: number;
  warnings: number;
  infos: number;
  /** Records with at least one error. */
  invalidRecords: number;
  byCode: Record<string, { severity: SeverityName; count: number }>;
  /** Source role names as written in the file, and their counts. */
  roles: Record<string, number>;
  messagesPerRecord: Distribution | null;
  charsPerRecord: Distribution | null;
  duplicates: { exact: number; normalized: number };
  tokens: TokenStats | null;
  /** Diagnostics not published because of the cap. */
  omittedDiagnostics: number;
}

function distribution(list: IntList): Distribution | null {
  if (list.length === 0) return null;
  const s = list.sorted();
  let total = 0;
  for (let i = 0; i < s.length; i++) total += s[i]!;
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * (s.length - 1) + 0.5))]!;
  return { min: s[0]!, max: s[s.length - 1]!, mean: Math.round((total / s.length) * 10) / 10, p50: q(0.5), p95: q(0.95), total };
}

/** A validator's counts and kept diagnostics, in a form that can cross threads and be merged. */
export interface PartialTally {
  diagnostics: Diagnostic[];
  counts: [string, DiagnosticSeverity, number][];
  omitted: number;
  records: number;
  invalid: number;
  roles: [string, number][];
  messages: Int32Array;
  chars: Int32Array;
  /** Per record (when duplicates are left to the caller): normalised hash, exact hash, line, line length. */
  hashes?: { normalized: Float64Array; exact: Int32Array; line: Int32Array; length: Int32Array; index: Int32Array };
}

/** Counts, distributions and the capped list of diagnostics of one validation. */
export class Tally {
  readonly diagnostics: Diagnostic[] = [];
  readonly counts = new Map<string, { severity: DiagnosticSeverity; count: number }>();
  omitted = 0;
  records = 0;
  invalid = 0;
  readonly roles = new Map<string, number>();
  readonly messages = new IntList();
  readonly chars = new IntList();
  readonly tokens = new IntList();
  trainedTotal = 0;
  overLen = 0;
  allMasked = 0;
  eosTrained = 0;
  eosKnown = false;
  dupExact = 0;
  dupNorm = 0;

  constructor(readonly max: number) {}

  add(d: Diagnostic): void {
    const code = String(d.code);
    const c = this.counts.get(code);
    if (c) c.count++;
    else this.counts.set(code, { severity: d.severity ?? E, count: 1 });
    if (this.diagnostics.length < this.max) this.diagnostics.push(d);
    else this.omitted++;
  }

  toPartial(): PartialTally {
    return {
      diagnostics: this.diagnostics,
      counts: [...this.counts].map(([k, v]) => [k, v.severity, v.count]),
      omitted: this.omitted,
      records: this.records,
      invalid: this.invalid,
      roles: [...this.roles],
      messages: this.messages.toArray(),
      chars: this.chars.toArray(),
    };
  }

  /** Adds another part's results, its lines shifted by `lineOffset` (diagnostics beyond the cap are counted). */
  merge(p: PartialTally, lineOffset: number): void {
    for (const d of p.diagnostics) {
      d.range.start.line += lineOffset;
      d.range.end.line += lineOffset;
      if (this.diagnostics.length < this.max) this.diagnostics.push(d);
      else this.omitted++;
    }
    this.omitted += p.omitted;
    for (const [code, severity, count] of p.counts) {
      const c = this.counts.get(code);
      if (c) c.count += count;
      else this.counts.set(code, { severity, count });
    }
    this.records += p.records;
    this.invalid += p.invalid;
    for (const [role, n] of p.roles) this.roles.set(role, (this.roles.get(role) ?? 0) + n);
    this.messages.pushAll(p.messages);
    this.chars.pushAll(p.chars);
  }

  summary(container: DatasetSummary['container'], format: DatasetFormat | undefined, formatReason: string, sequenceLen?: number): DatasetSummary {
    let errors = 0;
    let warnings = 0;
    let infos = 0;
    const byCode: DatasetSummary['byCode'] = {};
    for (const [code, c] of [...this.counts].sort((a, b) => a[0].localeCompare(b[0]))) {
      byCode[code] = { severity: severityName(c.severity), count: c.count };
      if (c.severity === E) errors += c.count;
      else if (c.severity === W) warnings += c.count;
      else infos += c.count;
    }
    const tok = distribution(this.tokens);
    return {
      records: this.records,
      container,
      format: format ?? null,
      formatReason,
      errors,
      warnings,
      infos,
      invalidRecords: this.invalid,
      byCode,
      roles: Object.fromEntries([...this.roles].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))),
      messagesPerRecord: distribution(this.messages),
      charsPerRecord: distribution(this.chars),
      duplicates: { exact: this.dupExact, normalized: this.dupNorm },
      tokens: tok
        ? {
            ...tok,
            trained: this.trainedTotal,
            overSequenceLen: this.overLen,
            ...(sequenceLen !== undefined ? { sequenceLen } : {}),
            allMasked: this.allMasked,
            eosTrained: this.eosTrained,
            measured: this.tokens.length,
          }
        : null,
      omittedDiagnostics: this.omitted,
    };
  }

  /** File-level diagnostics, added once at the end. */
  finish(): void {
    const zero: Range = { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };
    if (this.records === 0) this.add(diagnostic('dataset-empty-file', E, zero, 'the dataset has no records'));
    if (this.eosKnown && this.eosTrained === 0 && this.trainedTotal > 0) {
      this.add(
        diagnostic(
          'mask-eos-never-trained',
          W,
          zero,
          "no record trains an end-of-turn or EOS token, so the model never learns to stop: check train_on_eos / train_on_eot, eot_tokens, and that the tokenizer's eos_token is the token the template ends turns with",
        ),
      );
    }
    if (this.omitted > 0) {
      const rest = [...this.counts].map(([code, c]) => `${code} ${c.count}`).join(', ');
      this.diagnostics.push(diagnostic('dataset-diagnostics-capped', I, zero, `showing the first ${this.max} problems of ${this.max + this.omitted} (${rest})`, { omitted: this.omitted }));
    }
  }

  /**
   * The duplicate diagnostic for a record whose text was seen before. `record` is the whole
   * record's extent (the quick fix that removes the duplicate deletes it).
   */
  duplicate(dup: DuplicateOf, range: Range, index: number, record: Range = range): Diagnostic {
    if (dup.exact) this.dupExact++;
    else this.dupNorm++;
    return diagnostic(
      dup.exact ? 'dataset-duplicate' : 'dataset-duplicate-whitespace',
      W,
      range,
      dup.exact ? `duplicate of the record at line ${dup.firstLine + 1}` : `same text as the record at line ${dup.firstLine + 1} apart from whitespace`,
      { firstLine: dup.firstLine, index, record },
    );
  }
}

