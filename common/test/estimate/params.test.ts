import { test } from 'node:test';
import assert from 'node:assert/strict';
import { baseParams, lookupBuiltinModel, shapeFromConfig, trainableParams, type ModelShape } from '../../estimate/index';

const shape = (id: string): ModelShape => {
  const found = lookupBuiltinModel(id);
  assert.ok(found, `${id} is in the built-in table`);
  const s = shapeFromConfig(found.config);
  assert.ok(!('unknown' in s), JSON.stringify(s));
  return s;
};
const trainable = (s: ModelShape, m: Parameters<typeof trainableParams>[1]) => {
  const t = trainableParams(s, m);
  assert.ok(!('unknown' in t), JSON.stringify(t));
  return t;
};

test('Llama-2-7B has 6,738,415,616 parameters', () => {
  assert.equal(baseParams(shape('meta-llama/Llama-2-7b-hf')).total, 6_738_415_616);
});

test('LoRA r=8 on q_proj, v_proj of Llama-2-7B: 4,194,304 trainable of 6,742,609,920 (PEFT printout)', () => {
  const t = trainable(shape('NousResearch/Llama-2-7b-hf'), { kind: 'lora', r: 8, targets: ['q_proj', 'v_proj'] });
  assert.deepEqual([t.trainable, t.total, t.added], [4_194_304, 6_742_609_920, 4_194_304]);
  assert.deepEqual(t.targetedModules.map((m) => m.name), ['self_attn.q_proj', 'self_attn.v_proj']);
});

test('Qwen2.5-3B has 3,085,938,688 parameters (q/k/v biases, GQA, tied embeddings)', () => {
  const s = shape('Qwen/Qwen2.5-3B');
  assert.equal(baseParams(s).total, 3_085_938_688);
  // PEFT README: r=16 on the default targets -> 3,686,400 trainable of 3,089,625,088.
  const t = trainable(s, { kind: 'lora', r: 16, targets: ['q_proj', 'v_proj'] });
  assert.deepEqual([t.trainable, t.total], [3_686_400, 3_089_625_088]);
});

test('the reference table: totals and LoRA counts for every built-in llama-like model', () => {
  const expected: [string, number, number, number][] = [
    // id, total, r=8 on q,v, r=16 on all linear layers
    ['meta-llama/Meta-Llama-3-8B', 8_030_261_248, 3_407_872, 41_943_040],
    ['meta-llama/Llama-3.2-1B', 1_235_814_400, 851_968, 11_272_192],
    ['meta-llama/Llama-3.2-3B', 3_212_749_824, 2_293_760, 24_313_856],
    ['mistralai/Mistral-7B-v0.1', 7_241_732_096, 3_407_872, 41_943_040],
    ['Qwen/Qwen2.5-0.5B', 494_032_768, 540_672, 8_798_208],
    ['Qwen/Qwen2.5-1.5B', 1_543_714_304, 1_089_536, 18_464_768],
    ['Qwen/Qwen2.5-7B', 7_615_616_512, 2_523_136, 40_370_176],
    ['google/gemma-2-2b', 2_614_341_888, 1_597_440, 20_766_720],
    ['HuggingFaceTB/SmolLM2-135M', 134_515_008, 460_800, 4_884_480],
    ['HuggingFaceTB/SmolLM2-360M', 361_821_120, 819_200, 8_683_520],
    ['HuggingFaceTB/SmolLM2-1.7B', 1_711_376_384, 1_572_864, 18_087_936],
    ['TinyLlama/TinyLlama_v1.1', 1_100_048_384, 1_126_400, 12_615_680],
  ];
  for (const [id, total, qv, all] of expected) {
    const s = shape(id);
    assert.equal(baseParams(s).total, total, id);
    assert.equal(trainable(s, { kind: 'lora', r: 8, targets: ['q_proj', 'v_proj'] }).trainable, qv, id);
    assert.equal(trainable(s, { kind: 'lora', r: 16, targets: 'all-linear' }).trainable, all, id);
  }
});

test('Phi-3 (fused qkv_proj / gate_up_proj) and GPT-2 (Conv1D, learned positions, tied head)', () => {
  assert.equal(baseParams(shape('microsoft/Phi-3-mini-4k-instruct')).total, 3_821_079_552);
  const gpt2 = shape('gpt2');
  assert.equal(baseParams(gpt2).total, 124_439_808);
  assert.equal(trainable(gpt2, { kind: 'lora', r: 8, targets: ['c_attn'] }).trainable, 12 * 8 * (768 + 3 * 768));
  // "c_proj" matches both attn.c_proj and mlp.c_proj, as PEFT's suffix match does; "mlp.c_proj" only one.
  assert.equal(trainable(gpt2, { kind: 'lora', r: 4, targets: ['c_proj'] }).trainable, 12 * 4 * ((768 + 768) + (3072 + 768)));
  assert.equal(trainable(gpt2, { kind: 'lora', r: 4, targets: ['mlp.c_proj'] }).trainable, 12 * 4 * (3072 + 768));
});

test('PEFT methods on Llama-2-7B: prefix, prompt, IA3, bottleneck, llama-adapter, DoRA, modules_to_save', () => {
  const s = shape('meta-llama/Llama-2-7b-hf');
  assert.equal(trainable(s, { kind: 'prefix', virtualTokens: 20 }).trainable, 5_242_880);
  assert.equal(trainable(s, { kind: 'prefix', virtualTokens: 20, projection: true }).trainable, 20 * 4096 + (4096 * 4096 + 4096) + (4096 * 2 * 32 * 4096 + 2 * 32 * 4096));
  assert.equal(trainable(s, { kind: 'prompt', virtualTokens: 20 }).trainable, 81_920);
  assert.equal(trainable(s, { kind: 'ia3' }).trainable, 614_400);
  assert.equal(trainable(s, { kind: 'bottleneck', size: 64 }).trainable, 33_820_672);
  assert.equal(trainable(s, { kind: 'llama-adapter', length: 10, layers: 30 }).trainable, 30 * (10 * 4096 + 1));
  assert.equal(trainable(s, { kind: 'lora', r: 8, targets: ['q_proj', 'v_proj'], dora: true }).trainable, 4_194_304 + 32 * 2 * 4096);
  const saved = trainable(s, { kind: 'lora', r: 8, targets: ['q_proj', 'v_proj'], modulesToSave: ['embed_tokens', 'lm_head'] });
  assert.deepEqual([saved.trainable, saved.total], [4_194_304 + 2 * 32000 * 4096, 6_738_415_616 + 4_194_304 + 2 * 32000 * 4096]);
  // Llama-3-8B prefix tuning uses the key/value width (GQA): 20 x 32 x 2 x 1024.
  assert.equal(trainable(shape('meta-llama/Meta-Llama-3-8B'), { kind: 'prefix', virtualTokens: 20 }).trainable, 1_310_720);
  assert.equal(trainable(shape('meta-llama/Meta-Llama-3-8B'), { kind: 'ia3' }).trainable, 524_288);
});

test('LoRA layer selection, regex targets, rank patterns', () => {
  const s = shape('meta-llama/Llama-2-7b-hf');
  assert.equal(trainable(s, { kind: 'lora', r: 8, targets: ['q_proj'], layers: [0, 1] }).trainable, 2 * 8 * 8192);
  assert.equal(trainable(s, { kind: 'lora', r: 8, targets: { regex: String.raw`.*\.(q|v)_proj` } }).trainable, 4_194_304);
  assert.equal(trainable(s, { kind: 'lora', r: 8, targets: ['q_proj', 'v_proj'], rankPattern: { v_proj: 16 } }).trainable, 32 * (8 * 8192 + 16 * 8192));
});

test('targets that match nothing, a bad regex and out-of-range layers are reported, not counted as zero', () => {
  const s = shape('gpt2');
  assert.deepEqual(trainableParams(s, { kind: 'lora', r: 8, targets: ['q_proj', 'v_proj'] }), {
    unknown: 'LoRA targets (q_proj, v_proj) match no module of this gpt2 model (its modules: c_attn, c_proj, c_fc, c_proj)',
  });
  const bad = trainableParams(s, { kind: 'lora', r: 8, targets: { regex: '(' } });
  assert.ok('unknown' in bad && bad.unknown.startsWith('LoRA target pattern "(" is not a valid regular expression'), JSON.stringify(bad));
  assert.deepEqual(trainableParams(s, { kind: 'lora', r: 8, targets: ['c_attn'], layers: [12] }), { unknown: 'peft_layers_to_transform names layer 12, but the model has layers 0 to 11' });
});

test('config.json shapes: unknown architectures and missing or bad dimensions say what is wrong', () => {
  assert.deepEqual(shapeFromConfig({ model_type: 'mamba', hidden_size: 768 }), {
    unknown: "architecture 'mamba' is not supported by the estimator (supported: llama, mistral, qwen2, qwen3, gemma, gemma2, gemma3_text, phi3, gpt2, mixtral)",
  });
  assert.deepEqual(shapeFromConfig({ architectures: ['FooForCausalLM'] }), { unknown: 'config.json has no model_type (architectures: FooForCausalLM)' });
  assert.deepEqual(shapeFromConfig({ model_type: 'llama', hidden_size: 4096, num_hidden_layers: 32, num_attention_heads: 32, vocab_size: 32000 }), {
    unknown: 'config.json has no intermediate size (intermediate_size)',
  });
  assert.deepEqual(shapeFromConfig({ model_type: 'llama', hidden_size: -4096, num_hidden_layers: 32, num_attention_heads: 32, vocab_size: 32000, intermediate_size: 11008 }), {
    unknown: 'config.json hidden_size is -4096, expected a positive integer',
  });
  assert.deepEqual(shapeFromConfig({ model_type: 'llama', hidden_size: 4096, num_hidden_layers: 32, num_attention_heads: 32, num_key_value_heads: 5, vocab_size: 32000, intermediate_size: 11008 }), {
    unknown: '32 attention heads are not a multiple of 5 key/value heads',
  });
  // A corrupt file is reported, not estimated for ever.
  assert.deepEqual(shapeFromConfig({ model_type: 'llama', hidden_size: 64, num_hidden_layers: 1e9, num_attention_heads: 4, vocab_size: 100, intermediate_size: 128 }), {
    unknown: 'config.json num_hidden_layers is 1000000000, beyond any real model (at most 10,000)',
  });
  assert.deepEqual(shapeFromConfig({ model_type: 'llama', hidden_size: 64, num_hidden_layers: 2, num_attention_heads: 4, vocab_size: 1e12, intermediate_size: 128 }), {
    unknown: 'config.json vocab_size is 1000000000000, beyond any real model (at most 100,000,000)',
  });
});

test('Gemma ties embeddings by default; Qwen3 and Mixtral shapes', () => {
  const gemma = shapeFromConfig({ model_type: 'gemma', hidden_size: 2048, intermediate_size: 16384, num_hidden_layers: 18, num_attention_heads: 8, num_key_value_heads: 1, head_dim: 256, vocab_size: 256000 });
  assert.ok(!('unknown' in gemma));
  // Gemma-2B: 2,506,172,416 parameters.
  assert.equal(baseParams(gemma).total, 2_506_172_416);
  assert.equal(baseParams(shape('Qwen/Qwen3-8B')).total, 8_190_735_360);
  assert.equal(baseParams(shape('mistralai/Mixtral-8x7B-v0.1')).total, 46_702_792_704);
});

test('every built-in model adds up to its advertised size (within 1.5 %)', () => {
  const advertised: [string, number][] = [
    ['meta-llama/Llama-2-13b-hf', 13.0e9],
    ['meta-llama/Llama-2-70b-hf', 69.0e9],
    ['huggyllama/llama-65b', 65.2e9],
    ['codellama/CodeLlama-34b-hf', 33.7e9],
    ['meta-llama/Llama-3.1-70B', 70.6e9],
    ['mistralai/Mixtral-8x7B-v0.1', 46.7e9],
    ['mistral-community/Mixtral-8x22B-v0.1', 141e9],
    ['mistralai/Mistral-Nemo-Base-2407', 12.2e9],
    ['mistralai/Magistral-Small-2506', 23.6e9],
    ['Qwen/Qwen2.5-14B', 14.7e9],
    ['Qwen/Qwen2.5-72B', 72.7e9],
    ['Qwen/Qwen3-0.6B', 0.6e9],
    ['Qwen/Qwen3-4B', 4.0e9],
    ['Qwen/Qwen3-8B', 8.2e9],
    ['Qwen/Qwen3-32B', 32.8e9],
    ['google/gemma-3-1b-it', 1.0e9],
    ['google/gemma-2-9b', 9.24e9],
    ['google/gemma-2-27b', 27.2e9],
    ['microsoft/Phi-3-medium-4k-instruct', 14.0e9],
    ['openlm-research/open_llama_3b_v2', 3.43e9],
  ];
  for (const [id, size] of advertised) {
    const total = baseParams(shape(id)).total;
    assert.ok(Math.abs(total / size - 1) < 0.015, `${id}: ${total} vs ${size}`);
  }
});

test('hub ids resolve through mirrors and chat/instruct variants; unknown ids do not', () => {
  assert.equal(lookupBuiltinModel('someone/Llama-2-7b-chat-hf')?.id, 'meta-llama/Llama-2-7b-hf');
  assert.equal(lookupBuiltinModel('QWEN/qwen2.5-7b-instruct')?.id, 'Qwen/Qwen2.5-7B');
  assert.equal(lookupBuiltinModel('acme/Qwen2.5-7B-Instruct-AWQ'), undefined);
  assert.equal(lookupBuiltinModel('tiiuae/falcon-7b'), undefined);
});
