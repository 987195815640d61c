/**
 * A model's shape as the estimators need it, read from a Hugging Face `config.json` object.
 *
 * Every decoder layer is described by its linear modules (name, in, out, bias) plus the other
 * per-layer parameters (norms). Parameter counts, LoRA/IA3 targets and quantised bytes are all sums
 * over that one list, so a new architecture is one `layerModules` case, not edits in five places.
 */

/** One linear layer inside a decoder block. `name` is relative to the block, e.g. `self_attn.q_proj`. */
export interface LinearModule {
  name: string;
  in: number;
  out: number;
  bias: boolean;
  /** In the MLP (IA3 scales the input of feed-forward modules, the output of the others). */
  feedforward: boolean;
  /** How many copies per layer (mixture-of-experts experts share one entry). */
  copies: number;
}

/** The families whose layer layout we know. */
export type Family = 'llama' | 'qwen2' | 'qwen3' | 'gemma' | 'gemma2' | 'gemma3' | 'phi3' | 'gpt2' | 'mixtral';

/** A normalised model shape (dimensions plus the per-layer module list). */
export interface ModelShape {
  family: Family;
  /** `model_type` as written in config.json. */
  modelType: string;
  hidden: number;
  intermediate: number;
  layers: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  vocab: number;
  tiedEmbeddings: boolean;
  /** `max_position_embeddings` / `n_positions`, when the config says. */
  maxPositions: number | null;
  /** Learned absolute position embeddings (GPT-2); 0 for rotary models. */
  positionEmbeddings: number;
  /** Mixture of experts: experts per layer and experts active per token (1 and 1 for dense). */
  experts: number;
  expertsPerToken: number;
  /** Linear modules of one decoder layer. */
  modules: LinearModule[];
  /** Parameters of one layer that are not in a linear module (norm weights and biases). */
  layerOtherParams: number;
  /** Parameters outside the layers besides embeddings and head (final norm). */
  finalNormParams: number;
  /** Prefix for full module names, e.g. `model.layers` (PEFT matches regex targets on full names). */
  layerPrefix: string;
}

/** Why a shape could not be read: a sentence naming the key or the architecture. */
export interface ShapeError {
  unknown: string;
}

const MODEL_TYPE_FAMILY: Record<string, Family> = {
  llama: 'llama',
  mistral: 'llama',
  qwen2: 'qwen2',
  qwen3: 'qwen3',
  gemma: 'gemma',
  gemma2: 'gemma2',
  gemma3_text: 'gemma3',
  phi3: 'phi3',
  gpt2: 'gpt2',
  mixtral: 'mixtral',
};

/** The `model_type` values Tunelab can estimate. */
export const SUPPORTED_MODEL_TYPES: readonly string[] = Object.keys(MODEL_TYPE_FAMILY);

/**
 * Upper bounds far beyond any real model (the largest have ~100k hidden units, ~200 layers, ~1M
 * vocabulary entries), so that a corrupt config.json is reported instead of estimated for ever.
 */
const DIMENSION_LIMITS: Record<string, number> = {
  num_hidden_layers: 10_000,
  n_layer: 10_000,
  num_local_experts: 100_000,
  num_experts_per_tok: 100_000,
};
const DEFAULT_DIMENSION_LIMIT = 100_000_000;

function positiveInt(cfg: Record<string, unknown>, keys: string[]): number | undefined | ShapeError {
  for (const k of keys) {
    const v = cfg[k];
    if (v === undefined || v === null) continue;
    if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) return { unknown: `config.json ${k} is ${JSON.stringify(v)}, expected a positive integer` };
    const max = DIMENSION_LIMITS[k] ?? DEFAULT_DIMENSION_LIMIT;
    if (v > max) return { unknown: `config.json ${k} is ${v}, beyond any real model (at most ${max.toLocaleString('en-US')})` };
    return v;
  }
  return undefined;
}

const isError = (v: unknown): v is ShapeError => typeof v === 'object' && v !== null && 'unknown' in v;

/**
 * Reads a shape from a parsed config.json. Unknown architectures and missing or non-positive
 * dimensions come back as `{ unknown }` naming what is missing; nothing is guessed silently.
 */
export function shapeFromConfig(cfg: Record<string, unknown>): ModelShape | ShapeError {
  const modelType = typeof cfg.model_type === 'string' ? cfg.model_type : undefined;
  const archs = Array.isArray(cfg.architectures) ? cfg.architectures.filter((a) => typeof a === 'string') : [];
  if (!modelType) return { unknown: `config.json has no model_type${archs.length ? ` (architectures: ${archs.join(', ')})` : ''}` };
  const family = MODEL_TYPE_FAMILY[modelType];
  if (!family) return { unknown: `architecture '${modelType}' is not supported by the estimator (supported: ${SUPPORTED_MODEL_TYPES.join(', ')})` };

  const gpt = family === 'gpt2';
  const need = (label: string, keys: string[], fallback?: number): number | ShapeError => {
    const v = positiveInt(cfg, keys);
    if (isError(v)) return v;
    if (v !== undefined) return v;
    if (fallback !== undefined) return fallback;
    return { unknown: `config.json has no ${label} (${keys.join(' or ')})` };
  };
  const hidden = need('hidden size', gpt ? ['n_embd', 'hidden_size'] : ['hidden_size']);
  if (isError(hidden)) return hidden;
  const layers = need('layer count', gpt ? ['n_layer', 'num_hidden_layers'] : ['num_hidden_layers']);
  if (isError(layers)) return layers;
  const heads = need('attention head count', gpt ? ['n_head', 'num_attention_heads'] : ['num_attention_heads']);
  if (isError(heads)) return heads;
  const vocab = need('vocabulary size', ['vocab_size']);
  if (isError(vocab)) return vocab;
  const intermediate = need('intermediate size', gpt ? ['n_inner', 'intermediate_size'] : ['intermediate_size'], gpt ? 4 * hidden : undefined);
  if (isError(intermediate)) return intermediate;
  const kvHeads = need('key/value head count', ['num_key_value_heads'], heads);
  if (isError(kvHeads)) return kvHeads;
  const explicitHeadDim = positiveInt(cfg, ['head_dim']);
  if (isError(explicitHeadDim)) return explicitHeadDim;
  if (explicitHeadDim === undefined && hidden % heads !== 0) return { unknown: `hidden size ${hidden} is not divisible by ${heads} heads and config.json has no head_dim` };
  const headDim = explicitHeadDim ?? hidden / heads;
  if (heads % kvHeads !== 0) return { unknown: `${heads} attention heads are not a multiple of ${kvHeads} key/value heads` };
  const maxPos = positiveInt(cfg, gpt ? ['n_positions', 'max_position_embeddings'] : ['max_position_embeddings']);
  if (isError(maxPos)) return maxPos;
  let experts = 1;
  let expertsPerToken = 1;
  if (family === 'mixtral') {
    const e = need('expert count', ['num_local_experts']);
    if (isError(e)) return e;
    const k = need('experts per token', ['num_experts_per_tok'], 2);
    if (isError(k)) return k;
    experts = e;
    expertsPerToken = k;
  }
  // GPT-2 and Gemma tie by default; Llama-family configs say so explicitly (default false in
  // LlamaConfig, true in Qwen2's small models' files).
  const tieDefault = gpt || family === 'gemma' || family === 'gemma2' || family === 'gemma3';
  const tiedEmbeddings = typeof cfg.tie_word_embeddings === 'boolean' ? cfg.tie_word_embeddings : tieDefault;

  const h = hidden;
  const i = intermediate;
  const qDim = heads * headDim;
  const kvDim = kvHeads * headDim;
  const attnBias = cfg.attention_bias === true;
  const mlpBias = cfg.mlp_bias === true;
  const lin = (name: string, inF: number, outF: number, bias: boolean, feedforward = false, copies = 1): LinearModule => ({ name, in: inF, out: outF, bias, feedforward, copies });
  let modules: LinearModule[];
  let layerOtherParams: number;
  let finalNormParams = h;
  let layerPrefix = 'model.layers';
  let positionEmbeddings = 0;
  switch (family) {
    case 'gpt2':
      // Conv1D layers with biases; LayerNorm has weight and bias.
      modules = [lin('attn.c_attn', h, 3 * h, true), lin('attn.c_proj', h, h, true), lin('mlp.c_fc', h, i, true, true), lin('mlp.c_proj', i, h, true, true)];
      layerOtherParams = 2 * 2 * h;
      finalNormParams = 2 * h;
      layerPrefix = 'transformer.h';
      positionEmbeddings = maxPos ?? 1024;
      break;
    case 'phi3':
      modules = [lin('self_attn.qkv_proj', h, qDim + 2 * kvDim, false), lin('self_attn.o_proj', qDim, h, false), lin('mlp.gate_up_proj', h, 2 * i, false, true), lin('mlp.down_proj', i, h, false, true)];
      layerOtherParams = 2 * h;
      break;
    case 'mixtral': {
      const e = experts;
      modules = [
        ...attention(lin, h, qDim, kvDim, attnBias, attnBias),
        lin('block_sparse_moe.gate', h, e, false, true),
        lin('block_sparse_moe.experts.w1', h, i, false, true, e),
        lin('block_sparse_moe.experts.w2', i, h, false, true, e),
        lin('block_sparse_moe.experts.w3', h, i, false, true, e),
      ];
      layerOtherParams = 2 * h;
      break;
    }
    default: {
      const qkvBias = family === 'qwen2' || attnBias;
      modules = [...attention(lin, h, qDim, kvDim, qkvBias, attnBias), lin('mlp.gate_proj', h, i, mlpBias, true), lin('mlp.up_proj', h, i, mlpBias, true), lin('mlp.down_proj', i, h, mlpBias, true)];
      // Gemma-2/3 add a norm after attention and after the MLP; Qwen3 and Gemma-3 normalise q and k per head.
      const norms = family === 'gemma2' || family === 'gemma3' ? 4 : 2;
      const qkNorm = family === 'qwen3' || family === 'gemma3' ? 2 * headDim : 0;
      layerOtherParams = norms * h + qkNorm;
    }
  }
  return {
    family,
    modelType,
    hidden: h,
    intermediate: i,
    layers,
    heads,
    kvHeads,
    headDim,
    vocab,
    tiedEmbeddings,
    maxPositions: maxPos ?? null,
    positionEmbeddings,
    experts,
    expertsPerToken,
    modules,
    layerOtherParams,
    finalNormParams,
    layerPrefix,
  };
}

function attention(
  lin: (name: string, inF: number, outF: number, bias: boolean) => LinearModule,
  h: number,
  qDim: number,
  kvDim: number,
  qkvBias: boolean,
  oBias: boolean,
): LinearModule[] {
  return [lin('self_attn.q_proj', h, qDim, qkvBias), lin('self_attn.k_proj', h, kvDim, qkvBias), lin('self_attn.v_proj', h, kvDim, qkvBias), lin('self_attn.o_proj', qDim, h, oBias)];
}
