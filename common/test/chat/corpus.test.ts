/**
 * The chat core on the real demo datasets in ../shared/corpus (skipped when absent): the empty
 * assistant turn of Axolotl's conversation.missingturns.json trains nothing, and over whole files
 * the invariants hold: token texts cover the rendered text exactly once, offsets are monotone,
 * and only assistant content and the tokens closing assistant turns are trained.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { buildAlpacaExample, buildExample, tokenViews, type ChatModel, type MaskedExample } from '../../chat/index';
import type { Conversation, Message } from '../../dataset/types';
import { fixtureModel } from './helpers';

const CORPUS = join(process.cwd(), '..', 'shared', 'corpus');
const skip = existsSync(CORPUS) ? false : `no corpus at ${CORPUS}`;
const ROLE: Record<string, Message['role']> = { human: 'user', gpt: 'assistant', system: 'system', user: 'user', assistant: 'assistant' };
const sharegpt = (c: { from: string; value: string }[]): Conversation => ({ messages: c.map((m) => ({ role: ROLE[m.from]!, content: m.value })) });

function checkInvariants(model: ChatModel, ex: MaskedExample): void {
  assert.equal(tokenViews(ex).map((t) => t.text).join(''), ex.text);
  for (let i = 1; i < ex.offsets.length; i++) assert.ok(ex.offsets[i]![0] >= ex.offsets[i - 1]![0], `offsets monotone at ${i}`);
  const allowed = new Set<number>();
  for (const t of ex.turns) {
    if (t.role !== 'assistant' || !t.trained) continue;
    for (let k = t.tokenStart; k < t.tokenEnd; k++) allowed.add(k);
    if (t.closingToken !== undefined) allowed.add(t.closingToken);
  }
  ex.trained.forEach((tr, i) => tr && assert.ok(allowed.has(i), `token ${i} trained outside an assistant turn`));
  assert.equal(ex.eosInTrainedSpan, ex.ids.some((id, i) => ex.trained[i] && id === model.eosTokenId));
}

describe('chat core on the shared corpus', { skip }, () => {
  const models = { chatml: fixtureModel('chatml'), llama3: fixtureModel('llama3'), mistral: fixtureModel('mistral') };

  it('the empty gpt turn of conversation.missingturns.json trains nothing; the other five do', () => {
    const rec = JSON.parse(readFileSync(join(CORPUS, 'sharegpt', 'axolotl-tests-fixtures', 'conversation.missingturns.json'), 'utf8')) as { conversations: { from: string; value: string }[] };
    for (const model of Object.values(models)) {
      const r = buildExample(model, sharegpt(rec.conversations));
      assert.ok(r.ok, r.ok ? '' : r.error.message);
      const assistant = r.value.turns.filter((t) => t.role === 'assistant');
      assert.equal(assistant.length, 6);
      assert.deepEqual(assistant.map((t) => t.trained), [false, true, true, true, true, true]);
      assert.equal(assistant[0]!.tokenStart, -1);
      // Each non-empty assistant turn closes with a trained EOS.
      assert.equal(r.value.ids.filter((id, i) => r.value.trained[i] && id === model.eosTokenId).length, 5);
      checkInvariants(model, r.value);
    }
  });

  it('FastChat ShareGPT conversations and the OpenAI toy file keep the invariants', () => {
    const fast = JSON.parse(readFileSync(join(CORPUS, 'sharegpt', 'fastchat', 'dummy_conversation.json'), 'utf8')) as { conversations: { from: string; value: string }[] }[];
    const openai = readFileSync(join(CORPUS, 'openai', 'toy_chat_fine_tuning.jsonl'), 'utf8')
      .split('\n')
      .filter((l) => l.trim())
      .map((l) => JSON.parse(l) as Conversation);
    let n = 0;
    for (const model of [models.chatml, models.mistral]) {
      for (const conv of [...fast.slice(0, 30).map((r) => sharegpt(r.conversations)), ...openai]) {
        const r = buildExample(model, conv, model === models.mistral ? { chatTemplate: 'mistral_v2v3' } : {});
        if (!r.ok) {
          // Only the Mistral template may refuse (roles that do not alternate).
          assert.equal(r.error.code, 'chat-template-raised');
          continue;
        }
        checkInvariants(model, r.value);
        assert.ok(r.value.trainedCount > 0);
        n++;
      }
    }
    assert.ok(n >= 60, `checked ${n} conversations`);
  });

  it('Alpaca demo records: output and EOS trained, prompt masked', () => {
    const recs = JSON.parse(readFileSync(join(CORPUS, 'llamafactory-data', 'alpaca_en_demo.json'), 'utf8')) as { instruction: string; input: string; output: string }[];
    const model = models.llama3;
    for (const rec of recs.slice(0, 50)) {
      const r = buildAlpacaExample(model, rec);
      assert.ok(r.ok);
      const ex = r.value;
      const out = ex.turns[1]!;
      assert.equal(ex.text.slice(out.start, out.end), rec.output);
      assert.deepEqual(
        ex.trained.flatMap((t, i) => (t ? [i] : [])),
        Array.from({ length: ex.ids.length - out.tokenStart }, (_, k) => out.tokenStart + k),
      );
      assert.equal(ex.ids[0], 303);
      assert.equal(ex.ids[ex.ids.length - 1], 307);
      assert.equal(tokenViews(ex).map((t) => t.text).join(''), ex.text);
    }
  });
});
