/**
 * IA3 (Liu et al. 2022, "(IA)³") as PEFT implements it: a learned vector l rescales a targeted
 * linear, initialised to ones so step 0 is the base model.
 *   attention-side targets (k_proj, v_proj; GPT-2's c_attn):  y = base(x) ⊙ l,   l [out]
 *   feed-forward targets (down_proj; GPT-2's mlp.c_proj):      y = base(x ⊙ l),  l [in]
 * PEFT stores l as ia3_l [out, 1] or [1, in] (key `<module>.ia3_l`); merging multiplies the
 * weight's rows (and the bias) or columns by it. The base stays frozen; it may be quantised.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { CausalLM } from './causalLm';
import { customOp, matMulLinear, type LinearContext, type LinearLayer } from './linear';
import { decays } from './weights';

/** IA3 settings (PEFT's IA3Config names in comments). */
export interface Ia3Options {
  /** `target_modules`: module names matched on the last component or a dotted suffix. */
  targetModules: string[];
  /** `feedforward_modules`: the targets whose input (not output) is scaled; a subset of the targets. */
  feedforwardModules: string[];
}

/** PEFT's default IA3 targets and feed-forward modules for our architectures (TRANSFORMERS_MODELS_TO_IA3_*_MAPPING). */
export function defaultIa3Modules(modelType: string, family: string): Ia3Options {
  if (family === 'gpt2') return { targetModules: ['c_attn', 'mlp.c_proj'], feedforwardModules: ['mlp.c_proj'] };
  if (modelType === 'llama' || modelType === 'mistral' || modelType === 'mixtral') return { targetModules: ['k_proj', 'v_proj', 'down_proj'], feedforwardModules: ['down_proj'] };
  return { targetModules: ['q_proj', 'v_proj', 'down_proj'], feedforwardModules: ['down_proj'] };
}

const matches = (name: string, targets: readonly string[]) => targets.some((t) => name === t || name.endsWith(`.${t}`));

/**
 * x [N, C] ⊙ l [C] with the gradient dl = onesᵀ (dy ⊙ x) as a matmul (tfjs-wasm's axis-0 sum of a
 * broadcast multiply is a slow loop); dx = dy ⊙ l.
 */
export const scaleColumns = customOp<tf.Tensor2D>(
  ([x, l]) => tf.mul(x, l) as tf.Tensor2D,
  (dy, [x, l]) => [tf.mul(dy, l), tf.reshape(matMulLinear(tf.ones([1, x.shape[0]!]) as tf.Tensor2D, tf.mul(dy, x) as tf.Tensor2D, false), [x.shape[1]!])],
) as (x: tf.Tensor2D, l: tf.Tensor1D) => tf.Tensor2D;

/** A linear layer rescaled by an IA3 vector. */
export class Ia3Linear implements LinearLayer {
  readonly name: string;
  readonly inFeatures: number;
  readonly outFeatures: number;
  /** l: [in] when `feedforward`, else [out]. */
  readonly scale: tf.Variable;

  constructor(
    readonly base: LinearLayer,
    readonly feedforward: boolean,
    init?: Float32Array,
  ) {
    this.name = base.name;
    this.inFeatures = base.inFeatures;
    this.outFeatures = base.outFeatures;
    const n = feedforward ? this.inFeatures : this.outFeatures;
    if (init && init.length !== n) throw new Error(`${this.name}.ia3_l has ${init.length} values, expected ${n} (${feedforward ? 'in' : 'out'}_features)`);
    this.scale = tf.tidy(() => tf.variable(init ? tf.tensor1d(init) : tf.ones([n]), true));
  }

  apply(x: tf.Tensor2D, ctx: LinearContext): tf.Tensor2D {
    if (this.feedforward) return this.base.apply(scaleColumns(x, this.scale as tf.Tensor1D), ctx);
    return scaleColumns(this.base.apply(x, ctx), this.scale as tf.Tensor1D);
  }
}

/**
 * Wraps the targeted linears with IA3 and freezes the base. `weights` (by module name, flattened
 * ia3_l values) replaces the ones-initialisation. Throws when nothing matches or a saved vector
 * names a module the model does not target.
 */
export function applyIa3(model: CausalLM, opts: Ia3Options, weights?: Map<string, Float32Array>): string[] {
  const stray = opts.feedforwardModules.filter((f) => !opts.targetModules.includes(f));
  if (stray.length) throw new Error(`feedforward_modules ${JSON.stringify(stray)} must also be in target_modules`);
  const wrapped: string[] = [];
  for (const [name, layer] of [...model.linears]) {
    if (!matches(name, opts.targetModules)) continue;
    if (layer instanceof Ia3Linear) throw new Error(`"${name}" already has an IA3 vector`);
    const ia3 = new Ia3Linear(layer, matches(name, opts.feedforwardModules), weights?.get(name));
    model.replaceLinear(name, ia3);
    const pname = `${name}.ia3_l`;
    // kind 'lora': an adapter parameter (saved with the adapter, not the model).
    model.params.set(pname, { name: pname, variable: ia3.scale, transposed: false, decay: decays(pname), kind: 'lora' });
    wrapped.push(name);
  }
  if (wrapped.length === 0) {
    const names = [...new Set([...model.linears.keys()].map((n) => n.split('.').pop()))].join(', ');
    throw new Error(`no linear layer matches the IA3 targets ${JSON.stringify(opts.targetModules)}; this model's linears are: ${names}`);
  }
  if (weights) {
    const missing = [...weights.keys()].filter((k) => !wrapped.includes(k));
    if (missing.length) throw new Error(`IA3 vectors for modules this model does not target or have: ${missing.slice(0, 5).join(', ')}`);
  }
  model.setBaseTrainable(false);
  return wrapped;
}

/** Every IA3 layer of a model, by module name. */
export function ia3Layers(model: CausalLM): Map<string, Ia3Linear> {
  const out = new Map<string, Ia3Linear>();
  for (const [name, layer] of model.linears) if (layer instanceof Ia3Linear) out.set(name, layer);
  return out;
}
