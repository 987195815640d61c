/**
 * The normalised shapes every dataset format is read into. The chat core (`common/chat`) renders
 * a `Conversation` with a model's template and masks it; the trainer builds its batches from
 * `DatasetRecord`s; the converter writes them back out as Alpaca, ShareGPT or OpenAI chat.
 */

/** Target roles after mapping (Axolotl's names; ShareGPT `human`/`gpt`/... are mapped onto these). */
export type Role = 'system' | 'user' | 'assistant' | 'tool';

export const ROLES: readonly Role[] = ['system', 'user', 'assistant', 'tool'];

/** An OpenAI-style tool call on an assistant message; `arguments` is a JSON-encoded string. */
export interface ToolCall {
  id?: string;
  type: 'function';
  function: { name: string; arguments: string };
}

/** A tool definition (`tools` at the top of an OpenAI record), kept as given. */
export interface ToolSpec {
  type: 'function';
  function: { name: string; description?: string; parameters?: Record<string, unknown> };
}

/** A span of one message's content with its own training flag (Axolotl `message_field_training_detail`). */
export interface TrainingSpan {
  /** Character offsets into `content`, `end` inclusive as in Axolotl's `end_offset`. */
  begin: number;
  end: number;
  train: boolean;
}

/** One turn of a normalised conversation. */
export interface Message {
  role: Role;
  /** Text content; list-of-parts content is joined (text parts only) when read. */
  content: string;
  /**
   * Per-message training flag: OpenAI `weight` (0/1), LLaMA-Factory `loss_weight`, Axolotl
   * `message_field_training`. Absent means "follow roles_to_train / train_on_inputs".
   */
  weight?: 0 | 1;
  name?: string;
  tool_calls?: ToolCall[];
  tool_call_id?: string;
  /** Reasoning text kept apart from content (Axolotl `field_thinking`, default `reasoning_content`). */
  reasoning_content?: string;
  /** Finer-grained training spans, when the dataset gives them. */
  training_detail?: TrainingSpan[];
}

/** A chat record: what chat templates render. */
export interface Conversation {
  messages: Message[];
  tools?: ToolSpec[];
}

/** An Alpaca record (Axolotl `type: alpaca`, LLaMA-Factory `formatting: alpaca`). */
export interface AlpacaRecord {
  instruction: string;
  input?: string;
  output: string;
  system?: string;
  /** LLaMA-Factory only: earlier (prompt, response) pairs, oldest first. */
  history?: [string, string][];
}

/** Record formats Tunelab detects and reads. */
export type DatasetFormat =
  /** `{instruction, input?, output, system?, history?}` */
  | 'alpaca'
  /** `{conversations: [{from, value}]}` with human/gpt/system/function_call/observation */
  | 'sharegpt'
  /** `{messages: [{role, content, ...}], tools?}` */
  | 'openai'
  /** messages under a custom field or with custom property names (Axolotl `chat_template` mappings) */
  | 'chat_template'
  /** `{text}` (Axolotl `completion`, LLaMA-Factory pre-training) */
  | 'completion';

export const DATASET_FORMATS: readonly DatasetFormat[] = ['alpaca', 'sharegpt', 'openai', 'chat_template', 'completion'];

/** File containers. */
export type ContainerKind = 'jsonl' | 'json' | 'text' | 'parquet';

/** One normalised record as the trainer and the inspector consume it. */
export type NormalizedRecord =
  | { kind: 'chat'; conversation: Conversation }
  /** Alpaca records keep their fields (for Alpaca-style prompting) and a chat view of them. */
  | { kind: 'alpaca'; alpaca: AlpacaRecord; conversation: Conversation }
  | { kind: 'completion'; text: string };

/** Where a record stands in its file. */
export interface RecordLocation {
  /** 0-based record index. */
  index: number;
  /** 0-based line of the record's first character (the row number for Parquet). */
  line: number;
}

/**
 * The dataset-entry keys of an Axolotl config (`datasets:` items) that shape how records are read.
 * Everything optional; defaults follow Axolotl.
 */
export interface DatasetEntry {
  path?: string;
  /** `alpaca`, `chat_template`, `completion`, `alpaca:chat`, ... or a user-defined object. */
  type?: string | Record<string, unknown>;
  ds_type?: string;
  /** chat_template: where the message list lives (default `messages`). */
  field_messages?: string;
  /** chat_template: `{role: 'from', content: 'value'}` */
  message_property_mappings?: Record<string, string>;
  /** Deprecated forms of the mappings above. */
  message_field_role?: string;
  message_field_content?: string;
  message_field_training?: string;
  message_field_training_detail?: string;
  /** chat_template: target role -> source role names. */
  roles?: Record<string, string[]>;
  field_tools?: string;
  field_thinking?: string;
  /** completion: the text column (default `text`). */
  field?: string;
  roles_to_train?: string[];
  train_on_eos?: 'all' | 'turn' | 'last' | 'none';
  drop_system_message?: boolean;
}
