import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readSettings } from '../../train/settings';

test('defaults follow Axolotl / Transformers', () => {
  const { settings, problems } = readSettings({ base_model: 'm', learning_rate: 2e-4 });
  assert.deepEqual(problems, []);
  assert.deepEqual(settings, {
    baseModel: 'm',
    method: 'full',
    methodSettings: {},
    lora: null,
    quantization: null,
    learningRate: 2e-4,
    scheduler: 'cosine',
    warmupSteps: null,
    warmupRatio: null,
    beta1: 0.9,
    beta2: 0.999,
    eps: 1e-8,
    weightDecay: 0,
    maxGradNorm: 1,
    numEpochs: 1,
    maxSteps: null,
    microBatchSize: 1,
    gradientAccumulationSteps: 1,
    evalBatchSize: 1,
    valSetSize: 0,
    sequenceLen: 512,
    samplePacking: false,
    evalSamplePacking: false,
    padToSequenceLen: false,
    excessLength: 'drop',
    shuffle: true,
    evalSteps: null,
    evalsPerEpoch: null,
    saveSteps: null,
    savesPerEpoch: null,
    saveTotalLimit: null,
    loggingSteps: null,
    earlyStoppingPatience: null,
    seed: 42,
    outputDir: './model-out',
    resumeFromCheckpoint: null,
    regularize: { l2spLambda: 0, ewcLambda: 0, ewcData: null, ewcSamples: 64 },
  });
});

test('LoRA keys', () => {
  const { settings } = readSettings({ base_model: 'm', learning_rate: '1e-3', adapter: 'lora', lora_r: 16, lora_alpha: 32, lora_dropout: 0.05, lora_target_modules: ['q_proj', 'v_proj'], peft_use_rslora: true, sample_packing: true });
  assert.deepEqual(settings.lora, { r: 16, alpha: 32, dropout: 0.05, targetModules: ['q_proj', 'v_proj'], targetLinear: false, rslora: true, dora: false });
  assert.equal(settings.learningRate, 1e-3);
  assert.equal(settings.padToSequenceLen, true);
  assert.equal(settings.evalSamplePacking, true);
});

test('what the trainer cannot honour is refused with the key, not ignored', () => {
  const { problems } = readSettings({ base_model: 'm', learning_rate: 1e-4, adapter: 'vera', gptq: true, optimizer: 'lion_8bit', lr_scheduler: 'polynomial', micro_batch_size: 0 });
  assert.deepEqual(
    problems.map((p) => [p.code, p.key]),
    [
      ['trainer-unsupported-adapter', 'adapter'],
      ['trainer-unsupported-quantization', 'gptq'],
      ['trainer-unsupported-optimizer', 'optimizer'],
      ['trainer-unsupported-scheduler', 'lr_scheduler'],
      ['trainer-invalid-setting', 'micro_batch_size'],
    ],
  );
});

test('lora_target_modules: names, a regular expression over full module names, or the architecture default', async () => {
  const { loraTargets } = await import('../../train/run');
  const names = ['model.layers.0.self_attn.q_proj', 'model.layers.0.self_attn.v_proj', 'model.layers.1.self_attn.q_proj', 'model.layers.1.mlp.up_proj'];
  assert.deepEqual(loraTargets(['q_proj', 'up_proj'], names, 'llama'), ['q_proj', 'up_proj']);
  assert.deepEqual(loraTargets('q_proj', names, 'llama'), ['q_proj']);
  assert.deepEqual(loraTargets('.*layers\\.1\\..*_proj', names, 'llama'), ['model.layers.1.self_attn.q_proj', 'model.layers.1.mlp.up_proj']);
  assert.deepEqual(loraTargets(null, names, 'llama'), ['q_proj', 'v_proj']);
  assert.deepEqual(loraTargets(null, names, 'gpt2'), ['c_attn']);
});
