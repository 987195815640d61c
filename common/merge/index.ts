/**
 * The merge-config language core (mergekit's YAML dialect). Pure: no file system except through
 * `MergeEnv.fs`. Used by server/ (diagnostics, completion, hover), cli/ (`tunelab validate`,
 * `tunelab merge` checks the config before any tensor is read) and trainer/merge (the runner reads
 * the same tables and settings).
 *
 * - looksLikeMergeConfig(text) -> boolean          cheap content check (no parse).
 * - validateMergeConfig(doc, env?) -> Diagnostic[]  `doc` from common/config's parseConfig.
 * - mergeCompletion(doc, offset) / mergeHover(doc, offset)
 * - readMergeConfig(value), evaluateSetting(...), parseModelRef(...)   typed config + semantics.
 * Diagnostic codes (merge-*) are listed in docs/diagnostics.md.
 */
export { evaluateSetting, parseModelRef, readMergeConfig } from './config';
export type { InputModel, InputSlice, MergeConfig, ModelRef, OutputSlice, ParamMap, ParamSetting } from './config';
export { MERGE_METHODS, METHODS_BY_NAME, PARAM_DOCS } from './schema';
export type { MergeMethodSpec, MergeParamSpec } from './schema';
export type { MergeEnv, MergeFileSystem } from './types';
export { validateMergeConfig } from './validate';
export { mergeCompletion, mergeHover } from './services';

/** A top-level mergekit `merge_method:` (not Axolotl's `legacy` / `memory_efficient` LoRA-merge setting). */
const METHOD = /^merge_method[ \t]*:[ \t]*["']?(?!(?:legacy|memory_efficient)\b)[A-Za-z_]/m;
/** Other mergekit tools (mergekit-moe, mergekit-evolve) have their own schemas. */
const OTHER_TOOL = /^(?:experts|gate_mode|genome)[ \t]*:/m;

/**
 * Whether a YAML text is a mergekit merge config: a top-level mergekit `merge_method:`, or
 * `slices:` whose entries have `sources:`; never a mergekit-moe or mergekit-evolve file and never
 * an Axolotl config (those say `base_model:` without these keys).
 */
export function looksLikeMergeConfig(text: string): boolean {
  const head = text.length > 1 << 20 ? text.slice(0, 1 << 20) : text;
  if (OTHER_TOOL.test(head)) return false;
  return METHOD.test(head) || (/^slices[ \t]*:/m.test(head) && /^[ \t]*-?[ \t]*sources[ \t]*:/m.test(head));
}
