import { Rng } from '../train/rng';

/** One tokenised record: token ids and, per token, whether the loss trains on it. */
export interface Example {
  ids: number[];
  trained: boolean[];
  /** The record it came from, for showing generations on validation prompts (chat and Alpaca records). */
  source?: ExampleSource;
  /** Index of its `datasets:` entry (data mixing, trainer/data/mix.ts). */
  dataset?: number;
  /** Its tokens' loss multiplier (`loss_weight:` of its dataset); absent means 1. */
  lossWeight?: number;
}

/** A record kept for prompting: the conversation with its masking options, or an Alpaca record. */
export type ExampleSource =
  | { kind: 'chat'; conversation: import('../../common/dataset/index').Conversation; options: import('../../common/chat/index').MaskOptions }
  | { kind: 'alpaca'; record: import('../../common/dataset/index').AlpacaRecord; options: import('../../common/chat/index').AlpacaOptions };

/** Label value for positions the loss ignores (Hugging Face's convention). */
export const IGNORE = -100;

/**
 * A micro-batch of rows, row-major [rows, seqLen]. Labels are unshifted (label[i] is token i; the
 * model predicts it from position i − 1). With packing a row holds several records: `segmentIds`
 * numbers them 1, 2, … (0 is padding) so attention never crosses records, and `positionIds`
 * restart at 0 in each record, so a packed record sees exactly what it would see alone.
 */
export interface TokenBatch {
  rows: number;
  seqLen: number;
  inputIds: Int32Array;
  labels: Int32Array;
  positionIds: Int32Array;
  segmentIds: Int32Array;
  /** Labels that count in the loss (≠ IGNORE). */
  trainedTokens: number;
  /** Non-padding tokens (for tokens/s). */
  tokens: number;
  /**
   * Per-label loss multipliers [rows, seqLen] (0 where IGNORE), present only when a record of the
   * batch has a `lossWeight`. `trainedTokens` stays the unweighted count: the loss is divided by it.
   */
  labelWeights?: Float32Array;
}

/** What `excess_length_strategy` does with a record longer than `sequence_len` (Axolotl: drop). */
export type ExcessLength = 'drop' | 'truncate' | 'raise';

export interface FitReport {
  kept: Example[];
  dropped: number;
  truncated: number;
  /** Records with no trained token left (they add nothing to the loss and are dropped). */
  untrained: number;
}

/**
 * Fits records to `seqLen`: drops, truncates or refuses the long ones, and drops records that have
 * no trained label after their first token (the first token of a record is never a target).
 */
export function fitToLength(examples: readonly Example[], seqLen: number, strategy: ExcessLength): FitReport {
  const kept: Example[] = [];
  let dropped = 0;
  let truncated = 0;
  let untrained = 0;
  examples.forEach((ex, i) => {
    let e = ex;
    if (e.ids.length > seqLen) {
      if (strategy === 'raise') throw new Error(`record ${i + 1} has ${e.ids.length} tokens, more than sequence_len ${seqLen} (excess_length_strategy: raise)`);
      if (strategy === 'drop') {
        dropped++;
        return;
      }
      e = { ...e, ids: e.ids.slice(0, seqLen), trained: e.trained.slice(0, seqLen) };
      truncated++;
    }
    if (!e.trained.some((t, j) => t && j > 0)) {
      untrained++;
      return;
    }
    kept.push(e);
  });
  return { kept, dropped, truncated, untrained };
}

/**
 * Splits records into train and validation with a seeded permutation. `valSetSize` follows
 * Axolotl: 0 none, below 1 a fraction (rounded up, like `datasets.train_test_split`), otherwise a
 * count.
 */
export function splitValidation<T>(items: readonly T[], valSetSize: number, seed: number): { train: T[]; eval: T[] } {
  if (!(valSetSize > 0) || items.length === 0) return { train: items.slice(), eval: [] };
  const n = valSetSize < 1 ? Math.ceil(valSetSize * items.length) : Math.floor(valSetSize);
  if (n >= items.length) throw new Error(`val_set_size ${valSetSize} leaves no training records (${items.length} in all)`);
  const order = new Rng(seed ^ 0x5eed5).shuffled(items.map((_, i) => i));
  const evalIdx = new Set(order.slice(0, n));
  return { train: items.filter((_, i) => !evalIdx.has(i)), eval: items.filter((_, i) => evalIdx.has(i)) };
}

/**
 * Packs records into rows of `seqLen` tokens, first-fit decreasing (the bin count depends only on
 * the lengths, so every epoch has the same number of steps). Returns the records' indices per row.
 */
export function packRows(lengths: readonly number[], seqLen: number): number[][] {
  const order = lengths.map((_, i) => i).sort((a, b) => lengths[b]! - lengths[a]! || a - b);
  const rows: number[][] = [];
  const free: number[] = [];
  for (const i of order) {
    const len = lengths[i]!;
    let r = free.findIndex((f) => f >= len);
    if (r < 0) {
      rows.push([]);
      free.push(seqLen);
      r = rows.length - 1;
    }
    rows[r]!.push(i);
    free[r]! -= len;
  }
  return rows;
}

export interface BatchPlan {
  /** Record indices per row, in training order. */
  rows: number[][];
  microBatchSize: number;
}

/**
 * The rows of one epoch: records shuffled with a generator derived from (seed, epoch) so any epoch
 * can be rebuilt on resume without replaying earlier ones; packed rows are shuffled too.
 */
export function epochRows(examples: readonly Example[], epoch: number, opts: { seed: number; seqLen: number; packing: boolean; shuffle: boolean }): number[][] {
  const rng = new Rng((opts.seed * 1000003 + epoch * 7919) >>> 0);
  const indices = examples.map((_, i) => i);
  if (!opts.packing) return (opts.shuffle ? rng.shuffled(indices) : indices).map((i) => [i]);
  const rows = packRows(
    examples.map((e) => e.ids.length),
    opts.seqLen,
  );
  return opts.shuffle ? rng.shuffled(rows) : rows;
}

/** Number of rows an epoch has (the same for every epoch). */
export function rowsPerEpoch(examples: readonly Example[], seqLen: number, packing: boolean): number {
  return packing ? packRows(examples.map((e) => e.ids.length), seqLen).length : examples.length;
}

/**
 * Builds a micro-batch from rows of record indices. Rows are padded (with `padId`, label IGNORE,
 * segment 0) to `seqLen` when `padToSeqLen`, else to the longest row rounded up to a multiple of 8.
 */
export function makeBatch(examples: readonly Example[], rows: readonly (readonly number[])[], opts: { seqLen: number; padId: number; padToSeqLen: boolean }): TokenBatch {
  const lengths = rows.map((r) => r.reduce((s, i) => s + examples[i]!.ids.length, 0));
  const longest = Math.max(1, ...lengths);
  const T = opts.padToSeqLen ? opts.seqLen : Math.max(longest, Math.min(opts.seqLen, Math.ceil(longest / 8) * 8));
  const B = rows.length;
  const inputIds = new Int32Array(B * T).fill(opts.padId);
  const labels = new Int32Array(B * T).fill(IGNORE);
  const positionIds = new Int32Array(B * T);
  const segmentIds = new Int32Array(B * T);
  const weighted = rows.some((r) => r.some((i) => examples[i]!.lossWeight !== undefined));
  const labelWeights = weighted ? new Float32Array(B * T) : undefined;
  let trainedTokens = 0;
  let tokens = 0;
  rows.forEach((row, b) => {
    let at = b * T;
    row.forEach((idx, s) => {
      const ex = examples[idx]!;
      ex.ids.forEach((id, j) => {
        inputIds[at] = id;
        positionIds[at] = j;
        segmentIds[at] = s + 1;
        // The first token of a record is never a target: it would be predicted from the previous
        // record's last token.
        if (j > 0 && ex.trained[j]) {
          labels[at] = id;
          if (labelWeights) labelWeights[at] = ex.lossWeight ?? 1;
          trainedTokens++;
        }
        at++;
      });
      tokens += ex.ids.length;
    });
  });
  return { rows: B, seqLen: T, inputIds, labels, positionIds, segmentIds, trainedTokens, tokens, ...(labelWeights ? { labelWeights } : {}) };
}
