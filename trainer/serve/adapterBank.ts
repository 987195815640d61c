/**
 * Several adapters resident on one base model, one active at a time (as vLLM and LoRAX serve
 * LoRA), for every method of the PEFT registry (trainer/peft): each adapter is loaded with the
 * registry's own `attachLoaded`, onto the base linears, and then taken apart again:
 *   - linears it replaced (LoRA, IA3, DoRA, ...) become variants of a `SwitchLinear`, which holds
 *     the base layer and one variant per adapter and runs the active one;
 *   - hooks it attached (prefix / prompt tuning, bottleneck adapters) are detached and passed per
 *     forward (`ForwardOptions.hooks`) while that adapter is active;
 *   - its variables leave `model.params` (the bank owns and frees them).
 * Switching is a number assignment: no weights move, the base is never reloaded, nothing is
 * merged, and a variant computes exactly what the method computes alone (same layer object).
 */
import type * as tf from '@tensorflow/tfjs-core';
import { composeHooks, type CausalLM, type ForwardHooks, type LinearContext, type LinearLayer } from '../model/index';
import { attachLoaded, loadAdapter, type MethodName } from '../peft/index';

/** A linear that runs the active adapter's variant of itself, or the base layer. */
export class SwitchLinear implements LinearLayer {
  readonly name: string;
  readonly inFeatures: number;
  readonly outFeatures: number;
  /** Variants by adapter index (sparse: an adapter that leaves this module alone has none). */
  readonly variants = new Map<number, LinearLayer>();

  constructor(
    readonly base: LinearLayer,
    private readonly bank: AdapterBank,
  ) {
    this.name = base.name;
    this.inFeatures = base.inFeatures;
    this.outFeatures = base.outFeatures;
  }

  apply(x: tf.Tensor2D, ctx: LinearContext): tf.Tensor2D {
    return (this.variants.get(this.bank.activeIndex) ?? this.base).apply(x, ctx);
  }
}

/** What the bank knows of a resident adapter. */
export interface ResidentAdapter {
  name: string;
  dir: string;
  method: MethodName;
  /** Module names whose linear it changes. */
  modules: string[];
  /** Parameters it holds (elements). */
  parameters: number;
  /** Per-forward hooks (prefix, prompt, bottleneck), if the method has any. */
  hooks?: ForwardHooks;
}

/** Adapters resident on one base model; at most one active (index -1 = the base alone). */
export class AdapterBank {
  /** Index of the active adapter in `adapters`, -1 for none. */
  activeIndex = -1;
  readonly adapters: ResidentAdapter[] = [];
  private readonly switches = new Map<string, SwitchLinear>();
  /** The model's own linears, before any adapter. */
  private readonly baseLinears: Map<string, LinearLayer>;
  private readonly owned: tf.Variable[] = [];

  constructor(readonly model: CausalLM) {
    this.baseLinears = new Map(model.linears);
  }

  /**
   * Loads the adapter in `dir` (any method the registry loads) under `name`. Throws with the
   * directory in the message when it does not fit; the bank and the model are unchanged then.
   */
  add(name: string, dir: string, opts: { encode?: (text: string) => number[] } = {}): ResidentAdapter {
    if (this.adapters.some((a) => a.name === name)) throw new Error(`an adapter named "${name}" is already loaded`);
    const loaded = loadAdapter(dir);
    const model = this.model;
    // The method sees the bare base model: base linears in place, no other adapter's hooks.
    for (const [n, base] of this.baseLinears) model.linears.set(n, base);
    const params = new Set(model.params.keys());
    const hooksBefore = model.attachedHooks.length;
    try {
      attachLoaded(model, loaded, opts);
    } catch (e) {
      this.restore(params, hooksBefore);
      throw e;
    }
    const index = this.adapters.length;
    const modules: string[] = [];
    for (const [n, base] of this.baseLinears) {
      const now = model.linears.get(n)!;
      if (now === base) continue;
      this.switchFor(n).variants.set(index, now);
      modules.push(n);
    }
    const attached = model.attachedHooks.splice(hooksBefore);
    let parameters = 0;
    for (const [key, p] of model.params) {
      if (params.has(key)) continue;
      this.owned.push(p.variable);
      parameters += p.variable.size;
      model.params.delete(key);
    }
    this.restore(undefined, model.attachedHooks.length);
    const resident: ResidentAdapter = { name, dir, method: loaded.method, modules, parameters, ...(attached.length ? { hooks: composeHooks(attached)! } : {}) };
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

  /** Frees every adapter variable (not the model's own). */
  dispose(): void {
    for (const v of this.owned) v.dispose();
    this.owned.length = 0;
  }

  /** Puts the switches back in the model; after a failed load, also drops what the load added. */
  private restore(params: Set<string> | undefined, hooksBefore: number): void {
    const model = this.model;
    if (params) {
      for (const [key, p] of model.params) {
        if (params.has(key)) continue;
        p.variable.dispose();
        model.params.delete(key);
      }
      model.attachedHooks.splice(hooksBefore);
    }
    for (const [n, base] of this.baseLinears) model.linears.set(n, this.switches.get(n) ?? base);
  }

  private switchFor(name: string): SwitchLinear {
    let s = this.switches.get(name);
    if (!s) {
      s = new SwitchLinear(this.baseLinears.get(name)!, this);
      this.switches.set(name, s);
    }
    return s;
  }
}
