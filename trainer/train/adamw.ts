import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

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
 *
 * The moments live in host `Float32Array`s, not in backend tensors: on tfjs-wasm the heap is capped
 * at 4 GiB and m + v are twice the trainable weights (1.1 GB at 135M), which is what kept full
 * fine-tuning of a 135M model from fitting. The update is one fused loop per parameter (gradient and
 * weights read once, new weights written once) instead of ~10 backend ops each allocating a
 * parameter-sized tensor. Values are rounded to float32 where PyTorch stores them (decayed weight,
 * m, v, new weight), so the trajectory is PyTorch's to float32 rounding.
 *
 * No host copy of the weights is kept between steps: the backend's copy is the truth (checkpoint
 * resume and weight loading assign it directly), and a second copy would cost the 4 bytes per
 * parameter the moments just freed.
 */
export class AdamW {
  private t = 0;
  private readonly m = new Map<string, Float32Array>();
  private readonly v = new Map<string, Float32Array>();

  constructor(
    private readonly params: readonly NamedParam[],
    private readonly opts: AdamWOptions,
  ) {
    for (const p of params) {
      this.m.set(p.name, new Float32Array(p.variable.size));
      this.v.set(p.name, new Float32Array(p.variable.size));
    }
  }

  /** Number of updates applied so far. */
  get steps(): number {
    return this.t;
  }

  /** Applies one update with learning rate `lr`; `grads` is keyed by parameter name. */
  step(grads: ReadonlyMap<string, tf.Tensor>, lr: number): void {
    // Checked first, so a refused step changes neither the weights nor the state.
    for (const p of this.params) {
      const g = grads.get(p.name);
      if (g && g.size !== p.variable.size) throw new Error(`gradient for ${p.name} has ${g.size} values, the parameter ${p.variable.size}`);
    }
    this.t += 1;
    const { beta1, beta2, eps, weightDecay } = this.opts;
    const k: UpdateConsts = { beta1, beta2, eps, stepSize: lr / (1 - beta1 ** this.t), bc2Sqrt: Math.sqrt(1 - beta2 ** this.t), keep: 1 };
    const wasm = tf.getBackend() === 'wasm' ? (tf.backend() as BackendWasm) : null;
    for (const p of this.params) {
      const g = grads.get(p.name);
      if (!g) continue;
      k.keep = weightDecay > 0 && (p.decay ?? decays(p.name)) ? 1 - lr * weightDecay : 1;
      const m = this.m.get(p.name)!;
      const v = this.v.get(p.name)!;
      let next: tf.Tensor;
      if (wasm && g.dtype === 'float32') {
        // Straight on the wasm heap: gradient and weights read through views, the new weights
        // written into a fresh output, so no parameter-sized copy in or out of the heap (those
        // copies cost as much CPU as the update itself). A fresh tensor, not an in-place write:
        // XNNPACK caches a packed copy of each weight keyed by the tensor.
        const info = wasm.makeOutput([...p.variable.shape], 'float32');
        // Views taken after makeOutput: allocating may grow (and move) the heap.
        update(wasm.typedArrayFromHeap(g) as Float32Array, wasm.typedArrayFromHeap(p.variable) as Float32Array, m, v, wasm.typedArrayFromHeap(info) as Float32Array, k);
        next = tf.engine().makeTensorFromTensorInfo(info);
      } else {
        // Read-only: on the cpu backend dataSync returns the tensor's own storage, which other
        // tensors may share, so the new weights go to a fresh array.
        const out = new Float32Array(m.length);
        update(g.dataSync() as Float32Array, p.variable.dataSync() as Float32Array, m, v, out, k);
        next = tf.tensor(out, p.variable.shape, 'float32');
      }
      p.variable.assign(next);
      next.dispose();
    }
  }

  /** A copy of the state (the moments keep changing in place as training goes on). */
  exportState(): AdamWState {
    const m: Record<string, Float32Array> = {};
    const v: Record<string, Float32Array> = {};
    for (const p of this.params) {
      m[p.name] = this.m.get(p.name)!.slice();
      v[p.name] = this.v.get(p.name)!.slice();
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
    }
    // Checked first, so a bad checkpoint leaves the state as it was.
    for (const p of this.params) {
      this.m.get(p.name)!.set(state.m[p.name]!);
      this.v.get(p.name)!.set(state.v[p.name]!);
    }
    this.t = state.t;
  }

  /** Releases the moments (host memory; nothing is held in the backend). */
  dispose(): void {
    this.m.clear();
    this.v.clear();
  }
}

interface UpdateConsts {
  beta1: number;
  beta2: number;
  eps: number;
  /** lr / (1 − β1ᵗ) */
  stepSize: number;
  /** √(1 − β2ᵗ) */
  bc2Sqrt: number;
  /** 1 − lr·wd, or 1 without decay */
  keep: number;
}

/**
 * The fused AdamW update of one parameter: m and v in place, new weights into `out`. A function of
 * its own so V8 compiles one monomorphic loop over Float32Arrays. Rounded to float32 where
 * PyTorch stores a tensor (decayed weight, m, v, denominator).
 */
function update(g: Float32Array, w: Float32Array, m: Float32Array, v: Float32Array, out: Float32Array, k: UpdateConsts): void {
  const { beta1, beta2, eps, stepSize, bc2Sqrt, keep } = k;
  const a1 = 1 - beta1;
  const a2 = 1 - beta2;
  const fround = Math.fround;
  const n = out.length;
  for (let i = 0; i < n; i++) {
    const gi = g[i]!;
    const mi = fround(beta1 * m[i]! + a1 * gi);
    const vi = fround(beta2 * v[i]! + a2 * gi * gi);
    m[i] = mi;
    v[i] = vi;
    out[i] = fround(w[i]! * keep) - (stepSize * mi) / (fround(Math.sqrt(vi) / bc2Sqrt) + eps);
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
