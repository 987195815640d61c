/** Token offsets on text with multi-byte characters, byte fallback, lstrip/rstrip tokens and unknowns. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { alignOffsets, createChatModel, encodeWithOffsets, type ChatModel } from '../../chat/index';
import { fixtureModel, json } from './helpers';

const pieces = (model: ChatModel, text: string) => {
  const e = encodeWithOffsets(model, text);
  return e.ids.map((id, i) => [id, text.slice(e.offsets[i]![0], e.offsets[i]![1])]);
};

describe('token offsets', () => {
  it('byte-level: a two-byte character split over two tokens maps both to the character', () => {
    const m = fixtureModel('chatml');
    const e = encodeWithOffsets(m, 'Hi é\n\n');
    assert.deepEqual(e.ids, [265, 32, 195, 169, 266]);
    assert.deepEqual(e.offsets, [
      [0, 2],
      [2, 3],
      [3, 4],
      [3, 4],
      [4, 6],
    ]);
  });

  it('byte-level: astral characters (two UTF-16 units, four bytes)', () => {
    const m = fixtureModel('chatml');
    const e = encodeWithOffsets(m, 'a😀b');
    assert.deepEqual(e.ids, [97, 0xf0, 0x9f, 0x98, 0x80, 98]);
    assert.deepEqual(e.offsets, [
      [0, 1],
      [1, 3],
      [1, 3],
      [1, 3],
      [1, 3],
      [3, 4],
    ]);
  });

  it('SentencePiece: the prepended ▁ and byte fallback', () => {
    const m = fixtureModel('mistral');
    // Metaspace prepends ▁ to the first section: "Hi é" -> ▁Hi ▁ <0xC3> <0xA9>
    assert.deepEqual(pieces(m, 'Hi é'), [
      [320, 'Hi'],
      [261, ' '],
      [5 + 0xc3, 'é'],
      [5 + 0xa9, 'é'],
    ]);
    assert.deepEqual(pieces(m, '<s>[INST] Hi[/INST]'), [
      [1, '<s>'],
      [3, '[INST]'],
      [320, ' Hi'],
      [4, '[/INST]'],
    ]);
  });

  it('added tokens with lstrip/rstrip own the whitespace they swallow', () => {
    const tj = json('chatml', 'tokenizer.json') as { added_tokens: { content: string; lstrip: boolean; rstrip: boolean }[] };
    for (const t of tj.added_tokens) if (t.content === '<|im_end|>') Object.assign(t, { lstrip: true, rstrip: true });
    const r = createChatModel({ tokenizerJson: tj, tokenizerConfig: { eos_token: '<|im_end|>' } });
    assert.ok(r.ok);
    const text = 'Hi  <|im_end|>  Hi';
    const e = encodeWithOffsets(r.value, text);
    assert.deepEqual(e.ids, [265, 302, 265]);
    assert.deepEqual(e.offsets, [
      [0, 2],
      [2, 16],
      [16, 18],
    ]);
  });

  it('unknown tokens stand for one character; offsets stay monotone and inside the text', () => {
    const noFallback = json('mistral', 'tokenizer.json') as { model: { byte_fallback: boolean } };
    noFallback.model.byte_fallback = false;
    const r = createChatModel({ tokenizerJson: noFallback, tokenizerConfig: { unk_token: '<unk>' } });
    assert.ok(r.ok);
    const text = 'Hi é!';
    const e = encodeWithOffsets(r.value, text);
    assert.deepEqual(e.ids, [320, 261, 0, 316]);
    assert.deepEqual(e.offsets, [
      [0, 2],
      [2, 3],
      [3, 4],
      [4, 5],
    ]);
  });

  it('a mismatch (post-processor tokens not in the text) degrades to zero-width tokens', () => {
    const m = fixtureModel('llama3');
    assert.deepEqual(alignOffsets(m, 'Hello', [303, 259]), [
      [0, 0],
      [0, 5],
    ]);
    assert.deepEqual(encodeWithOffsets(m, ''), { ids: [], offsets: [] });
  });
});
