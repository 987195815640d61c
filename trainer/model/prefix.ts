/**
 * Prefix tuning (Li & Liang 2021) as PEFT implements it: for every layer, P learned keys and values
 * that every query attends to, in front of the real tokens.
 *   past[n] = E[n]                                  (E [P, L·2·W], W = Hkv·D)
 *   or, with the reparameterisation:  past = tanh(E₀ W₁ + b₁) W₂ + b₂   (E₀ [P, W], W₁ [W, e], W₂ [e, L·2·W])
 * Column block 2l of `past` is layer l's keys and block 2l+1 its values, each [P, Hkv, D] (PEFT's
 * view(P, L·2, Hkv, D)). Prefix keys are used as they are (no rotary), and the real tokens'
 * positions start after the P virtual ones, as Hugging Face computes them with a PEFT prefix cache.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { CausalLM } from './causalLm';
import { shiftedPositions } from './hooks';
import type { HostTensor } from './tensors';
import { seededRandom } from './tensors';
import type { ForwardHooks } from './types';
import { decays } from './weights';

export interface PrefixOptions {
  /** `peft_num_virtual_tokens` (P). */
  virtualTokens: number;
  /** `peft_prefix_projection`: train E₀ and the two-layer MLP instead of the prefix itself. */
  projection: boolean;
  /** `peft_encoder_hidden_size` (e): the MLP's width (PEFT's default: the token dimension W). */
  encoderHidden?: number;
  seed?: number;
  /** The final prefix [P, L·2·W] (PEFT's saved `prompt_embeddings`): used as is, no MLP. */
  weights?: HostTensor;
}

/** The prefix variables of a model. */
export interface PrefixAdapter {
  hooks: ForwardHooks;
  /** The prefix [P, L·2·W] the model attends to (through the MLP when there is one), on the host. */
  finalPrefix(): HostTensor;
  /** The per-token width W = Hkv·D (PEFT's token_dim under its grouped-query rule). */
  tokenDim: number;
}

/** PEFT's prefix token width: head_dim × key/value heads (#1901; equals hidden_size without GQA). */
export const prefixTokenDim = (model: CausalLM): number => model.config.numKvHeads * model.config.headDim;

/** torch.nn.Embedding's default init, N(0, 1), with Box-Muller over a seeded stream. */
export function normalInit(n: number, rand: () => number, std = 1): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i += 2) {
    const u = Math.max(rand(), 1e-12);
    const v = rand();
    const r = Math.sqrt(-2 * Math.log(u)) * std;
    out[i] = r * Math.cos(2 * Math.PI * v);
    if (i + 1 < n) out[i + 1] = r * Math.sin(2 * Math.PI * v);
  }
  return out;
}

/** torch.nn.Linear's default init for a kernel [in, out] and bias [out]: U(-1/√in, 1/√in). */
function linearInit(inF: number, outF: number, rand: () => number): { w: Float32Array; b: Float32Array } {
  const bound = 1 / Math.sqrt(inF);
  const w = Float32Array.from({ length: inF * outF }, () => (rand() * 2 - 1) * bound);
  const b = Float32Array.from({ length: outF }, () => (rand() * 2 - 1) * bound);
  return { w, b };
}

/** Creates the prefix variables, registers them in `model.params` (kind adapter) and returns the hooks. */
export function createPrefix(model: CausalLM, opts: PrefixOptions): PrefixAdapter {
  const { numLayers: L, numKvHeads: Hkv, headDim: D } = model.config;
  const P = opts.virtualTokens;
  if (!Number.isInteger(P) || P <= 0) throw new RangeError(`peft_num_virtual_tokens must be a positive integer, got ${P}`);
  const W = Hkv * D;
  const width = L * 2 * W;
  const rand = seededRandom(opts.seed ?? 42);
  const vars = new Map<string, tf.Variable>();
  const add = (name: string, data: Float32Array, shape: number[]) => {
    const v = tf.variable(tf.tensor(data, shape, 'float32'), true);
    vars.set(name, v);
    model.params.set(name, { name, variable: v, transposed: false, decay: decays(name), kind: 'adapter' });
    return v;
  };
  let past: () => tf.Tensor2D;
  if (opts.weights) {
    const w = opts.weights;
    if (w.shape.length !== 2 || w.shape[0] !== P || w.shape[1] !== width) {
      throw new Error(`prompt_embeddings has shape [${w.shape.join(', ')}]; this model needs [${P}, ${width}] (${P} tokens × ${L} layers × 2 × ${Hkv} key/value heads × ${D})`);
    }
    const e = add('prompt_encoder.embedding.weight', new Float32Array(w.data), [P, width]);
    past = () => e as tf.Tensor2D;
  } else if (!opts.projection) {
    const e = add('prompt_encoder.embedding.weight', normalInit(P * width, rand), [P, width]);
    past = () => e as tf.Tensor2D;
  } else {
    const hidden = opts.encoderHidden ?? W;
    if (!Number.isInteger(hidden) || hidden <= 0) throw new RangeError(`peft_encoder_hidden_size must be a positive integer, got ${hidden}`);
    const e0 = add('prompt_encoder.embedding.weight', normalInit(P * W, rand), [P, W]);
    const l1 = linearInit(W, hidden, rand);
    const w1 = add('prompt_encoder.transform.0.weight', l1.w, [W, hidden]);
    const b1 = add('prompt_encoder.transform.0.bias', l1.b, [hidden]);
    const l2 = linearInit(hidden, width, rand);
    const w2 = add('prompt_encoder.transform.2.weight', l2.w, [hidden, width]);
    const b2 = add('prompt_encoder.transform.2.bias', l2.b, [width]);
    past = () => tf.add(tf.matMul(tf.tanh(tf.add(tf.matMul(e0 as tf.Tensor2D, w1 as tf.Tensor2D), b1)), w2 as tf.Tensor2D), b2) as tf.Tensor2D;
  }
  model.setBaseTrainable(false);

  // [P, W] column block → [Hkv, P, D]
  const heads = (x: tf.Tensor2D) => tf.transpose(tf.reshape(x, [P, Hkv, D]), [1, 0, 2]) as tf.Tensor3D;
  const hooks: ForwardHooks = {
    reservedPositions: P,
    input: (input) => ({ input: { ...input, positionIds: shiftedPositions(input, P) } }),
    kvPrefix: (layer) => {
      // Only this layer's 2W columns (and, with the MLP, W₂'s columns), so no layer sees a
      // tensor that another layer's tidy scope has freed.
      if (!opts.projection || opts.weights) {
        const block = tf.slice(past(), [0, 2 * layer * W], [P, 2 * W]);
        return { k: heads(tf.slice(block, [0, 0], [P, W])), v: heads(tf.slice(block, [0, W], [P, W])) };
      }
      const [e0, w1, b1, w2, b2] = ['embedding.weight', 'transform.0.weight', 'transform.0.bias', 'transform.2.weight', 'transform.2.bias'].map((n) => vars.get(`prompt_encoder.${n}`)!);
      const hidden = w1.shape[1] as number;
      const t = tf.tanh(tf.add(tf.matMul(e0 as tf.Tensor2D, w1 as tf.Tensor2D), b1)) as tf.Tensor2D; // [P, e]
      const cols = (x: tf.Tensor, at: number) => tf.slice(x as tf.Tensor2D, [0, at], [hidden, W]) as tf.Tensor2D;
      const bias = (at: number) => tf.slice(b2 as tf.Tensor1D, [at], [W]);
      const k = tf.add(tf.matMul(t, cols(w2, 2 * layer * W)), bias(2 * layer * W)) as tf.Tensor2D;
      const v = tf.add(tf.matMul(t, cols(w2, (2 * layer + 1) * W)), bias((2 * layer + 1) * W)) as tf.Tensor2D;
      return { k: heads(k), v: heads(v) };
    },
  };
  return {
    hooks,
    tokenDim: W,
    finalPrefix: () => {
      const t = tf.tidy(() => tf.clone(past()));
      const data = new Float32Array(t.dataSync() as Float32Array);
      t.dispose();
      return { shape: [P, width], data };
    },
  };
}
