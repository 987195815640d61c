import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkDatasetAgainstEntry, sampleRecords } from '../../dataset/configHook';
import { parseConfig, validateConfig } from '../../config/index';

const dir = mkdtempSync(join(tmpdir(), 'tunelab-dataset-hook-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));
const write = (name: string, lines: unknown[]) => {
  const p = join(dir, name);
  writeFileSync(p, lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
  return p;
};

const sharegpt = write('sg.jsonl', [{ conversations: [{ from: 'human', value: 'Q' }, { from: 'gpt', value: 'A' }] }, { conversations: [{ from: 'human', value: 'Q' }, { from: 'function_call', value: '{}' }, { from: 'observation', value: '{}' }, { from: 'gpt', value: 'A' }] }]);
const openai = write('oa.jsonl', [{ messages: [{ role: 'user', content: 'Q' }, { role: 'assistant', content: 'A' }] }]);
const alpaca = write('al.jsonl', [{ instruction: 'I', input: '', output: 'O' }]);

test('messages data under type: alpaca names the detected format and the fix', () => {
  assert.deepEqual(checkDatasetAgainstEntry(openai, { path: 'oa.jsonl', type: 'alpaca' }), [
    { code: 'dataset-type-mismatch', severity: 1, message: 'type: alpaca expects Alpaca records, but the file holds OpenAI chat records (`messages` list of {role, content} messages): use type: chat_template' },
  ]);
  assert.deepEqual(checkDatasetAgainstEntry(sharegpt, { type: 'alpaca:chat' }), [
    {
      code: 'dataset-type-mismatch',
      severity: 1,
      message: 'type: alpaca:chat expects Alpaca records, but the file holds ShareGPT records (`conversations` list of {from, value} messages): use type: chat_template, field_messages: conversations, message_property_mappings: {role: from, content: value}',
    },
  ]);
  assert.deepEqual(checkDatasetAgainstEntry(alpaca, { type: 'chat_template' }), [
    { code: 'dataset-type-mismatch', severity: 1, message: "type: chat_template reads messages from 'messages', but the file holds Alpaca records (instruction/input/output keys): use type: alpaca" },
  ]);
  assert.deepEqual(checkDatasetAgainstEntry(alpaca, { type: 'completion' }), [
    { code: 'dataset-type-mismatch', severity: 1, message: "type: completion reads the 'text' column, but the file holds Alpaca records (instruction/input/output keys): use type: alpaca" },
  ]);
});

test('chat_template mappings are checked against the records: field, keys, roles', () => {
  assert.deepEqual(checkDatasetAgainstEntry(sharegpt, { type: 'chat_template' }), [
    { code: 'dataset-mapping-mismatch', severity: 1, message: "field_messages is 'messages' (the default), but the file's messages are under 'conversations': set field_messages: conversations and message_property_mappings: {role: from, content: value}" },
  ]);
  assert.deepEqual(checkDatasetAgainstEntry(sharegpt, { type: 'chat_template', field_messages: 'conversations' }), [
    { code: 'dataset-mapping-mismatch', severity: 1, message: "messages are read with {role: role, content: content}, but the file's messages have keys 'from', 'value': set message_property_mappings: {role: from, content: value}" },
  ]);
  // The default role map has no function_call / observation (LLaMA-Factory's tags).
  assert.deepEqual(checkDatasetAgainstEntry(sharegpt, { type: 'chat_template', field_messages: 'conversations', message_property_mappings: { role: 'from', content: 'value' } }), [
    {
      code: 'dataset-unmapped-role',
      severity: 1,
      message: "roles 'function_call', 'observation' in the file are not in the default role mapping (human, user, gpt, assistant, system, tool): add them under roles: (assistant: [function_call], tool: [observation])",
    },
  ]);
  const full = { type: 'chat_template', field_messages: 'conversations', message_property_mappings: { role: 'from', content: 'value' }, roles: { user: ['human'], assistant: ['gpt', 'function_call'], tool: ['observation'] } };
  assert.deepEqual(checkDatasetAgainstEntry(sharegpt, full), []);
  assert.deepEqual(checkDatasetAgainstEntry(openai, { type: 'chat_template' }), []);
  assert.deepEqual(checkDatasetAgainstEntry(alpaca, { type: 'alpaca' }), []);
  // Types Tunelab does not read are left alone.
  assert.deepEqual(checkDatasetAgainstEntry(openai, { type: 'bradley_terry.chat_template' }), []);
});

test('only a bounded prefix is read: a record cut by the prefix is left out', () => {
  const p = join(dir, 'long.jsonl');
  writeFileSync(p, `${JSON.stringify({ text: 'a' })}\n${JSON.stringify({ text: 'b'.repeat(1000) })}\n`);
  assert.deepEqual(sampleRecords(p, 200), [{ text: 'a' }]);
  assert.deepEqual(sampleRecords(p).length, 2);
});

test('through the config core: the finding lands on the entry type: line', () => {
  const cfgPath = join(dir, 'config.yml');
  const text = ['base_model: ./none', 'datasets:', '  - path: oa.jsonl', '    type: alpaca', 'micro_batch_size: 1', 'gradient_accumulation_steps: 1', 'learning_rate: 0.0002', ''].join('\n');
  const ds = validateConfig(parseConfig(text), { configPath: cfgPath, fileExists: () => true, checkDatasetFile: checkDatasetAgainstEntry }).filter((d) => String(d.code).startsWith('dataset-'));
  assert.deepEqual(
    ds.map((d) => [d.range.start.line, d.range.start.character, d.code]),
    [[3, 10, 'dataset-type-mismatch']],
  );
});
