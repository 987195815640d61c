/**
 * The OpenAI-compatible HTTP protocol, typed once: what `tunelab serve` (trainer/serve) answers
 * and what `tunelab generate-data` (common/datagen) sends. Only the fields Tunelab reads or
 * writes are typed. `parseChatRequest` / `parseCompletionRequest` check a request body the way
 * the OpenAI API does and say what is wrong as an OpenAI error (status, message, param).
 */

/** A chat message as sent: content is a string or a list of parts (only text parts are read). */
export interface ChatMessageIn {
  role: 'system' | 'user' | 'assistant' | 'tool' | 'developer';
  content: string | { type: string; text?: string }[] | null;
  name?: string;
}

/** Sampling and length settings common to both endpoints (already checked). */
export interface SamplingRequest {
  model: string;
  /** New tokens at most; undefined = up to the model's context. */
  maxTokens?: number;
  temperature: number;
  topP: number;
  /** Sampling seed; undefined = a fresh one per request (as OpenAI), so repeated requests differ. */
  seed?: number;
  stop: string[];
  stream: boolean;
  /** `stream_options.include_usage`: a last chunk with usage and no choices. */
  streamUsage: boolean;
  /** vLLM's extension `ignore_eos`: generate max_tokens even past EOS / end of turn (benchmarks). */
  ignoreEos: boolean;
}

export interface ChatRequest extends SamplingRequest {
  messages: { role: 'system' | 'user' | 'assistant' | 'tool'; content: string }[];
}

export interface CompletionRequest extends SamplingRequest {
  /** Text, or token ids. */
  prompt: string | number[];
}

/** Token counts as OpenAI reports them. */
export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

export type FinishReason = 'stop' | 'length';

/** A non-streaming chat answer. */
export interface ChatCompletion {
  id: string;
  object: 'chat.completion';
  created: number;
  model: string;
  choices: { index: number; message: { role: 'assistant'; content: string }; finish_reason: FinishReason; logprobs: null }[];
  usage: Usage;
  system_fingerprint?: string;
}

/** One streamed chat chunk (`data: {...}` in the SSE stream). */
export interface ChatCompletionChunk {
  id: string;
  object: 'chat.completion.chunk';
  created: number;
  model: string;
  choices: { index: number; delta: { role?: 'assistant'; content?: string }; finish_reason: FinishReason | null; logprobs: null }[];
  usage?: Usage | null;
}

/** A text completion (or one streamed chunk of it: same object name, as OpenAI does). */
export interface TextCompletion {
  id: string;
  object: 'text_completion';
  created: number;
  model: string;
  choices: { index: number; text: string; finish_reason: FinishReason | null; logprobs: null }[];
  usage?: Usage | null;
}

/** One entry of `GET /v1/models`. */
export interface ModelCard {
  id: string;
  object: 'model';
  created: number;
  owned_by: string;
  /** The base model of an adapter (vLLM's field); null for the base itself. */
  parent: string | null;
}

/** The error body every OpenAI endpoint uses. */
export interface OpenAiErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

/** An error to answer with: HTTP status and the OpenAI body fields. */
export interface ApiError {
  status: number;
  message: string;
  type: string;
  param: string | null;
  code: string | null;
}

export function apiError(status: number, message: string, param: string | null = null, code: string | null = null, type = 'invalid_request_error'): ApiError {
  return { status, message, type, param, code };
}

export const errorBody = (e: ApiError): OpenAiErrorBody => ({ error: { message: e.message, type: e.type, param: e.param, code: e.code } });

type Parsed<T> = { ok: true; value: T } | { ok: false; error: ApiError };
const bad = (message: string, param: string | null, code = 'invalid_value'): { ok: false; error: ApiError } => ({ ok: false, error: apiError(400, message, param, code) });

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const describe = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v === 'string' ? `"${v.length > 40 ? `${v.slice(0, 40)}…` : v}"` : String(v));

function numberIn(body: Record<string, unknown>, key: string, lo: number, hi: number, fallback: number, { integer = false, loOpen = false } = {}): Parsed<number> {
  const v = body[key];
  if (v === undefined || v === null) return { ok: true, value: fallback };
  if (typeof v !== 'number' || !Number.isFinite(v) || (integer && !Number.isInteger(v))) return bad(`'${key}' must be ${integer ? 'an integer' : 'a number'}, got ${describe(v)}`, key, 'invalid_type');
  if (v > hi || v < lo || (loOpen && v === lo)) return bad(`'${key}' must be ${loOpen ? `> ${lo}` : `>= ${lo}`} and <= ${hi}, got ${v}`, key);
  return { ok: true, value: v };
}

/** Fields both endpoints share. `maxKey` is the request's name for the length limit. */
function parseSampling(body: Record<string, unknown>, maxKeys: string[]): Parsed<SamplingRequest> {
  if (typeof body.model !== 'string' || body.model === '') return bad("'model' is required (a model id from GET /v1/models)", 'model', 'missing_required_parameter');
  let maxTokens: number | undefined;
  for (const key of maxKeys) {
    const v = body[key];
    if (v === undefined || v === null) continue;
    if (typeof v !== 'number' || !Number.isInteger(v)) return bad(`'${key}' must be an integer, got ${describe(v)}`, key, 'invalid_type');
    if (v < 1) return bad(`'${key}' must be at least 1, got ${v}`, key);
    maxTokens = v;
  }
  const temperature = numberIn(body, 'temperature', 0, 2, 1);
  if (!temperature.ok) return temperature;
  const topP = numberIn(body, 'top_p', 0, 1, 1, { loOpen: true });
  if (!topP.ok) return topP;
  const seed = numberIn(body, 'seed', 0, 2 ** 53, 0, { integer: true });
  if (!seed.ok) return seed;
  const n = numberIn(body, 'n', 1, 1, 1, { integer: true });
  if (!n.ok) return bad(`only 'n': 1 is supported (one generation at a time), got ${describe(body.n)}`, 'n', 'unsupported_value');
  for (const key of ['presence_penalty', 'frequency_penalty']) {
    const p = numberIn(body, key, -2, 2, 0);
    if (!p.ok) return p;
    if (p.value !== 0) return bad(`'${key}' is not supported by tunelab serve (omit it or send 0)`, key, 'unsupported_value');
  }
  if (body.logprobs !== undefined && body.logprobs !== null && body.logprobs !== false) return bad("'logprobs' is not supported by tunelab serve", 'logprobs', 'unsupported_value');
  // Constrained output cannot be honoured; saying so beats returning free text a client then fails to parse.
  const rf = body.response_format;
  if (isObject(rf) && rf.type !== undefined && rf.type !== 'text') return bad(`'response_format' type ${describe(rf.type)} is not supported by tunelab serve (only "text")`, 'response_format', 'unsupported_value');
  let stop: string[] = [];
  if (typeof body.stop === 'string') stop = [body.stop];
  else if (Array.isArray(body.stop)) {
    if (body.stop.length > 4 || !body.stop.every((s) => typeof s === 'string')) return bad("'stop' must be a string or a list of at most 4 strings", 'stop');
    stop = body.stop as string[];
  } else if (body.stop !== undefined && body.stop !== null) return bad(`'stop' must be a string or a list of strings, got ${describe(body.stop)}`, 'stop', 'invalid_type');
  stop = stop.filter((s) => s !== '');
  if (body.stream !== undefined && body.stream !== null && typeof body.stream !== 'boolean') return bad(`'stream' must be a boolean, got ${describe(body.stream)}`, 'stream', 'invalid_type');
  const so = body.stream_options;
  if (so !== undefined && so !== null && !isObject(so)) return bad("'stream_options' must be an object", 'stream_options', 'invalid_type');
  if (body.ignore_eos !== undefined && body.ignore_eos !== null && typeof body.ignore_eos !== 'boolean') return bad(`'ignore_eos' must be a boolean, got ${describe(body.ignore_eos)}`, 'ignore_eos', 'invalid_type');
  return {
    ok: true,
    value: { ignoreEos: body.ignore_eos === true, model: body.model, maxTokens, temperature: temperature.value, topP: topP.value, seed: body.seed === undefined || body.seed === null ? undefined : seed.value, stop, stream: body.stream === true, streamUsage: isObject(so) && so.include_usage === true },
  };
}

const ROLES = new Set(['system', 'developer', 'user', 'assistant', 'tool']);

/** Checks a `POST /v1/chat/completions` body. */
export function parseChatRequest(body: unknown): Parsed<ChatRequest> {
  if (!isObject(body)) return bad('the request body must be a JSON object', null, 'invalid_type');
  const common = parseSampling(body, ['max_tokens', 'max_completion_tokens']);
  if (!common.ok) return common;
  if (!Array.isArray(body.messages) || body.messages.length === 0) return bad("'messages' is required: a non-empty list of {role, content}", 'messages', 'missing_required_parameter');
  if (Array.isArray(body.tools) && body.tools.length > 0) return bad("'tools' are not supported by tunelab serve", 'tools', 'unsupported_value');
  const messages: ChatRequest['messages'] = [];
  for (const [i, m] of (body.messages as unknown[]).entries()) {
    const param = `messages[${i}]`;
    if (!isObject(m)) return bad(`${param} must be an object with 'role' and 'content'`, param, 'invalid_type');
    if (typeof m.role !== 'string' || !ROLES.has(m.role)) return bad(`${param}.role must be one of system, developer, user, assistant, tool; got ${describe(m.role)}`, `${param}.role`);
    let content: string;
    if (typeof m.content === 'string') content = m.content;
    else if (Array.isArray(m.content)) {
      const parts = m.content as unknown[];
      const other = parts.find((p) => !isObject(p) || p.type !== 'text' || typeof p.text !== 'string');
      if (other !== undefined) return bad(`${param}.content: only text parts ({"type": "text", "text": ...}) are supported`, `${param}.content`, 'unsupported_value');
      content = parts.map((p) => (p as { text: string }).text).join('');
    } else return bad(`${param}.content must be a string or a list of text parts, got ${describe(m.content)}`, `${param}.content`, 'invalid_type');
    // OpenAI's newer 'developer' role is the system prompt for models that have one.
    messages.push({ role: m.role === 'developer' ? 'system' : (m.role as ChatRequest['messages'][number]['role']), content });
  }
  return { ok: true, value: { ...common.value, messages } };
}

/** Checks a `POST /v1/completions` body. */
export function parseCompletionRequest(body: unknown): Parsed<CompletionRequest> {
  if (!isObject(body)) return bad('the request body must be a JSON object', null, 'invalid_type');
  const common = parseSampling(body, ['max_tokens']);
  if (!common.ok) return common;
  let prompt: string | number[];
  const p = body.prompt;
  if (typeof p === 'string') prompt = p;
  else if (Array.isArray(p) && p.length === 1 && typeof p[0] === 'string') prompt = p[0];
  else if (Array.isArray(p) && p.length > 0 && p.every((x) => typeof x === 'number' && Number.isInteger(x) && x >= 0)) prompt = p as number[];
  else if (Array.isArray(p) && p.length > 1) return bad("'prompt': only one prompt per request is supported (a string or a list of token ids)", 'prompt', 'unsupported_value');
  else return bad("'prompt' is required: a string or a list of token ids", 'prompt', 'missing_required_parameter');
  if (prompt === '' || (Array.isArray(prompt) && prompt.length === 0)) return bad("'prompt' is empty", 'prompt');
  if (body.echo === true) return bad("'echo' is not supported by tunelab serve", 'echo', 'unsupported_value');
  if (typeof body.suffix === 'string' && body.suffix !== '') return bad("'suffix' is not supported by tunelab serve", 'suffix', 'unsupported_value');
  return { ok: true, value: { ...common.value, prompt } };
}
