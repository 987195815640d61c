import { test } from 'node:test';
import assert from 'node:assert/strict';
import { convertRecord, normalizeRecord, readerFor, type NormalizedRecord } from '../../dataset/index';

const sharegptReader = readerFor('sharegpt');
const openaiReader = readerFor('openai');

test('ShareGPT with tool calls -> OpenAI chat -> ShareGPT is the identity', () => {
  const rec = {
    conversations: [
      { from: 'system', value: 'S' },
      { from: 'human', value: 'Weather in Paris?' },
      { from: 'function_call', value: '{"name": "weather", "arguments": {"city": "Paris"}}' },
      { from: 'observation', value: '{"temp": 20}' },
      { from: 'gpt', value: 'It is 20C.' },
    ],
    tools: '[{"name": "weather", "description": "d", "parameters": {"type": "object"}}]',
  };
  const norm = normalizeRecord(rec, sharegptReader)!;
  const oa = convertRecord(norm, 'openai');
  assert.deepEqual(oa, {
    value: {
      messages: [
        { role: 'system', content: 'S' },
        { role: 'user', content: 'Weather in Paris?' },
        { role: 'assistant', content: null, tool_calls: [{ type: 'function', function: { name: 'weather', arguments: '{"city":"Paris"}' } }] },
        { role: 'tool', content: '{"temp": 20}' },
        { role: 'assistant', content: 'It is 20C.' },
      ],
      tools: [{ type: 'function', function: { name: 'weather', description: 'd', parameters: { type: 'object' } } }],
    },
    losses: [],
  });
  const back = convertRecord(normalizeRecord(oa.value, openaiReader)!, 'sharegpt');
  assert.deepEqual(back, {
    value: {
      conversations: [
        { from: 'system', value: 'S' },
        { from: 'human', value: 'Weather in Paris?' },
        { from: 'function_call', value: '{"name":"weather","arguments":{"city":"Paris"}}' },
        { from: 'observation', value: '{"temp": 20}' },
        { from: 'gpt', value: 'It is 20C.' },
      ],
      tools: '[{"name":"weather","description":"d","parameters":{"type":"object"}}]',
    },
    losses: [],
  });
});

test('what ShareGPT and Alpaca cannot hold is reported as a loss', () => {
  const weighted = normalizeRecord({ messages: [{ role: 'user', content: 'Q', name: 'ann' }, { role: 'assistant', content: 'A', weight: 0 }, { role: 'user', content: 'Q2' }, { role: 'assistant', content: 'A2' }] }, openaiReader)!;
  assert.deepEqual(convertRecord(weighted, 'sharegpt').losses, [
    { kind: 'names', message: "message 'name' fields" },
    { kind: 'weights', message: "per-message training weights ('weight')" },
  ]);
  assert.deepEqual(convertRecord(weighted, 'alpaca'), {
    value: { instruction: 'Q2', input: '', output: 'A2', history: [['Q', 'A']] },
    losses: [
      { kind: 'weights', message: "per-message training weights ('weight')" },
      { kind: 'names', message: "message 'name' fields" },
      { kind: 'multi-turn', message: "earlier turns (kept as LLaMA-Factory 'history', which Axolotl's alpaca type ignores)" },
    ],
  });
  const tool = normalizeRecord({ messages: [{ role: 'user', content: 'Q' }, { role: 'assistant', content: null, tool_calls: [{ type: 'function', function: { name: 'f', arguments: '{}' } }] }, { role: 'tool', content: 'r' }, { role: 'assistant', content: 'A' }] }, openaiReader)!;
  assert.deepEqual(convertRecord(tool, 'alpaca'), { losses: [{ kind: 'not-alternating', message: 'turns other than alternating user/assistant (tool calls, tool results, extra system turns)' }] });
  const completion: NormalizedRecord = { kind: 'completion', text: 'plain' };
  assert.deepEqual(convertRecord(completion, 'openai'), { losses: [{ kind: 'not-chat', message: 'completion text has no conversation' }] });
});

test('Alpaca to chat: instruction and input make the user turn; system and history are kept', () => {
  const r = normalizeRecord({ instruction: 'Translate', input: 'bonjour', output: 'hello', system: 'You translate.', history: [['hi', 'hey']] }, readerFor('alpaca'))!;
  assert.deepEqual(convertRecord(r, 'openai').value, {
    messages: [
      { role: 'system', content: 'You translate.' },
      { role: 'user', content: 'hi' },
      { role: 'assistant', content: 'hey' },
      { role: 'user', content: 'Translate\nbonjour' },
      { role: 'assistant', content: 'hello' },
    ],
  });
  assert.deepEqual(convertRecord(r, 'alpaca'), { value: { instruction: 'Translate', input: 'bonjour', output: 'hello', system: 'You translate.', history: [['hi', 'hey']] }, losses: [] });
});
