import type { Deprecation, EnumStrictness, ValueDoc } from '../types';

/**
 * The shape of one key in the schema data files. Compact on purpose: the data files read as a
 * table; schema/index.ts compiles them once into KeySpec maps.
 */
export interface KeyDef {
  /** Type notation (schema/typeExpr.ts). */
  t: string;
  doc: string;
  advice?: string;
  def?: unknown;
  derived?: string;
  values?: readonly ValueDoc[];
  strict?: EnumStrictness;
  range?: { min?: number; max?: number; exclusiveMin?: boolean; severity: EnumStrictness };
  deprecated?: Deprecation;
  aliasOf?: string;
  required?: boolean;
  hidden?: boolean;
  snippet?: string;
  scope?: string;
  /** Name of the nested key table for objects and lists of objects. */
  children?: string;
  /** A Tunelab key, ignored by Axolotl (KeySpec.tunelab). */
  tunelab?: boolean;
}

/** A table of keys sharing a category (and optionally a plugin). */
export interface KeyTable {
  category: string;
  plugin?: string;
  keys: Record<string, KeyDef>;
}

/** Shorthand for keys Axolotl keeps for internal bookkeeping and users should not set. */
export const internal = (t: string): KeyDef => ({ t, hidden: true, doc: 'Set by Axolotl itself while it runs; not meant to be written in a config.' });

export const removed = (message: string, replacement?: string, when: 'truthy' | 'present' = 'truthy'): Deprecation => {
  const d: Deprecation = { status: 'removed', message, when };
  if (replacement) d.replacement = replacement;
  return d;
};

export const deprecated = (message: string, replacement?: string): Deprecation => {
  const d: Deprecation = { status: 'deprecated', message, when: 'present' };
  if (replacement) d.replacement = replacement;
  return d;
};
