import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Diagnostic } from 'vscode-languageserver-types';
import { parseConfig, validateConfig, type ConfigEnv } from '../../config/index';

/** Fixture folder; messages that name absolute paths use it. */
const FIX = fileURLToPath(new URL('../fixtures/config', import.meta.url));
const E = 1 as const;
const W = 2 as const;
const I = 3 as const;

/** A whole expected diagnostic: range "line:col-line:col" (0-based), severity, code, message, data. */
function d(range: string, severity: 1 | 2 | 3, code: string, message: string, data?: unknown): Diagnostic {
  const [s, e] = range.split('-');
  const [sl, sc] = s!.split(':').map(Number);
  const [el, ec] = e!.split(':').map(Number);
  const out: Diagnostic = { range: { start: { line: sl!, character: sc! }, end: { line: el!, character: ec! } }, severity, code, source: 'tunelab', message };
  if (data !== undefined) out.data = data;
  return out;
}

function run(name: string, env: Partial<ConfigEnv> = {}): { diagnostics: Diagnostic[]; hook: string[] } {
  const hook: string[] = [];
  const path = `${FIX}/${name}`;
  const diagnostics = validateConfig(parseConfig(readFileSync(path, 'utf8')), {
    configPath: path,
    fileExists: existsSync,
    checkDatasetFile: (p) => {
      hook.push(p);
      return [];
    },
    ...env,
  });
  return { diagnostics, hook };
}

const EXPECTED: Record<string, Diagnostic[]> = {
  'attention-distributed.yml': [
    d("4:0-4:32", E, "config-cross-entropy-conflict", `Only one cross-entropy optimisation can be enabled; found cut_cross_entropy, liger_fused_linear_cross_entropy.`),
    d("13:0-13:15", E, "config-attention-conflict", `attn_implementation cannot be combined with the legacy flag(s) flash_attention: keep only attn_implementation.`),
    d("13:0-13:15", W, "config-deprecated-key", `Legacy attention flag: write \`attn_implementation: flash_attention_2\` instead.`),
    d("15:0-15:21", E, "config-context-parallel-attention", `context_parallel_size > 1 requires flash attention (attn_implementation: flash_attention_2 or flash_attention_3).`),
    d("17:0-17:4", E, "config-deepspeed-fsdp", `deepspeed and fsdp cannot be used together.`),
    d("17:0-17:4", W, "config-deprecated-key", `The \`fsdp\` list is deprecated: configure FSDP with fsdp_config (and fsdp_version: 2).`),
    d("20:0-20:11", E, "config-fsdp-size-wrap", `fsdp_config.auto_wrap_policy: SIZE_BASED_WRAP requires min_num_params.`),
    d("20:0-20:11", W, "config-fsdp-prefixed-key", `The fsdp_ prefix inside fsdp_config is deprecated (Axolotl strips it): fsdp_offload_params → offload_params, fsdp_state_dict_type → state_dict_type.`, {"renameKeys":[{"path":["fsdp_config","fsdp_offload_params"],"to":"offload_params"},{"path":["fsdp_config","fsdp_state_dict_type"],"to":"state_dict_type"}]}),
    d("24:11-24:25", E, "config-fsdp2-bnb-optimizer", `FSDP2 is not compatible with adamw_bnb_8bit: use adamw_torch_8bit.`, {"replaceValueWith":"adamw_torch_8bit"}),
    d("27:0-27:16", E, "config-memory-limits-both", `max_memory and gpu_memory_limit are mutually exclusive.`),
  ],
  'lora-rules.yml': [
    d("3:8-3:11", W, "config-advice-lora-narrow-high-rank", `lora_r 128 on only q_proj, v_proj(: for the same parameter budget, a lower rank (8-32) on all linear layers (lora_target_linear: true) usually learns better than a high rank on a few modules.`, {"addKey":{"key":"lora_target_linear","value":true}}),
    d("5:14-5:17", E, "config-lora-dropout-target-parameters", `lora_dropout must be 0 when lora_target_parameters is set.`, {"replaceValueWith":0}),
    d("6:0-6:19", E, "config-lora-target-regex", `lora_target_modules has invalid regular expression(s): 'v_proj('. Use plain module names or valid Python regexes.`),
    d("10:0-10:15", E, "config-lora-kernels-8bit", `lora_mlp_kernel is not compatible with 8-bit LoRA (load_in_8bit).`),
    d("10:0-10:15", E, "config-lora-kernels-remote-code", `LoRA kernels (lora_*_kernel) are not compatible with trust_remote_code: disable one of them.`),
    d("11:19-11:23", W, "config-trust-remote-code", `trust_remote_code runs Python code from the model's repository on this machine. Review it (and pin model_revision) before training.`),
    d("12:0-12:19", E, "config-peft-layers-pattern", `peft_layers_pattern requires peft_layers_to_transform.`),
    d("17:0-17:17", E, "config-lr-groups-loraplus", `lr_groups and loraplus_lr_ratio cannot be used together.`),
    d("21:19-21:24", E, "config-jinja-template-missing", `chat_template: jinja requires chat_template_jinja in this dataset entry.`),
    d("22:4-22:22", E, "config-message-field-conflict", `message_field_role ('from') conflicts with message_property_mappings.role ('speaker'): keep only message_property_mappings.`),
    d("22:4-22:22", W, "config-deprecated-key", `message_field_role is deprecated: use message_property_mappings.role.`),
    d("27:15-27:19", W, "config-advice-high-lr-lora", `learning_rate 0.005 is high even for LoRA (usual: 1e-4 to 3e-4); the loss often diverges above 0.001.`, {"replaceValueWith":0.0002}),
  ],
  'deprecated.yml': [
    d("1:0-1:23", E, "config-removed-key", `max_packed_sequence_len is no longer supported: use sample_packing with sequence_len. Axolotl refuses the config.`),
    d("2:0-2:12", E, "config-removed-key", `rope_scaling is no longer a top-level key: put it under model_config. Axolotl refuses the config.`),
    d("4:0-4:21", E, "config-neftune-both", `noisy_embedding_alpha (deprecated) and neftune_noise_alpha are both set: remove noisy_embedding_alpha.`),
    d("4:0-4:21", W, "config-deprecated-key", `noisy_embedding_alpha is deprecated; use neftune_noise_alpha.`),
    d("6:0-6:16", E, "config-removed-key", `unsloth_lora_mlp was removed: use lora_mlp_kernel. Axolotl refuses the config.`, {"replaceKeyWith":"lora_mlp_kernel"}),
    d("7:0-7:19", W, "config-deprecated-key", `evaluation_strategy is deprecated; use eval_strategy.`, {"replaceKeyWith":"eval_strategy"}),
    d("8:24-8:31", W, "config-gc-offload-deprecated", `gradient_checkpointing: offload is deprecated: use gradient_checkpointing: true with activation_offloading: true.`, {"replaceValueWith":true}),
    d("9:0-9:17", W, "config-deprecated-key", `dataset_processes is deprecated; use dataset_num_proc.`, {"replaceKeyWith":"dataset_num_proc"}),
    d("14:10-14:28", E, "config-unknown-dataset-type", `Prompt-strategy functions are written with a dot, not a colon: 'context_qa.load_v2'.`, {"replaceValueWith":"context_qa.load_v2"}),
    d("18:0-18:10", W, "config-batch-size-set", `Setting batch_size is not recommended: set micro_batch_size and gradient_accumulation_steps instead.`),
  ],
  'eval-rules.yml': [
    d("4:0-4:16", E, "config-batch-size-fields", `At least two of micro_batch_size, gradient_accumulation_steps and batch_size must be set (missing or zero: gradient_accumulation_steps, batch_size).`, {"addKey":{"key":"gradient_accumulation_steps","value":1}}),
    d("7:0-7:10", E, "config-eval-without-eval-set", `eval_steps/eval_strategy are set but val_set_size is 0 and there are no test_datasets: there is nothing to evaluate.`),
    d("8:0-8:15", E, "config-evals-per-epoch-and-steps", `eval_steps and evals_per_epoch are mutually exclusive: keep one.`),
    d("10:15-10:20", E, "config-save-strategy-mismatch", `save_strategy 'epoch' contradicts save_steps: set save_strategy: steps or remove save_steps.`, {"replaceValueWith":"steps"}),
    d("13:0-13:12", E, "config-warmup-both", `warmup_steps and warmup_ratio are mutually exclusive: keep one.`),
  ],
  'full-ft.yml': [
    d("1:19-1:23", W, "config-trust-remote-code", `trust_remote_code runs Python code from the model's repository on this machine. Review it (and pin model_revision) before training.`),
    d("7:12-7:14", W, "config-advice-many-epochs", `num_epochs 10: more than 5 passes over fine-tuning data mostly memorises it and increases forgetting of general skills. 1-3 epochs is typical; watch the eval loss (val_set_size) if you need more.`),
    d("8:15-8:19", W, "config-advice-high-lr-full-finetune", `learning_rate 0.0003 is a pre-training-scale rate for full fine-tuning (no adapter): it tends to overwrite what the model knows. Use 10-100x less than pre-training, typically 5e-6 to 2e-5, or train an adapter (LoRA) at this rate.`, {"replaceValueWith":0.00002}),
  ],
  'mistakes.yml': [
    d("1:9-1:14", E, "config-qlora-needs-4bit", `adapter: qlora needs load_in_4bit: true (QLoRA trains LoRA on a 4-bit base model).`, {"addKey":{"key":"load_in_4bit","value":true}}),
    d("1:9-1:14", W, "config-lora-no-targets", `No LoRA targets: set lora_target_linear: true (all linear layers, the usual choice) or list lora_target_modules; with neither, PEFT gets an empty target list and adapter creation fails.`, {"addKey":{"key":"lora_target_linear","value":true}}),
    d("2:0-2:9", W, "config-unknown-key", `Unknown key 'lora_rnak': did you mean 'lora_r'? Axolotl ignores unknown keys silently.`, {"replaceKeyWith":"lora_r"}),
    d("4:15-4:21", W, "config-advice-template-mismatch", `chat_template 'llama3' is the Llama 3 format, but the base model 'mistralai/Mistral-7B-v0.1' is not a Llama 3 model: the fine-tune would learn a format the model was not trained with. Use the model's own template (tokenizer_default) or one of its family.`, {"replaceValueWith":"tokenizer_default"}),
    d("5:0-5:10", W, "config-plugin-not-enabled", `'liger_rope' belongs to the Liger plugin and is ignored unless 'axolotl.integrations.liger.LigerPlugin' is listed under plugins:.`, {"addPlugin":"axolotl.integrations.liger.LigerPlugin"}),
    d("6:17-6:21", W, "config-advice-train-on-inputs", `train_on_inputs: true computes the loss on prompts too: the model spends capacity learning to write instructions, which usually hurts instruction following. Keep it false unless the inputs are what you want to generate.`, {"replaceValueWith":false}),
    d("8:10-8:28", E, "config-dataset-path-missing", `Local dataset 'data/missing.jsonl' does not exist (looked for '${FIX}/data/missing.jsonl'). Relative paths resolve against the config's folder, the workspace, then the working directory.`),
    d("9:10-9:18", E, "config-removed-dataset-type", `type: sharegpt was removed and Axolotl refuses it: use type: chat_template. For ShareGPT records add field_messages: conversations and message_property_mappings: {role: from, content: value}.`, {"replaceValueWith":"chat_template","addKeys":[{"key":"field_messages","value":"conversations"},{"key":"message_property_mappings","value":{"role":"from","content":"value"}}]}),
    d("11:10-11:21", E, "config-unknown-dataset-type", `'chta' is not a prompt style of alpaca (styles: instruct, chat, chatml, phi). Did you mean 'alpaca:chat'?`, {"replaceValueWith":"alpaca:chat"}),
  ],
  'types.yml': [
    d("2:8-2:15", E, "config-type-mismatch", `'lora_r' must be an integer, got the string 'sixteen'.`),
    d("3:0-3:19", W, "config-lora-modules-architecture", `None of q_proj, v_proj is a linear layer of gpt2-family models (c_attn, c_proj, c_fc); PEFT fails when no target module matches.`, {"replacePairWith":{"key":"lora_target_modules","value":["c_attn","c_proj","c_fc"]}}),
    d("6:16-6:21", E, "config-type-mismatch", `'special_tokens' must be a mapping, got a list of strings.`),
    d("7:0-7:11", W, "config-fsdp1-deprecated", `FSDP1 is deprecated: set fsdp_version: 2 (and migrate fsdp_config) for better performance and compatibility.`, {"addKey":{"key":"fsdp_version","value":2}}),
    d("8:19-8:23", E, "config-invalid-value", `'FULL' is not a valid state_dict_type (expected one of: FULL_STATE_DICT, LOCAL_STATE_DICT, SHARDED_STATE_DICT).`),
    d("12:18-12:27", E, "config-invalid-value", `'sometimes' is not a valid train_on_eos (expected one of: turn, all, last, none).`),
    d("13:20-13:29", E, "config-type-mismatch", `'roles_to_train' must be a list of strings, got the string 'assistant'.`),
    d("17:11-17:22", W, "config-unknown-value", `'adamw_torhc' is not a known optimizer: did you mean 'adamw_torch'? It may still work if your installed libraries provide it.`, {"replaceValueWith":"adamw_torch"}),
    d("18:21-18:26", E, "config-invalid-value", `attn_implementation 'flash' is not accepted: use the canonical name 'flash_attention_2'.`, {"replaceValueWith":"flash_attention_2"}),
  ],
  'syntax.yml': [
    d("0:0-0:0", E, "config-batch-size-fields", `At least two of micro_batch_size, gradient_accumulation_steps and batch_size must be set (missing or zero: micro_batch_size, gradient_accumulation_steps, batch_size).`, {"addKey":{"key":"micro_batch_size","value":1}}),
    d("2:0-2:13", E, "yaml-duplicate-key", `Duplicate key 'learning_rate': YAML keeps only the last value, so the earlier one is silently lost.`),
    d("3:10-4:0", E, "config-type-mismatch", `'datasets' must be a list of mappings, got a list of strings.`),
    d("4:0-4:0", E, "yaml-syntax", `Flow sequence in block collection must be sufficiently indented and end with a ].`),
  ],
};

for (const [name, expected] of Object.entries(EXPECTED)) {
  test(`${name}: every diagnostic, exactly`, () => {
    assert.deepEqual(run(name).diagnostics, expected);
  });
}

test('a clean QLoRA config has no diagnostics, and the existing local dataset goes to the dataset hook', () => {
  const r = run('valid-qlora.yml');
  assert.deepEqual(r.diagnostics, []);
  assert.deepEqual(r.hook, [`${FIX}/data/train.jsonl`]);
});

test('dataset hook findings are placed at the entry type: value', () => {
  const r = run('valid-qlora.yml', { checkDatasetFile: () => [{ code: 'dataset-format-mismatch', severity: 1, message: 'records have no messages field' }] });
  assert.deepEqual(r.diagnostics, [d('11:10-11:23', E, 'dataset-format-mismatch', 'records have no messages field')]);
});

test('without fileExists (no file system) local paths are not checked', () => {
  const r = validateConfig(parseConfig(readFileSync(`${FIX}/mistakes.yml`, 'utf8')), {});
  assert.equal(r.some((x) => x.code === 'config-dataset-path-missing'), false);
});

test('Hub ids are not local paths, even when they do not exist on disk', () => {
  const text = 'base_model: x\nlearning_rate: 1e-5\nmicro_batch_size: 1\ngradient_accumulation_steps: 1\ndatasets:\n  - path: org/name\n    type: alpaca\n  - path: name_only\n    type: alpaca\n  - path: ./rel/missing\n    type: alpaca\n';
  const r = validateConfig(parseConfig(text), { configPath: `${FIX}/inline.yml`, fileExists: () => false });
  assert.deepEqual(r, [
    d('9:10-9:23', E, 'config-dataset-path-missing', `Local dataset './rel/missing' does not exist (looked for '${FIX}/rel/missing'). Relative paths resolve against the config's folder, the workspace, then the working directory.`),
  ]);
});

test('missing required keys are reported at the document start with a quick-fix payload', () => {
  const r = validateConfig(parseConfig('micro_batch_size: 2\ngradient_accumulation_steps: 2\n'), {});
  assert.deepEqual(r, [
    d('0:0-0:0', E, 'config-missing-datasets', 'Either datasets or pretraining_dataset is required (and must not be empty).', { addKey: { key: 'datasets', value: [{ path: '', type: 'chat_template' }] } }),
    d('0:0-0:0', E, 'config-missing-key', "Missing required key 'base_model': the model to fine-tune (a Hub id or a local folder).", { addKey: { key: 'base_model', value: '' } }),
    d('0:0-0:0', E, 'config-missing-key', "Missing required key 'learning_rate' (e.g. 2e-4 for LoRA, 1e-5 for full fine-tuning).", { addKey: { key: 'learning_rate', value: 0.0002 } }),
  ]);
});

test('roles_to_train with a source role name, and new tokens under an adapter without lora_modules_to_save', () => {
  const text = 'base_model: EleutherAI/pythia-1b\nadapter: lora\nlora_target_linear: true\ntokens: ["<|tool|>"]\ndatasets:\n  - path: org/sharegpt-like\n    type: chat_template\n    roles_to_train: [gpt, assistant]\nmicro_batch_size: 1\ngradient_accumulation_steps: 1\nlearning_rate: 2e-4\n';
  assert.deepEqual(validateConfig(parseConfig(text)), [
    d('3:0-3:6', W, 'config-new-tokens-not-trained', 'tokens adds tokens to the vocabulary, but with an adapter their embeddings stay untrained unless lora_modules_to_save lists the embedding and output layers (embed_in, embed_out); Axolotl stops with an error when the tokens are new.', { addKey: { key: 'lora_modules_to_save', value: ['embed_in', 'embed_out'] } }),
    d('7:4-7:18', W, 'config-roles-to-train-unknown', "roles_to_train names the roles after mapping (system, user, assistant, tool): 'gpt' is mapped to 'assistant'. Turns of an unknown role are never trained."),
  ]);
});

test('learning_rate strings: what Python float() accepts passes, anything else is an error', () => {
  const cfg = (lr: string) => `base_model: x\nlearning_rate: ${lr}\nmicro_batch_size: 1\ngradient_accumulation_steps: 1\ndatasets:\n  - path: a/b\n    type: alpaca\n`;
  assert.deepEqual(validateConfig(parseConfig(cfg('"  3e-5 "'))), []);
  assert.deepEqual(validateConfig(parseConfig(cfg('"abc"'))), [
    d('1:15-1:20', E, 'config-type-mismatch', "'learning_rate' must be a number; Axolotl cannot convert the string 'abc' (write e.g. 2e-4)."),
  ]);
});

test('dataset entries: a missing path, no type (pre-tokenized), keys the type never reads', () => {
  const text = 'base_model: x\ndatasets:\n  - type: alpaca\n    field_messages: conversations\n    train_on_eos: turn\n  - path: org/pretokenized\n  - path: org/text\n    type: chat_template\n    field: text\nmicro_batch_size: 1\ngradient_accumulation_steps: 1\nlearning_rate: 1e-5\n';
  assert.deepEqual(validateConfig(parseConfig(text)), [
    d('2:4-2:8', E, 'config-dataset-path-required', 'This dataset entry has no path: Axolotl has nothing to load (a Hub id, a local file or folder, or an s3:// / gs:// URL).'),
    d('3:4-3:18', W, 'config-dataset-key-unused', "'field_messages' is not read by type: alpaca, so it has no effect here."),
    d('4:4-4:16', W, 'config-dataset-key-unused', "'train_on_eos' is not read by type: alpaca, so it has no effect here."),
    d('5:4-5:8', I, 'config-dataset-no-type', 'No type: Axolotl treats this dataset as already tokenized (input_ids, attention_mask, labels columns). Set a type (chat_template, alpaca, completion, ...) for raw records.'),
    d('8:4-8:9', W, 'config-dataset-key-unused', "'field' is not read by type: chat_template, so it has no effect here."),
  ]);
});

test('CRLF line endings: the same positions as LF', () => {
  const lf = 'base_model: x\nlora_rnak: 8\nlearning_rate: 1e-5\nmicro_batch_size: 1\ngradient_accumulation_steps: 1\ndatasets:\n  - path: a/b\n    type: alpacaa\n';
  const crlf = lf.replace(/\n/g, '\r\n');
  const ranges = (t: string) => validateConfig(parseConfig(t)).map((x) => [x.code, x.range]);
  assert.deepEqual(ranges(crlf), ranges(lf));
  assert.deepEqual(ranges(lf).map(([c]) => c), ['config-unknown-key', 'config-unknown-dataset-type']);
});

test('keys written at the wrong level say where they belong', () => {
  const text = 'base_model: x\nfield_messages: conversations\npad_token: "<pad>"\noffload_params: true\ndatasets:\n  - path: a/b\n    type: chat_template\n    sequence_len: 2048\nmicro_batch_size: 1\ngradient_accumulation_steps: 1\nlearning_rate: 1e-5\n';
  assert.deepEqual(validateConfig(parseConfig(text)), [
    d('1:0-1:14', W, 'config-misplaced-key', "'field_messages' is a key of a datasets: entry, not of the top level: move it under the dataset it is for. Axolotl ignores it here."),
    d('2:0-2:9', W, 'config-misplaced-key', "'pad_token' belongs under special_tokens:, not at the top level. Axolotl ignores it here."),
    d('3:0-3:14', W, 'config-misplaced-key', "'offload_params' belongs under fsdp_config:, not at the top level. Axolotl ignores it here."),
    d('7:4-7:16', W, 'config-misplaced-key', "'sequence_len' is a top-level key, not a dataset-entry key: move it out of the datasets: list. Axolotl ignores it here."),
  ]);
});

test('preference and RL rules: KTO, DPO loss types, GRPO generations, FSDP2 with quantized RL, kernels with FSDP1', () => {
  const kto = 'base_model: meta-llama/Llama-3.2-1B\nrl: kto\nsample_packing: true\nload_in_4bit: true\nadapter: qlora\nlora_target_linear: true\nfsdp_version: 2\nfsdp_config:\n  offload_params: false\ndpo_loss_type: [sigmoid]\ndatasets:\n  - path: trl-lib/kto-mix-14k\n    type: llama3.ultra\nmicro_batch_size: 1\ngradient_accumulation_steps: 4\nlearning_rate: 5e-6\n';
  assert.deepEqual(validateConfig(parseConfig(kto)), [
    d('1:4-1:7', E, 'config-rl-fsdp2-quantized', 'FSDP2 does not support load_in_8bit/load_in_4bit with rl: kto: use DeepSpeed or fsdp_version: 1.'),
    d('1:4-1:7', E, 'config-rl-kto', 'rl: kto requires remove_unused_columns: false.', { addKey: { key: 'remove_unused_columns', value: false } }),
    d('2:0-2:14', E, 'config-packing-rl', 'sample_packing does not work with RL training (rl).'),
    d('2:0-2:14', E, 'config-rl-kto', 'sample_packing is not supported with rl: kto.'),
    d('2:0-2:14', W, 'config-packing-attention', 'sample_packing without attn_implementation does not keep packed samples apart (they can attend to each other). Set attn_implementation: flash_attention_2 (or sdpa).', { addKey: { key: 'attn_implementation', value: 'flash_attention_2' } }),
    d('9:0-9:13', E, 'config-rl-dpo-loss', 'dpo_loss_type and dpo_loss_weights are for rl: dpo only.'),
  ]);
  const grpo = 'base_model: Qwen/Qwen2.5-1.5B-Instruct\nrl: grpo\ntrl:\n  num_generations: 3\nadapter: lora\nlora_target_linear: true\nlora_mlp_kernel: true\nfsdp_config:\n  offload_params: false\ndatasets:\n  - path: org/prompts\n    type: my_rewards.transform\nmicro_batch_size: 2\ngradient_accumulation_steps: 2\nlearning_rate: 1e-5\n';
  assert.deepEqual(validateConfig(parseConfig(grpo)), [
    d('2:0-2:3', E, 'config-rl-grpo-generations', 'GRPO: the generation batch size (4) must be divisible by trl.num_generations (3).'),
    d('6:0-6:15', W, 'config-lora-kernels-fsdp1', 'lora_mlp_kernel is not compatible with FSDP1: Axolotl refuses this on more than one GPU. Use fsdp_version: 2.'),
    d('7:0-7:11', W, 'config-fsdp1-deprecated', 'FSDP1 is deprecated: set fsdp_version: 2 (and migrate fsdp_config) for better performance and compatibility.', { addKey: { key: 'fsdp_version', value: 2 } }),
  ]);
});

test('chat_template: an enum at the top level, any tokenizer_default_fallback_* passes the schema', () => {
  const cfg = (v: string) => `base_model: x\nchat_template: ${v}\nlearning_rate: 1e-5\nmicro_batch_size: 1\ngradient_accumulation_steps: 1\ndatasets:\n  - path: a/b\n    type: chat_template\n`;
  assert.deepEqual(validateConfig(parseConfig(cfg('tokenizer_default_fallback_chatml'))), []);
  assert.deepEqual(validateConfig(parseConfig(cfg('tokenizer_default_fallback_chatlm'))), [
    d('1:15-1:48', W, 'config-unknown-value', "'chatlm' is not a chat template Axolotl knows, so the fallback fails when the tokenizer has no template: did you mean 'tokenizer_default_fallback_chatml'?", { replaceValueWith: 'tokenizer_default_fallback_chatml' }),
  ]);
  assert.deepEqual(validateConfig(parseConfig(cfg('llama_3'))), [d('1:15-1:22', E, 'config-invalid-value', "'llama_3' is not a valid chat_template: did you mean 'llama3'?", { replaceValueWith: 'llama3' })]);
});
