/**
 * Bounded-memory counters for the quality pass over large files: the most frequent strings
 * (Misra-Gries), distinct counts (exact up to a limit, then HyperLogLog),
 * MATTR, and value distributions with exact percentiles from count tables.
 */
import { fmix32 } from '../minhash';
import { IntList } from '../hash';
import type { Distribution } from './types';

/**
 * The most frequent strings (Misra-Gries): exact while fewer than `capacity` distinct strings
 * were seen; after that a newcomer that finds the table full lowers every count by one (entries
 * at zero leave), so each count may understate by at most n / capacity, and anything more
 * frequent than that is kept. Amortised O(1) per string.
 */
export class TopK {
  private readonly counts = new Map<string, number>();

  constructor(private readonly capacity = 2000) {}

  add(key: string): void {
    const c = this.counts.get(key);
    if (c !== undefined) this.counts.set(key, c + 1);
    else if (this.counts.size < this.capacity) this.counts.set(key, 1);
    else {
      for (const [k, v] of this.counts) {
        if (v === 1) this.counts.delete(k);
        else this.counts.set(k, v - 1);
      }
    }
  }

  /** The `n` largest, by count then text. */
  top(n: number): { text: string; count: number }[] {
    return [...this.counts]
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
      .slice(0, n)
      .map(([text, count]) => ({ text, count }));
  }
}

/** FNV-1a of a string, mixed: a 32-bit hash for the distinct counter. */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return fmix32(h);
}

/** Distinct count: exact (a set of hashes) up to `exactLimit` (20,000), then HyperLogLog with 2^14 registers (~0.8 % error). */
export class DistinctCounter {
  private exact: Set<number> | null = new Set();
  private readonly registers = new Uint8Array(1 << 14);

  constructor(private readonly exactLimit = 20_000) {}

  add(s: string): void {
    const h = hashString(s);
    if (this.exact) {
      this.exact.add(h);
      if (this.exact.size > this.exactLimit) this.exact = null;
    }
    const idx = h >>> 18;
    const w = (h << 14) | (1 << 13);
    const rank = Math.clz32(w) + 1;
    if (rank > this.registers[idx]!) this.registers[idx] = rank;
  }

  get estimated(): boolean {
    return this.exact === null;
  }

  get count(): number {
    if (this.exact) return this.exact.size;
    const m = this.registers.length;
    let sum = 0;
    let zeros = 0;
    for (let i = 0; i < m; i++) {
      sum += Math.pow(2, -this.registers[i]!);
      if (this.registers[i] === 0) zeros++;
    }
    const e = ((0.7213 / (1 + 1.079 / m)) * m * m) / sum;
    return Math.round(e <= 2.5 * m && zeros > 0 ? m * Math.log(m / zeros) : e);
  }
}

/**
 * Moving-average type-token ratio (Covington & McFall 2010): the mean, over every window of
 * `window` consecutive words, of distinct words / window. Unlike the plain type-token ratio it
 * does not fall as the text grows, so datasets of different sizes compare. Words are 32-bit hashes.
 */
export class Mattr {
  private readonly ring: Int32Array;
  private readonly inWindow = new Map<number, number>();
  private seen = 0;
  private sum = 0;
  private windows = 0;

  constructor(readonly window = 100) {
    this.ring = new Int32Array(window);
  }

  add(word: number): void {
    const w = this.window;
    if (this.seen >= w) {
      const old = this.ring[this.seen % w]!;
      const c = this.inWindow.get(old)! - 1;
      if (c === 0) this.inWindow.delete(old);
      else this.inWindow.set(old, c);
    }
    this.ring[this.seen % w] = word | 0;
    this.inWindow.set(word | 0, (this.inWindow.get(word | 0) ?? 0) + 1);
    this.seen++;
    if (this.seen >= w) {
      this.sum += this.inWindow.size / w;
      this.windows++;
    }
  }

  get words(): number {
    return this.seen;
  }

  /** Null until one full window has been seen. */
  value(): number | null {
    return this.windows ? this.sum / this.windows : null;
  }
}

/** Values below this are counted in a table; larger ones (rare: 64 K characters and up) are kept. */
const TABLE = 1 << 16;

/**
 * A distribution of non-negative integers with exact percentiles in bounded memory: a count per
 * value below 65,536 (256 KB), the rare larger values kept as they are. No per-record list.
 */
export class ValueCounts {
  private readonly table = new Uint32Array(TABLE);
  private readonly large = new IntList();
  count = 0;
  private sum = 0;

  add(v: number): void {
    const x = Math.max(0, Math.floor(v));
    if (x < TABLE) this.table[x]!++;
    else this.large.push(x);
    this.count++;
    this.sum += x;
  }

  /** Exact percentiles (nearest rank) and a log2 histogram (bins [0,1), [1,2), [2,4), [4,8), ...). */
  distribution(): Distribution | null {
    const n = this.count;
    if (n === 0) return null;
    const large = this.large.sorted();
    const qs = [0.1, 0.25, 0.5, 0.75, 0.9, 0.99];
    const ranks = qs.map((q) => Math.min(n, Math.max(1, Math.ceil(q * n))));
    const found: number[] = [];
    let min = -1;
    let max = 0;
    let seen = 0;
    let r = 0;
    // Walk the values in order: the table, then the large ones.
    const visit = (value: number, c: number) => {
      if (c === 0) return;
      if (min < 0) min = value;
      max = value;
      seen += c;
      while (r < ranks.length && seen >= ranks[r]!) {
        found.push(value);
        r++;
      }
    };
    for (let v = 0; v < TABLE; v++) visit(v, this.table[v]!);
    for (let i = 0; i < large.length; i++) visit(large[i]!, 1);
    const edges = [0, 1];
    while (edges[edges.length - 1]! <= max) edges.push(edges[edges.length - 1]! * 2);
    const counts = new Array<number>(edges.length - 1).fill(0);
    for (let k = 0; k < counts.length; k++) {
      const lo = edges[k]!;
      const hi = edges[k + 1]!;
      let c = 0;
      for (let v = lo; v < Math.min(hi, TABLE); v++) c += this.table[v]!;
      for (let i = 0; i < large.length; i++) if (large[i]! >= lo && large[i]! < hi) c++;
      counts[k] = c;
    }
    return {
      count: n,
      min,
      p10: found[0]!,
      p25: found[1]!,
      p50: found[2]!,
      p75: found[3]!,
      p90: found[4]!,
      p99: found[5]!,
      max,
      mean: Math.round((10 * this.sum) / n) / 10,
      histogram: { edges, counts },
    };
  }
}

/** The distribution of a list of values (tests, small inputs). */
export function distribution(values: ArrayLike<number> | IntList): Distribution | null {
  const c = new ValueCounts();
  if (values instanceof IntList) for (let i = 0; i < values.length; i++) c.add(values.get(i));
  else for (let i = 0; i < values.length; i++) c.add(values[i]!);
  return c.distribution();
}
