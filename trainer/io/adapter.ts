/**
 * LoRA adapters in PEFT's on-disk format, so they load in PEFT and PEFT's load here:
 *   adapter_config.json       {"peft_type": "LORA", "r", "lora_alpha", "target_modules", ...}
 *   adapter_model.safetensors base_model.model.<module>.lora_A.weight [r, in]
 *                             base_model.model.<module>.lora_B.weight [out, r]
 *                             base_model.model.<module>.lora_magnitude_vector [out]  (DoRA, use_dora)
 * and the merge W = W0 + scaling·B·A (transposed for GPT-2's Conv1D: PEFT's fan_in_fan_out); for
 * DoRA each output row of that is then rescaled to the magnitude: W = m / ‖W′‖ ⊙ W′.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { applyLora, loraLayers, loraScaling, transpose2d, type CausalLM, type HostTensor, type ModelConfig } from '../model/index';
import { ModelDirError, readJsonFile } from './hfModel';
import { writeFileAtomic } from '../../common/fsAtomic';
import { readSafetensors, writeSafetensors } from './safetensors';

const PREFIX = 'base_model.model.';

/** The adapter_config.json fields Tunelab reads and writes. */
export interface AdapterConfig {
  r: number;
  loraAlpha: number;
  loraDropout: number;
  useRslora: boolean;
  /** Module names as PEFT lists them (short names such as `q_proj`), or a regex string. */
  targetModules: string[] | string;
  baseModel: string | null;
  fanInFanOut: boolean;
  /** DoRA (`use_dora`): each module also has a magnitude vector. */
  useDora?: boolean;
}

/** One module's saved LoRA tensors (PEFT layout); `magnitude` [out] for DoRA. */
export interface LoraPair {
  a: HostTensor;
  b: HostTensor;
  magnitude?: HostTensor;
}

/** A PEFT adapter read from disk: its config and A/B pairs by module name (PEFT layout). */
export interface LoadedAdapter {
  dir: string;
  config: AdapterConfig;
  /** Keyed by module name without the `base_model.model.` prefix, e.g. `model.layers.0.self_attn.q_proj`. */
  weights: Map<string, LoraPair>;
}

/** Writes adapter_config.json + adapter_model.safetensors for the LoRA layers of `model`. */
export function saveAdapter(model: CausalLM, out: string, opts: { baseModel?: string } = {}): string[] {
  const layers = [...loraLayers(model)];
  if (layers.length === 0) throw new Error('the model has no LoRA layers to save');
  const first = layers[0][1];
  mkdirSync(out, { recursive: true });
  const tensors = new Map<string, HostTensor>();
  for (const [name, layer] of layers) {
    // Internal Aᵀ [in, r] / Bᵀ [r, out] -> PEFT A [r, in] / B [out, r].
    tensors.set(`${PREFIX}${name}.lora_A.weight`, transpose2d({ shape: [...layer.loraA.shape], data: layer.loraA.dataSync() as Float32Array }));
    tensors.set(`${PREFIX}${name}.lora_B.weight`, transpose2d({ shape: [...layer.loraB.shape], data: layer.loraB.dataSync() as Float32Array }));
    if (layer.magnitude) tensors.set(`${PREFIX}${name}.lora_magnitude_vector`, { shape: [...layer.magnitude.shape], data: new Float32Array(layer.magnitude.dataSync() as Float32Array) });
  }
  const config = {
    alpha_pattern: {},
    auto_mapping: null,
    base_model_name_or_path: opts.baseModel ?? null,
    bias: 'none',
    fan_in_fan_out: model.config.family === 'gpt2',
    inference_mode: true,
    init_lora_weights: true,
    layers_pattern: null,
    layers_to_transform: null,
    lora_alpha: first.alpha,
    lora_dropout: first.dropoutRate,
    modules_to_save: null,
    peft_type: 'LORA',
    r: first.r,
    rank_pattern: {},
    revision: null,
    target_modules: [...new Set(layers.map(([n]) => n.split('.').pop() as string))].sort(),
    task_type: 'CAUSAL_LM',
    use_dora: first.magnitude !== null,
    use_rslora: first.useRslora,
  };
  writeSafetensors(join(out, 'adapter_model.safetensors'), tensors, { metadata: { format: 'pt' } });
  writeFileAtomic(join(out, 'adapter_config.json'), `${JSON.stringify(config, null, 2)}\n`, { fsync: true });
  return ['adapter_config.json', 'adapter_model.safetensors'];
}

/** Reads adapter_config.json, rejecting PEFT features this trainer does not implement. */
export function readAdapterConfig(dir: string): AdapterConfig {
  const path = join(dir, 'adapter_config.json');
  return parseLoraConfig(readJsonFile(path), path);
}

/** A LoRA adapter_config.json (already parsed) as Tunelab reads it; `path` names it in errors. */
export function parseLoraConfig(raw: Record<string, unknown>, path: string): AdapterConfig {
  const fail = (msg: string): never => {
    throw new ModelDirError(`${path}: ${msg}`);
  };
  if (raw.peft_type !== undefined && raw.peft_type !== 'LORA') fail(`peft_type ${JSON.stringify(raw.peft_type)} is not a LoRA adapter`);
  if (raw.bias !== undefined && raw.bias !== 'none') fail(`bias ${JSON.stringify(raw.bias)} is not supported (only "none")`);
  for (const key of ['rank_pattern', 'alpha_pattern'] as const) {
    const v = raw[key];
    if (v && typeof v === 'object' && Object.keys(v).length) fail(`${key} is not supported`);
  }
  if (Array.isArray(raw.modules_to_save) && raw.modules_to_save.length) fail('modules_to_save is not supported');
  const r = raw.r ?? 8;
  if (typeof r !== 'number' || !Number.isInteger(r) || r <= 0) fail(`"r" must be a positive integer, got ${JSON.stringify(r)}`);
  const alpha = raw.lora_alpha ?? 8;
  if (typeof alpha !== 'number') fail(`"lora_alpha" must be a number, got ${JSON.stringify(alpha)}`);
  const tm = raw.target_modules;
  const targetModules = typeof tm === 'string' ? tm : Array.isArray(tm) ? tm.filter((x): x is string => typeof x === 'string') : [];
  return {
    r: r as number,
    loraAlpha: alpha as number,
    loraDropout: typeof raw.lora_dropout === 'number' ? raw.lora_dropout : 0,
    useRslora: raw.use_rslora === true,
    targetModules,
    baseModel: typeof raw.base_model_name_or_path === 'string' ? raw.base_model_name_or_path : null,
    fanInFanOut: raw.fan_in_fan_out === true,
    useDora: raw.use_dora === true,
  };
}

/** Reads a PEFT adapter directory (config and weights, PEFT layout). */
export function readAdapter(dir: string): LoadedAdapter {
  const config = readAdapterConfig(dir);
  const path = join(dir, 'adapter_model.safetensors');
  if (!existsSync(path)) {
    const bin = existsSync(join(dir, 'adapter_model.bin'));
    throw new ModelDirError(`${path}: not found${bin ? ' (only adapter_model.bin, which Tunelab does not read; save the adapter with safetensors)' : ''}`);
  }
  const { tensors } = readSafetensors(path);
  return { dir, config, weights: loraPairs(tensors, config.r, path) };
}

/** Groups adapter tensors into A/B pairs by module name (PEFT layout); `path` names the file in errors. */
export function loraPairs(tensors: Map<string, HostTensor>, r: number, path: string): Map<string, LoraPair> {
  const weights = new Map<string, { a?: HostTensor; b?: HostTensor; magnitude?: HostTensor }>();
  for (const [key, t] of tensors) {
    // DoRA's magnitude: PEFT saves `<module>.lora_magnitude_vector` (adapter name and .weight stripped).
    const mag = /^(?:base_model\.model\.)?(.+)\.lora_magnitude_vector(?:\.[^.]+)?(?:\.weight)?$/.exec(key);
    if (mag) {
      if (t.shape.length !== 1) throw new ModelDirError(`${path}: "${key}" has shape [${t.shape.join(', ')}], expected one dimension`);
      weights.set(mag[1], { ...weights.get(mag[1]), magnitude: t });
      continue;
    }
    // PEFT strips the adapter name on save; tolerate files that kept it (`lora_A.default.weight`).
    const m = /^(?:base_model\.model\.)?(.+)\.lora_([AB])(?:\.[^.]+)?\.weight$/.exec(key);
    if (!m) throw new ModelDirError(`${path}: unexpected tensor "${key}" (expected <module>.lora_A.weight / lora_B.weight)`);
    const entry = weights.get(m[1]) ?? {};
    if (m[2] === 'A') entry.a = t;
    else entry.b = t;
    weights.set(m[1], entry);
  }
  const out = new Map<string, LoraPair>();
  for (const [name, { a, b, magnitude }] of weights) {
    if (!a || !b) throw new ModelDirError(`${path}: module "${name}" has lora_${a ? 'A' : 'B'} but no lora_${a ? 'B' : 'A'}`);
    if (a.shape.length !== 2 || b.shape.length !== 2 || a.shape[0] !== r || b.shape[1] !== r) {
      throw new ModelDirError(`${path}: module "${name}" has A [${a.shape.join(', ')}] and B [${b.shape.join(', ')}], inconsistent with r = ${r}`);
    }
    if (magnitude && magnitude.shape[0] !== b.shape[0]) throw new ModelDirError(`${path}: module "${name}" has a magnitude of ${magnitude.shape[0]} values for ${b.shape[0]} outputs`);
    out.set(name, magnitude ? { a, b, magnitude } : { a, b });
  }
  if (out.size === 0) throw new ModelDirError(`${path}: no LoRA tensors`);
  return out;
}

/** Wraps the adapter's modules of `model` with LoRA layers holding the saved weights (frozen base). */
export function attachAdapter(model: CausalLM, adapter: LoadedAdapter): string[] {
  const { config, weights } = adapter;
  try {
    return applyLora(model, { r: config.r, alpha: config.loraAlpha, dropout: config.loraDropout, useRslora: config.useRslora, useDora: config.useDora === true, targetModules: [...weights.keys()] }, weights);
  } catch (e) {
    throw new ModelDirError(`${adapter.dir}: ${(e as Error).message}`);
  }
}

/**
 * Merges an adapter into Hugging Face base tensors on the host: W = W0 + scaling·B·A for
 * [out, in] weights (Llama), or its transpose for GPT-2's [in, out] Conv1D weights. Returns a new
 * map; `base` is not modified. Throws when a module's weight is missing or the shapes disagree.
 */
export function mergeAdapter(config: ModelConfig, base: Map<string, HostTensor>, adapter: LoadedAdapter): Map<string, HostTensor> {
  const out = new Map(base);
  const scaling = loraScaling(adapter.config.r, adapter.config.loraAlpha, adapter.config.useRslora);
  const conv1d = config.family === 'gpt2';
  for (const [module, { a, b, magnitude }] of adapter.weights) {
    if (adapter.config.useDora && !magnitude) throw new ModelDirError(`${adapter.dir}: module "${module}" has no lora_magnitude_vector (the adapter is DoRA)`);
    const key = [`${module}.weight`, `${module.replace(/^transformer\./, '')}.weight`].find((k) => base.has(k));
    if (!key) throw new ModelDirError(`${adapter.dir}: the base model has no weight for module "${module}"`);
    const w = base.get(key) as HostTensor;
    const [r, inF] = a.shape;
    const outF = b.shape[0];
    const expected = conv1d ? [inF, outF] : [outF, inF];
    if (w.shape[0] !== expected[0] || w.shape[1] !== expected[1]) {
      throw new ModelDirError(`${adapter.dir}: module "${module}": adapter implies a [${expected.join(', ')}] weight, base has [${w.shape.join(', ')}]`);
    }
    const merged = new Float32Array(w.data);
    // ΔW[o, i] = scaling · Σ_k B[o, k]·A[k, i]
    const row = new Float64Array(inF);
    for (let o = 0; o < outF; o++) {
      row.fill(0);
      for (let k = 0; k < r; k++) {
        const bk = b.data[o * r + k] * scaling;
        if (bk === 0) continue;
        const aRow = k * inF;
        for (let i = 0; i < inF; i++) row[i] += bk * a.data[aRow + i];
      }
      if (conv1d) for (let i = 0; i < inF; i++) merged[i * outF + o] += row[i];
      else for (let i = 0; i < inF; i++) merged[o * inF + i] += row[i];
    }
    if (adapter.config.useDora && magnitude) doraRescale(merged, magnitude.data, outF, inF, conv1d);
    out.set(key, { shape: w.shape, data: merged });
  }
  return out;
}

/** DoRA's merge: each output row o of W′ = W0 + s·BA scaled to m[o] / ‖W′[o, :]‖ (a column for Conv1D's [in, out]). */
function doraRescale(w: Float32Array, m: Float32Array, outF: number, inF: number, conv1d: boolean): void {
  const at = (o: number, i: number) => (conv1d ? i * outF + o : o * inF + i);
  for (let o = 0; o < outF; o++) {
    let sq = 0;
    for (let i = 0; i < inF; i++) sq += w[at(o, i)] ** 2;
    const k = m[o] / Math.sqrt(sq);
    for (let i = 0; i < inF; i++) w[at(o, i)] *= k;
  }
}
