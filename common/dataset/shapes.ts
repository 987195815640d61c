/**
 * What each record format looks like: where the messages are, what the role and content keys are
 * called, which source role names map to which target roles, and which keys are known. Built from
 * the format and, when a config points at the file, from its dataset entry's mappings.
 */
import type { DatasetEntry, DatasetFormat, Role } from './types';

/** How to read the messages of a chat record. */
export interface ChatShape {
  /** Record key holding the message list. */
  field: string;
  roleKey: string;
  contentKey: string;
  /** Source role name -> target role. */
  roles: ReadonlyMap<string, Role>;
  /** Message keys that are expected (others are reported when `strictMessageKeys`, or when close to one of these). */
  messageKeys: ReadonlySet<string>;
  /** OpenAI rejects any unknown message key; other loaders ignore them. */
  strictMessageKeys: boolean;
  trainingKey?: string;
  trainingDetailKey?: string;
  toolsField: string;
  thinkingKey: string;
  /** True when the roles come from a config's `roles:` mapping. */
  rolesFromConfig: boolean;
  /** Record keys that are expected; unknown keys close to one of these are reported as typos. */
  recordKeys: ReadonlySet<string>;
}

const map = (pairs: [string, Role][]): ReadonlyMap<string, Role> => new Map(pairs);

/** OpenAI chat roles (`developer` is the newer name of `system`; `function` is the legacy tool role). */
export const OPENAI_ROLES = map([
  ['system', 'system'],
  ['developer', 'system'],
  ['user', 'user'],
  ['assistant', 'assistant'],
  ['tool', 'tool'],
  ['function', 'tool'],
]);

/** ShareGPT role tags as LLaMA-Factory and Axolotl read them. */
export const SHAREGPT_ROLES = map([
  ['human', 'user'],
  ['user', 'user'],
  ['gpt', 'assistant'],
  ['assistant', 'assistant'],
  ['system', 'system'],
  ['function_call', 'assistant'],
  ['observation', 'tool'],
  ['tool', 'tool'],
]);

/** Axolotl's default `roles:` for chat_template. */
export const AXOLOTL_DEFAULT_ROLES = map([
  ['human', 'user'],
  ['user', 'user'],
  ['gpt', 'assistant'],
  ['assistant', 'assistant'],
  ['system', 'system'],
  ['tool', 'tool'],
]);

const OPENAI_MESSAGE_KEYS = ['role', 'content', 'name', 'tool_calls', 'tool_call_id', 'weight', 'function_call', 'refusal', 'reasoning_content', 'loss_weight'];

/** Record keys that each format knows; unknown keys close to one of these are reported as typos. */
export const RECORD_KEYS: Record<DatasetFormat, readonly string[]> = {
  alpaca: ['instruction', 'input', 'output', 'system', 'history', 'tools', 'images', 'videos', 'audios', 'chosen', 'rejected', 'kto_tag'],
  sharegpt: ['conversations', 'system', 'tools', 'images', 'videos', 'audios', 'chosen', 'rejected', 'kto_tag', 'id'],
  openai: ['messages', 'tools', 'parallel_tool_calls', 'functions', 'images', 'videos', 'audios', 'chosen', 'rejected', 'id'],
  chat_template: ['messages', 'conversations', 'tools', 'images', 'id'],
  completion: ['text'],
};

export function openaiShape(): ChatShape {
  return {
    field: 'messages',
    roleKey: 'role',
    contentKey: 'content',
    roles: OPENAI_ROLES,
    messageKeys: new Set(OPENAI_MESSAGE_KEYS),
    strictMessageKeys: true,
    toolsField: 'tools',
    thinkingKey: 'reasoning_content',
    rolesFromConfig: false,
    recordKeys: new Set(RECORD_KEYS.openai),
  };
}

export function sharegptShape(): ChatShape {
  return {
    field: 'conversations',
    roleKey: 'from',
    contentKey: 'value',
    roles: SHAREGPT_ROLES,
    messageKeys: new Set(['from', 'value', 'weight', 'name', 'train']),
    strictMessageKeys: false,
    toolsField: 'tools',
    thinkingKey: 'reasoning_content',
    rolesFromConfig: false,
    recordKeys: new Set(RECORD_KEYS.sharegpt),
  };
}

/** Axolotl `type: chat_template` with the entry's mappings (defaults as in Axolotl). */
export function chatTemplateShape(entry: DatasetEntry): ChatShape {
  const mpm = entry.message_property_mappings ?? {};
  const roleKey = mpm.role ?? entry.message_field_role ?? 'role';
  const contentKey = mpm.content ?? entry.message_field_content ?? 'content';
  let roles = AXOLOTL_DEFAULT_ROLES;
  let rolesFromConfig = false;
  if (entry.roles && typeof entry.roles === 'object') {
    const m = new Map<string, Role>();
    for (const [target, sources] of Object.entries(entry.roles)) {
      const t = target as Role;
      for (const s of Array.isArray(sources) ? sources : [sources]) if (typeof s === 'string') m.set(s, t);
    }
    roles = m;
    rolesFromConfig = true;
  }
  const keys = new Set([roleKey, contentKey, ...OPENAI_MESSAGE_KEYS.filter((k) => k !== 'role' && k !== 'content')]);
  for (const v of Object.values(mpm)) keys.add(v);
  if (entry.message_field_training) keys.add(entry.message_field_training);
  if (entry.message_field_training_detail) keys.add(entry.message_field_training_detail);
  const thinkingKey = entry.field_thinking ?? 'reasoning_content';
  keys.add(thinkingKey);
  const field = entry.field_messages ?? 'messages';
  const toolsField = entry.field_tools ?? 'tools';
  return {
    field,
    roleKey,
    contentKey,
    roles,
    messageKeys: keys,
    strictMessageKeys: false,
    trainingKey: entry.message_field_training,
    trainingDetailKey: entry.message_field_training_detail,
    toolsField,
    thinkingKey,
    rolesFromConfig,
    recordKeys: new Set([...RECORD_KEYS.chat_template, field, toolsField, 'system']),
  };
}

/** The declared format of a config entry's `type:` (undefined when Tunelab cannot read that type). */
export function formatOfEntry(entry: DatasetEntry): DatasetFormat | undefined {
  const t = entry.type;
  if (t === undefined || t === null) return undefined;
  if (typeof t === 'object') return 'alpaca'; // user-defined prompter: instruction-style fields
  const base = String(t).split(/[:.]/)[0]!;
  if (base === 'alpaca' || base === 'alpaca_chat' || base === 'alpaca_instruct' || base === 'alpaca_w_system') return 'alpaca';
  if (base === 'chat_template' || base === 'messages') return 'chat_template';
  if (base === 'completion') return 'completion';
  return undefined;
}

/** Which record shape is this? A guess with the reason, from the keys of one record. */
export interface RecordGuess {
  format: DatasetFormat | undefined;
  reason: string;
  /** For chat-like records: the mapping the record fits (to suggest `field_messages` / mappings). */
  field?: string;
  roleKey?: string;
  contentKey?: string;
  /** The record carries `chosen`/`rejected` (preference data: the conversation ends with the user). */
  preference?: boolean;
}

function firstMessage(v: unknown): Record<string, unknown> | undefined {
  if (!Array.isArray(v)) return undefined;
  for (const m of v) if (m && typeof m === 'object' && !Array.isArray(m)) return m as Record<string, unknown>;
  return undefined;
}

/** Guesses a record's format from its keys. `fieldMessages` is a config's custom message field. */
export function guessRecord(rec: Record<string, unknown>, fieldMessages?: string): RecordGuess {
  const preference = 'chosen' in rec && 'rejected' in rec;
  const chat = (field: string): RecordGuess | undefined => {
    const list = rec[field];
    if (list === undefined) return undefined;
    const m = firstMessage(list);
    if (m && 'from' in m && 'value' in m) {
      const fmt = field === 'conversations' ? 'sharegpt' : 'chat_template';
      return { format: fmt, reason: `\`${field}\` list of {from, value} messages`, field, roleKey: 'from', contentKey: 'value', preference };
    }
    if (m && 'role' in m) {
      const fmt = field === 'messages' ? 'openai' : 'chat_template';
      return { format: fmt, reason: `\`${field}\` list of {role, content} messages`, field, roleKey: 'role', contentKey: 'content', preference };
    }
    const fmt = field === 'conversations' ? 'sharegpt' : field === 'messages' ? 'openai' : 'chat_template';
    return { format: fmt, reason: `\`${field}\` key`, field, preference };
  };
  if (fieldMessages && fieldMessages !== 'messages' && fieldMessages !== 'conversations') {
    const g = chat(fieldMessages);
    if (g) return g;
  }
  const g = chat('messages') ?? chat('conversations');
  if (g) return g;
  if ('instruction' in rec || 'output' in rec) {
    return { format: 'alpaca', reason: 'instruction/input/output keys', preference };
  }
  if (typeof rec.text === 'string') return { format: 'completion', reason: '`text` key' };
  const keys = Object.keys(rec);
  return { format: undefined, reason: keys.length ? `keys ${keys.slice(0, 6).map((k) => `\`${k}\``).join(', ')}${keys.length > 6 ? ', ...' : ''}` : 'an empty object' };
}
