/**
 * From an Axolotl config (a plain object, as `yaml` parses it) to an estimate: which model, which
 * method, which setup. Model facts come, in order, from a local directory's config.json, the
 * Hugging Face cache, then the built-in table. File access is injected (`EstimateEnv`), so the
 * language server, the CLI and tests share this code.
 */
import { join } from 'node:path';
import { resolveLocalPath } from '../paths';
import { estimateMemory, type MemoryBreakdown, type Precision, type Quantization, type Sharding, type TrainingSetup } from './memory';
import { lookupBuiltinModel } from './models';
import { defaultLoraTargets, type Method } from './params';
import { shapeFromConfig, type ModelShape } from './shape';

/** Injected context and I/O. Without `readTextFile`, only the built-in table is used. */
export interface EstimateEnv {
  /** Folder of the config file: relative paths (base_model, deepspeed) resolve against it first. */
  configDir?: string;
  workspaceRoots?: readonly string[];
  cwd?: string;
  /** Reads a UTF-8 file; returns undefined when it does not exist or cannot be read. */
  readTextFile?(absPath: string): string | undefined;
  /** Hugging Face hub cache folder (HF_HUB_CACHE, default ~/.cache/huggingface/hub). */
  hfCacheDir?: string;
  /** Number of GPUs the run uses (data parallel); default 1. */
  gpus?: number;
  /** GPU memory to check against, in bytes; overrides the config's gpu_memory_limit. */
  gpuMemoryBytes?: number;
}

/** Where the model's facts came from. */
export interface ModelSource {
  /** The id or path as written in the config. */
  requested: string;
  kind: 'local' | 'hf-cache' | 'builtin';
  /** The config.json read, or the table's canonical id. */
  from: string;
}

/** A complete estimate for a config. */
export interface Estimate {
  model: ModelSource;
  shape: ModelShape;
  setup: TrainingSetup;
  /** `full`, `lora`, `qlora` (LoRA on a 4-bit base), `lora-8bit`, or the PEFT method's kind. */
  methodLabel: string;
  params: { total: number; trainable: number; base: number };
  /** Bytes on each GPU. */
  memory: MemoryBreakdown;
  /** Equal to memory.total: the number to compare with one GPU's memory. */
  perGpu: number;
  /** The GPU memory to fit in, when known: from env.gpuMemoryBytes or the config's gpu_memory_limit. */
  gpuMemory: { bytes: number; source: 'option' | 'config' } | null;
  /** Assumptions made, in plain sentences. */
  notes: string[];
}

/** What could not be estimated, and the config key it comes from when there is one. */
export interface EstimateUnknown {
  unknown: string;
  /** Top-level config key to point at (e.g. `base_model`, `micro_batch_size`). */
  key?: string;
}

type Cfg = Record<string, unknown>;
const GIB = 2 ** 30;
/** Largest sequence length we estimate for (16 M tokens); beyond that the input is a mistake. */
export const MAX_SEQUENCE_LEN = 2 ** 24;
const MAX_MICRO_BATCH = 65536;
const MAX_GPUS = 65536;

const truthy = (v: unknown) => v === true || v === 'true';

/**
 * Where the Hugging Face hub cache is, by huggingface_hub's rule: HF_HUB_CACHE, else $HF_HOME/hub,
 * else ~/.cache/huggingface/hub (XDG_CACHE_HOME replaces ~/.cache). The CLI and the server share it.
 */
export function hfHubCacheDir(vars: Readonly<Record<string, string | undefined>>, home: string): string {
  if (vars.HF_HUB_CACHE) return vars.HF_HUB_CACHE;
  if (vars.HF_HOME) return join(vars.HF_HOME, 'hub');
  return join(vars.XDG_CACHE_HOME || join(home, '.cache'), 'huggingface', 'hub');
}

/** Parses a gpu_memory_limit value: a number is GiB (as Axolotl does), a string like `20GiB`, `24GB`, `16000MiB`. */
export function parseMemorySize(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) && v > 0 ? v * GIB : undefined;
  if (typeof v !== 'string') return undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(GiB|GB|MiB|MB|TiB|TB)?\s*$/i.exec(v);
  if (!m) return undefined;
  const n = Number(m[1]);
  const unit = (m[2] ?? 'GiB').toLowerCase();
  const factor = { gib: GIB, gb: 1e9, mib: 2 ** 20, mb: 1e6, tib: 2 ** 40, tb: 1e12 }[unit] ?? GIB;
  return n > 0 ? n * factor : undefined;
}

function positiveInt(cfg: Cfg, key: string, fallback: number, max: number): number | EstimateUnknown {
  let v = cfg[key];
  if (v === undefined || v === null || v === '') return fallback;
  // Axolotl reads YAML 1.1 with PyYAML, where 500_000 is an integer; YAML 1.2 parsers give a string.
  if (typeof v === 'string' && /^[+-]?\d[\d_]*$/.test(v)) v = Number(v.replace(/_/g, ''));
  if (typeof v !== 'number' || !Number.isInteger(v)) return { unknown: `${key} is ${JSON.stringify(v)}, expected a positive integer`, key };
  if (v <= 0) return { unknown: `${key} is ${v}; it must be at least 1`, key };
  if (v > max) return { unknown: `${key} is ${v}, beyond anything that can be estimated (at most ${max.toLocaleString('en-US')})`, key };
  return v;
}
const bad = (v: unknown): v is EstimateUnknown => typeof v === 'object' && v !== null && 'unknown' in v;

const looksLocal = (p: string) => p.startsWith('.') || p.startsWith('/') || p.startsWith('~') || /^[A-Za-z]:[\\/]/.test(p) || p.split('/').length > 2;

/** Finds and parses the model's config.json: local directory, Hugging Face cache, built-in table. */
export function resolveModelConfig(id: string, env: EstimateEnv): { config: Cfg; source: ModelSource } | EstimateUnknown {
  const read = env.readTextFile;
  const parse = (path: string, text: string): Cfg | EstimateUnknown => {
    try {
      const v = JSON.parse(text) as unknown;
      if (typeof v !== 'object' || v === null || Array.isArray(v)) return { unknown: `${path} is not a JSON object`, key: 'base_model' };
      return v as Cfg;
    } catch (e) {
      return { unknown: `${path} is not valid JSON: ${(e as Error).message}`, key: 'base_model' };
    }
  };
  if (read) {
    const bases = { configDir: env.configDir, workspaceRoots: env.workspaceRoots, cwd: env.cwd };
    const local = resolveLocalPath(id, bases, (c) => read(join(c, 'config.json')) !== undefined);
    if (local.exists) {
      const path = join(local.path, 'config.json');
      const cfg = parse(path, read(path) ?? '');
      return bad(cfg) ? cfg : { config: cfg, source: { requested: id, kind: 'local', from: path } };
    }
    if (looksLocal(id)) {
      return { unknown: `no config.json found for the local model '${id}' (looked in ${local.candidates.join(', ') || id})`, key: 'base_model' };
    }
    if (env.hfCacheDir && /^[\w.-]+\/[\w.-]+$/.test(id)) {
      const repo = join(env.hfCacheDir, `models--${id.replace('/', '--')}`);
      const ref = read(join(repo, 'refs', 'main'))?.trim();
      if (ref && /^[0-9a-f]{7,64}$/.test(ref)) {
        const path = join(repo, 'snapshots', ref, 'config.json');
        const text = read(path);
        if (text !== undefined) {
          const cfg = parse(path, text);
          return bad(cfg) ? cfg : { config: cfg, source: { requested: id, kind: 'hf-cache', from: path } };
        }
      }
    }
  } else if (looksLocal(id)) {
    return { unknown: `'${id}' is a local path and files cannot be read here`, key: 'base_model' };
  }
  const builtin = lookupBuiltinModel(id);
  if (builtin) return { config: builtin.config, source: { requested: id, kind: 'builtin', from: builtin.id } };
  return { unknown: `model '${id}' is not in the built-in table and no local config.json was found; point base_model_config at a directory with its config.json`, key: 'base_model' };
}

function loraTargets(cfg: Cfg): Extract<Method, { kind: 'lora' }>['targets'] | EstimateUnknown {
  const mods = cfg.lora_target_modules;
  const list: string[] = [];
  let regex: string | undefined;
  if (typeof mods === 'string' && mods.length > 0) {
    if (/^[\w.]+$/.test(mods)) list.push(mods);
    else regex = mods;
  } else if (Array.isArray(mods)) {
    for (const m of mods) {
      if (typeof m !== 'string') return { unknown: `lora_target_modules holds ${JSON.stringify(m)}, expected module names`, key: 'lora_target_modules' };
      list.push(m);
    }
  } else if (mods !== undefined && mods !== null) {
    return { unknown: `lora_target_modules is ${JSON.stringify(mods)}, expected a list of module names`, key: 'lora_target_modules' };
  }
  if (truthy(cfg.lora_target_linear)) {
    // all-linear, plus anything outside the blocks named explicitly (lm_head, embed_tokens).
    const outside = list.filter((m) => m === 'lm_head' || m === 'embed_tokens');
    return outside.length > 0 ? [...new Set(['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj', 'qkv_proj', 'gate_up_proj', 'c_attn', 'c_proj', 'c_fc', 'gate', 'w1', 'w2', 'w3', ...outside])] : 'all-linear';
  }
  if (regex !== undefined) return { regex };
  return list;
}

function methodFromConfig(cfg: Cfg, shape: ModelShape, notes: string[]): { method: Method; quantization: Quantization; label: string } | EstimateUnknown {
  const adapter = typeof cfg.adapter === 'string' ? cfg.adapter.trim().toLowerCase() : cfg.adapter;
  const in4 = truthy(cfg.load_in_4bit);
  const in8 = truthy(cfg.load_in_8bit);
  if (adapter === undefined || adapter === null || adapter === '') {
    if (in4 || in8) notes.push(`${in4 ? 'load_in_4bit' : 'load_in_8bit'} without an adapter: Axolotl refuses it; estimated as full fine-tuning`);
    return { method: { kind: 'full' }, quantization: 'none', label: 'full' };
  }
  if (typeof adapter !== 'string') return { unknown: `adapter is ${JSON.stringify(adapter)}, expected lora, qlora or another adapter name`, key: 'adapter' };
  const r = positiveInt(cfg, 'lora_r', 8, 65536);
  if (bad(r)) return r;
  const vt = positiveInt(cfg, 'peft_num_virtual_tokens', 20, 1 << 20);
  if (bad(vt)) return vt;
  switch (adapter) {
    case 'lora':
    case 'qlora': {
      if (cfg.lora_r === undefined || cfg.lora_r === null) notes.push('lora_r not set: assumed PEFT\'s default r = 8');
      const targets = loraTargets(cfg);
      if (bad(targets)) return targets;
      const targetList = Array.isArray(targets) ? (targets as string[]) : undefined;
      const defaulted = targetList !== undefined && targetList.length === 0;
      const layersRaw = cfg.peft_layers_to_transform;
      const layers = Array.isArray(layersRaw) ? layersRaw.filter((x): x is number => typeof x === 'number') : undefined;
      const save = Array.isArray(cfg.lora_modules_to_save) ? cfg.lora_modules_to_save.filter((x): x is string => typeof x === 'string') : undefined;
      const pattern = cfg.lora_rank_pattern && typeof cfg.lora_rank_pattern === 'object' ? (cfg.lora_rank_pattern as Record<string, number>) : undefined;
      const quantization: Quantization = adapter === 'qlora' || in4 ? 'nf4' : in8 ? 'int8' : 'none';
      if (defaulted) notes.push('no LoRA targets set: PEFT\'s defaults for this architecture');
      const method: Method = {
        kind: 'lora',
        r,
        targets: defaulted ? defaultLoraTargets(shape) : targets,
        ...(layers ? { layers } : {}),
        ...(save ? { modulesToSave: save } : {}),
        ...(pattern ? { rankPattern: pattern } : {}),
        dora: truthy(cfg.peft_use_dora),
      };
      return { method, quantization, label: quantization === 'nf4' ? 'qlora' : quantization === 'int8' ? 'lora-8bit' : 'lora' };
    }
    case 'llama-adapter': {
      const pa = (cfg.peft_adapter ?? {}) as Cfg;
      const length = typeof pa.len === 'number' && pa.len > 0 ? pa.len : 10;
      const layers = typeof pa.layers === 'number' && pa.layers > 0 ? pa.layers : 30;
      return { method: { kind: 'llama-adapter', length, layers }, quantization: in4 ? 'nf4' : in8 ? 'int8' : 'none', label: 'llama-adapter' };
    }
    case 'prefix':
    case 'prefix_tuning': {
      // PEFT's encoder_hidden_size (the MLP width with prefix_projection); unset: the token dimension.
      const enc = cfg.peft_encoder_hidden_size === undefined || cfg.peft_encoder_hidden_size === null ? undefined : positiveInt(cfg, 'peft_encoder_hidden_size', 1, 1 << 24);
      if (bad(enc)) return enc;
      return { method: { kind: 'prefix', virtualTokens: vt, projection: truthy(cfg.peft_prefix_projection), ...(enc !== undefined ? { encoderHidden: enc } : {}) }, quantization: in4 ? 'nf4' : in8 ? 'int8' : 'none', label: 'prefix' };
    }
    case 'prompt':
    case 'prompt_tuning':
      return { method: { kind: 'prompt', virtualTokens: vt }, quantization: in4 ? 'nf4' : in8 ? 'int8' : 'none', label: 'prompt' };
    case 'ia3':
      return { method: { kind: 'ia3' }, quantization: in4 ? 'nf4' : in8 ? 'int8' : 'none', label: 'ia3' };
    case 'bottleneck':
    case 'houlsby': {
      const size = positiveInt(cfg, 'peft_adapter_size', 64, 1 << 20);
      if (bad(size)) return size;
      const placement = adapter !== 'houlsby' && String(cfg.peft_adapter_placement ?? '').trim().toLowerCase() === 'pfeiffer' ? 'pfeiffer' : 'houlsby';
      return { method: { kind: 'bottleneck', size, placement }, quantization: in4 ? 'nf4' : in8 ? 'int8' : 'none', label: 'bottleneck' };
    }
    default:
      return { unknown: `adapter '${adapter}' is not one the estimator knows (lora, qlora, llama-adapter, prefix, prompt, ia3, bottleneck)`, key: 'adapter' };
  }
}

function precisionFromConfig(cfg: Cfg, notes: string[]): Precision {
  if (truthy(cfg.fp16) && cfg.bf16 !== true) return 'fp16';
  if (cfg.bf16 === false) return truthy(cfg.fp16) ? 'fp16' : 'fp32';
  if (cfg.bf16 === undefined || cfg.bf16 === null || cfg.bf16 === 'auto') notes.push('bf16: auto assumed to resolve to bf16 (a GPU from Ampere on)');
  return 'bf16';
}

function shardingFromConfig(cfg: Cfg, env: EstimateEnv, notes: string[]): Sharding | EstimateUnknown {
  const ds = cfg.deepspeed;
  if (typeof ds === 'string' && ds.length > 0) {
    let json: Cfg | undefined;
    const read = env.readTextFile;
    if (read) {
      const p = resolveLocalPath(ds, { configDir: env.configDir, workspaceRoots: env.workspaceRoots, cwd: env.cwd }, (c) => read(c) !== undefined);
      if (p.exists) {
        try {
          json = JSON.parse(read(p.path) ?? '') as Cfg;
        } catch (e) {
          return { unknown: `deepspeed config ${p.path} is not valid JSON: ${(e as Error).message}`, key: 'deepspeed' };
        }
      }
    }
    if (json) return zeroFromJson(json);
    const m = /zero_?([0-3])/i.exec(ds);
    if (!m) return { unknown: `cannot tell the ZeRO stage of deepspeed config '${ds}' (file not found and its name says no stage)`, key: 'deepspeed' };
    notes.push(`DeepSpeed stage read from the file name '${ds}'`);
    const offload = /offload/i.test(ds);
    return { kind: 'zero', stage: Number(m[1]) as 0 | 1 | 2 | 3, offloadOptimizer: offload && !/offload_?params$/i.test(ds.replace(/\.json$/i, '')), offloadParams: offload && !/offload_?optim/i.test(ds) };
  }
  if (ds && typeof ds === 'object' && !Array.isArray(ds)) return zeroFromJson(ds as Cfg);
  const fc = cfg.fsdp_config;
  const fl = cfg.fsdp;
  if ((fc && typeof fc === 'object') || (Array.isArray(fl) && fl.length > 0)) {
    const c = (fc && typeof fc === 'object' ? fc : {}) as Cfg;
    const get = (k: string) => c[k] ?? c[`fsdp_${k}`];
    const list = Array.isArray(fl) ? fl.map(String) : [];
    const fullShard = !(get('reshard_after_forward') === false || list.includes('shard_grad_op') || get('sharding_strategy') === 'SHARD_GRAD_OP');
    return { kind: 'fsdp', fullShard, offloadParams: truthy(get('offload_params')) || list.includes('offload') };
  }
  return { kind: 'none' };
}

function zeroFromJson(json: Cfg): Sharding {
  const z = (json.zero_optimization ?? {}) as Cfg;
  const stage = typeof z.stage === 'number' && z.stage >= 0 && z.stage <= 3 ? (z.stage as 0 | 1 | 2 | 3) : 0;
  const dev = (k: string) => {
    const o = z[k];
    return !!o && typeof o === 'object' && ['cpu', 'nvme'].includes(String((o as Cfg).device));
  };
  return { kind: 'zero', stage, offloadOptimizer: dev('offload_optimizer'), offloadParams: dev('offload_param') };
}

/**
 * Estimates parameters and per-GPU memory for an Axolotl config given as a plain object.
 * Returns `{ unknown, key? }` (never NaN or a silent zero) when the model cannot be resolved, its
 * architecture is not supported, or a value is absurd; `key` names the config key to point at.
 */
export function estimateConfig(config: unknown, env: EstimateEnv = {}): Estimate | EstimateUnknown {
  if (typeof config !== 'object' || config === null || Array.isArray(config)) return { unknown: 'the config is not a mapping of keys to values' };
  const cfg = config as Cfg;
  const modelKey = typeof cfg.base_model_config === 'string' && cfg.base_model_config ? 'base_model_config' : 'base_model';
  const id = cfg[modelKey];
  if (typeof id !== 'string' || id.trim() === '') return { unknown: 'the config has no base_model to estimate', key: 'base_model' };
  const resolved = resolveModelConfig(id.trim(), env);
  if (bad(resolved)) return { ...resolved, key: modelKey };
  const shape = shapeFromConfig(resolved.config);
  if ('unknown' in shape) return { unknown: `${resolved.source.from}: ${shape.unknown}`, key: modelKey };

  const notes: string[] = [];
  const microBatch = positiveInt(cfg, 'micro_batch_size', 1, MAX_MICRO_BATCH);
  if (bad(microBatch)) return microBatch;
  const seqLen = positiveInt(cfg, 'sequence_len', 512, MAX_SEQUENCE_LEN);
  if (bad(seqLen)) return seqLen;
  if (cfg.sequence_len === undefined) notes.push('sequence_len not set: Axolotl\'s default 512');
  if (shape.maxPositions !== null && seqLen > shape.maxPositions) notes.push(`sequence_len ${seqLen} exceeds the model's ${shape.maxPositions} positions (needs RoPE scaling)`);
  const gpus = env.gpus ?? 1;
  if (!Number.isInteger(gpus) || gpus < 1 || gpus > MAX_GPUS) return { unknown: `the GPU count ${gpus} must be an integer from 1 to ${MAX_GPUS}` };
  const method = methodFromConfig(cfg, shape, notes);
  if (bad(method)) return method;
  const sharding = shardingFromConfig(cfg, env, notes);
  if (bad(sharding)) return sharding;
  if (sharding.kind !== 'none' && gpus === 1) notes.push('sharding configured but 1 GPU assumed: pass the GPU count to see it split');
  const dropout = typeof cfg.lora_dropout === 'number' && cfg.lora_dropout > 0 ? cfg.lora_dropout : 0;
  const gc = cfg.gradient_checkpointing;
  const fsdpGc = !!cfg.fsdp_config && typeof cfg.fsdp_config === 'object' && truthy((cfg.fsdp_config as Cfg).activation_checkpointing ?? (cfg.fsdp_config as Cfg).fsdp_activation_checkpointing);
  const gradientCheckpointing = gc === true || gc === 'offload' || gc === 'offload_disk' || gc === 'true' || fsdpGc;
  const attn = typeof cfg.attn_implementation === 'string' ? cfg.attn_implementation : undefined;
  const eager = attn === 'eager' || (attn === undefined && truthy(cfg.eager_attention));
  const plugins = Array.isArray(cfg.plugins) ? cfg.plugins.map(String) : [];
  const fused = truthy(cfg.liger_fused_linear_cross_entropy) || (truthy(cfg.cut_cross_entropy) && plugins.some((p) => p.includes('cut_cross_entropy')));
  const optimizer = typeof cfg.optimizer === 'string' && cfg.optimizer ? cfg.optimizer : 'adamw_torch_fused';
  const precision = precisionFromConfig(cfg, notes);
  // Full fine-tuning: DeepSpeed keeps fp32 master weights; fp16 AMP needs fp32 parameters; bf16
  // otherwise trains the bf16-loaded model as it is (Axolotl loads in the compute dtype).
  const fullWeights: TrainingSetup['fullWeights'] = precision === 'fp32' ? 'fp32' : sharding.kind === 'zero' ? '16bit+master' : precision === 'fp16' ? 'fp32' : '16bit';
  if (method.method.kind === 'full' && precision === 'fp16' && sharding.kind !== 'zero') notes.push('fp16 full fine-tuning: mixed precision needs fp32 weights (fp16 activations)');
  const setup: TrainingSetup = {
    method: method.method,
    precision,
    fullWeights,
    quantization: method.quantization,
    // Axolotl's bitsandbytes config: NF4 with double quantisation unless bnb_config_kwargs says otherwise.
    doubleQuant: (cfg.bnb_config_kwargs as Cfg | undefined)?.bnb_4bit_use_double_quant !== false,
    // PEFT's prepare_model_for_kbit_training upcasts embeddings and norms to fp32; Axolotl then
    // casts them back to the compute dtype for every LoRA/QLoRA run.
    nonQuantizedBytes: precision === 'fp32' ? 4 : 2,
    adapterBytes: cfg.peft_autocast_adapter_dtype === false ? 2 : 4,
    optimizer,
    microBatch,
    seqLen,
    gradientCheckpointing,
    activationOffloading: gradientCheckpointing && (truthy(cfg.activation_offloading) || gc === 'offload' || gc === 'offload_disk'),
    attention: eager ? 'eager' : 'flash',
    loraDropout: dropout,
    gpus,
    sharding,
    fusedCrossEntropy: fused,
  };
  return estimateSetup(shape, setup, { requested: id, kind: resolved.source.kind, from: resolved.source.from }, method.label, gpuMemoryOf(cfg, env), notes);
}

function gpuMemoryOf(cfg: Cfg, env: EstimateEnv): Estimate['gpuMemory'] {
  if (env.gpuMemoryBytes !== undefined && env.gpuMemoryBytes > 0) return { bytes: env.gpuMemoryBytes, source: 'option' };
  const limit = parseMemorySize(cfg.gpu_memory_limit);
  return limit !== undefined ? { bytes: limit, source: 'config' } : null;
}

/** Runs the memory model for a shape and setup and wraps it as an Estimate (used by fit suggestions too). */
export function estimateSetup(
  shape: ModelShape,
  setup: TrainingSetup,
  model: ModelSource,
  methodLabel: string,
  gpuMemory: Estimate['gpuMemory'],
  notes: string[] = [],
): Estimate | EstimateUnknown {
  const m = estimateMemory(shape, setup);
  if ('unknown' in m) return m;
  return { model, shape, setup, methodLabel, params: m.params, memory: m.memory, perGpu: m.memory.total, gpuMemory, notes: [...notes, ...m.notes] };
}
