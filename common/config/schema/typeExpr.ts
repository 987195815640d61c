import type { ValueType } from '../types';

/**
 * Parses the compact type notation of the schema data files, once at load time:
 *   str | int | float | bool | any | dict | dict<T> | T[] | "literal" | object:<name> | A | B
 * `object:<name>` refers to a nested key table registered in schema/index.ts.
 */
export function parseType(text: string): ValueType {
  const parts = splitTop(text.trim(), '|').map((p) => p.trim());
  if (parts.length > 1) return { kind: 'union', of: parts.map(parseType) };
  const t = parts[0]!;
  if (t.endsWith('[]')) return { kind: 'list', items: parseType(t.slice(0, -2)) };
  if (t.startsWith('(') && t.endsWith(')')) return parseType(t.slice(1, -1));
  if (t.startsWith('"') && t.endsWith('"')) return { kind: 'literal', value: t.slice(1, -1) };
  if (t.startsWith('object:')) return { kind: 'object', keys: t.slice('object:'.length) };
  if (t.startsWith('dict<') && t.endsWith('>')) return { kind: 'dict', values: parseType(t.slice(5, -1)) };
  switch (t) {
    case 'str':
    case 'int':
    case 'float':
    case 'bool':
    case 'any':
      return { kind: t };
    case 'dict':
      return { kind: 'dict' };
    default:
      throw new Error(`schema: bad type notation '${text}'`);
  }
}

function splitTop(text: string, sep: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '(' || c === '<') depth++;
    else if (c === ')' || c === '>') depth--;
    else if (c === sep && depth === 0) {
      out.push(text.slice(start, i));
      start = i + 1;
    }
  }
  out.push(text.slice(start));
  return out;
}

/** A short human name of a type, for messages ("expected a boolean"). */
export function describeType(t: ValueType): string {
  switch (t.kind) {
    case 'str':
      return 'a string';
    case 'int':
      return 'an integer';
    case 'float':
      return 'a number';
    case 'bool':
      return 'a boolean';
    case 'literal':
      return `"${t.value}"`;
    case 'any':
      return 'any value';
    case 'dict':
      return 'a mapping';
    case 'object':
      return 'a mapping';
    case 'list':
      return `a list of ${plural(describeType(t.items))}`;
    case 'union': {
      const names = [...new Set(t.of.map(describeType))];
      return names.length <= 2 ? names.join(' or ') : `${names.slice(0, -1).join(', ')} or ${names[names.length - 1]}`;
    }
  }
}

function plural(s: string): string {
  const bare = s.replace(/^(a|an) /, '');
  if (bare.startsWith('"')) return bare;
  if (bare === 'any value') return 'values';
  if (bare.startsWith('list of')) return `lists of ${bare.slice(8)}`;
  return bare.endsWith('s') ? bare : `${bare}s`;
}
