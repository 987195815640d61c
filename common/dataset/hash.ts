/**
 * Content hashes for duplicate detection. A dataset of millions of records cannot be kept in
 * memory, so each record is reduced to a 53-bit hash of its text after whitespace normalisation,
 * plus a 32-bit hash of the exact text; two records are duplicates when the normalised hashes are
 * equal, exact duplicates when the exact hashes are equal too.
 */

/** CRC-32 of a string's UTF-8 bytes, as zlib computes it (Node's `zlib.crc32`, native). */
export type Crc32 = (text: string) => number;

/** CRC-32 of bytes continued from `init` (the CRC of what came before), as `zlib.crc32(data, init)`. */
export type CrcBytes = (data: Uint8Array, init: number) => number;

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
function crcOf(text: string, normalize: boolean, init = 0): number {
  let crc = init ^ -1;
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
 * Incremental hasher fed with the text fields of a record in order. The record's normalised key
 * is the CRC-32 of the concatenated whitespace-normalised UTF-8 bytes of its fields, mixed with
 * their normalised lengths (so that ("ab","c") and ("a","bc") differ) into 53 bits; the exact
 * fingerprint is the CRC-32 of the exact bytes mixed with the exact lengths. With a native CRC
 * over bytes (`zlib.crc32(bytes, init)`, passed by the Node readers), fields that normalisation
 * leaves alone are encoded into one buffer and the record costs one native call; other fields
 * continue the same CRCs in JavaScript, which gives the same keys (CRCs chain exactly). Without
 * it (or with only a string CRC, which cannot continue a CRC) everything runs in JavaScript.
 * Two different records get the same key with a probability of about 2^-32 when their fields'
 * lengths are all equal (a 32-bit CRC decides), far less otherwise; the text is not kept, so
 * there is no confirming comparison. One hasher serves a whole file: `reset` starts a record.
 */
export class RecordHasher {
  /** Running CRC of the normalised bytes, and of the exact bytes. */
  private nc = 0;
  private ec = 0;
  /** A field changed under normalisation: the two streams differ from there on. */
  private diverged = false;
  private h2 = 0x41c6ce57;
  private ex = 0x2545f491;
  private raw: RawText = RawText.Unknown;
  private readonly crcBytes: CrcBytes | undefined;
  /** Bytes of normal fields not yet folded into the CRCs (common to both streams). */
  private readonly bytes: Uint8Array | undefined;
  private pending = 0;
  private readonly encoder = new TextEncoder();

  /** `native`: a CRC over bytes that continues from an initial value; a plain string CRC is not used. */
  constructor(native?: Crc32 | { bytes: CrcBytes }) {
    this.crcBytes = native && typeof native === 'object' ? native.bytes : undefined;
    this.bytes = this.crcBytes ? new Uint8Array(1 << 16) : undefined;
  }

  /** Starts a new record; `raw` is what its raw JSON text says about its strings. */
  reset(raw: RawText = RawText.Unknown): void {
    this.nc = 0;
    this.ec = 0;
    this.diverged = false;
    this.pending = 0;
    this.h2 = 0x41c6ce57;
    this.ex = 0x2545f491;
    this.raw = raw;
  }

  /** Folds the buffered bytes into the CRCs. */
  private flush(): void {
    if (this.pending === 0) return;
    const view = this.bytes!.subarray(0, this.pending);
    this.nc = this.crcBytes!(view, this.nc);
    this.ec = this.diverged ? this.crcBytes!(view, this.ec) : this.nc;
    this.pending = 0;
  }

  /** Adds one field. */
  add(text: string): void {
    const n = text.length;
    let normLength = n;
    const bytes = this.bytes;
    if (bytes && n * 3 <= bytes.length && isNormal(text, this.raw)) {
      if (this.pending + n * 3 > bytes.length) this.flush();
      let at = this.pending;
      let i = 0;
      // Short ASCII (roles, names) is copied here: cheaper than a call into the encoder.
      if (n <= SHORT) {
        for (; i < n; i++) {
          const c = text.charCodeAt(i);
          if (c >= 0x80) break;
          bytes[at++] = c;
        }
      }
      this.pending = i === n ? at : this.pending + this.encoder.encodeInto(text, bytes.subarray(this.pending)).written;
    } else if (bytes && n * 3 <= bytes.length) {
      // Text that normalisation changes (line breaks, runs, ends): the normalised CRC in
      // JavaScript, the exact one natively (one JavaScript pass over the text, not two).
      this.flush();
      const before = this.diverged ? this.ec : this.nc;
      this.nc = crcOf(text, true, this.nc);
      normLength = lastLength;
      this.ec = this.crcBytes!(bytes.subarray(0, this.encoder.encodeInto(text, bytes).written), before);
      this.diverged = true;
    } else {
      this.flush();
      this.nc = crcOf(text, true, this.nc);
      normLength = lastLength;
      if (lastChanged || this.diverged) {
        this.ec = crcOf(text, false, this.ec);
        this.diverged = true;
      } else this.ec = this.nc;
    }
    this.h2 = Math.imul(this.h2 ^ Math.imul(normLength, 0x85ebca6b), 0x5f356495) ^ 0x1f;
    this.ex = Math.imul(this.ex ^ n, 0xc2b2ae35) ^ 0x1f;
  }

  /** 53-bit hash of the whitespace-normalised fields. */
  normalized(): number {
    this.flush();
    let h1 = Math.imul(this.nc ^ 0x1eadbeef, 0x9e3779b1);
    let h2 = this.h2;
    h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
    h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
    return 4294967296 * (2097151 & h2) + (h1 >>> 0);
  }

  /** 32-bit fingerprint of the exact fields. */
  exact(): number {
    this.flush();
    return Math.imul(this.ex ^ this.ec, 0x85ebca6b) ^ this.ec;
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
