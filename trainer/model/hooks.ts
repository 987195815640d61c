/**
 * Plumbing for `ForwardHooks`: several hook sets (attached to the model by adapters, or passed per
 * forward) composed into one, and the row selection that drops positions a hook added.
 */
import * as tf from '@tensorflow/tfjs-core';
import { customOp } from './linear';
import type { ForwardHooks, ModelInput } from './types';

/** One hook set that runs each of `sets` in order (input maps chain; kvPrefix: the first that answers). */
export function composeHooks(sets: readonly (ForwardHooks | undefined)[]): ForwardHooks | undefined {
  const hs = sets.filter((h): h is ForwardHooks => h !== undefined);
  if (hs.length <= 1) return hs[0];
  const out: ForwardHooks = {};
  const reserved = hs.reduce((n, h) => n + (h.reservedPositions ?? 0), 0);
  if (reserved > 0) out.reservedPositions = reserved;
  if (hs.some((h) => h.input)) {
    out.input = (input, continuation) => {
      let cur = input;
      let rows: Int32Array | undefined;
      for (const h of hs) {
        if (!h.input) continue;
        const m = h.input(cur, continuation);
        // Rows compose: the caller's row i is row rows[i] of the previous map, then m.rows[...] of this one.
        rows = m.rows ? (rows ? Int32Array.from(rows, (r) => m.rows![r]) : m.rows) : rows;
        cur = m.input;
      }
      return rows ? { input: cur, rows } : { input: cur };
    };
  }
  if (hs.some((h) => h.embeddings)) out.embeddings = (h, input) => hs.reduce((x, s) => (s.embeddings ? s.embeddings(x, input) : x), h);
  if (hs.some((h) => h.kvPrefix)) {
    out.kvPrefix = (layer) => {
      const got = hs.map((s) => s.kvPrefix?.(layer) ?? null).filter((p) => p !== null);
      if (got.length <= 1) return got[0] ?? null;
      return { k: tf.concat(got.map((p) => p.k), 1) as tf.Tensor3D, v: tf.concat(got.map((p) => p.v), 1) as tf.Tensor3D };
    };
  }
  if (hs.some((h) => h.afterAttention)) out.afterAttention = (layer, x) => hs.reduce((y, s) => (s.afterAttention ? s.afterAttention(layer, y) : y), x);
  if (hs.some((h) => h.afterMlp)) out.afterMlp = (layer, x) => hs.reduce((y, s) => (s.afterMlp ? s.afterMlp(layer, y) : y), x);
  return out;
}

/**
 * Rows `rows` of h [N, C] → [rows.length, C]. `rows` must not repeat (an input map selects each
 * position once), so the gradient is a gather too: dh[j] = dy[i] where rows[i] = j, else 0 — no
 * [N, rows] one-hot, which would grow with the square of the batch's length.
 */
export function gatherRows(h: tf.Tensor2D, rows: Int32Array): tf.Tensor2D {
  const n = h.shape[0];
  const inverse = new Int32Array(n).fill(rows.length); // rows.length = the appended zero row
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i];
    if (r < 0 || r >= n || inverse[r] !== rows.length) throw new RangeError(`gatherRows: row ${r} is outside [0, ${n}) or selected twice`);
    inverse[r] = i;
  }
  const idx = tf.tensor1d(rows, 'int32');
  const inv = tf.tensor1d(inverse, 'int32');
  return customOp<tf.Tensor2D>(
    ([x]) => tf.gather(x as tf.Tensor2D, idx),
    (dy, _inputs, [savedInv]) => {
      const c = dy.shape[1] as number;
      return [tf.gather(tf.concat([dy as tf.Tensor2D, tf.zeros([1, c])], 0), savedInv as tf.Tensor1D)];
    },
    [inv],
    0,
  )(h);
}

/** Position ids of `input` (the default 0..T-1 per row when absent) shifted by `by`. */
export function shiftedPositions(input: ModelInput, by: number): Int32Array {
  const { batch: B, seqLen: T } = input;
  const out = new Int32Array(B * T);
  for (let i = 0; i < B * T; i++) out[i] = (input.positionIds ? input.positionIds[i] : i % T) + by;
  return out;
}
