import * as tf from '@tensorflow/tfjs-core';

/** A trainable tensor with its Hugging Face name (weight decay and checkpoints key on it). */
export interface NamedParam {
  name: string;
  variable: tf.Variable;
  /** Whether weight decay applies; `decays(name)` when absent. */
  decay?: boolean;
}

export interface AdamWOptions {
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
}

/** Optimizer state as plain data, for checkpoints. */
export interface AdamWState {
  t: number;
  m: Record<string, Float32Array>;
  v: Record<string, Float32Array>;
}

/**
 * Whether a parameter gets weight decay. Like Transformers' `get_decay_parameter_names`, biases and
 * normalisation weights (RMSNorm / LayerNorm: names containing `norm`, GPT-2's `ln_`) get none.
 */
export function decays(name: string): boolean {
  if (name.endsWith('.bias') || name.endsWith('_bias')) return false;
  return !/(^|\.)(\w*norm\w*|ln_\w+|ln_f)(\.|$)/i.test(name);
}

/**
 * AdamW with decoupled weight decay, step for step PyTorch's `torch.optim.AdamW` (non-amsgrad):
 *   p ← p·(1 − lr·wd);  m ← β1·m + (1−β1)·g;  v ← β2·v + (1−β2)·g²
 *   p ← p − (lr / (1−β1ᵗ)) · m / (√v / √(1−β2ᵗ) + ε)
 */
export class AdamW {
  private t = 0;
  private readonly m = new Map<string, tf.Variable>();
  private readonly v = new Map<string, tf.Variable>();

  constructor(
    private readonly params: readonly NamedParam[],
    private readonly opts: AdamWOptions,
  ) {
    for (const p of params) {
      this.m.set(p.name, tf.variable(tf.zerosLike(p.variable), false));
      this.v.set(p.name, tf.variable(tf.zerosLike(p.variable), false));
    }
  }

  /** Number of updates applied so far. */
  get steps(): number {
    return this.t;
  }

  /** Applies one update with learning rate `lr`; `grads` is keyed by parameter name. */
  step(grads: ReadonlyMap<string, tf.Tensor>, lr: number): void {
    this.t += 1;
    const { beta1, beta2, eps, weightDecay } = this.opts;
    const bc1 = 1 - beta1 ** this.t;
    const bc2Sqrt = Math.sqrt(1 - beta2 ** this.t);
    for (const p of this.params) {
      const g = grads.get(p.name);
      if (!g) continue;
      const m = this.m.get(p.name)!;
      const v = this.v.get(p.name)!;
      tf.tidy(() => {
        const mNew = tf.add(tf.mul(m, beta1), tf.mul(g, 1 - beta1));
        const vNew = tf.add(tf.mul(v, beta2), tf.mul(tf.square(g), 1 - beta2));
        m.assign(mNew);
        v.assign(vNew);
        const decayed = weightDecay > 0 && (p.decay ?? decays(p.name)) ? tf.mul(p.variable, 1 - lr * weightDecay) : p.variable;
        const denom = tf.add(tf.div(tf.sqrt(vNew), bc2Sqrt), eps);
        p.variable.assign(tf.sub(decayed, tf.mul(tf.div(mNew, denom), lr / bc1)));
      });
    }
  }

  exportState(): AdamWState {
    const m: Record<string, Float32Array> = {};
    const v: Record<string, Float32Array> = {};
    for (const p of this.params) {
      m[p.name] = this.m.get(p.name)!.dataSync() as Float32Array;
      v[p.name] = this.v.get(p.name)!.dataSync() as Float32Array;
    }
    return { t: this.t, m, v };
  }

  /** Restores a checkpoint's state; throws when a parameter's moments are missing or misshaped. */
  importState(state: AdamWState): void {
    for (const p of this.params) {
      const m = state.m[p.name];
      const v = state.v[p.name];
      if (!m || !v || m.length !== p.variable.size || v.length !== p.variable.size) {
        throw new Error(`optimizer state for ${p.name} is missing or has the wrong size`);
      }
      tf.tidy(() => {
        this.m.get(p.name)!.assign(tf.tensor(m, p.variable.shape, 'float32'));
        this.v.get(p.name)!.assign(tf.tensor(v, p.variable.shape, 'float32'));
      });
    }
    this.t = state.t;
  }

  dispose(): void {
    for (const x of [...this.m.values(), ...this.v.values()]) x.dispose();
    this.m.clear();
    this.v.clear();
  }
}

/**
 * Global-norm clipping as `torch.nn.utils.clip_grad_norm_`: the returned norm is the one before
 * clipping (what Transformers logs as grad_norm); grads are scaled by min(1, max/(norm + 1e-6)).
 * `maxNorm` null or ≤ 0 leaves the gradients as they are.
 */
export function clipByGlobalNorm(grads: Map<string, tf.Tensor>, maxNorm: number | null): { grads: Map<string, tf.Tensor>; norm: number } {
  const list = [...grads.values()];
  let norm = 0;
  if (list.length > 0) {
    const n = tf.tidy(() => tf.sqrt(tf.addN(list.map((g) => tf.sum(tf.square(g))))));
    norm = n.dataSync()[0]!;
    n.dispose();
  }
  if (maxNorm === null || !(maxNorm > 0) || !Number.isFinite(norm)) return { grads, norm };
  const coef = Math.min(1, maxNorm / (norm + 1e-6));
  if (coef >= 1) return { grads, norm };
  const out = new Map<string, tf.Tensor>();
  for (const [k, g] of grads) {
    out.set(k, tf.mul(g, coef));
    g.dispose();
  }
  return { grads: out, norm };
}
