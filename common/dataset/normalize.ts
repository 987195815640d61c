/**
 * Reading any supported record into the normalised shapes of ./types: what the trainer trains
 * on, what the chat core renders and what the converter writes out.
 */
import { contentText } from './checks';
import { chatTemplateShape, guessRecord, openaiShape, sharegptShape, formatOfEntry, SHAREGPT_ROLES, OPENAI_ROLES, type ChatShape, type RecordGuess } from './shapes';
import type { AlpacaRecord, Conversation, DatasetEntry, DatasetFormat, Message, NormalizedRecord, ToolCall, ToolSpec, TrainingSpan } from './types';

/** How to read the records of one file: the format and, for chat formats, the shape. */
export interface RecordReader {
  format: DatasetFormat;
  shape?: ChatShape;
  /** completion: the text field. */
  textField: string;
  dropSystem: boolean;
}

/**
 * The reader for a file's records: from the config entry when there is one (its `type:` and
 * mappings win), else from the detected format. A chat record detected with custom keys gets the
 * mapping it fits.
 */
export function readerFor(format: DatasetFormat, entry?: DatasetEntry, guess?: RecordGuess): RecordReader {
  const declared = entry ? formatOfEntry(entry) : undefined;
  const dropSystem = entry?.drop_system_message === true;
  const textField = entry?.field ?? 'text';
  if (declared === 'chat_template' && entry) return { format: 'chat_template', shape: chatTemplateShape(entry), textField, dropSystem };
  if (format === 'openai') return { format, shape: openaiShape(), textField, dropSystem };
  if (format === 'sharegpt') return { format, shape: sharegptShape(), textField, dropSystem };
  if (format === 'chat_template') {
    const roleKey = guess?.roleKey ?? 'role';
    const shape = chatTemplateShape({
      field_messages: guess?.field ?? 'messages',
      message_property_mappings: { role: roleKey, content: guess?.contentKey ?? 'content' },
    });
    // Without a config, accept the role names of the dialect the keys come from.
    shape.roles = roleKey === 'from' ? SHAREGPT_ROLES : OPENAI_ROLES;
    return { format, shape, textField, dropSystem };
  }
  return { format, textField, dropSystem };
}

/** Detects the format of a single record and returns its reader (undefined when unknown). */
export function readerForRecord(rec: Record<string, unknown>, entry?: DatasetEntry): RecordReader | undefined {
  const guess = guessRecord(rec, entry?.field_messages);
  const declared = entry ? formatOfEntry(entry) : undefined;
  const format = declared ?? guess.format;
  return format ? readerFor(format, entry, guess) : undefined;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function parseJsonish(v: unknown): unknown {
  if (typeof v !== 'string') return v;
  try {
    return JSON.parse(v) as unknown;
  } catch {
    return undefined;
  }
}

/** OpenAI `tools` or LLaMA-Factory's JSON-string list of {name, description, parameters}. */
export function normalizeTools(v: unknown): ToolSpec[] | undefined {
  const list = parseJsonish(v);
  if (!Array.isArray(list) || list.length === 0) return undefined;
  const out: ToolSpec[] = [];
  for (const t of list) {
    if (!t || typeof t !== 'object') continue;
    const o = t as Record<string, unknown>;
    const fn = (o.function && typeof o.function === 'object' ? o.function : o) as Record<string, unknown>;
    if (typeof fn.name !== 'string') continue;
    const spec: ToolSpec = { type: 'function', function: { name: fn.name } };
    if (typeof fn.description === 'string') spec.function.description = fn.description;
    const params = parseJsonish(fn.parameters);
    if (params && typeof params === 'object') spec.function.parameters = params as Record<string, unknown>;
    out.push(spec);
  }
  return out.length ? out : undefined;
}

function toolCallsOf(v: unknown): ToolCall[] | undefined {
  if (!Array.isArray(v)) return undefined;
  const out: ToolCall[] = [];
  for (const c of v) {
    const o = (c ?? {}) as Record<string, unknown>;
    const fn = (o.function ?? {}) as Record<string, unknown>;
    if (typeof fn.name !== 'string') continue;
    const call: ToolCall = { type: 'function', function: { name: fn.name, arguments: typeof fn.arguments === 'string' ? fn.arguments : JSON.stringify(fn.arguments ?? {}) } };
    if (typeof o.id === 'string') call.id = o.id;
    out.push(call);
  }
  return out.length ? out : undefined;
}

/** A ShareGPT `function_call` value ({"name", "arguments"} or a list of them) as tool calls. */
function callsFromFunctionValue(text: string): ToolCall[] | undefined {
  const v = parseJsonish(text);
  const list = Array.isArray(v) ? v : v ? [v] : [];
  const out: ToolCall[] = [];
  for (const c of list) {
    const o = (c ?? {}) as Record<string, unknown>;
    if (typeof o.name !== 'string') return undefined;
    out.push({ type: 'function', function: { name: o.name, arguments: typeof o.arguments === 'string' ? o.arguments : JSON.stringify(o.arguments ?? {}) } });
  }
  return out.length ? out : undefined;
}

function weightOf(msg: Record<string, unknown>, shape: ChatShape): 0 | 1 | undefined {
  if (shape.trainingKey !== undefined) {
    const t = msg[shape.trainingKey];
    if (typeof t === 'boolean') return t ? 1 : 0;
  }
  const w = msg.weight ?? msg.loss_weight;
  if (w === 0 || w === 1) return w;
  return undefined;
}

function spansOf(v: unknown): TrainingSpan[] | undefined {
  if (!Array.isArray(v)) return undefined;
  const out: TrainingSpan[] = [];
  for (const s of v) {
    const o = (s ?? {}) as Record<string, unknown>;
    if (typeof o.begin_offset === 'number' && typeof o.end_offset === 'number' && typeof o.train === 'boolean') out.push({ begin: o.begin_offset, end: o.end_offset, train: o.train });
  }
  return out.length ? out : undefined;
}

/** A chat record as a Conversation, or undefined when its message list is unusable. Unknown roles drop the message. */
export function chatToConversation(rec: Record<string, unknown>, shape: ChatShape, format: DatasetFormat, dropSystem = false): Conversation | undefined {
  let list = rec[shape.field];
  if (typeof list === 'string') list = parseJsonish(list);
  if (!Array.isArray(list)) return undefined;
  const messages: Message[] = [];
  for (const m of list) {
    if (!m || typeof m !== 'object') continue;
    const msg = m as Record<string, unknown>;
    const rawRole = msg[shape.roleKey];
    const role = typeof rawRole === 'string' ? shape.roles.get(rawRole) : undefined;
    if (role === undefined || (dropSystem && role === 'system')) continue;
    const raw = msg[shape.contentKey];
    let content = contentText(raw) ?? '';
    const out: Message = { role, content };
    // LLaMA-Factory v1 parts: reasoning and tool calls live beside the text.
    if (Array.isArray(raw)) {
      for (const p of raw as Record<string, unknown>[]) {
        if (p?.type === 'reasoning' && typeof p.value === 'string') out.reasoning_content = (out.reasoning_content ?? '') + p.value;
        if (p?.type === 'tool_call' && typeof p.value === 'string') {
          const calls = callsFromFunctionValue(p.value);
          if (calls) out.tool_calls = [...(out.tool_calls ?? []), ...calls];
        }
      }
    }
    if (format === 'sharegpt' && rawRole === 'function_call') {
      const calls = callsFromFunctionValue(content);
      if (calls) {
        out.tool_calls = calls;
        content = '';
        out.content = '';
      }
    }
    const w = weightOf(msg, shape);
    if (w !== undefined) out.weight = w;
    const name = str(msg.name);
    if (name !== undefined) out.name = name;
    const calls = toolCallsOf(msg.tool_calls);
    if (calls) out.tool_calls = calls;
    const callId = str(msg.tool_call_id);
    if (callId !== undefined) out.tool_call_id = callId;
    const thinking = str(msg[shape.thinkingKey]);
    if (thinking !== undefined) out.reasoning_content = thinking;
    if (shape.trainingDetailKey) {
      const spans = spansOf(msg[shape.trainingDetailKey]);
      if (spans) out.training_detail = spans;
    }
    messages.push(out);
  }
  // ShareGPT/LLaMA-Factory keep the system prompt in a column when the first message is not one.
  const system = str(rec.system);
  if (system !== undefined && system.length > 0 && messages[0]?.role !== 'system' && !dropSystem) messages.unshift({ role: 'system', content: system });
  const conv: Conversation = { messages };
  const tools = normalizeTools(rec[shape.toolsField]);
  if (tools) conv.tools = tools;
  return conv;
}

/** An Alpaca record's fields, or undefined when instruction or output is missing. */
export function alpacaOf(rec: Record<string, unknown>): AlpacaRecord | undefined {
  const instruction = str(rec.instruction);
  const output = str(rec.output);
  if (instruction === undefined || output === undefined) return undefined;
  const a: AlpacaRecord = { instruction, output };
  const input = str(rec.input);
  if (input !== undefined) a.input = input;
  const system = str(rec.system);
  if (system !== undefined) a.system = system;
  if (Array.isArray(rec.history)) {
    const h = (rec.history as unknown[]).filter((p): p is [string, string] => Array.isArray(p) && typeof p[0] === 'string' && typeof p[1] === 'string');
    if (h.length) a.history = h;
  }
  return a;
}

/** An Alpaca record as a conversation (LLaMA-Factory's reading: the user turn is instruction + "\n" + input). */
export function alpacaToConversation(a: AlpacaRecord): Conversation {
  const messages: Message[] = [];
  if (a.system) messages.push({ role: 'system', content: a.system });
  for (const [q, r] of a.history ?? []) messages.push({ role: 'user', content: q }, { role: 'assistant', content: r });
  messages.push({ role: 'user', content: [a.instruction, a.input ?? ''].filter((s) => s.length > 0).join('\n') });
  messages.push({ role: 'assistant', content: a.output });
  return { messages };
}

/** Any supported record, normalised; undefined when it cannot be read with this reader. */
export function normalizeRecord(rec: unknown, reader: RecordReader): NormalizedRecord | undefined {
  if (!rec || typeof rec !== 'object' || Array.isArray(rec)) return undefined;
  const o = rec as Record<string, unknown>;
  switch (reader.format) {
    case 'alpaca': {
      const alpaca = alpacaOf(o);
      return alpaca ? { kind: 'alpaca', alpaca, conversation: alpacaToConversation(alpaca) } : undefined;
    }
    case 'completion': {
      const text = str(o[reader.textField]);
      return text === undefined ? undefined : { kind: 'completion', text };
    }
    default: {
      if (!reader.shape) return undefined;
      const conversation = chatToConversation(o, reader.shape, reader.format, reader.dropSystem);
      return conversation && conversation.messages.length > 0 ? { kind: 'chat', conversation } : undefined;
    }
  }
}

/**
 * The conversation of a normalised record, for rendering with a chat template (completion text
 * has none).
 */
export function conversationOf(r: NormalizedRecord): Conversation | undefined {
  return r.kind === 'completion' ? undefined : r.conversation;
}
