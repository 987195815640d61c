import assert from 'node:assert/strict';
import { test } from 'node:test';
import { looksLikeConfig } from '../../common/config';
import { looksLikeConfigText } from '../configDetect';

test('the extension recognises configs exactly as the config core does', () => {
  const texts = [
    'base_model: meta-llama/Llama-3.2-1B\nadapter: lora\n',
    '# tunelab\nlearning_rate: 0.001\n',
    '# yaml-language-server: $schema=https://example.org/axolotl-config.schema.json\nfoo: 1\n',
    'base_model: a\nmodels:\n  - model: b\nmerge_method: ties\n',
    'base_model: a\nmerge_method: memory_efficient\n',
    'name: ci\non: push\n',
    '  base_model: indented\n',
    '',
    'datasets:\n  - path: d\nsequence_len: 512\nmicro_batch_size: 2\n',
  ];
  assert.deepEqual(texts.map(looksLikeConfigText), [true, true, true, false, true, false, false, false, true]);
  assert.deepEqual(texts.map(looksLikeConfigText), texts.map(looksLikeConfig));
});
