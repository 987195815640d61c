/**
 * Method/key mismatches, Tunelab's own keys and methods, and the forgetting keys (rulesMethods.ts):
 * whole diagnostics (code, severity, line, message) on small configs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig, validateConfig, type ConfigEnv } from '../../config/index';

const BASE = 'base_model: m\nlearning_rate: 1e-4\nmicro_batch_size: 1\ngradient_accumulation_steps: 1\ndatasets:\n  - path: org/data\n    type: alpaca\n';
/** Diagnostics of BASE + `extra` (extra starts on line 7, 0-based), as [severity, code, line, message]. */
function check(extra: string, env: ConfigEnv = {}): [number | undefined, string, number, string][] {
  return validateConfig(parseConfig(BASE + extra), env).map((d) => [d.severity, String(d.code), d.range.start.line, d.message]);
}
const info = (k: string, line: number): [number, string, number, string] => [3, 'config-tunelab-key', line, `${k} is a Tunelab key: Tunelab's built-in trainer reads it; Axolotl ignores it.`];

test('LoRA keys without an adapter (full fine-tuning) or with another method have no effect', () => {
  assert.deepEqual(check('lora_r: 16\nlora_dropout: 0\nlora_target_linear: true\n'), [
    [2, 'config-method-key-unused', 7, 'lora_r is a LoRA setting, and without an adapter this config fully fine-tunes: it has no effect. Set adapter: lora (or qlora) to train LoRA.'],
    [2, 'config-method-key-unused', 9, 'lora_target_linear is a LoRA setting, and without an adapter this config fully fine-tunes: it has no effect. Set adapter: lora (or qlora) to train LoRA.'],
  ]);
  // IA3 has no rank, and the trainer always scales PEFT's default modules: the target keys do nothing either.
  assert.deepEqual(check('adapter: ia3\nlora_alpha: 16\nlora_target_modules: [k_proj, v_proj]\n'), [
    [3, 'config-tunelab-method', 7, "adapter: ia3 is a method of Tunelab's built-in trainer; Axolotl refuses it, so this config trains with Tunelab only."],
    [2, 'config-method-key-unused', 8, 'lora_alpha is a LoRA setting, and adapter: ia3 does not read it: it has no effect.'],
    [2, 'config-method-key-unused', 9, "lora_target_modules is a LoRA setting, and adapter: ia3 does not read it: it has no effect. IA3 scales PEFT's default modules for the architecture (Llama, Mistral: k_proj, v_proj, down_proj)."],
  ]);
  assert.deepEqual(check('adapter: qlora\nload_in_4bit: true\nlora_r: 8\nlora_target_linear: true\n'), []);
  // A rank of 0: PEFT and the trainer refuse it, so it is an error, not advice.
  assert.deepEqual(check('adapter: lora\nlora_r: 0\nlora_target_linear: true\n').filter((x) => x[1] === 'config-out-of-range'), [[1, 'config-out-of-range', 8, "'lora_r' should be at least 1, got 0."]]);
});

test("a method's own keys with another method: virtual tokens, prefix projection, bottleneck size", () => {
  assert.deepEqual(check('adapter: lora\nlora_target_linear: true\npeft_num_virtual_tokens: 10\npeft_adapter_placement: pfeiffer\n'), [
    [2, 'config-method-key-unused', 9, 'peft_num_virtual_tokens is read only by adapter: prefix or prompt, and adapter: lora does not read it: it has no effect.'],
    info('peft_num_virtual_tokens', 9),
    [2, 'config-method-key-unused', 10, 'peft_adapter_placement is read only by adapter: bottleneck, and adapter: lora does not read it: it has no effect.'],
    info('peft_adapter_placement', 10),
  ]);
  assert.deepEqual(check('adapter: prefix\npeft_num_virtual_tokens: 16\npeft_encoder_hidden_size: 64\n'), [
    [3, 'config-tunelab-method', 7, "adapter: prefix is a method of Tunelab's built-in trainer; Axolotl refuses it, so this config trains with Tunelab only."],
    info('peft_num_virtual_tokens', 8),
    [2, 'config-method-key-unused', 9, 'peft_encoder_hidden_size sizes the prefix projection MLP, which is off: set peft_prefix_projection: true, or remove it.'],
    info('peft_encoder_hidden_size', 9),
  ]);
  assert.deepEqual(check('adapter: houlsby\npeft_adapter_size: 32\n').map((d) => d.slice(0, 3)), [
    [3, 'config-tunelab-method', 7],
    [3, 'config-tunelab-key', 8],
  ]);
  assert.equal(check('adapter: houlsby\n')[0]![3], "adapter: houlsby is a method of Tunelab's built-in trainer (the same as bottleneck); Axolotl refuses it, so this config trains with Tunelab only.");
});

test('prompt tuning from text needs the text; the text alone does nothing', () => {
  assert.deepEqual(check('adapter: prompt\npeft_prompt_tuning_init: TEXT\n').filter((d) => d[0] !== 3), [
    [1, 'config-prompt-init-text-missing', 8, 'peft_prompt_tuning_init: TEXT initialises the virtual tokens from peft_prompt_tuning_init_text, which is not set (PEFT refuses this too).'],
  ]);
  assert.deepEqual(check('adapter: prompt\npeft_prompt_tuning_init_text: Classify\n').filter((d) => d[0] !== 3), [
    [2, 'config-method-key-unused', 8, 'peft_prompt_tuning_init_text is used only with peft_prompt_tuning_init: TEXT (now RANDOM, the default).'],
  ]);
});

test('4-bit loading: full fine-tuning is refused, plain LoRA is QLoRA', () => {
  assert.deepEqual(check('load_in_4bit: true\n').map((d) => d.slice(0, 3)), [[1, 'config-quantized-full-finetune', 7]]);
  const d = validateConfig(parseConfig(BASE + 'adapter: lora\nlora_target_linear: true\nload_in_4bit: true\n')).find((x) => x.code === 'config-lora-4bit')!;
  assert.deepEqual(d.data, { replaceValueWith: 'qlora' });
  assert.deepEqual([d.severity, d.range], [2, { start: { line: 7, character: 9 }, end: { line: 7, character: 13 } }]);
  // Both bit widths: the trainer refuses it, so the editor does too (qlora has config-qlora-8bit).
  assert.deepEqual(check('adapter: lora\nlora_target_linear: true\nload_in_4bit: true\nload_in_8bit: true\n').filter((x) => x[1] === 'config-quantization-conflict'), [
    [1, 'config-quantization-conflict', 10, 'load_in_8bit and load_in_4bit cannot both be on: choose one (load_in_4bit with adapter: qlora, load_in_8bit with adapter: lora).'],
  ]);
  assert.deepEqual(check('adapter: qlora\nlora_target_linear: true\nload_in_4bit: true\nload_in_8bit: true\n').map((x) => x[1]), ['config-qlora-8bit']);
});

test('with tunelab_engine: axolotl, Tunelab methods are errors and Tunelab keys warnings', () => {
  assert.deepEqual(check('tunelab_engine: axolotl\nadapter: bottleneck\nl2sp_lambda: 0.01\n'), [
    [1, 'config-tunelab-method', 8, "adapter: bottleneck is a method of Tunelab's built-in trainer; Axolotl refuses adapters it does not build in (lora, qlora, llama-adapter), so tunelab_engine: axolotl cannot run it. Use tunelab_engine: builtin, or adapter: lora."],
    [2, 'config-tunelab-key', 9, "l2sp_lambda is a Tunelab key and tunelab_engine: axolotl ignores it (Axolotl drops keys it does not know); only Tunelab's built-in trainer reads it."],
  ]);
  assert.deepEqual(check('tunelab_engine: deepspeed\n').map((d) => d.slice(0, 3)), [[1, 'config-invalid-value', 7]]);
});

test('forgetting keys: EWC needs general data that exists; partners without EWC do nothing', () => {
  assert.deepEqual(check('ewc_lambda: 10\n'), [
    [1, 'config-ewc-needs-data', 7, 'ewc_lambda needs ewc_data: the general text the Fisher information (which weights matter) is estimated on, e.g. a .txt or .jsonl file of ordinary text.'],
    info('ewc_lambda', 7),
  ]);
  assert.deepEqual(check('ewc_samples: 32\neval_tasks_every: 2\n').filter((d) => d[0] !== 3), [
    [2, 'config-method-key-unused', 7, 'ewc_samples is used only by EWC, which is off: set ewc_lambda (e.g. 10) or remove ewc_samples.'],
    [2, 'config-method-key-unused', 8, 'eval_tasks_every has no effect without eval_tasks.'],
  ]);
  const env: ConfigEnv = { configPath: '/ws/cfg.yml', fileExists: (p) => p === '/ws/general.txt' };
  assert.deepEqual(check('ewc_lambda: 10\newc_data: general.txt\n', env).filter((d) => d[0] !== 3), []);
  assert.deepEqual(check('ewc_lambda: 10\newc_data: missing.txt\n', env).filter((d) => d[0] !== 3), [[1, 'config-ewc-data-missing', 8, "ewc_data 'missing.txt' does not exist (looked for '/ws/missing.txt')."]]);
  assert.deepEqual(check('ewc_lambda: -1\newc_data: general.txt\n', env).filter((d) => d[0] !== 3), [[1, 'config-out-of-range', 7, "'ewc_lambda' should be at least 0, got -1."]]);
});

test('dataset weight and loss_weight: Tunelab keys with ranges; all-zero weights are refused', () => {
  const cfg = 'base_model: m\nlearning_rate: 1e-4\nmicro_batch_size: 1\ngradient_accumulation_steps: 1\ndatasets:\n  - path: org/a\n    type: alpaca\n    weight: 0\n  - path: org/b\n    type: alpaca\n    weight: 0\n    loss_weight: -2\n';
  assert.deepEqual(
    validateConfig(parseConfig(cfg)).map((d) => [d.severity, d.code, d.range.start.line]),
    [
      [3, 'config-tunelab-key', 7],
      [1, 'config-dataset-weights-zero', 7],
      [3, 'config-tunelab-key', 10],
      [3, 'config-tunelab-key', 11],
      [1, 'config-out-of-range', 11],
    ],
  );
  const ok = cfg.replace('weight: 0\n  - path', 'weight: 3\n  - path').replace('loss_weight: -2', 'loss_weight: 2');
  assert.deepEqual(validateConfig(parseConfig(ok)).filter((d) => d.severity !== 3), []);
});

test('eval_tasks: names or {task, data, limit, num_fewshot} mappings, checked like other nested keys', () => {
  assert.deepEqual(check('eval_tasks: [mmlu, {task: arc_easy, limit: 50, num_fewshot: 0}]\n'), [info('eval_tasks', 7)]);
  assert.deepEqual(check('eval_tasks:\n  - task: arc_easy\n    limitt: 5\n').map((d) => d.slice(0, 3)), [
    [3, 'config-tunelab-key', 7],
    [2, 'config-unknown-key', 9],
  ]);
});

test('refusals Axolotl makes at load time: incomplete user-defined types, {input} without input, non-positive rank patterns, empty test_datasets', () => {
  const cfg = (entry: string) => 'base_model: m\nlearning_rate: 1e-4\nmicro_batch_size: 1\ngradient_accumulation_steps: 1\ndatasets:\n  - path: org/a\n' + entry;
  const diags = (text: string) => validateConfig(parseConfig(text)).map((d) => [d.severity, d.code, d.range.start.line, d.message]);
  assert.deepEqual(diags(cfg('    type:\n      field_instruction: q\n      format: "Q: {question}"\n      no_input_format: "{instruction} {input}"\n')), [
    [1, 'config-user-type-incomplete', 6, 'A user-defined type needs field_output: Axolotl reads the instruction and response columns by these names and formats the prompt with format, and fails on the first record without them.'],
    [2, 'config-user-type-no-instruction', 8, 'format has no {instruction} placeholder: the instruction column is never shown to the model.'],
    [1, 'config-user-type-no-input-format', 9, 'no_input_format is used for records without an input, so it cannot contain {input} (formatting fails with KeyError).'],
  ]);
  assert.deepEqual(diags(cfg('    type:\n      field_instruction: q\n      field_output: a\n      format: "{instruction}\\n"\n')), []);
  assert.deepEqual(diags(cfg('    type: alpaca\nadapter: lora\nlora_target_linear: true\nlora_rank_pattern:\n  q_proj: 0\n')).filter((d) => d[1] === 'config-lora-pattern-value'), [
    [1, 'config-lora-pattern-value', 10, 'lora_rank_pattern values must be positive integers: q_proj: 0.'],
  ]);
  assert.deepEqual(diags(cfg('    type: alpaca\ntest_datasets: []\n')), [[1, 'config-dataset-list-empty', 7, 'test_datasets is an empty list, which Axolotl refuses (at least one entry): remove the key or add an entry.']]);
});

test('a dataset type that is not built in: an error without a dot (it cannot be a module of the user), a warning with one', () => {
  const cfg = (type: string) => `base_model: m\nlearning_rate: 1e-4\nmicro_batch_size: 1\ngradient_accumulation_steps: 1\ndatasets:\n  - path: org/a\n    type: ${type}\n`;
  const d = (type: string) => validateConfig(parseConfig(cfg(type))).map((x) => [x.severity, x.code, x.message]);
  assert.deepEqual(d('my_format'), [[1, 'config-unknown-dataset-type', `'my_format' is not a built-in dataset type, and without a dot it cannot name a module of your own: Axolotl fails with "unhandled prompt tokenization strategy".`]]);
  assert.deepEqual(d('alpacca'), [[1, 'config-unknown-dataset-type', `'alpacca' is not a built-in dataset type, and without a dot it cannot name a module of your own: Axolotl fails with "unhandled prompt tokenization strategy". Did you mean 'alpaca'?`]]);
  assert.deepEqual(d('my_pkg.transforms.load'), []);
  assert.deepEqual(d('chat_template.nope').map((x) => x.slice(0, 2)), [[2, 'config-unknown-dataset-type']]);
});

test('eval_tasks: an unknown task name and a task file or data that is not there, on the entry', () => {
  const env: ConfigEnv = { configPath: '/ws/cfg.yml', fileExists: (p) => ['/ws/evals/pirate.yaml', '/ws/eval_data/ARC-Easy', '/ws/general.txt'].includes(p) };
  const ok = 'eval_tasks:\n  - evals/pirate.yaml\n  - mmlu\n  - {task: arc_easy, data: eval_data/ARC-Easy}\n  - {task: general_text, data: general.txt}\n';
  assert.deepEqual(check(ok, env).filter((d) => d[0] !== 3), []);
  const bad = 'eval_tasks:\n  - mmlux\n  - evals/nope.yaml\n  - task: arc_easy\n    data: eval_data/ARC-Hard\n  - {task: pirate}\n';
  assert.deepEqual(check(bad, env).filter((d) => d[0] !== 3), [
    [1, 'config-eval-task-unknown', 8, "'mmlux' is not a built-in benchmark (mmlu, hellaswag, arc_easy, arc_challenge), a task .yaml or a .txt/.jsonl/.json/.parquet corpus: did you mean 'mmlu'? Training refuses the run."],
    [1, 'config-eval-task-missing', 9, "eval_tasks: 'evals/nope.yaml' does not exist (looked for '/ws/evals/nope.yaml'). Training refuses the run."],
    [1, 'config-eval-task-missing', 11, "eval_tasks: 'eval_data/ARC-Hard' does not exist (looked for '/ws/eval_data/ARC-Hard'). Training refuses the run."],
    [1, 'config-eval-task-unknown', 12, "'pirate' is not a built-in benchmark (mmlu, hellaswag, arc_easy, arc_challenge), a task .yaml or a .txt/.jsonl/.json/.parquet corpus. Training refuses the run."],
  ]);
  // The comma-separated form, and no path checks without a place to look.
  assert.deepEqual(check('eval_tasks: mmlu, hellaswagg\n').filter((d) => d[0] !== 3), [
    [1, 'config-eval-task-unknown', 7, "'hellaswagg' is not a built-in benchmark (mmlu, hellaswag, arc_easy, arc_challenge), a task .yaml or a .txt/.jsonl/.json/.parquet corpus: did you mean 'hellaswag'? Training refuses the run."],
  ]);
});
