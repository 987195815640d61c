import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadChatModel, exampleOptionsFromConfig, type ChatModel } from '../../chat/index';
import { validateDatasetText } from '../../dataset/index';
import { measureWith } from '../../dataset/tokens';
import { inspectDataset, findDatasetEntry, modelDirFromConfig } from '../../dataset/inspect';
import { chatFixture, codes } from './helpers';

const dir = mkdtempSync(join(tmpdir(), 'tunelab-dataset-tokens-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

let model: ChatModel;
test.before(async () => {
  const m = await loadChatModel(chatFixture('chatml'));
  assert.ok(m.ok);
  model = m.value;
});

const chat = (q: string, a: string, weight?: 0 | 1) => JSON.stringify({ messages: [{ role: 'user', content: q }, { role: 'assistant', content: a, ...(weight !== undefined ? { weight } : {}) }] });

test('pre-flight with the real tokenizer: all-masked records, truncation, token statistics', () => {
  const text = [chat('hi', 'hello'), chat('hi', 'hello there', 0), chat('hi', 'a b c d e f g h i j k l m n o p q r s t u v w x y z a b c d e f')].join('\n');
  const options = exampleOptionsFromConfig({ sequence_len: 30 });
  const r = validateDatasetText(text, { measure: measureWith(model, options), sequenceLen: 30 });
  assert.deepEqual(codes(r.diagnostics), [
    [1, 'mask-all-labels-masked'],
    [2, 'mask-truncated'],
  ]);
  const t = r.summary.tokens!;
  // EOS is trained only in the first record: the second has weight 0, the third is cut before its end.
  assert.deepEqual([t.measured, t.allMasked, t.overSequenceLen, t.sequenceLen, t.eosTrained], [3, 1, 1, 30, 1]);
  assert.ok(t.max > 30 && t.min < 30, `lengths ${t.min}..${t.max}`);
  assert.ok(t.trained > 0 && t.trained < t.total);
});

test('EOS never trained: train_on_eos none on every record is a file-level warning', () => {
  const text = [chat('hi', 'hello'), chat('yo', 'hey')].join('\n');
  const options = exampleOptionsFromConfig({}, { type: 'chat_template', train_on_eos: 'none' });
  const r = validateDatasetText(text, { measure: measureWith(model, options) });
  assert.deepEqual(codes(r.diagnostics), [[0, 'mask-eos-never-trained']]);
  const trained = validateDatasetText(text, { measure: measureWith(model, exampleOptionsFromConfig({}, { type: 'chat_template', train_on_eos: 'turn' })) });
  assert.deepEqual(trained.diagnostics, []);
  assert.equal(trained.summary.tokens!.eosTrained, 2);
});

test('inspect: the config entry, its local model, and the loss-mask view of one record', async () => {
  const data = join(dir, 'data.jsonl');
  writeFileSync(data, [chat('hi', 'hello'), JSON.stringify({ messages: [{ role: 'system', content: 'Be kind.' }, { role: 'user', content: 'hi' }, { role: 'assistant', content: 'hey', weight: 1 }] })].join('\n') + '\n');
  const config = { base_model: chatFixture('chatml'), sequence_len: 64, datasets: [{ path: 'data.jsonl', type: 'chat_template', roles_to_train: ['assistant'], train_on_eos: 'turn' }] };
  const configPath = join(dir, 'config.yml');
  assert.deepEqual(findDatasetEntry(config, configPath, data), config.datasets[0]);
  assert.equal(modelDirFromConfig(config, configPath), chatFixture('chatml'));
  const out = await inspectDataset({ path: data, config, configPath, record: 1 });
  assert.ok(out.ok);
  const { result } = out;
  assert.deepEqual([result.format, result.records, result.stats.errors, result.stats.tokens?.measured], ['chat_template', 2, 0, 2]);
  const rec = result.record!;
  // ChatML: every token's text, in order, is the rendered conversation.
  assert.equal(rec.tokens.map((t) => t.text).join(''), rec.text);
  assert.equal(rec.text, '<|im_start|>system\nBe kind.<|im_end|>\n<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\nhey<|im_end|>\n');
  // Trained: the assistant's content and its end-of-turn token, nothing else.
  assert.equal(rec.tokens.filter((t) => t.trained).map((t) => t.text).join(''), 'hey<|im_end|>');
  assert.ok(rec.tokens.some((t) => t.text === '<|im_end|>' && t.trained));
  const outOfRange = await inspectDataset({ path: data, record: 2 });
  assert.deepEqual(outOfRange, { ok: false, message: 'record 3 is out of range: the file has 2 records' });
});
