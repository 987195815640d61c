import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyFilters, exactMatch, meanStderr, perplexityMetrics, pooledStderr, scoreChoices, scoreGeneration, squadNormalize } from '../../eval/metrics';
import { PyRandom } from '../../eval/pyRandom';
import { encodePair, rollingWindows } from '../../eval/tokens';

const close = (a: number, b: number, eps = 1e-12): void => assert.ok(Math.abs(a - b) <= eps, `${a} != ${b}`);

test('acc, acc_norm (characters) and acc_bytes (UTF-8) from hand-computed log-likelihoods', () => {
  // ll/len: "A" -2/1 = -2, "BBBB" -4/4 = -1 → acc picks 0, acc_norm picks 1.
  assert.deepEqual(scoreChoices([-2, -4], [false, true], ['A', 'BBBB'], 1), { acc: 0, acc_norm: 1, acc_bytes: 1, exact_match: 1, pred: 0, predNorm: 1, predBytes: 1 });
  // "é" is 1 character, 2 bytes: by characters -1.5/1 < -2.5/2 → 1; by bytes -1.5/2 > -2.5/2 → 0.
  assert.deepEqual(scoreChoices([-1.5, -2.5], [true, false], ['é', 'ab'], 0), { acc: 1, acc_norm: 0, acc_bytes: 1, exact_match: 1, pred: 0, predNorm: 1, predBytes: 0 });
  // Ties go to the first maximum, as numpy's argmax.
  assert.equal(scoreChoices([-1, -1], [false, false], ['x', 'y'], 1).acc, 0);
  // Astral characters count once (Python len), not as two UTF-16 units.
  assert.equal(scoreChoices([-1, -1.9], [false, false], ['😀', 'ab'], 1).acc_norm, 1);
});

test('stderr is the sample standard deviation over √n; groups use the pooled stderr', () => {
  close(meanStderr([1, 0, 1, 1])!, 0.25);
  assert.equal(meanStderr([1]), null);
  // sqrt(((4-1)·0.25²·4 + (2-1)·0.5²·2) / (6-2) / 6), lm-eval's pooled_sample_stderr.
  close(pooledStderr([0.25, 0.5], [4, 2]), 0.22821773229381923);
});

test('generation metrics: exact match options, SQuAD normalisation, contains, ROUGE-L', () => {
  assert.equal(exactMatch('Paris', 'paris'), 0);
  assert.equal(exactMatch('Paris', 'paris', { ignore_case: true }), 1);
  assert.equal(exactMatch('Paris!', 'paris', { ignore_case: true, ignore_punctuation: true }), 1);
  assert.equal(exactMatch('The answer is 42', '42', { regexes_to_ignore: ['The answer is '] }), 1);
  assert.equal(squadNormalize('  The Eiffel-Tower, in  Paris! '), 'eiffeltower in paris');
  assert.equal(scoreGeneration({ metric: 'normalized_match', higher_is_better: true }, 'the Eiffel Tower.', ['Eiffel tower']), 1);
  assert.equal(scoreGeneration({ metric: 'contains', higher_is_better: true }, 'It is Rome, I think', ['Rome']), 1);
  assert.equal(scoreGeneration({ metric: 'contains', higher_is_better: true }, 'rome', ['Rome']), 0);
  // LCS("the cat sat", "the cat") = 2: P = 1, R = 2/3, F = 0.8.
  close(scoreGeneration({ metric: 'rougeL', higher_is_better: true }, 'the cat', ['the cat sat']), 0.8);
  // Several references: the best one counts.
  assert.equal(scoreGeneration({ metric: 'exact_match', higher_is_better: true }, 'b', ['a', 'b']), 1);
});

test('regex filter as lm-eval: findall, group_select, first non-empty group, strip, fallback', () => {
  const f = (pattern: string, group = 0) => [{ function: 'regex' as const, regex_pattern: pattern, group_select: group, fallback: '[invalid]' }];
  assert.equal(applyFilters('so #### 42 and #### 7', f('#### (\\-?[0-9]+)')), '42');
  assert.equal(applyFilters('so #### 42 and #### 7', f('#### (\\-?[0-9]+)', -1)), '7');
  assert.equal(applyFilters('no number', f('#### (\\d+)')), '[invalid]');
  assert.equal(applyFilters('The answer is (B) ', f('\\(([A-D])\\)|answer is ([A-D])')), 'B');
  assert.equal(applyFilters('x  Yes ', [{ function: 'regex', regex_pattern: ' Yes ', group_select: 0, fallback: '' }, { function: 'lowercase' }]), 'yes');
});

test('perplexity metrics: word and byte perplexity, bits per byte', () => {
  const m = perplexityMetrics([
    { ll: -10, words: 4, bytes: 20, tokens: 5 },
    { ll: -6, words: 4, bytes: 12, tokens: 3 },
  ]);
  close(m.word_perplexity!, Math.exp(16 / 8));
  close(m.byte_perplexity!, Math.exp(16 / 32));
  close(m.bits_per_byte!, 16 / 32 / Math.LN2);
  close(m.token_perplexity!, Math.exp(16 / 8));
});

test('rolling windows match lm-eval get_rolling_token_windows + make_disjoint_window', () => {
  // Python output for token_list = 10..20, prefix 0, max_seq_len 4, context_len 1.
  assert.deepEqual(rollingWindows([10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20], 0, 4), [
    { context: [0], predicted: [10, 11, 12, 13] },
    { context: [13], predicted: [14, 15, 16, 17] },
    { context: [16, 17], predicted: [18, 19, 20] },
  ]);
  assert.deepEqual(rollingWindows([5, 6], 0, 4), [{ context: [0], predicted: [5, 6] }]);
  assert.deepEqual(rollingWindows([], 0, 4), []);
});

test('encodePair: trailing spaces move to the continuation; split at the context token count', () => {
  // A toy tokenizer that merges " A" into one token: whole-string encoding differs from the parts.
  const vocab = ['Answer:', ' A', ' ', 'A', 'x'];
  const encode = (s: string): number[] => {
    const out: number[] = [];
    let i = 0;
    while (i < s.length) {
      const k = vocab.findIndex((v) => s.startsWith(v, i));
      if (k < 0) throw new Error(`no token at ${i}`);
      out.push(k);
      i += vocab[k]!.length;
    }
    return out;
  };
  assert.deepEqual(encodePair(encode, 'Answer:', ' A', 9), { context: [0], continuation: [1] });
  assert.deepEqual(encodePair(encode, 'Answer: ', 'A', 9), { context: [0], continuation: [1] });
  assert.deepEqual(encodePair(encode, '', ' A', 9), { context: [9], continuation: [1] });
  assert.deepEqual(encodePair(encode, '', ' A', 1), { context: [1], continuation: [] });
});

test('PyRandom is Python\'s random.Random(1234): outputs and sample()', () => {
  // Values printed by CPython 3: r = random.Random(1234); r.getrandbits(32) twice; then sample().
  const r = new PyRandom(1234);
  assert.deepEqual([r.nextUint32(), r.nextUint32()], [4150886329, 3342196574]);
  const s = new PyRandom(1234);
  const pop = Array.from({ length: 100 }, (_, i) => i);
  assert.deepEqual(s.sample(pop, 5), [99, 56, 14, 0, 11]);
  assert.deepEqual(s.sample(pop, 10), [74, 4, 85, 88, 10, 12, 98, 45, 30, 2]);
  assert.deepEqual(s.sample(pop.slice(0, 10), 3), [0, 9, 5]);
});

test('UTF-8 byte length as Buffer.byteLength counts it', async () => {
  const { utf8Length } = await import('../../eval/metrics');
  for (const s of ['', 'abc', 'é', '€', '😀', 'a\u{10FFFF}b', '\ud800x', 'naïve café 日本語 🎉']) assert.equal(utf8Length(s), Buffer.byteLength(s, 'utf8'), JSON.stringify(s));
});
