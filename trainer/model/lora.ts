/**
 * LoRA (Hu et al. 2021) as PEFT implements it:
 *   y = base(x) + scaling · B(A(dropout(x))),  scaling = alpha / r   (rsLoRA: alpha / √r)
 * A [r, in] is Kaiming-uniform with a = √5 (bound 1/√in), B [out, r] is zero, so at step 0 the
 * adapted model equals the base. Internally A and B are held transposed (Aᵀ [in, r], Bᵀ [r, out])
 * so both products are plain XNNPACK matmuls; names and saved tensors use PEFT's layout.
 *
 * DoRA (Liu et al. 2024, `use_dora`) as PEFT implements it: a magnitude m [out] (initialised to the
 * per-output norm of W) rescales the adapted weight's direction,
 *   y = m / ‖W + s·BA‖ ⊙ (W x + s·B A x) + bias,
 * the norm taken per output row and detached (no gradient flows through it: paper §4.3, PEFT).
 * With dropout while training, PEFT's form: y = W x + b + (m/‖·‖ − 1) ⊙ W x̃ + m/‖·‖ ⊙ s·B A x̃.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { CausalLM } from './causalLm';
import type { LinearContext, LinearLayer } from './linear';
import { customOp } from './linear';
import { scaleColumns } from './ia3';
import { baseBias, baseKernel } from './quantLinear';
import type { HostTensor } from './tensors';
import { seededRandom } from './tensors';
import { decays } from './weights';

/** LoRA hyper-parameters (Axolotl / PEFT names in comments). */
export interface LoraOptions {
  /** `lora_r` */
  r: number;
  /** `lora_alpha` (default = r) */
  alpha: number;
  /** `lora_dropout` on the adapter's input path, training only. */
  dropout: number;
  /** `lora_target_modules`: module names matched on the last name component (`q_proj`) or a dotted suffix (`self_attn.q_proj`). */
  targetModules?: string[];
  /** `lora_target_linear`: every linear layer except the LM head. */
  targetLinear?: boolean;
  /** `peft_use_rslora`: scaling alpha/√r instead of alpha/r. */
  useRslora?: boolean;
  /** Seed for A's initialisation. */
  seed?: number;
  /** `peft_use_dora`: DoRA's magnitude vector on every wrapped linear. */
  useDora?: boolean;
}

/** A linear layer with a LoRA adapter. */
export class LoraLinear implements LinearLayer {
  readonly name: string;
  readonly inFeatures: number;
  readonly outFeatures: number;
  /** Aᵀ [in, r] */
  readonly loraA: tf.Variable;
  /** Bᵀ [r, out] */
  readonly loraB: tf.Variable;
  /** alpha / r, or alpha / √r with rsLoRA. */
  readonly scaling: number;
  /** DoRA's magnitude m [out] (`lora_magnitude_vector`), or null for plain LoRA. */
  readonly magnitude: tf.Variable | null = null;

  constructor(
    readonly base: LinearLayer,
    readonly r: number,
    readonly alpha: number,
    readonly useRslora: boolean,
    readonly dropoutRate: number,
    init: { a: Float32Array; b?: Float32Array; magnitude?: Float32Array },
    useDora = false,
  ) {
    this.scaling = loraScaling(r, alpha, useRslora);
    this.name = base.name;
    this.inFeatures = base.inFeatures;
    this.outFeatures = base.outFeatures;
    this.loraA = tf.tidy(() => tf.variable(tf.tensor2d(init.a, [this.inFeatures, r]), true));
    this.loraB = tf.tidy(() => tf.variable(init.b ? tf.tensor2d(init.b, [r, this.outFeatures]) : tf.zeros([r, this.outFeatures]), true));
    if (useDora) {
      if (init.magnitude && init.magnitude.length !== this.outFeatures) throw new Error(`${this.name}.lora_magnitude_vector has ${init.magnitude.length} values, expected ${this.outFeatures}`);
      // PEFT: m = ‖W + s·BA‖ per output row at creation (B = 0 for a new adapter).
      this.magnitude = tf.tidy(() => tf.variable(init.magnitude ? tf.tensor1d(init.magnitude) : doraNorm(this), true));
    }
  }

  apply(x: tf.Tensor2D, ctx: LinearContext): tf.Tensor2D {
    const y = this.base.apply(x, ctx); // [N, out]
    const dropped = ctx.training && this.dropoutRate > 0;
    const xd = dropped ? (tf.dropout(x, this.dropoutRate, undefined, ctx.nextSeed()) as tf.Tensor2D) : x;
    if (!this.magnitude) return loraAdd(this.scaling)(xd, this.loraA, this.loraB, y);
    // DoRA. mag = m / ‖W + s·BA‖ [out], the norm detached.
    const mag = tf.div(this.magnitude, detachedNorm(this.loraA, this.loraB, this)) as tf.Tensor1D;
    const bias = baseBias(this.base);
    const noBias = (t: tf.Tensor2D) => (bias ? (tf.sub(t, bias) as tf.Tensor2D) : t);
    if (!dropped) {
      // mag ⊙ (W x + s·B A x) + b
      const z = scaleColumns(loraAdd(this.scaling)(xd, this.loraA, this.loraB, noBias(y)), mag);
      return bias ? (tf.add(z, bias) as tf.Tensor2D) : z;
    }
    // W x + b + (mag − 1) ⊙ W x̃ + mag ⊙ s·B A x̃ = y + mag ⊙ (W x̃ + s·B A x̃) − W x̃
    const wxd = noBias(this.base.apply(xd, ctx));
    return tf.sub(tf.add(y, scaleColumns(loraAdd(this.scaling)(xd, this.loraA, this.loraB, wxd), mag)), wxd) as tf.Tensor2D;
  }

  /** ΔW in the [in, out] kernel layout: scaling · Aᵀ Bᵀ. */
  deltaKernel(): tf.Tensor2D {
    return tf.tidy(() => tf.mul(tf.matMul(this.loraA as tf.Tensor2D, this.loraB as tf.Tensor2D), this.scaling));
  }
}

/**
 * y + s·(x Aᵀ) Bᵀ as one op (internal layouts Aᵀ [in, r], Bᵀ [r, out]) that keeps only x, A and B
 * for backprop and recomputes the [N, r] product there; every product is a plain 2-D matmul:
 *   u = x Aᵀ;  dBᵀ = uᵀ (s·dy);  du = (s·dy) B;  dAᵀ = xᵀ du;  dx = du A;  dy passes to y.
 */
function loraAdd(s: number): (x: tf.Tensor, a: tf.Tensor, b: tf.Tensor, y: tf.Tensor) => tf.Tensor2D {
  return customOp<tf.Tensor2D>(
    ([x, a, b, y]) => tf.add(y, tf.mul(tf.matMul(tf.matMul(x as tf.Tensor2D, a as tf.Tensor2D), b as tf.Tensor2D), s)) as tf.Tensor2D,
    (dy, [x, a, b]) => {
      const sdy = tf.mul(dy, s) as tf.Tensor2D;
      const u = tf.matMul(x as tf.Tensor2D, a as tf.Tensor2D);
      const du = tf.matMul(sdy, tf.transpose(b as tf.Tensor2D));
      return [tf.matMul(du, tf.transpose(a as tf.Tensor2D)), tf.matMul(tf.transpose(x as tf.Tensor2D), du), tf.matMul(tf.transpose(u), sdy), dy];
    },
    [],
    3,
  );
}

/** ‖W + s·Aᵀ Bᵀ‖ over the input axis of the [in, out] kernel: one norm per output [out]. */
function doraNorm(layer: LoraLinear): tf.Tensor1D {
  return tf.tidy(() => {
    const w = tf.add(baseKernel(layer.base), tf.mul(tf.matMul(layer.loraA as tf.Tensor2D, layer.loraB as tf.Tensor2D), layer.scaling));
    return tf.sqrt(tf.sum(tf.square(w), 0)) as tf.Tensor1D;
  });
}

/** DoRA's weight norm as a constant of the graph: A and B get no gradient through it. */
function detachedNorm(a: tf.Variable, b: tf.Variable, layer: LoraLinear): tf.Tensor1D {
  return customOp<tf.Tensor1D>(
    () => doraNorm(layer),
    (_dy, [ai, bi]) => [tf.zerosLike(ai), tf.zerosLike(bi)],
  )(a, b);
}

/** scaling = alpha / r, or alpha / √r with rsLoRA. */
export const loraScaling = (r: number, alpha: number, rslora = false): number => (rslora ? alpha / Math.sqrt(r) : alpha / r);

/** Whether a module name is targeted: the last component or a dotted suffix matches a target. */
export function isTargeted(name: string, opts: Pick<LoraOptions, 'targetModules' | 'targetLinear'>): boolean {
  if (opts.targetLinear) return name !== 'lm_head' && !name.endsWith('.lm_head');
  return (opts.targetModules ?? []).some((t) => name === t || name.endsWith(`.${t}`));
}

/** PEFT's A init: kaiming_uniform(a=√5) on [r, in] → U(-1/√in, 1/√in); returned as Aᵀ [in, r]. */
export function peftInitA(inFeatures: number, r: number, rand: () => number): Float32Array {
  const bound = 1 / Math.sqrt(inFeatures);
  const aT = new Float32Array(inFeatures * r);
  // Drawn in PEFT's [r, in] order, stored transposed.
  for (let i = 0; i < r; i++) for (let j = 0; j < inFeatures; j++) aT[j * r + i] = (rand() * 2 - 1) * bound;
  return aT;
}

/**
 * Wraps the targeted linears of `model` with LoRA and freezes every base parameter. Returns the
 * wrapped module names. Throws when nothing matches (a typo in lora_target_modules would
 * otherwise train nothing). `weights` (PEFT layout, from an adapter file) replaces the init.
 */
export function applyLora(model: CausalLM, opts: LoraOptions, weights?: Map<string, { a: HostTensor; b: HostTensor; magnitude?: HostTensor }>): string[] {
  if (!Number.isInteger(opts.r) || opts.r <= 0) throw new RangeError(`lora_r must be a positive integer, got ${opts.r}`);
  if (!(opts.dropout >= 0 && opts.dropout < 1)) throw new RangeError(`lora_dropout must be in [0, 1), got ${opts.dropout}`);
  const rand = seededRandom(opts.seed ?? 42);
  const wrapped: string[] = [];
  for (const [name, layer] of model.linears) {
    if (!isTargeted(name, opts)) continue;
    if (layer instanceof LoraLinear) throw new Error(`"${name}" already has a LoRA adapter`);
    const given = weights?.get(name);
    let init: { a: Float32Array; b?: Float32Array; magnitude?: Float32Array };
    if (given) {
      const { a, b, magnitude } = given;
      if (opts.useDora && !magnitude) throw new Error(`${name} has no lora_magnitude_vector (the adapter is DoRA)`);
      if (a.shape[0] !== opts.r || a.shape[1] !== layer.inFeatures) throw new Error(`${name}.lora_A.weight has shape [${a.shape.join(', ')}], expected [${opts.r}, ${layer.inFeatures}]`);
      if (b.shape[0] !== layer.outFeatures || b.shape[1] !== opts.r) throw new Error(`${name}.lora_B.weight has shape [${b.shape.join(', ')}], expected [${layer.outFeatures}, ${opts.r}]`);
      init = { a: transposeData(a), b: transposeData(b), ...(opts.useDora && magnitude ? { magnitude: magnitude.data } : {}) };
    } else {
      init = { a: peftInitA(layer.inFeatures, opts.r, rand) };
    }
    const lora = new LoraLinear(layer, opts.r, opts.alpha, opts.useRslora === true, opts.dropout, init, opts.useDora === true);
    model.replaceLinear(name, lora);
    for (const [suffix, variable] of [['lora_A', lora.loraA], ['lora_B', lora.loraB]] as const) {
      const pname = `${name}.${suffix}.weight`;
      model.params.set(pname, { name: pname, variable, transposed: true, decay: decays(pname), kind: 'lora' });
    }
    if (lora.magnitude) {
      // PEFT's saved key (the adapter name and ".weight" stripped).
      const pname = `${name}.lora_magnitude_vector`;
      model.params.set(pname, { name: pname, variable: lora.magnitude, transposed: false, decay: decays(pname), kind: 'lora' });
    }
    wrapped.push(name);
  }
  if (wrapped.length === 0) {
    const names = [...new Set([...model.linears.keys()].map((n) => n.split('.').pop()))].join(', ');
    throw new Error(`no linear layer matches the LoRA targets ${JSON.stringify(opts.targetModules ?? [])}; this model's linears are: ${names}`);
  }
  if (weights) {
    const missing = [...weights.keys()].filter((k) => !wrapped.includes(k));
    if (missing.length) throw new Error(`adapter weights for modules this model does not target or have: ${missing.slice(0, 5).join(', ')}`);
  }
  model.setBaseTrainable(false);
  return wrapped;
}

function transposeData(t: HostTensor): Float32Array {
  const [r, c] = t.shape;
  const out = new Float32Array(r * c);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) out[j * r + i] = t.data[i * c + j];
  return out;
}

/** Every LoRA layer of a model, by module name. */
export function loraLayers(model: CausalLM): Map<string, LoraLinear> {
  const out = new Map<string, LoraLinear>();
  for (const [name, layer] of model.linears) if (layer instanceof LoraLinear) out.set(name, layer);
  return out;
}
