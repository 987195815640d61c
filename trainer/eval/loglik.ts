/**
 * Log-likelihood scoring on a `CausalLM`, batched the way shared prompts allow:
 * - `scoreChoicesShared`: the continuations of one context (the choices of a multiple-choice
 *   item) cost one forward over the context, kept in a KV cache, plus one packed row holding every
 *   continuation (each its own segment, positions continuing after the context): attention sees
 *   the cached context and its own continuation only. The last context position's logits score
 *   every first continuation token, so one-token choices (MMLU's " A".." D") need no second pass.
 * - `scoreRequestAlone`: lm-eval's plain way, context + continuation in one forward per request
 *   (the reference the batched path is checked and benchmarked against).
 * - `scoreWindows`: rolling-window documents packed several to a row (segments, restarted positions).
 * Truncation is lm-eval's: the model sees (context + continuation)[-(maxLen + 1):][:-1].
 */
import * as tf from '@tensorflow/tfjs-core';
import { KvCache, type CausalLM, type ForwardHooks } from '../model/index';

/** Log-likelihood of a continuation and whether it is the greedy one (every token the argmax). */
export interface LoglikResult {
  ll: number;
  greedy: boolean;
}

export interface ScoreOptions {
  /** Longest sequence the model is fed (default: the model's position limit). */
  maxLen: number;
  hooks?: ForwardHooks;
}

/** log p(target) and argmax per row of logits [N, V], for targets [N]. */
function pick(logits: tf.Tensor2D, targets: Int32Array): { lp: Float32Array; am: Int32Array } {
  const [lpT, amT] = tf.tidy(() => {
    const logp = tf.logSoftmax(logits);
    const onehot = tf.oneHot(tf.tensor1d(targets, 'int32'), logits.shape[1]);
    return [tf.sum(tf.mul(logp, onehot), 1), tf.argMax(logits, 1)];
  });
  const lp = lpT.dataSync() as Float32Array;
  const am = amT.dataSync() as Int32Array;
  lpT.dispose();
  amT.dispose();
  return { lp, am };
}

function checkLengths(context: readonly number[], conts: readonly (readonly number[])[], maxLen: number): void {
  if (context.length === 0) throw new RangeError('empty context (use the prefix token)');
  for (const c of conts) {
    if (c.length === 0) throw new RangeError('empty continuation: the choice encodes to no tokens');
    if (c.length > maxLen) throw new RangeError(`a continuation of ${c.length} tokens does not fit the model's ${maxLen} positions`);
  }
}

/** Scores several continuations of one context (see the file comment). */
export function scoreChoicesShared(model: CausalLM, context: readonly number[], conts: readonly (readonly number[])[], opts: ScoreOptions): LoglikResult[] {
  checkLengths(context, conts, opts.maxLen);
  // Continuations that need a shorter (left-truncated) context than the others are grouped by it.
  const groups = new Map<number, number[]>();
  conts.forEach((c, i) => {
    const keep = Math.min(context.length, opts.maxLen + 1 - c.length);
    groups.set(keep, [...(groups.get(keep) ?? []), i]);
  });
  const out: LoglikResult[] = new Array<LoglikResult>(conts.length);
  for (const [keep, idx] of groups) {
    const ctx = context.slice(context.length - keep);
    const res = scoreGroup(model, ctx, idx.map((i) => conts[i]!), opts);
    idx.forEach((i, j) => (out[i] = res[j]!));
  }
  return out;
}

function scoreGroup(model: CausalLM, ctx: readonly number[], conts: readonly (readonly number[])[], opts: ScoreOptions): LoglikResult[] {
  const C = ctx.length;
  const cache = new KvCache();
  try {
    // 1. The context once: [1, C] → last-position logits [1, V] score every first token.
    const first = model.lastLogits({ batch: 1, seqLen: C, inputIds: Int32Array.from(ctx), positionIds: Int32Array.from(ctx, (_, i) => i) }, { cache, hooks: opts.hooks });
    const firstTargets = Int32Array.from(conts, (c) => c[0]!);
    const rows = tf.tidy(() => tf.tile(first, [conts.length, 1]) as tf.Tensor2D);
    first.dispose();
    const f = pick(rows, firstTargets);
    rows.dispose();
    const res = conts.map((c, i) => ({ ll: f.lp[i]!, greedy: f.am[i] === c[0] }));
    // 2. Every continuation's remaining tokens in one packed row: token j of continuation i is fed
    //    cont[j] at position C + j and predicts cont[j + 1].
    const S = conts.reduce((s, c) => s + c.length - 1, 0);
    if (S === 0) return res;
    const ids = new Int32Array(S);
    const pos = new Int32Array(S);
    const seg = new Int32Array(S);
    const targets = new Int32Array(S);
    const owner = new Int32Array(S);
    let k = 0;
    conts.forEach((c, i) => {
      for (let j = 0; j + 1 < c.length; j++, k++) {
        ids[k] = c[j]!;
        pos[k] = C + j;
        seg[k] = i;
        targets[k] = c[j + 1]!;
        owner[k] = i;
      }
    });
    const logits = model.logits({ batch: 1, seqLen: S, inputIds: ids, positionIds: pos, segmentIds: seg }, { cache, hooks: opts.hooks });
    const p = pick(logits, targets);
    logits.dispose();
    for (let t = 0; t < S; t++) {
      const r = res[owner[t]!]!;
      r.ll += p.lp[t]!;
      if (p.am[t] !== targets[t]) r.greedy = false;
    }
    return res;
  } finally {
    cache.dispose();
  }
}

/** One request on its own: (context + continuation)[-(maxLen+1):][:-1] in one forward, as lm-eval feeds it. */
export function scoreRequestAlone(model: CausalLM, context: readonly number[], cont: readonly number[], opts: ScoreOptions): LoglikResult {
  checkLengths(context, [cont], opts.maxLen);
  const whole = [...context, ...cont].slice(-(opts.maxLen + 1));
  const input = whole.slice(0, -1);
  const T = input.length;
  const logits = model.logits({ batch: 1, seqLen: T, inputIds: Int32Array.from(input), positionIds: Int32Array.from(input, (_, i) => i) }, { hooks: opts.hooks });
  const tail = tf.tidy(() => tf.slice(logits, [T - cont.length, 0], [cont.length, logits.shape[1]]) as tf.Tensor2D);
  logits.dispose();
  const p = pick(tail, Int32Array.from(cont));
  tail.dispose();
  let ll = 0;
  let greedy = true;
  for (let j = 0; j < cont.length; j++) {
    ll += p.lp[j]!;
    if (p.am[j] !== cont[j]) greedy = false;
  }
  return { ll, greedy };
}

/** A rolling window: feed context + predicted[:-1], score predicted. */
export interface Window {
  context: readonly number[];
  predicted: readonly number[];
}

/** Summed log-likelihood of each window's predicted tokens; windows packed into rows of maxLen. */
export function scoreWindows(model: CausalLM, windows: readonly Window[], opts: ScoreOptions & { rows?: number }): number[] {
  const out = new Array<number>(windows.length).fill(0);
  const lens = windows.map((w) => w.context.length + w.predicted.length - 1);
  for (const l of lens) if (l > opts.maxLen) throw new RangeError(`a window of ${l} tokens exceeds ${opts.maxLen}`);
  // Greedy packing in order: a row takes windows while they fit.
  const rows: number[][] = [];
  let cur: number[] = [];
  let used = 0;
  windows.forEach((_, i) => {
    if (used + lens[i]! > opts.maxLen && cur.length > 0) {
      rows.push(cur);
      cur = [];
      used = 0;
    }
    cur.push(i);
    used += lens[i]!;
  });
  if (cur.length > 0) rows.push(cur);
  const perBatch = Math.max(1, opts.rows ?? 1);
  for (let r0 = 0; r0 < rows.length; r0 += perBatch) {
    const batchRows = rows.slice(r0, r0 + perBatch);
    const T = Math.max(...batchRows.map((row) => row.reduce((s, i) => s + lens[i]!, 0)));
    const B = batchRows.length;
    const ids = new Int32Array(B * T);
    const pos = new Int32Array(B * T);
    const seg = new Int32Array(B * T).fill(-1);
    const targets = new Int32Array(B * T);
    const owner = new Int32Array(B * T).fill(-1);
    batchRows.forEach((row, b) => {
      let t = 0;
      for (const i of row) {
        const w = windows[i]!;
        const input = [...w.context, ...w.predicted.slice(0, -1)];
        const firstScored = input.length - w.predicted.length;
        input.forEach((tok, j) => {
          const k = b * T + t + j;
          ids[k] = tok;
          pos[k] = j;
          seg[k] = i;
          if (j >= firstScored) {
            targets[k] = w.predicted[j - firstScored]!;
            owner[k] = i;
          }
        });
        t += input.length;
      }
      // Padding: its own segment per position would cost nothing extra; one segment (-1) is enough
      // because padding comes after every real token of the row.
      for (let j = t; j < T; j++) pos[b * T + j] = 0;
    });
    const logits = model.logits({ batch: B, seqLen: T, inputIds: ids, positionIds: pos, segmentIds: seg }, { hooks: opts.hooks });
    const p = pick(logits, targets);
    logits.dispose();
    for (let k = 0; k < B * T; k++) if (owner[k]! >= 0) out[owner[k]!]! += p.lp[k]!;
  }
  return out;
}
