// The tools behind examples/models/tiny-base: the BPE trainer (hand-checked merges, loaded by
// @huggingface/tokenizers) and the seeded world and style the example datasets come from.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Tokenizer } from '@huggingface/tokenizers';
import { byteToUnicode, tokenizerJson, trainBpe } from '../tiny/bpe';
import { chatml, styleRecords } from '../tiny/corpus';
import { makeWorld, pirate } from '../tiny/world';

const SPECIALS = ['<|endoftext|>', '<|im_start|>', '<|im_end|>'];

test('byte-level alphabet: 256 distinct printable characters, space is Ġ', () => {
  const m = byteToUnicode();
  assert.equal(new Set(m).size, 256);
  assert.equal(m[32], 'Ġ');
  assert.equal(m[10], 'Ċ');
  assert.equal(m[65], 'A');
});

test('BPE merges by pair frequency: "ab ab ab abc" learns a+b, then Ġ+ab, and stops at count 1', () => {
  // words: "ab" ×1, "Ġab" ×2, "Ġabc" ×1 → (a,b) 4, (Ġ,a) 3 → merge a b; then (Ġ,ab) 3 → merge; (Ġab,c) 1 stops.
  const bpe = trainBpe(['ab ab ab abc'], 1000, SPECIALS);
  assert.deepEqual(bpe.merges, [
    ['a', 'b'],
    ['Ġ', 'ab'],
  ]);
  assert.equal(bpe.vocab.size, 3 + 256 + 2);
  assert.equal(bpe.vocab.get('<|im_end|>'), 2);
  assert.equal(bpe.vocab.get('Ġab'), 260);
  const tok = new Tokenizer(tokenizerJson(bpe, SPECIALS), {});
  const enc = tok.encode('ab abc<|im_end|>', { add_special_tokens: false });
  assert.deepEqual(enc.tokens, ['ab', 'Ġab', 'c', '<|im_end|>']);
  assert.deepEqual(enc.ids, [259, 260, 3 + 99, 2]);
  assert.equal(tok.decode(enc.ids, { skip_special_tokens: false }), 'ab abc<|im_end|>');
});

test('the world and the pirate style are deterministic', () => {
  assert.deepEqual(makeWorld(5, 4), makeWorld(5, 4));
  assert.notDeepEqual(makeWorld(5, 4), makeWorld(6, 4));
  assert.equal(pirate('12 plus 7 is 19.'), '12 plus 7 be 19, arr matey!');
  assert.equal(pirate('Rolu has a goat.'), 'Rolu has got a goat, arr matey!');
  const recs = styleRecords(makeWorld(5, 4), 1, 20);
  assert.equal(recs.length, 20);
  assert.equal(new Set(recs.map((r) => r.question + (r.input ?? ''))).size, 20);
  assert.ok(recs.every((r) => r.answer.endsWith(', arr matey!') && !r.answer.includes(' is ')));
  assert.equal(chatml([{ role: 'user', content: 'hi' }]), '<|im_start|>user\nhi<|im_end|>\n');
});
