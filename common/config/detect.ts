/**
 * Which YAML texts are fine-tuning configs, decided from the text alone (no parse, no schema
 * tables), so that the extension bundle can use the same rule as the server and the CLI without
 * carrying the config core.
 *
 * A YAML text is an Axolotl config when any of these holds:
 * 1. a `# tunelab` or `# yaml-language-server: $schema=...tunelab / axolotl-config.schema.json`
 *    comment marker in the first 8 KB (the marker wins over everything else);
 * 2. a top-level `base_model:` key and no mergekit key;
 * 3. at least {@link CONFIG_KEY_THRESHOLD} distinct top-level keys from {@link AXOLOTL_SIGNATURE_KEYS}
 *    and no mergekit key: a config that forgot `base_model` is still a config, and then the
 *    missing required keys are reported instead of nothing.
 * mergekit configs also have `base_model:`; their own top-level keys (`models`, `slices`,
 * `experts`, `gate_mode`, `architecture`, a `merge_method` that is not Axolotl's LoRA merge
 * method) tell them apart.
 */

const MARKER = /^#\s*(tunelab\b|yaml-language-server:\s*\$schema=\S*(tunelab|axolotl-config\.schema\.json))/im;
const MERGEKIT = /^(?:(?:models|slices|experts|gate_mode|architecture)[ \t]*:|merge_method[ \t]*:[ \t]*(?!(?:legacy|memory_efficient)\b)\S)/m;
const TOP_LEVEL_KEY = /^([A-Za-z_][\w-]*)[ \t]*:(?=[ \t]|\r?$)/gm;

/**
 * Top-level keys that only Axolotl-style configs use. Names that Hugging Face `TrainingArguments`
 * YAML (`learning_rate`, `gradient_accumulation_steps`, `output_dir`, `bf16`, `seed` ...) or
 * LLaMA-Factory YAML (`lora_alpha`, `lora_dropout`, `deepspeed` ...) share with Axolotl are left
 * out on purpose, so those files are not mistaken for Axolotl configs; `learning_rate` counts
 * because with two Axolotl-only keys beside it the file is an Axolotl config. A unit test checks
 * that every name here is a key of the config schema.
 */
export const AXOLOTL_SIGNATURE_KEYS: ReadonlySet<string> = new Set([
  'datasets',
  'pretraining_dataset',
  'test_datasets',
  'dataset_prepared_path',
  'adapter',
  'learning_rate',
  'micro_batch_size',
  'sequence_len',
  'num_epochs',
  'lora_r',
  'lora_target_modules',
  'lora_target_linear',
  'lora_model_dir',
  'load_in_4bit',
  'load_in_8bit',
  'val_set_size',
  'sample_packing',
  'eval_sample_packing',
  'pad_to_sequence_len',
  'train_on_inputs',
  'chat_template',
  'special_tokens',
  'flash_attention',
  'attn_implementation',
  'lr_scheduler',
  'optimizer',
  'wandb_project',
  'tokenizer_type',
  'base_model_config',
  'evals_per_epoch',
  'saves_per_epoch',
]);

/** How many distinct signature keys make a YAML without `base_model` an Axolotl config. */
export const CONFIG_KEY_THRESHOLD = 3;

/** The text looked at: configs are small; a huge file is judged by its first MiB. */
const head = (text: string): string => (text.length > 1 << 20 ? text.slice(0, 1 << 20) : text);

/** Distinct top-level keys of `text` that are in {@link AXOLOTL_SIGNATURE_KEYS}. */
export function axolotlKeysIn(text: string): string[] {
  const found = new Set<string>();
  for (const m of head(text).matchAll(TOP_LEVEL_KEY)) if (AXOLOTL_SIGNATURE_KEYS.has(m[1]!)) found.add(m[1]!);
  return [...found];
}

/** Whether a YAML text has mergekit's own top-level keys (and no Tunelab marker). */
export function looksLikeMergekit(text: string): boolean {
  const h = head(text);
  return !MARKER.test(h.slice(0, 8192)) && MERGEKIT.test(h);
}

/** Whether a YAML text is a fine-tuning config (rules in the module doc). */
export function looksLikeConfig(text: string): boolean {
  const h = head(text);
  if (MARKER.test(h.slice(0, 8192))) return true;
  if (MERGEKIT.test(h)) return false;
  return /^base_model[ \t]*:/m.test(h) || axolotlKeysIn(h).length >= CONFIG_KEY_THRESHOLD;
}
