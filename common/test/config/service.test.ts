import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  configJsonSchema,
  configSymbols,
  keySpec,
  keysAt,
  looksLikeConfig,
  looksLikeMergekit,
  AXOLOTL_SIGNATURE_KEYS,
  CONFIG_KEY_THRESHOLD,
  loraTargetModules,
  nodeAt,
  parseConfig,
  resolveConfig,
  valuesFor,
} from '../../config/index';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { suggestKey, editDistance } from '../../config/suggest';
import { TOP_LEVEL_NAMES } from '../../config/schema/index';

/** nodeAt on a fixture with a `|` cursor. */
function at(withCursor: string) {
  const offset = withCursor.indexOf('|');
  const loc = nodeAt(parseConfig(withCursor.replace('|', '')), offset);
  return { path: loc.path, kind: loc.kind, range: loc.range, text: loc.text, parentPath: loc.parentPath };
}

test('nodeAt: keys, values, empty values, partial keys and new lines at each nesting level', () => {
  assert.deepEqual(at('base_model: m\nadapter: q|lora\n'), { path: ['adapter'], kind: 'value', range: [23, 28], text: 'qlora', parentPath: [] });
  assert.deepEqual(at('base_model: m\nada|\n'), { path: ['ada'], kind: 'key', range: [14, 17], text: 'ada', parentPath: [] });
  assert.deepEqual(at('base_model: m\n|\n'), { path: [''], kind: 'key', range: [14, 14], text: '', parentPath: [] });
  assert.deepEqual(at('base_model: m\nadapter: |\n'), { path: ['adapter'], kind: 'value', range: [23, 23], text: '', parentPath: [] });
  assert.deepEqual(at('datasets:\n  - path: a\n    ty|\n'), { path: ['datasets', 0, 'ty'], kind: 'key', range: [26, 28], text: 'ty', parentPath: ['datasets', 0] });
  assert.deepEqual(at('datasets:\n  - path: a\n    type: chat|\n'), { path: ['datasets', 0, 'type'], kind: 'value', range: [32, 36], text: 'chat', parentPath: ['datasets', 0] });
  assert.deepEqual(at('datasets:\n  - path: a\n    |\n'), { path: ['datasets', 0, ''], kind: 'key', range: [26, 26], text: '', parentPath: ['datasets', 0] });
  assert.deepEqual(at('datasets:\n  - path: a\n  - |\n'), { path: ['datasets', 1, ''], kind: 'key', range: [26, 26], text: '', parentPath: ['datasets', 1] });
  assert.deepEqual(at('datasets:\n  - path: a\n  - pa|\n'), { path: ['datasets', 1, 'pa'], kind: 'key', range: [26, 28], text: 'pa', parentPath: ['datasets', 1] });
  assert.deepEqual(at('datasets:\n  - |\n'), { path: ['datasets', 0, ''], kind: 'key', range: [14, 14], text: '', parentPath: ['datasets', 0] });
  assert.deepEqual(at('fsdp_config:\n  offload_params: true\n  |\nlr: 1\n'), { path: ['fsdp_config', ''], kind: 'key', range: [38, 38], text: '', parentPath: ['fsdp_config'] });
  assert.deepEqual(at('lora_target_modules:\n  - q_proj\n  - v_p|\n'), { path: ['lora_target_modules', 1], kind: 'value', range: [36, 39], text: 'v_p', parentPath: ['lora_target_modules'] });
  assert.deepEqual(at('base_model: m\nplugins:\n  - a.b.C\n|'), { path: [''], kind: 'key', range: [33, 33], text: '', parentPath: [] });
});

test('keysAt: top level, dataset entry, nested blocks; plugin keys only with their plugin', () => {
  const top = keysAt([]).map((k) => k.key);
  assert.ok(top.includes('lora_r') && top.includes('datasets') && top.includes('model_type'));
  assert.equal(top.includes('type_of_model'), false, 'field names behind aliases are hidden');
  assert.equal(top.includes('flash_attention'), false, 'deprecated keys are not offered');
  assert.deepEqual(keysAt(['special_tokens']).map((k) => k.key), ['bos_token', 'eos_token', 'pad_token', 'unk_token', 'additional_special_tokens']);
  assert.deepEqual(keysAt(['datasets', 0]).slice(0, 5).map((k) => k.key), ['path', 'type', 'ds_type', 'data_files', 'split']);
  const withLiger = keysAt([], parseConfig('base_model: m\nplugins:\n  - axolotl.integrations.liger.LigerPlugin\n'));
  assert.deepEqual(withLiger.filter((k) => k.plugin).map((k) => k.key), ['liger_rope', 'liger_rms_norm', 'liger_rms_norm_gated', 'liger_layer_norm', 'liger_swiglu', 'liger_glu_activation', 'liger_cross_entropy', 'liger_fused_linear_cross_entropy', 'liger_use_token_scaling']);
  assert.deepEqual(keysAt(['no_such_block']), []);
});

test('valuesFor and keySpec describe enums, booleans and docs', () => {
  assert.deepEqual(valuesFor(['adapter']).map((v) => v.value), ['lora', 'qlora', 'llama-adapter', 'prefix', 'prompt', 'ia3', 'bottleneck']);
  assert.deepEqual(valuesFor(['adapter']).filter((v) => v.tunelab).map((v) => v.value), ['prefix', 'prompt', 'ia3', 'bottleneck'], "Tunelab's own methods are marked");
  assert.deepEqual(valuesFor(['datasets', 2, 'train_on_eos']).map((v) => v.value), ['turn', 'all', 'last', 'none']);
  assert.deepEqual(valuesFor(['bf16']).map((v) => v.value), ['true', 'false', 'auto']);
  assert.deepEqual(valuesFor(['learning_rate']), []);
  assert.ok(valuesFor(['chat_template']).some((v) => v.value === 'tokenizer_default_fallback_chatml'));
  assert.ok(valuesFor(['optimizer']).some((v) => v.value === 'paged_adamw_8bit'));
  const alpha = keySpec(['lora_alpha'])!;
  assert.equal(alpha.doc, 'LoRA scaling: the update is multiplied by alpha/r (alpha/sqrt(r) with peft_use_rslora).');
  assert.equal(keySpec(['datasets', 0, 'type'])!.typeText, 'str | object:user_defined_type');
  assert.equal(keySpec(['liger_rope'])!.plugin, 'axolotl.integrations.liger.LigerPlugin');
  assert.equal(keySpec(['sharegpt_thing']), undefined);
});

test('loraTargetModules by family, from Hub ids, model types and class names', () => {
  const llama = ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'];
  assert.deepEqual(loraTargetModules('meta-llama/Llama-3.1-8B'), llama);
  assert.deepEqual(loraTargetModules('mistralai/Mistral-7B-v0.1'), llama);
  assert.deepEqual(loraTargetModules('Qwen/Qwen2.5-7B'), llama);
  assert.deepEqual(loraTargetModules('qwen2'), llama);
  assert.deepEqual(loraTargetModules('LlamaForCausalLM'), llama);
  assert.deepEqual(loraTargetModules('gpt2'), ['c_attn', 'c_proj', 'c_fc']);
  assert.deepEqual(loraTargetModules('microsoft/Phi-3-mini-4k-instruct'), ['qkv_proj', 'o_proj', 'gate_up_proj', 'down_proj']);
  assert.deepEqual(loraTargetModules('EleutherAI/pythia-1b'), ['query_key_value', 'dense', 'dense_h_to_4h', 'dense_4h_to_h']);
  assert.deepEqual(loraTargetModules('some/unknown'), []);
});

test('configSymbols: the outline with dataset entries named by path', () => {
  const doc = parseConfig('base_model: x\ndatasets:\n  - path: a/b\n    type: alpaca\nfsdp_config:\n  offload_params: true\n');
  // Offsets: base_model 0-13, datasets 14-22, `path` 28-32, `a/b` 34-37, `type` 42-46, `alpaca` 48-54,
  // fsdp_config 55-66, offload_params 70-84, true 86-90. Collections end after their last newline.
  assert.deepEqual(configSymbols(doc), [
    { name: 'base_model', detail: 'x', range: [0, 13], selectionRange: [0, 10], kind: 'key', children: [] },
    {
      name: 'datasets',
      detail: '1 entry',
      range: [14, 55],
      selectionRange: [14, 22],
      kind: 'array',
      children: [
        {
          name: 'a/b',
          detail: '[0]',
          range: [28, 55],
          selectionRange: [28, 55],
          kind: 'object',
          children: [
            { name: 'path', detail: 'a/b', range: [28, 37], selectionRange: [28, 32], kind: 'key', children: [] },
            { name: 'type', detail: 'alpaca', range: [42, 54], selectionRange: [42, 46], kind: 'key', children: [] },
          ],
        },
      ],
    },
    { name: 'fsdp_config', detail: '', range: [55, 91], selectionRange: [55, 66], kind: 'object', children: [{ name: 'offload_params', detail: 'true', range: [70, 90], selectionRange: [70, 84], kind: 'key', children: [] }] },
  ]);
});

test('resolveConfig applies defaults, aliases, derived batch size and dataset defaults', () => {
  const r = resolveConfig(parseConfig('base_model: m\nmodel_type: AutoModelForCausalLM\nmicro_batch_size: 2\ngradient_accumulation_steps: 4\nlearning_rate: "2e-4"\nsample_packing: true\nflash_attention: true\nchat_template: chatml\ndatasets:\n  - path: d\n    type: chat_template\n'));
  assert.equal(r.learning_rate, 0.0002);
  assert.equal(r.type_of_model, 'AutoModelForCausalLM');
  assert.equal(r.batch_size, 8);
  assert.equal(r.eval_batch_size, 2);
  assert.equal(r.sequence_len, 512);
  assert.equal(r.optimizer, 'adamw_torch_fused');
  assert.equal(r.attn_implementation, 'flash_attention_2');
  assert.equal(r.pad_to_sequence_len, true);
  assert.equal(r.tokenizer_config, 'm');
  assert.deepEqual(r.datasets, [
    { path: 'd', type: 'chat_template', trust_remote_code: false, split: 'train', chat_template: 'chatml', field_messages: 'messages', message_property_mappings: { role: 'role', content: 'content' }, roles_to_train: ['assistant'], train_on_eos: 'turn', train_on_eot: 'turn' },
  ]);
});

test('looksLikeConfig: base_model or a marker, nothing else', () => {
  assert.equal(looksLikeConfig('base_model: x\n'), true);
  assert.equal(looksLikeConfig('# tunelab\nfoo: 1\n'), true);
  assert.equal(looksLikeConfig('# yaml-language-server: $schema=https://tunelab.dev/schemas/axolotl-config.schema.json\nfoo: 1\n'), true);
  assert.equal(looksLikeConfig('# yaml-language-server: $schema=../schemas/axolotl-config.schema.json\nfoo: 1\n'), true);
  assert.equal(looksLikeConfig('# yaml-language-server: $schema=https://json.schemastore.org/github-workflow.json\non: push\n'), false);
  assert.equal(looksLikeConfig('models:\n  - model: x\n'), false);
  assert.equal(looksLikeConfig('nested:\n  base_model: x\n'), false);
  assert.equal(looksLikeConfig('on: push\njobs: {}\n'), false);
  // mergekit configs have base_model too.
  assert.equal(looksLikeConfig('merge_method: ties\nbase_model: m\nmodels:\n  - model: a\n'), false);
  assert.equal(looksLikeConfig('base_model: m\ngate_mode: hidden\nexperts: []\n'), false);
  assert.equal(looksLikeConfig('base_model: m\nmerge_method: memory_efficient\nadapter: lora\n'), true, "Axolotl's own merge_method");
  assert.equal(looksLikeConfig('# tunelab\nbase_model: m\nmodels: []\n'), true, 'the marker wins');
  assert.equal(looksLikeConfig('base_model: m\nexperts_implementation: grouped\n'), true, 'an Axolotl key that starts like a mergekit one');
});

test('looksLikeConfig: a config that forgot base_model is one by three Axolotl-only top-level keys', () => {
  assert.equal(looksLikeConfig('datasets:\n  - path: a\nmicro_batch_size: 2\nsequence_len: 512\n'), true);
  assert.equal(looksLikeConfig('adapter: lora\nlearning_rate: 2e-4\nlora_r: 8\n'), true);
  assert.equal(looksLikeConfig('datasets:\n  - path: a\nmicro_batch_size: 2\n'), false, 'two keys are not enough');
  assert.equal(looksLikeConfig('datasets: []\ndatasets: []\nadapter: lora\n'), false, 'distinct keys');
  assert.equal(looksLikeConfig('nested:\n  datasets: []\n  adapter: lora\n  sequence_len: 8\n'), false, 'top level only');
  // Hugging Face TrainingArguments / LLaMA-Factory YAML share generic names with Axolotl.
  assert.equal(looksLikeConfig('output_dir: out\nlearning_rate: 1e-5\ngradient_accumulation_steps: 4\nbf16: true\nseed: 1\n'), false);
  assert.equal(looksLikeConfig('model_name_or_path: m\nfinetuning_type: lora\nlora_alpha: 16\nlora_dropout: 0.05\nlearning_rate: 1e-4\n'), false);
  // mergekit keys still win.
  assert.equal(looksLikeConfig('slices: []\ndatasets: []\nadapter: lora\nsequence_len: 8\n'), false);
  assert.equal(looksLikeMergekit('merge_method: ties\nbase_model: m\n'), true);
  assert.equal(looksLikeMergekit('base_model: m\nmerge_method: legacy\n'), false);
  assert.equal(looksLikeMergekit('# tunelab\nmodels: []\n'), false);
});

test('every Axolotl signature key of the config detector is a top-level schema key', () => {
  for (const k of AXOLOTL_SIGNATURE_KEYS) assert.ok(keySpec([k]), k);
  assert.equal(CONFIG_KEY_THRESHOLD, 3);
});

test('did-you-mean: typos, transpositions, truncations and other tools\' names', () => {
  assert.equal(suggestKey('lora_rnak', TOP_LEVEL_NAMES), 'lora_r');
  assert.equal(suggestKey('context_parapllel_size', TOP_LEVEL_NAMES), 'context_parallel_size');
  assert.equal(suggestKey('lerning_rate', TOP_LEVEL_NAMES), 'learning_rate');
  assert.equal(suggestKey('adam_eps', TOP_LEVEL_NAMES), 'adam_epsilon');
  assert.equal(suggestKey('num_train_epochs', TOP_LEVEL_NAMES), 'num_epochs');
  assert.equal(suggestKey('max_seq_length', TOP_LEVEL_NAMES), 'sequence_len');
  assert.equal(suggestKey('zzzzzzzz', TOP_LEVEL_NAMES), undefined);
  assert.equal(editDistance('ab', 'ba', 3), 1);
  assert.equal(editDistance('kitten', 'sitting', 5), 3);
});

test('configJsonSchema: draft-07, every key, enums where Axolotl enforces them', () => {
  const s = configJsonSchema() as { $schema: string; required: string[]; properties: Record<string, Record<string, unknown>> };
  assert.equal(s.$schema, 'http://json-schema.org/draft-07/schema#');
  assert.deepEqual(s.required, ['base_model', 'learning_rate']);
  assert.deepEqual(s.properties.base_model!.type, 'string', 'required: not nullable');
  assert.deepEqual(s.properties.load_in_4bit!.type, ['boolean', 'null'], 'optional keys accept an empty YAML value');
  assert.deepEqual(s.properties.lora_r!.type, ['integer', 'null']);
  assert.deepEqual(s.properties.excess_length_strategy!.enum, ['drop', 'truncate', 'raise', null]);
  assert.equal(s.properties.optimizer!.enum, undefined, 'unknown optimizers still work: no enum');
  const ds = s.properties.datasets as { type: string[]; items: { properties: Record<string, unknown> } };
  assert.deepEqual(ds.type, ['array', 'null']);
  assert.ok('field_messages' in ds.items.properties);
  assert.ok(String(s.properties.flash_attention!.deprecationMessage).includes('attn_implementation'));
});

test('schemas/axolotl-config.schema.json is the generated schema (run npx tsx scripts/gen-schema.ts)', () => {
  const file = readFileSync(fileURLToPath(new URL('../../../schemas/axolotl-config.schema.json', import.meta.url)), 'utf8');
  assert.equal(file, JSON.stringify(configJsonSchema(), null, 2) + '\n');
});
