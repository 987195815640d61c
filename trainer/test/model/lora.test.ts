import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { selectBackend, tf } from '../../backend/index';
import { attachAdapter, loadModel, mergeAdapter, readAdapter, readHeader, readModelConfig, readModelWeights, saveAdapter } from '../../io/index';
import { applyLora, buildModel, loraLayers, loraScaling, shiftTargets } from '../../model/index';
import { fixtures, ids, input, logits, maxDiff } from '../helpers';

const llama = join(fixtures, 'llama-tiny');
const temp = mkdtempSync(join(tmpdir(), 'tunelab-lora-'));

before(async () => {
  await selectBackend('wasm');
});
after(() => rmSync(temp, { recursive: true, force: true }));

describe('LoRA', () => {
  it('at initialisation the adapted model equals the base model exactly', () => {
    const model = loadModel(llama);
    const base = logits(model);
    const wrapped = applyLora(model, { r: 4, alpha: 8, dropout: 0.05, targetLinear: true, seed: 3 });
    assert.equal(wrapped.length, 14); // 7 linears x 2 layers; the tied head is not a linear
    assert.equal(maxDiff(logits(model), base), 0);
    model.dispose();
  });

  it('initialises A like PEFT (|A| <= 1/sqrt(in)) and B with zeros', () => {
    const model = loadModel(llama);
    applyLora(model, { r: 4, alpha: 8, dropout: 0, targetModules: ['down_proj'] });
    const layer = loraLayers(model).get('model.layers.0.mlp.down_proj')!;
    const a = layer.loraA.dataSync();
    const bound = 1 / Math.sqrt(64); // down_proj: in = intermediate_size = 64
    assert.ok(a.every((v) => Math.abs(v) <= bound));
    assert.ok(Math.max(...a.map(Math.abs)) > 0.9 * bound);
    assert.ok(layer.loraB.dataSync().every((v) => v === 0));
    model.dispose();
  });

  it('targets modules by name and reports the names when nothing matches', () => {
    const model = loadModel(llama);
    assert.deepEqual(applyLora(model, { r: 2, alpha: 2, dropout: 0, targetModules: ['q_proj', 'self_attn.v_proj'] }), [
      'model.layers.0.self_attn.q_proj',
      'model.layers.0.self_attn.v_proj',
      'model.layers.1.self_attn.q_proj',
      'model.layers.1.self_attn.v_proj',
    ]);
    model.dispose();
    const other = loadModel(llama);
    assert.throws(() => applyLora(other, { r: 2, alpha: 2, dropout: 0, targetModules: ['c_attn'] }), {
      message: 'no linear layer matches the LoRA targets ["c_attn"]; this model\'s linears are: q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj',
    });
    other.dispose();
  });

  it('freezes the base: only A and B are trainable and get gradients', () => {
    const model = loadModel(llama);
    applyLora(model, { r: 4, alpha: 8, dropout: 0, targetModules: ['q_proj', 'v_proj'] });
    const trainable = model.parameters().filter((p) => p.variable.trainable).map((p) => p.name);
    assert.deepEqual(trainable, [
      'model.layers.0.self_attn.q_proj.lora_A.weight', 'model.layers.0.self_attn.q_proj.lora_B.weight',
      'model.layers.0.self_attn.v_proj.lora_A.weight', 'model.layers.0.self_attn.v_proj.lora_B.weight',
      'model.layers.1.self_attn.q_proj.lora_A.weight', 'model.layers.1.self_attn.q_proj.lora_B.weight',
      'model.layers.1.self_attn.v_proj.lora_A.weight', 'model.layers.1.self_attn.v_proj.lora_B.weight',
    ]);
    // Base: embed 64·32 + 2 layers × (norms 64 + q 1024 + k 512 + v 512 + o 1024 + MLP 3·2048) + norm 32
    // = 20,640; LoRA per layer: q (4·32 + 32·4) + v (4·32 + 16·4) = 448.
    assert.deepEqual(model.parameterCounts(), { total: 20640 + 896, trainable: 896 });
    const { grads } = tf.variableGrads(() => model.loss(input, shiftTargets(ids, undefined, 2, 6)).loss, model.trainableVariables());
    assert.equal(Object.keys(grads).length, 8);
    // With B = 0 the gradient reaches B only; A's gradient is exactly zero at step 0.
    const q = loraLayers(model).get('model.layers.0.self_attn.q_proj')!;
    assert.ok(grads[q.loraA.name].dataSync().every((v) => v === 0));
    assert.ok(grads[q.loraB.name].dataSync().some((v) => v !== 0));
    model.dispose();
  });

  it('scales by alpha/r, or alpha/sqrt(r) with rsLoRA', () => {
    assert.equal(loraScaling(8, 16), 2);
    assert.equal(loraScaling(16, 8, true), 2);
  });

  it('applies dropout only in training mode', () => {
    const model = loadModel(llama);
    applyLora(model, { r: 4, alpha: 8, dropout: 0.5, targetModules: ['q_proj'] });
    for (const l of loraLayers(model).values()) l.loraB.assign(tf.randomNormal(l.loraB.shape, 0, 0.5, 'float32', 9));
    const evalA = logits(model);
    assert.equal(maxDiff(logits(model), evalA), 0);
    assert.ok(maxDiff(logits(model, { training: true, seed: 1 }), evalA) > 1e-3);
    assert.equal(maxDiff(logits(model, { training: true, seed: 1 }), logits(model, { training: true, seed: 1 })), 0);
    model.dispose();
  });

  it('saves in PEFT format and loads back to the same logits; merging gives them too', () => {
    const model = loadModel(llama);
    applyLora(model, { r: 4, alpha: 16, dropout: 0.1, targetModules: ['q_proj', 'k_proj', 'up_proj'] });
    for (const l of loraLayers(model).values()) l.loraB.assign(tf.randomNormal(l.loraB.shape, 0, 0.3, 'float32', 5));
    const want = logits(model);
    const dir = join(temp, 'adapter');
    assert.deepEqual(saveAdapter(model, dir, { baseModel: 'llama-tiny' }), ['adapter_config.json', 'adapter_model.safetensors']);
    assert.deepEqual(readdirSync(dir).sort(), ['adapter_config.json', 'adapter_model.safetensors']);
    const config = JSON.parse(readFileSync(join(dir, 'adapter_config.json'), 'utf8'));
    assert.deepEqual(
      { peft_type: config.peft_type, task_type: config.task_type, r: config.r, lora_alpha: config.lora_alpha, lora_dropout: config.lora_dropout, target_modules: config.target_modules, use_rslora: config.use_rslora, fan_in_fan_out: config.fan_in_fan_out, base: config.base_model_name_or_path },
      { peft_type: 'LORA', task_type: 'CAUSAL_LM', r: 4, lora_alpha: 16, lora_dropout: 0.1, target_modules: ['k_proj', 'q_proj', 'up_proj'], use_rslora: false, fan_in_fan_out: false, base: 'llama-tiny' },
    );
    const header = readHeader(join(dir, 'adapter_model.safetensors'));
    assert.deepEqual(header.metadata, { format: 'pt' });
    assert.deepEqual(header.tensors.get('base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight')?.shape, [4, 32]);
    assert.deepEqual(header.tensors.get('base_model.model.model.layers.0.self_attn.k_proj.lora_B.weight')?.shape, [16, 4]);
    assert.deepEqual(header.tensors.get('base_model.model.model.layers.1.mlp.up_proj.lora_B.weight')?.shape, [64, 4]);
    assert.equal(header.tensors.size, 12);
    model.dispose();

    const fresh = loadModel(llama);
    attachAdapter(fresh, readAdapter(dir));
    assert.ok(maxDiff(logits(fresh), want) < 1e-5);
    fresh.dispose();

    const cfg = readModelConfig(llama);
    const merged = buildModel(cfg, mergeAdapter(cfg, readModelWeights(llama), readAdapter(dir)));
    assert.ok(maxDiff(logits(merged), want) < 1e-4);
    merged.dispose();
  });
});
