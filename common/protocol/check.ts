/**
 * Small runtime checks for messages that cross a trust boundary (host ↔ webview). Each check
 * returns the value typed or throws a {@link ProtocolError} naming the path of the bad field, so a
 * rejected message can be reported precisely instead of half-applied.
 */

/** A message field that does not have the shape its protocol promises. */
export class ProtocolError extends Error {
  constructor(
    readonly path: string,
    expected: string,
    got: unknown,
  ) {
    super(`${path || 'message'}: expected ${expected}, got ${describe(got)}`);
    this.name = 'ProtocolError';
  }
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return v.length > 40 ? `a string of ${v.length} characters` : JSON.stringify(v);
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : 'a non-finite number';
  return typeof v;
}

/** A check: returns the value, typed, or throws a ProtocolError. */
export type Check<T> = (v: unknown, path: string) => T;

export const str: Check<string> = (v, path) => {
  if (typeof v !== 'string') throw new ProtocolError(path, 'a string', v);
  return v;
};

/** A finite number (JSON cannot carry NaN or Infinity, and our protocols use null for "none"). */
export const num: Check<number> = (v, path) => {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new ProtocolError(path, 'a finite number', v);
  return v;
};

export const int: Check<number> = (v, path) => {
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new ProtocolError(path, 'an integer', v);
  return v;
};

/** A non-negative integer (indexes, counts, steps). */
export const count: Check<number> = (v, path) => {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw new ProtocolError(path, 'a non-negative integer', v);
  return v;
};

export const bool: Check<boolean> = (v, path) => {
  if (typeof v !== 'boolean') throw new ProtocolError(path, 'a boolean', v);
  return v;
};

export function literal<const T extends string>(...values: T[]): Check<T> {
  return (v, path) => {
    if (typeof v !== 'string' || !(values as string[]).includes(v)) throw new ProtocolError(path, `one of ${values.join(', ')}`, v);
    return v as T;
  };
}

export function nullable<T>(inner: Check<T>): Check<T | null> {
  return (v, path) => (v === null ? null : inner(v, path));
}

/** An optional field: `undefined` stays `undefined`. */
export function optional<T>(inner: Check<T>): Check<T | undefined> {
  return (v, path) => (v === undefined ? undefined : inner(v, path));
}

export function array<T>(inner: Check<T>, maxLength = Number.MAX_SAFE_INTEGER): Check<T[]> {
  return (v, path) => {
    if (!Array.isArray(v)) throw new ProtocolError(path, 'an array', v);
    if (v.length > maxLength) throw new ProtocolError(path, `at most ${maxLength} items`, `${v.length} items`);
    for (let i = 0; i < v.length; i++) inner(v[i], `${path}[${i}]`);
    return v as T[];
  };
}

/** A plain JSON object whose contents are not checked further (e.g. a resolved config). */
export const record: Check<Record<string, unknown>> = (v, path) => {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new ProtocolError(path, 'an object', v);
  return v as Record<string, unknown>;
};

export function recordOf<T>(inner: Check<T>): Check<Record<string, T>> {
  return (v, path) => {
    const o = record(v, path);
    for (const [k, x] of Object.entries(o)) inner(x, `${path}.${k}`);
    return o as Record<string, T>;
  };
}

type Shape = Record<string, Check<unknown>>;
type FromShape<S extends Shape> = { [K in keyof S]: S[K] extends Check<infer T> ? T : never };

/** An object with the given fields (extra fields are allowed and kept: newer senders may add some). */
export function object<S extends Shape>(shape: S): Check<FromShape<S>> {
  return (v, path) => {
    const o = record(v, path);
    for (const [k, check] of Object.entries(shape)) check(o[k], path ? `${path}.${k}` : k);
    return o as FromShape<S>;
  };
}

/**
 * A discriminated union on `type`: picks the check for the message's `type` and runs it, so the
 * error names the field that is wrong rather than "no variant matched".
 */
export function union<M extends { type: string }>(variants: { [K in M['type']]: Check<Extract<M, { type: K }>> }): Check<M> {
  const table = variants as Record<string, Check<M>>;
  return (v, path) => {
    const o = record(v, path);
    const check = typeof o.type === 'string' && Object.hasOwn(table, o.type) ? table[o.type] : undefined;
    if (!check) throw new ProtocolError(`${path ? `${path}.` : ''}type`, `one of ${Object.keys(table).join(', ')}`, o.type);
    return check(o, path);
  };
}

/** Runs a check at the top of a message and turns a failure into data. */
export function validate<T>(check: Check<T>, v: unknown): { ok: true; value: T } | { ok: false; error: string } {
  try {
    return { ok: true, value: check(v, '') };
  } catch (e) {
    if (e instanceof ProtocolError) return { ok: false, error: e.message };
    throw e;
  }
}
