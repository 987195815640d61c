/**
 * Content hashes for duplicate detection. A dataset of millions of records cannot be kept in
 * memory, so each record is reduced to a 53-bit hash of its text after whitespace normalisation,
 * plus a 32-bit hash of the exact text; two records are duplicates when the normalised hashes are
 * equal, exact duplicates when the exact hashes are equal too.
 */

/** Incremental hasher fed with the text fields of a record in order. */
export class RecordHasher {
  // h1, h2: the normalised text; sum and length: the exact text. Equal normalised hashes plus
  // equal byte sums and lengths mean the same characters (tabs vs spaces, runs of spaces and
  // trimmed ends all change the sum or the length).
  private readonly state = new Int32Array([0x1eadbeef, 0x41c6ce57, 0, 0]);

  /** Adds one field; fields are separated so that ("ab","c") and ("a","bc") differ. */
  add(text: string): void {
    addField(this.state, text);
  }

  /** 53-bit hash of the whitespace-normalised fields. */
  normalized(): number {
    let h1 = this.state[0]!;
    let h2 = this.state[1]!;
    h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
    h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
    return 4294967296 * (2097151 & h2) + (h1 >>> 0);
  }

  /** 32-bit fingerprint of the exact fields (length and character sum). */
  exact(): number {
    return Math.imul(this.state[2]! ^ 0x5bd1e995, 0x27d4eb2d) ^ this.state[3]!;
  }
}

/**
 * Hashes one field into the running state: runs of whitespace count as one space, leading and
 * trailing ones as nothing. This loop is most of the validator's time after JSON.parse (about
 * 2-3 ns a character here, against JSON.parse's 1.3); a WebAssembly version was measured and was
 * no faster (the cost is the unpredictable whitespace branch, not the multiplications).
 */
function addField(state: Int32Array, text: string): void {
  let h1 = 0x1eadbeef;
  let h2 = 0x41c6ce57;
  let sum = 0;
  let space = false;
  let started = false;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    sum = (sum + c) | 0;
    if (c === 32 || (c >= 9 && c <= 13)) {
      space = started;
      continue;
    }
    if (space) {
      h1 = Math.imul(h1 ^ 32, 0x9e3779b1);
      h2 = Math.imul(h2 ^ 32, 0x5f356495);
      space = false;
    }
    started = true;
    h1 = Math.imul(h1 ^ c, 0x9e3779b1);
    h2 = Math.imul(h2 ^ c, 0x5f356495);
  }
  state[0] = Math.imul(state[0]! ^ Math.imul(h1 ^ 0x1f, 0x9e3779b1), 0x85ebca6b) ^ 0x1f;
  state[1] = Math.imul(state[1]! ^ Math.imul(h2 ^ 0x1f, 0x5f356495), 0xc2b2ae35) ^ 0x1f;
  state[2] = (state[2]! + sum + 0x1f) | 0;
  state[3] = (state[3]! + n + 1) | 0;
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
 * line of that first record (a Map entry and 8 bytes per distinct record).
 */
export class DuplicateIndex {
  private readonly seen = new Map<number, number>();
  private readonly exacts = new IntList();
  private readonly lines = new IntList();

  /** Registers a record; returns its first occurrence when it is a duplicate. */
  check(normalized: number, exact: number, line: number): DuplicateOf | undefined {
    const first = this.seen.get(normalized);
    if (first === undefined) {
      this.seen.set(normalized, this.exacts.length);
      this.exacts.push(exact);
      this.lines.push(line);
      return undefined;
    }
    return { firstLine: this.lines.get(first), exact: this.exacts.get(first) === exact };
  }
}
