import type { KeySpec, NodePath, ValueDoc } from '../types';
import type { KeyDef, KeyTable } from './define';
import { parseType } from './typeExpr';
import { MODEL_KEYS } from './keysModel';
import { DATA_KEYS } from './keysData';
import { TRAINING_KEYS } from './keysTraining';
import { OUTPUT_KEYS } from './keysOutput';
import { PLUGIN_TABLES } from './keysPlugins';
import { EVAL_TASK_KEYS, TUNELAB_DATASET_KEYS, TUNELAB_KEYS } from './keysTunelab';
import { DATASET_ENTRY_KEYS, FSDP_CONFIG_KEYS, LR_GROUP_KEYS, PEFT_KEYS, SPECIAL_TOKENS_KEYS, USER_DEFINED_TYPE_KEYS } from './keysNested';

/**
 * The compiled schema: every key table turned into KeySpec maps once, at module load, so that
 * validation and completion never rebuild anything per call.
 */
function compile(name: string, def: KeyDef, category: string, nested: ReadonlyMap<string, ReadonlyMap<string, KeySpec>>, plugin?: string): KeySpec {
  const spec: KeySpec = { key: name, typeText: def.t, type: parseType(def.t), category, doc: def.doc };
  if (def.advice !== undefined) spec.advice = def.advice;
  if (def.def !== undefined) spec.default = def.def;
  if (def.derived !== undefined) spec.derived = def.derived;
  if (def.values !== undefined) spec.values = def.values;
  if (def.strict !== undefined) spec.strict = def.strict;
  if (def.range !== undefined) spec.range = def.range;
  if (def.deprecated !== undefined) spec.deprecated = def.deprecated;
  if (def.aliasOf !== undefined) spec.aliasOf = def.aliasOf;
  if (def.required) spec.required = true;
  if (def.hidden) spec.hidden = true;
  if (def.snippet !== undefined) spec.snippet = def.snippet;
  if (def.scope !== undefined) spec.scope = def.scope;
  if (plugin !== undefined) spec.plugin = plugin;
  if (def.tunelab) spec.tunelab = true;
  if (def.children !== undefined) {
    const c = nested.get(def.children);
    if (!c) throw new Error(`schema: unknown nested table '${def.children}'`);
    spec.children = c;
  }
  return spec;
}

function compileFlat(keys: Record<string, KeyDef>, category: string, nested: ReadonlyMap<string, ReadonlyMap<string, KeySpec>>): Map<string, KeySpec> {
  return new Map(Object.entries(keys).map(([k, d]) => [k, compile(k, d, category, nested)]));
}

const nested = new Map<string, Map<string, KeySpec>>();
// Order matters: tables referenced by others are compiled first.
nested.set('user_defined_type', compileFlat(USER_DEFINED_TYPE_KEYS, 'datasets', nested));
nested.set('dataset', compileFlat({ ...DATASET_ENTRY_KEYS, ...TUNELAB_DATASET_KEYS }, 'datasets', nested));
nested.set('eval_task', compileFlat(EVAL_TASK_KEYS, 'tunelab', nested));
nested.set('special_tokens', compileFlat(SPECIAL_TOKENS_KEYS, 'model', nested));
nested.set('fsdp_config', compileFlat(FSDP_CONFIG_KEYS, 'distributed', nested));
nested.set('peft', compileFlat(PEFT_KEYS, 'adapter', nested));
nested.set('lr_group', compileFlat(LR_GROUP_KEYS, 'training', nested));

const CORE_TABLES: KeyTable[] = [MODEL_KEYS, DATA_KEYS, TRAINING_KEYS, OUTPUT_KEYS, TUNELAB_KEYS];

/** Every top-level key, core and plugin. */
export const TOP_LEVEL: ReadonlyMap<string, KeySpec> = (() => {
  const m = new Map<string, KeySpec>();
  for (const table of [...CORE_TABLES, ...PLUGIN_TABLES]) {
    for (const [k, d] of Object.entries(table.keys)) {
      if (m.has(k)) throw new Error(`schema: duplicate key '${k}'`);
      m.set(k, compile(k, d, table.category, nested, table.plugin));
    }
  }
  return m;
})();

export const DATASET_ENTRY: ReadonlyMap<string, KeySpec> = nested.get('dataset')!;
export const NESTED_TABLES: ReadonlyMap<string, ReadonlyMap<string, KeySpec>> = nested;

/** Plugin class paths that own keys, with the short class name used to match `plugins:` entries. */
export const PLUGIN_CLASSES: ReadonlyMap<string, string> = new Map(
  PLUGIN_TABLES.map((t) => [t.plugin!.slice(t.plugin!.lastIndexOf('.') + 1), t.plugin!]),
);

/** Lower-cased key names for did-you-mean, per table, precomputed. */
export const TOP_LEVEL_NAMES: readonly string[] = [...TOP_LEVEL.keys()].filter((k) => !TOP_LEVEL.get(k)!.deprecated);

/**
 * The key table that holds the children of the node at `path` (a mapping), or undefined when
 * the schema does not describe it (free-form dicts).
 */
export function tableAt(path: NodePath): ReadonlyMap<string, KeySpec> | undefined {
  let table: ReadonlyMap<string, KeySpec> | undefined = TOP_LEVEL;
  for (let i = 0; i < path.length; i++) {
    const seg = path[i]!;
    if (typeof seg === 'number') continue; // list items share their list's table
    const spec: KeySpec | undefined = table?.get(seg);
    if (!spec) return undefined;
    table = spec.children;
    if (!table) return undefined;
  }
  return table;
}

/** The spec of the key at `path` (the last string segment), e.g. ['datasets', 0, 'type']. */
export function specAt(path: NodePath): KeySpec | undefined {
  let last = path.length - 1;
  while (last >= 0 && typeof path[last] === 'number') last--;
  if (last < 0) return undefined;
  const table = tableAt(path.slice(0, last));
  return table?.get(path[last] as string);
}

/** Allowed values of the key at `path`, including `true`/`false` for booleans. */
export function valuesAt(path: NodePath): readonly ValueDoc[] {
  const spec = specAt(path);
  if (!spec) return [];
  const out: ValueDoc[] = [...(spec.values ?? [])];
  const kinds = spec.type.kind === 'union' ? spec.type.of : [spec.type];
  for (const k of kinds) {
    if (k.kind === 'bool') out.push({ value: 'true' }, { value: 'false' });
    if (k.kind === 'literal' && !out.some((v) => v.value === k.value)) out.push({ value: k.value });
  }
  return out;
}
