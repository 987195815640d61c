/**
 * lm-eval's `generate_until` for one prompt: greedy decoding with the KV cache until a stop
 * string appears in the decoded text, an end-of-sequence id, or `maxNewTokens`; the text is cut
 * before the first stop string. The prompt is left-truncated to leave room for the new tokens.
 */
import { KvCache, type CausalLM, type ForwardHooks } from '../model/index';
import { argmax } from '../generate/index';

export interface GenerateUntilOptions {
  until: readonly string[];
  maxNewTokens: number;
  stopIds: readonly number[];
  maxLen: number;
  decode(ids: readonly number[]): string;
  hooks?: ForwardHooks;
}

/** The generated text, cut at the first stop string. */
export function generateUntil(model: CausalLM, prompt: readonly number[], opts: GenerateUntilOptions): string {
  const room = Math.max(1, opts.maxLen - opts.maxNewTokens);
  const ctx = prompt.slice(-room);
  const stop = new Set(opts.stopIds);
  const cache = new KvCache();
  const out: number[] = [];
  try {
    let pending: number[] = [...ctx];
    let pos = 0;
    while (out.length < opts.maxNewTokens && pos + pending.length <= opts.maxLen) {
      const logits = model.lastLogits({ batch: 1, seqLen: pending.length, inputIds: Int32Array.from(pending), positionIds: Int32Array.from(pending, (_, i) => pos + i) }, { cache, hooks: opts.hooks });
      const row = logits.dataSync() as Float32Array;
      logits.dispose();
      const next = argmax(row);
      if (stop.has(next)) break;
      pos += pending.length;
      out.push(next);
      pending = [next];
      const text = opts.decode(out);
      const cut = firstStop(text, opts.until);
      if (cut >= 0) return text.slice(0, cut);
    }
    const text = opts.decode(out);
    const cut = firstStop(text, opts.until);
    return cut >= 0 ? text.slice(0, cut) : text;
  } finally {
    cache.dispose();
  }
}

function firstStop(text: string, until: readonly string[]): number {
  let best = -1;
  for (const u of until) {
    if (u === '') continue;
    const i = text.indexOf(u);
    if (i >= 0 && (best < 0 || i < best)) best = i;
  }
  return best;
}
