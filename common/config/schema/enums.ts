import type { ValueDoc } from '../types';

/**
 * Enumerations of Axolotl's config (facts from axolotl-keys.md §3, Axolotl @ 067b021c). Each value
 * carries a short note of our own for completion and hover.
 */
const v = (value: string, doc?: string, deprecated?: string): ValueDoc => {
  const d: ValueDoc = { value };
  if (doc !== undefined) d.doc = doc;
  if (deprecated !== undefined) d.deprecated = deprecated;
  return d;
};

export const ADAPTERS: readonly ValueDoc[] = [
  v('lora', 'Low-rank adapters on a 16-bit (or 8-bit with load_in_8bit) base model.'),
  v('qlora', 'LoRA on a 4-bit quantized base model (needs load_in_4bit: true). The least memory for a given model.'),
  v('llama-adapter', 'LLaMA-Adapter (adaption prompts): learned prefixes on the top layers.'),
  { value: 'prefix', tunelab: true, doc: "Prefix tuning: learned keys and values prepended to every layer's attention (peft_num_virtual_tokens, peft_prefix_projection). Tunelab's built-in trainer only: Axolotl refuses it." },
  { value: 'prompt', tunelab: true, doc: 'Prompt tuning: learned input embeddings prepended to every example (peft_num_virtual_tokens, peft_prompt_tuning_init). Tunelab\'s built-in trainer only: Axolotl refuses it.' },
  { value: 'ia3', tunelab: true, doc: "IA³: learned scaling vectors on keys, values and the MLP's inner activations; the fewest parameters. Tunelab's built-in trainer only: Axolotl refuses it." },
  { value: 'bottleneck', tunelab: true, doc: "Bottleneck adapters (Houlsby / Pfeiffer): small down-up MLPs with a residual inside each layer (peft_adapter_size, peft_adapter_placement). Tunelab's built-in trainer only: Axolotl refuses it." },
];

/** Other spellings of Tunelab's methods that the trainer and the estimator accept (not offered by completion). */
export const TUNELAB_ADAPTER_ALIASES: Readonly<Record<string, string>> = { prefix_tuning: 'prefix', prompt_tuning: 'prompt', houlsby: 'bottleneck' };

/** The adapter names only Tunelab's built-in trainer accepts, aliases included. */
export const TUNELAB_ADAPTERS: ReadonlySet<string> = new Set([...ADAPTERS.filter((a) => a.tunelab).map((a) => a.value), ...Object.keys(TUNELAB_ADAPTER_ALIASES)]);

/** Adapters that plugins register, valid only when the plugin is listed under `plugins:`. */
export const PLUGIN_ADAPTERS: Readonly<Record<string, string>> = { mora: 'axolotl.integrations.mora.MoraPlugin' };

const CHAT_TEMPLATE_NAMES: readonly [string, string][] = [
  ['alpaca', 'Alpaca-style "### Instruction / ### Response" turns.'],
  ['chatml', 'ChatML (<|im_start|>role ... <|im_end|>): Qwen, many community fine-tunes.'],
  ['mistral_v1', 'Mistral [INST] format, first tokenizer generation.'],
  ['mistral_v2v3', 'Mistral [INST] format of the v2/v3 tokenizers.'],
  ['mistral_v3_tekken', 'Mistral format with the Tekken tokenizer (Nemo).'],
  ['mistral_v7_tekken', 'Mistral v7 Tekken format (Mistral Small 3, with system prompt tokens).'],
  ['gemma', 'Gemma <start_of_turn>/<end_of_turn> format.'],
  ['cohere', 'Cohere Command-R format.'],
  ['llama3', 'Llama 3 / 3.1 header-id format (<|start_header_id|> ... <|eot_id|>).'],
  ['llama3_2_vision', 'Llama 3.2 Vision (multimodal).'],
  ['llama4', 'Llama 4 format.'],
  ['phi_3', 'Phi-3 <|user|>/<|assistant|>/<|end|> format.'],
  ['phi_35', 'Phi-3.5 format.'],
  ['deepseek_v2', 'DeepSeek-V2 format.'],
  ['deepseek_v3', 'DeepSeek-V3 format.'],
  ['jamba', 'AI21 Jamba format.'],
  ['jinja', 'Your own Jinja template, given in chat_template_jinja (text or a .jinja file path).'],
  ['qwen_25', 'Qwen 2.5 (ChatML with tool calling).'],
  ['qwen3', 'Qwen 3 (ChatML with thinking blocks).'],
  ['qwen3_5', 'Qwen 3.5.'],
  ['falcon_h1', 'Falcon-H1 format.'],
  ['nemotron_h', 'NVIDIA Nemotron-H format.'],
  ['tokenizer_default', "The template stored in the tokenizer's tokenizer_config.json (errors when there is none)."],
  ['exaone', 'LG EXAONE format.'],
  ['exaone4', 'LG EXAONE 4 format.'],
  ['metharme', 'Metharme / Pygmalion <|system|><|user|><|model|> format.'],
  ['pixtral', 'Pixtral (multimodal).'],
  ['llava', 'LLaVA (multimodal).'],
  ['qwen2_vl', 'Qwen2-VL (multimodal).'],
  ['gemma3', 'Gemma 3 (text and vision).'],
  ['gemma3n', 'Gemma 3n.'],
  ['gemma4', 'Gemma 4.'],
  ['gemma4_unified', 'Gemma 4 unified text/vision.'],
  ['command_a', 'Cohere Command A.'],
  ['command_a_tool_use', 'Cohere Command A with tool use.'],
  ['command_a_rag', 'Cohere Command A for RAG.'],
  ['aya', 'Cohere Aya format.'],
];

export const CHAT_TEMPLATES: readonly ValueDoc[] = CHAT_TEMPLATE_NAMES.map(([n, d]) => v(n, d));
export const CHAT_TEMPLATE_SET: ReadonlySet<string> = new Set(CHAT_TEMPLATE_NAMES.map(([n]) => n));
/** Prefix of "use the tokenizer's template, else this one" values. */
export const FALLBACK_PREFIX = 'tokenizer_default_fallback_';
export const CHAT_TEMPLATE_COMPLETIONS: readonly ValueDoc[] = [
  ...CHAT_TEMPLATES,
  ...['chatml', 'llama3', 'alpaca', 'qwen_25', 'gemma'].map((n) =>
    v(`${FALLBACK_PREFIX}${n}`, `The tokenizer's own template when it has one, else ${n}.`),
  ),
];

export const SCHEDULERS: readonly ValueDoc[] = [
  v('cosine', 'Cosine decay to 0 after warmup (the default). Tune the floor with cosine_min_lr_ratio.'),
  v('linear', 'Linear decay to 0 after warmup.'),
  v('constant', 'Constant learning rate, no warmup.'),
  v('constant_with_warmup', 'Warmup, then constant.'),
  v('cosine_with_restarts', 'Cosine with hard restarts (num_cycles via lr_scheduler_kwargs).'),
  v('polynomial', 'Polynomial decay (power via lr_scheduler_kwargs).'),
  v('inverse_sqrt', 'Inverse square-root decay after warmup.'),
  v('reduce_lr_on_plateau', 'Lower the rate when the eval metric stops improving (needs evaluation).'),
  v('cosine_with_min_lr', 'Cosine decay to a floor (min_lr or min_lr_rate in lr_scheduler_kwargs).'),
  v('cosine_warmup_with_min_lr', 'Cosine with warmup and a floor (newer transformers only).'),
  v('warmup_stable_decay', 'Warmup, a long constant phase, then decay (WSD; newer transformers only).'),
  v('one_cycle', "Axolotl's one-cycle schedule (peak set by lr_div_factor)."),
  v('rex', "Axolotl's REX schedule (reciprocal decay)."),
];

const opt = (n: string, d?: string, dep?: string) => v(n, d, dep);
export const OPTIMIZERS: readonly ValueDoc[] = [
  opt('adamw_torch_fused', 'PyTorch fused AdamW (the default): fast on CUDA.'),
  opt('adamw_torch', 'PyTorch AdamW.'),
  opt('adamw_bnb_8bit', 'bitsandbytes 8-bit AdamW: optimizer state in 8 bits, about 75% less optimizer memory.'),
  opt('adamw_8bit', 'Alias of adamw_bnb_8bit.'),
  opt('paged_adamw_8bit', 'bitsandbytes paged 8-bit AdamW: state pages to CPU under memory pressure. Common with QLoRA.'),
  opt('paged_adamw_32bit', 'bitsandbytes paged 32-bit AdamW.'),
  opt('adamw_torch_8bit', 'torchao 8-bit AdamW (works with FSDP2).'),
  opt('adamw_torch_4bit', 'torchao 4-bit AdamW.'),
  opt('adamw_torch_xla'),
  opt('adamw_torch_npu_fused'),
  opt('adamw_apex_fused', 'NVIDIA Apex fused AdamW.'),
  opt('adamw_anyprecision'),
  opt('adafactor', 'Adafactor: factored second moments, very little optimizer memory.'),
  opt('ademamix', 'AdEMAMix (two EMAs of the gradient).'),
  opt('ademamix_8bit'),
  opt('paged_ademamix_32bit'),
  opt('paged_ademamix_8bit'),
  opt('sgd', 'Plain SGD: rarely right for transformers.'),
  opt('adagrad'),
  opt('lion_8bit', 'Lion in 8 bits (use a 3-10x lower learning rate than AdamW).'),
  opt('lion_32bit', 'Lion (use a 3-10x lower learning rate than AdamW).'),
  opt('paged_lion_32bit'),
  opt('paged_lion_8bit'),
  opt('rmsprop'),
  opt('rmsprop_bnb'),
  opt('rmsprop_bnb_8bit'),
  opt('rmsprop_bnb_32bit'),
  opt('galore_adamw', 'GaLore: low-rank gradient projection (set optim_target_modules).'),
  opt('galore_adamw_8bit'),
  opt('galore_adafactor'),
  opt('galore_adamw_layerwise'),
  opt('galore_adamw_8bit_layerwise'),
  opt('galore_adafactor_layerwise'),
  opt('lomo', 'LOMO: fused update, minimal memory, full fine-tuning only.'),
  opt('adalomo'),
  opt('grokadamw'),
  opt('schedule_free_radam', 'Schedule-free RAdam (use a constant scheduler).'),
  opt('schedule_free_adamw', 'Schedule-free AdamW (use a constant scheduler).'),
  opt('schedule_free_sgd'),
  opt('apollo_adamw'),
  opt('apollo_adamw_layerwise'),
  opt('stable_adamw'),
  opt('optimi_adamw', 'optimi AdamW (Kahan summation for low-precision training).'),
  opt('ao_adamw_4bit', undefined, 'adamw_torch_4bit'),
  opt('ao_adamw_8bit', undefined, 'adamw_torch_8bit'),
  opt('ao_adamw_fp8', 'torchao FP8 AdamW.'),
  opt('adopt_adamw', 'ADOPT (needs torch >= 2.5.1).'),
  opt('came_pytorch', 'CAME (uses adam_beta3 and adam_epsilon2).'),
  opt('muon', 'Muon (orthogonalised momentum) for 2-D weights; not with DeepSpeed or FSDP1.'),
  opt('dion', 'Dion (distributed orthonormal updates).'),
  opt('sinkgd'),
  opt('flash_adamw'),
  opt('flash_adam'),
  opt('flash_sgd'),
  opt('flash_sgdw'),
  opt('flash_lion'),
  opt('q_galore_adamw8bit', 'Q-GaLore: full fine-tuning only; not with DeepSpeed.'),
];

export const ATTN_IMPLEMENTATIONS: readonly ValueDoc[] = [
  v('flash_attention_2', 'FlashAttention 2: fast, memory-efficient, packing-safe (Ampere or newer GPUs).'),
  v('flash_attention_3', 'FlashAttention 3 (Hopper GPUs).'),
  v('sdpa', 'PyTorch scaled-dot-product attention: portable, packing-safe in Axolotl.'),
  v('flex_attention', 'PyTorch FlexAttention (compiled; packing-safe).'),
  v('eager', 'Plain PyTorch attention: slow, most memory, most compatible.'),
  v('xformers', 'xFormers memory-efficient attention.'),
  v('sage', 'SageAttention (quantized attention kernels).'),
  v('fp8', 'FP8 attention.'),
];
export const ATTN_SHORT_FORMS: Readonly<Record<string, string>> = { flash: 'flash_attention_2', flex: 'flex_attention', sdp: 'sdpa' };

export const LEGACY_ATTENTION_FLAGS: Readonly<Record<string, string>> = {
  flash_attention: 'flash_attention_2',
  sdp_attention: 'sdpa',
  xformers_attention: 'xformers',
  flex_attention: 'flex_attention',
  sage_attention: 'sage',
  eager_attention: 'eager',
};

export const TRAIN_ON_EOS: readonly ValueDoc[] = [
  v('turn', 'Train on the end-of-sequence token of every trained turn (the runtime default).'),
  v('all', 'Train on every EOS token, including those of untrained turns.'),
  v('last', 'Train only on the final EOS token.'),
  v('none', 'Never train on EOS: the model may not learn to stop.'),
];

export const RL_TYPES: readonly ValueDoc[] = [
  v('dpo', 'Direct Preference Optimisation (chosen/rejected pairs).'),
  v('ipo', 'IPO (deprecated in favour of dpo with a loss type).'),
  v('orpo', 'ORPO: SFT and preference in one loss, no reference model.'),
  v('kto', 'KTO: unpaired desirable/undesirable examples.'),
  v('simpo', 'SimPO: reference-free length-normalised preference.'),
  v('grpo', 'GRPO: online RL with reward functions and sampled completions.'),
  v('gdpo', 'GDPO.'),
  v('ebft', 'EBFT (needs an ebft: block).'),
];

export const DS_TYPES: readonly ValueDoc[] = ['json', 'csv', 'parquet', 'arrow', 'text'].map((n) => v(n));

export const FSDP_STATE_DICT: readonly ValueDoc[] = ['FULL_STATE_DICT', 'LOCAL_STATE_DICT', 'SHARDED_STATE_DICT'].map((n) => v(n));
export const FSDP_WRAP: readonly ValueDoc[] = [
  v('TRANSFORMER_BASED_WRAP', 'Wrap each transformer block (set transformer_layer_cls_to_wrap).'),
  v('SIZE_BASED_WRAP', 'Wrap modules above min_num_params parameters.'),
];

export const HUB_STRATEGIES: readonly ValueDoc[] = ['end', 'every_save', 'checkpoint', 'all_checkpoints'].map((n) => v(n));
export const SAVE_STRATEGIES: readonly ValueDoc[] = [
  v('steps', 'Save every save_steps.'),
  v('epoch', 'Save at the end of each epoch.'),
  v('best', 'Save when metric_for_best_model improves.'),
  v('no', 'Never save checkpoints during training.'),
];
export const EVAL_STRATEGIES: readonly ValueDoc[] = [
  v('steps', 'Evaluate every eval_steps.'),
  v('epoch', 'Evaluate at the end of each epoch.'),
  v('no', 'Never evaluate.'),
];

export const CAUSAL_LM_METRICS = ['sacrebleu', 'comet', 'ter', 'chrf', 'perplexity'] as const;

export const TORCH_COMPILE_OPTION_KEYS: readonly string[] = [
  'coordinate_descent_tuning',
  'coordinate_descent_check_all_directions',
  'shape_padding',
  'epilogue_fusion',
  'max_autotune_gemm',
  'fx_graph_cache',
  'assume_aligned_inputs',
  'comprehensive_padding',
  'decompose_mem_bound_mm',
  'triton.cudagraphs',
];

/** Alpaca-family built-in prompters that accept a `:<style>` suffix. */
export const ALPACA_FAMILY = ['alpaca', 'jeopardy', 'oasst', 'gpteacher', 'reflection', 'explainchoice', 'concisechoice', 'summarizetldr'] as const;
export const PROMPT_STYLES = ['instruct', 'chat', 'chatml', 'phi'] as const;

/** Prompt-strategy modules and their load functions (`module` or `module.load_fn`). */
export const STRATEGY_MODULES: Readonly<Record<string, readonly string[]>> = {
  chat_template: ['default', 'argilla', 'argilla_chat'],
  messages: [],
  alpaca_chat: ['load', 'load_concise', 'load_qa', 'load_camel_ai', 'load_no_prompt'],
  alpaca_instruct: ['load', 'load_no_prompt'],
  alpaca_w_system: ['load', 'load_instruct', 'load_chat', 'load_open_orca', 'load_open_orca_chatml'],
  context_qa: ['load', 'load_v2', 'load_404'],
  creative_acr: ['load_answer', 'load_critique', 'load_revise'],
  completion: [],
  input_output: [],
  pygmalion: [],
  metharme: [],
  orcamini: [],
  llama2_chat: [],
  user_defined: [],
  pretrain: [],
  stepwise_supervised: [],
  bradley_terry: ['chat_template', 'llama3'],
  orpo: ['chat_template'],
  chatml: ['default', 'argilla_chat', 'icr', 'intel', 'prompt_pairs', 'ultra', 'argilla'],
  llama3: ['default', 'argilla_chat', 'icr', 'intel', 'prompt_pairs', 'ultra', 'argilla'],
  zephyr: ['nectar'],
  passthrough: [],
  _synthetic: [],
};

export const DATASET_TYPES: readonly ValueDoc[] = [
  v('chat_template', 'Conversations (a list of {role, content} messages) rendered with the chat template. The modern default.'),
  v('alpaca', 'Alpaca records {instruction, input?, output}.'),
  v('alpaca:chat', 'Alpaca records in a USER/ASSISTANT chat style.'),
  v('alpaca:chatml', 'Alpaca records in ChatML style.'),
  v('alpaca:phi', 'Alpaca records in Phi style.'),
  v('completion', 'Raw text {text} (or the column named by field:): loss on every token.'),
  v('input_output', 'Template-free {segments: [{label, text}]}: you choose which segments are trained.'),
  v('messages', 'Conversations through an input transform (input_transform, default chat).'),
  v('jeopardy', '{question, category, answer}.'),
  v('oasst', '{INSTRUCTION, RESPONSE}.'),
  v('gpteacher', '{instruction, input?, response}.'),
  v('reflection', '{instruction, input?, output, reflection, corrected}.'),
  v('explainchoice', '{question, choices[], solution, explanation}.'),
  v('concisechoice', '{question, choices[], solution, explanation}.'),
  v('summarizetldr', '{article, summary}.'),
  v('context_qa', 'Question answering over a context.'),
  v('alpaca_chat', 'Alpaca in chat style.'),
  v('alpaca_chat.load_qa', 'Question/answer pairs.'),
  v('alpaca_w_system.load_open_orca', 'OpenOrca records with a system prompt.'),
  v('metharme', '{prompt, generation}.'),
  v('pygmalion', '{conversations: [{role, value}]}.'),
  v('user_defined', 'A user-defined prompt format (give the fields as a mapping instead).'),
  v('stepwise_supervised', 'Process-reward data {prompt, completions[], labels[]}.'),
  v('pretrain', 'Raw text for continued pre-training.'),
];
