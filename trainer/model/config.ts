/**
 * Hugging Face `config.json` → the fields the model code uses, with clear errors for what is not
 * supported. Keys follow transformers' config classes (LlamaConfig, MistralConfig, Qwen2Config,
 * GPT2Config); defaults are those classes' defaults.
 */

/** The architecture families implemented here. */
export type ModelFamily = 'llama' | 'gpt2';

/** Hugging Face `architectures` values this trainer implements. */
export const SUPPORTED_ARCHITECTURES = ['LlamaForCausalLM', 'MistralForCausalLM', 'Qwen2ForCausalLM', 'GPT2LMHeadModel'] as const;

/** Resolved model hyper-parameters (one shape for both families; GPT-2 leaves rope fields unused). */
export interface ModelConfig {
  family: ModelFamily;
  /** The HF architecture name, e.g. `Qwen2ForCausalLM`. */
  architecture: string;
  /** HF `model_type`, e.g. `llama`, `qwen2`, `gpt2`. */
  modelType: string;
  vocabSize: number;
  hiddenSize: number;
  numLayers: number;
  numHeads: number;
  numKvHeads: number;
  headDim: number;
  intermediateSize: number;
  /** RMSNorm eps (Llama) or LayerNorm eps (GPT-2). */
  normEps: number;
  ropeTheta: number;
  /** rope_scaling, when present: `linear` (factor) or `llama3`; others are rejected. */
  ropeScaling: { type: 'linear'; factor: number } | { type: 'llama3'; factor: number; lowFreqFactor: number; highFreqFactor: number; originalMaxPositions: number } | null;
  maxPositions: number;
  tieWordEmbeddings: boolean;
  /** Biases on q/k/v projections (Qwen2: true; Llama `attention_bias`). */
  qkvBias: boolean;
  /** Bias on o_proj (Llama `attention_bias` also covers it; Qwen2 has none). */
  oBias: boolean;
  /** Bias on gate/up/down (Llama `mlp_bias`). */
  mlpBias: boolean;
  /** Dropout rates applied only in training (GPT-2 defaults 0.1; Llama `attention_dropout`). */
  dropout: { attention: number; residual: number; embedding: number };
  bosTokenId: number | null;
  eosTokenIds: number[];
  /** The config.json object as read, kept so saving writes back what was loaded. */
  raw: Record<string, unknown>;
}

/** A config that cannot be used; the message names the key and what is accepted. */
export class ModelConfigError extends Error {}

const num = (raw: Record<string, unknown>, key: string, fallback?: number): number => {
  const v = raw[key];
  if (v === undefined || v === null) {
    if (fallback !== undefined) return fallback;
    throw new ModelConfigError(`config.json: missing "${key}"`);
  }
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new ModelConfigError(`config.json: "${key}" must be a number, got ${JSON.stringify(v)}`);
  return v;
};
const posInt = (raw: Record<string, unknown>, key: string, fallback?: number): number => {
  const v = num(raw, key, fallback);
  if (!Number.isInteger(v) || v <= 0) throw new ModelConfigError(`config.json: "${key}" must be a positive integer, got ${v}`);
  return v;
};
const ids = (v: unknown): number[] => (typeof v === 'number' ? [v] : Array.isArray(v) ? v.filter((x): x is number => typeof x === 'number') : []);

function familyOf(raw: Record<string, unknown>): { family: ModelFamily; architecture: string } {
  const archs = Array.isArray(raw.architectures) ? raw.architectures.filter((a): a is string => typeof a === 'string') : [];
  const modelType = typeof raw.model_type === 'string' ? raw.model_type : '';
  const byType: Record<string, string> = { llama: 'LlamaForCausalLM', mistral: 'MistralForCausalLM', qwen2: 'Qwen2ForCausalLM', gpt2: 'GPT2LMHeadModel' };
  const architecture = archs.find((a) => (SUPPORTED_ARCHITECTURES as readonly string[]).includes(a)) ?? (archs.length === 0 ? byType[modelType] : undefined);
  if (!architecture) {
    const named = archs.length ? archs.join(', ') : modelType ? `model_type "${modelType}"` : 'no "architectures" or "model_type"';
    throw new ModelConfigError(`unsupported architecture (${named}); supported: ${SUPPORTED_ARCHITECTURES.join(', ')}`);
  }
  return { family: architecture === 'GPT2LMHeadModel' ? 'gpt2' : 'llama', architecture };
}

function ropeScalingOf(raw: Record<string, unknown>): ModelConfig['ropeScaling'] {
  const rs = raw.rope_scaling;
  if (rs === undefined || rs === null) return null;
  if (typeof rs !== 'object') throw new ModelConfigError('config.json: "rope_scaling" must be an object or null');
  const o = rs as Record<string, unknown>;
  const type = (o.rope_type ?? o.type) as unknown;
  if (type === 'default') return null;
  if (type === 'linear') return { type: 'linear', factor: num(o, 'factor') };
  if (type === 'llama3') {
    return { type: 'llama3', factor: num(o, 'factor'), lowFreqFactor: num(o, 'low_freq_factor'), highFreqFactor: num(o, 'high_freq_factor'), originalMaxPositions: num(o, 'original_max_position_embeddings') };
  }
  throw new ModelConfigError(`config.json: rope_scaling type ${JSON.stringify(type)} is not supported (supported: linear, llama3)`);
}

/** Parses a Hugging Face config.json object. Throws `ModelConfigError` naming the bad key. */
export function parseModelConfig(raw: Record<string, unknown>): ModelConfig {
  const { family, architecture } = familyOf(raw);
  const modelType = typeof raw.model_type === 'string' ? raw.model_type : family;
  const eos = ids(raw.eos_token_id);
  const bos = typeof raw.bos_token_id === 'number' ? raw.bos_token_id : null;
  if (family === 'gpt2') {
    const hidden = posInt(raw, 'n_embd', 768);
    const heads = posInt(raw, 'n_head', 12);
    if (hidden % heads !== 0) throw new ModelConfigError(`config.json: n_embd (${hidden}) is not divisible by n_head (${heads})`);
    const inner = raw.n_inner === null || raw.n_inner === undefined ? 4 * hidden : posInt(raw, 'n_inner');
    const act = raw.activation_function ?? 'gelu_new';
    if (act !== 'gelu_new' && act !== 'gelu_pytorch_tanh') throw new ModelConfigError(`config.json: activation_function ${JSON.stringify(act)} is not supported for GPT-2 (supported: gelu_new, gelu_pytorch_tanh)`);
    if (raw.scale_attn_by_inverse_layer_idx === true || raw.reorder_and_upcast_attn === true) throw new ModelConfigError('config.json: scale_attn_by_inverse_layer_idx / reorder_and_upcast_attn are not supported');
    return {
      family, architecture, modelType,
      vocabSize: posInt(raw, 'vocab_size', 50257),
      hiddenSize: hidden, numLayers: posInt(raw, 'n_layer', 12), numHeads: heads, numKvHeads: heads, headDim: hidden / heads,
      intermediateSize: inner,
      normEps: num(raw, 'layer_norm_epsilon', 1e-5),
      ropeTheta: 0, ropeScaling: null,
      maxPositions: posInt(raw, 'n_positions', 1024),
      tieWordEmbeddings: raw.tie_word_embeddings !== false,
      qkvBias: true, oBias: true, mlpBias: true,
      dropout: { attention: num(raw, 'attn_pdrop', 0.1), residual: num(raw, 'resid_pdrop', 0.1), embedding: num(raw, 'embd_pdrop', 0.1) },
      bosTokenId: bos, eosTokenIds: eos, raw,
    };
  }
  const hidden = posInt(raw, 'hidden_size');
  const heads = posInt(raw, 'num_attention_heads');
  const kvHeads = posInt(raw, 'num_key_value_heads', heads);
  if (heads % kvHeads !== 0) throw new ModelConfigError(`config.json: num_attention_heads (${heads}) is not a multiple of num_key_value_heads (${kvHeads})`);
  const headDim = raw.head_dim === undefined || raw.head_dim === null ? hidden / heads : posInt(raw, 'head_dim');
  if (!Number.isInteger(headDim) || headDim % 2 !== 0) throw new ModelConfigError(`config.json: head dimension ${headDim} must be an even integer`);
  const act = raw.hidden_act ?? 'silu';
  if (act !== 'silu') throw new ModelConfigError(`config.json: hidden_act ${JSON.stringify(act)} is not supported (supported: silu)`);
  const qwen = architecture === 'Qwen2ForCausalLM';
  const attentionBias = raw.attention_bias === true;
  return {
    family, architecture, modelType,
    vocabSize: posInt(raw, 'vocab_size'),
    hiddenSize: hidden, numLayers: posInt(raw, 'num_hidden_layers'), numHeads: heads, numKvHeads: kvHeads, headDim,
    intermediateSize: posInt(raw, 'intermediate_size'),
    normEps: num(raw, 'rms_norm_eps', 1e-6),
    ropeTheta: num(raw, 'rope_theta', 10000),
    ropeScaling: ropeScalingOf(raw),
    maxPositions: posInt(raw, 'max_position_embeddings', 2048),
    tieWordEmbeddings: raw.tie_word_embeddings === true,
    qkvBias: qwen || attentionBias,
    oBias: !qwen && attentionBias,
    mlpBias: raw.mlp_bias === true,
    dropout: { attention: num(raw, 'attention_dropout', 0), residual: 0, embedding: 0 },
    bosTokenId: bos, eosTokenIds: eos, raw,
  };
}

/**
 * Rotary inverse frequencies [D/2] as transformers computes them (float32), including the `linear`
 * and `llama3` rope_scaling rules.
 */
export function ropeInvFreq(config: ModelConfig): Float32Array {
  const dim = config.headDim;
  const inv = new Float32Array(dim / 2);
  for (let i = 0; i < dim / 2; i++) inv[i] = 1 / Math.pow(config.ropeTheta, (2 * i) / dim);
  const rs = config.ropeScaling;
  if (rs?.type === 'linear') for (let i = 0; i < inv.length; i++) inv[i] = inv[i] / rs.factor;
  if (rs?.type === 'llama3') {
    const lowWavelen = rs.originalMaxPositions / rs.lowFreqFactor;
    const highWavelen = rs.originalMaxPositions / rs.highFreqFactor;
    for (let i = 0; i < inv.length; i++) {
      const wavelen = (2 * Math.PI) / inv[i];
      if (wavelen > lowWavelen) inv[i] = inv[i] / rs.factor;
      else if (wavelen >= highWavelen) {
        const smooth = (rs.originalMaxPositions / wavelen - rs.lowFreqFactor) / (rs.highFreqFactor - rs.lowFreqFactor);
        inv[i] = (1 - smooth) * (inv[i] / rs.factor) + smooth * inv[i];
      }
    }
  }
  return inv;
}
