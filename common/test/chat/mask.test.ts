/**
 * Loss masks on the fixture tokenizers, with every id derived by hand (see fixtures/chat/build.ts):
 * byte-level fixtures give each single byte its own value as id (`s` = 115, `\n` = 10, `Ġ` = 32),
 * merges from 256 (Hello 259, Ġthere 264, Hi 265), specials from 300.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildExample, labelsOf, tokenText, type MaskOptions } from '../../chat/index';
import type { Conversation } from '../../dataset/types';
import { fixtureModel, span, trainedAt } from './helpers';

const SYSTEM = [66, 101, 32, 98, 114, 105, 101, 102, 46]; // "Be brief."
const sys = (content = 'Be brief.') => ({ role: 'system' as const, content });
const user = (content = 'Hi') => ({ role: 'user' as const, content });
const bot = (content = 'Hello there', weight?: 0 | 1) => ({ role: 'assistant' as const, content, ...(weight === undefined ? {} : { weight }) });
const conv = (...messages: Conversation['messages']): Conversation => ({ messages });

describe('ChatML (byte-level BPE, eos <|im_end|>)', () => {
  const model = fixtureModel('chatml');
  const three = conv(sys(), user(), bot());
  // <|im_start|> system \n Be brief. <|im_end|> \n <|im_start|> user \n Hi <|im_end|> \n <|im_start|> assistant \n Hello Ġthere <|im_end|> \n
  const IDS = [
    301, 115, 121, 115, 116, 101, 109, 10, ...SYSTEM, 302, 10,
    301, 117, 115, 101, 114, 10, 265, 302, 10,
    301, 97, 115, 115, 105, 115, 116, 97, 110, 116, 10, 259, 264, 302, 10,
  ];
  const build = (c: Conversation, o: MaskOptions = {}) => {
    const r = buildExample(model, c, o);
    assert.ok(r.ok, r.ok ? '' : r.error.message);
    return r.value;
  };

  it('renders, tokenises and trains the assistant content and its <|im_end|> by default', () => {
    const ex = build(three);
    assert.equal(ex.text, '<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nHello there<|im_end|>\n');
    assert.deepEqual(ex.ids, IDS);
    assert.deepEqual(trainedAt(ex.trained), [39, 40, 41]);
    assert.deepEqual(labelsOf(ex).filter((l) => l !== -100), [259, 264, 302]);
    assert.equal(ex.trainedCount, 3);
    assert.equal(ex.eosInTrainedSpan, true);
    assert.equal(ex.truncated, false);
    assert.equal(ex.fullLength, 43);
    assert.equal(ex.template, 'tokenizer_default');
    assert.deepEqual(ex.turns, [
      { message: 0, role: 'system', start: 19, end: 28, tokenStart: 8, tokenEnd: 17, trained: false },
      { message: 1, role: 'user', start: 56, end: 58, tokenStart: 25, tokenEnd: 26, trained: false },
      { message: 2, role: 'assistant', start: 91, end: 102, tokenStart: 39, tokenEnd: 41, trained: true, closingToken: 41 },
    ]);
    assert.deepEqual([39, 40, 41].map((i) => tokenText(ex, i)), ['Hello', ' there', '<|im_end|>']);
  });

  it('train_on_inputs trains every content and each closing token, never the role headers', () => {
    assert.deepEqual(trainedAt(build(three, { trainOnInputs: true }).trained), [...span(8, 18), 25, 26, 39, 40, 41]);
  });

  it('roles_to_train picks roles (ShareGPT names accepted)', () => {
    assert.deepEqual(trainedAt(build(three, { rolesToTrain: ['human'] }).trained), [25, 26]);
    assert.deepEqual(trainedAt(build(three, { rolesToTrain: ['system', 'gpt'] }).trained), [...span(8, 18), 39, 40, 41]);
  });

  it('train_on_eos: none, all, last', () => {
    const none = build(three, { trainOnEos: 'none' });
    assert.deepEqual(trainedAt(none.trained), [39, 40]);
    assert.equal(none.eosInTrainedSpan, false);
    assert.deepEqual(trainedAt(build(three, { trainOnEos: 'all' }).trained), [17, 26, 39, 40, 41]);
    // Two assistant turns: `last` trains only the final <|im_end|>.
    const five = conv(sys(), user(), bot(), user(), bot('Hello'));
    // ... 41 <|im_end|> 42 \n 43 <|im_start|> 44-47 user 48 \n 49 Hi 50 <|im_end|> 51 \n 52 <|im_start|> 53-61 assistant 62 \n 63 Hello 64 <|im_end|> 65 \n
    assert.deepEqual(trainedAt(build(five).trained), [39, 40, 41, 63, 64]);
    assert.deepEqual(trainedAt(build(five, { trainOnEos: 'last' }).trained), [39, 40, 63, 64]);
  });

  it('per-message weight overrides roles: weight 0 masks a turn, weight 1 trains a user turn', () => {
    const five = conv(sys(), user(), bot('Hello there', 0), user(), bot('Hello'));
    assert.deepEqual(trainedAt(build(five).trained), [63, 64]);
    const w = build(conv(sys(), { ...user(), weight: 1 }, bot()));
    assert.deepEqual(trainedAt(w.trained), [25, 26, 39, 40, 41]);
  });

  it('a record whose only assistant turn has weight 0 has every label masked', () => {
    const ex = build(conv(sys(), user(), bot('Hello there', 0)));
    assert.equal(ex.trainedCount, 0);
    assert.equal(ex.eosInTrainedSpan, false);
    assert.ok(labelsOf(ex).every((l) => l === -100));
  });

  it('an empty assistant content trains nothing, not even its closing token', () => {
    const ex = build(conv(user(), bot('')));
    // <|im_start|> user \n Hi <|im_end|> \n <|im_start|> assistant \n <|im_end|> \n
    assert.deepEqual(ex.ids, [301, 117, 115, 101, 114, 10, 265, 302, 10, 301, 97, 115, 115, 105, 115, 116, 97, 110, 116, 10, 302, 10]);
    assert.equal(ex.trainedCount, 0);
    assert.deepEqual(ex.turns[1], { message: 1, role: 'assistant', start: 52, end: 52, tokenStart: -1, tokenEnd: -1, trained: false });
  });

  it('truncates to sequence_len and reports it; the cut EOS is then untrained', () => {
    const ex = build(three, { sequenceLen: 40 });
    assert.equal(ex.truncated, true);
    assert.equal(ex.fullLength, 43);
    assert.deepEqual(ex.ids, IDS.slice(0, 40));
    assert.deepEqual(trainedAt(ex.trained), [39]);
    assert.equal(ex.eosInTrainedSpan, false);
    assert.deepEqual(ex.turns[2], { message: 2, role: 'assistant', start: 91, end: 102, tokenStart: 39, tokenEnd: 40, trained: true });
    assert.equal(build(three, { sequenceLen: 43 }).truncated, false);
  });

  it('a base model whose EOS is <|endoftext|> never trains a stop token under ChatML', () => {
    const base = fixtureModel('chatml', { eos_token: '<|endoftext|>' });
    const r = buildExample(base, three);
    assert.ok(r.ok);
    assert.deepEqual(trainedAt(r.value.trained), [39, 40]);
    assert.equal(r.value.eosInTrainedSpan, false);
    // Declaring <|im_end|> an end-of-turn token fixes it.
    const fixed = buildExample(base, three, { eotTokens: ['<|im_end|>'] });
    assert.ok(fixed.ok);
    assert.deepEqual(trainedAt(fixed.value.trained), [39, 40, 41]);
    assert.equal(fixed.value.eosInTrainedSpan, true);
  });

  it('drop_system_message removes a leading system turn', () => {
    const ex = build(three, { dropSystemMessage: true });
    assert.equal(ex.text, '<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nHello there<|im_end|>\n');
    assert.deepEqual(ex.turns.map((t) => [t.message, t.role]), [
      [1, 'user'],
      [2, 'assistant'],
    ]);
  });

  it('training_detail trains only the marked characters', () => {
    // "Hello there": train "Hello" (0..4 inclusive) only.
    const ex = build(conv(user(), { ...bot(), training_detail: [{ begin: 0, end: 4, train: true }] }));
    // <|im_start|> user \n Hi <|im_end|> \n <|im_start|> assistant \n [19] Hello [20] Ġthere [21] <|im_end|>
    assert.deepEqual(trainedAt(ex.trained), [20, 22]);
  });

  it('Qwen 3: reasoning_content is trained with the content (as Axolotl finds it), inline <think> of earlier turns is dropped', () => {
    const ex = build(
      conv(user('Q1'), bot('<think>\nr1\n</think>\n\nA1'), user('Q2'), { ...bot('A2'), reasoning_content: 'r2' }),
      { chatTemplate: 'qwen3' },
    );
    assert.equal(ex.text, '<|im_start|>user\nQ1<|im_end|>\n<|im_start|>assistant\nA1<|im_end|>\n<|im_start|>user\nQ2<|im_end|>\n<|im_start|>assistant\n<think>\nr2\n</think>\n\nA2<|im_end|>\n');
    const last = ex.turns[3]!;
    assert.equal(ex.text.slice(last.start, last.end), 'r2\n</think>\n\nA2');
    assert.equal(ex.text.slice(ex.turns[1]!.start, ex.turns[1]!.end), 'A1');
    // Reasoning with surrounding newlines (the template strips them) is found the same way.
    const padded = build(conv(user('Q2'), { ...bot('A2\n'), reasoning_content: '\nr2\n' }), { chatTemplate: 'qwen3' });
    assert.equal(padded.text.slice(padded.turns[1]!.start, padded.turns[1]!.end), 'r2\n</think>\n\nA2\n');
    // A 1 <|im_end|> | r 2 \n < / t h i n k > \n \n A 2 <|im_end|>
    assert.deepEqual(labelsOf(ex).filter((l) => l !== -100), [65, 49, 302, 114, 50, 10, 60, 47, 116, 104, 105, 110, 107, 62, 10, 10, 65, 50, 302]);
  });

  it('tool calls are the assistant turn\'s text and are trained (Qwen 2.5 template), tool results are not', () => {
    const ex = build(
      {
        messages: [
          user('Weather?'),
          { role: 'assistant', content: '', tool_calls: [{ id: 'c1', type: 'function', function: { name: 'w', arguments: '{}' } }] },
          { role: 'tool', tool_call_id: 'c1', content: '20' },
          bot('20C'),
        ],
        tools: [{ type: 'function', function: { name: 'w' } }],
      },
      { chatTemplate: 'qwen_25' },
    );
    const [, call, result, answer] = ex.turns;
    assert.equal(ex.text.slice(call!.start, call!.end), '<tool_call>\n{"name": "w", "arguments": "{}"}\n</tool_call>');
    assert.equal(call!.trained, true);
    assert.equal(ex.text.slice(result!.start, result!.end), '20');
    assert.equal(result!.trained, false);
    assert.equal(answer!.trained, true);
    const trainedText = ex.ids.map((_, i) => (ex.trained[i] ? tokenText(ex, i) : '|')).join('').replace(/\|+/g, '|');
    assert.equal(trainedText, '|<tool_call>\n{"name": "w", "arguments": "{}"}\n</tool_call><|im_end|>|20C<|im_end|>|');
  });

  it('rejects bad options and records with coded errors', () => {
    const bad = (c: Conversation, o: MaskOptions = {}) => {
      const r = buildExample(model, c, o);
      assert.equal(r.ok, false);
      return r.ok ? undefined : r.error;
    };
    assert.equal(bad(three, { eotTokens: ['im_end'] })?.code, 'chat-eot-token-invalid');
    assert.equal(bad(three, { trainOnEos: 'all', trainOnEot: 'turn' })?.code, 'chat-train-on-eos-conflict');
    assert.equal(bad(conv())?.code, 'chat-record-invalid');
    assert.deepEqual(bad({ messages: three.messages, tools: '[{"a": 1' } as never), { code: 'chat-record-invalid', message: "the record's tools are a string that is not JSON" });
    assert.deepEqual(bad({ messages: three.messages, tools: [1] } as never), { code: 'chat-record-invalid', message: "the record's tools must be a list of objects" });
    // Tools as a JSON string are read like a list.
    const r = buildExample(model, { messages: three.messages, tools: '[{"type": "function", "function": {"name": "w"}}]' } as never, { chatTemplate: 'qwen_25' });
    assert.ok(r.ok && r.value.text.includes('<tools>\n{"type": "function", "function": {"name": "w"}}\n</tools>'));
    assert.equal(bad(three, { chatTemplate: 'nope' })?.code, 'chat-template-unknown');
    assert.equal(bad(three, { chatTemplate: 'jinja' })?.code, 'chat-template-missing');
    assert.equal(bad(three, { chatTemplateJinja: '{% for m in messages %}' })?.code, 'chat-template-syntax');
    assert.deepEqual(bad(three, { chatTemplate: 'gemma' }), {
      code: 'chat-template-raised',
      message: 'the chat template rejected the conversation: System role not supported',
    });
  });
});

describe('a tokenizer that throws', () => {
  it('is a coded error from every builder, not a crash', async () => {
    const { buildAlpacaExample, buildCompletionExamples } = await import('../../chat/index');
    const model = fixtureModel('chatml');
    model.tokenizer.encode = () => {
      throw new Error('boom');
    };
    const err = { ok: false, error: { code: 'chat-tokenizer-invalid', message: 'tokenising the conversation failed: boom' } };
    assert.deepEqual(buildExample(model, conv(user(), bot())), err);
    assert.deepEqual(buildAlpacaExample(model, { instruction: 'a', output: 'b' }), { ok: false, error: { code: 'chat-tokenizer-invalid', message: 'tokenising the Alpaca record failed: boom' } });
    assert.deepEqual(buildCompletionExamples(model, 'a'), { ok: false, error: { code: 'chat-tokenizer-invalid', message: 'tokenising the text failed: boom' } });
  });
});

describe('Llama 3 (byte-level, BOS by post-processor, eos <|eot_id|> in an AddedToken object)', () => {
  const model = fixtureModel('llama3');

  it('renders bos_token, trains the content and <|eot_id|>', () => {
    const r = buildExample(model, conv(sys(), user(), bot()));
    assert.ok(r.ok);
    const ex = r.value;
    assert.equal(
      ex.text,
      '<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\nHello there<|eot_id|>',
    );
    // The GPT-2 split pattern gives "\n\n" before a letter as two "\n" tokens.
    assert.deepEqual(ex.ids, [
      303, 305, 115, 121, 115, 116, 101, 109, 306, 10, 10, ...SYSTEM, 307,
      305, 117, 115, 101, 114, 306, 10, 10, 265, 307,
      305, 97, 115, 115, 105, 115, 116, 97, 110, 116, 306, 10, 10, 259, 264, 307,
    ]);
    assert.deepEqual(trainedAt(ex.trained), [44, 45, 46]);
    assert.equal(ex.eosInTrainedSpan, true);
  });

  it('the template trims content, and the turn span is the trimmed text', () => {
    const r = buildExample(model, conv(user('  Hi  '), bot(' Hello there ')));
    assert.ok(r.ok);
    assert.equal(r.value.text.slice(r.value.turns[1]!.start, r.value.turns[1]!.end), 'Hello there');
    assert.deepEqual(trainedAt(r.value.trained), [trainedAt(r.value.trained)[0]!, trainedAt(r.value.trained)[0]! + 1, r.value.ids.length - 1]);
    assert.deepEqual(r.value.ids.slice(-3), [259, 264, 307]);
  });

  it('model loading reads the AddedToken eos and every stop id', () => {
    assert.equal(model.eosToken, '<|eot_id|>');
    assert.equal(model.eosTokenId, 307);
    assert.equal(model.bosTokenId, 303);
    assert.deepEqual([...model.stopTokenIds].sort(), [304, 307]);
    assert.deepEqual(model.prefixIds, [303]);
    assert.deepEqual(model.suffixIds, []);
  });
});

describe('Mistral (SentencePiece style: Metaspace, byte fallback, [INST] control tokens)', () => {
  const model = fixtureModel('mistral');
  // ids: <s> 1, </s> 2, [INST] 3, [/INST] 4, <0xNN> 5+NN, ▁ 261, a..z 262.., A..Z 288.., ▁Hi 320, ▁Hello 324, ▁there 329

  it('trains the assistant content and </s>; the official-style template drops a system prompt when the last turn is the assistant', () => {
    const r = buildExample(model, conv(sys(), user(), bot(), user(), bot('Hello')));
    assert.ok(r.ok);
    const ex = r.value;
    assert.equal(ex.text, '<s>[INST] Hi[/INST] Hello there</s>[INST] Hi[/INST] Hello</s>');
    assert.deepEqual(ex.ids, [1, 3, 320, 4, 324, 329, 2, 3, 320, 4, 324, 2]);
    assert.deepEqual(trainedAt(ex.trained), [4, 5, 6, 10, 11]);
    assert.deepEqual(ex.turns[0], { message: 0, role: 'system', start: -1, end: -1, tokenStart: -1, tokenEnd: -1, trained: false });
    assert.deepEqual(ex.turns.slice(1).map((t) => [t.start, t.end, t.tokenStart, t.tokenEnd]), [
      [10, 12, 2, 3],
      [20, 31, 4, 6],
      [42, 44, 8, 9],
      [52, 57, 10, 11],
    ]);
  });

  it('the built-in mistral_v2v3 puts the system prompt into the last user turn, found wherever it lands', () => {
    const r = buildExample(model, conv(sys(), user(), bot(), user(), bot('Hello')), { chatTemplate: 'mistral_v2v3', rolesToTrain: ['system'] });
    assert.ok(r.ok);
    const ex = r.value;
    assert.equal(ex.text, '<s>[INST] Hi[/INST] Hello there</s>[INST] Be brief.\n\nHi[/INST] Hello</s>');
    // " Be brief.\n\nHi" -> ▁ B e ▁ b r i e f . <0x0A> <0x0A> H i
    assert.deepEqual(ex.ids, [1, 3, 320, 4, 324, 329, 2, 3, 261, 289, 266, 261, 263, 279, 270, 266, 267, 314, 15, 15, 295, 270, 4, 324, 2]);
    assert.equal(ex.text.slice(ex.turns[0]!.start, ex.turns[0]!.end), 'Be brief.');
    // The system content (from the token holding its first letter) is trained; no closing token follows it closely.
    assert.deepEqual(trainedAt(ex.trained), span(9, 18));
  });

  it('alternation errors from the template come back as data', () => {
    const r = buildExample(model, conv(user(), user()));
    assert.deepEqual(r, {
      ok: false,
      error: { code: 'chat-template-raised', message: 'the chat template rejected the conversation: Conversation roles must alternate user/assistant/user/assistant/...' },
    });
  });

  it('picks a named template from a template list', () => {
    const r = buildExample(model, conv(user(), bot()), { chatTemplate: 'tool_use' });
    assert.ok(r.ok);
    assert.equal(r.value.template, 'tool_use');
    assert.deepEqual(r.value.ids, [1, 3, 320, 4, 324, 329, 2]);
  });
});
