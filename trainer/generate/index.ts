/**
 * Autoregressive generation with a KV cache: the prompt runs once, then each new token runs alone
 * against the cached keys and values. Stops at a stop id (EOS / end of turn), at maxNewTokens, or
 * at the model's position limit.
 */
import { KvCache, seededRandom, type CausalLM, type ForwardHooks } from '../model/index';
import { sampleToken, type SamplingOptions } from './sampling';

export type { SamplingOptions } from './sampling';
export { argmax, sampleToken } from './sampling';

export interface GenerateOptions extends Partial<SamplingOptions> {
  maxNewTokens: number;
  /** Ids that end generation (not included in the output). */
  stopIds?: readonly number[];
  /** Seed for sampling (default 0). */
  seed?: number;
  /** Called with each new token id as it is produced (streaming). */
  onToken?(id: number): void;
  /** Run without the KV cache (every step re-reads the whole sequence); for checking the cache. */
  noCache?: boolean;
}

export interface GenerateResult {
  /** New token ids (prompt and stop token excluded). */
  ids: number[];
  stopReason: 'stop' | 'length' | 'context';
}

/** Generates a continuation of `prompt` (token ids) with `model` on the current backend. */
export function generate(model: CausalLM, prompt: readonly number[], opts: GenerateOptions): GenerateResult {
  const steps = generateSteps(model, prompt, opts);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
    opts.onToken?.(step.value);
  }
}

/**
 * The same generation one token at a time: yields each new id and returns the result. A caller
 * can pause between tokens (the server yields to the event loop there) or stop early with
 * `return()`, which frees the KV cache. `hooks` reach every forward (prompt / prefix adapters).
 */
export function* generateSteps(model: CausalLM, prompt: readonly number[], opts: GenerateOptions & { hooks?: ForwardHooks }): Generator<number, GenerateResult, void> {
  if (prompt.length === 0) throw new RangeError('the prompt is empty (no tokens)');
  const sampling: SamplingOptions = { temperature: opts.temperature ?? 0, topP: opts.topP ?? 1, topK: opts.topK ?? 0 };
  const rand = seededRandom(opts.seed ?? 0);
  const stop = new Set(opts.stopIds ?? []);
  // Prefix / prompt tuning's virtual tokens take the first positions.
  const limit = model.config.maxPositions - model.reservedPositions(opts.hooks);
  const out: number[] = [];
  const cache = opts.noCache ? undefined : new KvCache();
  try {
    let pending = [...prompt];
    let start = 0;
    for (;;) {
      if (out.length >= opts.maxNewTokens) return { ids: out, stopReason: 'length' };
      const total = prompt.length + out.length;
      if (total > limit) return { ids: out, stopReason: 'context' };
      const seq = cache ? pending : [...prompt, ...out];
      const first = cache ? start : 0;
      const input = {
        batch: 1,
        seqLen: seq.length,
        inputIds: Int32Array.from(seq),
        positionIds: Int32Array.from(seq, (_, i) => first + i),
      };
      const logits = model.lastLogits(input, { cache, hooks: opts.hooks });
      const row = logits.dataSync() as Float32Array;
      logits.dispose();
      const next = sampleToken(row, sampling, rand);
      if (stop.has(next)) return { ids: out, stopReason: 'stop' };
      out.push(next);
      yield next;
      start = total;
      pending = [next];
    }
  } finally {
    cache?.dispose();
  }
}
