/**
 * Record checks. Each works on a record already parsed by `JSON.parse` (the fast path) and returns
 * findings that name a path inside the record; the validator turns a path into a precise range only
 * when there is something to report.
 */
import type { DiagnosticSeverity } from 'vscode-languageserver-types';
import { Severity } from '../diagnostics';
import type { JsonPath } from './jsonScan';
import { RECORD_KEYS, type ChatShape } from './shapes';
import { closest } from './suggest';
import type { DatasetFormat, Role } from './types';
import type { RecordHasher } from './hash';

/** A problem inside one record, before it has a range. */
export interface Finding {
  code: string;
  severity: DiagnosticSeverity;
  message: string;
  path: JsonPath;
  /** What to underline: the key at `path`, its value, or the record's first line. */
  target: 'key' | 'value' | 'record';
  data?: unknown;
}

/** What the checks of one record report besides findings. */
export interface RecordFacts {
  findings: Finding[];
  /** Source role names and how often they occur. */
  roles: Map<string, number>;
  messages: number;
  /** Characters of text in the record (content fields). */
  chars: number;
}

const { Error: E, Warning: W } = Severity;

/**
 * Chat-template control tokens that should never be inside a record's text: the template adds
 * them, so text that already has them is wrapped twice.
 */
export const DEFAULT_CONTROL_TOKENS = /<\|[A-Za-z0-9_]{2,32}\|>|\[\/?INST\]|<\/?(?:start_of_turn|end_of_turn)>|<｜[^｜<>]{1,40}｜>/;

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The control-token pattern, extended with a model's own special tokens when known. */
export function controlTokenPattern(extra: readonly string[] = []): RegExp {
  const tokens = extra.filter((t) => t.length >= 3 && /[<|[\]>]/.test(t));
  if (tokens.length === 0) return DEFAULT_CONTROL_TOKENS;
  return new RegExp(`${DEFAULT_CONTROL_TOKENS.source}|${tokens.map(escapeRe).join('|')}`);
}

/**
 * A cheap pre-test on a record's raw text (a few substring searches, much faster than the
 * regular expression): false means no control token can be inside.
 */
export function controlPrefilter(extra: readonly string[] = []): (raw: string) => boolean {
  const tokens = extra.filter((t) => t.length >= 3 && /[<|[\]>]/.test(t));
  return (raw) =>
    raw.includes('<|') || raw.includes('INST]') || raw.includes('_of_turn>') || raw.includes('｜') || (tokens.length > 0 && tokens.some((t) => raw.includes(t)));
}

export interface CheckContext {
  facts: RecordFacts;
  /** Fed with the record's text fields in order, for duplicate detection. */
  hasher?: RecordHasher;
  /** Set when the raw record text may contain control tokens (a cheap pre-test on the raw line). */
  control?: RegExp;
  /** Preference records (chosen/rejected) end with the user. */
  preference?: boolean;
}

function typeName(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'a list' : typeof v === 'object' ? 'an object' : typeof v === 'number' ? 'a number' : typeof v === 'boolean' ? 'a boolean' : typeof v;
}

function isBlank(s: string): boolean {
  const n = s.length;
  if (n === 0) return true;
  const c = s.charCodeAt(0);
  // Most text starts with a visible character: decide without allocating.
  if (c > 32 && c !== 160 && c !== 0x3000) return false;
  return s.trim().length === 0;
}

/** Text of a content value: a string, or OpenAI / LLaMA-Factory lists of parts (text parts joined). */
export function contentText(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (!Array.isArray(v)) return undefined;
  let out = '';
  for (const p of v) {
    if (typeof p === 'string') out += p;
    else if (p && typeof p === 'object') {
      const part = p as Record<string, unknown>;
      const t = part.text ?? (part.type === 'text' || part.type === undefined ? part.value : undefined);
      if (typeof t === 'string') out += t;
      else if (part.type === 'text') return undefined;
    } else return undefined;
  }
  return out;
}

/** Content parts beyond text (LLaMA-Factory v1 reasoning / tool_call, images): a turn with them is not empty. */
function hasOtherParts(v: unknown): boolean {
  if (!Array.isArray(v)) return false;
  for (const p of v) if (p && typeof p === 'object' && (p as Record<string, unknown>).type !== 'text' && (p as Record<string, unknown>).type !== undefined) return true;
  return false;
}

function control(ctx: CheckContext, text: string, path: JsonPath): void {
  if (!ctx.control) return;
  const m = ctx.control.exec(text);
  if (m) {
    ctx.facts.findings.push({
      code: 'dataset-control-token',
      severity: W,
      message: `text contains the chat-template control token '${m[0]}': the template adds its own, so this turn is wrapped twice at training time`,
      path,
      target: 'value',
      data: { token: m[0] },
    });
  }
}

function typoKeys(ctx: CheckContext, obj: Record<string, unknown>, known: ReadonlySet<string>, path: JsonPath, all: boolean, where: string): void {
  for (const key in obj) {
    if (known.has(key)) continue;
    const suggestion = closest(key, known);
    if (!all && suggestion === undefined) continue;
    ctx.facts.findings.push({
      code: 'dataset-unknown-key',
      severity: W,
      message: suggestion ? `unknown ${where} key '${key}': did you mean '${suggestion}'?` : `unknown ${where} key '${key}' (expected one of ${[...known].join(', ')})`,
      path: [...path, key],
      target: 'key',
      data: suggestion ? { key, suggestion } : { key },
    });
  }
}

/** Checks a chat record (OpenAI, ShareGPT, or chat_template with mappings). */
export function checkChat(rec: Record<string, unknown>, shape: ChatShape, format: DatasetFormat, ctx: CheckContext): void {
  const f = ctx.facts.findings;
  const field = shape.field;
  let list = rec[field];
  if (list === undefined || list === null) {
    const other = ['messages', 'conversations'].find((k) => k !== field && Array.isArray(rec[k]));
    f.push({
      code: 'dataset-missing-messages',
      severity: E,
      message: other ? `no '${field}' list; this record has '${other}' (set field_messages: ${other}, or rename the key)` : `no '${field}' list of messages`,
      path: [],
      target: 'record',
      data: other ? { field, found: other } : { field },
    });
    return;
  }
  if (typeof list === 'string') {
    // Axolotl decodes messages stored as a JSON string.
    try {
      list = JSON.parse(list) as unknown;
    } catch {
      /* reported below as not a list */
    }
  }
  if (!Array.isArray(list)) {
    f.push({ code: 'dataset-missing-messages', severity: E, message: `'${field}' must be a list of messages, found ${typeName(list)}`, path: [field], target: 'value' });
    return;
  }
  if (list.length === 0) {
    f.push({ code: 'dataset-empty-messages', severity: E, message: `'${field}' is empty: the record has nothing to train on`, path: [field], target: 'value' });
    return;
  }
  typoKeys(ctx, rec, shape.recordKeys, [], false, 'record');
  const { roleKey, contentKey, roles } = shape;
  const seq: (Role | undefined)[] = [];
  const callIds = new Set<string>();
  const hasher = ctx.hasher;
  for (let k = 0; k < list.length; k++) {
    const m = list[k] as unknown;
    const path: JsonPath = [field, k];
    if (!m || typeof m !== 'object' || Array.isArray(m)) {
      f.push({ code: 'dataset-message-not-object', severity: E, message: `message ${k + 1} must be an object with '${roleKey}' and '${contentKey}', found ${typeName(m)}`, path, target: 'value' });
      seq.push(undefined);
      continue;
    }
    const msg = m as Record<string, unknown>;
    ctx.facts.messages++;
    // Role.
    const rawRole = msg[roleKey];
    let role: Role | undefined;
    if (rawRole === undefined || rawRole === null) {
      f.push({ code: 'dataset-message-missing-role', severity: E, message: `message ${k + 1} has no '${roleKey}'`, path, target: 'value', data: { key: roleKey } });
    } else if (typeof rawRole !== 'string') {
      f.push({ code: 'dataset-message-missing-role', severity: E, message: `'${roleKey}' must be a string, found ${typeName(rawRole)}`, path: [...path, roleKey], target: 'value', data: { key: roleKey } });
    } else {
      role = roles.get(rawRole);
      ctx.facts.roles.set(rawRole, (ctx.facts.roles.get(rawRole) ?? 0) + 1);
      if (role === undefined) {
        const known = [...roles.keys()];
        const suggestion = closest(rawRole, known) ?? ROLE_ALIASES[rawRole.toLowerCase()]?.find((r) => roles.has(r));
        const fix = shape.rolesFromConfig ? 'add it to the config\'s roles: mapping' : format === 'chat_template' ? 'map it with roles: in the dataset entry' : `expected ${known.join(', ')}`;
        f.push({
          code: 'dataset-unknown-role',
          severity: E,
          message: `unknown role '${rawRole}'${suggestion ? `: did you mean '${suggestion}'?` : ` (${fix})`} Loaders drop or reject such records.`,
          path: [...path, roleKey],
          target: 'value',
          data: suggestion ? { role: rawRole, suggestion } : { role: rawRole },
        });
      }
    }
    seq.push(role);
    // Content.
    const rawContent = msg[contentKey];
    const toolCalls = msg.tool_calls;
    const hasCalls = Array.isArray(toolCalls) && toolCalls.length > 0;
    if (rawContent === undefined || rawContent === null) {
      if (!(role === 'assistant' && (hasCalls || msg.function_call !== undefined))) {
        f.push({
          code: 'dataset-message-missing-content',
          severity: E,
          message: rawContent === null ? `message ${k + 1} has '${contentKey}': null` : `message ${k + 1} has no '${contentKey}'`,
          path: rawContent === null ? [...path, contentKey] : path,
          target: 'value',
          data: { key: contentKey },
        });
      }
    } else {
      const text = contentText(rawContent);
      if (text === undefined) {
        f.push({ code: 'dataset-content-not-string', severity: E, message: `'${contentKey}' must be a string (or a list of text parts), found ${typeName(rawContent)}`, path: [...path, contentKey], target: 'value' });
      } else {
        ctx.facts.chars += text.length;
        if (hasher) {
          hasher.add(typeof rawRole === 'string' ? (role ?? rawRole) : '');
          hasher.add(text);
          // Images, audio and tool-call parts make two turns with the same text different.
          if (Array.isArray(rawContent) && hasOtherParts(rawContent)) hasher.add(JSON.stringify(rawContent));
        }
        if (isBlank(text) && !hasCalls && !hasOtherParts(rawContent)) {
          const assistant = role === 'assistant';
          f.push({
            code: 'dataset-empty-content',
            severity: assistant ? E : W,
            message: assistant ? `empty ${rawRole as string} turn: the model is trained to answer with nothing` : `empty ${typeof rawRole === 'string' ? rawRole : 'message'} content`,
            path: [...path, contentKey],
            target: 'value',
          });
        } else if (ctx.control) control(ctx, text, [...path, contentKey]);
        if (rawRole === 'function_call' && format === 'sharegpt') checkFunctionCallValue(ctx, text, [...path, contentKey]);
      }
    }
    // Keys beyond role and content.
    for (const key in msg) {
      if (key === roleKey || key === contentKey) continue;
      if (!shape.messageKeys.has(key)) {
        const suggestion = closest(key, shape.messageKeys);
        if (shape.strictMessageKeys || suggestion !== undefined) {
          f.push({
            code: 'dataset-unknown-key',
            severity: W,
            message: suggestion ? `unknown message key '${key}': did you mean '${suggestion}'?` : `unknown message key '${key}' (OpenAI accepts ${[...shape.messageKeys].join(', ')})`,
            path: [...path, key],
            target: 'key',
            data: suggestion ? { key, suggestion } : { key },
          });
        }
      }
    }
    if ('weight' in msg || 'loss_weight' in msg) checkWeight(ctx, msg, role, path);
    if (toolCalls !== undefined) checkToolCalls(ctx, toolCalls, role, [...path, 'tool_calls'], callIds, hasher);
    if (role === 'tool' && typeof msg.tool_call_id === 'string' && callIds.size > 0 && !callIds.has(msg.tool_call_id)) {
      f.push({ code: 'dataset-unknown-tool-call-id', severity: W, message: `tool_call_id '${msg.tool_call_id}' matches no earlier tool call (${[...callIds].join(', ')})`, path: [...path, 'tool_call_id'], target: 'value' });
    }
  }
  checkOrder(ctx, seq, list as unknown[], shape, format);
  if (rec[shape.toolsField] !== undefined) checkTools(ctx, rec[shape.toolsField], shape.toolsField);
  if (Array.isArray(rec.images) || Array.isArray(rec.videos) || Array.isArray(rec.audios)) checkMedia(ctx, rec, list as unknown[], shape);
}

/** `tools`: a list (or LLaMA-Factory's JSON string of one) of objects with a name; empty means none. */
function checkTools(ctx: CheckContext, raw: unknown, field: string): void {
  if (raw === null || raw === '' || (Array.isArray(raw) && raw.length === 0)) return;
  let v: unknown = raw;
  if (typeof raw === 'string') {
    try {
      v = JSON.parse(raw) as unknown;
    } catch {
      ctx.facts.findings.push({ code: 'dataset-invalid-tools', severity: W, message: `'${field}' is a string but not valid JSON (a JSON list of tool definitions is expected)`, path: [field], target: 'value' });
      return;
    }
  }
  const named = (t: unknown) => {
    if (!t || typeof t !== 'object') return false;
    const o = t as Record<string, unknown>;
    const fn = o.function as Record<string, unknown> | undefined;
    return typeof o.name === 'string' || (fn !== undefined && typeof fn === 'object' && typeof fn.name === 'string');
  };
  if (!Array.isArray(v) || !v.every(named)) {
    ctx.facts.findings.push({ code: 'dataset-invalid-tools', severity: W, message: `'${field}' should be a list of tool definitions, each with a name (or a function with a name)`, path: [field], target: 'value' });
  }
}

/** LLaMA-Factory: the <image> / <video> / <audio> placeholders in the text must match the media lists. */
function checkMedia(ctx: CheckContext, rec: Record<string, unknown>, list: unknown[], shape: ChatShape): void {
  const texts: string[] = [];
  for (const m of list) {
    const c = m && typeof m === 'object' ? (m as Record<string, unknown>)[shape.contentKey] : undefined;
    // Content parts carry media as parts, not placeholders: nothing to count.
    if (Array.isArray(c)) return;
    if (typeof c === 'string') texts.push(c);
  }
  for (const kind of ['image', 'video', 'audio'] as const) {
    const media = rec[`${kind}s`];
    if (!Array.isArray(media)) continue;
    const tag = `<${kind}>`;
    let n = 0;
    for (const t of texts) for (let i = t.indexOf(tag); i >= 0; i = t.indexOf(tag, i + tag.length)) n++;
    if (n !== media.length) {
      ctx.facts.findings.push({
        code: 'dataset-media-mismatch',
        severity: E,
        message: `${n} ${tag} placeholder${n === 1 ? '' : 's'} in the messages but ${media.length} ${kind}${media.length === 1 ? '' : 's'} in '${kind}s': LLaMA-Factory rejects the record`,
        path: [`${kind}s`],
        target: 'key',
      });
    }
  }
}

/** Common wrong role names and what they usually mean. */
const ROLE_ALIASES: Record<string, string[]> = {
  bot: ['gpt', 'assistant'],
  model: ['gpt', 'assistant'],
  ai: ['gpt', 'assistant'],
  chatgpt: ['gpt', 'assistant'],
  answer: ['gpt', 'assistant'],
  response: ['gpt', 'assistant'],
  question: ['human', 'user'],
  prompt: ['human', 'user'],
  humans: ['human', 'user'],
  person: ['human', 'user'],
  instruction: ['human', 'user'],
  sys: ['system'],
  function: ['function_call', 'tool'],
  observation: ['tool'],
  function_call: ['assistant'],
};

function checkFunctionCallValue(ctx: CheckContext, text: string, path: JsonPath): void {
  let ok = false;
  try {
    const v = JSON.parse(text) as unknown;
    const calls = Array.isArray(v) ? v : [v];
    ok = calls.length > 0 && calls.every((c) => c && typeof c === 'object' && typeof (c as Record<string, unknown>).name === 'string');
  } catch {
    ok = false;
  }
  if (!ok) ctx.facts.findings.push({ code: 'dataset-invalid-tool-call', severity: W, message: 'a function_call turn should hold JSON {"name": ..., "arguments": {...}}', path, target: 'value' });
}

function checkWeight(ctx: CheckContext, msg: Record<string, unknown>, role: Role | undefined, path: JsonPath): void {
  const key = 'weight' in msg ? 'weight' : 'loss_weight';
  const w = msg[key];
  if (w !== 0 && w !== 1) {
    ctx.facts.findings.push({ code: 'dataset-invalid-weight', severity: E, message: `'${key}' must be 0 or 1, found ${JSON.stringify(w)}`, path: [...path, key], target: 'value' });
  } else if (key === 'weight' && role !== undefined && role !== 'assistant') {
    ctx.facts.findings.push({ code: 'dataset-invalid-weight', severity: W, message: `'weight' only applies to assistant messages; on a ${role} message it is ignored`, path: [...path, key], target: 'key' });
  }
}

function checkToolCalls(ctx: CheckContext, calls: unknown, role: Role | undefined, path: JsonPath, ids: Set<string>, hasher?: RecordHasher): void {
  const f = ctx.facts.findings;
  if (!Array.isArray(calls)) {
    f.push({ code: 'dataset-invalid-tool-call', severity: E, message: `'tool_calls' must be a list, found ${typeName(calls)}`, path, target: 'value' });
    return;
  }
  if (role !== undefined && role !== 'assistant') {
    f.push({ code: 'dataset-invalid-tool-call', severity: W, message: `'tool_calls' belongs on assistant messages, not ${role}`, path, target: 'key' });
  }
  calls.forEach((c: unknown, i) => {
    const p = [...path, i];
    const fn = c && typeof c === 'object' ? (c as Record<string, unknown>).function : undefined;
    if (!fn || typeof fn !== 'object') {
      f.push({ code: 'dataset-invalid-tool-call', severity: E, message: 'a tool call needs a \'function\' object with \'name\' and \'arguments\'', path: p, target: 'value' });
      return;
    }
    const { name, arguments: args } = fn as Record<string, unknown>;
    const id = (c as Record<string, unknown>).id;
    if (typeof id === 'string') ids.add(id);
    if (typeof name !== 'string' || name.length === 0) f.push({ code: 'dataset-invalid-tool-call', severity: E, message: "the tool call's function has no 'name'", path: [...p, 'function'], target: 'value' });
    if (typeof args !== 'string') {
      f.push({ code: 'dataset-invalid-tool-call', severity: E, message: `'arguments' must be a JSON-encoded string, found ${typeName(args)}`, path: [...p, 'function', 'arguments'], target: 'value' });
    } else {
      try {
        JSON.parse(args);
      } catch {
        f.push({ code: 'dataset-invalid-tool-call', severity: W, message: "'arguments' is not valid JSON", path: [...p, 'function', 'arguments'], target: 'value' });
      }
    }
    if (hasher) hasher.add(`${String(name)}(${String(args)})`);
  });
}

function checkOrder(ctx: CheckContext, seq: (Role | undefined)[], list: unknown[], shape: ChatShape, format: DatasetFormat): void {
  const raw = (k: number): string => String((list[k] as Record<string, unknown>)[shape.roleKey]);
  const f = ctx.facts.findings;
  const rolePath = (k: number): JsonPath => [shape.field, k, shape.roleKey];
  let sawAssistant = false;
  let firstTurn = -1;
  let prev: Role | undefined;
  let prevHasCalls = false;
  for (let k = 0; k < seq.length; k++) {
    const r = seq[k];
    if (r === undefined) {
      prev = undefined;
      continue;
    }
    if (r === 'assistant') sawAssistant = true;
    if (r === 'system') {
      if (k > 0 && seq.slice(0, k).some((x) => x !== 'system')) {
        f.push({ code: 'dataset-system-not-first', severity: W, message: 'a system message after the conversation has started: most chat templates accept it only first (some raise an error)', path: rolePath(k), target: 'value' });
      }
      prev = r;
      continue;
    }
    if (firstTurn < 0) {
      firstTurn = k;
      if (r === 'assistant') {
        f.push({
          code: 'dataset-starts-with-assistant',
          severity: W,
          message: format === 'sharegpt' ? 'the conversation starts with the assistant: FastChat drops this turn and LLaMA-Factory skips the record' : 'the conversation starts with the assistant, before any user turn',
          path: rolePath(k),
          target: 'value',
        });
      }
    } else if (prev !== undefined && prev !== 'system') {
      const bad = (r === prev && (r === 'user' || (r === 'assistant' && !prevHasCalls))) || (r === 'tool' && prev !== 'assistant' && prev !== 'tool');
      if (bad) {
        f.push({
          code: 'dataset-role-alternation',
          severity: W,
          message: r === 'tool' ? `a tool result after a ${raw(k - 1)} turn (expected after an assistant tool call)` : `two ${raw(k)} turns in a row: roles should alternate user/assistant (LLaMA-Factory skips such records; some templates raise)`,
          path: rolePath(k),
          target: 'value',
        });
      }
    }
    const m = list[k] as Record<string, unknown>;
    prevHasCalls = Array.isArray(m.tool_calls) || (format === 'sharegpt' && m[shape.roleKey] === 'function_call');
    prev = r;
  }
  if (ctx.preference) return;
  // An unknown role already explains a missing assistant turn (often a misspelt 'assistant').
  if (!sawAssistant && seq.some((r) => r !== undefined) && !seq.some((r) => r === undefined)) {
    f.push({ code: 'dataset-no-assistant', severity: E, message: 'no assistant turn: nothing in this record is trained', path: [shape.field], target: 'key' });
    return;
  }
  const last = seq.length - 1;
  const lastRole = seq[last];
  if (sawAssistant && lastRole !== undefined && lastRole !== 'assistant') {
    f.push({
      code: 'dataset-ends-without-assistant',
      severity: W,
      message: `the conversation ends with a ${raw(last)} turn that is never answered${format === 'sharegpt' ? ' (LLaMA-Factory skips records with an odd number of turns)' : ''}`,
      path: rolePath(last),
      target: 'value',
    });
  }
}

const ALPACA_KEYS: ReadonlySet<string> = new Set(RECORD_KEYS.alpaca);

/** Checks an Alpaca record. */
export function checkAlpaca(rec: Record<string, unknown>, ctx: CheckContext): void {
  const f = ctx.facts.findings;
  typoKeys(ctx, rec, ALPACA_KEYS, [], false, 'Alpaca');
  const field = (key: string, required: boolean): string | undefined => {
    const v = rec[key];
    if (v === undefined || v === null) {
      if (required) {
        const alt = key === 'output' ? ['response', 'answer', 'completion'].find((k) => typeof rec[k] === 'string') : key === 'instruction' ? ['prompt', 'question', 'query'].find((k) => typeof rec[k] === 'string') : undefined;
        f.push({
          code: 'dataset-alpaca-missing-field',
          severity: E,
          message: `Alpaca record without '${key}'${alt ? `; it has '${alt}' (rename it, or use the Axolotl type that reads '${alt}')` : ''}`,
          path: [],
          target: 'record',
          data: alt ? { field: key, found: alt } : { field: key },
        });
      }
      return undefined;
    }
    if (typeof v !== 'string') {
      f.push({ code: 'dataset-content-not-string', severity: E, message: `'${key}' must be a string, found ${typeName(v)}`, path: [key], target: 'value' });
      return undefined;
    }
    ctx.facts.chars += v.length;
    return v;
  };
  const instruction = field('instruction', true);
  const input = field('input', false);
  const output = field('output', !ctx.preference);
  const system = field('system', false);
  for (const [key, v] of [['instruction', instruction], ['input', input], ['output', output], ['system', system]] as const) {
    if (v === undefined) continue;
    if (ctx.hasher) ctx.hasher.add(v);
    if (key === 'output' && isBlank(v)) f.push({ code: 'dataset-empty-content', severity: E, message: "empty 'output': the model is trained to answer with nothing", path: [key], target: 'value' });
    else if (key === 'instruction' && isBlank(v) && (input === undefined || isBlank(input))) f.push({ code: 'dataset-empty-content', severity: W, message: "empty 'instruction' and 'input': the prompt is empty", path: [key], target: 'value' });
    else control(ctx, v, [key]);
  }
  ctx.facts.messages += output !== undefined ? 2 : 1;
  const h = rec.history;
  if (h !== undefined && h !== null) {
    const ok = Array.isArray(h) && h.every((pair) => Array.isArray(pair) && pair.length === 2 && typeof pair[0] === 'string' && typeof pair[1] === 'string');
    if (!ok) f.push({ code: 'dataset-invalid-history', severity: E, message: "'history' must be a list of [prompt, response] string pairs", path: ['history'], target: 'value' });
    else if (ctx.hasher) for (const [a, b] of h as [string, string][]) {
      ctx.hasher.add(a);
      ctx.hasher.add(b);
    }
  }
}

/** Checks a completion (plain text) record. */
export function checkCompletion(rec: Record<string, unknown>, field: string, ctx: CheckContext): void {
  const v = rec[field];
  if (typeof v !== 'string') {
    ctx.facts.findings.push({
      code: 'dataset-missing-text',
      severity: E,
      message: v === undefined ? `no '${field}' text` : `'${field}' must be a string, found ${typeName(v)}`,
      path: v === undefined ? [] : [field],
      target: v === undefined ? 'record' : 'value',
    });
    return;
  }
  ctx.facts.chars += v.length;
  if (ctx.hasher) ctx.hasher.add(v);
  if (isBlank(v)) ctx.facts.findings.push({ code: 'dataset-empty-content', severity: W, message: `empty '${field}'`, path: [field], target: 'value' });
  else control(ctx, v, [field]);
}
