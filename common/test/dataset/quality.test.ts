import { test } from 'node:test';
import assert from 'node:assert/strict';
import { boilerplateOf, classifyTask, detectLanguage, distribution, echoOf, Mattr, QualityAnalyzer, refusalOf, truncationOf, type TaskType } from '../../dataset/quality/index';
import { IntList } from '../../dataset/hash';
import type { NormalizedRecord } from '../../dataset/types';

test('task types: the rules on hand-made instructions', () => {
  const cases: [TaskType, string, string?, number?][] = [
    ['generation', 'Write a short poem about autumn leaves.'],
    ['generation', 'Please write a cover letter for a junior developer job.'],
    ['generation', 'Tell me a joke about cats.'],
    ['coding', 'Write a Python function that reverses a linked list.'],
    ['coding', 'Fix the bug in this code:\n```js\nconst x = 1\n```'],
    ['open_qa', 'What is the capital of Australia?'],
    ['open_qa', 'Explain how photosynthesis works.'],
    ['open_qa', 'Can you explain recursion?'],
    ['open_qa', 'How many legs does a spider have?'],
    ['closed_qa', 'Who wrote the book?', 'The Hobbit is a novel by J. R. R. Tolkien, published in 1937.'],
    ['closed_qa', 'Based on the passage, when did the war end?'],
    ['classification', 'Classify the sentiment of this review as positive or negative.', 'The food was cold.'],
    ['classification', 'Is this email spam? "You won a free cruise!"'],
    ['rewriting', 'Rewrite the following sentence in the passive voice.', 'The cat chased the mouse.'],
    ['rewriting', 'Translate "good morning" into French.'],
    ['rewriting', 'Paraphrase this paragraph.'],
    ['summarization', 'Summarize the following article in two sentences.', 'An article.'],
    ['summarization', 'TL;DR of this thread please'],
    ['extraction', 'Extract all the dates mentioned in the text.', 'On May 5 and June 7.'],
    ['extraction', 'Identify the main characters in the story.', 'A story.'],
    ['brainstorming', 'Brainstorm names for a coffee shop.'],
    ['brainstorming', 'Give me 5 ideas for a birthday party.'],
    ['brainstorming', 'What are some ways to save money on groceries?'],
    ['math', 'Solve for x: 2x + 3 = 11'],
    ['math', 'Calculate the area of a circle with radius 3.'],
    ['math', 'What is 17 * 23?'],
    ['chat', 'Hi there!'],
    ['chat', 'And then?', '', 3],
    ['summarization', 'Given an article, summarize the content in one sentence.'],
    ['rewriting', 'Reorganize the words to form a complete sentence.'],
    ['classification', 'Select the incorrect definition for the word "timid"'],
    ['classification', 'Detect if there is any profanity in the sentence.'],
    ['brainstorming', 'Give me two examples of renewable energy sources.'],
    ['math', 'Determine the volume of a cube with sides 4 cm long.'],
    ['open_qa', 'Name one of the branches of science'],
    ['open_qa', 'Provide the past tense of the verb sing'],
    ['chat', '你好'],
    ['open_qa', '你是谁？'],
    ['other', 'asdf'],
    ['other', ''],
  ];
  for (const [want, instruction, context, turns] of cases) {
    assert.equal(classifyTask({ instruction, context: context ?? '', userTurns: turns ?? 1 }), want, instruction);
  }
});

test('language: scripts, then function words; code and short text undetermined', () => {
  const cases: [string, string][] = [
    ['en', 'The quick brown fox jumps over the lazy dog and it is what you would expect.'],
    ['es', 'El perro de mi vecino es muy grande y no para de ladrar por la noche.'],
    ['fr', 'Le chat est sur la table et il dort dans la cuisine avec nous.'],
    ['de', 'Der Hund ist nicht im Haus, und die Katze schläft auf dem Sofa.'],
    ['it', 'Il gatto è sul tavolo e non vuole scendere per la cena.'],
    ['pt', 'O gato está em cima da mesa e não quer descer para o jantar.'],
    ['ru', 'Привет, как дела? Я сегодня пойду в магазин и куплю хлеб.'],
    ['zh', '今天天气很好，我们去公园散步吧。'],
    ['ja', '今日はいい天気ですね。公園に行きましょう。'],
    ['ko', '안녕하세요 오늘 날씨가 좋네요'],
    ['vi', 'Tôi đang học tiếng Việt ở trường đại học.'],
    ['und', 'def f(x): return x+1'],
    ['und', 'ok'],
  ];
  for (const [want, text] of cases) assert.equal(detectLanguage(text), want, text);
});

test('refusals, boilerplate, truncation and echoes', () => {
  assert.equal(refusalOf("I'm sorry, but I cannot help with that request."), `"I'm sorry, but I"`);
  assert.equal(refusalOf('I cannot fulfill this request as it violates the policy.'), '"I cannot fulfill"');
  assert.equal(refusalOf("I'm sorry to hear that your cat is ill. Here is what to do."), undefined);
  assert.equal(boilerplateOf('As an AI language model, I do not have feelings.'), '"As an AI language model"');
  assert.equal(boilerplateOf('The model was trained on language data.'), undefined);
  assert.equal(truncationOf('Here is the code:\n```python\nprint(1)\n'), '1 code fence (```): a code block is never closed');
  assert.equal(truncationOf('Here is the code:\n```python\nprint(1)\n```'), undefined);
  const cut = 'The French Revolution began in 1789 and led to the end of the monarchy, the rise of Napoleon and a';
  assert.equal(truncationOf(cut), 'ends mid-sentence: "…the monarchy, the rise of Napoleon and a"');
  assert.equal(truncationOf(cut + ' new order.'), undefined);
  assert.equal(truncationOf('Positive'), undefined);
  assert.equal(truncationOf('Nothing compares to the joy of a new puppy at home, trust me on this one. #PuppyLove'), undefined);
  assert.equal(truncationOf('"You can never get a cup of tea large enough or a book long enough to suit me." - C.S. Lewis'), undefined);
  assert.equal(truncationOf('Ingredients you will need for the cake, in order of use:\n- flour\n- sugar\n- eggs and butter, softened'), undefined);
  assert.equal(echoOf('Name three primary colours please.', 'Name three primary colours please. Red, yellow, blue.'), 'the response starts by repeating the prompt');
  assert.equal(echoOf('Name three primary colours please.', 'name three  primary colours please.'), 'the response is the prompt');
  assert.equal(echoOf('Name three primary colours please.', 'Red, yellow and blue.'), undefined);
  // A short extractive answer quoted from the prompt is fine.
  assert.equal(echoOf('When was it founded? The company was founded in 1998 in Ohio by two brothers.', 'founded in 1998 in Ohio'), undefined);
});

test('distribution: nearest-rank percentiles and log2 bins', () => {
  const v = new IntList();
  for (const x of [0, 1, 2, 3, 5, 8, 13, 21, 34, 55]) v.push(x);
  assert.deepEqual(distribution(v), {
    count: 10,
    min: 0,
    p10: 0,
    p25: 2,
    p50: 5,
    p75: 21,
    p90: 34,
    p99: 55,
    max: 55,
    mean: 14.2,
    histogram: { edges: [0, 1, 2, 4, 8, 16, 32, 64], counts: [1, 1, 2, 1, 2, 1, 2] },
  });
  assert.equal(distribution(new IntList()), null);
});

test('MATTR: distinct words per window, averaged', () => {
  const m = new Mattr(4);
  for (const w of [1, 2, 3, 4, 1, 1, 1, 1]) m.add(w);
  // Windows: [1234]=1, [2341]=1, [3411]=.75, [4111]=.5, [1111]=.25
  assert.equal(m.value(), (1 + 1 + 0.75 + 0.5 + 0.25) / 5);
});

const chat = (q: string, a: string): NormalizedRecord => ({ kind: 'chat', conversation: { messages: [{ role: 'user', content: q }, { role: 'assistant', content: a }] } });
const story = (n: number) => Array.from({ length: 60 }, (_, k) => `word${(n * 97 + k * 13) % 1000}`).join(' ');

test('the analyzer: findings with record links, near-duplicates verified exactly, clusters keep the first', () => {
  const long =
    'The mitochondria is the powerhouse of the cell. It produces most of the energy the cell needs, in the form of ATP, through respiration in its inner membrane and matrix. ' +
    'Mitochondria have their own DNA, inherited from the mother, and divide on their own inside the cell. They also take part in signalling, in cell growth and in programmed ' +
    'cell death, which is why faults in them cause a wide range of diseases.';
  const records: NormalizedRecord[] = [
    chat('What do mitochondria do?', long), // 0
    chat('Write a poem about the sea.', story(1) + '.'), // 1
    chat('What do mitochondria do?', long), // 2: exact duplicate of 0
    chat('What do mitochondria do in a cell?', long.replace('most of', 'nearly all of')), // 3: near-duplicate of 0 (Jaccard 0.833)
    chat('Tell me how to pick a lock.', "I'm sorry, but I cannot help with that."), // 4
    chat('Explain gravity.', 'As an AI language model, I think gravity is the force that attracts masses toward each other.'), // 5
    chat('Write an essay on Rome.', 'Rome was founded, according to legend, in 753 BC by Romulus, and grew from a small town into an empire that'), // 6
    chat('Repeat after me: the sky is blue today.', 'Repeat after me: the sky is blue today.'), // 7
    chat('Summarize: ' + story(2), ''), // 8: empty answer
    chat('What do mitochondria do for cells?', long.replace('most of', 'nearly all of').replace('inner membrane', 'inner membranes')), // 9: near 3 (0.826), not quite 0 (0.779): same cluster
  ];
  const a = new QualityAnalyzer();
  records.forEach((r, i) => a.add(r, { index: i, line: i * 2 }));
  assert.deepEqual([...a.neededIndexes()], [0, 3, 9]);
  for (const i of a.neededIndexes()) a.verify(i, records[i]);
  const report = a.finish();
  assert.equal(report.records, 10);
  assert.equal(report.analysed, 10);
  const byCode = Object.fromEntries(report.findings.map((g) => [g.code, g.examples.map((e) => [e.index, e.line, e.detail])]));
  assert.deepEqual(byCode['dataset-duplicate'], [[2, 4, 'same text as record 1 (line 1)']]);
  assert.deepEqual(byCode['quality-refusal'], [[4, 8, `refusal: "I'm sorry, but I"`]]);
  assert.deepEqual(byCode['quality-boilerplate'], [[5, 10, 'boilerplate: "As an AI language model"']]);
  assert.deepEqual(byCode['quality-truncated'], [[6, 12, 'ends mid-sentence: "…ew from a small town into an empire that"']]);
  assert.deepEqual(byCode['quality-echo'], [[7, 14, 'the response is the prompt']]);
  assert.deepEqual(byCode['quality-empty-field'], [[8, 16, 'an assistant turn is empty']]);
  const near = report.findings.find((g) => g.code === 'quality-near-duplicate')!;
  assert.deepEqual(near.examples.map((e) => [e.index, e.of, e.verified]), [[3, { index: 0, line: 0 }, true], [9, { index: 3, line: 6 }, true]]);
  const nd = report.nearDuplicates;
  assert.deepEqual([nd.bands, nd.rows, nd.shingle, nd.threshold, nd.verified, nd.records, nd.clusterCount], [16, 8, 3, 0.8, true, 2, 1]);
  assert.deepEqual(nd.clusters.map((c) => [c.first.index, c.members.map((m) => m.index)]), [[0, [3, 9]]]);
  for (const m of nd.clusters[0]!.members) assert.ok(m.jaccard >= 0.8 && m.jaccard < 1, String(m.jaccard));
  assert.deepEqual(report.taskTypes.find((t) => t.type === 'generation'), { type: 'generation', count: 2, share: 0.2, example: { index: 1, line: 2 } });
  assert.equal(report.languages[0]!.language, 'en');
  assert.equal(report.lengths.turns!.max, 1);
  assert.deepEqual(report.phrasing.leading[0]!.top[0], { text: 'what', count: 4 });
  // Fewer than 20 instructions: no file-level verdicts on the mix.
  assert.deepEqual(report.fileFindings, []);
  // Per-record findings for the language server / filter, in record order.
  assert.deepEqual(a.findings().map((f) => [f.index, f.code]), [[2, 'dataset-duplicate'], [3, 'quality-near-duplicate'], [4, 'quality-refusal'], [5, 'quality-boilerplate'], [6, 'quality-truncated'], [7, 'quality-echo'], [8, 'quality-empty-field'], [9, 'quality-near-duplicate']]);
});

test('the analyzer without a verification pass counts no near-duplicates and says so', () => {
  const a = new QualityAnalyzer();
  a.add(chat('Q one two three', story(5)), { index: 0, line: 0 });
  a.add(chat('Q one two three four', story(5)), { index: 1, line: 1 });
  const r = a.finish();
  assert.equal(r.nearDuplicates.candidates, 1);
  assert.equal(r.nearDuplicates.verified, false);
  assert.equal(r.nearDuplicates.records, 0);
});

test('unbalanced task mix and repetitive openings are file-level findings', () => {
  const a = new QualityAnalyzer({ maxShare: 0.5, minShare: 0.05 });
  for (let i = 0; i < 30; i++) a.add(chat(`Write a story about the number ${i}.`, story(i) + '.'), { index: i, line: i });
  a.add(chat('What is the capital of France?', 'Paris.'), { index: 30, line: 30 });
  const r = a.finish();
  assert.deepEqual(r.fileFindings, [
    { code: 'quality-task-type-dominant', severity: 'warning', message: 'generation is 96.8 % of the instructions (more than 50.0 %): a model tuned on this mix learns little else' },
    { code: 'quality-task-type-rare', severity: 'info', message: 'open_qa is only 1 instruction (3.2 %, under 5.0 %): too few to teach it' },
    { code: 'quality-repetitive-phrasing', severity: 'info', message: '96.8 % of the instructions open with "write a story": vary the phrasing so the model does not key on it' },
  ]);
  assert.deepEqual(r.phrasing.topVerbs, [{ verb: 'write', count: 30 }]);
  assert.deepEqual(r.phrasing.leading.map((l) => l.distinct), [2, 2, 2]);
});
