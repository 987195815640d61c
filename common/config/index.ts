/**
 * The config language service core (Axolotl's YAML dialect). Pure: no file system except through
 * `ConfigEnv`, no LSP connection. Used by server/ (diagnostics, completion, hover, code actions),
 * cli/ (`tunelab validate`) and trainer/ (refuses a bad config before any compute).
 *
 * API (stable; server/ and trainer/ build on these names):
 * - parseConfig(text) -> ConfigDocument            yaml AST with offsets; never throws. Refuses
 *                                                  input over LIMITS.maxChars, binary, nesting
 *                                                  over LIMITS.maxDepth, alias bombs (diagnostics).
 * - validateConfig(doc, env?) -> Diagnostic[]      every diagnostic coded, source "tunelab", sorted.
 * - looksLikeConfig(text) -> boolean               a top-level base_model key, >= 3 Axolotl-only
 *                                                  top-level keys, or a `# tunelab` / `# yaml-language-
 *                                                  server: $schema=...tunelab...` marker; never mergekit
 *                                                  (./detect.ts; looksLikeMergekit(text) for that).
 * - keySpec(path) / keysAt(path, doc?) / valuesFor(path)   schema lookups for hover and completion.
 * - nodeAt(doc, offset) -> NodeLocation            path under the cursor, key or value, token range.
 * - loraTargetModules(baseModelOrModelType)        module names for the architecture ([] if unknown).
 * - configSymbols(doc) -> ConfigSymbol[]           the outline.
 * - resolveConfig(doc) -> ResolvedConfig           plain object with defaults applied (trainer).
 * - configJsonSchema() -> JSON Schema              for yaml-language-server / yamlValidation.
 * - ConfigEnv.checkModel (optional hook)           model-aware checks of a local base_model folder;
 *                                                  `ConfigModelCheck` in ./modelCheck implements it
 *                                                  (not re-exported here: it loads tokenizers). CLI,
 *                                                  trainer: `await m.prepare(doc, env)` first; server:
 *                                                  `onLoaded` to validate again once a model is in.
 *
 * Quick-fix data (`diagnostic.data`), dispatch on the shape rather than the code:
 * - `{ replaceKeyWith: 'lora_r' }`                 rename the key under the diagnostic's range.
 * - `{ replaceValueWith: 'chat_template' }`        replace the value at the range (any JSON value).
 * - `{ addKey: { key: 'load_in_4bit', value: true } }`  add a top-level `key: value` line.
 * - `{ replacePairWith: { key, value } }`          on a key (`flash_attention: true`): that pair becomes
 *                                                  `key: value`; on another key's value (`adapter:
 *                                                  qlora` with `load_in_4bit: false`): set `key` to
 *                                                  `value` where it is, or add it.
 * - `{ addPlugin: 'axolotl.integrations.liger.LigerPlugin' }`  append to `plugins:` (create it).
 * - `{ renameKeys: [{ path: ['fsdp_config', 'fsdp_offload_params'], to: 'offload_params' }] }`
 *                                                  rename several keys at once (located by path).
 * - removed dataset type: `{ replaceValueWith: 'chat_template', addKeys: [{key, value}...] }` where
 *   addKeys go into the same dataset entry (optional extras for ShareGPT-shaped data).
 * Diagnostic codes are listed in docs/diagnostics.md ("Config language service").
 */
import { parseConfig as parse } from './parse';
import { TOP_LEVEL, specAt, tableAt, valuesAt, PLUGIN_CLASSES } from './schema/index';
import type { ConfigDocument, KeySpec, NodePath, ValueDoc } from './types';
import { isMap, isScalar } from 'yaml';
import { keyName } from './nodes';

export { validateConfig } from './validate';
export { looksLikeConfig, looksLikeMergekit, axolotlKeysIn, AXOLOTL_SIGNATURE_KEYS, CONFIG_KEY_THRESHOLD } from './detect';
export { nodeAt, configSymbols, nodeAtPath, pairAtPath } from './nodes';
export { resolveConfig, type ResolvedConfig } from './resolve';
export { configJsonSchema, SCHEMA_ID } from './jsonSchema';
export { loraTargetModules, familyOf, type ArchitectureFamily } from './schema/loraTargets';
export { LIMITS } from './parse';
export { classifyType as classifyDatasetType, looksLocal as looksLikeLocalDatasetPath } from './datasets';
export type {
  ConfigDocument,
  ConfigEnv,
  ConfigSymbol,
  DatasetFileFinding,
  Deprecation,
  Diagnostic,
  KeySpec,
  ModelFinding,
  NodeLocation,
  NodePath,
  ValueDoc,
  ValueType,
} from './types';

/** Parses a config (see module doc). */
export const parseConfig = (text: string): ConfigDocument => parse(text);

/** The schema entry of the key at `path` (e.g. ['datasets', 0, 'type']), or undefined. */
export function keySpec(path: NodePath): KeySpec | undefined {
  return specAt(path);
}

/**
 * Candidate keys for the mapping at `path` ([] = top level, ['datasets', 0] = a dataset entry,
 * ['fsdp_config'], ['special_tokens'] ...), for completion. With `doc`, plugin keys are limited
 * to the plugins listed under `plugins:`. Deprecated and hidden keys are always left out. Keys already present
 * are NOT removed (the caller knows which mapping the cursor is in).
 */
export function keysAt(path: NodePath, doc?: ConfigDocument): KeySpec[] {
  const table = tableAt(path);
  if (!table) return [];
  const specs = [...table.values()].filter((s) => !s.deprecated && !s.hidden);
  if (!doc || path.length > 0) return specs;
  const plugins = listedPlugins(doc);
  return specs.filter((s) => !s.plugin || plugins.has(s.plugin.slice(s.plugin.lastIndexOf('.') + 1)));
}

/** Allowed values for the key at `path` (enumerations, booleans), with docs, for completion. */
export function valuesFor(path: NodePath): readonly ValueDoc[] {
  return valuesAt(path);
}

/** Short class names of the plugins listed under `plugins:`. */
export function listedPlugins(doc: ConfigDocument): Set<string> {
  const out = new Set<string>();
  const root = doc.yaml?.contents;
  if (!isMap(root)) return out;
  const pair = root.items.find((p) => keyName(p) === 'plugins');
  const seq = pair?.value as { items?: unknown[] } | undefined;
  for (const item of seq?.items ?? []) {
    if (isScalar(item) && typeof item.value === 'string') out.add(item.value.slice(item.value.lastIndexOf('.') + 1).trim());
  }
  return out;
}

/** Every top-level key spec (docs, JSON schema, tests). */
export const allKeys = (): KeySpec[] => [...TOP_LEVEL.values()];
/** Plugin short class name → dotted path, for plugins that own keys. */
export const knownPlugins = (): ReadonlyMap<string, string> => PLUGIN_CLASSES;
