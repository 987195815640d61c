import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mulberry32 } from '../../random';
import { EVOL_OPERATIONS, evolvePrompt, parseEqual, parseEvolved } from '../../datagen/evolInstruct';
import { classificationPrompt, instancePrompt, instructionPrompt, parseInstances, parseInstructions, parseYesNo, pickExamples, type SeedTask } from '../../datagen/selfInstruct';
import { evolSeedInstruction, formatRecord, readSeeds } from '../../datagen/records';
import { convertRecord, normalizeRecord, readerForRecord } from '../../dataset/index';

const seeds: SeedTask[] = Array.from({ length: 10 }, (_, i) => ({ instruction: `Seed task number ${i}`, instances: [{ input: '', output: `out ${i}` }], isClassification: i % 3 === 0 }));

test('pickExamples: 6 seeds + 2 generated, seeds fill in while fewer are generated, all distinct', () => {
  const a = pickExamples(seeds, ['gen A', 'gen B', 'gen C'], mulberry32(1));
  assert.equal(a.length, 8);
  assert.equal(new Set(a).size, 8);
  assert.equal(a.filter((x) => x.startsWith('gen')).length, 2);
  const b = pickExamples(seeds, ['gen A'], mulberry32(1));
  assert.equal(b.filter((x) => x.startsWith('gen')).length, 1);
  assert.equal(b.filter((x) => x.startsWith('Seed')).length, 7);
  assert.deepEqual(pickExamples(seeds, ['gen A'], mulberry32(7)), pickExamples(seeds, ['gen A'], mulberry32(7)));
  assert.equal(pickExamples(seeds.slice(0, 3), [], mulberry32(1)).length, 3);
});

test('instruction prompt numbers the examples and asks for the rest of the list', () => {
  const m = instructionPrompt(['First\ntask here', 'Second task']);
  assert.equal(m.length, 2);
  assert.equal(m[1]!.role, 'user');
  assert.ok(m[1]!.content.startsWith('Here are 2 tasks:\n1. First task here\n2. Second task\n\nContinue the list with tasks 3 to 20,'), m[1]!.content);
});

test('parseInstructions reads numbered lines in common styles; a truncated answer loses its last', () => {
  const text = 'Sure! Here they are:\n9. Write a haiku about rain.\n10) **Explain entropy simply.**\nTask 11: Instruction: List prime numbers below 20.\n  12 . Name a dog\nnot numbered\n13.';
  assert.deepEqual(parseInstructions(text), ['Write a haiku about rain.', 'Explain entropy simply.', 'List prime numbers below 20.', 'Name a dog']);
  assert.deepEqual(parseInstructions(text, true), ['Write a haiku about rain.', 'Explain entropy simply.', 'List prime numbers below 20.']);
});

test('classification prompt is few-shot with Yes/No; parseYesNo', () => {
  const m = classificationPrompt('Is this review positive?', seeds.slice(0, 3));
  assert.deepEqual(m.slice(1).map((x) => `${x.role}:${x.content}`), ['user:Task: Seed task number 0', 'assistant:Yes', 'user:Task: Seed task number 1', 'assistant:No', 'user:Task: Seed task number 2', 'assistant:No', 'user:Task: Is this review positive?']);
  assert.equal(parseYesNo('Yes.'), true);
  assert.equal(parseYesNo(' **No**, it is open-ended'), false);
  assert.equal(parseYesNo('Maybe'), undefined);
});

test('instances: input-first and output-first, <noinput>, multi-line fields', () => {
  const plain = parseInstances('Sort the numbers.', 'Input: 3, 1, 2\nOutput: 1, 2, 3\n\nInput: <noinput>\nOutput: There is nothing\nto sort.', false);
  assert.deepEqual(plain, [
    { instruction: 'Sort the numbers.', input: '3, 1, 2', output: '1, 2, 3' },
    { instruction: 'Sort the numbers.', input: '', output: 'There is nothing\nto sort.' },
  ]);
  const cls = parseInstances('Is the review positive?', 'Class label: Positive\nInput: Loved it.\nClass label: Negative\nInput: Awful.', true);
  assert.deepEqual(cls, [
    { instruction: 'Is the review positive?', input: 'Loved it.', output: 'Positive' },
    { instruction: 'Is the review positive?', input: 'Awful.', output: 'Negative' },
  ]);
  assert.deepEqual(parseInstances('x y z w', 'no fields here', false), []);
  const p = instancePrompt('Is it spam?', true, [{ instruction: 'Classify sentiment.', instances: [{ input: 'Great', output: 'Positive' }] }]);
  assert.equal(p[2]!.content, 'Class label: Positive\nInput: Great');
});

test('evol prompts: five in-depth operations and in-breadth; parsing the rewrite and the judgement', () => {
  assert.deepEqual([...EVOL_OPERATIONS], ['constraints', 'deepening', 'concretizing', 'reasoning', 'complicate-input', 'breadth']);
  const texts = EVOL_OPERATIONS.map((op) => evolvePrompt(op, 'Explain gravity.')[1]!.content);
  assert.equal(new Set(texts).size, 6);
  assert.ok(texts.every((t) => t.includes('#Original#\nExplain gravity.')));
  assert.equal(parseEvolved('#Rewritten Prompt#:\nExplain gravity using two examples.'), 'Explain gravity using two examples.');
  assert.equal(parseEvolved('**Rewritten instruction:** Explain gravity to a physicist.'), 'Explain gravity to a physicist.');
  assert.equal(parseEvolved('"Explain gravity in 50 words."'), 'Explain gravity in 50 words.');
  assert.equal(parseEqual('Equal'), true);
  assert.equal(parseEqual('Not equal'), false);
  assert.equal(parseEqual('They are not equal.'), false);
  assert.equal(parseEqual('The two are equal.'), true);
});

test('readSeeds: self-instruct seed tasks, Alpaca, OpenAI and ShareGPT records; problems located by line', () => {
  const text = [
    JSON.stringify({ id: 'seed_task_0', instruction: 'Give tips.', instances: [{ input: '', output: 'Drink water.' }], is_classification: false }),
    JSON.stringify({ instruction: 'Add numbers.', input: '2 3', output: '5' }),
    JSON.stringify({ messages: [{ role: 'system', content: 'be nice' }, { role: 'user', content: 'Hi?' }, { role: 'assistant', content: 'Hello.' }] }),
    JSON.stringify({ conversations: [{ from: 'human', value: 'Name a fruit.' }, { from: 'gpt', value: 'Apple.' }] }),
    '{broken',
    JSON.stringify({ text: 'just text' }),
    '',
  ].join('\n');
  const r = readSeeds(text);
  assert.deepEqual(r.seeds, [
    { instruction: 'Give tips.', instances: [{ input: '', output: 'Drink water.' }], isClassification: false },
    { instruction: 'Add numbers.', instances: [{ input: '2 3', output: '5' }] },
    { instruction: 'Hi?', instances: [{ input: '', output: 'Hello.' }] },
    { instruction: 'Name a fruit.', instances: [{ input: '', output: 'Apple.' }] },
  ]);
  assert.deepEqual(r.problems.map((p) => p.line), [5, 6]);
  assert.match(r.problems[0]!.message, /^not valid JSON/);
  assert.equal(r.digest, readSeeds(text).digest);
  assert.notEqual(r.digest, readSeeds(text + '\n').digest);
  assert.equal(evolSeedInstruction(r.seeds[1]!), 'Add numbers.\n2 3');
});

test('formatRecord writes each format so the dataset core reads the same triple back', () => {
  const rec = { instruction: 'Add numbers.', input: '2 3', output: '5', origin: 'self-instruct' };
  assert.equal(formatRecord(rec, 'alpaca'), '{"instruction":"Add numbers.","input":"2 3","output":"5"}');
  assert.equal(formatRecord(rec, 'openai'), '{"messages":[{"role":"user","content":"Add numbers.\\n2 3"},{"role":"assistant","content":"5"}]}');
  assert.equal(formatRecord(rec, 'sharegpt'), '{"conversations":[{"from":"human","value":"Add numbers.\\n2 3"},{"from":"gpt","value":"5"}]}');
  for (const f of ['openai', 'sharegpt'] as const) {
    const o = JSON.parse(formatRecord(rec, f)) as Record<string, unknown>;
    const norm = normalizeRecord(o, readerForRecord(o)!)!;
    assert.deepEqual(convertRecord(norm, 'alpaca').value, { instruction: 'Add numbers.\n2 3', input: '', output: '5' });
  }
});
