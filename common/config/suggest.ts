/**
 * Did-you-mean for keys: Damerau-Levenshtein distance (adjacent transpositions count as one edit,
 * the most common typo), prefixes (`adam_eps`), and names other tools use for the same setting
 * (Hugging Face TrainingArguments, LLaMA-Factory), since users copy configs between tools.
 */
export const SYNONYMS: Readonly<Record<string, string>> = {
  lr: 'learning_rate',
  epochs: 'num_epochs',
  num_train_epochs: 'num_epochs',
  max_seq_length: 'sequence_len',
  max_seq_len: 'sequence_len',
  max_length: 'sequence_len',
  seq_len: 'sequence_len',
  cutoff_len: 'sequence_len',
  model_name: 'base_model',
  model_name_or_path: 'base_model',
  model_id: 'base_model',
  lora_rank: 'lora_r',
  rank: 'lora_r',
  per_device_train_batch_size: 'micro_batch_size',
  train_batch_size: 'micro_batch_size',
  per_device_eval_batch_size: 'eval_batch_size',
  gradient_accumulation: 'gradient_accumulation_steps',
  lr_scheduler_type: 'lr_scheduler',
  scheduler: 'lr_scheduler',
  optim: 'optimizer',
  target_modules: 'lora_target_modules',
  lora_target: 'lora_target_modules',
  finetuning_type: 'adapter',
  warmup: 'warmup_steps',
  eval_dataset: 'test_datasets',
  dataset: 'datasets',
  template: 'chat_template',
  quantization_bit: 'load_in_4bit',
  report_to: 'wandb_project',
  logging_dir: 'output_dir',
  use_flash_attention: 'attn_implementation',
  use_flash_attention_2: 'attn_implementation',
  attn_impl: 'attn_implementation',
  save_total_limits: 'save_total_limit',
  adam_eps: 'adam_epsilon',
};

/** Restricted Damerau-Levenshtein distance, bounded: returns max+1 as soon as it must exceed max. */
export function editDistance(a: string, b: string, max: number): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  const n = b.length;
  let prev2 = new Array<number>(n + 1).fill(0);
  let prev = Array.from({ length: n + 1 }, (_, j) => j);
  let cur = new Array<number>(n + 1).fill(0);
  for (let i = 1; i <= a.length; i++) {
    cur[0] = i;
    let rowMin = cur[0];
    for (let j = 1; j <= n; j++) {
      const cost = a.charCodeAt(i - 1) === b.charCodeAt(j - 1) ? 0 : 1;
      let v = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, prev2[j - 2]! + 1);
      cur[j] = v;
      if (v < rowMin) rowMin = v;
    }
    if (rowMin > max) return max + 1;
    [prev2, prev, cur] = [prev, cur, prev2];
  }
  return prev[n]!;
}

/**
 * The best known name for a misspelt one, or undefined. `candidates` are the valid names at that
 * place; `preferred` wins ties (e.g. core keys over plugin keys).
 */
export function suggestKey(typed: string, candidates: readonly string[], preferred?: (name: string) => boolean): string | undefined {
  const lower = typed.toLowerCase();
  const syn = SYNONYMS[lower];
  if (syn && candidates.includes(syn)) return syn;
  if (candidates.includes(lower)) return lower;
  const max = Math.max(2, Math.ceil(lower.length * 0.35));
  let best: string | undefined;
  let bestScore = Infinity;
  for (const c of candidates) {
    let d = editDistance(lower, c, max);
    if (d > max && lower.length >= 5 && c.startsWith(lower)) d = max; // a truncated name
    if (d > max) continue;
    const score = d * 2 + (preferred && !preferred(c) ? 1 : 0);
    if (score < bestScore || (score === bestScore && best !== undefined && c.length < best.length)) {
      best = c;
      bestScore = score;
    }
  }
  return best;
}
