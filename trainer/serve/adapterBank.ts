/**
 * Several adapters resident on one base model, one active at a time (as vLLM and LoRAX serve
 * LoRA): every targeted linear is wrapped once by a `MultiLoraLinear` that holds one (Aᵀ, Bᵀ,
 * scaling) triple per adapter and reads the bank's active index on each forward. Switching is a
 * number assignment: no weights move, the base is never reloaded, nothing is merged.
 *
 * Methods that change more than a linear (prefix / prompt tuning, bottleneck adapters) plug in
 * through `ForwardHooks`: an adapter may carry hooks, returned by `hooks()` while it is active.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { LoadedAdapter } from '../io/index';
import { loraScaling, transpose2d, type CausalLM, type ForwardHooks, type LinearContext, type LinearLayer } from '../model/index';

/** One LoRA pair in the internal layouts: Aᵀ [in, r], Bᵀ [r, out]. */
interface LoraPair {
  a: tf.Tensor2D;
  b: tf.Tensor2D;
  scaling: number;
}

/** A base linear with one LoRA pair per adapter that targets it; the bank picks which applies. */
export class MultiLoraLinear implements LinearLayer {
  readonly name: string;
  readonly inFeatures: number;
  readonly outFeatures: number;
  /** Pairs by adapter index (sparse: an adapter that does not target this module has none). */
  readonly pairs = new Map<number, LoraPair>();

  constructor(
    readonly base: LinearLayer,
    private readonly bank: AdapterBank,
  ) {
    this.name = base.name;
    this.inFeatures = base.inFeatures;
    this.outFeatures = base.outFeatures;
  }

  apply(x: tf.Tensor2D, ctx: LinearContext): tf.Tensor2D {
    const y = this.base.apply(x, ctx); // [N, out]
    const pair = this.pairs.get(this.bank.activeIndex);
    if (!pair) return y;
    // The same op order as LoraLinear's forward, so a served adapter gives the logits of
    // `tunelab generate --adapter` bit for bit: y + s·((x Aᵀ) Bᵀ).
    return tf.add(y, tf.mul(tf.matMul(tf.matMul(x, pair.a), pair.b), pair.scaling)) as tf.Tensor2D;
  }
}

/** What the bank knows of a resident adapter. */
export interface ResidentAdapter {
  name: string;
  dir: string;
  /** PEFT method (`lora` today). */
  method: string;
  /** Module names it adapts. */
  modules: string[];
  /** Parameters it holds (elements). */
  parameters: number;
  hooks?: ForwardHooks;
}

/** Adapters resident on one base model; at most one active (index -1 = the base alone). */
export class AdapterBank {
  /** Index of the active adapter in `adapters`, -1 for none. */
  activeIndex = -1;
  readonly adapters: ResidentAdapter[] = [];
  private readonly wrapped = new Map<string, MultiLoraLinear>();

  constructor(readonly model: CausalLM) {}

  /** Adds a PEFT LoRA adapter under `name`. Throws (leaving the bank unchanged) on a mismatch. */
  addLora(name: string, adapter: LoadedAdapter): ResidentAdapter {
    if (this.adapters.some((a) => a.name === name)) throw new Error(`an adapter named "${name}" is already loaded`);
    const { config, weights } = adapter;
    const index = this.adapters.length;
    const scaling = loraScaling(config.r, config.loraAlpha, config.useRslora);
    // Check every module before touching the model, so a bad file leaves nothing half-attached.
    for (const [module, { a, b }] of weights) {
      const layer = this.baseLayer(module);
      if (!layer) throw new Error(`${adapter.dir}: the model has no linear layer "${module}"`);
      if (a.shape[0] !== config.r || a.shape[1] !== layer.inFeatures) throw new Error(`${adapter.dir}: ${module}.lora_A.weight has shape [${a.shape.join(', ')}], expected [${config.r}, ${layer.inFeatures}]`);
      if (b.shape[0] !== layer.outFeatures || b.shape[1] !== config.r) throw new Error(`${adapter.dir}: ${module}.lora_B.weight has shape [${b.shape.join(', ')}], expected [${layer.outFeatures}, ${config.r}]`);
    }
    let parameters = 0;
    for (const [module, { a, b }] of weights) {
      const multi = this.wrap(module);
      const aT = transpose2d(a);
      const bT = transpose2d(b);
      multi.pairs.set(index, { a: tf.tensor2d(aT.data, aT.shape as [number, number]), b: tf.tensor2d(bT.data, bT.shape as [number, number]), scaling });
      parameters += a.data.length + b.data.length;
    }
    const resident: ResidentAdapter = { name, dir: adapter.dir, method: 'lora', modules: [...weights.keys()], parameters };
    this.adapters.push(resident);
    return resident;
  }

  /** Makes `name` active (undefined = the base model alone). Throws for an unknown name. */
  activate(name: string | undefined): void {
    if (name === undefined) {
      this.activeIndex = -1;
      return;
    }
    const i = this.adapters.findIndex((a) => a.name === name);
    if (i < 0) throw new Error(`no adapter named "${name}"`);
    this.activeIndex = i;
  }

  /** The active adapter's forward hooks, if it has any. */
  hooks(): ForwardHooks | undefined {
    return this.adapters[this.activeIndex]?.hooks;
  }

  /** Frees every adapter tensor (not the model). */
  dispose(): void {
    for (const m of this.wrapped.values()) {
      for (const p of m.pairs.values()) {
        p.a.dispose();
        p.b.dispose();
      }
      m.pairs.clear();
    }
  }

  private baseLayer(module: string): LinearLayer | undefined {
    return this.wrapped.get(module)?.base ?? this.model.linears.get(module);
  }

  private wrap(module: string): MultiLoraLinear {
    let multi = this.wrapped.get(module);
    if (!multi) {
      multi = new MultiLoraLinear(this.model.linears.get(module)!, this);
      this.model.replaceLinear(module, multi);
      this.wrapped.set(module, multi);
    }
    return multi;
  }
}
