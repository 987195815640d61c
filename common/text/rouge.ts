/**
 * ROUGE-L (Lin 2004): the longest common subsequence of two token sequences, as precision
 * (LCS / candidate length), recall (LCS / reference length) and F1 (2PR / (P + R), i.e. β = 1).
 *
 * Tokenisation follows Google's `rouge_score` (the implementation self-instruct, HF `evaluate`
 * and most papers report): lower-case, every run of characters other than [a-z0-9] is a
 * separator. That tokenizer drops every non-ASCII letter, so text in other scripts scores 0;
 * `tokenizer: 'unicode'` keeps letters and digits of any script instead. ROUGE-Lsum (the
 * summary-level variant, sentences on separate lines, union LCS) is here too.
 */

/** Precision, recall and F1 of one comparison, each in [0, 1]. */
export interface RougeScore {
  precision: number;
  recall: number;
  fmeasure: number;
}

/** How text becomes tokens. */
export interface RougeOptions {
  /** 'ascii' (default) is `rouge_score`'s tokenizer; 'unicode' keeps letters and digits of every script. */
  tokenizer?: 'ascii' | 'unicode';
  /** Applied to every token after tokenising (e.g. a Porter stemmer, as `use_stemmer=True`). */
  stem?(token: string): string;
}

const ASCII_SEPARATORS = /[^a-z0-9]+/g;
const UNICODE_SEPARATORS = /[^\p{L}\p{N}]+/gu;

/** The tokens ROUGE compares: lower-cased words (see `RougeOptions.tokenizer`). */
export function rougeTokens(text: string, opts: RougeOptions = {}): string[] {
  const sep = opts.tokenizer === 'unicode' ? UNICODE_SEPARATORS : ASCII_SEPARATORS;
  const tokens = text.toLowerCase().replace(sep, ' ').split(' ').filter((t) => t.length > 0);
  return opts.stem ? tokens.map((t) => opts.stem!(t)) : tokens;
}

/** Length of the longest common subsequence; O(n·m) time, O(min(n, m)) memory. */
export function lcsLength(a: readonly string[], b: readonly string[]): number {
  if (a.length < b.length) [a, b] = [b, a];
  if (b.length === 0) return 0;
  // One row over the shorter sequence; `diag` carries the previous row's value at j - 1.
  const row = new Int32Array(b.length + 1);
  for (let i = 0; i < a.length; i++) {
    let diag = 0;
    const ai = a[i];
    for (let j = 1; j <= b.length; j++) {
      const up = row[j];
      row[j] = ai === b[j - 1] ? diag + 1 : up > row[j - 1] ? up : row[j - 1];
      diag = up;
    }
  }
  return row[b.length];
}

function score(hits: number, candidateLength: number, referenceLength: number): RougeScore {
  if (hits === 0 || candidateLength === 0 || referenceLength === 0) return { precision: 0, recall: 0, fmeasure: 0 };
  const precision = hits / candidateLength;
  const recall = hits / referenceLength;
  return { precision, recall, fmeasure: (2 * precision * recall) / (precision + recall) };
}

/** ROUGE-L of already tokenised sequences (tokenise a pool once, compare many times). */
export function rougeLTokens(reference: readonly string[], candidate: readonly string[]): RougeScore {
  return score(lcsLength(reference, candidate), candidate.length, reference.length);
}

/** ROUGE-L of `candidate` against `reference` (F1 is symmetric; precision and recall swap). */
export function rougeL(reference: string, candidate: string, opts: RougeOptions = {}): RougeScore {
  return rougeLTokens(rougeTokens(reference, opts), rougeTokens(candidate, opts));
}

/** One LCS table, for recovering which positions of `a` are in the LCS with `b`. */
function lcsPositions(a: readonly string[], b: readonly string[]): number[] {
  const n = a.length;
  const m = b.length;
  const table = new Int32Array((n + 1) * (m + 1));
  for (let i = 1; i <= n; i++) {
    for (let j = 1; j <= m; j++) {
      const k = i * (m + 1) + j;
      table[k] = a[i - 1] === b[j - 1] ? table[k - m - 2] + 1 : Math.max(table[k - m - 1], table[k - 1]);
    }
  }
  const out: number[] = [];
  let i = n;
  let j = m;
  while (i > 0 && j > 0) {
    if (a[i - 1] === b[j - 1]) {
      out.push(i - 1);
      i--;
      j--;
    } else if (table[(i - 1) * (m + 1) + j] > table[i * (m + 1) + j - 1]) i--;
    else j--;
  }
  return out.reverse();
}

/**
 * ROUGE-Lsum: sentences are the non-empty lines; for each reference sentence the union of its LCS
 * positions with every candidate sentence counts as hits, each token used at most as often as it
 * occurs in both texts (as `rouge_score` does).
 */
export function rougeLsum(reference: string, candidate: string, opts: RougeOptions = {}): RougeScore {
  const refSents = reference.split('\n').map((s) => rougeTokens(s, opts)).filter((s) => s.length > 0);
  const candSents = candidate.split('\n').map((s) => rougeTokens(s, opts)).filter((s) => s.length > 0);
  const refCount = new Map<string, number>();
  const candCount = new Map<string, number>();
  let refLen = 0;
  let candLen = 0;
  for (const s of refSents) for (const t of s) refCount.set(t, (refCount.get(t) ?? 0) + 1);
  for (const s of candSents) for (const t of s) candCount.set(t, (candCount.get(t) ?? 0) + 1);
  for (const s of refSents) refLen += s.length;
  for (const s of candSents) candLen += s.length;
  let hits = 0;
  for (const ref of refSents) {
    const union = new Set<number>();
    for (const cand of candSents) for (const p of lcsPositions(ref, cand)) union.add(p);
    for (const p of [...union].sort((x, y) => x - y)) {
      const t = ref[p];
      const r = refCount.get(t) ?? 0;
      const c = candCount.get(t) ?? 0;
      if (r > 0 && c > 0) {
        hits++;
        refCount.set(t, r - 1);
        candCount.set(t, c - 1);
      }
    }
  }
  return score(hits, candLen, refLen);
}
