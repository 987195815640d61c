import { deprecated, type KeyDef } from './define';
import { CHAT_TEMPLATE_COMPLETIONS, DATASET_TYPES, DS_TYPES, FSDP_STATE_DICT, FSDP_WRAP, TRAIN_ON_EOS } from './enums';

/** Keys of one `datasets:` / `test_datasets:` entry (axolotl-keys.md §2; SFT, DPO, KTO, stepwise and synthetic forms). */
export const DATASET_ENTRY_KEYS: Record<string, KeyDef> = {
  path: {
    t: 'str',
    doc: 'Where the data comes from: a Hub dataset id (`org/name`), a local file or folder (relative to where Axolotl is launched), or an s3:// / gs:// URL.',
    advice: 'Tunelab resolves local paths against the config folder, the workspace and the working directory, and reports a missing file here.',
  },
  type: {
    t: 'str | object:user_defined_type',
    children: 'user_defined_type',
    values: DATASET_TYPES,
    doc: 'The record format and how it becomes a prompt: `chat_template` for conversations, `alpaca` for instruction/input/output, `completion` for raw text, `input_output` for segments, `module.load_fn` for a prompt strategy, or a mapping for a user-defined format. Empty = already tokenized.',
    advice: 'Match it to the actual records (tunelab inspect shows what the loss is computed on). `sharegpt` was removed: use `type: chat_template` with field_messages/message_property_mappings.',
  },
  ds_type: { t: 'str', values: DS_TYPES, strict: 'warning', doc: 'The file loader (json, csv, parquet, arrow, text). Inferred from the file extension when unset.' },
  data_files: { t: 'str | str[]', doc: 'Specific files of the dataset repository or folder to load.' },
  split: { t: 'str', doc: 'The split to load.', derived: 'train' },
  name: { t: 'str', doc: 'The dataset configuration (subset) name on the Hub.' },
  revision: { t: 'str', doc: 'Hub branch, tag or commit of the dataset.' },
  trust_remote_code: { t: 'bool', def: false, doc: 'Allow the dataset repository to run a loading script.' },
  shards: { t: 'int', doc: 'Split the dataset into N shards and use one (with shards_idx): a quick way to train on a subset.' },
  shards_idx: { t: 'int', doc: 'Which shard to use.' },
  preprocess_shards: { t: 'int', doc: 'Tokenize in N sequential chunks to save memory.' },
  field: { t: 'str', doc: '`completion` type: the column with the text.', derived: 'text' },
  field_messages: { t: 'str', doc: '`chat_template` type: the column with the list of messages.', derived: 'messages' },
  field_tools: { t: 'str', doc: 'The column with tool (function) definitions.', derived: 'tools' },
  field_thinking: { t: 'str', doc: 'The message property with reasoning text.', derived: 'reasoning_content' },
  template_thinking_key: { t: 'str', doc: 'The name the chat template expects for reasoning text.', derived: 'reasoning_content' },
  message_property_mappings: {
    t: 'dict<str>',
    doc: 'Map the template\'s message properties to your data\'s, e.g. `{role: from, content: value}` for ShareGPT-style records.',
    snippet: 'message_property_mappings:\n  role: ${1:from}\n  content: ${2:value}',
  },
  message_field_role: { t: 'str', deprecated: deprecated('message_field_role is deprecated: use message_property_mappings.role.', 'message_property_mappings'), doc: 'Old way to name the role property.' },
  message_field_content: { t: 'str', deprecated: deprecated('message_field_content is deprecated: use message_property_mappings.content.', 'message_property_mappings'), doc: 'Old way to name the content property.' },
  message_field_training: { t: 'str', doc: 'The message property holding a per-turn "train on this" flag.' },
  message_field_training_detail: { t: 'str', doc: 'The message property holding character spans to train on.' },
  roles_to_train: { t: 'str[]', doc: 'Roles whose turns are trained on.', derived: '[assistant]', advice: 'Training on user turns is rarely what you want; see train_on_inputs.' },
  train_on_eos: { t: 'str', values: TRAIN_ON_EOS, doc: 'Which end-of-sequence tokens are trained on.', derived: 'turn', advice: '`turn` teaches the model to stop after each answer; `none` often yields models that never stop.' },
  train_on_eot: { t: 'str', values: TRAIN_ON_EOS, doc: 'Which end-of-turn tokens (eot_tokens) are trained on.', derived: 'train_on_eos' },
  roles: { t: 'dict<str[]>', doc: 'Map your role names to the template\'s, e.g. `{user: [human], assistant: [gpt]}`.' },
  drop_system_message: { t: 'bool', doc: 'Drop system messages from conversations.' },
  split_thinking: { t: 'bool', doc: 'Split <think> blocks out of assistant content (Qwen 3).' },
  chat_template: { t: 'str', values: CHAT_TEMPLATE_COMPLETIONS, strict: 'warning', doc: 'This dataset\'s chat template, overriding the top-level one.', derived: 'the top-level chat_template, else tokenizer_default' },
  chat_template_jinja: { t: 'str', doc: 'A custom Jinja template for this dataset (implies chat_template: jinja).' },
  conversation: { t: 'str', doc: 'FastChat conversation name (legacy ShareGPT types, now removed).' },
  input_format: { t: 'str', doc: 'Input format of `type: messages`.' },
  input_transform: { t: 'str', doc: '`type: messages`: the transform applied to records.', derived: 'chat' },
  field_human: { t: 'str', doc: 'Legacy: the human role name.' },
  field_model: { t: 'str', doc: 'Legacy: the model role name.' },
  logprobs_field: { t: 'str', doc: 'Column with teacher logprobs (distillation).' },
  temperature: { t: 'float', doc: 'Temperature of the teacher logprobs (distillation).' },
  field_chosen: { t: 'str', scope: 'rl', doc: 'Preference data: the chosen-response column.' },
  field_rejected: { t: 'str', scope: 'rl', doc: 'Preference data: the rejected-response column.' },
  step_separator: { t: 'str', doc: 'Stepwise supervision: separator between steps.' },
  max_completion_length: { t: 'int', doc: 'Stepwise supervision: maximum completion length.' },
  train_on_last_step_only: { t: 'bool', doc: 'Stepwise supervision: train on the last step only.' },
  text_column: { t: 'str', scope: 'pretraining', doc: 'Pre-training data: the text column.', derived: 'text' },
  skip: { t: 'int', scope: 'pretraining', doc: 'Pre-training data: records to skip.' },
  length: { t: 'int', doc: 'Synthetic data: number of records.' },
  sequence_length: { t: 'int', doc: 'Synthetic data: tokens per record.' },
  min_input_id: { t: 'int', doc: 'Synthetic data: smallest token id.' },
  max_input_id: { t: 'int', doc: 'Synthetic data: largest token id.' },
  seed: { t: 'int', doc: 'Synthetic data: seed.' },
};

/** A user-defined prompt format given as a mapping under `type:`. */
export const USER_DEFINED_TYPE_KEYS: Record<string, KeyDef> = {
  system_prompt: { t: 'str', doc: 'The system prompt text.' },
  system_format: { t: 'str', doc: 'How the system prompt is written; `{system}` is replaced by it.' },
  field_system: { t: 'str', doc: 'Column with a per-record system prompt.' },
  field_instruction: { t: 'str', doc: 'Column with the instruction.' },
  field_input: { t: 'str', doc: 'Column with the (optional) input.' },
  field_output: { t: 'str', doc: 'Column with the response.' },
  format: { t: 'str', doc: 'The prompt when there is an input; `{instruction}` and `{input}` are replaced.' },
  no_input_format: { t: 'str', doc: 'The prompt when there is no input; must not contain `{input}`.' },
  field: { t: 'str', doc: 'Column with the text.' },
};

export const SPECIAL_TOKENS_KEYS: Record<string, KeyDef> = {
  bos_token: { t: 'str', doc: 'Beginning-of-sequence token.' },
  eos_token: { t: 'str', doc: 'End-of-sequence token (generation stops here).', advice: 'For chat fine-tunes it should be the template\'s end-of-turn token, or the model never learns to stop.' },
  pad_token: { t: 'str', doc: 'Padding token (set one when the tokenizer has none, e.g. Llama 3: `<|end_of_text|>` or a reserved token).' },
  unk_token: { t: 'str', doc: 'Unknown token.' },
  additional_special_tokens: { t: 'str[]', doc: 'Extra special tokens.' },
};

export const FSDP_CONFIG_KEYS: Record<string, KeyDef> = {
  fsdp_version: { t: 'int', doc: 'FSDP version (1 or 2); same as the top-level fsdp_version.' },
  version: { t: 'int', aliasOf: 'fsdp_version', doc: 'Same as fsdp_version.' },
  activation_checkpointing: { t: 'bool', doc: 'FSDP activation checkpointing (use instead of gradient_checkpointing under FSDP).' },
  offload_params: { t: 'bool', doc: 'Offload parameters to CPU memory (slow, fits larger models).' },
  sync_module_states: { t: 'bool', doc: 'Broadcast weights from rank 0 at start.' },
  cpu_ram_efficient_loading: { t: 'bool', doc: 'Load weights on rank 0 only (saves CPU memory).' },
  cpu_offload_pin_memory: { t: 'bool', doc: 'Pin offloaded memory (FSDP2 with offload_params).' },
  use_orig_params: { t: 'bool', doc: 'Keep original parameters (needed for some optimizers and frozen layers).' },
  state_dict_type: { t: 'str', values: FSDP_STATE_DICT, doc: 'How checkpoints are saved.' },
  final_state_dict_type: { t: 'str', values: FSDP_STATE_DICT, doc: 'How the final model is saved.' },
  auto_wrap_policy: { t: 'str', values: FSDP_WRAP, doc: 'How modules are wrapped into FSDP units.' },
  transformer_layer_cls_to_wrap: { t: 'str', doc: 'The decoder layer class, e.g. LlamaDecoderLayer, Qwen2DecoderLayer.' },
  min_num_params: { t: 'int', range: { min: 1, severity: 'error' }, doc: 'SIZE_BASED_WRAP: minimum parameters per unit.' },
  reshard_after_forward: { t: 'bool', doc: 'FSDP2: free gathered weights after forward (less memory, more communication).' },
  mixed_precision_policy: { t: 'str', doc: 'FSDP mixed-precision policy.' },
};

export const PEFT_KEYS: Record<string, KeyDef> = {
  loftq_config: { t: 'dict', doc: 'LoftQ initialisation: `{loftq_bits: 4}` (quantization-aware LoRA init).' },
};

export const LR_GROUP_KEYS: Record<string, KeyDef> = {
  name: { t: 'str', required: true, doc: 'Group name.' },
  modules: { t: 'str[]', required: true, doc: 'Module names in the group.' },
  lr: { t: 'float', required: true, doc: 'Learning rate of the group.' },
};
