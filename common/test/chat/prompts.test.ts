/** Alpaca prompts and completion text, tokenised as Axolotl does (ids derived by hand). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { alpacaPrompt, buildAlpacaExample, buildCompletionExamples, tokenText } from '../../chat/index';
import { fixtureModel, span, trainedAt } from './helpers';

// "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n" on the byte-level fixture
const CHATML_PROMPT = [301, 117, 115, 101, 114, 10, 265, 302, 10, 301, 97, 115, 115, 105, 115, 116, 97, 110, 116, 10];

describe('Alpaca prompts', () => {
  it('the instruct style with the default system prompts', () => {
    assert.equal(
      alpacaPrompt({ instruction: 'Add.', input: '1 2' }),
      'Below is an instruction that describes a task, paired with an input that provides further context. Write a response that appropriately completes the request.\n\n' +
        '### Instruction:\nAdd.\n\n### Input:\n1 2\n\n### Response:\n',
    );
    assert.equal(
      alpacaPrompt({ instruction: 'Add.', input: '' }),
      'Below is an instruction that describes a task. Write a response that appropriately completes the request.\n\n### Instruction:\nAdd.\n\n### Response:\n',
    );
  });

  it('chat, chatml and phi styles; the record system prompt (alpaca_w_system); none', () => {
    assert.equal(alpacaPrompt({ instruction: 'Add.', input: '1 2' }, { style: 'chat', system: 'none' }), 'USER: Add.\n1 2\nASSISTANT:');
    assert.equal(alpacaPrompt({ instruction: 'Add.' }, { style: 'chatml', system: 'none' }), '<|im_start|>user\nAdd.<|im_end|>\n<|im_start|>assistant\n');
    assert.equal(alpacaPrompt({ instruction: 'Add.' }, { style: 'phi', system: 'none' }), '<|user|>\nAdd.<|end|>\n<|assistant|>\n');
    assert.equal(
      alpacaPrompt({ instruction: 'Add.', system: 'Be exact.' }, { system: 'record' }),
      'Be exact.\n\n### Instruction:\nAdd.\n\n### Response:\n',
    );
    assert.equal(alpacaPrompt({ instruction: 'Add.', system: 'Be exact.' }, { style: 'chat', system: 'record' }), 'SYSTEM: Be exact.\nUSER: Add.\nASSISTANT:');
    assert.equal(
      alpacaPrompt({ instruction: 'Add.', input: '1 2' }, { format: { turn: '[{instruction}|{input}] ', turnNoInput: '[{instruction}] ', system: '<{system}>' }, system: 'record', systemPrompt: 'S' }),
      '<S>[Add.|1 2] ',
    );
    assert.equal(alpacaPrompt({ instruction: 'Add.' }, { system: 'record' }), '### Instruction:\nAdd.\n\n### Response:\n');
    assert.equal(
      alpacaPrompt({ instruction: 'Add.' }, { style: 'chatml' }),
      '<|im_start|>system\nBelow is an instruction that describes a task. Write a response that appropriately completes the request.<|im_end|>\n<|im_start|>user\nAdd.<|im_end|>\n<|im_start|>assistant\n',
    );
  });

  it('trains the output and the appended EOS only (ChatML fixture, no BOS)', () => {
    const r = buildAlpacaExample(fixtureModel('chatml'), { instruction: 'Hi', output: 'Hello there' }, { style: 'chatml', system: 'none' });
    assert.ok(r.ok);
    const ex = r.value;
    assert.equal(ex.text, '<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nHello there<|im_end|>');
    assert.deepEqual(ex.ids, [...CHATML_PROMPT, 259, 264, 302]);
    assert.deepEqual(trainedAt(ex.trained), [20, 21, 22]);
    assert.equal(ex.eosInTrainedSpan, true);
    assert.deepEqual(ex.turns, [
      { message: 0, role: 'user', start: 0, end: 52, tokenStart: 0, tokenEnd: 20, trained: false },
      { message: 1, role: 'assistant', start: 52, end: 63, tokenStart: 20, tokenEnd: 22, trained: true, closingToken: 22 },
    ]);
    assert.equal(tokenText(ex, 22), '<|im_end|>');
  });

  it('train_on_inputs trains the prompt too', () => {
    const r = buildAlpacaExample(fixtureModel('chatml'), { instruction: 'Hi', output: 'Hello there' }, { style: 'chatml', system: 'none', trainOnInputs: true });
    assert.ok(r.ok);
    assert.deepEqual(trainedAt(r.value.trained), span(0, 23));
  });

  it('BOS from the post-processor starts the prompt; the output gets no BOS and one EOS (Llama 3 fixture)', () => {
    const r = buildAlpacaExample(fixtureModel('llama3'), { instruction: 'Hi', output: 'Hello there' }, { style: 'chatml', system: 'none' });
    assert.ok(r.ok);
    assert.equal(r.value.text, '<|begin_of_text|><|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nHello there<|eot_id|>');
    assert.deepEqual(r.value.ids, [303, ...CHATML_PROMPT, 259, 264, 307]);
    assert.deepEqual(trainedAt(r.value.trained), [21, 22, 23]);
    assert.deepEqual(r.value.offsets[0], [0, 17]);
  });

  it('SentencePiece fixture: BOS, the ▁ prefix on the separately tokenised output, </s>', () => {
    const r = buildAlpacaExample(fixtureModel('mistral'), { instruction: 'Hi', output: 'Hello there' }, { style: 'chat', system: 'none' });
    assert.ok(r.ok);
    // "USER: Hi\nASSISTANT:" -> ▁ U S E R : ▁Hi <0x0A> A S S I S T A N T : ; output "Hello there" -> ▁Hello ▁there </s>
    assert.equal(r.value.text, '<s>USER: Hi\nASSISTANT:Hello there</s>');
    assert.deepEqual(r.value.ids, [1, 261, 308, 306, 292, 305, 5 + 0x3a, 320, 15, 288, 306, 306, 296, 306, 307, 288, 301, 307, 5 + 0x3a, 324, 329, 2]);
    assert.deepEqual(trainedAt(r.value.trained), [19, 20, 21]);
  });

  it('an empty output adds nothing (no EOS) and trains nothing', () => {
    const r = buildAlpacaExample(fixtureModel('chatml'), { instruction: 'Hi', output: '' }, { style: 'chatml', system: 'none' });
    assert.ok(r.ok);
    assert.deepEqual(r.value.ids, CHATML_PROMPT);
    assert.equal(r.value.trainedCount, 0);
    assert.equal(r.value.eosInTrainedSpan, false);
  });

  it('truncation is reported', () => {
    const r = buildAlpacaExample(fixtureModel('chatml'), { instruction: 'Hi', output: 'Hello there' }, { style: 'chatml', system: 'none', sequenceLen: 21 });
    assert.ok(r.ok);
    assert.equal(r.value.truncated, true);
    assert.equal(r.value.fullLength, 23);
    assert.deepEqual(trainedAt(r.value.trained), [20]);
    assert.equal(r.value.eosInTrainedSpan, false);
  });

  it('records without instruction or output are coded errors', () => {
    const m = fixtureModel('chatml');
    assert.deepEqual(buildAlpacaExample(m, { output: 'x' } as never), { ok: false, error: { code: 'chat-record-invalid', message: 'the Alpaca record has no "instruction" string' } });
    assert.deepEqual(buildAlpacaExample(m, { instruction: 'x' } as never), { ok: false, error: { code: 'chat-record-invalid', message: 'the Alpaca record has no "output" string' } });
  });
});

describe('completion text', () => {
  it('trains everything, appends EOS and splits into sequence_len pieces', () => {
    const r = buildCompletionExamples(fixtureModel('llama3'), 'Hello there Hi', { sequenceLen: 3 });
    assert.ok(r.ok);
    // <|begin_of_text|> Hello Ġthere | " Hi" is one pre-token: Ġ + (H i -> Hi), then <|eot_id|>
    assert.deepEqual(
      r.value.map((p) => [p.text, p.ids, p.trainedCount, p.eosInTrainedSpan]),
      [
        ['<|begin_of_text|>Hello there', [303, 259, 264], 3, false],
        [' Hi<|eot_id|>', [32, 265, 307], 3, true],
      ],
    );
    assert.deepEqual(r.value[1]!.offsets, [
      [0, 1],
      [1, 3],
      [3, 13],
    ]);
  });

  it('caps a text at 64 x sequence_len tokens as Axolotl does, without EOS, and reports the dropped tail', () => {
    // "Hi " x 100 -> BOS, Hi, then 99 x (Ġ, Hi) = 200 tokens; cap 64 x 2 = 128, cut in pieces of 2.
    const r = buildCompletionExamples(fixtureModel('llama3'), 'Hi'.concat(' Hi'.repeat(99)), { sequenceLen: 2 });
    assert.ok(r.ok);
    assert.equal(r.value.length, 64);
    const last = r.value[63]!;
    assert.deepEqual([last.ids, last.truncated, last.fullLength], [[32, 265], true, 74]);
    assert.equal(r.value.some((p) => p.ids.includes(307)), false);
    assert.equal(r.value.slice(0, 63).some((p) => p.truncated), false);
  });

  it('one piece without sequence_len', () => {
    const r = buildCompletionExamples(fixtureModel('chatml'), 'Hello');
    assert.ok(r.ok);
    assert.deepEqual(r.value.map((p) => [p.text, p.ids]), [['Hello<|im_end|>', [259, 302]]]);
  });
});
