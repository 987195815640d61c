import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lcsLength, rougeL, rougeLsum, rougeLTokens, rougeTokens } from '../../text/rouge';

test('tokens: rouge_score tokenizer (lower-case, [a-z0-9] runs) and the unicode variant', () => {
  assert.deepEqual(rougeTokens("Write a haiku -- about the SEA's 2nd wave!"), ['write', 'a', 'haiku', 'about', 'the', 'sea', 's', '2nd', 'wave']);
  assert.deepEqual(rougeTokens('Écris un poème'), ['cris', 'un', 'po', 'me']);
  assert.deepEqual(rougeTokens('Écris un poème', { tokenizer: 'unicode' }), ['écris', 'un', 'poème']);
  assert.deepEqual(rougeTokens('写一首诗', { tokenizer: 'ascii' }), []);
  assert.deepEqual(rougeTokens('  '), []);
  assert.deepEqual(rougeTokens('Cats running', { stem: (t) => t.replace(/(s|ning)$/, '') }), ['cat', 'run']);
});

test('LCS length', () => {
  assert.equal(lcsLength(['a', 'b', 'c', 'd'], ['a', 'c', 'd']), 3);
  assert.equal(lcsLength(['a', 'c', 'd'], ['a', 'b', 'c', 'd']), 3);
  assert.equal(lcsLength(['a', 'b'], []), 0);
  assert.equal(lcsLength('abcbdab'.split(''), 'bdcaba'.split('')), 4);
});

test('ROUGE-L: precision, recall and F1 from the LCS (Lin 2004 examples)', () => {
  assert.deepEqual(rougeL('police killed the gunman', 'police kill the gunman'), { precision: 0.75, recall: 0.75, fmeasure: 0.75 });
  assert.deepEqual(rougeL('police killed the gunman', 'the gunman kill police'), { precision: 0.5, recall: 0.5, fmeasure: 0.5 });
  // Candidate 2 tokens, reference 4, LCS 2: P = 1, R = 0.5, F = 2/3.
  const s = rougeL('the cat sat down', 'cat down');
  assert.equal(s.precision, 1);
  assert.equal(s.recall, 0.5);
  assert.equal(s.fmeasure, 2 / 3);
  assert.deepEqual(rougeL('', 'anything'), { precision: 0, recall: 0, fmeasure: 0 });
  assert.deepEqual(rougeL('same words', 'Same, words.'), { precision: 1, recall: 1, fmeasure: 1 });
  assert.deepEqual(rougeLTokens(['a', 'b'], ['c']), { precision: 0, recall: 0, fmeasure: 0 });
});

test('ROUGE-Lsum: union LCS over sentences (Lin 2004, section 3.2)', () => {
  // r = w1..w5; c1 = w1 w2 w6 w7 w8; c2 = w1 w3 w8 w9 w5: union LCS = w1 w2 w3 w5 → 4 hits.
  const s = rougeLsum('w1 w2 w3 w4 w5', 'w1 w2 w6 w7 w8\nw1 w3 w8 w9 w5');
  assert.equal(s.recall, 4 / 5);
  assert.equal(s.precision, 4 / 10);
  assert.equal(s.fmeasure, (2 * 0.4 * 0.8) / (0.4 + 0.8));
  // A token is counted at most as often as it occurs in the candidate.
  const t = rougeLsum('a a a', 'a');
  assert.deepEqual(t, { precision: 1, recall: 1 / 3, fmeasure: 0.5 });
  assert.deepEqual(rougeLsum('\n\n', 'x'), { precision: 0, recall: 0, fmeasure: 0 });
});
