/**
 * A decoder-only causal language model on tfjs: the parts both architectures share (parameter
 * table, linears that adapters can replace, the attention core, the LM head, the loss). The
 * architecture files (llama.ts, gpt2.ts) supply the weights and the block maths.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ModelConfig } from './config';
import type { LinearContext, LinearLayer } from './linear';
import { customOp, matMulLinear } from './linear';
import { attentionMask, crossEntropySum, groupedAttention } from './ops';
import type { HostTensor } from './tensors';
import { composeHooks, gatherRows } from './hooks';
import type { ForwardHooks, ForwardOptions, ModelInput } from './types';
import type { NamedParameter } from './weights';
import { toHost } from './weights';

/** Per-forward state shared by the blocks. */
export interface ForwardState {
  input: ModelInput;
  opts: ForwardOptions;
  ctx: LinearContext;
  /** Additive attention mask [B, 1, R·T, P+T], built once per forward for each prefix length P. */
  mask(prefix: number): tf.Tensor4D;
  /** Frees what the state kept across the per-layer tidy scopes (the masks). */
  dispose(): void;
}

/** The loss of one batch. */
export interface LossResult {
  /** Mean cross-entropy over counted tokens (0 when none are counted). */
  loss: tf.Scalar;
  /** Summed cross-entropy: use with `tokens` to weight accumulated micro-batches. */
  sum: tf.Scalar;
  /** Number of targets that were counted (not -100). */
  tokens: number;
}

export abstract class CausalLM {
  /** Every parameter by name (base and adapter), in creation order. */
  readonly params = new Map<string, NamedParameter>();
  /** Every linear layer by HF module name; adapters replace entries (see `replaceLinear`). */
  readonly linears = new Map<string, LinearLayer>();
  /** Tensor names that were in the checkpoint but are not used (reported, not fatal). */
  unusedWeights: string[] = [];
  /** Base parameters stored outside `params` (quantised linears' packed weights), counted in totals. */
  heldParams = 0;
  private cachedHeadT: { source: tf.Variable; t: tf.Tensor2D } | null = null;

  constructor(readonly config: ModelConfig) {}

  /** The final hidden states h [B·T, C] (after the last norm). */
  protected abstract hidden(state: ForwardState): tf.Tensor2D;

  /**
   * Runs `hidden` with the attached and the per-call hooks and frees the per-forward state
   * afterwards. A hook's `input` map may add positions (prompt tuning); only the caller's rows
   * come back, so every caller sees [B·T, C] for its own input.
   */
  protected run(input: ModelInput, opts: ForwardOptions): tf.Tensor2D {
    const hooks = composeHooks([...this.attachedHooks, opts.hooks]);
    let rows: Int32Array | undefined;
    if (hooks?.input) {
      const mapped = hooks.input(input, (opts.cache?.length ?? 0) > 0);
      input = mapped.input;
      rows = mapped.rows;
    }
    const state = this.state(input, hooks ? { ...opts, hooks } : opts);
    try {
      const h = this.hidden(state);
      return rows ? gatherRows(h, rows) : h;
    } finally {
      state.dispose();
    }
  }

  /** Hooks adapters attached to this model (prefix, prompt, bottleneck); they run on every forward, before per-call hooks. */
  readonly attachedHooks: ForwardHooks[] = [];

  /** Attaches `hooks` to every later forward; returns a function that detaches them. */
  attachHooks(hooks: ForwardHooks): () => void {
    this.attachedHooks.push(hooks);
    return () => {
      const i = this.attachedHooks.indexOf(hooks);
      if (i >= 0) this.attachedHooks.splice(i, 1);
    };
  }

  /** Positions the attached hooks occupy before the first real token (generation's limit is maxPositions minus this). */
  reservedPositions(extra?: ForwardHooks): number {
    return composeHooks([...this.attachedHooks, extra])?.reservedPositions ?? 0;
  }
  /** The LM head weight: either the tied embedding table [V, C] or lm_head's kernel [C, V]. */
  protected abstract head(): { weight: tf.Variable; tied: boolean };

  /** Swaps a linear layer for a wrapper (LoRA, a quantised linear). Throws for an unknown name. */
  replaceLinear(name: string, layer: LinearLayer): void {
    if (!this.linears.has(name)) throw new Error(`no linear layer named "${name}"`);
    this.linears.set(name, layer);
  }

  protected linear(name: string): LinearLayer {
    const l = this.linears.get(name);
    if (!l) throw new Error(`internal: linear "${name}" missing`);
    return l;
  }

  /** Every parameter, base first. */
  parameters(): NamedParameter[] {
    return [...this.params.values()];
  }

  /** The variables an optimizer should update (those with `trainable` set). */
  trainableVariables(): tf.Variable[] {
    return this.parameters().filter((p) => p.variable.trainable).map((p) => p.variable);
  }

  /** Counts elements: all parameters and the trainable ones. */
  parameterCounts(): { total: number; trainable: number } {
    let total = this.heldParams;
    let trainable = 0;
    for (const p of this.params.values()) {
      total += p.variable.size;
      if (p.variable.trainable) trainable += p.variable.size;
    }
    return { total, trainable };
  }

  /** Freezes or unfreezes every base parameter (LoRA freezes them all). */
  setBaseTrainable(trainable: boolean): void {
    for (const p of this.params.values()) if (p.kind === 'base') p.variable.trainable = trainable;
  }

  /** Base weights in Hugging Face names and layout (tied lm_head omitted), for saving. */
  stateDict(): Map<string, HostTensor> {
    const out = new Map<string, HostTensor>();
    for (const p of this.params.values()) if (p.kind === 'base') out.set(p.name, toHost(p));
    return out;
  }

  /** Logits [B·T, V] for every position. Dispose the result (or call inside tf.tidy). */
  logits(input: ModelInput, opts: ForwardOptions = {}): tf.Tensor2D {
    return tf.tidy(() => this.project(this.run(input, opts)));
  }

  /** Logits of the last position of each row, [B, V] (generation). Dispose the result. */
  lastLogits(input: ModelInput, opts: ForwardOptions = {}): tf.Tensor2D {
    return tf.tidy(() => {
      const { batch: B, seqLen: T } = input;
      const h = this.run(input, opts); // [B·T, C]
      const C = h.shape[1];
      const last = tf.reshape(tf.slice(tf.reshape(h, [B, T, C]), [0, T - 1, 0], [B, 1, C]), [B, C]) as tf.Tensor2D;
      return this.project(last);
    });
  }

  /**
   * Cross-entropy of next-token prediction. `targets` [B·T] are already shifted (targets[t] is the
   * token after position t, -100 where not trained); `shiftTargets` builds them from labels.
   * `targetWeights` [B·T] multiply each target's term of `sum` (multi-task loss weights);
   * `tokens` still counts targets unweighted.
   */
  loss(input: ModelInput, targets: Int32Array, opts: ForwardOptions = {}, targetWeights?: Float32Array): LossResult {
    if (targets.length !== input.batch * input.seqLen) throw new RangeError(`targets has ${targets.length} entries, expected ${input.batch * input.seqLen}`);
    // No tf.tidy here: gradient closures (embedding ids, masks) must outlive the forward until
    // backprop runs. Callers run this inside tf.variableGrads or tf.tidy, which free intermediates.
    const logits = this.project(this.run(input, opts));
    const ce = crossEntropySum(logits, targets, targetWeights);
    const tokens = ce.count;
    const sum = ce.sum;
    const loss = tf.div(sum, Math.max(1, tokens)) as tf.Scalar;
    return { loss, sum, tokens };
  }

  /** Releases every variable (and the cached head transpose). */
  dispose(): void {
    for (const p of this.params.values()) p.variable.dispose();
    this.cachedHeadT?.t.dispose();
    this.cachedHeadT = null;
  }

  /** h [N, C] -> logits [N, V]. */
  protected project(h: tf.Tensor2D): tf.Tensor2D {
    const { weight, tied } = this.head();
    if (!tied) return matMulLinear(h, weight as tf.Tensor2D, weight.trainable);
    if (weight.trainable) return tiedHead(h, weight as tf.Tensor2D);
    // Frozen tied table (LoRA): transpose once and keep it, instead of per step.
    if (this.cachedHeadT?.source !== weight) {
      this.cachedHeadT?.t.dispose();
      this.cachedHeadT = { source: weight, t: tf.keep(tf.transpose(weight)) as tf.Tensor2D };
    }
    return matMulLinear(h, this.cachedHeadT.t, false);
  }

  protected state(input: ModelInput, opts: ForwardOptions): ForwardState {
    validateInput(input, this.config.vocabSize);
    let seed = (opts.seed ?? 0) * 7919 + 17;
    const masks = new Map<number, tf.Tensor4D>();
    const repeat = this.config.numHeads / this.config.numKvHeads;
    return {
      input,
      opts,
      ctx: { training: opts.training === true, nextSeed: () => (seed = (seed * 48271 + 11) % 2147483647) },
      mask: (prefix) => {
        let m = masks.get(prefix);
        if (!m) {
          // Kept: layers run in their own tidy scopes and share it.
          m = tf.keep(attentionMask(input.segmentIds, input.batch, input.seqLen, repeat, prefix));
          masks.set(prefix, m);
        }
        return m;
      },
      dispose: () => {
        for (const m of masks.values()) m.dispose();
        masks.clear();
      },
    };
  }

  /**
   * Multi-head attention core for q [N, H·D], k and v [N, Hkv·D] (already projected; `rope`
   * applied by the caller through `transformQK`). Returns [N, H·D] ready for the output projection.
   */
  protected attend(layer: number, state: ForwardState, q: tf.Tensor2D, k: tf.Tensor2D, v: tf.Tensor2D, transformQK?: (x: tf.Tensor4D) => tf.Tensor4D): tf.Tensor2D {
    const { batch: B, seqLen: T } = state.input;
    const { numHeads: H, numKvHeads: Hkv, headDim: D } = this.config;
    const R = H / Hkv;
    // [N, H·D] -> [B, H, T, D]
    let q4 = tf.transpose(tf.reshape(q, [B, T, H, D]), [0, 2, 1, 3]) as tf.Tensor4D;
    let k4 = tf.transpose(tf.reshape(k, [B, T, Hkv, D]), [0, 2, 1, 3]) as tf.Tensor4D;
    let v4 = tf.transpose(tf.reshape(v, [B, T, Hkv, D]), [0, 2, 1, 3]) as tf.Tensor4D;
    if (transformQK) {
      q4 = transformQK(q4);
      k4 = transformQK(k4);
    }
    // Incremental decoding: prepend the cached keys/values, then remember the extended ones.
    const cache = state.opts.cache;
    let P = 0;
    if (cache) {
      const past = cache.layers[layer];
      if (past) {
        k4 = tf.concat([past.k, k4], 2);
        v4 = tf.concat([past.v, v4], 2);
        P += past.k.shape[2];
      }
      cache.set(layer, k4, v4, (t) => tf.keep(t));
    }
    const prefix = state.opts.hooks?.kvPrefix?.(layer) ?? null;
    if (prefix) {
      P += prefix.k.shape[1];
      // [Hkv, P, D] -> [B, Hkv, P, D] by concatenation (tile's gradient fails at higher ranks).
      const kp = tf.concat(Array.from({ length: B }, () => tf.expandDims(prefix.k, 0)), 0) as tf.Tensor4D;
      const vp = tf.concat(Array.from({ length: B }, () => tf.expandDims(prefix.v, 0)), 0) as tf.Tensor4D;
      k4 = tf.concat([kp, k4], 2);
      v4 = tf.concat([vp, v4], 2);
    }
    // Heads h = g·R + r share K/V head g (HF repeat_kv order), so [B, H, T, D] reshapes to
    // [B, Hkv, R·T, D] with no copy of K/V.
    const qg = tf.reshape(q4, [B, Hkv, R * T, D]) as tf.Tensor4D;
    const rate = this.config.dropout.attention;
    const drop = state.ctx.training && rate > 0 ? { rate, seed: state.ctx.nextSeed() } : null;
    const o = groupedAttention(qg, k4, v4, state.mask(P), 1 / Math.sqrt(D), drop);
    // [B, Hkv, R·T, D] -> [B, H, T, D] -> [B, T, H, D] -> [N, H·D]
    return tf.reshape(tf.transpose(tf.reshape(o, [B, H, T, D]), [0, 2, 1, 3]), [B * T, H * D]) as tf.Tensor2D;
  }

  /** Training-only dropout with a per-call seed. */
  protected dropout(x: tf.Tensor2D, rate: number, state: ForwardState): tf.Tensor2D {
    return state.ctx.training && rate > 0 ? (tf.dropout(x, rate, undefined, state.ctx.nextSeed()) as tf.Tensor2D) : x;
  }
}

/** logits = h @ Eᵀ for a trainable tied table E [V, C]: dh = dy @ E, dE = dyᵀ @ h. */
const tiedHead = customOp<tf.Tensor2D>(
  ([h, e]) => tf.matMul(h as tf.Tensor2D, tf.transpose(e as tf.Tensor2D)),
  (dy, [h, e]) => [tf.matMul(dy as tf.Tensor2D, e as tf.Tensor2D), tf.matMul(tf.transpose(dy as tf.Tensor2D), h as tf.Tensor2D)],
);

function validateInput(input: ModelInput, vocab: number): void {
  const n = input.batch * input.seqLen;
  if (!Number.isInteger(input.batch) || !Number.isInteger(input.seqLen) || input.batch <= 0 || input.seqLen <= 0) throw new RangeError(`batch and seqLen must be positive integers (got ${input.batch} x ${input.seqLen})`);
  for (const [key, arr] of [['inputIds', input.inputIds], ['positionIds', input.positionIds], ['segmentIds', input.segmentIds], ['virtualSlots', input.virtualSlots]] as const) {
    if (arr && arr.length !== n) throw new RangeError(`${key} has ${arr.length} entries, expected batch·seqLen = ${n}`);
  }
  for (let i = 0; i < n; i++) {
    const id = input.inputIds[i];
    if (id < 0 || id >= vocab) throw new RangeError(`token id ${id} at position ${i} is outside the vocabulary (${vocab})`);
  }
}

/** Default position ids 0..T-1 for every row. */
export function defaultPositions(batch: number, seqLen: number): Int32Array {
  const p = new Int32Array(batch * seqLen);
  for (let b = 0; b < batch; b++) for (let t = 0; t < seqLen; t++) p[b * seqLen + t] = t;
  return p;
}
