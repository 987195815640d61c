/**
 * The per-tensor maths of mergekit's methods, on flat float32 arrays (one tensor per input at a
 * time). Written from mergekit @ a6e4028 (`merge_methods/linear.py`, `slerp.py`,
 * `generalized_task_arithmetic.py`, `sparsify.py`); sums run in float64, results are float32.
 * Checked against an independent numpy implementation (scripts/reference/merge_reference.py).
 */
import { mulberry32 } from '../../common/random';

/** A keep-mask (1 keep, 0 drop) or null for "keep everything". */
export type Mask = Uint8Array | null;

/** Σ wᵢ·xᵢ, divided by Σ wᵢ when `normalize` (mergekit's linear). */
export function linearMerge(tensors: readonly Float32Array[], weights: readonly number[], normalize: boolean): Float32Array {
  const n = tensors[0].length;
  // Tensor-major accumulation in float64: one tight loop per input.
  const acc = new Float64Array(n);
  let wsum = 0;
  tensors.forEach((x, i) => {
    const w = weights[i];
    wsum += w;
    for (let j = 0; j < n; j++) acc[j] += w * x[j];
  });
  const out = new Float32Array(n);
  if (normalize) for (let j = 0; j < n; j++) out[j] = acc[j] / wsum;
  else out.set(acc);
  return out;
}

/**
 * Spherical interpolation of the flattened tensors: t = 0 gives v0 (the base), t = 1 gives v1.
 * Directions come from normalised copies (norms ≤ 1e-8 stay unnormalised); when |cos| > 0.9995
 * the two are treated as colinear and interpolated linearly.
 */
export function slerp(t: number, v0: Float32Array, v1: Float32Array): Float32Array {
  const n = v0.length;
  // One pass for both norms and the dot product; the dot of the normalised copies follows.
  let n0 = 0;
  let n1 = 0;
  let raw = 0;
  for (let j = 0; j < n; j++) {
    const x = v0[j];
    const y = v1[j];
    n0 += x * x;
    n1 += y * y;
    raw += x * y;
  }
  n0 = Math.sqrt(n0);
  n1 = Math.sqrt(n1);
  const dot = raw * (n0 > 1e-8 ? 1 / n0 : 1) * (n1 > 1e-8 ? 1 / n1 : 1);
  let a: number;
  let b: number;
  if (Math.abs(dot) > 0.9995) {
    a = 1 - t;
    b = t;
  } else {
    const theta0 = Math.acos(dot);
    const sin0 = Math.sin(theta0);
    a = Math.sin(theta0 - theta0 * t) / sin0;
    b = Math.sin(theta0 * t) / sin0;
  }
  const out = new Float32Array(n);
  for (let j = 0; j < n; j++) out[j] = a * v0[j] + b * v1[j];
  return out;
}

/**
 * The k-th smallest value (0-based) of `a`, which is reordered: quickselect (Hoare partition,
 * median-of-three pivot), linear time on average where a full sort costs n·log n.
 */
export function kthSmallest(a: Float32Array, k: number): number {
  let lo = 0;
  let hi = a.length - 1;
  while (hi > lo) {
    const mid = (lo + hi) >>> 1;
    // median of three as the pivot value
    let x = a[lo];
    let y = a[mid];
    let z = a[hi];
    if (x > y) [x, y] = [y, x];
    if (y > z) [y, z] = [z, y];
    if (x > y) [x, y] = [y, x];
    const pivot = y;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i <= j) {
        const t = a[i];
        a[i] = a[j];
        a[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return a[k];
  }
  return a[k];
}

/** Keeps the `floor(density·n)` largest |x| (ties broken by position); null when density ≥ 1. */
export function magnitudeMask(x: Float32Array, density: number): Mask {
  if (density >= 1) return null;
  const n = x.length;
  const k = Math.trunc(density * n);
  if (k <= 0) throw new RangeError(`density ${density} keeps no entry of a tensor of ${n} values`);
  const abs = new Float32Array(n);
  for (let j = 0; j < n; j++) abs[j] = Math.abs(x[j]);
  const threshold = kthSmallest(abs.slice(), n - k);
  let above = 0;
  for (let j = 0; j < n; j++) if (abs[j] > threshold) above++;
  let ties = k - above;
  const mask = new Uint8Array(n);
  for (let j = 0; j < n; j++) {
    if (abs[j] > threshold) mask[j] = 1;
    else if (abs[j] === threshold && ties > 0) {
      mask[j] = 1;
      ties--;
    }
  }
  return mask;
}

/**
 * Breadcrumbs: drops the `gamma` fraction of largest |x| and enough of the smallest to keep
 * `density` (fewer outliers when both cannot hold). Order ascending by |x|, ties by position.
 */
export function outlierMask(x: Float32Array, density: number, gamma: number): Mask {
  if (density >= 1) return null;
  const n = x.length;
  const target = Math.trunc(density * n);
  let nTop = Math.trunc(gamma * n);
  let nBot = n - target - nTop;
  if (nBot < 0) {
    nTop += nBot;
    nBot = 0;
  }
  const mask = new Uint8Array(n);
  // mergekit slices indices[n_bot:-n_top]; with n_top = 0 that slice is empty.
  if (nTop <= 0 || nBot >= n - nTop) return mask;
  // Keep ascending ranks [nBot, n − nTop) without sorting indices (a sorted copy of |x| gives the
  // two boundary values; equal values rank by position).
  const abs = new Float32Array(n);
  for (let j = 0; j < n; j++) abs[j] = Math.abs(x[j]);
  const scratch = abs.slice();
  const lo = kthSmallest(scratch, nBot);
  const hi = kthSmallest(scratch, n - nTop - 1);
  let belowLo = 0;
  let belowHi = 0;
  for (let j = 0; j < n; j++) {
    if (abs[j] < lo) belowLo++;
    if (abs[j] < hi) belowHi++;
  }
  let seenLo = 0;
  let seenHi = 0;
  for (let j = 0; j < n; j++) {
    const a = abs[j];
    let rank: number;
    if (a === lo) rank = belowLo + seenLo++;
    else if (a === hi) rank = belowHi + seenHi++;
    else {
      mask[j] = a > lo && a < hi ? 1 : 0;
      continue;
    }
    mask[j] = rank >= nBot && rank < n - nTop ? 1 : 0;
  }
  return mask;
}

/** DARE: keeps each entry with probability `density`, drawn from `random`; null when density ≥ 1. */
export function bernoulliMask(n: number, density: number, random: () => number): Mask {
  if (density >= 1) return null;
  const mask = new Uint8Array(n);
  for (let j = 0; j < n; j++) mask[j] = random() < density ? 1 : 0;
  return mask;
}

/**
 * DELLA (MagPrune): per row, the keep probability rises linearly with the magnitude rank from
 * density − epsilon (smallest) to density + epsilon (largest). 1-D tensors are one row.
 */
export function dellaMask(x: Float32Array, shape: readonly number[], density: number, epsilon: number, random: () => number): Mask {
  if (density >= 1) return null;
  if (density + epsilon >= 1 || density - epsilon <= 0) throw new RangeError('epsilon must be chosen such that density ± epsilon is in (0, 1)');
  const rows = shape.length < 2 ? 1 : shape[0];
  const cols = x.length / rows;
  const mask = new Uint8Array(x.length);
  const order = new Array<number>(cols);
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    for (let c = 0; c < cols; c++) order[c] = c;
    order.sort((p, q) => Math.abs(x[o + p]) - Math.abs(x[o + q]) || p - q);
    const rank = new Float64Array(cols);
    for (let i = 0; i < cols; i++) rank[order[i]] = i;
    for (let c = 0; c < cols; c++) {
      const p = density - epsilon + (cols > 1 ? rank[c] / (cols - 1) : 0) * 2 * epsilon;
      mask[o + c] = random() < p ? 1 : 0;
    }
  }
  return mask;
}

/**
 * Applies a keep-mask in place; with `rescale`, scales the survivors so the L1 norm equals the
 * original's (mergekit's `rescaled_masked_tensor` with RescaleNorm.l1; left as is when either
 * norm is below 1e-7).
 */
export function applyMask(x: Float32Array, mask: Mask, rescale: boolean): void {
  if (!mask) return;
  let before = 0;
  let after = 0;
  for (let j = 0; j < x.length; j++) {
    const a = Math.abs(x[j]);
    before += a;
    if (mask[j]) after += a;
    else x[j] = 0;
  }
  if (!rescale || before < 1e-7 || after < 1e-7) return;
  const s = before / after;
  for (let j = 0; j < x.length; j++) x[j] *= s;
}

/** One non-base input of a task-arithmetic merge, as its already-sparsified delta. */
export interface WeightedDelta {
  delta: Float32Array;
  weight: number;
}

/**
 * Generalized task arithmetic after sparsification: weighted deltas wᵢδᵢ; with `consensus`, the
 * sign of Σ wᵢδᵢ is elected per entry (≥ 0 → +) and only deltas of that sign (zeros excluded)
 * count; `normalize` divides by the sum of the counted weights (1 when that is 0); `lambda`
 * scales the result, which is added to the base.
 */
export function taskArithmetic(base: Float32Array, deltas: readonly WeightedDelta[], opts: { consensus: boolean; normalize: boolean; lambda: number }): Float32Array {
  const n = base.length;
  const out = new Float32Array(n);
  let wsum = 0;
  for (const d of deltas) wsum += d.weight;
  if (Math.abs(wsum) < 1e-8) wsum = 1;
  for (let j = 0; j < n; j++) {
    let mixed = 0;
    let divisor: number;
    if (opts.consensus) {
      let total = 0;
      for (const d of deltas) total += d.weight * d.delta[j];
      const sign = total >= 0 ? 1 : -1;
      divisor = 0;
      for (const d of deltas) {
        const wd = d.weight * d.delta[j];
        if (Math.sign(wd) === sign) {
          mixed += wd;
          divisor += d.weight;
        }
      }
      if (divisor === 0) divisor = 1;
    } else {
      for (const d of deltas) mixed += d.weight * d.delta[j];
      divisor = wsum;
    }
    if (opts.normalize) mixed /= divisor;
    if (opts.lambda !== 1) mixed *= opts.lambda;
    out[j] = base[j] + mixed;
  }
  return out;
}

/** FNV-1a of a string: the per-tensor stream of the seeded RNG. */
function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/**
 * The random stream for one (seed, tensor, input) triple: masks do not depend on the order in which
 * tensors are merged, so a merge is reproducible from its recorded seed.
 */
export function maskRandom(seed: number, tensorName: string, input: string): () => number {
  return mulberry32(fnv1a(`${seed >>> 0}\u0000${tensorName}\u0000${input}`));
}
