/**
 * The config's special_tokens reach every builder through exampleOptionsFromConfig: a base model
 * under ChatML with `eos_token: "<|im_end|>"` trains its end-of-turn token, as Axolotl does and as
 * the config checker assumes.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { NormalizedRecord } from '../../dataset/types';
import { buildExamples, exampleOptionsFromConfig, maskSetupFindings, specialTokensFromConfig, withSpecialTokens } from '../../chat/index';
import { fixtureModel, trainedAt } from './helpers';

// The chatml fixture with the EOS of a base model (Qwen base models ship eos_token <|endoftext|>).
const base = fixtureModel('chatml', { eos_token: '<|endoftext|>' });
const EOS_OVERRIDE = { chat_template: 'chatml', special_tokens: { eos_token: '<|im_end|>' } };
const ENDOFTEXT = 300;
const IM_END = 302;

const chat: NormalizedRecord = {
  kind: 'chat',
  conversation: {
    messages: [
      { role: 'user', content: 'Hi' },
      { role: 'assistant', content: 'Hello' },
      { role: 'user', content: 'Bye' },
      { role: 'assistant', content: 'Ok' },
    ],
  },
} as NormalizedRecord;
// <|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nHello<|im_end|>\n<|im_start|>user\nBye<|im_end|>\n<|im_start|>assistant\nOk<|im_end|>\n
const CHAT_IDS = [
  301, 117, 115, 101, 114, 10, 265, 302, 10, 301, 97, 115, 115, 105, 115, 116, 97, 110, 116, 10, 259, 302, 10, 301, 117, 115, 101, 114, 10, 66, 121, 101, 302, 10, 301,
  97, 115, 115, 105, 115, 116, 97, 110, 116, 10, 79, 107, 302, 10,
];

function chatExample(config: Record<string, unknown>, trainOnEos: string) {
  const r = buildExamples(base, chat, exampleOptionsFromConfig(config, { type: 'chat_template', train_on_eos: trainOnEos }));
  assert.ok(r.ok, r.ok ? '' : r.error.message);
  assert.equal(r.value.length, 1);
  return r.value[0]!;
}

describe('special_tokens from the config', () => {
  it('reads bos/eos/pad/unk strings into both option sets, ignoring empty and non-string values', () => {
    assert.deepEqual(specialTokensFromConfig({ special_tokens: { eos_token: '<|im_end|>', pad_token: '<|endoftext|>', bos_token: '', unk_token: 3, sep_token: 'x' } }), {
      eosToken: '<|im_end|>',
      padToken: '<|endoftext|>',
    });
    assert.equal(specialTokensFromConfig({ special_tokens: ['<|im_end|>'] }), undefined);
    assert.equal(specialTokensFromConfig({ special_tokens: { bos_token: '' } }), undefined);
    assert.equal(specialTokensFromConfig({}), undefined);
    const o = exampleOptionsFromConfig(EOS_OVERRIDE, { type: 'alpaca' });
    assert.deepEqual(o.mask.specialTokens, { eosToken: '<|im_end|>' });
    assert.deepEqual(o.alpaca.specialTokens, { eosToken: '<|im_end|>' });
    assert.equal('specialTokens' in exampleOptionsFromConfig({ chat_template: 'chatml' }).mask, false);
  });

  it('trains <|im_end|> after each assistant turn under train_on_eos: turn once it is the EOS token', () => {
    const e = chatExample(EOS_OVERRIDE, 'turn');
    assert.deepEqual(e.ids, CHAT_IDS);
    // "Hello" <|im_end|> and "Ok" <|im_end|>; the user turns' <|im_end|> (7, 32) stay masked.
    assert.deepEqual(trainedAt(e.trained), [20, 21, 45, 46, 47]);
    assert.equal(e.ids[21], IM_END);
    assert.equal(e.ids[47], IM_END);
    assert.equal(e.eosInTrainedSpan, true);
    // Without the override the same record never trains a stop token: the base model never stops.
    const before = chatExample({ chat_template: 'chatml' }, 'turn');
    assert.deepEqual(before.ids, CHAT_IDS);
    assert.deepEqual(trainedAt(before.trained), [20, 45, 46]);
    assert.equal(before.eosInTrainedSpan, false);
  });

  it('follows train_on_eos last / all / none with the new EOS token', () => {
    assert.deepEqual(trainedAt(chatExample(EOS_OVERRIDE, 'last').trained), [20, 45, 46, 47]);
    assert.deepEqual(trainedAt(chatExample(EOS_OVERRIDE, 'all').trained), [7, 20, 21, 32, 45, 46, 47]);
    const none = chatExample(EOS_OVERRIDE, 'none');
    assert.deepEqual(trainedAt(none.trained), [20, 45, 46]);
    assert.equal(none.eosInTrainedSpan, false);
  });

  it('appends the new EOS token to Alpaca and completion records', () => {
    const alpaca = { kind: 'alpaca', alpaca: { instruction: 'Say hi', output: 'Hi' } } as NormalizedRecord;
    const a = buildExamples(base, alpaca, exampleOptionsFromConfig(EOS_OVERRIDE, { type: 'alpaca' }));
    assert.ok(a.ok);
    const ex = a.value[0]!;
    assert.deepEqual(ex.ids.slice(-3), [10, 265, IM_END]);
    assert.deepEqual(trainedAt(ex.trained), [ex.ids.length - 2, ex.ids.length - 1]);
    assert.equal(ex.eosInTrainedSpan, true);
    const plain = buildExamples(base, alpaca, exampleOptionsFromConfig({}, { type: 'alpaca' }));
    assert.ok(plain.ok);
    assert.deepEqual(plain.value[0]!.ids.slice(-3), [10, 265, ENDOFTEXT]);

    const completion = { kind: 'completion', text: 'Hello world' } as NormalizedRecord;
    const c = buildExamples(base, completion, exampleOptionsFromConfig(EOS_OVERRIDE, { type: 'completion' }));
    assert.ok(c.ok);
    assert.deepEqual(c.value[0]!.ids, [259, 32, 119, 111, 114, 108, 100, IM_END]);
  });

  it('agrees with the masking setup check: the end-of-turn warning goes away', () => {
    assert.deepEqual(maskSetupFindings(base, exampleOptionsFromConfig(EOS_OVERRIDE).mask), []);
    assert.deepEqual(
      maskSetupFindings(base, exampleOptionsFromConfig({ chat_template: 'chatml' }).mask).map((f) => f.code),
      ['mask-eos-not-in-template', 'mask-turn-end-not-trained'],
    );
  });

  it('refuses a token the vocabulary lacks with a coded error, in every builder and in the setup check', () => {
    const message =
      'special_tokens.eos_token "<|eot|>" is not a token of this tokenizer\'s vocabulary: Axolotl would add it as a new token (resizing the embeddings), which Tunelab does not model; use a token the vocabulary has or add the token to the model first';
    const cfg = { chat_template: 'chatml', special_tokens: { eos_token: '<|eot|>' } };
    assert.deepEqual(buildExamples(base, chat, exampleOptionsFromConfig(cfg)), { ok: false, error: { code: 'chat-special-token-unknown', message } });
    const alpaca = { kind: 'alpaca', alpaca: { instruction: 'Say hi', output: 'Hi' } } as NormalizedRecord;
    assert.deepEqual(buildExamples(base, alpaca, exampleOptionsFromConfig(cfg, { type: 'alpaca' })), { ok: false, error: { code: 'chat-special-token-unknown', message } });
    const completion = { kind: 'completion', text: 'Hi' } as NormalizedRecord;
    assert.deepEqual(buildExamples(base, completion, exampleOptionsFromConfig(cfg, { type: 'completion' })), {
      ok: false,
      error: { code: 'chat-special-token-unknown', message },
    });
    assert.deepEqual(maskSetupFindings(base, exampleOptionsFromConfig(cfg).mask), [{ code: 'mask-setup-invalid', severity: 'error', message }]);
    // Text that the vocabulary only spells with several tokens is not one token either.
    const multi = withSpecialTokens(base, { padToken: 'Hello there' });
    assert.equal(multi.ok ? '' : multi.error.code, 'chat-special-token-unknown');
  });

  it('gives a view with every override applied, and the model itself when nothing changes', () => {
    const v = withSpecialTokens(base, { eosToken: '<|im_end|>', bosToken: '<|begin_of_text|>', padToken: '<|end_of_text|>', unkToken: '<|endoftext|>' });
    assert.ok(v.ok);
    const m = v.value;
    assert.deepEqual(
      [m.eosToken, m.eosTokenId, m.stopTokenIds, m.bosToken, m.bosTokenId, m.padToken, m.padTokenId, m.unkToken],
      ['<|im_end|>', IM_END, [IM_END, ENDOFTEXT], '<|begin_of_text|>', 303, '<|end_of_text|>', 304, '<|endoftext|>'],
    );
    assert.equal(m.tokenizer, base.tokenizer);
    assert.equal(base.eosToken, '<|endoftext|>', 'the loaded model is not changed');
    // One view per model and override, not one per record.
    assert.equal(withSpecialTokens(base, { eosToken: '<|im_end|>' }), withSpecialTokens(base, { eosToken: '<|im_end|>' }));
    const same = withSpecialTokens(base, { eosToken: '<|endoftext|>' });
    assert.ok(same.ok && same.value === base);
    // A Llama-style tokenizer prepends its BOS: a new BOS token is the one prepended.
    const llama = fixtureModel('llama3');
    const lv = withSpecialTokens(llama, { bosToken: '<|im_start|>' });
    assert.ok(lv.ok);
    assert.deepEqual([llama.prefixIds, lv.value.prefixIds], [[303], [301]]);
  });
});
