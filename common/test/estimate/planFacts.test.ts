import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildExamples, exampleOptionsFromConfig, loadChatModel } from '../../chat/index';
import { readDatasetRecords } from '../../dataset/file';
import { DEFAULT_PLAN_INPUTS } from '../../estimate/plan';
import { factsFromConfig, planStartFromConfig } from '../../estimate/planFacts';

const chatml = join(import.meta.dirname, '..', 'fixtures', 'chat', 'chatml');
const conversations = [
  { messages: [{ role: 'user', content: 'Say hi' }, { role: 'assistant', content: 'Hi there!' }] },
  { messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Add 2 and 2' }, { role: 'assistant', content: '4' }] },
];

test('with a local tokenizer, training tokens are counted by rendering each record as training will', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tunelab-facts-'));
  writeFileSync(join(dir, 'chat.jsonl'), conversations.map((c) => JSON.stringify(c)).join('\n') + '\n');
  const config = { base_model: chatml, num_epochs: 3, datasets: [{ path: 'chat.jsonl', type: 'chat_template' }] };
  writeFileSync(join(dir, 'config.yml'), JSON.stringify(config));
  const facts = await factsFromConfig(join(dir, 'config.yml'), dir);
  assert.ok(!('error' in facts));
  // The oracle: the chat core's own examples of each record (what the trainer trains on).
  const model = await loadChatModel(chatml);
  assert.ok(model.ok);
  const options = exampleOptionsFromConfig(config, config.datasets[0]);
  let perEpoch = 0;
  for await (const r of readDatasetRecords(join(dir, 'chat.jsonl'), config.datasets[0] as never)) {
    assert.ok(r.record);
    const ex = buildExamples(model.value, r.record, options);
    assert.ok(ex.ok);
    perEpoch += ex.value.reduce((t, e) => t + e.fullLength, 0);
  }
  assert.ok(perEpoch > 10);
  assert.deepEqual(facts, {
    examples: 2,
    trainTokens: 3 * perEpoch,
    notes: [`2 examples and ${3 * perEpoch} training tokens from 1 local dataset file (rendered and tokenised with ${chatml} × 3 epochs)`],
  });
});

test('planStartFromConfig: defaults plus what the config tells; an unreadable config gives the defaults and why', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tunelab-facts-'));
  mkdirSync(join(dir, 'out'));
  writeFileSync(join(dir, 'out', 'events.jsonl'), JSON.stringify({ v: 1, type: 'step', time: 't', run_id: 'r', step: 1, total_steps: 1, epoch: 0, loss: 1, lr: 1, grad_norm: null, tokens_per_s: 1234, elapsed: 1, eta: null }) + '\n');
  writeFileSync(join(dir, 'config.yml'), 'base_model: meta-llama/Llama-2-7b-hf\nadapter: qlora\nload_in_4bit: true\nlora_r: 8\noutput_dir: ./out\n');
  const start = await planStartFromConfig(join(dir, 'config.yml'), dir);
  assert.deepEqual(start.inputs, { ...DEFAULT_PLAN_INPUTS, tokensPerSecond: 1234 });
  assert.deepEqual(start.notes, [`throughput 1,234 tokens/s: the median of 1 steps in ${join(dir, 'out', 'events.jsonl')}`]);
  assert.match(start.estimate ?? '', /^≈ [\d.]+ GiB per GPU · QLoRA · 4\.19 M trainable \(0\.06 %\)$/);
  const missing = await planStartFromConfig(join(dir, 'nope.yml'), dir);
  assert.deepEqual(missing, { inputs: DEFAULT_PLAN_INPUTS, notes: [`no such file: ${join(dir, 'nope.yml')}`], estimate: null });
});
