import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { decode, encode, loadChatModel, renderTemplate } from '../../../common/chat/index';
import { generate } from '../../generate/index';
import { generateText } from '../../generate/run';
import { attachAdapter, loadModel, readAdapter } from '../../io/index';

const dir = join(import.meta.dirname, '..', 'fixtures', 'llama-tiny');

describe('generateText', () => {
  it('renders the chat template, applies the adapter and streams exactly the final text', async () => {
    const pieces: string[] = [];
    const out = await generateText({ modelDir: dir, adapterDir: join(dir, 'adapter'), prompt: 'Hi there', chat: true, maxNewTokens: 16, temperature: 0, topP: 1, topK: 0, seed: 0, backend: 'wasm', onText: (t) => pieces.push(t) });
    assert.equal(pieces.join(''), out.text);
    assert.equal(out.backend.name, 'wasm');

    // The same thing by hand: template -> ids -> model + adapter -> greedy ids -> text.
    const chat = await loadChatModel(dir);
    assert.ok(chat.ok);
    const rendered = renderTemplate(chat.value, chat.value.chatTemplate!, [{ role: 'user', content: 'Hi there' }], { addGenerationPrompt: true });
    assert.ok(rendered.ok);
    assert.equal(rendered.value, '<|im_start|>user\nHi there<|im_end|>\n<|im_start|>assistant\n');
    const ids = encode(chat.value, rendered.value);
    const model = loadModel(dir);
    attachAdapter(model, readAdapter(join(dir, 'adapter')));
    const r = generate(model, ids, { maxNewTokens: 16, stopIds: [2, 4] });
    model.dispose();
    assert.deepEqual({ text: out.text, promptTokens: out.promptTokens, newTokens: out.newTokens, stopReason: out.stopReason }, { text: decode(chat.value, r.ids, true), promptTokens: ids.length, newTokens: r.ids.length, stopReason: r.stopReason });
  });

  it('says when the model directory has no tokenizer', async () => {
    const gpt2 = join(import.meta.dirname, '..', 'fixtures', 'gpt2-tiny');
    await assert.rejects(generateText({ modelDir: gpt2, prompt: 'x', chat: false, maxNewTokens: 1, temperature: 0, topP: 1, topK: 0, seed: 0, backend: 'wasm' }), /no tokenizer\.json in/);
  });
});
