import type { MetricBatch } from '../../common/protocol/webview';

/** The step columns of one batch (immutable once appended). */
export interface Chunk {
  readonly step: readonly number[];
  readonly loss: readonly number[];
  readonly lr: readonly number[];
  readonly gradNorm: readonly (number | null)[];
  readonly tokensPerS: readonly (number | null)[];
}

/**
 * One run's metrics in the dashboard state. Step columns are a list of immutable chunks, so that
 * appending a batch costs O(batch), not O(run length): at 100,000 points copying every column on
 * each update was half of a frame. Views flatten them through {@link Flattener}, which extends its
 * flat arrays incrementally. Eval points are few and kept flat.
 */
export interface RunSeries {
  readonly chunks: readonly Chunk[];
  /** Steps in all chunks. */
  readonly length: number;
  /** The last step, or -Infinity when empty. */
  readonly lastStep: number;
  readonly evalStep: readonly number[];
  readonly evalLoss: readonly number[];
}

/** Flat step columns. */
export interface FlatSeries {
  step: number[];
  loss: number[];
  lr: number[];
  gradNorm: (number | null)[];
  tokensPerS: (number | null)[];
}

export const EMPTY_SERIES: RunSeries = Object.freeze({ chunks: [], length: 0, lastStep: -Infinity, evalStep: [], evalLoss: [] });
/** Chunks are merged into one when there are this many (amortised: one copy per this many appends). */
const MAX_CHUNKS = 256;

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

function pushChunk(f: FlatSeries, c: Chunk): void {
  for (let i = 0; i < c.step.length; i++) {
    f.step.push(c.step[i]!);
    f.loss.push(c.loss[i]!);
    f.lr.push(c.lr[i]!);
    f.gradNorm.push(c.gradNorm[i] ?? null);
    f.tokensPerS.push(c.tokensPerS[i] ?? null);
  }
}

/** The step columns of a series as flat arrays (a fresh copy). */
export function flatSeries(s: RunSeries): FlatSeries {
  const f: FlatSeries = { step: [], loss: [], lr: [], gradNorm: [], tokensPerS: [] };
  for (const c of s.chunks) pushChunk(f, c);
  return f;
}

/**
 * Adds a batch to a run's series. A reset batch replaces it. Steps at or below the last known step
 * (a resumed run continuing from an earlier checkpoint) cut the old points from that step on,
 * so the chart shows the trajectory that continues, not both.
 */
export function appendBatch(prev: RunSeries | undefined, b: MetricBatch): RunSeries {
  let base = b.reset || !prev ? EMPTY_SERIES : prev;
  let chunks: readonly Chunk[] = base.chunks;
  if (b.step.length > 0 && b.step[0]! <= base.lastStep) {
    const f = flatSeries(base);
    const cut = lowerBound(f.step, b.step[0]!);
    const kept: Chunk = { step: f.step.slice(0, cut), loss: f.loss.slice(0, cut), lr: f.lr.slice(0, cut), gradNorm: f.gradNorm.slice(0, cut), tokensPerS: f.tokensPerS.slice(0, cut) };
    chunks = cut > 0 ? [kept] : [];
    base = { ...base, length: cut, lastStep: cut > 0 ? f.step[cut - 1]! : -Infinity };
  }
  if (b.step.length > 0) {
    const c: Chunk = { step: b.step, loss: b.loss, lr: b.lr, gradNorm: b.gradNorm, tokensPerS: b.tokensPerS };
    chunks = chunks.length + 1 >= MAX_CHUNKS ? [merge([...chunks, c])] : [...chunks, c];
  }
  const from = b.evalStep.length > 0 ? b.evalStep[0]! : b.step.length > 0 ? b.step[0]! : Infinity;
  const ecut = from === Infinity ? base.evalStep.length : lowerBound(base.evalStep, from);
  const join = <T>(old: readonly T[], add: readonly T[], at: number): T[] => (at === old.length ? old.concat(add) : old.slice(0, at).concat(add));
  return {
    chunks,
    length: base.length + b.step.length,
    lastStep: b.step.length > 0 ? b.step[b.step.length - 1]! : base.lastStep,
    evalStep: join(base.evalStep, b.evalStep, ecut),
    evalLoss: join(base.evalLoss, b.evalLoss, ecut),
  };
}

function merge(chunks: readonly Chunk[]): Chunk {
  return flatSeries({ chunks, length: 0, lastStep: 0, evalStep: [], evalLoss: [] });
}

/**
 * Flat columns of one run, kept between frames: when the next state's chunks extend the ones seen
 * (same first chunk, the last seen chunk still in place) only the new chunks are copied; anything
 * else (a cut, a reset, a merge) rebuilds. The flat arrays are this cache's own, never state.
 */
export class Flattener {
  private seen: readonly Chunk[] = [];
  private flat: FlatSeries = flatSeries(EMPTY_SERIES);

  get(s: RunSeries): FlatSeries {
    const c = s.chunks;
    const n = this.seen.length;
    const extends_ = n <= c.length && (n === 0 || (c[0] === this.seen[0] && c[n - 1] === this.seen[n - 1]));
    if (!extends_) {
      this.flat = flatSeries(EMPTY_SERIES);
      this.seen = [];
    }
    for (let k = this.seen.length; k < c.length; k++) pushChunk(this.flat, c[k]!);
    this.seen = c;
    return this.flat;
  }
}

/**
 * A smoothed copy of a flat column kept between frames: extended from where it stopped while the
 * column only grows and the weight stays, recomputed otherwise.
 */
export class Smoother {
  private src: readonly number[] | null = null;
  private weight = -1;
  private out: number[] = [];
  private last = 0;
  private debias = 0;

  get(values: readonly number[], weight: number): number[] {
    const w = Math.min(Math.max(weight, 0), 0.999);
    if (values !== this.src || w !== this.weight || values.length < this.out.length) {
      this.src = values;
      this.weight = w;
      this.out = [];
      this.last = 0;
      this.debias = 0;
    }
    for (let i = this.out.length; i < values.length; i++) {
      this.last = this.last * w + (1 - w) * values[i]!;
      this.debias = this.debias * w + (1 - w);
      this.out.push(w === 0 ? values[i]! : this.last / this.debias);
    }
    return this.out;
  }
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
