import type { MetricBatch } from '../../common/protocol/webview';

/** One run's metric columns in the dashboard (immutable: a batch yields new arrays). */
export interface RunSeries {
  step: number[];
  loss: number[];
  lr: number[];
  gradNorm: (number | null)[];
  tokensPerS: (number | null)[];
  evalStep: number[];
  evalLoss: number[];
}

export const EMPTY_SERIES: RunSeries = Object.freeze({ step: [], loss: [], lr: [], gradNorm: [], tokensPerS: [], evalStep: [], evalLoss: [] }) as unknown as RunSeries;

/** Index of the first element >= v in a sorted array. */
function lowerBound(a: readonly number[], v: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (a[mid]! < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Adds a batch to a run's series. A reset batch replaces it. Steps at or below the last known step
 * (a resumed run continuing from an earlier checkpoint) cut the old points from that step on,
 * so the chart shows the trajectory that continues, not both.
 */
export function appendBatch(prev: RunSeries | undefined, b: MetricBatch): RunSeries {
  const base = b.reset || !prev ? EMPTY_SERIES : prev;
  const cut = b.step.length > 0 ? lowerBound(base.step, b.step[0]!) : base.step.length;
  const ecut = b.evalStep.length > 0 ? lowerBound(base.evalStep, b.evalStep[0]!) : b.step.length > 0 ? lowerBound(base.evalStep, b.step[0]!) : base.evalStep.length;
  const join = <T>(old: readonly T[], add: readonly T[], at: number): T[] => (at === old.length ? old.concat(add) : old.slice(0, at).concat(add));
  return {
    step: join(base.step, b.step, cut),
    loss: join(base.loss, b.loss, cut),
    lr: join(base.lr, b.lr, cut),
    gradNorm: join(base.gradNorm, b.gradNorm, cut),
    tokensPerS: join(base.tokensPerS, b.tokensPerS, cut),
    evalStep: join(base.evalStep, b.evalStep, ecut),
    evalLoss: join(base.evalLoss, b.evalLoss, ecut),
  };
}

/**
 * Exponential moving average with the start-up bias removed (as TensorBoard smooths), so the
 * first points are not dragged towards zero. `weight` 0 returns the values; 0.99 is very smooth.
 */
export function smooth(values: readonly number[], weight: number): number[] {
  const w = Math.min(Math.max(weight, 0), 0.999);
  if (w === 0) return values.slice();
  const out: number[] = [];
  let last = 0;
  let debias = 0;
  for (let i = 0; i < values.length; i++) {
    last = last * w + (1 - w) * values[i]!;
    debias = debias * w + (1 - w);
    out.push(last / debias);
  }
  return out;
}

/**
 * Puts columns with different x values on one shared, sorted x axis (uPlot's data layout):
 * each output column has a value where its own x had one and null elsewhere. Several runs, and
 * evaluation points between logging steps, are drawn together this way.
 */
export function alignColumns(columns: { x: readonly number[]; y: readonly (number | null)[] }[]): { x: readonly number[]; ys: readonly (readonly (number | null)[])[] } {
  // Fast path: every column already shares the same x (the arrays are immutable: no copy needed).
  const first = columns[0]?.x;
  if (first && columns.every((c) => c.x === first)) return { x: first, ys: columns.map((c) => c.y) };
  let x: number[] = [];
  for (const c of columns) x = mergeSorted(x, c.x);
  const ys = columns.map((c) => {
    const out = new Array<number | null>(x.length).fill(null);
    let j = 0;
    for (let i = 0; i < c.x.length; i++) {
      const xi = c.x[i]!;
      while (j < x.length && x[j]! < xi) j++;
      if (j < x.length) out[j] = c.y[i] ?? null;
    }
    return out;
  });
  return { x, ys };
}

function mergeSorted(a: readonly number[], b: readonly number[]): number[] {
  const out: number[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    const v = j >= b.length || (i < a.length && a[i]! <= b[j]!) ? a[i++]! : b[j++]!;
    if (out.length === 0 || out[out.length - 1] !== v) out.push(v);
  }
  return out;
}

/**
 * Thins aligned columns to at most about `max` x positions for drawing: each bucket of
 * consecutive points becomes two, carrying every column's minimum and maximum in the bucket (in
 * the order they occur), so spikes and the noise band of a raw loss curve stay visible while a
 * chart of 100,000 steps draws a few thousand. Sparse columns (eval loss) keep their last value.
 */
export function decimate(x: readonly number[], ys: readonly (readonly (number | null)[])[], max: number): { x: number[]; ys: (number | null)[][] } {
  const n = x.length;
  if (n <= max) return { x: x.slice(), ys: ys.map((y) => y.slice()) };
  const buckets = Math.max(1, Math.floor(max / 2));
  const size = n / buckets;
  // Bucket bounds once, shared by every column.
  const bounds: number[] = [];
  const ox: number[] = [];
  for (let b = 0; b < buckets; b++) {
    const from = Math.floor(b * size);
    const to = Math.min(n, Math.floor((b + 1) * size));
    if (to <= from) continue;
    bounds.push(from, to);
    ox.push(x[from]!, x[to - 1]!);
  }
  const oys = ys.map((y) => {
    const out: (number | null)[] = [];
    for (let k = 0; k < bounds.length; k += 2) {
      const to = bounds[k + 1]!;
      let lo = Infinity;
      let hi = -Infinity;
      let loAt = -1;
      let hiAt = -1;
      let count = 0;
      for (let i = bounds[k]!; i < to; i++) {
        const v = y[i];
        if (v === null || v === undefined) continue;
        count++;
        if (v < lo) {
          lo = v;
          loAt = i;
        }
        if (v > hi) {
          hi = v;
          hiAt = i;
        }
      }
      if (count === 0) out.push(null, null);
      else if (count === 1) out.push(null, lo);
      else if (loAt <= hiAt) out.push(lo, hi);
      else out.push(hi, lo);
    }
    return out;
  });
  return { x: ox, ys: oys };
}
