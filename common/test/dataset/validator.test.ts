import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { validateDatasetText, DatasetValidator } from '../../dataset/index';
import { codes, fixture, rows } from './helpers';

const E = 1;
const W = 2;

test('OpenAI chat JSONL: every check, located at the key or value', () => {
  const text = readFileSync(fixture('chat-problems.jsonl'), 'utf8');
  const r = validateDatasetText(text, { container: 'jsonl' });
  assert.deepEqual(rows(r.diagnostics), [
    [1, 58, 1, 68, E, 'dataset-unknown-role', "unknown role 'asistant': did you mean 'assistant'? Loaders drop or reject such records.", { role: 'asistant', suggestion: 'assistant' }],
    [2, 82, 2, 87, E, 'dataset-empty-content', 'empty assistant turn: the model is trained to answer with nothing'],
    [3, 42, 3, 44, E, 'dataset-content-not-string', "'content' must be a string (or a list of text parts), found a number"],
    [4, 57, 4, 63, W, 'dataset-role-alternation', 'two user turns in a row: roles should alternate user/assistant (LLaMA-Factory skips such records; some templates raise)'],
    [5, 96, 5, 104, W, 'dataset-system-not-first', 'a system message after the conversation has started: most chat templates accept it only first (some raise an error)'],
    [5, 135, 5, 141, W, 'dataset-ends-without-assistant', 'the conversation ends with a user turn that is never answered'],
    [6, 1, 6, 11, E, 'dataset-no-assistant', 'no assistant turn: nothing in this record is trained'],
    [7, 48, 7, 54, W, 'dataset-unknown-key', "unknown message key 'nmae': did you mean 'name'?", { key: 'nmae', suggestion: 'name' }],
    [8, 92, 8, 98, W, 'dataset-unknown-key', "unknown record key 'tols': did you mean 'tools'?", { key: 'tols', suggestion: 'tools' }],
    [9, 42, 9, 64, W, 'dataset-control-token', "text contains the chat-template control token '<|im_start|>': the template adds its own, so this turn is wrapped twice at training time", { token: '<|im_start|>' }],
    [10, 89, 10, 90, E, 'dataset-invalid-json', `invalid JSON: expected ',' or '}' after the value of "content", found end of record`],
    [11, 0, 11, 6, E, 'dataset-not-object', 'a record must be a JSON object, found a list'],
    [12, 13, 12, 15, E, 'dataset-empty-messages', "'messages' is empty: the record has nothing to train on"],
    [13, 0, 13, 93, W, 'dataset-duplicate', 'duplicate of the record at line 8', { firstLine: 7, index: 13, record: { start: { line: 13, character: 0 }, end: { line: 13, character: 93 } } }],
    [14, 0, 14, 96, W, 'dataset-duplicate-whitespace', 'same text as the record at line 8 apart from whitespace', { firstLine: 7, index: 14, record: { start: { line: 14, character: 0 }, end: { line: 14, character: 96 } } }],
    [15, 0, 15, 89, E, 'dataset-mixed-formats', 'this record is ShareGPT (`conversations` list of {from, value} messages) but the file is OpenAI chat (line 1): one file must hold one format', { format: 'sharegpt', fileFormat: 'openai' }],
    [16, 181, 16, 198, E, 'dataset-invalid-tool-call', "'arguments' must be a JSON-encoded string, found an object"],
    [16, 237, 16, 241, W, 'dataset-unknown-tool-call-id', "tool_call_id 'c2' matches no earlier tool call (c1)"],
    [16, 312, 16, 313, E, 'dataset-invalid-weight', "'weight' must be 0 or 1, found 2"],
    [17, 0, 17, 35, E, 'dataset-mixed-formats', 'this record is Alpaca (instruction/input/output keys) but the file is OpenAI chat (line 1): one file must hold one format', { format: 'alpaca', fileFormat: 'openai' }],
  ]);
  const s = r.summary;
  assert.equal(s.records, 18);
  assert.equal(s.format, 'openai');
  assert.equal(s.formatReason, '`messages` list of {role, content} messages (first record, line 1)');
  assert.deepEqual([s.errors, s.warnings, s.invalidRecords], [11, 9, 10]);
  assert.deepEqual(s.duplicates, { exact: 1, normalized: 1 });
  assert.deepEqual(s.roles, { user: 15, assistant: 12, system: 2, asistant: 1, tool: 1 });
  assert.deepEqual(s.byCode['dataset-mixed-formats'], { severity: 'error', count: 2 });
});

test('the result does not depend on how the text is cut into chunks', () => {
  const text = readFileSync(fixture('chat-problems.jsonl'), 'utf8');
  const whole = validateDatasetText(text);
  for (const size of [1, 7, 64, 1000]) {
    const v = new DatasetValidator();
    for (let i = 0; i < text.length; i += size) v.push(text.slice(i, i + size));
    assert.deepEqual(v.end(), whole, `chunks of ${size}`);
  }
});

test('ShareGPT: roles, start and end of the conversation, function calls', () => {
  const lines = [
    { conversations: [{ from: 'system', value: 'S' }, { from: 'human', value: 'Q' }, { from: 'function_call', value: '{"name": "f", "arguments": {}}' }, { from: 'observation', value: '{}' }, { from: 'gpt', value: 'A' }] },
    { conversations: [{ from: 'gpt', value: 'Hello' }, { from: 'human', value: 'Hi' }, { from: 'gpt', value: 'Bye' }] },
    { conversations: [{ from: 'human', value: 'Q' }, { from: 'gpt', value: 'A' }, { from: 'human', value: 'Q2' }] },
    { conversations: [{ from: 'humman', value: 'Q' }, { from: 'bot', value: 'A' }] },
    { conversations: [{ from: 'human', value: 'Q' }, { from: 'function_call', value: 'get weather' }, { from: 'observation', value: '{}' }, { from: 'gpt', value: 'A' }] },
    { conversations: [{ from: 'human' }, { value: 'A' }] },
  ];
  const text = lines.map((l) => JSON.stringify(l)).join('\n') + '\n';
  const r = validateDatasetText(text);
  assert.equal(r.summary.format, 'sharegpt');
  assert.deepEqual(rows(r.diagnostics), [
    [1, 26, 1, 31, W, 'dataset-starts-with-assistant', 'the conversation starts with the assistant: FastChat drops this turn and LLaMA-Factory skips the record'],
    [2, 82, 2, 89, W, 'dataset-ends-without-assistant', 'the conversation ends with a human turn that is never answered (LLaMA-Factory skips records with an odd number of turns)'],
    [3, 26, 3, 34, E, 'dataset-unknown-role', "unknown role 'humman': did you mean 'human'? Loaders drop or reject such records.", { role: 'humman', suggestion: 'human' }],
    [3, 56, 3, 61, E, 'dataset-unknown-role', "unknown role 'bot': did you mean 'gpt'? Loaders drop or reject such records.", { role: 'bot', suggestion: 'gpt' }],
    [4, 79, 4, 92, W, 'dataset-invalid-tool-call', 'a function_call turn should hold JSON {"name": ..., "arguments": {...}}'],
    [5, 18, 5, 34, E, 'dataset-message-missing-content', "message 1 has no 'value'", { key: 'value' }],
    [5, 35, 5, 48, E, 'dataset-message-missing-role', "message 2 has no 'from'", { key: 'from' }],
  ]);
  assert.deepEqual(r.summary.roles, { human: 6, gpt: 5, function_call: 2, observation: 2, system: 1, bot: 1, humman: 1 });
});

test('Alpaca: missing fields, wrong types, typos, history', () => {
  const text = [
    { instruction: 'Add', input: '1 2', output: '3' },
    { instruction: 'Add', input: '1 2' },
    { instruction: 'Add', response: '3' },
    { instruction: 'Add', output: 3 },
    { instuction: 'Add', output: '3' },
    { instruction: 'Q', output: '', history: [['a', 'b'], ['c']] },
  ]
    .map((l) => JSON.stringify(l))
    .join('\n');
  const r = validateDatasetText(text);
  assert.equal(r.summary.format, 'alpaca');
  assert.deepEqual(rows(r.diagnostics), [
    [1, 0, 1, 35, E, 'dataset-alpaca-missing-field', "Alpaca record without 'output'", { field: 'output' }],
    [2, 0, 2, 36, E, 'dataset-alpaca-missing-field', "Alpaca record without 'output'; it has 'response' (rename it, or use the Axolotl type that reads 'response')", { field: 'output', found: 'response' }],
    [3, 30, 3, 31, E, 'dataset-content-not-string', "'output' must be a string, found a number"],
    [4, 1, 4, 13, W, 'dataset-unknown-key', "unknown Alpaca key 'instuction': did you mean 'instruction'?", { key: 'instuction', suggestion: 'instruction' }],
    [4, 0, 4, 33, E, 'dataset-alpaca-missing-field', "Alpaca record without 'instruction'", { field: 'instruction' }],
    [5, 28, 5, 30, E, 'dataset-empty-content', "empty 'output': the model is trained to answer with nothing"],
    [5, 41, 5, 58, E, 'dataset-invalid-history', "'history' must be a list of [prompt, response] string pairs"],
  ]);
});

test('JSON arrays: records and keys located across lines; a broken record does not hide the rest', () => {
  const text = [
    '[',
    '  {',
    '    "instruction": "A",',
    '    "output": "B"',
    '  },',
    '  {',
    '    "instruction": "C",',
    '    "output": "unterminated',
    '  },',
    '  {',
    '    "instruction": "E",',
    '    "ouput": "F"',
    '  }',
    ']',
    '',
  ].join('\n');
  const r = validateDatasetText(text, { container: 'json' });
  assert.deepEqual(rows(r.diagnostics), [
    [7, 26, 7, 27, E, 'dataset-invalid-json', 'invalid JSON: line break inside a string (write it as \\n)'],
    [11, 4, 11, 11, W, 'dataset-unknown-key', "unknown Alpaca key 'ouput': did you mean 'output'?", { key: 'ouput', suggestion: 'output' }],
    [9, 2, 9, 3, E, 'dataset-alpaca-missing-field', "Alpaca record without 'output'", { field: 'output' }],
  ]);
  assert.equal(r.summary.records, 3);
  assert.equal(r.summary.format, 'alpaca');
});

test('JSON structure errors between records', () => {
  const r = validateDatasetText('[{"text": "a"} {"text": "b"},, {"text": "c"},]\n', { container: 'json' });
  assert.deepEqual(codes(r.diagnostics), [
    [0, 'dataset-invalid-json'],
    [0, 'dataset-invalid-json'],
    [0, 'dataset-invalid-json'],
  ]);
  assert.deepEqual(
    r.diagnostics.map((d) => [d.range.start.character, d.message]),
    [
      [15, "missing ',' between records"],
      [29, "two ',' in a row between records"],
      [45, "trailing comma before the closing ']' (JSON does not allow it)"],
    ],
  );
  assert.equal(r.summary.records, 3);
  assert.equal(r.summary.format, 'completion');
  const unclosed = validateDatasetText('[{"text": "a"},\n{"text": "b"}\n', { container: 'json' });
  assert.deepEqual(rows(unclosed.diagnostics), [[2, 0, 2, 1, E, 'dataset-invalid-json', "the array of records is not closed: missing ']' at the end of the file"]]);
});

test('a single pretty-printed object, and JSONL saved as .json, are records too', () => {
  const one = validateDatasetText('{\n  "text": "hello"\n}\n', { container: 'json' });
  assert.deepEqual([one.summary.records, one.summary.format, one.diagnostics.length], [1, 'completion', 0]);
  const lines = validateDatasetText('{"text": "a"}\n{"text": "b"}\n{"text": "a"}\n', { container: 'json' });
  assert.deepEqual(codes(lines.diagnostics), [[2, 'dataset-duplicate']]);
  const notJson = validateDatasetText('hello world\n', { container: 'json' });
  assert.deepEqual(codes(notJson.diagnostics), [
    [0, 'dataset-not-json'],
    [0, 'dataset-invalid-json'],
  ]);
});

test('empty file, blank lines, CRLF, the unknown format', () => {
  assert.deepEqual(rows(validateDatasetText('').diagnostics), [[0, 0, 0, 0, E, 'dataset-empty-file', 'the dataset has no records']]);
  const crlf = validateDatasetText('{"text": "a"}\r\n\r\n   \r\n{"text": "b"}\r\n');
  assert.deepEqual([crlf.summary.records, crlf.diagnostics.length], [2, 0]);
  const unknown = validateDatasetText('{"prompt": "a", "completion": "b"}\n');
  assert.deepEqual(rows(unknown.diagnostics), [
    [0, 0, 0, 34, E, 'dataset-unknown-format', "not a record Tunelab can read: expected 'messages' (OpenAI chat), 'conversations' (ShareGPT), 'instruction'/'output' (Alpaca) or 'text'; found keys `prompt`, `completion`"],
  ]);
});

test('a config entry decides the reading: chat_template mappings and custom roles', () => {
  const text = '{"dialog": [{"speaker": "me", "says": "Hi"}, {"speaker": "bot", "says": "Hello"}, {"speaker": "narrator", "says": "..."}]}\n';
  const entry = { type: 'chat_template', field_messages: 'dialog', message_property_mappings: { role: 'speaker', content: 'says' }, roles: { user: ['me'], assistant: ['bot'] } };
  const r = validateDatasetText(text, { entry });
  assert.equal(r.summary.format, 'chat_template');
  assert.equal(r.summary.formatReason, 'type: chat_template in the config');
  assert.deepEqual(rows(r.diagnostics), [[0, 94, 0, 104, E, 'dataset-unknown-role', "unknown role 'narrator' (add it to the config's roles: mapping) Loaders drop or reject such records.", { role: 'narrator' }]]);
  // The file does not fit the entry: one error on the first record, then the records are checked as what they are.
  const wrongField = validateDatasetText('{"messages": [{"role": "user", "content": "Hi"}]}\n', { entry: { type: 'chat_template', field_messages: 'conversations' } });
  assert.deepEqual(rows(wrongField.diagnostics), [
    [0, 0, 0, 49, E, 'dataset-type-mismatch', "the config reads this file with type: chat_template, but its records are OpenAI chat (`messages` list of {role, content} messages); checked as OpenAI chat below (fix the entry's type and mappings)"],
    [0, 1, 0, 11, E, 'dataset-no-assistant', 'no assistant turn: nothing in this record is trained'],
  ]);
  assert.equal(wrongField.summary.format, 'openai');
  // A later record without the entry's field gets the hint.
  const later = validateDatasetText('{"conversations": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Yo"}]}\n{"messages": []}\n', { entry: { type: 'chat_template', field_messages: 'conversations' } });
  assert.deepEqual(rows(later.diagnostics), [[1, 0, 1, 16, E, 'dataset-missing-messages', "no 'conversations' list; this record has 'messages' (set field_messages: messages, or rename the key)", { field: 'conversations', found: 'messages' }]]);
});

test('diagnostics are capped; the rest are counted by code', () => {
  const text = Array.from({ length: 30 }, () => '{"messages": []}').join('\n');
  const r = validateDatasetText(text, { maxDiagnostics: 5, duplicates: false });
  assert.equal(r.diagnostics.length, 6);
  assert.deepEqual(rows(r.diagnostics.slice(5)), [[0, 0, 0, 0, 3, 'dataset-diagnostics-capped', 'showing the first 5 problems of 30 (dataset-empty-messages 30)', { omitted: 25 }]]);
  assert.deepEqual([r.summary.errors, r.summary.omittedDiagnostics, r.summary.invalidRecords], [30, 25, 30]);
});

test('bad input: huge lines are skipped with a diagnostic, replacement characters are reported', () => {
  const big = `{"text": "${'x'.repeat(5000)}"}`;
  const r = validateDatasetText(`{"text": "a"}\n${big}\n{"text": "b\uFFFDc"}\n`, { maxRecordChars: 1000 });
  assert.deepEqual(rows(r.diagnostics), [
    [1, 0, 1, 1, E, 'dataset-record-too-large', 'line is longer than 1000 characters; skipped'],
    [2, 11, 2, 12, W, 'dataset-invalid-utf8', 'U+FFFD replacement character: the file is not valid UTF-8 here, or was decoded lossily before', { offset: 11 }],
  ]);
  assert.equal(r.summary.records, 3);
  // A line of control characters and a NUL is invalid JSON, not a crash.
  const junk = validateDatasetText('\u0000\u0001\u0002\n{"text": "ok"}\n');
  assert.deepEqual(codes(junk.diagnostics), [[0, 'dataset-invalid-json']]);
});

test('LLaMA-Factory v1 content parts: text, reasoning and tool calls are not empty content', () => {
  const rec = { messages: [{ role: 'user', content: [{ type: 'text', value: 'Weather?' }] }, { role: 'assistant', content: [{ type: 'reasoning', value: 'think' }, { type: 'tool_call', value: '{"name": "w", "arguments": {}}' }], loss_weight: 1.0 }] };
  const r = validateDatasetText(JSON.stringify(rec) + '\n');
  assert.deepEqual(r.diagnostics, []);
});

test('a duplicate in a JSON array carries the whole record for the quick fix that removes it', () => {
  const text = '[\n  {\n    "text": "same"\n  },\n  {\n    "text": "same"\n  }\n]\n';
  const r = validateDatasetText(text, { container: 'json' });
  assert.deepEqual(rows(r.diagnostics), [
    [4, 2, 4, 3, W, 'dataset-duplicate', 'duplicate of the record at line 2', { firstLine: 1, index: 1, record: { start: { line: 4, character: 2 }, end: { line: 6, character: 3 } } }],
  ]);
});

test('plain text: each non-blank line is a completion record', () => {
  const r = validateDatasetText('first line\n\n   \nsecond <|im_start|> line\nfirst line\n', { container: 'text' });
  assert.deepEqual([r.summary.records, r.summary.format, r.summary.container], [3, 'completion', 'text']);
  assert.deepEqual(codes(r.diagnostics), [
    [3, 'dataset-control-token'],
    [4, 'dataset-duplicate'],
  ]);
});

test('tools and media lists: LLaMA-Factory tools strings, <image> placeholders against images', () => {
  const text = [
    { conversations: [{ from: 'human', value: '<image>What is this?' }, { from: 'gpt', value: 'A cat.' }], images: ['a.jpg'], tools: '' },
    { conversations: [{ from: 'human', value: '<image><image>Compare.' }, { from: 'gpt', value: 'Same.' }], images: ['a.jpg'] },
    { conversations: [{ from: 'human', value: 'Weather?' }, { from: 'gpt', value: 'Sunny.' }], tools: '[{"name": "weather"}]' },
    { conversations: [{ from: 'human', value: 'Weather?' }, { from: 'gpt', value: 'Rainy.' }], tools: '{broken' },
    { conversations: [{ from: 'human', value: 'Weather?' }, { from: 'gpt', value: 'Windy.' }], tools: [{ description: 'no name' }] },
  ]
    .map((l) => JSON.stringify(l))
    .join('\n');
  const r = validateDatasetText(text);
  assert.deepEqual(rows(r.diagnostics), [
    [1, 100, 1, 108, E, 'dataset-media-mismatch', "2 <image> placeholders in the messages but 1 image in 'images': LLaMA-Factory rejects the record"],
    [3, 95, 3, 104, W, 'dataset-invalid-tools', "'tools' is a string but not valid JSON (a JSON list of tool definitions is expected)"],
    [4, 95, 4, 122, W, 'dataset-invalid-tools', "'tools' should be a list of tool definitions, each with a name (or a function with a name)"],
  ]);
});
