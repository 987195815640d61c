import { isPlainObject, truthy } from './context';
import { LEGACY_ATTENTION_FLAGS } from './schema/enums';
import { DATASET_ENTRY, TOP_LEVEL } from './schema/index';
import type { ConfigDocument } from './types';

/** The normalised config the trainer runs: plain values, aliases folded, defaults and derivations applied. */
export type ResolvedConfig = Record<string, unknown>;

const ALIASES: Readonly<Record<string, string>> = {
  model_type: 'type_of_model',
  model_revision: 'revision_of_model',
  model_config: 'overrides_of_model_config',
  model_kwargs: 'overrides_of_model_kwargs',
};

const toNumber = (v: unknown): unknown => (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v)) ? Number(v) : v);

/**
 * A plain object with Axolotl's defaults applied (schema defaults for unset keys, then the
 * derivations of normalize_config that matter to a trainer: batch size, eval batch size,
 * base_model_config/tokenizer_config, dataset split and chat_template, pad_to_sequence_len and
 * eval_sample_packing with packing, legacy attention flags). Both alias spellings are present
 * (`model_type` and `type_of_model`). Call after validateConfig reports no errors.
 */
export function resolveConfig(doc: ConfigDocument): ResolvedConfig {
  const raw = isPlainObject(doc.value) ? doc.value : {};
  const out: ResolvedConfig = structuredClone(raw);
  for (const [alias, field] of Object.entries(ALIASES)) {
    if (out[alias] !== undefined && out[field] === undefined) out[field] = out[alias];
    if (out[field] !== undefined && out[alias] === undefined) out[alias] = out[field];
  }
  for (const [k, spec] of TOP_LEVEL) {
    if (spec.default !== undefined && (out[k] === undefined || out[k] === null) && !spec.plugin && !spec.deprecated) out[k] = structuredClone(spec.default);
  }
  for (const k of ['learning_rate', 'loraplus_lr_embedding', 'weight_decay', 'num_epochs', 'val_set_size']) out[k] = toNumber(out[k]);
  if (!truthy(out.attn_implementation)) {
    for (const [flag, impl] of Object.entries(LEGACY_ATTENTION_FLAGS)) {
      if (truthy(out[flag])) {
        out.attn_implementation = impl;
        break;
      }
    }
  }
  // Batch sizes (normalize_config): gradient accumulation from batch_size when only that is given.
  const mbs = Number(out.micro_batch_size ?? 1) || 1;
  if (truthy(raw.batch_size) && !truthy(raw.gradient_accumulation_steps)) out.gradient_accumulation_steps = Math.max(1, Math.floor(Number(raw.batch_size) / mbs));
  const gas = Number(out.gradient_accumulation_steps ?? 1) || 1;
  if (!truthy(raw.batch_size)) out.batch_size = mbs * gas;
  if (!truthy(out.eval_batch_size)) out.eval_batch_size = mbs;
  if (!truthy(out.base_model_config)) out.base_model_config = out.base_model;
  if (!truthy(out.tokenizer_config)) out.tokenizer_config = out.base_model_config;
  if (truthy(out.sample_packing)) {
    if (out.pad_to_sequence_len === undefined || out.pad_to_sequence_len === null) out.pad_to_sequence_len = true;
    if ((out.eval_sample_packing === undefined || out.eval_sample_packing === null) && !truthy(out.eval_table_size)) out.eval_sample_packing = true;
  }
  if (truthy(out.adapter) && (out.lora_dropout === undefined || out.lora_dropout === null)) out.lora_dropout = 0;
  if (truthy(out.chat_template_jinja) && !truthy(out.chat_template)) out.chat_template = 'jinja';
  for (const list of ['datasets', 'test_datasets']) {
    const entries = out[list];
    if (!Array.isArray(entries)) continue;
    out[list] = entries.map((e) => (isPlainObject(e) ? resolveEntry(e, out) : e));
  }
  return out;
}

function resolveEntry(e: Record<string, unknown>, cfg: ResolvedConfig): Record<string, unknown> {
  const r: Record<string, unknown> = { ...e };
  for (const [k, spec] of DATASET_ENTRY) if (spec.default !== undefined && r[k] === undefined) r[k] = spec.default;
  if (!truthy(r.split)) r.split = 'train';
  if (r.type === 'chat_template') {
    // Documented intent (axolotl-keys.md AX-D7): a dataset's own template wins, then the top level.
    if (!truthy(r.chat_template)) r.chat_template = truthy(r.chat_template_jinja) ? 'jinja' : truthy(cfg.chat_template) ? cfg.chat_template : 'tokenizer_default';
    if (r.chat_template === cfg.chat_template && !truthy(r.chat_template_jinja) && truthy(cfg.chat_template_jinja)) r.chat_template_jinja = cfg.chat_template_jinja;
    if (!truthy(r.field_messages)) r.field_messages = 'messages';
    const mpm = isPlainObject(r.message_property_mappings) ? { ...r.message_property_mappings } : {};
    if (truthy(r.message_field_role) && !truthy(mpm.role)) mpm.role = r.message_field_role;
    if (truthy(r.message_field_content) && !truthy(mpm.content)) mpm.content = r.message_field_content;
    r.message_property_mappings = { role: 'role', content: 'content', ...mpm };
    if (!truthy(r.roles_to_train)) r.roles_to_train = ['assistant'];
    if (!truthy(r.train_on_eos)) r.train_on_eos = 'turn';
    if (!truthy(r.train_on_eot)) r.train_on_eot = r.train_on_eos;
  }
  return r;
}
