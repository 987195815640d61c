/**
 * Content hashes for duplicate detection. A dataset of millions of records cannot be kept in
 * memory, so each record is reduced to a 53-bit hash of its text after whitespace normalisation,
 * plus a 32-bit hash of the exact text; two records are duplicates when the normalised hashes are
 * equal, exact duplicates when the exact hashes are equal too.
 */

/** Incremental hasher fed with the text fields of a record in order. */
export class RecordHasher {
  private h1 = 0xdeadbeef;
  private h2 = 0x41c6ce57;
  private e = 0x811c9dc5;

  /** Adds one field; fields are separated so that ("ab","c") and ("a","bc") differ. */
  add(text: string): void {
    let h1 = this.h1;
    let h2 = this.h2;
    let e = this.e;
    // Leading and trailing whitespace of a field is dropped and inner runs collapse to one space.
    let space = false;
    let started = false;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      e = Math.imul(e ^ c, 16777619);
      if (c === 32 || c === 10 || c === 9 || c === 13 || c === 0xa0 || c === 12 || c === 11) {
        space = started;
        continue;
      }
      if (space) {
        h1 = Math.imul(h1 ^ 32, 2654435761);
        h2 = Math.imul(h2 ^ 32, 1597334677);
        space = false;
      }
      started = true;
      h1 = Math.imul(h1 ^ c, 2654435761);
      h2 = Math.imul(h2 ^ c, 1597334677);
    }
    // Field separator.
    h1 = Math.imul(h1 ^ 0x1f, 2654435761);
    h2 = Math.imul(h2 ^ 0x1f, 1597334677);
    e = Math.imul(e ^ 0x1f, 16777619);
    this.h1 = h1;
    this.h2 = h2;
    this.e = e;
  }

  /** 53-bit hash of the whitespace-normalised fields. */
  normalized(): number {
    let h1 = this.h1;
    let h2 = this.h2;
    h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
    h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
    return 4294967296 * (2097151 & h2) + (h1 >>> 0);
  }

  /** 32-bit hash of the exact fields. */
  exact(): number {
    return this.e | 0;
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
