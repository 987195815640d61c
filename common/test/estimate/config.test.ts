import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { parse } from 'yaml';
import { estimateConfig, fitSuggestions, formatBreakdown, formatFitWarning, formatLens, hfHubCacheDir, parseMemorySize, type Estimate, type EstimateEnv } from '../../estimate/index';
import { axolotlExamples, filesUnder, missingCorpus, YAML_FILE } from '../corpus';

const GIB = 2 ** 30;
const readTextFile = (p: string) => {
  try {
    return readFileSync(p, 'utf8');
  } catch {
    return undefined;
  }
};
const ok = (v: ReturnType<typeof estimateConfig>): Estimate => {
  assert.ok(!('unknown' in v), JSON.stringify(v));
  return v;
};

const qlora7b = {
  base_model: 'NousResearch/Llama-2-7b-hf',
  adapter: 'qlora',
  load_in_4bit: true,
  lora_r: 8,
  lora_alpha: 16,
  lora_target_modules: ['q_proj', 'v_proj'],
  sequence_len: 2048,
  micro_batch_size: 1,
  gradient_checkpointing: true,
  optimizer: 'paged_adamw_8bit',
  bf16: true,
};

test('a hub id estimates offline from the built-in table; the lens line and parameters', () => {
  const e = ok(estimateConfig(qlora7b));
  assert.deepEqual(e.model, { requested: 'NousResearch/Llama-2-7b-hf', kind: 'builtin', from: 'meta-llama/Llama-2-7b-hf' });
  assert.deepEqual(e.params, { total: 6_742_609_920, trainable: 4_194_304, base: 6_738_415_616 });
  assert.equal(e.methodLabel, 'qlora');
  assert.equal(e.setup.quantization, 'nf4');
  assert.equal(e.setup.nonQuantizedBytes, 2);
  assert.match(formatLens(e), /^≈ \d+(\.\d+)? GiB per GPU · QLoRA · 4\.19 M trainable \(0\.06 %\)$/);
  assert.equal(e.perGpu, e.memory.total);
  assert.equal(e.gpuMemory, null);
});

test('a local directory with config.json wins over the table, relative to the config file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tunelab-est-'));
  mkdirSync(join(dir, 'models', 'tiny'), { recursive: true });
  const cfgJson = { model_type: 'llama', hidden_size: 64, intermediate_size: 128, num_hidden_layers: 2, num_attention_heads: 4, vocab_size: 100, tie_word_embeddings: true };
  writeFileSync(join(dir, 'models', 'tiny', 'config.json'), JSON.stringify(cfgJson));
  const e = ok(estimateConfig({ base_model: './models/tiny' }, { configDir: dir, readTextFile }));
  assert.deepEqual(e.model, { requested: './models/tiny', kind: 'local', from: join(dir, 'models', 'tiny', 'config.json') });
  // 2 x (4 x 64 x 64 + 3 x 64 x 128 + 2 x 64) + 100 x 64 + 64
  assert.equal(e.params.total, 2 * (4 * 64 * 64 + 3 * 64 * 128 + 2 * 64) + 100 * 64 + 64);
  assert.equal(e.params.trainable, e.params.total);
  // A folder named like a hub id also wins.
  mkdirSync(join(dir, 'meta-llama', 'Llama-2-7b-hf'), { recursive: true });
  writeFileSync(join(dir, 'meta-llama', 'Llama-2-7b-hf', 'config.json'), JSON.stringify(cfgJson));
  assert.equal(ok(estimateConfig({ base_model: 'meta-llama/Llama-2-7b-hf' }, { configDir: dir, readTextFile })).model.kind, 'local');
});

test('the Hugging Face cache is read when the model was downloaded', () => {
  const cache = mkdtempSync(join(tmpdir(), 'tunelab-hf-'));
  const repo = join(cache, 'models--acme--tiny-7');
  mkdirSync(join(repo, 'refs'), { recursive: true });
  mkdirSync(join(repo, 'snapshots', 'abc1234'), { recursive: true });
  writeFileSync(join(repo, 'refs', 'main'), 'abc1234\n');
  writeFileSync(join(repo, 'snapshots', 'abc1234', 'config.json'), JSON.stringify({ model_type: 'gpt2', n_embd: 768, n_layer: 12, n_head: 12, n_positions: 1024, vocab_size: 50257 }));
  const e = ok(estimateConfig({ base_model: 'acme/tiny-7' }, { readTextFile, hfCacheDir: cache }));
  assert.equal(e.model.kind, 'hf-cache');
  assert.equal(e.params.total, 124_439_808);
});

test('bad input: unknown architecture, missing config.json, absurd values; each names what and where', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tunelab-est-'));
  mkdirSync(join(dir, 'mamba'));
  writeFileSync(join(dir, 'mamba', 'config.json'), JSON.stringify({ model_type: 'mamba', hidden_size: 768 }));
  const env: EstimateEnv = { configDir: dir, readTextFile };
  const unknown = estimateConfig({ base_model: './mamba' }, env);
  assert.deepEqual(unknown, {
    unknown: `${join(dir, 'mamba', 'config.json')}: architecture 'mamba' is not supported by the estimator (supported: llama, mistral, qwen2, qwen3, gemma, gemma2, gemma3_text, phi3, gpt2, mixtral)`,
    key: 'base_model',
  });
  assert.deepEqual(estimateConfig({ base_model: './nowhere' }, env), { unknown: `no config.json found for the local model './nowhere' (looked in ${join(dir, 'nowhere')})`, key: 'base_model' });
  assert.deepEqual(estimateConfig({ base_model: 'acme/unheard-of-13b' }, env), {
    unknown: "model 'acme/unheard-of-13b' is not in the built-in table and no local config.json was found; point base_model_config at a directory with its config.json",
    key: 'base_model',
  });
  assert.deepEqual(estimateConfig({ ...qlora7b, micro_batch_size: -2 }), { unknown: 'micro_batch_size is -2; it must be at least 1', key: 'micro_batch_size' });
  assert.deepEqual(estimateConfig({ ...qlora7b, micro_batch_size: 1.5 }), { unknown: 'micro_batch_size is 1.5, expected a positive integer', key: 'micro_batch_size' });
  assert.deepEqual(estimateConfig({ ...qlora7b, sequence_len: 1e12 }), { unknown: 'sequence_len is 1000000000000, beyond anything that can be estimated (at most 16,777,216)', key: 'sequence_len' });
  assert.deepEqual(estimateConfig({ ...qlora7b, lora_r: 0 }), { unknown: 'lora_r is 0; it must be at least 1', key: 'lora_r' });
  assert.deepEqual(estimateConfig({ ...qlora7b, adapter: 'mora' }), { unknown: "adapter 'mora' is not one the estimator knows (lora, qlora, llama-adapter, prefix, prompt, ia3, bottleneck)", key: 'adapter' });
  assert.deepEqual(estimateConfig({ datasets: [] }), { unknown: 'the config has no base_model to estimate', key: 'base_model' });
  assert.deepEqual(estimateConfig(['not', 'a', 'map']), { unknown: 'the config is not a mapping of keys to values' });
  assert.deepEqual(estimateConfig(qlora7b, { gpus: 0 }), { unknown: 'the GPU count 0 must be an integer from 1 to 65536' });
  const broken = join(dir, 'broken');
  mkdirSync(broken);
  writeFileSync(join(broken, 'config.json'), '{"model_type": "llama",');
  const b = estimateConfig({ base_model: './broken' }, env);
  assert.ok('unknown' in b && b.unknown.startsWith(`${join(broken, 'config.json')} is not valid JSON`) && b.key === 'base_model', JSON.stringify(b));
});

test('a sequence longer than the model\'s positions is estimated with a note', () => {
  const e = ok(estimateConfig({ ...qlora7b, sequence_len: 8192 }));
  assert.ok(e.notes.includes("sequence_len 8192 exceeds the model's 4096 positions (needs RoPE scaling)"), e.notes.join('\n'));
});

test('gpu_memory_limit and the env setting: fit, warning and suggestions with their estimates', () => {
  assert.equal(parseMemorySize(20), 20 * GIB);
  assert.equal(parseMemorySize('24GB'), 24e9);
  assert.equal(parseMemorySize('16000MiB'), 16000 * 2 ** 20);
  assert.equal(parseMemorySize('lots'), undefined);
  const full = { base_model: 'meta-llama/Llama-2-7b-hf', sequence_len: 4096, micro_batch_size: 4, optimizer: 'adamw_torch', bf16: true, gpu_memory_limit: '24GiB' };
  const e = ok(estimateConfig(full));
  assert.deepEqual(e.gpuMemory, { bytes: 24 * GIB, source: 'config' });
  assert.deepEqual(ok(estimateConfig(full, { gpuMemoryBytes: 80 * GIB })).gpuMemory, { bytes: 80 * GIB, source: 'option' });
  const s = fitSuggestions(e, 24 * GIB);
  // Every suggestion is re-estimated by the same model: check two of them independently.
  const qlora = s.find((x) => x.label === 'QLoRA');
  assert.ok(qlora);
  assert.equal(qlora.perGpu, ok(estimateConfig({ ...full, ...qlora.patch })).perGpu);
  const gc = s.find((x) => x.label === 'gradient checkpointing');
  assert.ok(gc);
  assert.equal(gc.perGpu, ok(estimateConfig({ ...full, gradient_checkpointing: true })).perGpu);
  // No single change fits (4 x 4,096 tokens without checkpointing); the smallest combination that does comes first.
  assert.deepEqual(s.map((x) => [x.label, x.fits]), [
    ['gradient checkpointing + QLoRA', true],
    ['gradient checkpointing', false],
    ['micro_batch_size 1', false],
    ['8-bit optimizer', false],
    ['cut cross-entropy', false],
    ['QLoRA', false],
    ['ZeRO-3 with CPU offload', false],
  ]);
  const both = s[0]!;
  assert.equal(both.perGpu, ok(estimateConfig({ ...full, ...both.patch })).perGpu);
  assert.match(formatFitWarning(e, 24 * GIB, s), /^Estimated \d+ GiB per GPU exceeds 24 GiB\. Would fit: gradient checkpointing \+ QLoRA \(≈ [\d.]+ GiB\)\.$/);
  // With checkpointing and one sequence of 2,048 tokens, QLoRA or ZeRO-3 offload fit on their own.
  const lighter = ok(estimateConfig({ ...full, micro_batch_size: 1, gradient_checkpointing: true, sequence_len: 2048 }));
  assert.deepEqual(fitSuggestions(lighter, 24 * GIB).map((x) => [x.label, x.fits]), [['QLoRA', true], ['ZeRO-3 with CPU offload', true], ['8-bit optimizer', false]]);
  // Two GPUs: plain ZeRO-3 is offered instead of offloading.
  const two = ok(estimateConfig({ ...full, micro_batch_size: 1, gradient_checkpointing: true, sequence_len: 2048 }, { gpus: 8 }));
  assert.deepEqual(fitSuggestions(two, 24 * GIB).map((x) => [x.label, x.fits]), [['ZeRO-3', true], ['QLoRA', true], ['8-bit optimizer', false]]);
  assert.deepEqual(fitSuggestions(ok(estimateConfig(qlora7b)), 24 * GIB), []);
  assert.match(formatBreakdown(e), /\nExceeds the 24 GiB gpu_memory_limit by [\d.]+ GiB\.\n/);
});

test('sharding from the deepspeed key (file name or JSON) and fsdp_config, split over --gpus', () => {
  const base = { base_model: 'meta-llama/Llama-2-7b-hf', sequence_len: 2048, bf16: true };
  const z3 = ok(estimateConfig({ ...base, deepspeed: 'deepspeed_configs/zero3_bf16.json' }, { gpus: 8 }));
  assert.deepEqual(z3.setup.sharding, { kind: 'zero', stage: 3, offloadOptimizer: false, offloadParams: false });
  assert.ok(z3.notes.includes("DeepSpeed stage read from the file name 'deepspeed_configs/zero3_bf16.json'"));
  const dir = mkdtempSync(join(tmpdir(), 'tunelab-ds-'));
  writeFileSync(join(dir, 'ds.json'), JSON.stringify({ zero_optimization: { stage: 2, offload_optimizer: { device: 'cpu' } } }));
  const z2 = ok(estimateConfig({ ...base, deepspeed: 'ds.json' }, { gpus: 8, configDir: dir, readTextFile }));
  assert.deepEqual(z2.setup.sharding, { kind: 'zero', stage: 2, offloadOptimizer: true, offloadParams: false });
  assert.deepEqual([z2.memory.optimizer, z2.memory.gradients], [0, 0]);
  const fsdp = ok(estimateConfig({ ...base, fsdp_config: { fsdp_version: 2, offload_params: false, reshard_after_forward: true } }, { gpus: 4 }));
  assert.deepEqual(fsdp.setup.sharding, { kind: 'fsdp', fullShard: true, offloadParams: false });
  const one = ok(estimateConfig(base));
  assert.ok(Math.abs(fsdp.memory.weights - one.memory.weights / 4) <= 1);
  assert.deepEqual(estimateConfig({ ...base, deepspeed: 'my_ds.json' }), { unknown: "cannot tell the ZeRO stage of deepspeed config 'my_ds.json' (file not found and its name says no stage)", key: 'deepspeed' });
});

const corpus = axolotlExamples;
const skipCorpus = missingCorpus(corpus);

test('every real Axolotl example estimates to finite numbers or says why not', { skip: skipCorpus }, () => {
  const files = filesUnder(corpus, YAML_FILE);
  let estimated = 0;
  for (const f of files) {
    let cfg: unknown;
    try {
      cfg = parse(readFileSync(f, 'utf8'));
    } catch {
      continue;
    }
    const e = estimateConfig(cfg, { configDir: join(f, '..'), readTextFile });
    const name = relative(corpus, f);
    if ('unknown' in e) {
      assert.ok(e.unknown.length > 20 && !/NaN|undefined/.test(e.unknown), `${name}: ${e.unknown}`);
      continue;
    }
    estimated++;
    for (const [k, v] of Object.entries(e.memory)) assert.ok(Number.isFinite(v) && v >= 0 && Number.isInteger(v), `${name}: memory.${k} = ${v}`);
    assert.ok(e.params.trainable > 0 && e.params.trainable <= e.params.total, `${name}: ${JSON.stringify(e.params)}`);
    assert.ok(e.perGpu > 2 ** 30, `${name}: ${e.perGpu}`);
  }
  // The built-in table covers the corpus's common base models (Llama 2/3, Mistral, Qwen2.5, TinyLlama, SmolLM2, Phi-3...).
  assert.ok(estimated >= 50, `only ${estimated} of ${files.length} estimated`);
});

test('config keys to methods: lora_target_linear, modules_to_save, 8-bit LoRA, llama-adapter, prefix, prompt, IA3, bottleneck', () => {
  const base = { base_model: 'meta-llama/Llama-2-7b-hf', sequence_len: 1024 };
  const linear = ok(estimateConfig({ ...base, adapter: 'lora', lora_r: 16, lora_target_linear: true }));
  assert.equal(linear.params.trainable, 39_976_960);
  assert.equal(linear.methodLabel, 'lora');
  // lm_head named next to lora_target_linear is added; modules_to_save trains a full copy.
  const withHead = ok(estimateConfig({ ...base, adapter: 'lora', lora_r: 16, lora_target_linear: true, lora_target_modules: ['lm_head'] }));
  assert.equal(withHead.params.trainable, 39_976_960 + 16 * (4096 + 32000));
  const saved = ok(estimateConfig({ ...base, adapter: 'lora', lora_r: 8, lora_target_modules: ['q_proj', 'v_proj'], lora_modules_to_save: ['embed_tokens'] }));
  assert.equal(saved.params.trainable, 4_194_304 + 32000 * 4096);
  const int8 = ok(estimateConfig({ ...base, adapter: 'lora', load_in_8bit: true, lora_r: 8, lora_target_modules: ['q_proj', 'v_proj'] }));
  assert.equal(int8.methodLabel, 'lora-8bit');
  assert.equal(int8.setup.quantization, 'int8');
  assert.equal(ok(estimateConfig({ ...base, adapter: 'llama-adapter', peft_adapter: { len: 10, layers: 30 } })).params.trainable, 30 * (10 * 4096 + 1));
  assert.equal(ok(estimateConfig({ ...base, adapter: 'prefix', peft_num_virtual_tokens: 20 })).params.trainable, 5_242_880);
  assert.equal(ok(estimateConfig({ ...base, adapter: 'prompt_tuning', peft_num_virtual_tokens: 20 })).params.trainable, 81_920);
  assert.equal(ok(estimateConfig({ ...base, adapter: 'ia3' })).params.trainable, 614_400);
  assert.equal(ok(estimateConfig({ ...base, adapter: 'bottleneck', peft_adapter_size: 64 })).params.trainable, 33_820_672);
  // No targets: PEFT's defaults for the architecture, said in a note.
  const defaults = ok(estimateConfig({ ...base, adapter: 'lora', lora_r: 8 }));
  assert.equal(defaults.params.trainable, 4_194_304);
  assert.ok(defaults.notes.includes("no LoRA targets set: PEFT's defaults for this architecture"));
  // A regex string is matched against full module names, as PEFT does.
  assert.equal(ok(estimateConfig({ ...base, adapter: 'lora', lora_r: 8, lora_target_modules: String.raw`.*\.(q|v)_proj` })).params.trainable, 4_194_304);
});

test('YAML 1.1 integers with underscores (as Axolotl reads them) and precision keys', () => {
  const e = ok(estimateConfig({ base_model: 'meta-llama/Llama-3.2-1B', sequence_len: '131_072', micro_batch_size: 1, gradient_checkpointing: true, bf16: true, adapter: 'lora', lora_r: 8 }));
  assert.equal(e.setup.seqLen, 131_072);
  assert.equal(ok(estimateConfig({ base_model: 'gpt2', bf16: false })).setup.precision, 'fp32');
  assert.equal(ok(estimateConfig({ base_model: 'gpt2', bf16: false })).setup.fullWeights, 'fp32');
  const fp16 = ok(estimateConfig({ base_model: 'gpt2', fp16: true }));
  assert.deepEqual([fp16.setup.precision, fp16.setup.fullWeights], ['fp16', 'fp32']);
  assert.ok(fp16.notes.includes('fp16 full fine-tuning: mixed precision needs fp32 weights (fp16 activations)'));
  assert.equal(ok(estimateConfig({ base_model: 'gpt2', bf16: true, deepspeed: 'deepspeed_configs/zero2.json' })).setup.fullWeights, '16bit+master');
  assert.equal(ok(estimateConfig({ base_model: 'gpt2', bf16: 'auto' })).setup.fullWeights, '16bit');
  assert.ok(ok(estimateConfig({ base_model: 'gpt2', load_in_4bit: true })).notes.includes('load_in_4bit without an adapter: Axolotl refuses it; estimated as full fine-tuning'));
  assert.deepEqual(estimateConfig({ base_model: 'gpt2', sequence_len: 'long' }), { unknown: 'sequence_len is "long", expected a positive integer', key: 'sequence_len' });
});

test('on every estimable corpus config: more tokens cost more, checkpointing and sharding cost less', { skip: skipCorpus }, () => {
  const files = filesUnder(corpus, YAML_FILE);
  let checked = 0;
  for (const f of files) {
    let cfg: Record<string, unknown>;
    try {
      cfg = parse(readFileSync(f, 'utf8')) as Record<string, unknown>;
    } catch {
      continue;
    }
    const e = estimateConfig(cfg);
    if ('unknown' in e) continue;
    checked++;
    const name = relative(corpus, f);
    const mb = Number(e.setup.microBatch);
    const bigger = ok(estimateConfig({ ...cfg, micro_batch_size: mb * 2 }));
    assert.ok(bigger.memory.activations > e.memory.activations && bigger.perGpu > e.perGpu, `${name}: doubling the micro-batch`);
    const longer = ok(estimateConfig({ ...cfg, sequence_len: e.setup.seqLen * 2 }));
    assert.ok(longer.perGpu > e.perGpu, `${name}: doubling sequence_len`);
    if (!e.setup.gradientCheckpointing) {
      const gc = ok(estimateConfig({ ...cfg, gradient_checkpointing: true }));
      assert.ok(gc.memory.activations < e.memory.activations, `${name}: checkpointing`);
    } else if (e.setup.activationOffloading) {
      // `gradient_checkpointing: offload` keeps the layer inputs on the CPU: plain checkpointing costs more.
      assert.ok(ok(estimateConfig({ ...cfg, gradient_checkpointing: true, activation_offloading: false })).memory.activations > e.memory.activations, `${name}: offload`);
    }
    const z3 = ok(estimateConfig({ ...cfg, deepspeed: 'deepspeed_configs/zero3_bf16.json', fsdp: null, fsdp_config: null }, { gpus: 8 }));
    const z3one = ok(estimateConfig({ ...cfg, deepspeed: 'deepspeed_configs/zero3_bf16.json', fsdp: null, fsdp_config: null }, { gpus: 1 }));
    assert.ok(z3.memory.weights + z3.memory.gradients + z3.memory.optimizer < z3one.memory.weights + z3one.memory.gradients + z3one.memory.optimizer, `${name}: ZeRO-3 over 8 GPUs`);
  }
  assert.ok(checked >= 50, `only ${checked} checked`);
});

test('the Hugging Face cache folder follows huggingface_hub', () => {
  assert.equal(hfHubCacheDir({ HF_HUB_CACHE: '/c/hub', HF_HOME: '/h' }, '/home/u'), '/c/hub');
  assert.equal(hfHubCacheDir({ HF_HOME: '/h' }, '/home/u'), join('/h', 'hub'));
  assert.equal(hfHubCacheDir({ XDG_CACHE_HOME: '/x' }, '/home/u'), join('/x', 'huggingface', 'hub'));
  assert.equal(hfHubCacheDir({}, '/home/u'), join('/home/u', '.cache', 'huggingface', 'hub'));
});
