/**
 * The method registry: one entry per fine-tuning method (full, LoRA, prefix tuning, prompt tuning,
 * bottleneck adapters, and those other files add). Settings, training, checkpoints, eval, generate
 * and merge-lora go through these functions only, so adding a method is one file plus one line in
 * METHODS.
 *
 * Saved adapters use PEFT's two-file layout (adapter_config.json + adapter_model.safetensors), with
 * PEFT's peft_type and key names where PEFT has the method; `loadAdapter` picks the entry by
 * peft_type.
 */
import { mergeLora as mergeWith, ModelDirError, type MergeRequest, type MergeResult } from '../io/index';
import type { CausalLM } from '../model/index';
import { readAdapterJson, readAdapterTensors } from './files';
import { bottleneckMethod } from './bottleneck';
import { fullMethod } from './full';
import { ia3Method } from './ia3';
import { loraMethod } from './lora';
import { prefixMethod } from './prefix';
import { promptMethod } from './prompt';
import { qloraMethod } from './quantized';
import type { AppliedMethod, ApplyOptions, LoadedAdapter, MethodName, PeftMethod, RawConfig, Refuse } from './types';

export type { AppliedMethod, ApplyOptions, LoadedAdapter, MethodName, PeftMethod, RawConfig, Refuse, SaveOptions } from './types';
export type { BottleneckSettings } from './bottleneck';
export type { LoraSettings } from './lora';
export type { PrefixSettings } from './prefix';
export type { PromptSettings } from './prompt';
export { loraTargets } from './lora';

/** Every method the trainer runs. Order matters only for messages. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- entries differ in their settings type; each is checked in its own file
export const METHODS: readonly PeftMethod<any>[] = [fullMethod, loraMethod, prefixMethod, promptMethod, bottleneckMethod, qloraMethod, ia3Method];

/** A method chosen by a config, with its settings. */
export interface MethodChoice {
  method: MethodName;
  settings: unknown;
}

/** The entry named `name`; throws for a name no entry has (a programming error). */
export function methodByName(name: MethodName): PeftMethod {
  const m = METHODS.find((x) => x.name === name);
  if (!m) throw new Error(`internal: no fine-tuning method "${name}"`);
  return m;
}

/** `adapter:` values the trainer accepts, for messages and completion. */
export function adapterValues(): string[] {
  return METHODS.flatMap((m) => [...m.adapterValues]);
}

/**
 * The method a config selects (`adapter:` absent = full fine-tuning) and its settings. An unknown
 * adapter is refused at `adapter` and reads as full fine-tuning, so the other keys are still checked.
 */
export function readMethodSettings(cfg: RawConfig, refuse: Refuse): MethodChoice {
  const raw = cfg.adapter;
  const value = typeof raw === 'string' ? raw.trim().toLowerCase() : raw;
  if (value === undefined || value === null || value === '') return { method: 'full', settings: fullMethod.readSettings(cfg, refuse) };
  const entry = typeof value === 'string' ? METHODS.find((m) => m.adapterValues.includes(value)) : undefined;
  if (!entry) {
    refuse('trainer-unsupported-adapter', 'adapter', `adapter ${JSON.stringify(raw)} is not trained by Tunelab (full fine-tuning: omit adapter; or adapter: ${adapterValues().join(', ')})`);
    return { method: 'full', settings: {} };
  }
  return { method: entry.name, settings: entry.readSettings(cfg, refuse) };
}

/** Applies a chosen method to `model` (see `PeftMethod.apply`). */
export function applyMethod(model: CausalLM, choice: MethodChoice, opts: ApplyOptions): AppliedMethod {
  return methodByName(choice.method).apply(model, choice.settings, opts);
}

/** What an adapter directory's adapter_config.json says, without reading the weights. */
export interface AdapterInfo {
  dir: string;
  method: MethodName;
  peftType: string;
  baseModel: string | null;
  /** The parsed adapter_config.json. */
  config: RawConfig;
}

/** Reads adapter_config.json and names the method; ModelDirError for a missing file or a peft_type no entry loads. */
export function readAdapterConfig(dir: string): AdapterInfo {
  const { path, config } = readAdapterJson(dir);
  // PEFT writes peft_type always; very old LoRA files may lack it.
  const peftType = typeof config.peft_type === 'string' ? config.peft_type : 'LORA';
  const entry = METHODS.find((m) => m.peftTypes.includes(peftType) && m.fromSaved);
  if (!entry) {
    const known = METHODS.flatMap((m) => (m.fromSaved ? [...m.peftTypes] : []));
    throw new ModelDirError(`${path}: peft_type ${JSON.stringify(config.peft_type)} is not one Tunelab loads (${known.join(', ')})`);
  }
  if (config.task_type !== undefined && config.task_type !== null && config.task_type !== 'CAUSAL_LM') {
    throw new ModelDirError(`${path}: task_type ${JSON.stringify(config.task_type)}: Tunelab runs causal language models (CAUSAL_LM)`);
  }
  return { dir, method: entry.name, peftType, baseModel: typeof config.base_model_name_or_path === 'string' ? config.base_model_name_or_path : null, config };
}

/** Reads an adapter directory of any method: config, settings and weights. ModelDirError for bad input. */
export function loadAdapter(dir: string): LoadedAdapter {
  const info = readAdapterConfig(dir);
  const { path, tensors } = readAdapterTensors(dir);
  const entry = methodByName(info.method);
  try {
    const { settings, weights } = entry.fromSaved!(info.config, tensors, path);
    return { dir, method: info.method, peftType: info.peftType, settings, weights, baseModel: info.baseModel };
  } catch (e) {
    if (e instanceof ModelDirError) throw e;
    throw new ModelDirError(`${path}: ${(e as Error).message}`);
  }
}

/**
 * Loads the adapter in `dir` into `model` (frozen, for eval / generation / serving): every method
 * works the same way for callers. Throws ModelDirError naming the directory when it does not fit.
 */
export function loadAdapterInto(model: CausalLM, dir: string, opts: { encode?: (text: string) => number[] } = {}): AppliedMethod {
  const loaded = loadAdapter(dir);
  return attachLoaded(model, loaded, opts);
}

/** Applies an already loaded adapter to `model` (frozen). */
export function attachLoaded(model: CausalLM, loaded: LoadedAdapter, opts: { encode?: (text: string) => number[] } = {}): AppliedMethod {
  try {
    const applied = methodByName(loaded.method).apply(model, loaded.settings, { seed: 0, weights: loaded.weights, ...opts });
    model.setBaseTrainable(false);
    for (const p of model.parameters()) p.variable.trainable = false;
    return applied;
  } catch (e) {
    throw new ModelDirError(`${loaded.dir}: ${(e as Error).message}`);
  }
}

/** Merges an adapter of a method that has a host-side merge; ModelDirError for the others. */
export function mergeAdapterDir(req: MergeRequest): MergeResult {
  return mergeWith(req, (config, base, adapterDir) => {
    const loaded = loadAdapter(adapterDir);
    const entry = methodByName(loaded.method);
    if (!entry.merge) throw new ModelDirError(`${adapterDir}: a ${loaded.peftType} adapter changes activations, not weights, so it cannot be merged into the model; load it with --adapter instead`);
    const r = entry.merge(config, base, loaded);
    return { tensors: r.tensors, modules: r.modules, scaling: r.scaling ?? null };
  });
}
