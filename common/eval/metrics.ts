/**
 * Per-item metrics and their aggregation, as lm-evaluation-harness computes them
 * (`lm_eval/api/task.py` process_results, `lm_eval/api/metrics.py`):
 * - multiple choice: acc = argmax(ll) == gold; acc_norm = argmax(ll / len(choice)) with len in
 *   characters (Python code points) of the choice without the delimiter; acc_bytes = the same by
 *   UTF-8 bytes; exact_match = the gold continuation is the greedy one. numpy's argmax: first max.
 * - generation: exact_match (HF `evaluate` semantics with ignore_case / ignore_punctuation /
 *   regexes_to_ignore), normalized_match (SQuAD normalisation), contains, rougeL (F1).
 * - aggregation `mean` with stderr = sample standard deviation / √n; a group (MMLU) is the
 *   micro-average with the pooled stderr lm-eval uses for `weight_by_size`.
 * - perplexity: word_perplexity, byte_perplexity, bits_per_byte from (loglikelihood, count) pairs.
 */
import { rougeL } from '../text/rouge';
import { pyStrip as pyStripText, type GenFilter, type MetricSpec } from './tasks';

/** Index of the first maximum (numpy argmax). */
export function argmax(xs: readonly number[]): number {
  let best = 0;
  for (let i = 1; i < xs.length; i++) if (xs[i]! > xs[best]!) best = i;
  return best;
}

/** Python `len(s)`: code points. */
export function pyLen(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/** UTF-8 byte length (counted, so the core runs in a browser too; lone surrogates count 3 as U+FFFD). */
export function utf8Length(s: string): number {
  let n = 0;
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    n += cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
  }
  return n;
}

/** The per-item scores of one multiple-choice document. */
export interface ChoiceScores {
  acc: number;
  acc_norm: number;
  acc_bytes: number;
  exact_match: number;
  /** The choice `acc` picked. */
  pred: number;
  /** The choices `acc_norm` and `acc_bytes` picked. */
  predNorm: number;
  predBytes: number;
}

/** Scores one multiple-choice document from the log-likelihood of each choice. */
export function scoreChoices(lls: readonly number[], greedy: readonly boolean[], choices: readonly string[], gold: number): ChoiceScores {
  if (lls.length !== choices.length) throw new RangeError(`${lls.length} log-likelihoods for ${choices.length} choices`);
  const pred = argmax(lls);
  const predNorm = argmax(lls.map((ll, i) => ll / pyLen(choices[i]!)));
  const predByte = argmax(lls.map((ll, i) => ll / utf8Length(choices[i]!)));
  return {
    acc: pred === gold ? 1 : 0,
    acc_norm: predNorm === gold ? 1 : 0,
    acc_bytes: predByte === gold ? 1 : 0,
    exact_match: greedy[gold] ? 1 : 0,
    pred,
    predNorm,
    predBytes: predByte,
  };
}

export function mean(xs: readonly number[]): number {
  let s = 0;
  for (const x of xs) s += x;
  return s / xs.length;
}

/** Sample standard deviation (n − 1), as lm-eval's `sample_stddev`. */
export function sampleStddev(xs: readonly number[]): number {
  const mu = mean(xs);
  let s = 0;
  for (const x of xs) s += (x - mu) ** 2;
  return Math.sqrt(s / (xs.length - 1));
}

/** lm-eval `mean_stderr`: sample stddev / √n; null below two items (lm-eval gives N/A there). */
export function meanStderr(xs: readonly number[]): number | null {
  if (xs.length < 2) return null;
  return sampleStddev(xs) / Math.sqrt(xs.length);
}

/** lm-eval `pooled_sample_stderr` for a size-weighted group of subtasks. */
export function pooledStderr(stderrs: readonly number[], sizes: readonly number[]): number {
  let num = 0;
  let total = 0;
  for (let i = 0; i < sizes.length; i++) {
    num += (sizes[i]! - 1) * stderrs[i]! ** 2 * sizes[i]!;
    total += sizes[i]!;
  }
  return Math.sqrt(num / (total - sizes.length) / total);
}

// Python's string.punctuation.
const PUNCTUATION = new Set('!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~');

function removePunctuation(s: string): string {
  let out = '';
  for (const ch of s) if (!PUNCTUATION.has(ch)) out += ch;
  return out;
}

/** HF `evaluate` exact_match for one pair, with lm-eval's metric kwargs. */
export function exactMatch(prediction: string, reference: string, opts: Pick<MetricSpec, 'ignore_case' | 'ignore_punctuation' | 'regexes_to_ignore'> = {}): number {
  let p = prediction;
  let r = reference;
  for (const re of opts.regexes_to_ignore ?? []) {
    const rx = new RegExp(re, 'g');
    p = p.replace(rx, '');
    r = r.replace(rx, '');
  }
  if (opts.ignore_case) {
    p = p.toLowerCase();
    r = r.toLowerCase();
  }
  if (opts.ignore_punctuation) {
    p = removePunctuation(p);
    r = removePunctuation(r);
  }
  return p === r ? 1 : 0;
}

/** SQuAD's `normalize_answer`: lower case, no punctuation, no articles, single spaces. */
export function squadNormalize(s: string): string {
  const noPunc = removePunctuation(s.toLowerCase());
  const noArticles = noPunc.replace(/\b(a|an|the)\b/g, ' ');
  return noArticles.split(/\s+/).filter((w) => w.length > 0).join(' ');
}

/** Applies a task's generation filters in order (lm-eval `filter_list` of one pipeline). */
export function applyFilters(text: string, filters: readonly GenFilter[]): string {
  let t = text;
  for (const f of filters) {
    switch (f.function) {
      case 'regex': {
        // lm-eval RegexFilter: findall → [group_select] → (groups: first non-empty) → strip.
        const all = [...t.matchAll(new RegExp(f.regex_pattern, 'g'))];
        const sel = all.at(f.group_select);
        if (!sel) {
          t = f.fallback;
          break;
        }
        let m: string | undefined;
        if (sel.length === 1) m = sel[0];
        else if (sel.length === 2) m = sel[1] ?? '';
        else m = sel.slice(1).find((g) => g !== undefined && g !== '');
        t = m === undefined ? f.fallback : pyStripText(m);
        break;
      }
      case 'take_first':
        break;
      case 'lowercase':
        t = t.toLowerCase();
        break;
      case 'uppercase':
        t = t.toUpperCase();
        break;
      case 'remove_whitespace':
        t = t.replace(/^\s+/, '');
        break;
    }
  }
  return t;
}

/** Metric names a generation task may list. */
export const GENERATION_METRICS = ['exact_match', 'normalized_match', 'contains', 'rougeL'] as const;
/** Metric names a multiple-choice task may list. */
export const CHOICE_METRICS = ['acc', 'acc_norm', 'acc_bytes', 'exact_match'] as const;
/** Metric names a perplexity task may list. */
export const PERPLEXITY_METRICS = ['word_perplexity', 'byte_perplexity', 'bits_per_byte'] as const;

/**
 * Scores one generation against its references (several references: the best score, as lm-eval
 * does for multiple targets).
 */
export function scoreGeneration(metric: MetricSpec, output: string, references: readonly string[]): number {
  let best = 0;
  for (const ref of references) {
    let s: number;
    switch (metric.metric) {
      case 'exact_match':
        s = exactMatch(output, ref, metric);
        break;
      case 'normalized_match':
        s = squadNormalize(output) === squadNormalize(ref) ? 1 : 0;
        break;
      case 'contains':
        s = metric.ignore_case ? (output.toLowerCase().includes(ref.toLowerCase()) ? 1 : 0) : output.includes(ref) ? 1 : 0;
        break;
      case 'rougeL':
        s = rougeL(ref, output).fmeasure;
        break;
      default:
        throw new RangeError(`unknown generation metric ${metric.metric}`);
    }
    best = Math.max(best, s);
  }
  return best;
}

/** lm-eval `count_words`: `len(re.split(r"\s+", text))`. */
export function countWords(text: string): number {
  return text.split(/\s+/).length;
}

/** The per-document numbers of a rolling log-likelihood task. */
export interface RollingItem {
  /** Summed log-likelihood (nats) of every token of the document. */
  ll: number;
  words: number;
  bytes: number;
  tokens: number;
}

/** word_perplexity, byte_perplexity and bits_per_byte (lm-eval's weighted aggregations), plus token perplexity. */
export function perplexityMetrics(items: readonly RollingItem[]): Record<string, number> {
  let ll = 0;
  let words = 0;
  let bytes = 0;
  let tokens = 0;
  for (const it of items) {
    ll += it.ll;
    words += it.words;
    bytes += it.bytes;
    tokens += it.tokens;
  }
  return {
    word_perplexity: Math.exp(-ll / words),
    byte_perplexity: Math.exp(-ll / bytes),
    bits_per_byte: -ll / bytes / Math.LN2,
    token_perplexity: Math.exp(-ll / tokens),
  };
}
