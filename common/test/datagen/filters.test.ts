import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evolutionProblem, evolvedProblem, hasConflictingOutputs, instanceKey, instanceProblem, instructionHeuristics, InstructionPool } from '../../datagen/filters';

test("self-instruct heuristics, one rule each, in the paper's order", () => {
  const cases: [string, string | undefined][] = [
    ['Summarize the article in two sentences.', undefined],
    ['Tell a joke.', 'too-short'],
    ['Translate it now', 'too-short'],
    ['Translate it now, please', undefined],
    [Array.from({ length: 151 }, (_, i) => `w${i}`).join(' '), 'too-long'],
    ['Describe what you see in this image of a cat.', 'unsuitable-keyword'],
    ['Plot the sales figures for each month.', 'unsuitable-keyword'],
    ['Please go  to the store and buy milk.', 'unsuitable-keyword'],
    ['Explain how graphite conducts electricity so well.', undefined],
    ['"Rewrite this sentence in passive voice."', 'starts-with-punctuation'],
    ['- List three uses of copper wire.', 'starts-with-punctuation'],
    ['Écrivez un poème sur la mer.', 'not-english'],
    ['5 reasons to learn a second language, with examples.', undefined],
    ['Write a program that sorts a list of numbers.', 'write-a-program'],
    ['Write a programming joke about recursion and stacks.', undefined],
  ];
  for (const [text, want] of cases) assert.equal(instructionHeuristics(text), want, text);
  assert.equal(instructionHeuristics('Name two rivers', { minWords: 4 }), 'too-short');
  assert.equal(instructionHeuristics('Name two big rivers', { minWords: 4 }), undefined);
});

test('the pool drops exact repeats and instructions with ROUGE-L >= 0.7 to any member', () => {
  const pool = new InstructionPool(['Give three tips for staying healthy.', 'Explain why the sky is blue to a child.']);
  assert.equal(pool.size, 2);
  // Exact repeat, up to case and spacing.
  assert.equal(pool.check('give three  tips for staying healthy.'), 'duplicate');
  // 5 of 6 tokens in order with "Give three tips for staying healthy": F = 5/6 = 0.83.
  const f = (hits: number, cand: number, ref: number): number => (2 * (hits / cand) * (hits / ref)) / (hits / cand + hits / ref);
  assert.equal(pool.check('Give three tips for staying happy.'), 'too-similar');
  assert.equal(pool.maxSimilarity('Give three tips for staying happy.'), f(5, 6, 6));
  // "Explain why the sea is salty to a child" vs "Explain why the sky is blue to a child": LCS 7 of 9 and 9 → F = 7/9 = 0.78.
  assert.equal(pool.check('Explain why the sea is salty to a child.'), 'too-similar');
  // Below the threshold: "Give three tips for learning a new language quickly" shares "give three tips for" (4 of 6 and 9): F = 8/15 = 0.53.
  assert.equal(pool.check('Give three tips for learning a new language quickly.'), undefined);
  assert.equal(pool.maxSimilarity('Give three tips for learning a new language quickly.'), f(4, 9, 6));
  // A stricter threshold drops it.
  assert.equal(pool.check('Give three tips for learning a new language quickly.', { maxRougeL: 0.5 }), 'too-similar');
  pool.add('Give three tips for learning a new language quickly.');
  assert.equal(pool.check('Give three tips for learning a new language quickly.'), 'duplicate');
  assert.equal(new InstructionPool().maxSimilarity('anything at all here'), 0);
});

test('instance filters: empty output, output equal to input, duplicates', () => {
  const seen = new Set<string>();
  const a = { instruction: 'Reverse the word.', input: 'stop', output: 'pots' };
  assert.equal(instanceProblem(a, seen), undefined);
  seen.add(instanceKey(a));
  assert.equal(instanceProblem({ ...a, output: ' pots ' }, seen), 'duplicate');
  assert.equal(instanceProblem({ ...a, output: '  ' }, seen), 'empty-output');
  assert.equal(instanceProblem({ ...a, input: 'level', output: 'level' }, seen), 'output-equals-input');
  assert.equal(instanceProblem({ instruction: 'Say hi.', input: '', output: 'hi' }, seen), undefined);
  assert.equal(instanceProblem({ instruction: 'List fruits.', input: '', output: 'Here are some fruits:' }, seen), 'incomplete');
  assert.equal(instanceProblem({ instruction: 'Fix the text.', input: 'Text:', output: 'Done.' }, seen), 'incomplete');
});

test('a task whose instances give one input two outputs is conflicting; the same output twice is not', () => {
  const t = (input: string, output: string) => ({ instruction: 'Label it.', input, output });
  assert.equal(hasConflictingOutputs([t('Great!', 'Positive'), t('Awful.', 'Negative')]), false);
  assert.equal(hasConflictingOutputs([t('Great!', 'Positive'), t('great!', 'positive')]), false);
  assert.equal(hasConflictingOutputs([t('Great!', 'Positive'), t('Awful.', 'Negative'), t('Great! ', 'Negative')]), true);
  assert.equal(hasConflictingOutputs([]), false);
});

test('evol-instruct elimination rules 2-4', () => {
  const long = 'word '.repeat(90);
  assert.equal(evolutionProblem('Explain recursion with an example in Python.', 'Recursion is when a function calls itself, for example factorial.'), undefined);
  assert.equal(evolutionProblem('Explain recursion.', "I'm sorry, but I cannot help with that."), 'model-refused');
  assert.equal(evolutionProblem('Explain recursion.', `Sorry for the long answer: ${long}`), undefined);
  assert.equal(evolutionProblem('Explain recursion.', 'It is what it is, and so on.'), 'only-stopwords');
  assert.equal(evolutionProblem('Explain recursion.', '...!?'), 'only-stopwords');
  assert.equal(evolutionProblem('#Rewritten Prompt#: explain recursion', 'Fine answer about recursion.'), 'copies-prompt-words');
  assert.equal(evolvedProblem('Rewrite the given prompt so it asks about loops.'), 'copies-prompt-words');
  assert.equal(evolvedProblem('   '), 'unparseable');
  assert.equal(evolvedProblem('Write a new instruction manual for a kettle.'), undefined);
});
