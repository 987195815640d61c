/**
 * Near-duplicate detection: MinHash signatures over word shingles and a banded LSH index, built
 * to stream over very large files with a few bytes per record.
 *
 * - Shingles: runs of `shingle` consecutive words (default 3) of the lower-cased text; a word is a
 *   run of letters and digits, and in scripts written without spaces (Han, kana, Thai) each
 *   character is a word. A text shorter than `shingle` words is one shingle. Shingles are 32-bit
 *   hashes; the text itself is never kept.
 * - Signatures: one-permutation MinHash with optimal densification (Shrivastava 2017): each shingle
 *   is hashed once into one of `bands × rows` bins and each bin keeps its smallest value; empty
 *   bins borrow the value of a bin chosen by a fixed probe sequence. Two signatures agree in a bin
 *   with probability equal to the Jaccard similarity of the shingle sets, as with k independent
 *   permutations, at the cost of one hash per shingle instead of k (the k-permutation scheme costs
 *   ~128 multiply-and-compare steps per word, which is most of a CPU-minute per GB).
 * - LSH: the signature is cut into `bands` bands of `rows` values; two records become candidates
 *   when some band is equal. The chance is 1 - (1 - s^rows)^bands for Jaccard s (the S-curve in
 *   docs/dataset-quality.md); `lshParams` picks bands × rows for a threshold (16 × 8 for 0.8).
 *   Each band has an open-addressing table of band hash → first record (two int32 per entry):
 *   ~8 bytes × bands per distinct record at most, nothing for a record whose bands are all known.
 * Candidates are confirmed by the caller, exactly (`jaccard` of the two shingle sets) when it can
 * read both records again, else by the signature estimate (`estimateJaccard`).
 */

/** Parameters of the MinHash + LSH scheme. */
export interface LshParams {
  bands: number;
  rows: number;
}

/** 32-bit finaliser (MurmurHash3 fmix32): every input bit reaches every output bit. */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Probability that two texts with Jaccard similarity `s` share at least one band. */
export function candidateProbability(s: number, { bands, rows }: LshParams): number {
  return 1 - Math.pow(1 - Math.pow(s, rows), bands);
}

/**
 * Bands × rows (at most `maxPerm` bins) for a Jaccard threshold: the pair that minimises the
 * weighted area of false positives (below the threshold) and false negatives (above it) under
 * the S-curve, as datasketch does, but with false negatives weighted 0.95: candidates are
 * verified afterwards, so a false positive costs one comparison while a false negative is a
 * duplicate missed. For 0.8 and 128 bins this gives 16 × 8 (P(candidate) 0.947 at s = 0.8, 0.994
 * at 0.85, 0.61 at 0.7, 0.061 at 0.5); datasketch's equal weights give 9 × 13 (0.40 at 0.8).
 */
export function lshParams(threshold: number, maxPerm = 128, fnWeight = 0.95): LshParams {
  const key = `${threshold}/${maxPerm}/${fnWeight}`;
  const known = chosen.get(key);
  if (known) return { ...known };
  const steps = 200;
  const area = (a: number, b: number, f: (s: number) => number) => {
    const h = (b - a) / steps;
    let sum = 0.5 * (f(a) + f(b));
    for (let i = 1; i < steps; i++) sum += f(a + i * h);
    return sum * h;
  };
  let best: LshParams = { bands: 1, rows: maxPerm };
  let bestError = Infinity;
  for (let bands = 1; bands <= maxPerm; bands++) {
    for (let rows = 1; bands * rows <= maxPerm; rows++) {
      const p = { bands, rows };
      const fp = area(0, threshold, (s) => candidateProbability(s, p));
      const fn = area(threshold, 1, (s) => 1 - candidateProbability(s, p));
      const e = (1 - fnWeight) * fp + fnWeight * fn;
      if (e < bestError - 1e-12) {
        bestError = e;
        best = p;
      }
    }
  }
  chosen.set(key, best);
  return { ...best };
}
const chosen = new Map<string, LshParams>();

/** Lower-case table for the letters that have one (Latin-1, Latin Extended, Greek, Cyrillic). */
const LOWER = (() => {
  const t = new Uint16Array(0x530);
  for (let c = 0; c < t.length; c++) {
    const l = String.fromCharCode(c).toLowerCase();
    t[c] = l.length === 1 ? l.charCodeAt(0) : c;
  }
  return t;
})();

/** 0: separator, 1: part of a word, 2: a word by itself (scripts written without spaces). */
function charClass(c: number): number {
  if (c < 0x80) return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) ? 1 : 0;
  if (c < 0xc0) return c === 0xaa || c === 0xb5 || c === 0xba ? 1 : 0;
  if (c === 0xd7 || c === 0xf7) return 0;
  if (c >= 0x2000 && c <= 0x2bff) return 0; // punctuation, symbols, arrows, box drawing
  if (c >= 0x3000 && c <= 0x303f) return 0; // CJK punctuation
  if (c >= 0xff00 && c <= 0xff0f) return 0; // full-width punctuation
  if ((c >= 0x0e00 && c <= 0x0e7f) || (c >= 0x3040 && c <= 0x30ff) || (c >= 0x3400 && c <= 0x9fff) || (c >= 0xf900 && c <= 0xfaff)) return 2;
  if (c >= 0xd800 && c <= 0xdfff) return 2; // astral characters (emoji, rare Han) count alone
  return 1;
}

/**
 * Calls `word` with a 32-bit hash of each lower-cased word of `text`, in order (FNV-1a over the
 * UTF-16 units; no string is built).
 */
export function forEachWordHash(text: string, word: (hash: number) => void): void {
  let h = 0x811c9dc5;
  let inWord = false;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    let c = text.charCodeAt(i);
    const k = charClass(c);
    if (k === 1) {
      if (c < 0x530) c = c >= 65 && c <= 90 ? c | 32 : c < 0x80 ? c : LOWER[c]!;
      h = Math.imul(h ^ c, 0x01000193);
      inWord = true;
      continue;
    }
    if (inWord) {
      word(h >>> 0);
      h = 0x811c9dc5;
      inWord = false;
    }
    if (k === 2) word(Math.imul(0x811c9dc5 ^ c, 0x01000193) >>> 0);
  }
  if (inWord) word(h >>> 0);
}

/**
 * Calls `emit` with the hash of every `k`-word shingle of `text` (one shingle for a text of
 * fewer than `k` words, none for a text without words). Returns the number of words.
 */
export function forEachShingle(text: string, k: number, emit: (hash: number) => void): number {
  const ring = new Uint32Array(k);
  let words = 0;
  forEachWordHash(text, (w) => {
    ring[words % k] = w;
    words++;
    if (words >= k) emit(shingleHash(ring, words, k));
  });
  if (words > 0 && words < k) emit(shingleHash(ring, words, words));
  return words;
}

/** Order-sensitive hash of the last `k` words in the ring (the newest at `(words - 1) % ring.length`). */
function shingleHash(ring: Uint32Array, words: number, k: number): number {
  let h = 0x9747b28c ^ k;
  const size = ring.length;
  for (let j = words - k; j < words; j++) {
    h = Math.imul(h ^ ring[j % size]!, 0x5bd1e995);
    h ^= h >>> 15;
  }
  return fmix32(h);
}

/** The distinct shingle hashes of a text, sorted (for exact Jaccard). */
export function shingleSet(text: string, k: number): Uint32Array {
  const all: number[] = [];
  forEachShingle(text, k, (h) => all.push(h));
  const a = Uint32Array.from(all).sort();
  let w = 0;
  for (let i = 0; i < a.length; i++) if (i === 0 || a[i] !== a[w - 1]) a[w++] = a[i]!;
  return a.slice(0, w);
}

/** Exact Jaccard similarity of two sorted, distinct shingle sets (1 for two empty sets). */
export function jaccard(a: Uint32Array, b: Uint32Array): number {
  if (a.length === 0 && b.length === 0) return 1;
  let i = 0;
  let j = 0;
  let both = 0;
  while (i < a.length && j < b.length) {
    if (a[i] === b[j]) {
      both++;
      i++;
      j++;
    } else if (a[i]! < b[j]!) i++;
    else j++;
  }
  return both / (a.length + b.length - both);
}

/** The share of bins where two signatures agree: the MinHash estimate of their Jaccard similarity. */
export function estimateJaccard(a: Uint32Array, b: Uint32Array): number {
  let same = 0;
  for (let i = 0; i < a.length; i++) if (a[i] === b[i]) same++;
  return a.length ? same / a.length : 0;
}

const EMPTY = 0xffffffff;

/**
 * One-permutation MinHash with densification. `sign` fills `out` (length bands × rows) with the
 * signature of a text and returns its word count (0: no words, no usable signature). The same
 * `seed` must be used for signatures that are compared.
 */
export class MinHasher {
  readonly bins: number;
  private readonly filled: Uint8Array;
  private readonly probe: Uint16Array;
  private readonly seed: number;
  private current: Uint32Array = new Uint32Array(0);
  private readonly onShingle = (h: number) => {
    const bin = ((h >>> 16) * this.bins) >>> 16;
    const v = fmix32(h ^ this.seed);
    const sig = this.current;
    if (this.filled[bin] === 0 || v < sig[bin]!) {
      sig[bin] = v;
      this.filled[bin] = 1;
    }
  };

  constructor(
    readonly params: LshParams,
    readonly shingle = 3,
    seed = 0x2545f491,
  ) {
    this.bins = params.bands * params.rows;
    if (this.bins > 65535) throw new RangeError('at most 65535 bins');
    this.filled = new Uint8Array(this.bins);
    this.seed = seed | 0;
    // Densification probes: bin i, attempt a -> a fixed pseudo-random bin (the same for every record).
    this.probe = new Uint16Array(this.bins * 32);
    for (let i = 0; i < this.bins; i++) for (let a = 0; a < 32; a++) this.probe[i * 32 + a] = ((fmix32((i << 8) ^ a ^ this.seed) >>> 16) * this.bins) >>> 16;
  }

  /** The signature of `text` into `out`; returns the number of words. */
  sign(text: string, out: Uint32Array): number {
    this.filled.fill(0);
    out.fill(EMPTY);
    this.current = out;
    const words = forEachShingle(text, this.shingle, this.onShingle);
    if (words > 0) this.densify(out);
    return words;
  }

  private densify(sig: Uint32Array): void {
    const n = this.bins;
    const filled = this.filled;
    for (let i = 0; i < n; i++) {
      if (filled[i]) continue;
      let a = 0;
      let j = this.probe[i * 32]!;
      // Probe until a filled bin; past the table, continue with computed probes.
      while (!filled[j]) {
        a++;
        j = a < 32 ? this.probe[i * 32 + a]! : ((fmix32((i << 8) ^ a ^ this.seed ^ 0x68e31da4) >>> 16) * n) >>> 16;
      }
      // Mixing in the attempt number keeps borrowed values apart from their source bin's, as in the paper.
      sig[i] = fmix32(sig[j]! ^ Math.imul(a + 1, 0x9e3779b1));
    }
  }
}

/** The hash of band `b` of a signature (never 0: 0 marks an empty slot). */
export function bandHash(sig: Uint32Array, band: number, rows: number): number {
  let h = Math.imul(band + 1, 0x9e3779b1);
  const start = band * rows;
  for (let i = start; i < start + rows; i++) {
    h = Math.imul(h ^ sig[i]!, 0xcc9e2d51);
    h = (h << 13) | (h >>> 19);
  }
  const f = fmix32(h);
  return f === 0 ? 1 : f;
}

/** One band's table: band hash -> first record with it (open addressing, int32 arrays, at most 3/4 full). */
class BandTable {
  keys = new Int32Array(1 << 12);
  values = new Int32Array(1 << 12);
  size = 0;

  /** The record that first had `key`, or -1 after registering `record` for it. */
  getOrAdd(key: number, record: number): number {
    const mask = this.keys.length - 1;
    const k = key | 0;
    for (let i = k & mask; ; i = (i + 1) & mask) {
      const s = this.keys[i]!;
      if (s === 0) {
        this.keys[i] = k;
        this.values[i] = record;
        if (++this.size * 4 > this.keys.length * 3) this.grow();
        return -1;
      }
      if (s === k) return this.values[i]!;
    }
  }

  private grow(): void {
    const { keys, values } = this;
    const size = keys.length * 2;
    const mask = size - 1;
    this.keys = new Int32Array(size);
    this.values = new Int32Array(size);
    for (let j = 0; j < keys.length; j++) {
      const k = keys[j]!;
      if (k === 0) continue;
      let i = k & mask;
      while (this.keys[i] !== 0) i = (i + 1) & mask;
      this.keys[i] = k;
      this.values[i] = values[j]!;
    }
  }

  get bytes(): number {
    return this.keys.byteLength + this.values.byteLength;
  }
}

/**
 * The banded LSH index, fed in record order: `add` registers a record's signature and returns the
 * earlier records that share a band with it (the first record seen with each band value).
 */
export class LshIndex {
  private readonly tables: BandTable[];
  private readonly found: number[] = [];

  constructor(readonly params: LshParams) {
    this.tables = Array.from({ length: params.bands }, () => new BandTable());
  }

  /** Registers `record` and returns its candidates (distinct, ascending; a reused array). */
  add(record: number, sig: Uint32Array): readonly number[] {
    const found = this.found;
    found.length = 0;
    for (let b = 0; b < this.params.bands; b++) {
      const first = this.tables[b]!.getOrAdd(bandHash(sig, b, this.params.rows), record);
      if (first >= 0 && !found.includes(first)) found.push(first);
    }
    return found.sort((x, y) => x - y);
  }

  /** Bytes held by the tables. */
  get bytes(): number {
    let n = 0;
    for (const t of this.tables) n += t.bytes;
    return n;
  }
}

/** Records per chunk of the band store (chunks avoid the copy spikes of a doubling array). */
const CHUNK_RECORDS = 1 << 16;

/**
 * The band hashes of every record, collected while streaming and matched at the end: 4 bytes ×
 * bands per record in fixed-size chunks, then per band one stable radix sort of (hash, record)
 * that puts equal bands side by side. This is the large-file form of {@link LshIndex}: the same
 * candidates (each record paired with the first earlier record of every band it shares), at about
 * a third of the hash tables' memory and with no per-record probing while the file streams.
 */
export class BandStore {
  private readonly chunks: Uint32Array[] = [];
  private readonly recordChunks: Int32Array[] = [];
  private count = 0;

  constructor(readonly params: LshParams) {}

  /** Keeps the band hashes of `record` (records are added in increasing order). */
  add(record: number, sig: Uint32Array): void {
    const { bands, rows } = this.params;
    const at = this.count % CHUNK_RECORDS;
    if (at === 0) {
      this.chunks.push(new Uint32Array(CHUNK_RECORDS * bands));
      this.recordChunks.push(new Int32Array(CHUNK_RECORDS));
    }
    const chunk = this.chunks[this.chunks.length - 1]!;
    for (let b = 0; b < bands; b++) chunk[at * bands + b] = bandHash(sig, b, rows);
    this.recordChunks[this.recordChunks.length - 1]![at] = record;
    this.count++;
  }

  /** Records added. */
  get size(): number {
    return this.count;
  }

  /** Bytes held. */
  get bytes(): number {
    return this.chunks.length * CHUNK_RECORDS * (this.params.bands + 1) * 4;
  }

  /**
   * The candidate pairs, each (later, earlier) once, ordered by later then earlier; the store is
   * emptied (its memory is given back).
   */
  pairs(): { later: Int32Array; earlier: Int32Array } {
    const n = this.count;
    const { bands } = this.params;
    const record = (i: number) => this.recordChunks[Math.floor(i / CHUNK_RECORDS)]![i % CHUNK_RECORDS]!;
    let keys = new Uint32Array(n);
    let order = new Uint32Array(n);
    let keys2 = new Uint32Array(n);
    let order2 = new Uint32Array(n);
    const counts = new Uint32Array(257);
    const found: number[] = [];
    for (let b = 0; b < bands; b++) {
      for (let i = 0; i < n; i++) {
        keys[i] = this.chunks[Math.floor(i / CHUNK_RECORDS)]![(i % CHUNK_RECORDS) * bands + b]!;
        order[i] = i;
      }
      // LSD radix sort, 8 bits a pass: stable, so equal hashes stay in record order.
      for (let shift = 0; shift < 32; shift += 8) {
        counts.fill(0);
        for (let i = 0; i < n; i++) counts[((keys[i]! >>> shift) & 255) + 1]!++;
        for (let k = 0; k < 256; k++) counts[k + 1]! += counts[k]!;
        for (let i = 0; i < n; i++) {
          const d = (keys[i]! >>> shift) & 255;
          const to = counts[d]!++;
          keys2[to] = keys[i]!;
          order2[to] = order[i]!;
        }
        [keys, keys2] = [keys2, keys];
        [order, order2] = [order2, order];
      }
      for (let i = 1, first = 0; i < n; i++) {
        if (keys[i] !== keys[first]) first = i;
        else found.push(record(order[i]!), record(order[first]!));
      }
    }
    this.chunks.length = 0;
    this.recordChunks.length = 0;
    this.count = 0;
    const idx = Array.from({ length: found.length / 2 }, (_, k) => k);
    idx.sort((x, y) => found[2 * x]! - found[2 * y]! || found[2 * x + 1]! - found[2 * y + 1]!);
    const later: number[] = [];
    const earlier: number[] = [];
    for (const k of idx) {
      const l = found[2 * k]!;
      const e = found[2 * k + 1]!;
      if (later.length && later[later.length - 1] === l && earlier[earlier.length - 1] === e) continue;
      later.push(l);
      earlier.push(e);
    }
    return { later: Int32Array.from(later), earlier: Int32Array.from(earlier) };
  }
}
