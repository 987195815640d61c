/**
 * A small positional JSON scanner. The fast path of the validator parses records with the
 * built-in `JSON.parse` (no offsets); this scanner runs only when a record has a finding, to place
 * the diagnostic on the exact key or value, or when a record is not valid JSON, to say where and
 * why. Strict JSON (RFC 8259), with messages for the usual hand-editing mistakes.
 */

export type JsonNodeType = 'object' | 'array' | 'string' | 'number' | 'boolean' | 'null';

/** A value with its offsets in the scanned text (`end` exclusive). */
export interface JsonNode {
  type: JsonNodeType;
  start: number;
  end: number;
  /** Object properties and array items, in order. */
  children?: JsonNode[];
  /** For a property value: its key, and the key's offsets (quotes included). */
  key?: string;
  keyStart?: number;
  keyEnd?: number;
}

/** Why and where a text is not valid JSON. */
export interface JsonSyntaxError {
  offset: number;
  message: string;
}

export interface ScanResult {
  root?: JsonNode;
  error?: JsonSyntaxError;
}

class Fail {
  constructor(readonly offset: number, readonly message: string) {}
}

const isWs = (c: number) => c === 32 || c === 9 || c === 10 || c === 13;

/**
 * Scans one JSON value from `text[from..to)`; anything but whitespace after it is an error.
 * Never throws.
 */
export function scanJson(text: string, from = 0, to = text.length): ScanResult {
  let i = from;
  const ws = () => {
    while (i < to && isWs(text.charCodeAt(i))) i++;
  };
  const describe = (at: number): string => {
    if (at >= to) return 'end of record';
    const ch = text[at]!;
    return ch === "'" ? "a single quote (JSON strings use double quotes)" : `'${ch}'`;
  };
  const str = (): string => {
    const start = i;
    i++; // opening quote
    let hasEscape = false;
    while (i < to) {
      const c = text.charCodeAt(i);
      if (c === 34) {
        i++;
        const raw = text.slice(start, i);
        return hasEscape ? (JSON.parse(raw) as string) : raw.slice(1, -1);
      }
      if (c === 92) {
        hasEscape = true;
        const n = text[i + 1];
        if (n === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) throw new Fail(i, 'invalid \\u escape: expected 4 hex digits');
          i += 6;
          continue;
        }
        if (n === undefined || i + 1 >= to) throw new Fail(start, 'unterminated string');
        if (!'"\\/bfnrt'.includes(n)) throw new Fail(i, `invalid escape '\\${n}' in string`);
        i += 2;
        continue;
      }
      if (c === 10 || c === 13) throw new Fail(i, 'line break inside a string (write it as \\n)');
      if (c < 32) throw new Fail(i, 'control character inside a string (escape it)');
      i++;
    }
    throw new Fail(start, 'unterminated string');
  };
  const value = (): JsonNode => {
    ws();
    if (i >= to) throw new Fail(i, 'expected a value, found end of record');
    const c = text.charCodeAt(i);
    const start = i;
    if (c === 123 /* { */) {
      i++;
      const children: JsonNode[] = [];
      ws();
      if (text.charCodeAt(i) === 125) {
        i++;
        return { type: 'object', start, end: i, children };
      }
      for (;;) {
        ws();
        if (text.charCodeAt(i) !== 34) {
          if (text.charCodeAt(i) === 125 && children.length > 0) throw new Fail(i, "trailing comma before '}'");
          throw new Fail(i, `expected a property name in double quotes, found ${describe(i)}`);
        }
        const keyStart = i;
        const key = str();
        const keyEnd = i;
        ws();
        if (text.charCodeAt(i) !== 58) throw new Fail(i, `expected ':' after property name "${key}", found ${describe(i)}`);
        i++;
        const v = value();
        v.key = key;
        v.keyStart = keyStart;
        v.keyEnd = keyEnd;
        children.push(v);
        ws();
        const d = text.charCodeAt(i);
        if (d === 44) {
          i++;
          continue;
        }
        if (d === 125) {
          i++;
          return { type: 'object', start, end: i, children };
        }
        throw new Fail(i, `expected ',' or '}' after the value of "${key}", found ${describe(i)}`);
      }
    }
    if (c === 91 /* [ */) {
      i++;
      const children: JsonNode[] = [];
      ws();
      if (text.charCodeAt(i) === 93) {
        i++;
        return { type: 'array', start, end: i, children };
      }
      for (;;) {
        ws();
        if (text.charCodeAt(i) === 93 && children.length > 0) throw new Fail(i, "trailing comma before ']'");
        children.push(value());
        ws();
        const d = text.charCodeAt(i);
        if (d === 44) {
          i++;
          continue;
        }
        if (d === 93) {
          i++;
          return { type: 'array', start, end: i, children };
        }
        throw new Fail(i, `expected ',' or ']' after an array item, found ${describe(i)}`);
      }
    }
    if (c === 34) {
      str();
      return { type: 'string', start, end: i };
    }
    const m = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/.exec(text.slice(i, Math.min(to, i + 400)));
    if (m && m[0].length > 0 && m[0] !== '-') {
      i += m[0].length;
      return { type: 'number', start, end: i };
    }
    for (const [word, type] of [['true', 'boolean'], ['false', 'boolean'], ['null', 'null']] as const) {
      if (text.startsWith(word, i)) {
        i += word.length;
        return { type, start, end: i };
      }
    }
    const word = /^[A-Za-z_]+/.exec(text.slice(i, Math.min(to, i + 40)))?.[0];
    if (word === 'NaN' || word === 'Infinity') throw new Fail(i, `${word} is not valid JSON (use null or a string)`);
    if (word === 'None' || word === 'True' || word === 'False') throw new Fail(i, `${word} is Python, not JSON (use ${word === 'None' ? 'null' : word.toLowerCase()})`);
    throw new Fail(i, `expected a value, found ${describe(i)}`);
  };
  try {
    const root = value();
    ws();
    if (i < to) return { root, error: { offset: i, message: `unexpected ${describe(i)} after the end of the record` } };
    return { root };
  } catch (e) {
    if (e instanceof Fail) return { error: { offset: e.offset, message: e.message } };
    return { error: { offset: i, message: String(e) } };
  }
}

/** A step of a path from a record's root: a property name or an array index. */
export type JsonPath = readonly (string | number)[];

/** The node at `path`, or the deepest existing ancestor when the path does not exist. */
export function nodeAtPath(root: JsonNode, path: JsonPath): { node: JsonNode; complete: boolean } {
  let node = root;
  for (const step of path) {
    const children = node.children;
    if (!children) return { node, complete: false };
    const next = typeof step === 'number' ? (node.type === 'array' ? children[step] : undefined) : findLast(children, step);
    if (!next) return { node, complete: false };
    node = next;
  }
  return { node, complete: true };
}

// Duplicate keys: JSON.parse keeps the last one, so positions must too.
function findLast(children: JsonNode[], key: string): JsonNode | undefined {
  for (let k = children.length - 1; k >= 0; k--) if (children[k]!.key === key) return children[k];
  return undefined;
}
