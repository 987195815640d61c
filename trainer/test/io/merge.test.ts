import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { selectBackend } from '../../backend/index';
import { loadModel, mergeLora, readHeader, readSafetensors } from '../../io/index';

const fixtures = join(import.meta.dirname, '..', 'fixtures');
const temp = mkdtempSync(join(tmpdir(), 'tunelab-merge-'));
after(() => rmSync(temp, { recursive: true, force: true }));
before(async () => {
  await selectBackend('wasm');
});

describe('mergeLora', () => {
  for (const name of ['llama-tiny', 'gpt2-tiny']) {
    it(`${name}: the merged directory reproduces the reference adapted logits`, () => {
      const out = join(temp, name);
      const r = mergeLora({ baseDir: join(fixtures, name), adapterDir: join(fixtures, name, 'adapter'), outDir: out });
      assert.equal(r.scaling, 2);
      assert.equal(r.modules.length, name === 'llama-tiny' ? 6 : 4);
      assert.deepEqual(readdirSync(out).sort(), name === 'llama-tiny' ? ['config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json'] : ['config.json', 'model.safetensors']);
      const golden = readSafetensors(join(fixtures, name, 'golden.safetensors')).tensors;
      const model = loadModel(out);
      const [B, T] = golden.get('input_ids')!.shape;
      const l = model.logits({ batch: B, seqLen: T, inputIds: Int32Array.from(golden.get('input_ids')!.data) });
      const got = l.dataSync();
      const want = golden.get('adapter_logits')!.data;
      let d = 0;
      for (let i = 0; i < want.length; i++) d = Math.max(d, Math.abs(got[i] - want[i]));
      l.dispose();
      model.dispose();
      assert.ok(d < 1e-4, `max |diff| ${d}`);
    });
  }

  it('keeps the base dtype unless asked, and refuses to overwrite the base', () => {
    const out = join(temp, 'bf16');
    mergeLora({ baseDir: join(fixtures, 'llama-tiny'), adapterDir: join(fixtures, 'llama-tiny', 'adapter'), outDir: out, dtype: 'BF16' });
    assert.equal(readHeader(join(out, 'model.safetensors')).tensors.get('model.norm.weight')?.dtype, 'BF16');
    const base = join(fixtures, 'llama-tiny');
    assert.throws(() => mergeLora({ baseDir: base, adapterDir: join(base, 'adapter'), outDir: base }), { message: `${base}: the output directory must differ from the base model directory` });
    // Nor into an adapter's folder (the adapter itself, or a run's output_dir); a copy, so a failure leaves the fixture alone.
    const adapter = join(temp, 'adapter-copy');
    cpSync(join(base, 'adapter'), adapter, { recursive: true });
    assert.throws(() => mergeLora({ baseDir: base, adapterDir: adapter, outDir: adapter }), { message: `${adapter}: holds an adapter (adapter_config.json); write the merged model to another directory` });
    assert.deepEqual(readdirSync(adapter).sort(), ['adapter_config.json', 'adapter_model.safetensors']);
  });

  it('names the mismatch when the adapter belongs to another model', () => {
    assert.throws(
      () => mergeLora({ baseDir: join(fixtures, 'qwen2-tiny'), adapterDir: join(fixtures, 'llama-tiny', 'adapter'), outDir: join(temp, 'x') }),
      { message: `${join(fixtures, 'llama-tiny', 'adapter')}: module "model.layers.0.mlp.down_proj": adapter implies a [32, 64] weight, base has [48, 96]` },
    );
  });
});
