import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { mulberry32 } from '../../../common/random';
import { selectBackend } from '../../backend/index';
import { loadModel, mergeLora, readHeader, readModelConfig, readModelWeights, saveModelDir } from '../../io/index';
import type { HostTensor } from '../../model/tensors';
import { parseModelConfig as parseModelConfigFrom } from '../../model/index';
import { magnitudeMask, taskArithmetic } from '../../merge/maths';
import { MergeError, runMerge } from '../../merge/run';

const fixtures = join(import.meta.dirname, '..', 'fixtures');
const baseDir = join(fixtures, 'llama-tiny');
const temp = mkdtempSync(join(tmpdir(), 'tunelab-mergekit-'));
after(() => rmSync(temp, { recursive: true, force: true }));

const base = readModelWeights(baseDir);
/** A "fine-tune": the base plus a seeded perturbation of every tensor. */
function fineTune(name: string, seed: number, scale: number): Map<string, HostTensor> {
  const r = mulberry32(seed);
  const out = new Map<string, HostTensor>();
  for (const [k, t] of base) out.set(k, { shape: t.shape, data: t.data.map((v) => v + scale * (r() * 2 - 1)) });
  saveModelDir(join(temp, name), readModelConfig(baseDir), out, { tokenizerFrom: baseDir });
  return out;
}
const ft1 = fineTune('ft1', 1, 0.05);
const ft2 = fineTune('ft2', 2, 0.05);

function merge(name: string, yaml: string, opts: { seed?: number; maxShardBytes?: number; overwrite?: boolean } = {}) {
  const configPath = join(temp, `${name}.yml`);
  writeFileSync(configPath, yaml);
  const outDir = join(temp, `out-${name}`);
  return { outDir, result: runMerge({ configPath, outDir, cwd: temp, ...opts }) };
}

const close = (got: ArrayLike<number>, want: ArrayLike<number>, tol: number, what: string): void => {
  assert.equal(got.length, want.length, what);
  let d = 0;
  for (let i = 0; i < want.length; i++) d = Math.max(d, Math.abs(got[i] - want[i]));
  assert.ok(d <= tol, `${what}: max |diff| ${d}`);
};

before(async () => {
  await selectBackend('wasm');
});

describe('tunelab merge (runMerge) on a tiny Llama', () => {
  it('ties of two fine-tunes: a loadable Hugging Face folder with exactly the TIES tensors', () => {
    const { outDir, result } = merge('ties', `merge_method: ties\nbase_model: ${baseDir}\nmodels:\n  - model: ./ft1\n    parameters: {weight: 1.0, density: 0.5}\n  - model: ./ft2\n    parameters: {weight: 0.5, density: 0.7}\ndtype: float32\n`);
    assert.equal(result.tensors, base.size);
    assert.equal(result.layers, 2);
    assert.deepEqual(readdirSync(outDir).sort(), ['README.md', 'config.json', 'mergekit_config.yml', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json']);
    const merged = readModelWeights(outDir);
    for (const [k, b] of base) {
      const deltas = [
        { t: ft1.get(k)!, w: 1.0, d: 0.5 },
        { t: ft2.get(k)!, w: 0.5, d: 0.7 },
      ].map(({ t, w, d }) => {
        const delta = t.data.map((v, i) => v - b.data[i]);
        const mask = magnitudeMask(delta, d)!;
        return { delta: delta.map((v, i) => (mask[i] ? v : 0)), weight: w };
      });
      close(merged.get(k)!.data, taskArithmetic(b.data, deltas, { consensus: true, normalize: true, lambda: 1 }), 0, k);
    }
    const model = loadModel(outDir);
    const logits = model.logits({ batch: 1, seqLen: 4, inputIds: Int32Array.from([1, 5, 9, 2]) });
    assert.equal(logits.shape.join('x'), '4x64');
    assert.ok([...logits.dataSync()].every(Number.isFinite));
    logits.dispose();
    model.dispose();
    assert.match(readFileSync(join(outDir, 'README.md'), 'utf8'), /Random seed: 42 \(unused by this method\)/);
  });

  it('linear with a gradient weight: layer 0 takes t = 0, the last layer t = 1, other tensors t = 0', () => {
    const { outDir } = merge('linear', `merge_method: linear\nmodels:\n  - model: ./ft1\n    parameters:\n      weight: [1, 0]\n  - model: ./ft2\n    parameters:\n      weight: [0, 1]\n`);
    const merged = readModelWeights(outDir);
    close(merged.get('model.layers.0.mlp.up_proj.weight')!.data, ft1.get('model.layers.0.mlp.up_proj.weight')!.data, 0, 'layer 0 = ft1');
    close(merged.get('model.layers.1.mlp.up_proj.weight')!.data, ft2.get('model.layers.1.mlp.up_proj.weight')!.data, 0, 'layer 1 = ft2');
    close(merged.get('model.embed_tokens.weight')!.data, ft1.get('model.embed_tokens.weight')!.data, 0, 'embeddings at t = 0');
  });

  it('slerp with filtered t; slices frankenmerge renumbers layers and sets num_hidden_layers', () => {
    const { outDir } = merge('slerp', `merge_method: slerp\nbase_model: ./ft1\nmodels:\n  - model: ./ft1\n  - model: ./ft2\nparameters:\n  t:\n    - filter: self_attn\n      value: 1\n    - value: 0\n`);
    const merged = readModelWeights(outDir);
    close(merged.get('model.layers.1.self_attn.q_proj.weight')!.data, ft2.get('model.layers.1.self_attn.q_proj.weight')!.data, 1e-6, 'self_attn t=1');
    close(merged.get('model.layers.1.mlp.down_proj.weight')!.data, ft1.get('model.layers.1.mlp.down_proj.weight')!.data, 1e-6, 'mlp t=0');

    const { outDir: f, result } = merge('franken', `merge_method: passthrough\nslices:\n  - sources:\n      - model: ./ft1\n        layer_range: [0, 2]\n  - sources:\n      - model: ./ft2\n        layer_range: [1, 2]\n`);
    assert.equal(result.layers, 3);
    assert.equal(JSON.parse(readFileSync(join(f, 'config.json'), 'utf8')).num_hidden_layers, 3);
    const w = readModelWeights(f);
    close(w.get('model.layers.2.self_attn.o_proj.weight')!.data, ft2.get('model.layers.1.self_attn.o_proj.weight')!.data, 0, 'out layer 2 = ft2 layer 1');
    close(w.get('model.layers.1.self_attn.o_proj.weight')!.data, ft1.get('model.layers.1.self_attn.o_proj.weight')!.data, 0, 'out layer 1 = ft1 layer 1');
    const model = loadModel(f);
    assert.equal(model.config.numLayers, 3);
    model.dispose();
  });

  it('a BASE+LORA entry is the dense merge W0 + scaling·B·A (same as merge-lora)', () => {
    const { outDir } = merge('lora', `merge_method: task_arithmetic\nbase_model: ${baseDir}\nmodels:\n  - model: ${baseDir}+${join(baseDir, 'adapter')}\n    parameters:\n      weight: 1.0\n`);
    const dense = join(temp, 'dense');
    mergeLora({ baseDir, adapterDir: join(baseDir, 'adapter'), outDir: dense });
    const want = readModelWeights(dense);
    const got = readModelWeights(outDir);
    for (const [k, t] of want) close(got.get(k)!.data, t.data, 1e-6, k);
  });

  it('DARE: the seed decides the masks, is recorded, and the same seed gives the same bytes; shards when asked', () => {
    const yaml = `merge_method: dare_ties\nbase_model: ${baseDir}\nmodels:\n  - model: ./ft1\n    parameters: {weight: 0.6, density: 0.5}\n  - model: ./ft2\n    parameters: {weight: 0.6, density: 0.5}\n`;
    const a = merge('dare-a', yaml, { seed: 7, maxShardBytes: 20_000 });
    const b = merge('dare-b', yaml, { seed: 7 });
    const c = merge('dare-c', yaml, { seed: 8 });
    const shards = a.result.files.filter((f) => f.endsWith('.safetensors'));
    assert.ok(shards.length > 1, `${shards.length} shards`);
    assert.ok(a.result.files.includes('model.safetensors.index.json'));
    const wa = readModelWeights(a.outDir);
    const wb = readModelWeights(b.outDir);
    const wc = readModelWeights(c.outDir);
    const k = 'model.layers.0.mlp.gate_proj.weight';
    close(wa.get(k)!.data, wb.get(k)!.data, 0, 'same seed');
    assert.notDeepEqual([...wa.get(k)!.data], [...wc.get(k)!.data]);
    assert.equal(readHeader(join(b.outDir, 'model.safetensors')).metadata.merge_seed, '7');
    assert.match(readFileSync(join(b.outDir, 'README.md'), 'utf8'), /Random seed: 7 \(drop masks/);
    loadModel(a.outDir).dispose();
    // A sharded folder is an input like any other: a passthrough copy reproduces it.
    const copy = merge('from-shards', `merge_method: passthrough\nslices:\n  - sources:\n      - model: ${a.outDir}\n        layer_range: [0, 2]\n`);
    const wcopy = readModelWeights(copy.outDir);
    for (const [name, t] of wa) close(wcopy.get(name)!.data, t.data, 0, name);
  });

  it('chat_template: a Jinja string lands in tokenizer_config.json; auto keeps the inputs\' common one', () => {
    const jinja = '{% for m in messages %}{{ m.role }}: {{ m.content }}\\n{% endfor %}';
    const { outDir } = merge('template', `merge_method: linear\nmodels:\n  - model: ./ft1\n    parameters: {weight: 1}\nchat_template: "${jinja}"\n`, { overwrite: true });
    const written = JSON.parse(readFileSync(join(outDir, 'tokenizer_config.json'), 'utf8')) as Record<string, unknown>;
    assert.equal(written.chat_template, '{% for m in messages %}{{ m.role }}: {{ m.content }}\n{% endfor %}');
    assert.equal(written.eos_token, JSON.parse(readFileSync(join(baseDir, 'tokenizer_config.json'), 'utf8')).eos_token);
    const auto = merge('template-auto', 'merge_method: linear\nmodels:\n  - model: ./ft1\n    parameters: {weight: 1}\nchat_template: auto\n');
    assert.equal(JSON.parse(readFileSync(join(auto.outDir, 'tokenizer_config.json'), 'utf8')).chat_template, JSON.parse(readFileSync(join(baseDir, 'tokenizer_config.json'), 'utf8')).chat_template);
  });

  it('a fine-tune with added tokens merges on the common vocabulary (the base\'s rows for ties)', () => {
    const wide = new Map(ft2);
    const emb = ft2.get('model.embed_tokens.weight')!;
    const rows = Float32Array.from({ length: 6 * 32 }, (_, i) => i / 100);
    wide.set('model.embed_tokens.weight', { shape: [70, 32], data: Float32Array.from([...emb.data, ...rows]) });
    saveModelDir(join(temp, 'ft-wide'), parseModelConfigFrom({ ...readModelConfig(baseDir).raw, vocab_size: 70 }), wide, { tokenizerFrom: baseDir });
    const { outDir } = merge('wide-ties', `merge_method: ties\nbase_model: ${baseDir}\nmodels:\n  - model: ./ft1\n    parameters: {weight: 1, density: 1}\n  - model: ./ft-wide\n    parameters: {weight: 1, density: 1}\n`);
    const got = readModelWeights(outDir).get('model.embed_tokens.weight')!;
    assert.deepEqual(got.shape, [64, 32]);
    // density 1 and normalize: agreeing deltas are averaged, so where both move the same way this is their mean.
    const b = base.get('model.embed_tokens.weight')!.data;
    const d1 = ft1.get('model.embed_tokens.weight')!.data[0] - b[0];
    const d2 = emb.data[0] - b[0];
    const want0 = Math.sign(d1) === Math.sign(d2) ? b[0] + (d1 + d2) / 2 : b[0] + (Math.sign(d1) === Math.sign(d1 + d2) ? d1 : d2);
    assert.ok(Math.abs(got.data[0] - want0) < 1e-6, `${got.data[0]} vs ${want0}`);
    const lin = merge('wide-linear', 'merge_method: linear\nmodels:\n  - model: ./ft-wide\n    parameters: {weight: 1}\n  - model: ./ft1\n    parameters: {weight: 1}\n');
    assert.equal(JSON.parse(readFileSync(join(lin.outDir, 'config.json'), 'utf8')).vocab_size, 64);
    loadModel(lin.outDir).dispose();
  });

  it('GPT-2 names (h.N., wte, ln_f): a slerp of a model with itself is that model, and it loads', () => {
    const gpt2 = join(fixtures, 'gpt2-tiny');
    const { outDir, result } = merge('gpt2-self', `merge_method: slerp\nbase_model: ${gpt2}\nmodels:\n  - model: ${gpt2}\nparameters:\n  t: 0.5\n`);
    const want = readModelWeights(gpt2);
    assert.equal(result.tensors, want.size);
    const got = readModelWeights(outDir);
    for (const [k, t] of want) close(got.get(k)!.data, t.data, 0, k);
    loadModel(outDir).dispose();
  });

  it('refuses bad input with a clear message and leaves nothing behind', () => {
    const before = readdirSync(temp).filter((f) => f.startsWith('.')).length;
    assert.throws(() => merge('missing', `merge_method: ties\nbase_model: ${baseDir}\nmodels:\n  - model: ./nope\n    parameters: {weight: 1}\n`), (e: unknown) => e instanceof MergeError && /model '\.\/nope' is not a local folder/.test(e.message));
    assert.throws(() => merge('gpt2', `merge_method: linear\nmodels:\n  - model: ./ft1\n    parameters: {weight: 1}\n  - model: ${join(fixtures, 'gpt2-tiny')}\n    parameters: {weight: 1}\n`), (e: unknown) => e instanceof MergeError);
    assert.throws(() => merge('noweight', `merge_method: linear\nmodels:\n  - model: ./ft1\n  - model: ./ft2\n`), (e: unknown) => e instanceof MergeError && /missing required parameter weight/.test(e.message));
    assert.equal(existsSync(join(temp, 'out-missing')), false);
    assert.equal(existsSync(join(temp, 'out-gpt2')), false);
    assert.equal(readdirSync(temp).filter((f) => f.startsWith('.')).length, before);
    // An existing non-empty output is kept unless --overwrite.
    assert.throws(() => merge('ties', 'merge_method: linear\nmodels:\n  - model: ./ft1\n    parameters: {weight: 1}\n'), /exists and is not empty/);
    const { result } = merge('ties', 'merge_method: linear\nmodels:\n  - model: ./ft1\n    parameters: {weight: 1}\n', { overwrite: true });
    assert.equal(result.method, 'linear');
  });
});
