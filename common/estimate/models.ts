/**
 * Config facts of popular base models, so that hub ids estimate offline. Each entry is the subset
 * of the model's config.json the estimator reads. Sources: ../shared/reference/estimators-evals.md
 * §3 (Llama-2-7B and Qwen2.5-3B verified against printed parameter counts; the others checked by
 * their totals matching the advertised sizes). A local directory or the Hugging Face cache, when
 * present, always wins over this table.
 */

/** One built-in model: the hub ids it answers to and its config.json facts. */
export interface BuiltinModel {
  /** Canonical hub id first, then mirrors and variants with the same shape. */
  ids: readonly string[];
  config: Readonly<Record<string, unknown>>;
}

const llama = (h: number, i: number, L: number, nq: number, nkv: number, V: number, maxPos: number, extra: Record<string, unknown> = {}) => ({
  model_type: 'llama',
  hidden_size: h,
  intermediate_size: i,
  num_hidden_layers: L,
  num_attention_heads: nq,
  num_key_value_heads: nkv,
  vocab_size: V,
  max_position_embeddings: maxPos,
  tie_word_embeddings: false,
  ...extra,
});

const qwen2 = (h: number, i: number, L: number, nq: number, nkv: number, V: number, tied: boolean, maxPos: number) => ({
  model_type: 'qwen2',
  hidden_size: h,
  intermediate_size: i,
  num_hidden_layers: L,
  num_attention_heads: nq,
  num_key_value_heads: nkv,
  vocab_size: V,
  max_position_embeddings: maxPos,
  tie_word_embeddings: tied,
});

/** The table. Variants (chat/instruct) share an entry when their shape is identical. */
export const BUILTIN_MODELS: readonly BuiltinModel[] = [
  { ids: ['meta-llama/Llama-2-7b-hf', 'NousResearch/Llama-2-7b-hf', 'meta-llama/Llama-2-7b-chat-hf', 'NousResearch/Llama-2-7b-chat-hf'], config: llama(4096, 11008, 32, 32, 32, 32000, 4096) },
  { ids: ['meta-llama/Llama-2-13b-hf', 'NousResearch/Llama-2-13b-hf', 'meta-llama/Llama-2-13b-chat-hf'], config: llama(5120, 13824, 40, 40, 40, 32000, 4096) },
  { ids: ['meta-llama/Llama-2-70b-hf', 'NousResearch/Llama-2-70b-hf', 'meta-llama/Llama-2-70b-chat-hf'], config: llama(8192, 28672, 80, 64, 8, 32000, 4096) },
  { ids: ['huggyllama/llama-7b'], config: llama(4096, 11008, 32, 32, 32, 32000, 2048) },
  { ids: ['huggyllama/llama-65b'], config: llama(8192, 22016, 80, 64, 64, 32000, 2048) },
  { ids: ['codellama/CodeLlama-7b-hf'], config: llama(4096, 11008, 32, 32, 32, 32016, 16384, { rope_theta: 1e6 }) },
  { ids: ['codellama/CodeLlama-13b-hf'], config: llama(5120, 13824, 40, 40, 40, 32016, 16384, { rope_theta: 1e6 }) },
  { ids: ['codellama/CodeLlama-34b-hf'], config: llama(8192, 22016, 48, 64, 8, 32000, 16384, { rope_theta: 1e6 }) },
  { ids: ['openlm-research/open_llama_3b_v2'], config: llama(3200, 8640, 26, 32, 32, 32000, 2048) },
  { ids: ['meta-llama/Meta-Llama-3-8B', 'NousResearch/Meta-Llama-3-8B', 'meta-llama/Meta-Llama-3-8B-Instruct'], config: llama(4096, 14336, 32, 32, 8, 128256, 8192) },
  { ids: ['meta-llama/Llama-3.1-8B', 'meta-llama/Meta-Llama-3.1-8B', 'NousResearch/Meta-Llama-3.1-8B', 'meta-llama/Llama-3.1-8B-Instruct'], config: llama(4096, 14336, 32, 32, 8, 128256, 131072) },
  { ids: ['meta-llama/Meta-Llama-3-70B', 'meta-llama/Meta-Llama-3-70B-Instruct'], config: llama(8192, 28672, 80, 64, 8, 128256, 8192) },
  { ids: ['meta-llama/Llama-3.1-70B', 'meta-llama/Meta-Llama-3.1-70B', 'meta-llama/Llama-3.1-70B-Instruct'], config: llama(8192, 28672, 80, 64, 8, 128256, 131072) },
  { ids: ['meta-llama/Llama-3.2-1B', 'NousResearch/Llama-3.2-1B', 'meta-llama/Llama-3.2-1B-Instruct'], config: llama(2048, 8192, 16, 32, 8, 128256, 131072, { head_dim: 64, tie_word_embeddings: true }) },
  { ids: ['meta-llama/Llama-3.2-3B', 'meta-llama/Llama-3.2-3B-Instruct'], config: llama(3072, 8192, 28, 24, 8, 128256, 131072, { head_dim: 128, tie_word_embeddings: true }) },
  { ids: ['mistralai/Mistral-7B-v0.1', 'mistralai/Mistral-7B-Instruct-v0.1'], config: { ...llama(4096, 14336, 32, 32, 8, 32000, 32768), model_type: 'mistral', sliding_window: 4096 } },
  { ids: ['mistralai/Mistral-7B-Instruct-v0.2'], config: { ...llama(4096, 14336, 32, 32, 8, 32000, 32768), model_type: 'mistral', rope_theta: 1e6 } },
  { ids: ['mistralai/Mistral-7B-v0.3', 'mistralai/Mistral-7B-Instruct-v0.3'], config: { ...llama(4096, 14336, 32, 32, 8, 32768, 32768), model_type: 'mistral', rope_theta: 1e6 } },
  { ids: ['mistralai/Mistral-Nemo-Base-2407', 'mistralai/Mistral-Nemo-Instruct-2407'], config: { ...llama(5120, 14336, 40, 32, 8, 131072, 1024000, { head_dim: 128 }), model_type: 'mistral', rope_theta: 1e6 } },
  { ids: ['mistralai/Mixtral-8x7B-v0.1', 'mistralai/Mixtral-8x7B-Instruct-v0.1'], config: { ...llama(4096, 14336, 32, 32, 8, 32000, 32768), model_type: 'mixtral', num_local_experts: 8, num_experts_per_tok: 2 } },
  { ids: ['mistral-community/Mixtral-8x22B-v0.1', 'mistralai/Mixtral-8x22B-v0.1'], config: { ...llama(6144, 16384, 56, 48, 8, 32000, 65536), model_type: 'mixtral', num_local_experts: 8, num_experts_per_tok: 2, rope_theta: 1e6 } },
  // Magistral Small is the text part of Mistral Small 3.1 (24B).
  { ids: ['mistralai/Magistral-Small-2506', 'mistralai/Magistral-Small-2507', 'mistralai/Mistral-Small-24B-Base-2501', 'mistralai/Mistral-Small-24B-Instruct-2501'], config: { ...llama(5120, 32768, 40, 32, 8, 131072, 131072, { head_dim: 128 }), model_type: 'mistral', rope_theta: 1e8 } },
  { ids: ['Qwen/Qwen2.5-0.5B', 'Qwen/Qwen2.5-0.5B-Instruct'], config: qwen2(896, 4864, 24, 14, 2, 151936, true, 32768) },
  { ids: ['Qwen/Qwen2.5-1.5B', 'Qwen/Qwen2.5-1.5B-Instruct'], config: qwen2(1536, 8960, 28, 12, 2, 151936, true, 131072) },
  { ids: ['Qwen/Qwen2.5-3B', 'Qwen/Qwen2.5-3B-Instruct'], config: qwen2(2048, 11008, 36, 16, 2, 151936, true, 32768) },
  { ids: ['Qwen/Qwen2.5-7B', 'Qwen/Qwen2.5-7B-Instruct', 'Qwen/Qwen2.5-Coder-7B', 'Qwen/Qwen2.5-Coder-7B-Instruct'], config: qwen2(3584, 18944, 28, 28, 4, 152064, false, 131072) },
  { ids: ['Qwen/Qwen2.5-14B', 'Qwen/Qwen2.5-14B-Instruct'], config: qwen2(5120, 13824, 48, 40, 8, 152064, false, 131072) },
  { ids: ['Qwen/Qwen2.5-72B', 'Qwen/Qwen2.5-72B-Instruct'], config: qwen2(8192, 29568, 80, 64, 8, 152064, false, 131072) },
  { ids: ['Qwen/Qwen3-0.6B', 'Qwen/Qwen3-0.6B-Base'], config: { ...qwen2(1024, 3072, 28, 16, 8, 151936, true, 40960), model_type: 'qwen3', head_dim: 128 } },
  { ids: ['Qwen/Qwen3-1.7B', 'Qwen/Qwen3-1.7B-Base'], config: { ...qwen2(2048, 6144, 28, 16, 8, 151936, true, 40960), model_type: 'qwen3', head_dim: 128 } },
  { ids: ['Qwen/Qwen3-4B', 'Qwen/Qwen3-4B-Base'], config: { ...qwen2(2560, 9728, 36, 32, 8, 151936, true, 40960), model_type: 'qwen3', head_dim: 128 } },
  { ids: ['Qwen/Qwen3-8B', 'Qwen/Qwen3-8B-Base'], config: { ...qwen2(4096, 12288, 36, 32, 8, 151936, false, 40960), model_type: 'qwen3', head_dim: 128 } },
  {
    ids: ['google/gemma-2-2b', 'google/gemma-2-2b-it'],
    config: { model_type: 'gemma2', hidden_size: 2304, intermediate_size: 9216, num_hidden_layers: 26, num_attention_heads: 8, num_key_value_heads: 4, head_dim: 256, vocab_size: 256000, max_position_embeddings: 8192, tie_word_embeddings: true },
  },
  { ids: ['Qwen/Qwen3-14B', 'Qwen/Qwen3-14B-Base'], config: { ...qwen2(5120, 17408, 40, 40, 8, 151936, false, 40960), model_type: 'qwen3', head_dim: 128 } },
  { ids: ['Qwen/Qwen3-32B'], config: { ...qwen2(5120, 25600, 64, 64, 8, 151936, false, 40960), model_type: 'qwen3', head_dim: 128 } },
  {
    ids: ['google/gemma-3-1b-pt', 'google/gemma-3-1b-it'],
    config: { model_type: 'gemma3_text', hidden_size: 1152, intermediate_size: 6912, num_hidden_layers: 26, num_attention_heads: 4, num_key_value_heads: 1, head_dim: 256, vocab_size: 262144, max_position_embeddings: 32768, tie_word_embeddings: true },
  },
  {
    ids: ['google/gemma-2-9b', 'google/gemma-2-9b-it'],
    config: { model_type: 'gemma2', hidden_size: 3584, intermediate_size: 14336, num_hidden_layers: 42, num_attention_heads: 16, num_key_value_heads: 8, head_dim: 256, vocab_size: 256000, max_position_embeddings: 8192, tie_word_embeddings: true },
  },
  {
    ids: ['google/gemma-2-27b', 'google/gemma-2-27b-it'],
    config: { model_type: 'gemma2', hidden_size: 4608, intermediate_size: 36864, num_hidden_layers: 46, num_attention_heads: 32, num_key_value_heads: 16, head_dim: 128, vocab_size: 256000, max_position_embeddings: 8192, tie_word_embeddings: true },
  },
  {
    ids: ['microsoft/Phi-3-medium-4k-instruct'],
    config: { model_type: 'phi3', hidden_size: 5120, intermediate_size: 17920, num_hidden_layers: 40, num_attention_heads: 40, num_key_value_heads: 10, vocab_size: 32064, max_position_embeddings: 4096, tie_word_embeddings: false },
  },
  {
    ids: ['microsoft/Phi-3-mini-4k-instruct'],
    config: { model_type: 'phi3', hidden_size: 3072, intermediate_size: 8192, num_hidden_layers: 32, num_attention_heads: 32, num_key_value_heads: 32, vocab_size: 32064, max_position_embeddings: 4096, tie_word_embeddings: false },
  },
  {
    ids: ['microsoft/Phi-3-mini-128k-instruct'],
    config: { model_type: 'phi3', hidden_size: 3072, intermediate_size: 8192, num_hidden_layers: 32, num_attention_heads: 32, num_key_value_heads: 32, vocab_size: 32064, max_position_embeddings: 131072, tie_word_embeddings: false },
  },
  { ids: ['HuggingFaceTB/SmolLM2-135M', 'HuggingFaceTB/SmolLM2-135M-Instruct'], config: llama(576, 1536, 30, 9, 3, 49152, 8192, { tie_word_embeddings: true }) },
  { ids: ['HuggingFaceTB/SmolLM2-360M', 'HuggingFaceTB/SmolLM2-360M-Instruct'], config: llama(960, 2560, 32, 15, 5, 49152, 8192, { tie_word_embeddings: true }) },
  { ids: ['HuggingFaceTB/SmolLM2-1.7B', 'HuggingFaceTB/SmolLM2-1.7B-Instruct'], config: llama(2048, 8192, 24, 32, 32, 49152, 8192, { tie_word_embeddings: true }) },
  { ids: ['TinyLlama/TinyLlama-1.1B-intermediate-step-1431k-3T', 'TinyLlama/TinyLlama_v1.1', 'TinyLlama/TinyLlama-1.1B-Chat-v1.0'], config: llama(2048, 5632, 22, 32, 4, 32000, 2048) },
  { ids: ['openai-community/gpt2', 'gpt2'], config: { model_type: 'gpt2', n_embd: 768, n_layer: 12, n_head: 12, n_positions: 1024, vocab_size: 50257, n_inner: null } },
];

const bare = (id: string) => id.toLowerCase().split('/').pop() ?? '';
/** Variant suffixes that do not change a model's shape. */
const VARIANT = /-(instruct|chat|hf|it|base)$/;
const stem = (name: string) => {
  let s = name;
  for (let prev = ''; prev !== s; ) {
    prev = s;
    s = s.replace(VARIANT, '');
  }
  return s;
};

/**
 * Looks a hub id up in the table: the exact id (case-insensitive) first, then the repository name
 * under any owner (mirrors such as NousResearch/…), then the name without chat/instruct suffixes.
 */
export function lookupBuiltinModel(id: string): { id: string; config: Record<string, unknown> } | undefined {
  const wanted = id.trim().toLowerCase();
  for (const m of BUILTIN_MODELS) if (m.ids.some((x) => x.toLowerCase() === wanted)) return { id: m.ids[0]!, config: { ...m.config } };
  for (const m of BUILTIN_MODELS) if (m.ids.some((x) => bare(x) === bare(wanted))) return { id: m.ids[0]!, config: { ...m.config } };
  const s = stem(bare(wanted));
  for (const m of BUILTIN_MODELS) if (m.ids.some((x) => stem(bare(x)) === s)) return { id: m.ids[0]!, config: { ...m.config } };
  return undefined;
}
