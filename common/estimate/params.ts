/**
 * Parameter counts: the base model's total and the trainable parameters of each fine-tuning
 * method, with the formulas PEFT uses (see ../shared/reference/estimators-evals.md §2).
 */
import type { LinearModule, ModelShape } from './shape';

/** Base-model parameters by where they live. `linear` is what 4/8-bit quantisation replaces. */
export interface BaseParams {
  total: number;
  /** Weights and biases of every linear layer inside the decoder blocks. */
  linear: number;
  /** Input embeddings (plus learned positions for GPT-2). */
  embedding: number;
  /** Output projection; 0 when tied to the input embeddings. */
  lmHead: number;
  /** Norm weights and biases. */
  norms: number;
  /** Linear parameters of the largest decoder layer (what FSDP / ZeRO-3 gathers at once). */
  perLayer: number;
}

const moduleParams = (m: LinearModule) => m.copies * (m.in * m.out + (m.bias ? m.out : 0));

/** Counts the base model's parameters from its shape. */
export function baseParams(shape: ModelShape): BaseParams {
  const perLayerLinear = shape.modules.reduce((s, m) => s + moduleParams(m), 0);
  const linear = shape.layers * perLayerLinear;
  const embedding = shape.vocab * shape.hidden + shape.positionEmbeddings * shape.hidden;
  const lmHead = shape.tiedEmbeddings ? 0 : shape.vocab * shape.hidden;
  const norms = shape.layers * shape.layerOtherParams + shape.finalNormParams;
  return { total: linear + embedding + lmHead + norms, linear, embedding, lmHead, norms, perLayer: perLayerLinear + shape.layerOtherParams };
}

/**
 * A fine-tuning method and its settings.
 * - `full`: every parameter trains.
 * - `lora`: low-rank A [r, in] and B [out, r] on each targeted linear (`targets` by module name,
 *   matched as a suffix of the full name like PEFT's list form; a `RegExp` string is matched against
 *   the full name like PEFT's string form; `'all-linear'` is every linear layer except the output).
 *   `modulesToSave` (e.g. embed_tokens, lm_head) become fully trainable copies.
 * - `prefix`: prefix tuning, key and value vectors for every layer (GQA-aware, as PEFT since #1901).
 * - `prompt`: prompt tuning, virtual input embeddings.
 * - `bottleneck`: bottleneck adapters, two per layer (Houlsby: after attention and after the MLP) or one
 *   (Pfeiffer: after the MLP).
 * - `ia3`: one learned scaling vector per targeted module.
 * - `llama-adapter`: PEFT adaption prompts on the top `layers` layers (Axolotl's `llama-adapter`).
 */
export type Method =
  | { kind: 'full' }
  | { kind: 'lora'; r: number; targets: readonly string[] | 'all-linear' | { regex: string }; layers?: readonly number[]; bias?: boolean; dora?: boolean; modulesToSave?: readonly string[]; rankPattern?: Readonly<Record<string, number>> }
  | { kind: 'prefix'; virtualTokens: number; projection?: boolean; encoderHidden?: number }
  | { kind: 'prompt'; virtualTokens: number }
  | { kind: 'bottleneck'; size: number; placement?: 'houlsby' | 'pfeiffer' }
  | { kind: 'ia3'; targets?: readonly string[]; feedforward?: readonly string[] }
  | { kind: 'llama-adapter'; length: number; layers: number };

/** What trains under a method. */
export interface TrainableParams {
  /** Parameters with gradients. */
  trainable: number;
  /** Base parameters plus every parameter the method adds (PEFT's "all params"). */
  total: number;
  /** Parameters the method adds to the model (adapters, LoRA matrices, saved-module copies). */
  added: number;
  /** Targeted modules per layer (LoRA, IA3), for display and for LoRA's activation memory. */
  targetedModules: LinearModule[];
}

/** PEFT's default LoRA targets per architecture (TRANSFORMERS_MODELS_TO_LORA_TARGET_MODULES_MAPPING). */
export function defaultLoraTargets(shape: ModelShape): string[] {
  if (shape.family === 'gpt2') return ['c_attn'];
  if (shape.family === 'phi3') return ['qkv_proj'];
  return ['q_proj', 'v_proj'];
}

/** PEFT's default IA3 targets and feed-forward modules per architecture. */
export function defaultIa3(shape: ModelShape): { targets: string[]; feedforward: string[] } {
  switch (shape.family) {
    case 'gpt2':
      return { targets: ['c_attn', 'mlp.c_proj'], feedforward: ['mlp.c_proj'] };
    case 'phi3':
      return { targets: ['qkv_proj', 'down_proj'], feedforward: ['down_proj'] };
    case 'llama':
    case 'mixtral':
      return { targets: ['k_proj', 'v_proj', 'down_proj'], feedforward: ['down_proj'] };
    default:
      return { targets: ['q_proj', 'v_proj', 'down_proj'], feedforward: ['down_proj'] };
  }
}

/** PEFT's list-form match: the target equals the module's full name or is a dotted suffix of it. */
export const suffixMatch = (fullName: string, target: string) => fullName === target || fullName.endsWith(`.${target}`);

/** Which modules of layer `layer` a target spec selects, or an error for an invalid regex. */
export function selectModules(shape: ModelShape, layer: number, targets: readonly string[] | 'all-linear' | { regex: string }): LinearModule[] | { unknown: string } {
  if (targets === 'all-linear') return shape.modules;
  if (Array.isArray(targets)) {
    const list = targets as readonly string[];
    return shape.modules.filter((m) => list.some((t) => suffixMatch(`${shape.layerPrefix}.${layer}.${m.name}`, t)));
  }
  const { regex } = targets as { regex: string };
  let re: RegExp;
  try {
    re = new RegExp(`^(?:${regex})$`);
  } catch (e) {
    return { unknown: `LoRA target pattern ${JSON.stringify(regex)} is not a valid regular expression (${(e as Error).message})` };
  }
  return shape.modules.filter((m) => re.test(`${shape.layerPrefix}.${layer}.${m.name}`));
}

function rankFor(m: LinearModule, r: number, pattern: Readonly<Record<string, number>> | undefined): number {
  if (!pattern) return r;
  for (const [k, v] of Object.entries(pattern)) if (suffixMatch(m.name, k) || m.name.includes(k)) return v;
  return r;
}

/**
 * Counts trainable parameters for a method. LoRA: r·(in + out) per targeted module (plus out for
 * a LoRA bias, plus out for DoRA's magnitude vector), summed over layers; outside-the-layer targets
 * `lm_head` and `embed_tokens` count r·(h + V).
 */
export function trainableParams(shape: ModelShape, method: Method): TrainableParams | { unknown: string } {
  const base = baseParams(shape);
  const h = shape.hidden;
  const L = shape.layers;
  const done = (added: number, trainable: number, targeted: LinearModule[] = []): TrainableParams => ({ trainable, total: base.total + added, added, targetedModules: targeted });
  switch (method.kind) {
    case 'full':
      return done(0, base.total);
    case 'lora': {
      let added = 0;
      const targeted = new Map<string, LinearModule>();
      const layers = method.layers && method.layers.length > 0 ? method.layers : Array.from({ length: L }, (_, i) => i);
      for (const layer of layers) {
        if (!Number.isInteger(layer) || layer < 0 || layer >= L) return { unknown: `peft_layers_to_transform names layer ${layer}, but the model has layers 0 to ${L - 1}` };
        const mods = selectModules(shape, layer, method.targets);
        if (!Array.isArray(mods)) return mods;
        for (const m of mods) {
          const r = rankFor(m, method.r, method.rankPattern);
          added += m.copies * (r * (m.in + m.out) + (method.bias ? m.out : 0) + (method.dora ? m.out : 0));
          targeted.set(m.name, m);
        }
      }
      // Targets outside the decoder blocks (only by explicit name; all-linear skips the output layer).
      const named = Array.isArray(method.targets) ? (method.targets as readonly string[]) : [];
      if (named.includes('lm_head')) added += method.r * (h + shape.vocab);
      if (named.includes('embed_tokens') || named.includes('wte')) added += method.r * (shape.vocab + h);
      if (targeted.size === 0 && added === 0) {
        const spec = method.targets === 'all-linear' ? 'all-linear' : Array.isArray(method.targets) ? (method.targets as readonly string[]).join(', ') : (method.targets as { regex: string }).regex;
        return { unknown: `LoRA targets (${spec}) match no module of this ${shape.modelType} model (its modules: ${shape.modules.map((m) => m.name.split('.').pop()).join(', ')})` };
      }
      // modules_to_save: PEFT keeps the original and trains a full copy.
      let saved = 0;
      for (const name of method.modulesToSave ?? []) {
        if (name === 'lm_head') saved += shape.tiedEmbeddings ? shape.vocab * h : base.lmHead;
        else if (name === 'embed_tokens' || name === 'wte') saved += shape.vocab * h;
      }
      return done(added + saved, added + saved, [...targeted.values()]);
    }
    case 'prefix': {
      // GQA: PEFT sets token_dim = head_dim · n_kv when the config has num_key_value_heads.
      const tokenDim = shape.kvHeads !== shape.heads ? shape.headDim * shape.kvHeads : h;
      const n = method.virtualTokens;
      if (!method.projection) return done(n * L * 2 * tokenDim, n * L * 2 * tokenDim);
      const e = method.encoderHidden ?? tokenDim;
      const p = n * tokenDim + (tokenDim * e + e) + (e * 2 * L * tokenDim + 2 * L * tokenDim);
      return done(p, p);
    }
    case 'prompt':
      return done(method.virtualTokens * h, method.virtualTokens * h);
    case 'bottleneck': {
      const m = method.size;
      // Each adapter: down [h, m] + bias m, up [m, h] + bias h.
      const p = L * (method.placement === 'pfeiffer' ? 1 : 2) * (2 * m * h + h + m);
      return done(p, p);
    }
    case 'ia3': {
      const d = defaultIa3(shape);
      const targets = method.targets ?? d.targets;
      const ff = method.feedforward ?? (method.targets ? method.targets.filter((t) => d.feedforward.includes(t)) : d.feedforward);
      let p = 0;
      const targeted: LinearModule[] = [];
      for (const m of shape.modules) {
        const full = `${shape.layerPrefix}.0.${m.name}`;
        if (!targets.some((t) => suffixMatch(full, t))) continue;
        targeted.push(m);
        p += m.copies * (ff.some((t) => suffixMatch(full, t)) ? m.in : m.out);
      }
      if (targeted.length === 0) return { unknown: `IA3 targets (${targets.join(', ')}) match no module of this ${shape.modelType} model` };
      return done(L * p, L * p, targeted);
    }
    case 'llama-adapter': {
      const layers = Math.min(method.layers, L);
      const p = layers * (method.length * h + 1);
      return done(p, p);
    }
  }
}
