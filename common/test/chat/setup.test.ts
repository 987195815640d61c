/** Setup checks without data: does every trained turn end with a trained stop token? */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { maskSetupFindings } from '../../chat/index';
import { fixtureModel } from './helpers';

describe('maskSetupFindings', () => {
  it('an instruct ChatML tokenizer (eos <|im_end|>) is fine', () => {
    assert.deepEqual(maskSetupFindings(fixtureModel('chatml')), []);
    assert.deepEqual(maskSetupFindings(fixtureModel('llama3')), []);
    assert.deepEqual(maskSetupFindings(fixtureModel('mistral')), []);
  });

  it('a base tokenizer (eos <|endoftext|>) with ChatML never learns to end its turn', () => {
    const base = fixtureModel('chatml', { eos_token: '<|endoftext|>' });
    assert.deepEqual(maskSetupFindings(base), [
      {
        code: 'mask-eos-not-in-template',
        severity: 'warning',
        message: 'the EOS token "<|endoftext|>" never appears in the chat template (tokenizer_default): check that the template and the tokenizer belong together',
      },
      {
        code: 'mask-turn-end-not-trained',
        severity: 'warning',
        message:
          'turns end with "<|im_end|>" but the EOS token is "<|endoftext|>" and eot_tokens does not list "<|im_end|>": the model never learns to end its turn (set eot_tokens: ["<|im_end|>"], or use a tokenizer whose eos_token is "<|im_end|>")',
      },
    ]);
    assert.deepEqual(maskSetupFindings(base, { eotTokens: ['<|im_end|>'] }), [
      {
        code: 'mask-eos-not-in-template',
        severity: 'warning',
        message: 'the EOS token "<|endoftext|>" never appears in the chat template (tokenizer_default): check that the template and the tokenizer belong together',
      },
    ]);
    assert.deepEqual(maskSetupFindings(base, { eotTokens: ['<|im_end|>'], trainOnEot: 'none' }).map((f) => f.message), [
      'the EOS token "<|endoftext|>" never appears in the chat template (tokenizer_default): check that the template and the tokenizer belong together',
      'turns end with "<|im_end|>" but train_on_eot is none: the model never learns to end its turn',
    ]);
  });

  it('the Llama 3 template on a tokenizer whose EOS is <|end_of_text|>', () => {
    const m = fixtureModel('llama3', { eos_token: '<|end_of_text|>' });
    assert.deepEqual(maskSetupFindings(m).map((f) => f.code), ['mask-eos-not-in-template', 'mask-turn-end-not-trained']);
  });

  it('templates that end turns with the EOS token: only train_on_eos none is a problem', () => {
    const m = fixtureModel('mistral');
    assert.deepEqual(maskSetupFindings(m, { trainOnEos: 'none' }), [
      { code: 'mask-turn-end-not-trained', severity: 'warning', message: 'train_on_eos and train_on_eot are none: the model never learns to stop' },
    ]);
  });

  it('unused eot_tokens and invalid setups', () => {
    const m = fixtureModel('chatml');
    assert.deepEqual(maskSetupFindings(m, { eotTokens: ['<|im_end|>', '<|eot_id|>'] }), [
      { code: 'mask-eot-not-in-template', severity: 'warning', message: 'end-of-turn token "<|eot_id|>" never appears in the chat template, so it is ignored' },
    ]);
    assert.deepEqual(maskSetupFindings(m, { chatTemplate: 'nope' }).map((f) => [f.code, f.severity]), [['mask-setup-invalid', 'error']]);
    assert.deepEqual(maskSetupFindings(m, { trainOnEos: 'all', trainOnEot: 'none' }).map((f) => f.code), ['mask-setup-invalid']);
  });
});
