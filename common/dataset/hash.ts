/**
 * Content hashes for duplicate detection. A dataset of millions of records cannot be kept in
 * memory, so each record is reduced to a 53-bit hash of its text after whitespace normalisation,
 * plus a 32-bit hash of the exact text; two records are duplicates when the normalised hashes are
 * equal, exact duplicates when the exact hashes are equal too.
 */

/** CRC-32 of a string's UTF-8 bytes, as zlib computes it (Node's `zlib.crc32`, native). */
export type Crc32 = (text: string) => number;

const CRC_TABLE = (() => {
  const t = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c;
  }
  return t;
})();

const isWs = (c: number) => c === 32 || (c >= 9 && c <= 13);

/** The normalised length of the last `crcOf` call (a module variable: no array per call). */
let lastLength = 0;
/** Whether normalisation changed the text in the last `crcOf(text, true)` call. */
let lastChanged = false;

/**
 * CRC-32 of the UTF-8 bytes of `text`, whitespace-normalised or not (see `crc32Js`); the
 * normalised length and whether normalisation changed anything are left in `lastLength` and
 * `lastChanged`.
 */
function crcOf(text: string, normalize: boolean): number {
  let crc = -1;
  let space = false;
  let started = false;
  let changed = false;
  let length = 0;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    let c = text.charCodeAt(i);
    if (normalize) {
      if (c === 32 || (c >= 9 && c <= 13)) {
        // A kept whitespace is one plain space after a non-space; anything else is rewritten.
        if (space || !started || c !== 32) changed = true;
        space = started;
        continue;
      }
      if (space) {
        crc = CRC_TABLE[(crc ^ 32) & 0xff]! ^ (crc >>> 8);
        length++;
        space = false;
      }
      started = true;
    }
    length++;
    if (c < 0x80) crc = CRC_TABLE[(crc ^ c) & 0xff]! ^ (crc >>> 8);
    else if (c < 0x800) {
      crc = CRC_TABLE[(crc ^ (0xc0 | (c >> 6))) & 0xff]! ^ (crc >>> 8);
      crc = CRC_TABLE[(crc ^ (0x80 | (c & 63))) & 0xff]! ^ (crc >>> 8);
    } else {
      // A surrogate pair is one code point of four bytes; a lone surrogate encodes as U+FFFD.
      const next = i + 1 < n ? text.charCodeAt(i + 1) : 0;
      if (c >= 0xd800 && c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
        c = 0x10000 + ((c - 0xd800) << 10) + (next - 0xdc00);
        i++;
        length++;
        crc = CRC_TABLE[(crc ^ (0xf0 | (c >> 18))) & 0xff]! ^ (crc >>> 8);
        crc = CRC_TABLE[(crc ^ (0x80 | ((c >> 12) & 63))) & 0xff]! ^ (crc >>> 8);
      } else {
        if (c >= 0xd800 && c <= 0xdfff) c = 0xfffd;
        crc = CRC_TABLE[(crc ^ (0xe0 | (c >> 12))) & 0xff]! ^ (crc >>> 8);
      }
      crc = CRC_TABLE[(crc ^ (0x80 | ((c >> 6) & 63))) & 0xff]! ^ (crc >>> 8);
      crc = CRC_TABLE[(crc ^ (0x80 | (c & 63))) & 0xff]! ^ (crc >>> 8);
    }
  }
  // Trailing whitespace is dropped.
  if (space) changed = true;
  lastLength = length;
  lastChanged = changed;
  return (crc ^ -1) >>> 0;
}

/**
 * CRC-32 of the UTF-8 bytes of `text` with runs of ASCII whitespace collapsed to one space and
 * the ends trimmed (`normalize`), or of the text as it is; computed on the fly, without building
 * the normalised string. Returns the CRC and the normalised length in UTF-16 units.
 */
export function crc32Js(text: string, normalize: boolean): [crc: number, length: number] {
  const crc = crcOf(text, normalize);
  return [crc, lastLength];
}

/** Strings up to this long are hashed in JavaScript: cheaper than a native call (roles, names). */
const SHORT = 24;

/**
 * What the caller knows about a record's fields from its raw JSON text: with no backslash in
 * it, no string holds an escape, so none holds a tab, line break or other control character
 * (JSON forbids them raw); with no double space in it either, none holds a whitespace run.
 */
export const RawText = {
  /** Nothing known (Parquet rows, documents read without their text). */
  Unknown: 0,
  /** No backslash: only spaces can need normalising. */
  NoEscapes: 1,
  /** No backslash and no double space: only a space at either end can need normalising. */
  NoRuns: 2,
} as const;
export type RawText = (typeof RawText)[keyof typeof RawText];

/**
 * Whether normalising `text` changes nothing (no whitespace runs, no tab or line break, no
 * whitespace at the ends): then its normalised hash is its plain hash, which a native CRC gives
 * at a fraction of a JavaScript loop's cost. The searches are native too; what the raw record
 * text already ruled out is not searched again.
 */
function isNormal(text: string, raw: RawText): boolean {
  const n = text.length;
  if (n === 0) return true;
  if (isWs(text.charCodeAt(0)) || isWs(text.charCodeAt(n - 1))) return false;
  if (raw === RawText.NoRuns) return true;
  if (text.indexOf('  ') >= 0) return false;
  if (raw === RawText.NoEscapes) return true;
  return text.indexOf('\n') < 0 && text.indexOf('\t') < 0 && text.indexOf('\r') < 0 && text.indexOf('\f') < 0 && text.indexOf('\v') < 0;
}

/**
 * Incremental hasher fed with the text fields of a record in order. Each field is reduced to the
 * CRC-32 of its whitespace-normalised UTF-8 bytes (with its length) and of its exact bytes; the
 * CRCs are mixed into a 53-bit normalised hash and a 32-bit exact fingerprint. With a native CRC
 * (`zlib.crc32`, passed by the Node readers) text that is already normal costs one native call;
 * short text, other text, and everything without a native CRC go through the same CRC in
 * JavaScript. One hasher serves a whole file: `reset` starts the next record.
 */
export class RecordHasher {
  private h1 = 0x1eadbeef;
  private h2 = 0x41c6ce57;
  private ex = 0x2545f491;
  private raw: RawText = RawText.Unknown;

  constructor(private readonly nativeCrc?: Crc32) {}

  /** Starts a new record; `raw` is what its raw JSON text says about its strings. */
  reset(raw: RawText = RawText.Unknown): void {
    this.h1 = 0x1eadbeef;
    this.h2 = 0x41c6ce57;
    this.ex = 0x2545f491;
    this.raw = raw;
  }

  /** Adds one field; fields are separated so that ("ab","c") and ("a","bc") differ. */
  add(text: string): void {
    let norm: number;
    let normLength: number;
    let exact: number;
    if (this.nativeCrc && text.length > SHORT && isNormal(text, this.raw)) {
      norm = exact = this.nativeCrc(text);
      normLength = text.length;
    } else {
      norm = crcOf(text, true);
      normLength = lastLength;
      exact = !lastChanged ? norm : this.nativeCrc && text.length > SHORT ? this.nativeCrc(text) : crcOf(text, false);
    }
    this.h1 = Math.imul(this.h1 ^ norm, 0x9e3779b1) ^ 0x1f;
    this.h2 = Math.imul(this.h2 ^ (norm >>> 7) ^ Math.imul(normLength, 0x85ebca6b), 0x5f356495) ^ 0x1f;
    this.ex = Math.imul(this.ex ^ exact ^ text.length, 0xc2b2ae35);
  }
  /** 53-bit hash of the whitespace-normalised fields. */
  normalized(): number {
    let h1 = this.h1;
    let h2 = this.h2;
    h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
    h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
    return 4294967296 * (2097151 & h2) + (h1 >>> 0);
  }

  /** 32-bit fingerprint of the exact fields. */
  exact(): number {
    return this.ex | 0;
  }
}

/** Growable typed array of int32, for per-record facts kept with bounded memory (4 bytes a record). */
export class IntList {
  private data = new Int32Array(1024);
  length = 0;

  push(v: number): void {
    if (this.length === this.data.length) {
      const next = new Int32Array(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length++] = v;
  }

  get(i: number): number {
    return this.data[i]!;
  }

  /** The values (a copy), e.g. to send to another thread. */
  toArray(): Int32Array {
    return this.data.slice(0, this.length);
  }

  pushAll(values: ArrayLike<number>): void {
    for (let i = 0; i < values.length; i++) this.push(values[i]!);
  }

  /** A sorted copy of the values, for percentiles. */
  sorted(): Int32Array {
    return this.data.slice(0, this.length).sort();
  }
}

/** Growable float64 list (53-bit hashes). */
export class FloatList {
  private data = new Float64Array(1024);
  length = 0;

  push(v: number): void {
    if (this.length === this.data.length) {
      const next = new Float64Array(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length++] = v;
  }

  get(i: number): number {
    return this.data[i]!;
  }

  toArray(): Float64Array {
    return this.data.slice(0, this.length);
  }
}

/** What a duplicate points at. */
export interface DuplicateOf {
  firstLine: number;
  exact: boolean;
}

/**
 * The first occurrence of each record text: normalised hash -> slot, with the exact hash and the
 * line of that first record. An open-addressing table on typed arrays (the 53-bit key split in
 * two int32 halves, linear probing, at most half full): 12 to 24 bytes of table and 8 bytes of
 * facts per distinct record, no object per entry, and no boxed number keys as a Map would hold.
 */
export class DuplicateIndex {
  private lo = new Int32Array(1 << 16);
  private hi = new Int32Array(1 << 16);
  /** Slot + 1 of the first record with this key; 0 = empty. */
  private slot = new Int32Array(1 << 16);
  private readonly exacts = new IntList();
  private readonly lines = new IntList();

  /** Registers a record; returns its first occurrence when it is a duplicate. */
  check(normalized: number, exact: number, line: number): DuplicateOf | undefined {
    const lo = normalized | 0;
    const hi = Math.floor(normalized / 4294967296) | 0;
    const mask = this.slot.length - 1;
    // The low half is the end of a full avalanche: well spread already.
    for (let i = lo & mask; ; i = (i + 1) & mask) {
      const s = this.slot[i]!;
      if (s === 0) {
        this.slot[i] = this.exacts.length + 1;
        this.lo[i] = lo;
        this.hi[i] = hi;
        this.exacts.push(exact);
        this.lines.push(line);
        if (this.exacts.length * 2 > this.slot.length) this.grow();
        return undefined;
      }
      if (this.lo[i] === lo && this.hi[i] === hi) return { firstLine: this.lines.get(s - 1), exact: this.exacts.get(s - 1) === exact };
    }
  }

  private grow(): void {
    const { lo, hi, slot } = this;
    const size = slot.length * 2;
    const mask = size - 1;
    this.lo = new Int32Array(size);
    this.hi = new Int32Array(size);
    this.slot = new Int32Array(size);
    for (let j = 0; j < slot.length; j++) {
      if (slot[j] === 0) continue;
      let i = lo[j]! & mask;
      while (this.slot[i] !== 0) i = (i + 1) & mask;
      this.slot[i] = slot[j]!;
      this.lo[i] = lo[j]!;
      this.hi[i] = hi[j]!;
    }
  }
}
