/**
 * Seeded random conversations (mixed scripts, emoji, whitespace runs, literal control tokens,
 * empty turns) through every built-in template on every fixture tokenizer: buildExample never
 * throws, and every result keeps the invariants the view and the trainer rely on.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BUILTIN_TEMPLATES, buildExample, labelsOf, tokenViews } from '../../chat/index';
import type { Conversation, Message } from '../../dataset/types';
import { fixtureModel } from './helpers';

let seed = 20261128;
const rand = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 4294967296);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
const PIECES = ['Hello', ' there', 'Hi', ' ', '  ', '\n', '\n\n', '\t', 'é', '数据', '😀', '<|im_end|>', '[INST]', '</s>', '<s>', '<|eot_id|>', 'a', '.', '?', '{{ x }}', '\u00a0', 'Ω'];
const text = () => Array.from({ length: Math.floor(rand() * 6) }, () => pick(PIECES)).join('');

function conversation(): Conversation {
  const messages: Message[] = [];
  if (rand() < 0.4) messages.push({ role: 'system', content: text() });
  const turns = 1 + Math.floor(rand() * 3);
  for (let t = 0; t < turns; t++) {
    messages.push({ role: 'user', content: text() });
    const m: Message = { role: 'assistant', content: text() };
    if (rand() < 0.15) m.weight = rand() < 0.5 ? 0 : 1;
    messages.push(m);
  }
  return { messages };
}

describe('fuzzed conversations', () => {
  it('keep the invariants on every template and tokenizer', () => {
    const models = [fixtureModel('chatml'), fixtureModel('llama3'), fixtureModel('mistral')];
    let built = 0;
    const names = Object.keys(BUILTIN_TEMPLATES);
    for (let n = 0; n < 40; n++) {
      const conv = conversation();
      for (const model of models)
        for (const name of [pick(names), pick(names), pick(names), pick(names)]) {
          const r = buildExample(model, conv, { chatTemplate: name, trainOnEos: pick(['turn', 'all', 'last', 'none'] as const), sequenceLen: rand() < 0.2 ? 20 : undefined });
          if (!r.ok) {
            assert.ok(['chat-template-raised', 'chat-eot-token-invalid'].includes(r.error.code), `${name}: ${r.error.code} ${r.error.message}`);
            continue;
          }
          built++;
          const ex = r.value;
          assert.equal(ex.ids.length, ex.trained.length);
          assert.equal(ex.ids.length, ex.offsets.length);
          assert.ok(ex.ids.length <= ex.fullLength);
          assert.equal(ex.trainedCount, ex.trained.filter(Boolean).length);
          assert.equal(labelsOf(ex).filter((l) => l !== -100).length, ex.trainedCount);
          if (!ex.truncated) assert.equal(tokenViews(ex).map((t) => t.text).join(''), ex.text, `${name}: token texts cover the text`);
          for (let i = 0; i < ex.offsets.length; i++) {
            const [s, e] = ex.offsets[i]!;
            assert.ok(s >= 0 && s <= e && e <= ex.text.length);
            if (i > 0) assert.ok(s >= ex.offsets[i - 1]![0]);
          }
          const allowed = new Set<number>();
          for (const t of ex.turns) {
            if (t.start >= 0) assert.ok(t.start <= t.end && t.end <= ex.text.length);
            if (t.trained) for (let k = t.tokenStart; k < t.tokenEnd; k++) allowed.add(k);
            if (t.closingToken !== undefined) allowed.add(t.closingToken);
          }
          ex.trained.forEach((tr, i) => tr && assert.ok(allowed.has(i), `${name}: token ${i} trained outside a turn`));
          // Weight 0 turns are never trained.
          ex.turns.forEach((t) => conv.messages[t.message]?.weight === 0 && assert.equal(t.trained, false));
        }
    }
    assert.ok(built > 250, `built ${built}`);
  });
});
