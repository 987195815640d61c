import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildContext, choiceRequests, docChoices, docTarget, FewshotSampler } from '../../eval/prompt';
import { builtinTask, hellaswagDoc, hellaswagPreprocess, mmluDescription, pyCapitalize } from '../../eval/tasks';
import { fieldValue } from '../../eval/template';
import { EvalError } from '../../eval/problems';
import { parseTaskYaml } from '../../eval/yamlTask';

// Expected strings are written from lm-eval's task files: tasks/mmlu/default/_default_template_yaml
// (doc_to_text, description per subject), tasks/arc/arc_easy.yaml, tasks/hellaswag/utils.py, and
// api/task.py's plain-text fewshot_context (description + (q + " " + a + "\n\n") * k + q).

const mmlu = builtinTask('mmlu')!;
const astro1 = { question: 'Which planet is closest to the Sun?', subject: 'astronomy', choices: ['Venus', 'Mercury', 'Earth', 'Mars'], answer: 1 };
const astroDev = [
  { question: 'What is the largest planet?', subject: 'astronomy', choices: ['Jupiter', 'Saturn', 'Neptune', 'Earth'], answer: 0 },
  { question: "What do we call a star's explosion?", subject: 'astronomy', choices: ['Nebula', 'Pulsar', 'Supernova', 'Quasar'], answer: 2 },
];

test('MMLU zero-shot prompt is byte for byte lm-eval\'s', () => {
  assert.equal(
    buildContext(mmlu, astro1, []),
    'The following are multiple choice questions (with answers) about astronomy.\n\nWhich planet is closest to the Sun?\nA. Venus\nB. Mercury\nC. Earth\nD. Mars\nAnswer:',
  );
  assert.deepEqual(docChoices(mmlu, astro1), ['A', 'B', 'C', 'D']);
  assert.equal(docTarget(mmlu, astro1, ['A', 'B', 'C', 'D']), 1);
  assert.deepEqual(choiceRequests(mmlu, 'ctx', ['A', 'B']), [{ context: 'ctx', continuation: ' A' }, { context: 'ctx', continuation: ' B' }]);
});

test('MMLU few-shot: the first K dev items of the same subject, answers as letters', () => {
  const pools = new Map([['astronomy', astroDev], ['anatomy', [astro1]]]);
  const sampler = new FewshotSampler(mmlu, pools, false);
  const shots = sampler.sample(astro1, 2);
  assert.deepEqual(shots, astroDev);
  assert.equal(
    buildContext(mmlu, astro1, shots),
    'The following are multiple choice questions (with answers) about astronomy.\n\n' +
      'What is the largest planet?\nA. Jupiter\nB. Saturn\nC. Neptune\nD. Earth\nAnswer: A\n\n' +
      "What do we call a star's explosion?\nA. Nebula\nB. Pulsar\nC. Supernova\nD. Quasar\nAnswer: C\n\n" +
      'Which planet is closest to the Sun?\nA. Venus\nB. Mercury\nC. Earth\nD. Mars\nAnswer:',
  );
  assert.throws(() => sampler.sample(astro1, 3), /3 few-shot examples asked, the few-shot split has 2 for astronomy/);
});

test('MMLU strips the question and writes underscores of the subject as spaces', () => {
  assert.equal(mmluDescription('high_school_biology'), 'The following are multiple choice questions (with answers) about high school biology.\n\n');
  const doc = { question: '  How many moons does Mars have?  ', subject: 'astronomy', choices: ['0', '1', '2', '4'], answer: 2 };
  assert.equal(buildContext(mmlu, doc, []).split('\n\n')[1], 'How many moons does Mars have?\nA. 0\nB. 1\nC. 2\nD. 4\nAnswer:');
});

test('ARC prompt, choices and a numeric answer key', () => {
  const arc = builtinTask('arc_easy')!;
  const doc = { id: 'x', question: 'Water freezes at what temperature in degrees Celsius?', choices: { text: ['0', '10', '50', '100'], label: ['1', '2', '3', '4'] }, answerKey: '1' };
  assert.equal(buildContext(arc, doc, []), 'Question: Water freezes at what temperature in degrees Celsius?\nAnswer:');
  const choices = docChoices(arc, doc)!;
  assert.deepEqual(choices, ['0', '10', '50', '100']);
  assert.equal(docTarget(arc, doc, choices), 0);
  const shot = { id: 'y', question: 'Which animal is a mammal?', choices: { text: ['a shark', 'a whale'], label: ['A', 'B'] }, answerKey: 'B' };
  assert.equal(buildContext(arc, doc, [shot]), 'Question: Which animal is a mammal?\nAnswer: a whale\n\nQuestion: Water freezes at what temperature in degrees Celsius?\nAnswer:');
  assert.equal(builtinTask('arc_challenge')!.primary, 'acc_norm');
});

test('HellaSwag preprocessing as lm-eval\'s utils.py', () => {
  assert.equal(pyCapitalize('the LADY'), 'The lady');
  assert.equal(hellaswagPreprocess(' a [title] b [step] c  d '), 'a. b c d');
  const doc = hellaswagDoc({
    activity_label: 'Home and Garden',
    ctx_a: '[header] How to grow tomatoes [title] Pick a sunny spot.',
    ctx_b: '[step] Tomatoes need',
    endings: ['at least six hours of sun a day. [substeps] Water them in the morning.', 'a cold  room [title] to sleep.', 'nothing at all.', 'to be painted blue.'],
    label: '0',
  });
  // Values from running lm-eval's preprocess on the same record.
  assert.equal(doc.query, 'Home and Garden: How to grow tomatoes. Pick a sunny spot. tomatoes need');
  assert.deepEqual(doc.choices, ['at least six hours of sun a day. Water them in the morning.', 'a cold room. to sleep.', 'nothing at all.', 'to be painted blue.']);
  const hs = builtinTask('hellaswag')!;
  assert.equal(docTarget(hs, doc, doc.choices as string[]), 0);
  assert.equal(buildContext(hs, doc, []), doc.query);
});

test('templates: field names, Jinja, list literals, index()', () => {
  const doc = { q: ' x ', c: { text: ['a', 'b'], label: ['P', 'Q'] }, k: 'Q', n: 3 };
  assert.equal(fieldValue('q', doc, true), ' x ');
  assert.equal(fieldValue('{{q.strip()}}!', doc, true), 'x!');
  assert.deepEqual(fieldValue('{{c.text}}', doc, false), ['a', 'b']);
  assert.equal(fieldValue('{{c.label.index(k)}}', doc, true), 1);
  assert.equal(fieldValue('{{n}}', doc, false), '3');
  assert.deepEqual(fieldValue(['x', 'y'], doc, true), ['x', 'y']);
});

const YAML = `task: pirate
output_type: multiple_choice
data_files:
  test: p.jsonl
  train: d.jsonl
description: "About {{topic}}.\\n\\n"
doc_to_text: "Q: {{question}}\\nA:"
doc_to_choice: choices
doc_to_target: answer
target_delimiter: " "
fewshot_config:
  sampler: first_n
metric_list:
  - metric: acc_norm
  - metric: acc
`;

test('a YAML multiple-choice task: prompt, files, metrics', () => {
  const t = parseTaskYaml(YAML, '/tasks/pirate.yaml', (p) => `/tasks/${p}`);
  assert.equal(t.name, 'pirate');
  assert.deepEqual(t.dataFiles, { test: ['/tasks/p.jsonl'], train: ['/tasks/d.jsonl'] });
  assert.equal(t.evalSplit, 'test');
  assert.equal(t.fewshotSplit, 'train');
  assert.equal(t.primary, 'acc_norm');
  assert.equal(t.sampler, 'first_n');
  const doc = { topic: 'ships', question: 'Hull?', choices: ['wood', 'steel'], answer: 0 };
  const shot = { topic: 'ships', question: 'Sail?', choices: ['cloth', 'stone'], answer: 0 };
  assert.equal(buildContext(t, doc, [shot]), 'About ships.\n\nQ: Sail?\nA: cloth\n\nQ: Hull?\nA:');
});

test('YAML task problems name the line', () => {
  const bad = (text: string): EvalError => {
    try {
      parseTaskYaml(text, 't.yaml', (p) => p);
    } catch (e) {
      return e as EvalError;
    }
    throw new Error('no error');
  };
  const e1 = bad(YAML.replace('  - metric: acc\n', '  - metric: bleu\n'));
  assert.deepEqual(e1.problem, { code: 'eval-task-invalid', message: "metric 'bleu' is not available for multiple_choice (use acc, acc_norm, acc_bytes, exact_match)", file: 't.yaml', line: 15 });
  const e2 = bad(YAML.replace('output_type: multiple_choice', 'output_type: ranking'));
  assert.equal(e2.problem.line, 2);
  assert.match(e2.problem.message, /^output_type must be one of multiple_choice, generate_until, loglikelihood_rolling$/);
  const e3 = bad(YAML + 'process_docs: !function utils.process_docs\n');
  assert.equal(e3.problem.line, 16);
  assert.match(e3.problem.message, /unknown key 'process_docs'/);
  const e4 = bad(YAML.replace('  train: d.jsonl\n', '').replace('sampler: first_n', 'sampler: first_n\nfewshot_split: dev'));
  assert.equal(e4.problem.message, "split 'dev' has no entry in data_files (test)");
});

test('a YAML generation task: until, max_gen_toks, regex filter', () => {
  const t = parseTaskYaml(
    'task: g\noutput_type: generate_until\ndata_files: g.jsonl\ndoc_to_text: "{{q}}"\ndoc_to_target: "{{a}}"\ngeneration_kwargs:\n  until: ["\\n"]\n  max_gen_toks: 8\nfilter_list:\n  - name: x\n    filter:\n      - function: regex\n        regex_pattern: "#### (\\\\d+)"\n      - function: take_first\n',
    'g.yaml',
    (p) => p,
  );
  assert.deepEqual(t.until, ['\n']);
  assert.equal(t.maxGenToks, 8);
  assert.deepEqual(t.filters, [{ function: 'regex', regex_pattern: '#### (\\d+)', group_select: 0, fallback: '[invalid]' }, { function: 'take_first' }]);
  assert.deepEqual(t.metrics, [{ metric: 'exact_match', higher_is_better: true }]);
  assert.equal(t.fewshotSplit, null);
});

test('a template that reads a field the record lacks is an error, as under lm-eval\'s StrictUndefined', () => {
  assert.throws(() => fieldValue('Q: {{questoin}}', { question: 'x' }, false), { message: `the record has no field 'questoin' (template "Q: {{questoin}}")` });
  assert.equal(fieldValue('{% for c in choices %}{{ c }};{% endfor %}', { choices: ['a', 'b'] }, false), 'a;b;');
  assert.equal(fieldValue('{%- set x = 1 -%}{{ x }}{{ loop is defined }}', {}, false), '1false');
});

test('default sampler: Random(1234).sample in document order, the scored document left out of its own shots', () => {
  const t = parseTaskYaml('task: s\noutput_type: multiple_choice\ndata_files: x.jsonl\ndoc_to_text: "{{q}}"\ndoc_to_choice: ["a", "b"]\ndoc_to_target: 0\n', 's.yaml', (p) => p);
  const docs = Array.from({ length: 10 }, (_, i) => ({ q: `q${i}` }));
  const sampler = new FewshotSampler(t, new Map([['', docs]]), true);
  // CPython: r = random.Random(1234); r.sample(range(10), 3) → [7, 1, 0]; then r.sample(range(10), 3) → [1, 0, 9].
  assert.deepEqual(sampler.sample(docs[1]!, 2), [docs[7], docs[0]]);
  assert.deepEqual(sampler.sample(docs[5]!, 2), [docs[1], docs[0]]);
});
