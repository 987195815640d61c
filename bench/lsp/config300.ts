/**
 * A realistic 300-line Axolotl config for the latency benchmark: a LoRA fine-tune of a Llama-3
 * model on a mix of local and hub datasets, with the usual comments and blank lines. Built from
 * parts rather than read from the corpus so the benchmark runs on a fresh clone.
 */
export function config300(datasetPath: string, modeline = ''): string {
  const head = `${modeline}base_model: NousResearch/Meta-Llama-3-8B
# Automatically upload checkpoint and final model to HF
hub_model_id: my-org/llama3-8b-support-lora
tokenizer_type: AutoTokenizer
trust_remote_code: false

load_in_8bit: false
load_in_4bit: false

chat_template: llama3
datasets:
`;
  const entries: string[] = [];
  for (let i = 0; i < 24; i++) {
    if (i % 3 === 0) {
      entries.push(`  - path: ${datasetPath}
    type: chat_template
    field_messages: messages
    message_property_mappings:
      role: role
      content: content
    roles_to_train: ["assistant"]
    split: train
`);
    } else if (i % 3 === 1) {
      entries.push(`  - path: teknium/GPT4-LLM-Cleaned
    type: alpaca
    split: train
    shards: 4
    # subset of the cleaned GPT-4 data, shard ${i}
`);
    } else {
      entries.push(`  - path: mlabonne/FineTome-100k
    type: chat_template
    field_messages: conversations
    message_property_mappings:
      role: from
      content: value
    split: train[:${10 + i}%]
`);
    }
  }
  const tail = `dataset_prepared_path: last_run_prepared
val_set_size: 0.05
output_dir: ./outputs/lora-out
shuffle_merged_datasets: true

sequence_len: 4096
sample_packing: true
eval_sample_packing: false
pad_to_sequence_len: true

adapter: lora
lora_model_dir:
lora_r: 16
lora_alpha: 32
lora_dropout: 0.05
lora_target_linear: true
lora_target_modules:
  - q_proj
  - k_proj
  - v_proj
  - o_proj
  - gate_proj
  - up_proj
  - down_proj
lora_modules_to_save:
  - embed_tokens
  - lm_head

wandb_project: llama3-support
wandb_entity:
wandb_watch:
wandb_name: lora-r16
wandb_log_model:

gradient_accumulation_steps: 4
micro_batch_size: 2
num_epochs: 3
optimizer: adamw_torch_fused
lr_scheduler: cosine
learning_rate: 0.0002
weight_decay: 0.0
max_grad_norm: 1.0

bf16: auto
tf32: false

gradient_checkpointing: true
gradient_checkpointing_kwargs:
  use_reentrant: false
early_stopping_patience:
resume_from_checkpoint:
logging_steps: 1
attn_implementation: flash_attention_2

warmup_ratio: 0.1
evals_per_epoch: 4
saves_per_epoch: 1
save_total_limit: 3
debug:
deepspeed:
fsdp:
fsdp_config:
special_tokens:
  pad_token: "<|end_of_text|>"
`;
  let text = head + entries.join('') + tail;
  // Pad with commented-out alternatives (as real configs keep them) up to exactly 300 lines.
  const lines = text.split('\n');
  let n = 0;
  while (lines.length < 301) lines.splice(lines.length - 1, 0, `# alternative ${n++}: learning_rate: ${(1 + (n % 9)) * 1e-5}`);
  text = lines.slice(0, 300).join('\n') + '\n';
  return text;
}
