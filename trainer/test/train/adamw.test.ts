import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { AdamW, clipByGlobalNorm, decays } from '../../train/adamw';

await tf.setBackend('cpu');

const opts = { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01 };
const close = (actual: ArrayLike<number>, expected: number[], tol = 1e-6) =>
  expected.forEach((e, i) => assert.ok(Math.abs(actual[i]! - e) < tol, `[${i}] ${actual[i]} vs ${e}`));

test('one AdamW step by hand: decay p·(1 − lr·wd), then the bias-corrected step is lr·sign(g)', () => {
  const w = tf.variable(tf.tensor1d([1, -2]), true, 'adamw_w1');
  const opt = new AdamW([{ name: 'model.layers.0.mlp.up_proj.weight', variable: w }], opts);
  opt.step(new Map([['model.layers.0.mlp.up_proj.weight', tf.tensor1d([0.5, 0.1])]]), 0.1);
  // 1·0.999 − 0.1·0.5/(0.5 + 1e-8) and −2·0.999 − 0.1·0.1/(0.1 + 1e-8)
  close(w.dataSync(), [0.899000002, -2.09799999]);
  assert.equal(opt.steps, 1);
});

test('second step matches torch.optim.AdamW\'s formula (m, v, bias corrections) in float64', () => {
  const w = tf.variable(tf.tensor1d([1, -2]), true, 'adamw_w2');
  const opt = new AdamW([{ name: 'w', variable: w }], opts);
  opt.step(new Map([['w', tf.tensor1d([0.5, 0.1])]]), 0.1);
  opt.step(new Map([['w', tf.tensor1d([-0.3, 0.2])]]), 0.1);
  close(w.dataSync(), [0.8789511989397751, -2.1924201864887465]);
  const st = opt.exportState();
  close(st.m.w!, [0.015, 0.029]);
  close(st.v.w!, [0.00033975, 0.00004999], 1e-10);
});

test('no weight decay on norms and biases', () => {
  assert.equal(decays('model.layers.0.input_layernorm.weight'), false);
  assert.equal(decays('model.norm.weight'), false);
  assert.equal(decays('model.layers.0.self_attn.q_proj.bias'), false);
  assert.equal(decays('transformer.h.0.ln_1.weight'), false);
  assert.equal(decays('transformer.ln_f.weight'), false);
  assert.equal(decays('model.layers.0.self_attn.q_proj.weight'), true);
  assert.equal(decays('model.embed_tokens.weight'), true);
  assert.equal(decays('base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight'), true);
  const w = tf.variable(tf.tensor1d([1]), true, 'adamw_norm');
  const opt = new AdamW([{ name: 'model.norm.weight', variable: w }], { ...opts, weightDecay: 0.5 });
  opt.step(new Map([['model.norm.weight', tf.tensor1d([1])]]), 0.1);
  close(w.dataSync(), [0.9]);
});

test('state export and import round-trips', () => {
  const a = tf.variable(tf.tensor1d([1, 2, 3]), true, 'adamw_a');
  const opt = new AdamW([{ name: 'a', variable: a }], opts);
  opt.step(new Map([['a', tf.tensor1d([0.1, -0.2, 0.3])]]), 0.01);
  const st = opt.exportState();
  const b = tf.variable(tf.tensor1d([1, 2, 3]), true, 'adamw_b');
  const opt2 = new AdamW([{ name: 'a', variable: b }], opts);
  opt2.importState(st);
  assert.deepEqual(opt2.exportState(), st);
  assert.throws(() => opt2.importState({ t: 1, m: {}, v: {} }), /optimizer state for a is missing/);
});

test('global-norm clipping reports the norm before clipping and scales to max_norm', () => {
  const grads = new Map<string, tf.Tensor>([
    ['a', tf.tensor1d([3, 0])],
    ['b', tf.tensor1d([0, 4])],
  ]);
  const { grads: c, norm } = clipByGlobalNorm(grads, 1);
  assert.ok(Math.abs(norm - 5) < 1e-6);
  close(c.get('a')!.dataSync(), [0.6 / (1 + 2e-7), 0]);
  close(c.get('b')!.dataSync(), [0, 0.8]);
  const same = clipByGlobalNorm(new Map([['a', tf.tensor1d([0.3, 0.4])]]), 1);
  close(same.grads.get('a')!.dataSync(), [0.3, 0.4]);
  assert.ok(Math.abs(same.norm - 0.5) < 1e-6);
});

test('moments live in host memory: construction and steps leave the backend\'s tensor count and bytes as they were', () => {
  const w = tf.variable(tf.zeros([64, 32]), true, 'adamw_mem');
  const before = tf.memory();
  const opt = new AdamW([{ name: 'w', variable: w }], opts);
  for (let i = 0; i < 3; i++) {
    const g = tf.fill([64, 32], 0.25);
    opt.step(new Map([['w', g]]), 0.01);
    g.dispose();
  }
  const after = tf.memory();
  assert.equal(after.numTensors, before.numTensors);
  assert.equal(after.numBytes, before.numBytes);
  assert.equal(opt.exportState().m.w!.length, 64 * 32);
  opt.dispose();
  w.dispose();
});

test('the update does not write through to a tensor that shares the variable\'s storage', () => {
  const init = tf.tensor1d([1, -2]);
  const w = tf.variable(init, true, 'adamw_shared');
  const opt = new AdamW([{ name: 'w', variable: w }], opts);
  opt.step(new Map([['w', tf.tensor1d([0.5, 0.1])]]), 0.1);
  assert.deepEqual([...init.dataSync()], [1, -2]);
  close(w.dataSync(), [0.899000002, -2.09799999]);
});

test('exported state is a snapshot: later steps do not change it', () => {
  const w = tf.variable(tf.tensor1d([1, -2]), true, 'adamw_snap');
  const opt = new AdamW([{ name: 'w', variable: w }], opts);
  opt.step(new Map([['w', tf.tensor1d([0.5, 0.1])]]), 0.1);
  const st = opt.exportState();
  opt.step(new Map([['w', tf.tensor1d([-0.3, 0.2])]]), 0.1);
  assert.equal(st.t, 1);
  close(st.m.w!, [0.05, 0.01]);
  close(opt.exportState().m.w!, [0.015, 0.029]);
});

test('a parameter without a gradient is left alone; a misshaped gradient or state is refused and changes nothing', () => {
  const a = tf.variable(tf.tensor1d([1, 2]), true, 'adamw_nograd_a');
  const b = tf.variable(tf.tensor1d([3]), true, 'adamw_nograd_b');
  const opt = new AdamW([{ name: 'a', variable: a }, { name: 'b', variable: b }], opts);
  opt.step(new Map([['a', tf.tensor1d([0.5, 0.5])]]), 0.1);
  assert.deepEqual([...b.dataSync()], [3]);
  assert.deepEqual([...opt.exportState().m.b!], [0]);
  assert.throws(() => opt.step(new Map([['a', tf.tensor1d([1, 2, 3])]]), 0.1), /gradient for a has 3 values, the parameter 2/);
  assert.equal(opt.steps, 1);
  const st = opt.exportState();
  assert.throws(() => opt.importState({ t: 9, m: { a: new Float32Array(2), b: new Float32Array(1) }, v: { a: new Float32Array(2), b: new Float32Array(2) } }), /optimizer state for b/);
  assert.deepEqual(opt.exportState().m, st.m);
});

test('on wasm the update runs on views of the heap: same values as on cpu, bit for bit, and no tensor left behind', async () => {
  const { selectBackend } = await import('../../backend/index');
  const values = Float32Array.from({ length: 1000 }, (_, i) => Math.sin(i) * 2);
  const gradsAt = (s: number) => Float32Array.from({ length: 1000 }, (_, i) => Math.cos(i * (s + 1)) / 10);
  const run = () => {
    const w = tf.variable(tf.tensor2d(values, [10, 100]), true, `adamw_backend_${tf.getBackend()}`);
    const before = tf.memory().numTensors;
    const opt = new AdamW([{ name: 'model.layers.0.mlp.up_proj.weight', variable: w }], opts);
    for (let s = 0; s < 3; s++) {
      const g = tf.tensor2d(gradsAt(s), [10, 100]);
      opt.step(new Map([['model.layers.0.mlp.up_proj.weight', g]]), 0.01);
      g.dispose();
    }
    assert.equal(tf.memory().numTensors, before);
    const out = { w: Array.from(w.dataSync()), m: Array.from(opt.exportState().m['model.layers.0.mlp.up_proj.weight']!) };
    w.dispose();
    return out;
  };
  const onCpu = run();
  await selectBackend('wasm');
  try {
    assert.equal(tf.getBackend(), 'wasm');
    assert.deepEqual(run(), onCpu);
  } finally {
    await tf.setBackend('cpu');
  }
});
