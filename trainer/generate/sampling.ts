/**
 * Choosing the next token from logits: greedy (temperature 0), or sampling with temperature,
 * top-k and nucleus (top-p) filtering, as transformers' generate applies them (temperature, then
 * top-k, then top-p keeping the smallest set whose probability reaches p). Host-side: one row of
 * logits is small next to a forward pass.
 */

export interface SamplingOptions {
  /** 0 = greedy. */
  temperature: number;
  /** Nucleus mass in (0, 1]; 1 disables. */
  topP: number;
  /** Keep the k most likely tokens; 0 disables. */
  topK: number;
}

/** Index of the largest logit (the lowest index on ties, as torch.argmax). */
export function argmax(logits: Float32Array): number {
  let best = 0;
  for (let i = 1; i < logits.length; i++) if (logits[i] > logits[best]) best = i;
  return best;
}

/** The next token id for one row of logits; `rand` is a uniform [0, 1) source. */
export function sampleToken(logits: Float32Array, opts: SamplingOptions, rand: () => number): number {
  if (opts.temperature <= 0) return argmax(logits);
  const order = Array.from(logits.keys()).sort((a, b) => logits[b] - logits[a] || a - b);
  const keep = opts.topK > 0 ? Math.min(opts.topK, order.length) : order.length;
  const max = logits[order[0]];
  const probs = new Float64Array(keep);
  let total = 0;
  for (let i = 0; i < keep; i++) {
    probs[i] = Math.exp((logits[order[i]] - max) / opts.temperature);
    total += probs[i];
  }
  // Nucleus: the smallest prefix of the sorted tokens whose mass reaches topP (at least one).
  let n = keep;
  if (opts.topP < 1) {
    let mass = 0;
    for (let i = 0; i < keep; i++) {
      mass += probs[i] / total;
      if (mass >= opts.topP) {
        n = i + 1;
        break;
      }
    }
  }
  let kept = 0;
  for (let i = 0; i < n; i++) kept += probs[i];
  let u = rand() * kept;
  for (let i = 0; i < n; i++) {
    u -= probs[i];
    if (u < 0) return order[i];
  }
  return order[n - 1];
}
