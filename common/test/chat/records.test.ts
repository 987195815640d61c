/** Config keys to builder options, dispatch by record kind, the CLI token view and the pre-flight summary. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildExample, buildExamples, datasetTypeOf, exampleOptionsFromConfig, maskRuns, MaskSummary, recordFindings, tokenViews } from '../../chat/index';
import { fixtureModel } from './helpers';

describe('dataset types', () => {
  it('reads Axolotl type names', () => {
    assert.deepEqual(datasetTypeOf(undefined), { kind: 'chat_template' });
    assert.deepEqual(datasetTypeOf('chat_template'), { kind: 'chat_template' });
    assert.deepEqual(datasetTypeOf('chat_template.default'), { kind: 'chat_template' });
    assert.deepEqual(datasetTypeOf('alpaca'), { kind: 'alpaca', style: 'instruct', system: 'default' });
    assert.deepEqual(datasetTypeOf('alpaca:chatml'), { kind: 'alpaca', style: 'chatml', system: 'default' });
    assert.deepEqual(datasetTypeOf('alpaca_w_system.load_instruct'), { kind: 'alpaca', style: 'instruct', system: 'record' });
    assert.deepEqual(datasetTypeOf('alpaca_w_system'), { kind: 'alpaca', style: 'chat', system: 'record' });
    assert.deepEqual(datasetTypeOf('completion'), { kind: 'completion' });
    assert.deepEqual(datasetTypeOf('alpaca:pirate'), { kind: 'unsupported', type: 'alpaca:pirate' });
    assert.deepEqual(datasetTypeOf('oasst'), { kind: 'unsupported', type: 'oasst' });
    assert.deepEqual(datasetTypeOf({ system_prompt: 'S', format: '[INST] {instruction} [/INST]' }), {
      kind: 'alpaca',
      style: 'instruct',
      system: 'record',
      format: { turn: '[INST] {instruction} [/INST]', turnNoInput: '{instruction} ', system: '{system}' },
      systemPrompt: 'S',
    });
  });

  it('maps config and dataset keys to options, the dataset entry winning', () => {
    const o = exampleOptionsFromConfig(
      { train_on_inputs: false, sequence_len: 512, chat_template: 'chatml', eot_tokens: ['<|im_end|>'], chat_template_kwargs: { enable_thinking: false } },
      { type: 'chat_template', chat_template: 'llama3', roles_to_train: ['assistant', 'user'], train_on_eos: 'all', drop_system_message: true },
    );
    assert.deepEqual(o, {
      type: { kind: 'chat_template' },
      mask: {
        trainOnInputs: false,
        sequenceLen: 512,
        chatTemplate: 'llama3',
        rolesToTrain: ['assistant', 'user'],
        trainOnEos: 'all',
        eotTokens: ['<|im_end|>'],
        chatTemplateKwargs: { enable_thinking: false },
        dropSystemMessage: true,
      },
      alpaca: { trainOnInputs: false, sequenceLen: 512 },
      sequenceLen: 512,
    });
    assert.deepEqual(exampleOptionsFromConfig({}, { roles_to_train: ['bot', 'user'], roles: { assistant: ['bot', 'gpt'], user: ['human'] } }).mask.rolesToTrain, ['assistant', 'user']);
    assert.deepEqual(exampleOptionsFromConfig({ train_on_eos: 'bogus' }, { type: 'alpaca:chat', train_on_eos: 'sometimes' as never }), {
      type: { kind: 'alpaca', style: 'chat', system: 'default' },
      mask: {},
      alpaca: { style: 'chat', system: 'default' },
    });
  });
});

describe('buildExamples', () => {
  const model = fixtureModel('chatml');
  const chat = { kind: 'chat' as const, conversation: { messages: [{ role: 'user' as const, content: 'Hi' }, { role: 'assistant' as const, content: 'Hello there' }] } };
  const alpaca = { kind: 'alpaca' as const, alpaca: { instruction: 'Hi', output: 'Hello there' }, conversation: chat.conversation };

  it('dispatches on the dataset type', () => {
    const c = buildExamples(model, chat, exampleOptionsFromConfig({}, { type: 'chat_template' }));
    assert.ok(c.ok);
    assert.deepEqual(c.value.map((e) => e.trainedCount), [3]);
    const a = buildExamples(model, alpaca, exampleOptionsFromConfig({}, { type: 'alpaca:chatml', system_prompt: undefined } as never));
    assert.ok(a.ok);
    assert.equal(a.value[0]!.text.startsWith('<|im_start|>system\nBelow is an instruction that describes a task.'), true);
    // An Alpaca record under chat_template renders its chat view.
    const ac = buildExamples(model, alpaca, exampleOptionsFromConfig({}, {}));
    assert.ok(ac.ok);
    assert.equal(ac.value[0]!.text, '<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nHello there<|im_end|>\n');
    const t = buildExamples(model, { kind: 'completion', text: 'Hello there' }, exampleOptionsFromConfig({ sequence_len: 2 }, { type: 'completion' }));
    assert.ok(t.ok);
    assert.deepEqual(t.value.map((e) => e.ids), [[259, 264], [302]]);
  });

  it('wrong record kinds and unsupported types are coded errors', () => {
    const err = (r: ReturnType<typeof buildExamples>) => (r.ok ? undefined : r.error);
    assert.deepEqual(err(buildExamples(model, chat, exampleOptionsFromConfig({}, { type: 'alpaca' }))), {
      code: 'chat-record-invalid',
      message: 'a chat record under an Alpaca type (it needs instruction and output)',
    });
    assert.equal(err(buildExamples(model, chat, exampleOptionsFromConfig({}, { type: 'completion' })))?.code, 'chat-record-invalid');
    assert.equal(err(buildExamples(model, { kind: 'completion', text: 'x' }, exampleOptionsFromConfig({}, {})))?.code, 'chat-record-invalid');
    assert.match(err(buildExamples(model, chat, exampleOptionsFromConfig({}, { type: 'oasst' })))?.message ?? '', /dataset type "oasst" is not supported/);
  });
});

describe('token views and the pre-flight summary', () => {
  const model = fixtureModel('chatml');

  it('token views never repeat a character split over tokens', () => {
    const r = buildExample(model, { messages: [{ role: 'user', content: 'é' }, { role: 'assistant', content: 'Hi' }] });
    assert.ok(r.ok);
    const v = tokenViews(r.value);
    assert.equal(v.map((t) => t.text).join(''), r.value.text);
    assert.deepEqual(v.slice(6, 8), [
      { id: 195, text: 'é', trained: false },
      { id: 169, text: '', trained: false },
    ]);
    assert.deepEqual(v.filter((t) => t.trained), [
      { id: 265, text: 'Hi', trained: true },
      { id: 302, text: '<|im_end|>', trained: true },
    ]);
  });

  it('mask runs cover the text in alternating trained / masked pieces', () => {
    const r = buildExample(model, { messages: [{ role: 'user', content: 'Hi' }, { role: 'assistant', content: 'Hello there' }] });
    assert.ok(r.ok);
    const runs = maskRuns(r.value);
    assert.deepEqual(
      runs.map((x) => [r.value.text.slice(x.start, x.end), x.trained]),
      [
        ['<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n', false],
        ['Hello there<|im_end|>', true],
        ['\n', false],
      ],
    );
    // Text no token covers (a truncated tail) is masked.
    const cut = buildExample(model, { messages: [{ role: 'user', content: 'Hi' }, { role: 'assistant', content: 'Hello there' }] }, { sequenceLen: 21 });
    assert.ok(cut.ok);
    assert.deepEqual(
      maskRuns(cut.value).map((x) => [cut.value.text.slice(x.start, x.end), x.trained]),
      [
        ['<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n', false],
        ['Hello', true],
        [' there<|im_end|>\n', false],
      ],
    );
  });

  it('finds all-masked and truncated records, and a file that never trains a stop token', () => {
    const base = fixtureModel('chatml', { eos_token: '<|endoftext|>' });
    const build = (content: string, weight?: 0 | 1, sequenceLen?: number) => {
      const r = buildExample(base, { messages: [{ role: 'user', content: 'Hi' }, { role: 'assistant', content, ...(weight === undefined ? {} : { weight }) }] }, sequenceLen ? { sequenceLen } : {});
      assert.ok(r.ok);
      return r.value;
    };
    const summary = new MaskSummary();
    summary.add(0, [build('Hello there')]);
    summary.add(1, [build('Hello there', 0)]);
    summary.add(2, [build('Hello there', undefined, 20)]);
    summary.add(3, { message: 'the chat template rejected the conversation: nope' });
    assert.deepEqual(summary.findings(), [
      {
        code: 'mask-all-labels-masked',
        severity: 'warning',
        record: 1,
        message: 'every label of this record is masked: it adds nothing to training (no trained role, weight 0, empty or cut-off assistant turns)',
      },
      { code: 'mask-all-labels-masked', severity: 'warning', record: 2, message: 'every label of this record is masked: it adds nothing to training (no trained role, weight 0, empty or cut-off assistant turns)' },
      {
        code: 'mask-truncated',
        severity: 'warning',
        record: 2,
        message: 'this record is 24 tokens, longer than sequence_len (20): Axolotl drops it by default (excess_length_strategy), or it is cut',
      },
      { code: 'mask-record-failed', severity: 'error', record: 3, message: 'the chat template rejected the conversation: nope' },
      {
        code: 'mask-eos-never-trained',
        severity: 'warning',
        message:
          "no record trains an end-of-turn or EOS token, so the model never learns to stop: check train_on_eos / train_on_eot, eot_tokens, and that the tokenizer's eos_token is the token the template ends turns with",
      },
    ]);
    assert.deepEqual(summary.stats(), {
      records: 4,
      examples: 3,
      failed: 1,
      tokens: 68,
      trainedTokens: 2,
      trainedShare: 2 / 68,
      allMaskedRecords: 2,
      truncatedRecords: 1,
      examplesWithEosTrained: 0,
      length: { min: 20, max: 24, mean: 68 / 3, p50: 24, p95: 24 },
    });
    assert.deepEqual(recordFindings(0, [build('Hello there')]), []);
    const mistral = fixtureModel('mistral');
    const dropped = buildExample(mistral, { messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hi' }, { role: 'assistant', content: 'Hello' }] });
    assert.ok(dropped.ok);
    assert.deepEqual(recordFindings(7, [dropped.value]), [
      {
        code: 'mask-message-not-rendered',
        severity: 'warning',
        record: 7,
        message: "the chat template leaves out message 1 (system): the model never sees it (Mistral's template drops a system prompt unless the conversation ends with a user turn)",
      },
    ]);
  });
});
