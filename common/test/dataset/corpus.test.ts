// The real demo datasets in ../shared/corpus validate with the findings they really have (each
// count below was checked against an independent Python count over the same file).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { validateDatasetFile } from '../../dataset/file';
import { corpus, hasCorpus, rows } from './helpers';

const skip = hasCorpus ? false : `no corpus at ${corpus}`;

const EXPECTED: [string, number, string | null, Record<string, number>][] = [
  ['sharegpt/axolotl-tests-fixtures/conversation.json', 1, 'sharegpt', {}],
  ['sharegpt/axolotl-tests-fixtures/conversation.missingturns.json', 1, 'sharegpt', { 'dataset-empty-content': 1 }],
  ['sharegpt/fastchat/dummy_conversation.json', 500, 'sharegpt', {}],
  ['alpaca/axolotl-tests-fixtures/alpaca.json', 2, 'alpaca', {}],
  // Line 4 is system + assistant with no user turn (the cookbook's "missing user message").
  ['openai/toy_chat_fine_tuning.jsonl', 5, 'openai', { 'dataset-starts-with-assistant': 1 }],
  ['llamafactory-data/alpaca_en_demo.json', 999, 'alpaca', { 'dataset-duplicate': 14 }],
  ['llamafactory-data/alpaca_zh_demo.json', 1000, 'alpaca', { 'dataset-duplicate': 8 }],
  // Four documents hold U+FFFD characters (lossy decoding upstream).
  ['llamafactory-data/c4_demo.jsonl', 300, 'completion', { 'dataset-invalid-utf8': 4 }],
  // Preference data (chosen/rejected) ends with the user: no ends-without-assistant finding.
  ['llamafactory-data/dpo_en_demo.json', 300, 'sharegpt', { 'dataset-duplicate': 5 }],
  ['llamafactory-data/dpo_zh_demo.json', 300, 'sharegpt', { 'dataset-duplicate': 11, 'dataset-invalid-utf8': 6 }],
  ['llamafactory-data/glaive_toolcall_en_demo.json', 300, 'sharegpt', { 'dataset-duplicate': 35 }],
  ['llamafactory-data/glaive_toolcall_zh_demo.json', 300, 'sharegpt', { 'dataset-duplicate': 43 }],
  ['llamafactory-data/identity.json', 91, 'alpaca', {}],
  ['llamafactory-data/kto_en_demo.json', 300, 'openai', { 'dataset-control-token': 1 }],
  ['llamafactory-data/mllm_audio_demo.json', 3, 'openai', {}],
  ['llamafactory-data/mllm_demo.json', 6, 'openai', {}],
  ['llamafactory-data/mllm_video_audio_demo.json', 3, 'openai', {}],
  ['llamafactory-data/mllm_video_demo.json', 3, 'openai', {}],
  ['llamafactory-data/reason_tool_use_demo_50.jsonl', 50, 'openai', {}],
  // v1 preference pairs (chosen_messages / rejected_messages) are not an SFT format.
  ['llamafactory-data/v1_dpo_demo.jsonl', 10, null, { 'dataset-unknown-format': 10 }],
  ['llamafactory-data/v1_multimodal_demo.jsonl', 24, 'openai', { 'dataset-duplicate': 18 }],
  ['llamafactory-data/v1_sft_demo.jsonl', 500, 'openai', { 'dataset-duplicate': 1 }],
  // Plain text (pre-training): each non-blank line is a record.
  ['llamafactory-data/wiki_demo.txt', 30, 'completion', {}],
];

test('every demo dataset: record count, format and findings by kind', { skip }, async () => {
  for (const [file, records, format, byCode] of EXPECTED) {
    const s = (await validateDatasetFile(join(corpus, file))).summary;
    const counts = Object.fromEntries(Object.entries(s.byCode).map(([k, v]) => [k, v.count]));
    assert.deepEqual([s.records, s.format, counts], [records, format, byCode], file);
  }
});

test('the empty assistant turn of conversation.missingturns.json is found where it is', { skip }, async () => {
  const r = await validateDatasetFile(join(corpus, 'sharegpt/axolotl-tests-fixtures/conversation.missingturns.json'));
  assert.deepEqual(rows(r.diagnostics), [[8, 15, 8, 17, 1, 'dataset-empty-content', 'empty gpt turn: the model is trained to answer with nothing']]);
  assert.deepEqual(r.summary.roles, { gpt: 6, human: 6 });
});

test('glaive tool calls: the role counts LLaMA-Factory documents', { skip }, async () => {
  const s = (await validateDatasetFile(join(corpus, 'llamafactory-data/glaive_toolcall_en_demo.json'))).summary;
  assert.deepEqual(s.roles, { gpt: 746, human: 746, function_call: 211, observation: 211 });
});
