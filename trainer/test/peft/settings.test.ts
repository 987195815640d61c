// The registry's config reading (method, settings, located refusals) and its adapter-directory errors.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { selectBackend } from '../../backend/index';
import { loadModel, writeSafetensors } from '../../io/index';
import { loadAdapter, loadAdapterInto, readMethodSettings } from '../../peft/index';

const fixtures = join(import.meta.dirname, '..', 'fixtures');
const temp = mkdtempSync(join(tmpdir(), 'tunelab-peft-settings-'));
before(async () => {
  await selectBackend('wasm');
});
after(() => rmSync(temp, { recursive: true, force: true }));

function read(cfg: Record<string, unknown>) {
  const problems: string[] = [];
  const choice = readMethodSettings(cfg, (code, key, message) => problems.push(`${code} @ ${key}: ${message}`));
  return { ...choice, problems };
}

describe('method settings from the config', () => {
  it('no adapter is full fine-tuning', () => {
    assert.deepEqual(read({}), { method: 'full', settings: {}, problems: [] });
    assert.deepEqual(read({ adapter: null }), { method: 'full', settings: {}, problems: [] });
  });

  it('prefix tuning: defaults and keys (prefix_tuning is an alias)', () => {
    assert.deepEqual(read({ adapter: 'prefix' }), { method: 'prefix', settings: { virtualTokens: 20, projection: false, encoderHidden: null }, problems: [] });
    assert.deepEqual(read({ adapter: 'prefix_tuning', peft_num_virtual_tokens: 8, peft_prefix_projection: true, peft_encoder_hidden_size: 64 }), { method: 'prefix', settings: { virtualTokens: 8, projection: true, encoderHidden: 64 }, problems: [] });
  });

  it('prompt tuning: init RANDOM by default; TEXT needs its text; values are refused with the key', () => {
    assert.deepEqual(read({ adapter: 'prompt', peft_num_virtual_tokens: 4 }), { method: 'prompt', settings: { virtualTokens: 4, init: 'RANDOM', initText: null }, problems: [] });
    assert.deepEqual(read({ adapter: 'prompt', peft_prompt_tuning_init: 'text', peft_prompt_tuning_init_text: 'Be a pirate.' }).settings, { virtualTokens: 20, init: 'TEXT', initText: 'Be a pirate.' });
    assert.deepEqual(read({ adapter: 'prompt', peft_prompt_tuning_init: 'TEXT' }).problems, ['trainer-invalid-setting @ peft_prompt_tuning_init_text: peft_prompt_tuning_init: TEXT needs peft_prompt_tuning_init_text (the text whose token embeddings start the prompt)']);
    assert.deepEqual(read({ adapter: 'prompt', peft_prompt_tuning_init: 'WORDS', peft_num_virtual_tokens: 0 }).problems, [
      'trainer-invalid-setting @ peft_num_virtual_tokens: peft_num_virtual_tokens must be a positive integer',
      'trainer-invalid-setting @ peft_prompt_tuning_init: peft_prompt_tuning_init must be one of RANDOM, TEXT, SAMPLE_VOCAB, got "WORDS"',
    ]);
  });

  it('bottleneck: Houlsby with swish by default, Pfeiffer with relu; houlsby is an alias that fixes the placement', () => {
    assert.deepEqual(read({ adapter: 'bottleneck' }), { method: 'bottleneck', settings: { size: 64, placement: 'houlsby', activation: 'swish' }, problems: [] });
    assert.deepEqual(read({ adapter: 'bottleneck', peft_adapter_size: 8, peft_adapter_placement: 'pfeiffer' }).settings, { size: 8, placement: 'pfeiffer', activation: 'relu' });
    assert.deepEqual(read({ adapter: 'bottleneck', peft_adapter_non_linearity: 'gelu' }).settings, { size: 64, placement: 'houlsby', activation: 'gelu' });
    assert.deepEqual(read({ adapter: 'houlsby', peft_adapter_placement: 'pfeiffer', peft_adapter_non_linearity: 'softmax', peft_adapter_size: 2.5 }).problems, [
      'trainer-invalid-setting @ peft_adapter_placement: adapter: houlsby already sets the placement; peft_adapter_placement says pfeiffer',
      'trainer-invalid-setting @ peft_adapter_non_linearity: peft_adapter_non_linearity must be one of relu, silu, swish, gelu, gelu_new, tanh, got "softmax"',
      'trainer-invalid-setting @ peft_adapter_size: peft_adapter_size must be a positive integer',
    ]);
  });

  it('an adapter no entry trains is refused at `adapter`', () => {
    const r = read({ adapter: 'mora' });
    assert.equal(r.method, 'full');
    assert.equal(r.problems.length, 1);
    assert.match(r.problems[0]!, /^trainer-unsupported-adapter @ adapter: adapter "mora" is not trained by Tunelab \(full fine-tuning: omit adapter; or adapter: lora, prefix, prefix_tuning, prompt, prompt_tuning, bottleneck, houlsby/);
  });
});

describe('adapter directories', () => {
  const dir = (name: string, config: Record<string, unknown>, tensors: Record<string, { shape: number[]; data: Float32Array }>) => {
    const d = join(temp, name);
    mkdirSync(d, { recursive: true });
    writeFileSync(join(d, 'adapter_config.json'), JSON.stringify(config));
    writeSafetensors(join(d, 'adapter_model.safetensors'), new Map(Object.entries(tensors)));
    return d;
  };

  it('a peft_type Tunelab does not load is named with the file', () => {
    const d = dir('adalora', { peft_type: 'ADALORA', task_type: 'CAUSAL_LM' }, {});
    assert.throws(() => loadAdapter(d), (e: Error) => e.message.startsWith(`${join(d, 'adapter_config.json')}: peft_type "ADALORA" is not one Tunelab loads (LORA, PREFIX_TUNING, PROMPT_TUNING, BOTTLENECK`));
  });

  it('a prefix saved for another model is refused with both shapes', () => {
    const d = dir('prefix-wrong', { peft_type: 'PREFIX_TUNING', task_type: 'CAUSAL_LM', num_virtual_tokens: 2 }, { prompt_embeddings: { shape: [2, 10], data: new Float32Array(20) } });
    const model = loadModel(join(fixtures, 'llama-tiny'));
    const { numLayers: L, numKvHeads: Hkv, headDim: D } = model.config;
    assert.throws(() => loadAdapterInto(model, d), { message: `${d}: prompt_embeddings has shape [2, 10]; this model needs [2, ${L * 2 * Hkv * D}] (2 tokens × ${L} layers × 2 × ${Hkv} key/value heads × ${D})` });
    model.dispose();
  });

  it('a task_type other than CAUSAL_LM is refused', () => {
    const d = dir('seq2seq', { peft_type: 'PROMPT_TUNING', task_type: 'SEQ_2_SEQ_LM', num_virtual_tokens: 2 }, {});
    assert.throws(() => loadAdapter(d), { message: `${join(d, 'adapter_config.json')}: task_type "SEQ_2_SEQ_LM": Tunelab runs causal language models (CAUSAL_LM)` });
  });
});
