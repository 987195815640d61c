/**
 * What the `hf` engine (python/tunelab_engines/hf_runner.py: Transformers Trainer + PEFT) reads,
 * checked before launch so that a config it cannot honour is refused with located diagnostics
 * (the same refusal path as the built-in trainer) instead of training something else.
 * A key outside the subset is refused only when set to something that would change training
 * (`sample_packing: false` is fine); logging-only keys are accepted with a warning.
 */
import type { Diagnostic } from 'vscode-languageserver-types';
import { isMap, isSeq, type Node } from 'yaml';
import { diagnostic, Severity, sortDiagnostics } from '../diagnostics';
import { keyName, nodeRange } from '../config/nodes';
import type { ConfigDocument } from '../config/types';

/** Keys the runner reads. */
export const HF_SUPPORTED: ReadonlySet<string> = new Set([
  'base_model', 'base_model_config', 'tokenizer_config', 'model_type', 'tokenizer_type', 'trust_remote_code',
  'datasets', 'dataset_prepared_path', 'val_set_size', 'chat_template', 'train_on_inputs',
  'adapter', 'lora_r', 'lora_alpha', 'lora_dropout', 'lora_target_modules', 'lora_target_linear', 'load_in_4bit',
  'learning_rate', 'num_epochs', 'max_steps', 'micro_batch_size', 'eval_batch_size', 'gradient_accumulation_steps',
  'sequence_len', 'output_dir', 'bf16', 'fp16', 'tf32', 'gradient_checkpointing', 'eval_steps', 'save_steps',
  'logging_steps', 'save_total_limit', 'seed', 'resume_from_checkpoint', 'warmup_steps', 'warmup_ratio',
  'lr_scheduler', 'optimizer', 'weight_decay', 'max_grad_norm', 'deepspeed', 'fsdp', 'fsdp_config',
  'tunelab_engine', 'special_tokens', 'attn_implementation', 'gradient_checkpointing_kwargs',
]);

/** Keys that only affect logging, hubs or validation strictness: accepted and ignored. */
const HF_IGNORED = /^(wandb_|mlflow_|comet_|hub_|push_|strict$|debug$|dataset_processes$|flash_attention$|sdp_attention$|xformers_attention$|pad_to_sequence_len$|group_by_length$|auto_resume_from_checkpoints$|local_rank$|evals_per_epoch$|saves_per_epoch$|special_tokens$|plugins$)/;

const DATASET_TYPES = new Set(['alpaca', 'sharegpt', 'chat_template']);
const DATASET_KEYS = new Set(['path', 'type', 'split', 'data_files', 'name', 'ds_type', 'field_messages', 'message_property_mappings', 'message_field_role', 'message_field_content', 'roles', 'conversation', 'chat_template', 'train_on_eos', 'roles_to_train']);

const falsy = (v: unknown) => v === false || v === null || v === undefined || v === 0 || v === '' || (Array.isArray(v) && v.length === 0);

/** Findings for the hf engine (errors refuse the launch). */
export function checkHfSupport(doc: ConfigDocument): Diagnostic[] {
  const out: Diagnostic[] = [];
  const root = doc.yaml?.contents;
  if (!isMap(root)) return out;
  const range = (n: Node | null | undefined) => {
    const r = nodeRange(n) ?? [0, 0];
    return { start: doc.lines.positionAt(r[0]), end: doc.lines.positionAt(r[1]) };
  };
  const plain = (doc.value ?? {}) as Record<string, unknown>;
  for (const pair of root.items) {
    const key = keyName(pair);
    if (key === undefined) continue;
    const value = plain[key];
    if (HF_SUPPORTED.has(key)) continue;
    if (HF_IGNORED.test(key) || falsy(value)) {
      if (!falsy(value) && /^(flash_attention|sdp_attention|xformers_attention|pad_to_sequence_len|group_by_length)$/.test(key)) {
        out.push(diagnostic('engine-hf-ignored-key', Severity.Warning, range(pair.key as Node), `The hf engine ignores \`${key}\` (Transformers picks its attention and batching itself); Axolotl honours it (--engine axolotl).`));
      }
      continue;
    }
    out.push(diagnostic('engine-hf-unsupported-key', Severity.Error, range(pair.key as Node), `The hf engine does not implement \`${key}\`; train this config with --engine axolotl (or tunelab_engine: axolotl), or remove the key.`));
  }
  const adapter = plain.adapter;
  if (adapter !== undefined && adapter !== null && adapter !== 'lora' && adapter !== 'qlora') {
    const p = root.items.find((x) => keyName(x) === 'adapter');
    out.push(diagnostic('engine-hf-unsupported-value', Severity.Error, range(p?.value as Node), `The hf engine trains full fine-tuning, lora and qlora; \`adapter: ${String(adapter)}\` needs --engine axolotl or the built-in trainer.`));
  }
  const tpl = plain.chat_template;
  if (typeof tpl === 'string' && tpl !== 'tokenizer_default') {
    const p = root.items.find((x) => keyName(x) === 'chat_template');
    out.push(diagnostic('engine-hf-unsupported-value', Severity.Error, range(p?.value as Node), `The hf engine renders chats with the tokenizer's own template (chat_template: tokenizer_default); Axolotl's named template \`${tpl}\` needs --engine axolotl.`));
  }
  const ds = root.items.find((x) => keyName(x) === 'datasets')?.value;
  if (isSeq(ds)) {
    ds.items.forEach((entry) => {
      if (!isMap(entry)) return;
      for (const p of entry.items) {
        const k = keyName(p);
        if (k === undefined) continue;
        const v = (p.value as { value?: unknown } | null)?.value;
        if (k === 'type') {
          const t = typeof v === 'string' ? v.split(/[.:]/)[0]! : '';
          if (!DATASET_TYPES.has(t) || (typeof v === 'string' && v !== t && t !== 'sharegpt')) {
            out.push(diagnostic('engine-hf-unsupported-value', Severity.Error, range(p.value as Node), `The hf engine reads dataset types alpaca, sharegpt and chat_template; \`${String(v)}\` needs --engine axolotl.`));
          }
        } else if (k === 'roles_to_train' || k === 'train_on_eos') {
          // The runner trains every assistant turn through its end (Axolotl's roles_to_train:
          // [assistant], train_on_eos: turn); another choice would be silently trained otherwise.
          const plainEntry = (entry.toJSON() ?? {}) as Record<string, unknown>;
          const val = plainEntry[k];
          const ok = k === 'roles_to_train' ? Array.isArray(val) && val.length > 0 && val.every((r) => r === 'assistant' || r === 'gpt') : val === 'turn';
          if (!ok && !(val === null || val === undefined)) {
            out.push(diagnostic('engine-hf-unsupported-value', Severity.Error, range(p.value as Node), `The hf engine trains every assistant turn through its end (roles_to_train: [assistant], train_on_eos: turn); \`${k}: ${JSON.stringify(val)}\` needs --engine axolotl.`));
          }
        } else if (!DATASET_KEYS.has(k) && !falsy(v)) {
          out.push(diagnostic('engine-hf-unsupported-key', Severity.Error, range(p.key as Node), `The hf engine does not implement the dataset key \`${k}\`; use --engine axolotl, or remove it.`));
        }
      }
    });
  }
  return sortDiagnostics(out);
}
