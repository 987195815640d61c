/**
 * QLoRA / 8-bit LoRA settings, IA3 and DoRA end to end through the method registry: the
 * initialised adapter is the base model, a trained one saves in PEFT's layout, loads back to the
 * same logits, merges into the same logits, and its trainable-parameter count is the estimator's.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { estimateConfig } from '../../../common/estimate/index';
import { selectBackend, tf } from '../../backend/index';
import { loadModel, readHeader, readModelConfig, readModelWeights } from '../../io/index';
import { buildModel, loraLayers, shiftTargets, type CausalLM } from '../../model/index';
import { applyMethod, loadAdapter, loadAdapterInto, mergeAdapterDir, readMethodSettings, type AppliedMethod, type MethodChoice } from '../../peft/index';
import { mergeIa3 } from '../../peft/ia3';
import { applyQuantization, readQuantSettings } from '../../peft/quantized';
import { mergeAdapter, readAdapter } from '../../io/adapter';
import { fixtures, ids, input, logits, maxDiff } from '../helpers';

const temp = mkdtempSync(join(tmpdir(), 'tunelab-peft-q-'));

before(async () => {
  await selectBackend('wasm');
});
after(() => rmSync(temp, { recursive: true, force: true }));

/** The method a config selects, refusing nothing. */
function choose(cfg: Record<string, unknown>): MethodChoice {
  const problems: string[] = [];
  const choice = readMethodSettings(cfg, (code, key) => problems.push(`${code} ${key}`));
  assert.deepEqual(problems, []);
  return choice;
}

/** A model from a fixture, quantised and adapted as `cfg` says (the trainer's order). */
function prepare(dir: string, cfg: Record<string, unknown>): { model: CausalLM; applied: AppliedMethod } {
  const model = loadModel(join(fixtures, dir));
  const choice = choose(cfg);
  applyQuantization(model, readQuantSettings(cfg, choice.method, () => assert.fail('refused')));
  const applied = applyMethod(model, choice, { seed: 7 });
  return { model, applied };
}

/** The estimator's trainable count for `cfg` with the fixture as base_model. */
function estimatedTrainable(dir: string, cfg: Record<string, unknown>): number {
  const e = estimateConfig({ ...cfg, base_model: join(fixtures, dir) }, { readTextFile: (p) => readFileSync(p, 'utf8') });
  if ('unknown' in e) assert.fail(e.unknown);
  return e.params.trainable;
}

describe('quantisation settings', () => {
  const refusals = (cfg: Record<string, unknown>) => {
    const out: string[] = [];
    const choice = readMethodSettings(cfg, (code, key) => out.push(`${code} @ ${key}`));
    const q = readQuantSettings(cfg, choice.method, (code, key) => out.push(`${code} @ ${key}`));
    return { q, out };
  };
  it('QLoRA is NF4 with double quantisation; bnb_config_kwargs chooses FP4 or turns double quantisation off', () => {
    assert.deepEqual(refusals({ adapter: 'qlora', load_in_4bit: true }), { q: { bits: 4, quantType: 'nf4', doubleQuant: true }, out: [] });
    assert.deepEqual(refusals({ adapter: 'qlora', load_in_4bit: true, bnb_config_kwargs: { bnb_4bit_quant_type: 'fp4', bnb_4bit_use_double_quant: false } }), { q: { bits: 4, quantType: 'fp4', doubleQuant: false }, out: [] });
    assert.deepEqual(refusals({ adapter: 'lora', load_in_8bit: true }), { q: { bits: 8 }, out: [] });
    assert.deepEqual(refusals({ adapter: 'ia3', load_in_8bit: true }), { q: { bits: 8 }, out: [] });
    assert.deepEqual(refusals({ adapter: 'lora' }), { q: null, out: [] });
  });
  it('refuses full fine-tuning of a quantised model, QLoRA without 4 bits, both widths, unknown types', () => {
    assert.deepEqual(refusals({ load_in_4bit: true }).out, ['trainer-quantized-full-finetune @ load_in_4bit']);
    assert.deepEqual(refusals({ load_in_8bit: true }).out, ['trainer-quantized-full-finetune @ load_in_8bit']);
    assert.deepEqual(refusals({ adapter: 'qlora' }).out, ['trainer-invalid-setting @ adapter']);
    assert.deepEqual(refusals({ adapter: 'lora', load_in_4bit: true, load_in_8bit: true }).out, ['trainer-invalid-setting @ load_in_8bit']);
    assert.deepEqual(refusals({ adapter: 'qlora', load_in_4bit: true, bnb_config_kwargs: { bnb_4bit_quant_type: 'int4' } }).out, ['trainer-invalid-setting @ bnb_config_kwargs']);
    assert.deepEqual(refusals({ adapter: 'lora', gptq: true }).out, ['trainer-unsupported-quantization @ gptq']);
  });
});

describe('trainable parameters equal the estimator\'s', () => {
  const cases: [string, Record<string, unknown>][] = [
    ['llama-tiny', { adapter: 'qlora', load_in_4bit: true, lora_r: 4, lora_target_linear: true }],
    ['llama-tiny', { adapter: 'lora', load_in_8bit: true, lora_r: 2, lora_target_modules: ['q_proj', 'v_proj'] }],
    ['llama-tiny', { adapter: 'lora', lora_r: 4, lora_target_modules: ['q_proj', 'k_proj', 'down_proj'], peft_use_dora: true }],
    ['llama-tiny', { adapter: 'qlora', load_in_4bit: true, lora_r: 2, lora_target_linear: true, peft_use_dora: true }],
    ['llama-tiny', { adapter: 'ia3' }],
    ['llama-tiny', { adapter: 'ia3', load_in_4bit: true }],
    ['qwen2-tiny', { adapter: 'ia3' }],
    ['mistral-tiny', { adapter: 'ia3' }],
    ['gpt2-tiny', { adapter: 'ia3' }],
    ['gpt2-tiny', { adapter: 'lora', lora_r: 2, lora_target_modules: ['c_attn', 'c_fc'], peft_use_dora: true }],
  ];
  for (const [dir, cfg] of cases) {
    it(`${dir} ${JSON.stringify(cfg)}`, () => {
      const { model } = prepare(dir, cfg);
      const counts = model.parameterCounts();
      assert.equal(counts.trainable, estimatedTrainable(dir, cfg));
      assert.ok(counts.trainable > 0);
      model.dispose();
    });
  }
});

/** Training-like perturbation of every adapter variable, seeded. */
function perturb(model: CausalLM, seed: number): void {
  for (const p of model.parameters()) {
    if (p.kind === 'base') continue;
    // IA3 vectors and DoRA magnitudes move around their init; LoRA B leaves zero.
    const scale = p.name.endsWith('lora_B.weight') ? 0.3 : 0.2;
    p.variable.assign(tf.tidy(() => tf.add(p.variable, tf.randomNormal(p.variable.shape, 0, scale, 'float32', seed++))));
  }
}

/** Save → load into a fresh (same-quantised) base → the same logits; merge-lora → the same logits (float32 bases). */
function roundTrip(dir: string, cfg: Record<string, unknown>, name: string, opts: { merge: boolean }): { want: Float32Array; out: string } {
  const { model, applied } = prepare(dir, cfg);
  perturb(model, 101);
  const want = logits(model);
  const out = join(temp, name);
  assert.deepEqual(applied.save(out, { baseModel: dir }), ['adapter_config.json', 'adapter_model.safetensors']);
  model.dispose();

  const fresh = loadModel(join(fixtures, dir));
  const choice = choose(cfg);
  applyQuantization(fresh, readQuantSettings(cfg, choice.method, () => assert.fail('refused')));
  loadAdapterInto(fresh, out);
  assert.equal(fresh.parameterCounts().trainable, 0);
  assert.ok(maxDiff(logits(fresh), want) < 1e-5, 'loaded adapter');
  fresh.dispose();

  if (opts.merge) {
    const merged = join(temp, `${name}-merged`);
    // F32: qwen2-tiny says torch_dtype bfloat16, which merge-lora would otherwise keep.
    mergeAdapterDir({ baseDir: join(fixtures, dir), adapterDir: out, outDir: merged, dtype: 'F32' });
    const m = loadModel(merged);
    assert.ok(maxDiff(logits(m), want) < 1e-4, 'merged model');
    m.dispose();
  }
  return { want, out };
}

describe('IA3', () => {
  for (const dir of ['llama-tiny', 'gpt2-tiny', 'qwen2-tiny']) {
    it(`${dir}: the base model at init; trained vectors save as PEFT's ia3_l, load back and merge to the same logits`, () => {
      const base = loadModel(join(fixtures, dir));
      const want0 = logits(base);
      base.dispose();
      const { model, applied } = prepare(dir, { adapter: 'ia3' });
      assert.equal(applied.method, 'ia3');
      assert.equal(maxDiff(logits(model), want0), 0);
      model.dispose();
      const { out } = roundTrip(dir, { adapter: 'ia3' }, `ia3-${dir}`, { merge: true });
      const config = JSON.parse(readFileSync(join(out, 'adapter_config.json'), 'utf8'));
      const expected = { 'llama-tiny': [['down_proj', 'k_proj', 'v_proj'], ['down_proj']], 'gpt2-tiny': [['c_attn', 'mlp.c_proj'], ['mlp.c_proj']], 'qwen2-tiny': [['down_proj', 'q_proj', 'v_proj'], ['down_proj']] }[dir]!;
      assert.deepEqual([config.peft_type, config.task_type, config.target_modules, config.feedforward_modules, config.fan_in_fan_out], ['IA3', 'CAUSAL_LM', ...expected, dir === 'gpt2-tiny']);
      const header = readHeader(join(out, 'adapter_model.safetensors'));
      if (dir === 'llama-tiny') {
        // k_proj: out = 2 kv heads × 8 = 16 → [16, 1]; down_proj scales its input (64) → [1, 64].
        assert.deepEqual(header.tensors.get('base_model.model.model.layers.0.self_attn.k_proj.ia3_l')?.shape, [16, 1]);
        assert.deepEqual(header.tensors.get('base_model.model.model.layers.1.mlp.down_proj.ia3_l')?.shape, [1, 64]);
        assert.equal(header.tensors.size, 6);
      }
    });
  }

  it('the host merge scales rows (and the bias) or columns as PEFT does', () => {
    const dir = join(fixtures, 'gpt2-tiny');
    const cfg = readModelConfig(dir);
    const base = readModelWeights(dir);
    const loaded = loadAdapter(join(temp, 'ia3-gpt2-tiny')) as Parameters<typeof mergeIa3>[2];
    const merged = mergeIa3(cfg, base, loaded);
    const key = 'transformer.h.0.attn.c_attn';
    const l = loaded.weights.get(`${key}.ia3_l`)!.data;
    const wKey = base.has(`${key}.weight`) ? `${key}.weight` : 'h.0.attn.c_attn.weight';
    const w = base.get(wKey)!;
    const [inF, outF] = w.shape; // Conv1D [in, out]
    assert.equal(merged.get(wKey)!.data[1 * outF + 5], Math.fround(w.data[1 * outF + 5] * l[5]));
    const b = base.get(wKey.replace('.weight', '.bias'))!;
    assert.equal(merged.get(wKey.replace('.weight', '.bias'))!.data[7], Math.fround(b.data[7] * l[7]));
    assert.ok(inF > 0);
    const ff = loaded.weights.get('transformer.h.1.mlp.c_proj.ia3_l');
    assert.deepEqual(ff?.shape, [1, cfg.intermediateSize]);
  });
});

describe('DoRA', () => {
  it('at init the adapted model is the base model; the magnitude is the weight\'s row norm', () => {
    const base = loadModel(join(fixtures, 'llama-tiny'));
    const want0 = logits(base);
    base.dispose();
    const { model } = prepare('llama-tiny', { adapter: 'lora', lora_r: 4, lora_target_modules: ['q_proj', 'down_proj'], peft_use_dora: true });
    assert.ok(maxDiff(logits(model), want0) < 1e-6);
    const q = loraLayers(model).get('model.layers.0.self_attn.q_proj')!;
    const w = readModelWeights(join(fixtures, 'llama-tiny')).get('model.layers.0.self_attn.q_proj.weight')!; // [out, in]
    const m = q.magnitude!.dataSync();
    let sq = 0;
    for (let i = 0; i < w.shape[1]; i++) sq += w.data[3 * w.shape[1] + i] ** 2;
    assert.ok(Math.abs(m[3] - Math.sqrt(sq)) < 1e-6);
    model.dispose();
  });

  it('the magnitude\'s gradient matches finite differences (the norm is a constant of the graph)', () => {
    const { model } = prepare('llama-tiny', { adapter: 'lora', lora_r: 4, lora_target_modules: ['q_proj'], peft_use_dora: true });
    perturb(model, 5);
    const targets = shiftTargets(ids, undefined, 2, 6);
    const layer = loraLayers(model).get('model.layers.1.self_attn.q_proj')!;
    const mag = layer.magnitude!;
    const loss = () => {
      const r = model.loss(input, targets);
      const v = r.loss.dataSync()[0];
      r.loss.dispose();
      r.sum.dispose();
      return v;
    };
    const { value, grads } = tf.variableGrads(() => model.loss(input, targets).loss, [mag]);
    value.dispose();
    const g = grads[mag.name].dataSync();
    const m0 = mag.dataSync().slice();
    const eps = 1e-2;
    for (const j of [0, 5, 17]) {
      const at = (d: number) => {
        const m = m0.slice();
        m[j] += d;
        mag.assign(tf.tensor1d(m));
        return loss();
      };
      const fd = (at(eps) - at(-eps)) / (2 * eps);
      assert.ok(Math.abs(fd - g[j]) < 2e-3 + 0.02 * Math.abs(fd), `d loss / d m[${j}]: ${g[j]} vs ${fd}`);
    }
    model.dispose();
  });

  it('llama: saves use_dora with lora_magnitude_vector, loads back, and merges to the same logits', () => {
    const { out } = roundTrip('llama-tiny', { adapter: 'lora', lora_r: 4, lora_alpha: 8, lora_target_modules: ['q_proj', 'v_proj', 'up_proj'], peft_use_dora: true }, 'dora-llama', { merge: true });
    const config = JSON.parse(readFileSync(join(out, 'adapter_config.json'), 'utf8'));
    assert.equal(config.use_dora, true);
    const header = readHeader(join(out, 'adapter_model.safetensors'));
    assert.deepEqual(header.tensors.get('base_model.model.model.layers.0.self_attn.v_proj.lora_magnitude_vector')?.shape, [16]);
    assert.equal(header.tensors.size, 18);
    // The io-level reader and merge agree with the registry's.
    const cfg = readModelConfig(join(fixtures, 'llama-tiny'));
    const merged = buildModel(cfg, mergeAdapter(cfg, readModelWeights(join(fixtures, 'llama-tiny')), readAdapter(out)));
    const viaRegistry = loadModel(join(temp, 'dora-llama-merged'));
    assert.ok(maxDiff(logits(merged), logits(viaRegistry)) < 1e-6);
    merged.dispose();
    viaRegistry.dispose();
  });

  it('gpt2 (Conv1D, biases): DoRA saves, loads and merges to the same logits', () => {
    roundTrip('gpt2-tiny', { adapter: 'lora', lora_r: 2, lora_target_modules: ['c_attn', 'c_fc'], peft_use_dora: true }, 'dora-gpt2', { merge: true });
  });

  it('dropout while training follows PEFT\'s DoRA form (and is off in eval)', () => {
    const { model } = prepare('llama-tiny', { adapter: 'lora', lora_r: 4, lora_dropout: 0.5, lora_target_modules: ['q_proj'], peft_use_dora: true });
    perturb(model, 9);
    const a = model.logits(input, { training: true, seed: 3 });
    const b = model.logits(input, { training: true, seed: 3 });
    const evalOut = logits(model);
    assert.equal(maxDiff(a.dataSync() as Float32Array, b.dataSync() as Float32Array), 0);
    assert.ok(maxDiff(a.dataSync() as Float32Array, evalOut) > 1e-4);
    a.dispose();
    b.dispose();
    model.dispose();
  });
});

describe('on a quantised base', () => {
  it('QLoRA (NF4 + double quantisation) saves a LORA adapter that loads back onto the same 4-bit base', () => {
    const { out } = roundTrip('llama-tiny', { adapter: 'qlora', load_in_4bit: true, lora_r: 4, lora_target_linear: true }, 'qlora-llama', { merge: false });
    assert.equal(JSON.parse(readFileSync(join(out, 'adapter_config.json'), 'utf8')).peft_type, 'LORA');
  });
  it('8-bit LoRA with DoRA, and IA3 on a 4-bit FP4 base, load back to the same logits', () => {
    roundTrip('qwen2-tiny', { adapter: 'lora', load_in_8bit: true, lora_r: 2, lora_target_modules: ['q_proj', 'o_proj'], peft_use_dora: true }, 'dora8-qwen', { merge: false });
    roundTrip('gpt2-tiny', { adapter: 'ia3', load_in_4bit: true, bnb_config_kwargs: { bnb_4bit_quant_type: 'fp4' } }, 'ia3-fp4-gpt2', { merge: false });
  });
});
