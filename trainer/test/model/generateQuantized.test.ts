/** `tunelab generate --load-in-4bit / --load-in-8bit`: the base is quantised before the adapter, as in training. */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { decode, encode, loadChatModel } from '../../../common/chat/index';
import { generate } from '../../generate/index';
import { generateText } from '../../generate/run';
import { attachAdapter, loadModel, readAdapter } from '../../io/index';
import { quantizeBase, type QuantizeOptions } from '../../model/quantLinear';

const dir = join(import.meta.dirname, '..', 'fixtures', 'llama-tiny');
const base = { modelDir: dir, adapterDir: join(dir, 'adapter'), prompt: 'Hi there', chat: false, maxNewTokens: 24, temperature: 0, topP: 1, topK: 0, seed: 0, backend: 'wasm' as const };

describe('generateText on a quantised base', () => {
  const cases: [string, QuantizeOptions][] = [
    ['NF4 + double quantisation', { bits: 4, quantType: 'nf4', doubleQuant: true }],
    ['FP4', { bits: 4, quantType: 'fp4', doubleQuant: false }],
    ['int8', { bits: 8 }],
  ];
  for (const [name, quantize] of cases) {
    it(`${name}: the same tokens as quantising by hand${quantize.bits === 4 ? ", not the float model's" : ''}`, async () => {
      const out = await generateText({ ...base, quantize });
      const chat = await loadChatModel(dir);
      assert.ok(chat.ok);
      const ids = encode(chat.value, 'Hi there', true);
      const model = loadModel(dir);
      quantizeBase(model, quantize);
      attachAdapter(model, readAdapter(join(dir, 'adapter')));
      const r = generate(model, ids, { maxNewTokens: 24, stopIds: [2, 4] });
      model.dispose();
      assert.equal(out.text, decode(chat.value, r.ids, true));
      // 4 bits change this tiny model's greedy text; int8 is too close to float32 to (same tokens).
      if (quantize.bits === 4) assert.notEqual(out.text, (await generateText(base)).text);
    });
  }
});
