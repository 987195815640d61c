// Adapters written in PEFT's layout by an independent PyTorch implementation of what transformers
// + PEFT compute (scripts/reference/peft_golden.py) load through the registry and give its logits.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { decode, encode, loadChatModel } from '../../../common/chat/index';
import { selectBackend } from '../../backend/index';
import { generate } from '../../generate/index';
import { generateText } from '../../generate/run';
import { loadModel, readSafetensors } from '../../io/index';
import { loadAdapterInto, readAdapterConfig } from '../../peft/index';

const fixtures = join(import.meta.dirname, '..', 'fixtures');

before(async () => {
  await selectBackend('wasm');
});

describe('PEFT-format adapters match the PyTorch reference', () => {
  for (const name of ['llama-tiny', 'gpt2-tiny']) {
    for (const [method, peftType] of [['prefix', 'PREFIX_TUNING'], ['prompt', 'PROMPT_TUNING'], ['bottleneck', 'BOTTLENECK']] as const) {
      it(`${name} ${method}: logits within 1e-4 of the reference`, () => {
        const dir = join(fixtures, name, 'peft', method);
        const info = readAdapterConfig(dir);
        assert.deepEqual([info.method, info.peftType, info.baseModel], [method, peftType, name]);
        const { tensors } = readSafetensors(join(dir, 'golden.safetensors'));
        const ids = Int32Array.from(tensors.get('input_ids')!.data);
        const want = tensors.get('logits')!;
        const model = loadModel(join(fixtures, name));
        const applied = loadAdapterInto(model, dir);
        assert.equal(applied.method, method);
        const out = model.logits({ batch: 1, seqLen: ids.length, inputIds: ids });
        assert.deepEqual(out.shape, want.shape);
        const got = out.dataSync();
        let worst = 0;
        for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i] - want.data[i]));
        assert.ok(worst < 1e-4, `max |Δ| ${worst}`);
        out.dispose();
        model.dispose();
      });
    }
  }
});

describe('tunelab generate --adapter with every hook method', () => {
  const dir = join(fixtures, 'llama-tiny');
  for (const method of ['prefix', 'prompt', 'bottleneck']) {
    it(`${method}: generateText equals greedy generation with the adapter loaded by hand`, async () => {
      const adapterDir = join(dir, 'peft', method);
      const out = await generateText({ modelDir: dir, adapterDir, prompt: 'Hi there', chat: false, maxNewTokens: 12, temperature: 0, topP: 1, topK: 0, seed: 0, backend: 'wasm' });
      const chat = await loadChatModel(dir);
      assert.ok(chat.ok);
      const ids = encode(chat.value, 'Hi there', true);
      const model = loadModel(dir);
      loadAdapterInto(model, adapterDir);
      const r = generate(model, ids, { maxNewTokens: 12, stopIds: [2, 4] });
      const base = loadModel(dir);
      const plain = generate(base, ids, { maxNewTokens: 12, stopIds: [2, 4] });
      model.dispose();
      base.dispose();
      assert.deepEqual({ text: out.text, newTokens: out.newTokens }, { text: decode(chat.value, r.ids, true), newTokens: r.ids.length });
      assert.notDeepEqual(r.ids, plain.ids, 'the adapter changes what is generated');
    });
  }
});
