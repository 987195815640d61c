import { isAlias, isMap, isScalar, isSeq, type Node, type ParsedNode, type YAMLMap } from 'yaml';
import { Severity } from '../diagnostics';
import { isPlainObject, truthy, type RuleContext } from './context';
import { keyName, nodeRange } from './nodes';
import { CHAT_TEMPLATE_SET, FALLBACK_PREFIX, PLUGIN_ADAPTERS, TUNELAB_ADAPTERS } from './schema/enums';
import { DATASET_ENTRY, NESTED_TABLES, TOP_LEVEL } from './schema/index';
import { describeType } from './schema/typeExpr';
import { suggestKey } from './suggest';
import type { KeySpec, NodePath, ValueType } from './types';
import { LIMITS } from './parse';

/**
 * Structural checks at every level: unknown keys (with did-you-mean), plugin keys without their
 * plugin, deprecated/removed keys, types (pydantic's lax coercions), enumerations and ranges.
 */
export function checkStructure(ctx: RuleContext): void {
  const root = ctx.doc.yaml?.contents as ParsedNode | null | undefined;
  if (!root) {
    if (ctx.doc.yaml && ctx.doc.yaml.errors.length === 0) {
      ctx.report('config-not-mapping', Severity.Error, { path: [] }, 'The config is empty: it needs at least base_model, learning_rate and datasets.', undefined, true);
    }
    return;
  }
  if (!isMap(root)) {
    const r = nodeRange(root as Node);
    if (r) ctx.diagnostics.push({ range: ctx.doc.lines.range(r[0], r[1]), severity: Severity.Error, code: 'config-not-mapping', source: 'tunelab', message: 'A config must be a mapping of keys to values (key: value lines).' });
    return;
  }
  checkMap(ctx, root, [], TOP_LEVEL, ctx.cfg, 0);
}

/** Candidate names for did-you-mean per table, computed once per table. */
const namesCache = new WeakMap<ReadonlyMap<string, KeySpec>, string[]>();
function namesOf(table: ReadonlyMap<string, KeySpec>): string[] {
  let n = namesCache.get(table);
  if (!n) {
    n = [...table.keys()].filter((k) => !table.get(k)!.deprecated);
    namesCache.set(table, n);
  }
  return n;
}

function checkMap(ctx: RuleContext, map: YAMLMap, path: NodePath, table: ReadonlyMap<string, KeySpec>, value: unknown, depth: number): void {
  if (depth > LIMITS.maxDepth) return;
  const obj = isPlainObject(value) ? value : {};
  for (const pair of map.items) {
    const name = keyName(pair);
    const keyNode = pair.key as ParsedNode | null;
    if (name === undefined) {
      if (keyNode && !(isScalar(keyNode) && keyNode.value === '<<')) {
        ctx.report('config-bad-key', Severity.Error, { path }, 'Keys must be plain names, not mappings or lists.');
      }
      continue;
    }
    if (name === '<<') continue; // YAML merge key: its contents are checked through the merged value
    const keyPath = [...path, name];
    // Axolotl strips a legacy `fsdp_` prefix inside fsdp_config (reported once by the rules).
    const spec = table.get(name) ?? (path.length === 1 && path[0] === 'fsdp_config' && name.startsWith('fsdp_') ? table.get(name.slice(5)) : undefined);
    const val = obj[name];
    if (!spec) {
      reportUnknown(ctx, keyPath, name, table, path);
      continue;
    }
    if (spec.plugin && !ctx.pluginEnabled(spec.plugin)) {
      ctx.report(
        'config-plugin-not-enabled',
        Severity.Warning,
        { path: keyPath },
        `'${name}' belongs to the ${shortPlugin(spec.plugin)} plugin and is ignored unless '${spec.plugin}' is listed under plugins:.`,
        { addPlugin: spec.plugin },
      );
    }
    if (spec.deprecated) {
      const d = spec.deprecated;
      const active = d.when === 'present' ? val !== undefined && val !== null : truthy(val);
      if (d.status === 'removed' && active) {
        // Only drop-in renames get a quick fix (unsloth_lora_mlp → lora_mlp_kernel).
        const rename = d.replacement && d.replacement.endsWith('_kernel') && path.length === 0;
        ctx.report('config-removed-key', Severity.Error, { path: keyPath }, `${d.message} Axolotl refuses the config.`, rename ? { replaceKeyWith: d.replacement } : undefined);
      } else if (d.status === 'deprecated' && (val !== undefined && val !== null)) {
        ctx.report('config-deprecated-key', Severity.Warning, { path: keyPath }, d.message, deprecationFix(name, d.replacement, val, obj));
      }
    }
    const valueNode = pair.value as ParsedNode | null;
    checkValue(ctx, keyPath, spec, valueNode, val, depth);
  }
}

function deprecationFix(name: string, replacement: string | undefined, val: unknown, siblings: Record<string, unknown>): unknown {
  if (!replacement) return undefined;
  // Renaming onto a key that is already there would create a duplicate key.
  if (siblings[replacement] !== undefined) return undefined;
  if (replacement === 'attn_implementation') {
    const canonical: Record<string, string> = { flash_attention: 'flash_attention_2', sdp_attention: 'sdpa', xformers_attention: 'xformers', flex_attention: 'flex_attention', sage_attention: 'sage', eager_attention: 'eager' };
    return truthy(val) && canonical[name] ? { replacePairWith: { key: 'attn_implementation', value: canonical[name] } } : undefined;
  }
  if (replacement === 'message_property_mappings' || replacement === 'fsdp_config' || replacement === 'generate_samples') return undefined;
  return { replaceKeyWith: replacement };
}

function shortPlugin(p: string): string {
  const cls = p.slice(p.lastIndexOf('.') + 1);
  return cls.replace(/Plugin$/, '');
}

/** Where a key that is unknown here does belong, e.g. a dataset-entry key written at the top level. */
function misplaced(name: string, parent: NodePath): string | undefined {
  const inEntry = parent.length === 2 && typeof parent[1] === 'number' && (parent[0] === 'datasets' || parent[0] === 'test_datasets');
  if (parent.length === 0) {
    if (DATASET_ENTRY.has(name)) return `'${name}' is a key of a datasets: entry, not of the top level: move it under the dataset it is for.`;
    for (const block of ['special_tokens', 'fsdp_config'] as const) {
      if (NESTED_TABLES.get(block)?.has(name)) return `'${name}' belongs under ${block}:, not at the top level.`;
    }
  } else if (inEntry && TOP_LEVEL.has(name) && !TOP_LEVEL.get(name)!.plugin) {
    return `'${name}' is a top-level key, not a dataset-entry key: move it out of the datasets: list.`;
  }
  return undefined;
}

function reportUnknown(ctx: RuleContext, keyPath: NodePath, name: string, table: ReadonlyMap<string, KeySpec>, parent: NodePath): void {
  if (ctx.saturated('config-unknown-key')) return;
  const elsewhere = misplaced(name, parent);
  if (elsewhere) {
    ctx.report('config-misplaced-key', Severity.Warning, { path: keyPath }, `${elsewhere} Axolotl ignores it here.`);
    return;
  }
  const suggestion = suggestKey(name, namesOf(table), (k) => !table.get(k)!.plugin);
  const where = parent.length === 0 ? '' : parent.some((p) => p === 'datasets' || p === 'test_datasets') ? ' in a dataset entry' : ` under ${parent.filter((p) => typeof p === 'string').join('.')}`;
  const msg = suggestion
    ? `Unknown key '${name}'${where}: did you mean '${suggestion}'? Axolotl ignores unknown keys silently.`
    : `Unknown key '${name}'${where}: Axolotl ignores it silently.`;
  ctx.report('config-unknown-key', Severity.Warning, { path: keyPath }, msg, suggestion ? { replaceKeyWith: suggestion } : undefined);
}

function checkValue(ctx: RuleContext, keyPath: NodePath, spec: KeySpec, node: ParsedNode | null, val: unknown, depth: number): void {
  if (val === undefined || val === null) {
    if (spec.required) {
      ctx.report('config-missing-value', Severity.Error, { path: keyPath }, `'${spec.key}' is required and has no value.`);
    }
    return;
  }
  if (isAlias(node)) return; // checked where the anchor is defined
  if (!matches(val, spec.type)) {
    ctx.report(
      'config-type-mismatch',
      Severity.Error,
      [{ path: keyPath, on: 'value' }, { path: keyPath }],
      `'${spec.key}' must be ${describeType(spec.type)}, got ${describeValue(val)}.`,
    );
    return;
  }
  // Nested objects and lists of objects: check their keys against the child table.
  if (spec.children) {
    if (isMap(node)) checkMap(ctx, node, keyPath, spec.children, val, depth + 1);
    else if (isSeq(node) && Array.isArray(val)) {
      node.items.forEach((item, i) => {
        if (isMap(item)) checkMap(ctx, item, [...keyPath, i], spec.children!, val[i], depth + 1);
        else if (item && !isAlias(item) && spec.type.kind === 'list') {
          const r = nodeRange(item as Node);
          if (r) ctx.report('config-type-mismatch', Severity.Error, { path: [...keyPath, i] }, `Each entry of '${spec.key}' must be a mapping (key: value lines), got ${describeValue(val[i])}.`);
        }
      });
    }
  }
  checkEnum(ctx, keyPath, spec, val);
  checkRange(ctx, keyPath, spec, val);
}

function checkEnum(ctx: RuleContext, keyPath: NodePath, spec: KeySpec, val: unknown): void {
  if (!spec.values || spec.values.length === 0 || spec.strict === 'none') return;
  if (typeof val !== 'string' && typeof val !== 'number') return; // lists/bools were type-checked
  const s = String(val);
  if (spec.values.some((v) => v.value === s)) return;
  const name = spec.key;
  const top = keyPath.length === 1;
  // Keys with their own value rules elsewhere.
  if (top && (name === 'attn_implementation' || name === 'plugins')) return;
  if (keyPath.includes('datasets') || keyPath.includes('test_datasets') || keyPath.includes('pretraining_dataset')) {
    if (name === 'type') return; // checked by the dataset rules (module.load_fn forms)
  }
  if (name === 'chat_template' && s.startsWith(FALLBACK_PREFIX)) {
    // The schema accepts any suffix; an unknown one fails later, when the template is looked up.
    const rest = s.slice(FALLBACK_PREFIX.length);
    if (CHAT_TEMPLATE_SET.has(rest)) return;
    const near = suggestKey(rest, [...CHAT_TEMPLATE_SET]);
    ctx.report('config-unknown-value', Severity.Warning, { path: keyPath, on: 'value' }, `'${rest}' is not a chat template Axolotl knows, so the fallback fails when the tokenizer has no template${near ? `: did you mean '${FALLBACK_PREFIX}${near}'?` : '.'}`, near ? { replaceValueWith: `${FALLBACK_PREFIX}${near}` } : undefined);
    return;
  }
  if (top && name === 'adapter' && TUNELAB_ADAPTERS.has(s)) return; // Tunelab's methods and their aliases: rulesMethods.ts
  if (top && name === 'adapter' && PLUGIN_ADAPTERS[s]) {
    if (!ctx.pluginEnabled(PLUGIN_ADAPTERS[s]!)) {
      ctx.report('config-invalid-value', Severity.Error, { path: keyPath, on: 'value' }, `adapter '${s}' is registered by ${PLUGIN_ADAPTERS[s]}, which is not listed under plugins:.`, { addPlugin: PLUGIN_ADAPTERS[s] });
    }
    return;
  }
  const names = spec.values.map((v) => v.value);
  const suggestion = suggestKey(s, names);
  const strict = spec.strict ?? 'error';
  const list = names.length <= 12 ? `: ${names.join(', ')}` : '';
  const lead = strict === 'error' ? `'${s}' is not a valid ${name}` : `'${s}' is not a known ${name}`;
  const tail = strict === 'error' ? '' : ' It may still work if your installed libraries provide it.';
  ctx.report(
    strict === 'error' ? 'config-invalid-value' : 'config-unknown-value',
    strict === 'error' ? Severity.Error : Severity.Warning,
    { path: keyPath, on: 'value' },
    `${lead}${suggestion ? `: did you mean '${suggestion}'?` : list ? ` (expected one of${list}).` : '.'}${tail}`,
    suggestion ? { replaceValueWith: suggestion } : undefined,
  );
}

function checkRange(ctx: RuleContext, keyPath: NodePath, spec: KeySpec, val: unknown): void {
  const r = spec.range;
  if (!r) return;
  const n = typeof val === 'number' ? val : typeof val === 'string' && val.trim() !== '' ? Number(val) : NaN;
  if (!Number.isFinite(n)) return;
  const low = r.min !== undefined && (r.exclusiveMin ? n <= r.min : n < r.min);
  const high = r.max !== undefined && n > r.max;
  if (!low && !high) return;
  const bound = low ? (r.exclusiveMin ? `greater than ${r.min}` : `at least ${r.min}`) : `at most ${r.max}`;
  ctx.report('config-out-of-range', r.severity === 'error' ? Severity.Error : Severity.Warning, { path: keyPath, on: 'value' }, `'${spec.key}' should be ${bound}, got ${n}.`);
}

const BOOL_STRINGS = new Set(['0', 'off', 'f', 'false', 'n', 'no', '1', 'on', 't', 'true', 'y', 'yes']);

/** Whether a value passes pydantic's lax validation for a type (what Axolotl accepts). */
export function matches(v: unknown, t: ValueType): boolean {
  switch (t.kind) {
    case 'any':
      return true;
    case 'str':
      return typeof v === 'string';
    case 'int':
      if (typeof v === 'boolean') return true;
      if (typeof v === 'number') return Number.isInteger(v);
      return typeof v === 'string' && /^\s*[-+]?\d+\s*$/.test(v);
    case 'float':
      if (typeof v === 'number' || typeof v === 'boolean') return true;
      return typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v.trim()));
    case 'bool':
      if (typeof v === 'boolean') return true;
      if (typeof v === 'number') return v === 0 || v === 1;
      return typeof v === 'string' && BOOL_STRINGS.has(v.trim().toLowerCase());
    case 'literal':
      return v === t.value;
    case 'dict':
      if (!isPlainObject(v)) return false;
      return t.values ? Object.values(v).every((x) => x === null || matches(x, t.values!)) : true;
    case 'object':
      return isPlainObject(v);
    case 'list':
      return Array.isArray(v) && v.every((x) => x === null || matches(x, t.items));
    case 'union':
      return t.of.some((m) => matches(v, m));
  }
}

export function describeValue(v: unknown): string {
  if (typeof v === 'string') return `the string '${v.length > 40 ? `${v.slice(0, 40)}…` : v}'`;
  if (typeof v === 'number') return Number.isInteger(v) ? `the integer ${v}` : `the number ${v}`;
  if (typeof v === 'boolean') return `the boolean ${v}`;
  if (Array.isArray(v)) {
    const kinds = [...new Set(v.map((x) => (Array.isArray(x) ? 'lists' : isPlainObject(x) ? 'mappings' : typeof x === 'string' ? 'strings' : typeof x === 'number' ? 'numbers' : typeof x === 'boolean' ? 'booleans' : 'nulls')))];
    return v.length === 0 ? 'an empty list' : `a list of ${kinds.join(' and ')}`;
  }
  if (isPlainObject(v)) return 'a mapping';
  return String(v);
}
