/**
 * Pre-flight over a whole dataset with the training code itself: records whose labels are all
 * masked (they teach nothing), records cut at sequence_len, and whether any end-of-turn / EOS
 * token is ever trained (if never, the model never learns to stop). Plus token statistics.
 * Memory stays bounded: lengths are kept as 32-bit counts, record lists are capped.
 */
import type { MaskedExample } from './example';

/** Finding codes (listed in docs/diagnostics.md). */
export type MaskFindingCode =
  | 'mask-all-labels-masked'
  | 'mask-truncated'
  | 'mask-eos-never-trained'
  | 'mask-record-failed'
  | 'mask-message-not-rendered'
  // setup checks (setup.ts)
  | 'mask-eos-not-in-template'
  | 'mask-eot-not-in-template'
  | 'mask-turn-end-not-trained'
  | 'mask-setup-invalid';

/** A finding about one record (`record` set) or the whole file. */
export interface MaskFinding {
  code: MaskFindingCode;
  severity: 'error' | 'warning' | 'info';
  message: string;
  /** 0-based record index, for per-record findings. */
  record?: number;
}

/** Per-record findings of one record's examples. */
export function recordFindings(record: number, examples: readonly MaskedExample[]): MaskFinding[] {
  const out: MaskFinding[] = [];
  if (examples.length > 0 && examples.every((e) => e.trainedCount === 0))
    out.push({
      code: 'mask-all-labels-masked',
      severity: 'warning',
      record,
      message: 'every label of this record is masked: it adds nothing to training (no trained role, weight 0, empty or cut-off assistant turns)',
    });
  const dropped = examples.flatMap((e) => e.turns.filter((t) => t.start < 0));
  if (dropped.length > 0)
    out.push({
      code: 'mask-message-not-rendered',
      severity: 'warning',
      record,
      message: `the chat template leaves out ${dropped.map((t) => `message ${t.message + 1} (${t.role})`).join(', ')}: the model never sees ${dropped.length === 1 ? 'it' : 'them'} (Mistral's template drops a system prompt unless the conversation ends with a user turn)`,
    });
  const cut = examples.find((e) => e.truncated);
  if (cut)
    out.push({
      code: 'mask-truncated',
      severity: 'warning',
      record,
      message: `this record is ${cut.fullLength} tokens, longer than sequence_len (${cut.ids.length}): Axolotl drops it by default (excess_length_strategy), or it is cut`,
    });
  return out;
}

/** Token statistics of the examples seen. */
export interface MaskStats {
  records: number;
  examples: number;
  failed: number;
  tokens: number;
  trainedTokens: number;
  /** Share of tokens trained (0..1). */
  trainedShare: number;
  allMaskedRecords: number;
  truncatedRecords: number;
  /** Examples in which an EOS / end-of-turn token is trained. */
  examplesWithEosTrained: number;
  length: { min: number; max: number; mean: number; p50: number; p95: number };
}

/** Accumulates examples record by record; `findings()` adds the file-level ones. */
export class MaskSummary {
  private lengths = new Uint32Array(1024);
  private n = 0;
  private records = 0;
  private failed = 0;
  private tokens = 0;
  private trained = 0;
  private allMasked = 0;
  private truncated = 0;
  private eosTrained = 0;
  private readonly perRecord: MaskFinding[] = [];

  /** @param maxFindings cap on per-record findings kept (the counts stay exact). */
  constructor(private readonly maxFindings = 1000) {}

  /** Adds one record's examples (or its failure). */
  add(record: number, examples: readonly MaskedExample[] | { message: string }): void {
    this.records++;
    if (!Array.isArray(examples)) {
      this.failed++;
      this.keep({ code: 'mask-record-failed', severity: 'error', record, message: (examples as { message: string }).message });
      return;
    }
    for (const e of examples) {
      if (this.n === this.lengths.length) {
        const grown = new Uint32Array(this.lengths.length * 2);
        grown.set(this.lengths);
        this.lengths = grown;
      }
      this.lengths[this.n++] = e.ids.length;
      this.tokens += e.ids.length;
      this.trained += e.trainedCount;
      if (e.eosInTrainedSpan) this.eosTrained++;
    }
    const found = recordFindings(record, examples);
    for (const f of found) {
      if (f.code === 'mask-all-labels-masked') this.allMasked++;
      if (f.code === 'mask-truncated') this.truncated++;
      this.keep(f);
    }
  }

  private keep(f: MaskFinding): void {
    if (this.perRecord.length < this.maxFindings) this.perRecord.push(f);
  }

  stats(): MaskStats {
    const sorted = this.lengths.slice(0, this.n).sort();
    const at = (q: number) => (this.n === 0 ? 0 : sorted[Math.min(this.n - 1, Math.floor(q * (this.n - 1) + 0.5))]!);
    return {
      records: this.records,
      examples: this.n,
      failed: this.failed,
      tokens: this.tokens,
      trainedTokens: this.trained,
      trainedShare: this.tokens === 0 ? 0 : this.trained / this.tokens,
      allMaskedRecords: this.allMasked,
      truncatedRecords: this.truncated,
      examplesWithEosTrained: this.eosTrained,
      length: { min: this.n ? sorted[0]! : 0, max: this.n ? sorted[this.n - 1]! : 0, mean: this.n ? this.tokens / this.n : 0, p50: at(0.5), p95: at(0.95) },
    };
  }

  /** Per-record findings (capped) and the file-level ones. */
  findings(): MaskFinding[] {
    const out = this.perRecord.slice();
    if (this.n > 0 && this.trained > 0 && this.eosTrained === 0)
      out.push({
        code: 'mask-eos-never-trained',
        severity: 'warning',
        message:
          'no record trains an end-of-turn or EOS token, so the model never learns to stop: check train_on_eos / train_on_eot, eot_tokens, and that the tokenizer\'s eos_token is the token the template ends turns with',
      });
    return out;
  }
}
