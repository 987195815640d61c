import { isAbsolute } from 'node:path';
import { Severity } from '../diagnostics';
import { resolveLocalPath } from '../paths';
import { isPlainObject, truthy, type RuleContext } from './context';
import { ALPACA_FAMILY, DATASET_TYPES, PROMPT_STYLES, STRATEGY_MODULES } from './schema/enums';
import { suggestKey } from './suggest';
import type { NodePath } from './types';
import { dirname } from 'node:path';

const DATASET_LISTS = ['datasets', 'test_datasets', 'pretraining_dataset'] as const;
const REMOTE = /^(s3|gs|gcs|https?|hf|az|abfs|abfss|file):\/\//i;
const DATA_EXTENSIONS = /\.(jsonl|ndjson|json|parquet|csv|tsv|arrow|txt|json\.gz|jsonl\.gz|jsonl\.zst)$/i;
/** Extensions the dataset checks read (the hook H3 provides). */
const CHECKABLE = /\.(jsonl|ndjson|json|parquet)$/i;

/** Every base name a dataset `type` may start with, for did-you-mean. */
const TYPE_NAMES: readonly string[] = [...new Set([...DATASET_TYPES.map((t) => t.value.split(/[.:]/)[0]!), ...ALPACA_FAMILY, ...Object.keys(STRATEGY_MODULES)])];

/**
 * Per-entry checks of `datasets:`, `test_datasets:` and `pretraining_dataset:` beyond their keys'
 * types: the `type` forms Axolotl resolves, removed ShareGPT types, jinja templates, conflicting
 * legacy message fields, and local paths (missing file → error at `path:`; existing file → the
 * dataset checks through `env.checkDatasetFile`).
 */
export function checkDatasets(ctx: RuleContext): void {
  for (const list of DATASET_LISTS) {
    const entries = ctx.get(list);
    if (!Array.isArray(entries)) continue;
    // Axolotl's lists have min_length 1 (an empty `datasets:` is config-missing-datasets).
    if (entries.length === 0 && list === 'test_datasets') {
      ctx.report('config-dataset-list-empty', Severity.Error, [{ path: [list], on: 'value' }, { path: [list] }], 'test_datasets is an empty list, which Axolotl refuses (at least one entry): remove the key or add an entry.');
    }
    entries.forEach((entry, i) => {
      if (!isPlainObject(entry)) return;
      const path: NodePath = [list, i];
      checkPresence(ctx, path, entry, list);
      checkType(ctx, path, entry);
      checkUserDefinedType(ctx, path, entry);
      checkKeysForType(ctx, path, entry);
      checkEntryRules(ctx, path, entry);
      checkPath(ctx, path, entry);
    });
  }
}

function checkType(ctx: RuleContext, path: NodePath, entry: Record<string, unknown>): void {
  const type = entry.type;
  if (typeof type !== 'string' || type === '') return;
  const anchor = [{ path: [...path, 'type'], on: 'value' as const }, { path: [...path, 'type'] }];
  if (type.startsWith('sharegpt')) {
    ctx.report(
      'config-removed-dataset-type',
      Severity.Error,
      anchor,
      `type: ${type} was removed and Axolotl refuses it: use type: chat_template. For ShareGPT records add field_messages: conversations and message_property_mappings: {role: from, content: value}.`,
      { replaceValueWith: 'chat_template', addKeys: [{ key: 'field_messages', value: 'conversations' }, { key: 'message_property_mappings', value: { role: 'from', content: 'value' } }] },
    );
    return;
  }
  if (ctx.get('rl')) return; // preference/RL types are out of the first scope: many module forms
  const verdict = classifyType(type);
  if (verdict.ok) return;
  const suggestion = verdict.suggestion ?? suggestKey(type.split(/[.:]/)[0]!, TYPE_NAMES);
  const ask = suggestion && suggestion !== type && !verdict.message.includes(`'${suggestion}'`);
  // Without a dot the name cannot be the user's own module (Axolotl looks it up in its own
  // prompt_strategies package and its prompter table), so Axolotl refuses it; a dotted path may be
  // an importable module of the user's that cannot be checked from here.
  ctx.report(
    'config-unknown-dataset-type',
    type.includes('.') ? Severity.Warning : Severity.Error,
    anchor,
    `${verdict.message}${ask ? ` Did you mean '${suggestion}'?` : ''}`,
    suggestion && suggestion !== type ? { replaceValueWith: suggestion } : undefined,
  );
}

/**
 * A user-defined type (a mapping under `type:`): Axolotl's prompter reads
 * `record[field_instruction]` and `record[field_output]` and formats `format` (and
 * `no_input_format` without an input) with str.format, so a missing field name or format fails on
 * the first record (KeyError / AttributeError), and `{input}` in no_input_format fails on every
 * record without an input.
 */
function checkUserDefinedType(ctx: RuleContext, path: NodePath, entry: Record<string, unknown>): void {
  const t = entry.type;
  if (!isPlainObject(t) || ctx.on('rl')) return;
  const anchors = (k: string) => [{ path: [...path, 'type', k] }, { path: [...path, 'type'] }];
  const missing = ['field_instruction', 'field_output', 'format'].filter((k) => !truthy(t[k]));
  if (missing.length > 0) {
    ctx.report(
      'config-user-type-incomplete',
      Severity.Error,
      [{ path: [...path, 'type'] }],
      `A user-defined type needs ${missing.join(', ')}: Axolotl reads the instruction and response columns by these names and formats the prompt with format, and fails on the first record without them.`,
    );
  }
  if (typeof t.no_input_format === 'string' && t.no_input_format.includes('{input}')) {
    ctx.report('config-user-type-no-input-format', Severity.Error, anchors('no_input_format'), 'no_input_format is used for records without an input, so it cannot contain {input} (formatting fails with KeyError).');
  }
  if (typeof t.format === 'string' && t.format !== '' && !t.format.includes('{instruction}')) {
    ctx.report('config-user-type-no-instruction', Severity.Warning, anchors('format'), 'format has no {instruction} placeholder: the instruction column is never shown to the model.');
  }
}

/** Whether Axolotl can resolve a dataset type string, and why not. */
export function classifyType(type: string): { ok: true } | { ok: false; message: string; suggestion?: string } {
  if (DATASET_TYPES.some((t) => t.value === type)) return { ok: true };
  const colon = type.indexOf(':');
  if (colon >= 0) {
    const base = type.slice(0, colon);
    const style = type.slice(colon + 1);
    if ((ALPACA_FAMILY as readonly string[]).includes(base)) {
      if ((PROMPT_STYLES as readonly string[]).includes(style)) return { ok: true };
      return { ok: false, message: `'${style}' is not a prompt style of ${base} (styles: ${PROMPT_STYLES.join(', ')}).`, suggestion: `${base}:${suggestKey(style, PROMPT_STYLES) ?? 'chat'}` };
    }
    if (STRATEGY_MODULES[base]) {
      return { ok: false, message: `Prompt-strategy functions are written with a dot, not a colon: '${base}.${style}'.`, suggestion: `${base}.${style}` };
    }
    return { ok: false, message: `'${type}' is not a known dataset type: Axolotl will fail with "unhandled prompt tokenization strategy".` };
  }
  const dot = type.indexOf('.');
  if (dot < 0) {
    if ((ALPACA_FAMILY as readonly string[]).includes(type) || STRATEGY_MODULES[type]) return { ok: true };
    if (type.startsWith('bradley_terry') || type.startsWith('stepwise_supervised')) return { ok: true };
    return { ok: false, message: `'${type}' is not a built-in dataset type, and without a dot it cannot name a module of your own: Axolotl fails with "unhandled prompt tokenization strategy".` };
  }
  const module = type.slice(0, dot);
  const fn = type.slice(dot + 1);
  const fns = STRATEGY_MODULES[module];
  if (fns === undefined) return { ok: true }; // a dotted path to the user's own module: cannot be checked here
  if (fns.length === 0 || fns.includes(fn) || fn.includes('.')) return { ok: true };
  return { ok: false, message: `'${fn}' is not a known function of the ${module} prompt strategy (known: ${fns.join(', ')}).`, suggestion: `${module}.${suggestKey(fn, fns) ?? fns[0]}` };
}

function checkPresence(ctx: RuleContext, path: NodePath, entry: Record<string, unknown>, list: string): void {
  const type = entry.type;
  if (type === '_synthetic' || list === 'pretraining_dataset') return;
  if (!truthy(entry.path)) {
    const first = Object.keys(entry)[0];
    const anchors = [{ path: [...path, 'path'] }, ...(first ? [{ path: [...path, first] }] : []), { path }];
    ctx.report('config-dataset-path-required', Severity.Error, anchors, 'This dataset entry has no path: Axolotl has nothing to load (a Hub id, a local file or folder, or an s3:// / gs:// URL).');
  }
  if ((type === undefined || type === null || type === '') && !ctx.on('rl')) {
    ctx.report('config-dataset-no-type', Severity.Information, [{ path: [...path, 'type'] }, { path: [...path, 'path'] }, { path }], 'No type: Axolotl treats this dataset as already tokenized (input_ids, attention_mask, labels columns). Set a type (chat_template, alpaca, completion, ...) for raw records.');
  }
}

/** Dataset keys that only a conversation type reads. */
const CHAT_ONLY_KEYS = ['field_messages', 'field_tools', 'field_thinking', 'template_thinking_key', 'message_property_mappings', 'message_field_role', 'message_field_content', 'message_field_training', 'message_field_training_detail', 'roles_to_train', 'train_on_eos', 'train_on_eot', 'roles', 'drop_system_message', 'split_thinking', 'chat_template', 'chat_template_jinja'];

/**
 * Keys that the entry's type never reads, so a setting the user relies on does nothing (e.g.
 * field_messages on an alpaca dataset). Only for built-in types whose fields are known.
 */
function checkKeysForType(ctx: RuleContext, path: NodePath, entry: Record<string, unknown>): void {
  const type = entry.type;
  if (typeof type !== 'string' || ctx.on('rl')) return;
  const base = type.split(/[.:]/)[0]!;
  const isAlpacaFamily = (ALPACA_FAMILY as readonly string[]).includes(base) || base.startsWith('alpaca_');
  const unused: string[] = [];
  if (isAlpacaFamily || base === 'completion' || base === 'input_output' || base === 'pretrain') {
    for (const k of CHAT_ONLY_KEYS) if (k in entry) unused.push(k);
  }
  if (base !== 'completion' && base !== 'pretrain' && 'field' in entry && !type.includes('.')) unused.push('field');
  for (const k of unused) {
    ctx.report('config-dataset-key-unused', Severity.Warning, [{ path: [...path, k] }], `'${k}' is not read by type: ${type}, so it has no effect here.`);
  }
}

/** Template roles a message can have after `roles:` mapping (Axolotl's defaults). */
const DEFAULT_TARGET_ROLES = ['system', 'user', 'assistant', 'tool'];

function checkEntryRules(ctx: RuleContext, path: NodePath, entry: Record<string, unknown>): void {
  const rtt = entry.roles_to_train;
  if (Array.isArray(rtt) && rtt.length > 0) {
    const targets = isPlainObject(entry.roles) && Object.keys(entry.roles).length > 0 ? [...new Set([...Object.keys(entry.roles), 'system'])] : DEFAULT_TARGET_ROLES;
    const bad = rtt.filter((r): r is string => typeof r === 'string' && !targets.includes(r));
    if (bad.length > 0) {
      const mapped = isPlainObject(entry.roles) ? entry.roles : { user: ['human', 'user'], assistant: ['gpt', 'assistant'] };
      const hint = bad.map((b) => {
        const target = Object.entries(mapped).find(([, src]) => Array.isArray(src) && src.includes(b))?.[0];
        return target ? `'${b}' is mapped to '${target}'` : `'${b}' is not a role after mapping`;
      });
      ctx.report(
        'config-roles-to-train-unknown',
        Severity.Warning,
        [{ path: [...path, 'roles_to_train'] }],
        `roles_to_train names the roles after mapping (${targets.join(', ')}): ${hint.join('; ')}. Turns of an unknown role are never trained.`,
      );
    }
  }
  if (entry.chat_template === 'jinja' && !truthy(entry.chat_template_jinja)) {
    ctx.report('config-jinja-template-missing', Severity.Error, [{ path: [...path, 'chat_template'], on: 'value' }], 'chat_template: jinja requires chat_template_jinja in this dataset entry.');
  }
  const mpm = isPlainObject(entry.message_property_mappings) ? entry.message_property_mappings : {};
  for (const [legacy, prop] of [['message_field_role', 'role'], ['message_field_content', 'content']] as const) {
    const v = entry[legacy];
    if (truthy(v) && truthy(mpm[prop]) && mpm[prop] !== v) {
      ctx.report('config-message-field-conflict', Severity.Error, [{ path: [...path, legacy] }], `${legacy} ('${String(v)}') conflicts with message_property_mappings.${prop} ('${String(mpm[prop])}'): keep only message_property_mappings.`);
    }
  }
  const t = entry.train_on_eos;
  const eot = entry.train_on_eot;
  const eotTokens = ctx.get('eot_tokens');
  const eos = isPlainObject(ctx.get('special_tokens')) ? (ctx.get('special_tokens') as Record<string, unknown>).eos_token : undefined;
  if (typeof t === 'string' && typeof eot === 'string' && t !== eot && Array.isArray(eotTokens) && typeof eos === 'string' && eotTokens.includes(eos)) {
    ctx.report('config-eos-eot-conflict', Severity.Error, [{ path: [...path, 'train_on_eot'] }], `The EOS token ${eos} is also an eot_token, so train_on_eos (${t}) and train_on_eot (${eot}) must agree; training fails otherwise.`);
  }
}

/**
 * Whether a dataset path names local data by its shape: absolute, ./ ../ ~/, a backslash, or a
 * data-file extension. A bare `org/name` is a Hub id unless it exists locally.
 */
export function looksLocal(p: string): boolean {
  if (REMOTE.test(p)) return false;
  return isAbsolute(p) || /^\.\.?[\\/]/.test(p) || p.startsWith('~/') || p.includes('\\') || DATA_EXTENSIONS.test(p);
}

function checkPath(ctx: RuleContext, path: NodePath, entry: Record<string, unknown>): void {
  const p = entry.path;
  const env = ctx.env;
  if (typeof p !== 'string' || p.trim() === '' || env.skipPathChecks || !env.fileExists) return;
  if (REMOTE.test(p)) return;
  const bases = { configDir: env.configPath ? dirname(env.configPath) : undefined, workspaceRoots: env.workspaceRoots, cwd: env.cwd };
  const hasBase = Boolean(bases.configDir || bases.cwd || (bases.workspaceRoots && bases.workspaceRoots.length > 0));
  if (!hasBase && !isAbsolute(p) && !p.startsWith('~/')) return;
  const resolved = resolveLocalPath(p, bases, env.fileExists);
  if (!resolved.exists) {
    if (!looksLocal(p)) return; // a Hub id such as org/name
    const where = resolved.candidates.length > 0 ? ` (looked for ${resolved.candidates.map((c) => `'${c}'`).join(', ')})` : '';
    ctx.report('config-dataset-path-missing', Severity.Error, [{ path: [...path, 'path'], on: 'value' }], `Local dataset '${p}' does not exist${where}. Relative paths resolve against the config's folder, the workspace, then the working directory.`);
    return;
  }
  if (!env.checkDatasetFile || !CHECKABLE.test(resolved.path)) return;
  let findings: ReturnType<NonNullable<typeof env.checkDatasetFile>>;
  try {
    findings = env.checkDatasetFile(resolved.path, entry);
  } catch (e) {
    findings = [{ code: 'config-dataset-check-failed', severity: 2, message: `The dataset could not be checked: ${(e as Error).message}` }];
  }
  for (const f of findings) {
    ctx.report(f.code, f.severity, [{ path: [...path, 'type'], on: 'value' }, { path: [...path, 'path'], on: 'value' }], f.message);
  }
}
