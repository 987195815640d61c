/**
 * Token-level request shaping as lm-eval's `TemplateLM` does it, over any `encode` function
 * (no special tokens added, as lm-eval's HF model encodes by default):
 * - `encodePair`: trailing whitespace of the context moves to the continuation; the whole string is
 *   encoded and split at the context's own token count (so the boundary is a token boundary).
 * - an empty context scores the continuation after the prefix token (BOS, else EOS).
 * - `rollingWindows`: `get_rolling_token_windows` + `make_disjoint_window` (loglikelihood_rolling).
 */

/** The context and continuation tokens of one log-likelihood request. */
export interface TokenPair {
  context: number[];
  continuation: number[];
}

/** lm-eval `loglikelihood` tokenisation of (context, continuation). */
export function encodePair(encode: (text: string) => number[], context: string, continuation: string, prefixToken: number): TokenPair {
  if (context === '') {
    const cont = encode(continuation);
    if (cont.length > 0 && cont[0] === prefixToken) return { context: cont.slice(0, 1), continuation: cont.slice(1) };
    return { context: [prefixToken], continuation: cont };
  }
  const trimmed = context.replace(/\s+$/u, '');
  // Python's rstrip() strips Unicode whitespace; the regex above is JS's \s, the same set for text.
  const nSpaces = context.length - trimmed.length;
  let ctx = context;
  let cont = continuation;
  if (nSpaces > 0) {
    cont = context.slice(context.length - nSpaces) + continuation;
    ctx = trimmed;
  }
  const whole = encode(ctx + cont);
  const ctxEnc = encode(ctx);
  return { context: ctxEnc, continuation: whole.slice(ctxEnc.length) };
}

/** One window of a rolling log-likelihood: feed `context` + `predicted` minus its last token, score `predicted`. */
export interface RollingWindow {
  context: number[];
  predicted: number[];
}

/**
 * Splits a document's tokens into windows of at most `maxLen` inputs so that every token is
 * predicted exactly once, the first from the prefix token, later ones with as much context as fits
 * (lm-eval with context_len = 1, then made disjoint).
 */
export function rollingWindows(tokens: readonly number[], prefixToken: number, maxLen: number): RollingWindow[] {
  if (maxLen < 1) throw new RangeError('maxLen must be at least 1');
  const out: RollingWindow[] = [];
  if (tokens.length === 0) return out;
  const predLen = maxLen; // max_seq_len − context_len + 1 with context_len = 1
  const firstLen = Math.min(maxLen, tokens.length);
  out.push(disjoint([prefixToken, ...tokens.slice(0, firstLen - 1)], tokens.slice(0, firstLen)));
  let predicted = firstLen;
  while (predicted < tokens.length) {
    const windowPred = Math.min(tokens.length - predicted, predLen);
    const end = predicted + windowPred;
    out.push(disjoint(pySlice(tokens, end - maxLen - 1, end - 1), tokens.slice(end - windowPred, end)));
    predicted += windowPred;
  }
  return out;
}

function disjoint(input: number[], pred: number[]): RollingWindow {
  return { context: input.slice(0, input.length - (pred.length - 1)), predicted: pred };
}

// Python slicing semantics for a possibly negative start.
function pySlice(a: readonly number[], start: number, end: number): number[] {
  const s = start < 0 ? Math.max(0, a.length + start) : start;
  return a.slice(s, end);
}
