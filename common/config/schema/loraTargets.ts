/**
 * Linear module names per architecture family, for `lora_target_modules` completion and checks.
 * Facts from the transformers modeling files of each family; the family is inferred from the
 * base model's name or a transformers `model_type` (config.json) / class name.
 */
export interface ArchitectureFamily {
  family: string;
  /** Attention projections first, then MLP: the order completion offers them in. */
  attention: readonly string[];
  mlp: readonly string[];
  /** Chat templates that fit the family's instruct models (for the template mismatch advice). */
  chatTemplates: readonly string[];
}

const LLAMA_LIKE = { attention: ['q_proj', 'k_proj', 'v_proj', 'o_proj'], mlp: ['gate_proj', 'up_proj', 'down_proj'] };

export const FAMILIES: readonly ArchitectureFamily[] = [
  { family: 'llama', ...LLAMA_LIKE, chatTemplates: ['llama3', 'llama4', 'llama3_2_vision', 'chatml'] },
  { family: 'mistral', ...LLAMA_LIKE, chatTemplates: ['mistral_v1', 'mistral_v2v3', 'mistral_v3_tekken', 'mistral_v7_tekken', 'chatml'] },
  { family: 'mixtral', attention: LLAMA_LIKE.attention, mlp: ['w1', 'w2', 'w3', 'gate'], chatTemplates: ['mistral_v1', 'mistral_v2v3', 'chatml'] },
  { family: 'qwen2', ...LLAMA_LIKE, chatTemplates: ['chatml', 'qwen_25', 'qwen3', 'qwen3_5'] },
  { family: 'qwen3', ...LLAMA_LIKE, chatTemplates: ['chatml', 'qwen_25', 'qwen3', 'qwen3_5'] },
  { family: 'gemma', ...LLAMA_LIKE, chatTemplates: ['gemma', 'gemma3', 'gemma3n', 'gemma4', 'gemma4_unified'] },
  { family: 'phi3', attention: ['qkv_proj', 'o_proj'], mlp: ['gate_up_proj', 'down_proj'], chatTemplates: ['phi_3', 'phi_35', 'chatml'] },
  { family: 'phi', attention: ['q_proj', 'k_proj', 'v_proj', 'dense'], mlp: ['fc1', 'fc2'], chatTemplates: ['chatml', 'phi_3', 'alpaca'] },
  { family: 'gpt2', attention: ['c_attn', 'c_proj'], mlp: ['c_fc'], chatTemplates: ['chatml', 'alpaca'] },
  { family: 'gptj', attention: ['q_proj', 'k_proj', 'v_proj', 'out_proj'], mlp: ['fc_in', 'fc_out'], chatTemplates: ['chatml', 'alpaca'] },
  { family: 'gpt_neox', attention: ['query_key_value', 'dense'], mlp: ['dense_h_to_4h', 'dense_4h_to_h'], chatTemplates: ['chatml', 'alpaca'] },
  { family: 'falcon', attention: ['query_key_value', 'dense'], mlp: ['dense_h_to_4h', 'dense_4h_to_h'], chatTemplates: ['chatml', 'falcon_h1'] },
  { family: 'mpt', attention: ['Wqkv', 'out_proj'], mlp: ['up_proj', 'down_proj'], chatTemplates: ['chatml'] },
  { family: 'bloom', attention: ['query_key_value', 'dense'], mlp: ['dense_h_to_4h', 'dense_4h_to_h'], chatTemplates: ['chatml'] },
  { family: 'cohere', ...LLAMA_LIKE, chatTemplates: ['cohere', 'command_a', 'command_a_tool_use', 'command_a_rag', 'aya'] },
  { family: 'deepseek', ...LLAMA_LIKE, chatTemplates: ['deepseek_v2', 'deepseek_v3', 'chatml'] },
  { family: 'starcoder2', attention: ['q_proj', 'k_proj', 'v_proj', 'o_proj'], mlp: ['c_fc', 'c_proj'], chatTemplates: ['chatml'] },
  { family: 'stablelm', ...LLAMA_LIKE, chatTemplates: ['chatml'] },
  { family: 'olmo', ...LLAMA_LIKE, chatTemplates: ['chatml'] },
  { family: 'granite', ...LLAMA_LIKE, chatTemplates: ['chatml'] },
  { family: 'jamba', attention: ['q_proj', 'k_proj', 'v_proj', 'o_proj'], mlp: ['gate_proj', 'up_proj', 'down_proj', 'in_proj', 'x_proj', 'out_proj'], chatTemplates: ['jamba', 'chatml'] },
];

const BY_FAMILY = new Map(FAMILIES.map((f) => [f.family, f]));

/**
 * Name patterns, most specific first: a Hub id like `meta-llama/Llama-3.1-8B`, a model_type like
 * `qwen2`, or a class like `MistralForCausalLM`. Fine-tunes named after their base (OpenHermes-
 * Mistral, TinyLlama, CodeLlama, Vicuna) map to the base family.
 */
const PATTERNS: readonly [RegExp, string][] = [
  [/mixtral/i, 'mixtral'],
  [/phi-?3|phi-?4|phi3/i, 'phi3'],
  [/phi-?[12]\b|phi-?2|phi_1|\/phi-|phiforcausallm|^phi$/i, 'phi'],
  [/qwen-?3|qwen3/i, 'qwen3'],
  [/qwen/i, 'qwen2'],
  [/gemma/i, 'gemma'],
  [/mistral|ministral|magistral|devstral|zephyr|openhermes|mistral-nemo|pixtral/i, 'mistral'],
  [/llama|vicuna|alpaca|tinyllama|codellama|openllama|yi-|deepcogito|cogito|nous-hermes/i, 'llama'],
  [/gpt-?neox|pythia|redpajama|dolly|stablelm-tuned-alpha/i, 'gpt_neox'],
  [/gpt-?j\b|gptj|gpt-j/i, 'gptj'],
  [/gpt2|gpt-2|distilgpt2/i, 'gpt2'],
  [/falcon-h1/i, 'llama'],
  [/falcon/i, 'falcon'],
  [/mpt/i, 'mpt'],
  [/bloom/i, 'bloom'],
  [/cohere|command-r|c4ai|aya/i, 'cohere'],
  [/deepseek/i, 'deepseek'],
  [/starcoder2/i, 'starcoder2'],
  [/stablelm/i, 'stablelm'],
  [/olmo/i, 'olmo'],
  [/granite/i, 'granite'],
  [/jamba/i, 'jamba'],
];

/** The architecture family of a base model name, model_type or class name; undefined when unknown. */
export function familyOf(nameOrType: string): ArchitectureFamily | undefined {
  const s = nameOrType.trim();
  if (!s) return undefined;
  const direct = BY_FAMILY.get(s.toLowerCase());
  if (direct) return direct;
  for (const [re, fam] of PATTERNS) if (re.test(s)) return BY_FAMILY.get(fam);
  return undefined;
}

/** LoRA target module names for a base model or model type (attention first, then MLP); [] when unknown. */
export function loraTargetModules(baseModelOrModelType: string): string[] {
  const f = familyOf(baseModelOrModelType);
  return f ? [...f.attention, ...f.mlp] : [];
}
