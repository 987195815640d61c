import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseConfig } from '../../config/index';
import { looksLikeMergeConfig, validateMergeConfig, type MergeEnv } from '../../merge/index';

const fixtures = join(import.meta.dirname, '..', '..', '..', 'trainer', 'test', 'fixtures');
const fs: MergeEnv['fs'] = {
  exists: (p) => existsSync(p),
  readJson: (p) => (existsSync(p) ? (JSON.parse(readFileSync(p, 'utf8')) as unknown) : undefined),
};

/** `line:col severity code message` for each diagnostic (1-based, as editors show them). */
function check(text: string, env: MergeEnv = {}): string[] {
  return validateMergeConfig(parseConfig(text), env).map((d) => `${d.range.start.line + 1}:${d.range.start.character + 1}-${d.range.end.line + 1}:${d.range.end.character + 1} ${['', 'error', 'warning', 'info', 'hint'][d.severity!]} ${String(d.code)}: ${d.message}`);
}

describe('merge config validation', () => {
  it('accepts a complete TIES config with gradients and filtered weights', () => {
    assert.deepEqual(check(`models:
  - model: a/one
    parameters:
      density: [1, 0.7, 0.1]
      weight: 1.0
  - model: b/two
    parameters:
      density: 0.5
      weight:
        - filter: mlp
          value: 0.5
        - value: 0
merge_method: ties
base_model: base/model
parameters:
  normalize: true
  int8_mask: true
dtype: float16
`), []);
  });

  it('unknown method, with the nearest name as a quick fix', () => {
    const d = validateMergeConfig(parseConfig('merge_method: tie\nbase_model: b\nmodels:\n  - model: a\n    parameters: {weight: 1}\n'));
    assert.deepEqual(d.map((x) => [x.code, x.message, x.range.start.line, x.range.start.character, x.data]), [
      ['merge-method-unknown', "Unimplemented merge method 'tie'. Did you mean 'ties'?", 0, 14, { replaceValueWith: 'ties' }],
    ]);
  });

  it('needs base_model, the per-model weight and the inputs shape', () => {
    assert.deepEqual(check('merge_method: dare_ties\nmodels:\n  - model: a\n    parameters:\n      density: 0.5\n  - model: b\n    parameters:\n      weight: 0.3\nslices: []\n'), [
      '1:15-1:24 error merge-base-model-missing: dare_ties needs base_model: task vectors and interpolation start from it.',
      "3:12-3:13 error merge-param-missing: Missing required parameter 'weight' for a (dare_ties needs it per model).",
      "9:1-9:7 error merge-inputs: Exactly one of 'models', 'slices', or 'modules' must be present ('models' is already set).",
    ]);
  });

  it('ranges: density in (0, 1], t in [0, 1], gradients checked entry by entry; unused and misplaced parameters', () => {
    assert.deepEqual(check('merge_method: ties\nbase_model: b\nmodels:\n  - model: a\n    parameters:\n      weight: 1\n      density: [1, 0]\n      t: 0.5\nparameters:\n  lambda: "big"\n'), [
      '7:20-7:21 error merge-param-range: density is the fraction of entries kept and must be in (0, 1]; got 0.',
      "8:7-8:8 warning merge-param-unused: ties does not use 't'.",
      '10:11-10:16 error merge-param-type: \'lambda\' must be a number, a gradient list or filtered values; got "big".',
    ]);
    assert.deepEqual(check('merge_method: slerp\nbase_model: a\nmodels:\n  - model: a\n  - model: b\nparameters:\n  t: [0, 1.5]\n  normalize: 1\n'), [
      '7:10-7:13 error merge-param-range: t must be in [0, 1] (0 = base_model, 1 = the other model); got 1.5.',
      "8:3-8:12 warning merge-param-unused: slerp does not use 'normalize'.",
    ]);
  });

  it('slerp: exactly two models and a t; a t without fallback warns', () => {
    assert.deepEqual(check('merge_method: slerp\nbase_model: a\nmodels:\n  - model: b\n  - model: c\n'), [
      "1:15-1:20 error merge-param-missing: slerp needs parameter 't' (under top-level or slice `parameters`).",
      '3:1-3:7 error merge-model-count: slerp merges exactly 2 models (base_model included); this has 3.',
    ]);
    assert.deepEqual(check('merge_method: slerp\nbase_model: a\nmodels:\n  - model: a\n  - model: b\nparameters:\n  t:\n    - filter: mlp\n      value: 0.3\n'), [
      "7:3-7:4 warning merge-param-fallback: 't' has no unfiltered fallback entry last: tensors that match no filter get no value (an error for required parameters).",
    ]);
  });

  it('slices: layer ranges, equal lengths, model references, dtype, tokenizer, chat template', () => {
    assert.deepEqual(check(`slices:
  - sources:
      - model: a+l1+l2
        layer_range: [0, 24]
      - model: b
        layer_range: [4, 20]
  - sources:
      - model: c
        layer_range: [5, 5]
merge_method: passthrough
dtype: float8
tokenizer_source: base
tokenizer:
  source: union
chat_template: llama2
`), [
      '2:5-2:12 error merge-slice-layers: All inputs to a slice must contain the same number of layers (here 24, 16).',
      '3:16-3:23 error merge-model-ref: Bad model reference: cannot parse \'a+l1+l2\': more than one \'+\' (the form is BASE+LORA).',
      '9:22-9:28 error merge-layer-range: layer_range must be [start, end] with integers 0 ≤ start < end (end exclusive).',
      '11:8-11:14 error merge-dtype: Unimplemented dtype "float8": use bfloat16, float16 or float32.',
      '13:1-13:10 error merge-tokenizer-conflict: Cannot specify both tokenizer_source and tokenizer.',
      "14:11-14:16 info merge-tokenizer-union: tunelab merge does not build a union vocabulary (mergekit does); use 'base' or a model to copy its tokenizer.",
      "15:16-15:22 warning merge-chat-template: Invalid chat template 'llama2': use auto, alpaca, chatml, llama3, mistral, exaone or a Jinja template.",
    ]);
  });

  it('for tunelab merge, a built-in chat template name is a warning (the tokenizer keeps its own)', () => {
    assert.deepEqual(check('merge_method: linear\nmodels:\n  - model: m1\n    parameters: {weight: 1}\n  - model: m2\n    parameters: {weight: 1}\nchat_template: chatml\n', { requireRunnable: true }), [
      "7:16-7:22 warning merge-not-runnable: tunelab merge does not ship mergekit's built-in 'chatml' template: the output keeps its tokenizer's template (write the Jinja text, or auto, to set one).",
    ]);
  });

  it('for tunelab merge, what it cannot run is an error', () => {
    assert.deepEqual(check('merge_method: model_stock\nbase_model: a\nmodels:\n  - model: b\n  - model: c\n', { requireRunnable: true }), [
      '1:15-1:26 error merge-not-runnable: tunelab merge does not run model_stock (mergekit does); it runs linear, task_arithmetic, ties, dare_ties, dare_linear, breadcrumbs, breadcrumbs_ties, della, della_linear, slerp and passthrough.',
    ]);
  });

  it('local folders: missing, same architecture and vocabulary, layer ranges inside the model', () => {
    const env: MergeEnv = { configPath: join(fixtures, 'merge.yml'), fs };
    assert.deepEqual(check('merge_method: linear\nmodels:\n  - model: ./llama-tiny\n    parameters: {weight: 1}\n  - model: ./gpt2-tiny\n    parameters: {weight: 1}\n  - model: ./nowhere\n    parameters: {weight: 1}\n', env), [
      "5:12-5:23 error merge-model-mismatch: './gpt2-tiny' (gpt2, hidden 32, vocabulary 70) does not match './llama-tiny' (llama, hidden 32, vocabulary 64); merged models need the same architecture.",
      `7:12-7:21 warning merge-model-path-missing: Local model './nowhere' does not exist here (looked for '${join(fixtures, 'nowhere')}').`,
    ]);
    assert.deepEqual(check('merge_method: passthrough\nslices:\n  - sources:\n      - model: ./llama-tiny+./llama-tiny/adapter\n        layer_range: [0, 3]\n', env), [
      "5:22-5:28 error merge-layer-range: layer_range ends at 3 but './llama-tiny+./llama-tiny/adapter' has 2 layers.",
    ]);
    assert.deepEqual(check('merge_method: task_arithmetic\nbase_model: ./llama-tiny\nmodels:\n  - model: ./llama-tiny/adapter\n    parameters: {weight: 1}\n', env), []);
    // Another vocabulary (added tokens) merges on the common rows: a warning. An in-memory file system.
    const files: Record<string, unknown> = { '/m/base/config.json': { model_type: 'llama', hidden_size: 8, vocab_size: 100 }, '/m/chat/config.json': { model_type: 'llama', hidden_size: 8, vocab_size: 102 } };
    const memory: MergeEnv = { configPath: '/m/merge.yml', fs: { exists: (p) => p in files || Object.keys(files).some((f) => f.startsWith(`${p}/`)), readJson: (p) => files[p] } };
    assert.deepEqual(check('merge_method: ties\nbase_model: ./base\nmodels:\n  - model: ./chat\n    parameters: {weight: 1}\n', memory), [
      "4:12-4:18 warning merge-vocab-mismatch: './chat' has a vocabulary of 102 but './base' has 100: embeddings merge on the common rows (the base's with a base model), so tokens beyond them are dropped; use the same tokenizer, or tokenizer_source to pick one.",
    ]);
  });

  it('mergekit-multi files: each merge is checked at its own lines; every merge but the last needs a name', () => {
    assert.deepEqual(check('merge_method: linear\nmodels:\n  - model: m1\n  - model: m0\nparameters: {weight: 1}\n---\nname: b\nmerge_method: slerp\nbase_model: a\nmodels:\n  - model: m2\nparameters: {t: 1.5}\n---\nmerge_method: ties\nbase_model: b\nmodels:\n  - model: m3\n'), [
      '1:1-1:1 warning merge-multi-name: In a mergekit-multi file every merge but the last needs `name:`, which later merges use as a model path.',
      '12:17-12:20 error merge-param-range: t must be in [0, 1] (0 = base_model, 1 = the other model); got 1.5.',
      "17:12-17:14 error merge-param-missing: Missing required parameter 'weight' for m3 (ties needs it per model).",
    ]);
  });
});

describe('looksLikeMergeConfig', () => {
  it('tells mergekit merge configs from Axolotl configs and other mergekit tools', () => {
    assert.equal(looksLikeMergeConfig('merge_method: ties\nbase_model: m\n'), true);
    assert.equal(looksLikeMergeConfig('slices:\n  - sources:\n      - model: a\n'), true);
    assert.equal(looksLikeMergeConfig('base_model: m\nmerge_method: memory_efficient\nadapter: lora\n'), false);
    assert.equal(looksLikeMergeConfig('base_model: m\ngate_mode: hidden\nexperts:\n  - source_model: a\n'), false);
    assert.equal(looksLikeMergeConfig('models:\n  my_model:\n    materialized: table\n'), false, 'dbt');
  });
});
