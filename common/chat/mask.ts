/**
 * Loss masking for chat records, following Axolotl's `chat_template` strategy:
 * - a message's content is trained when its `weight` says so (OpenAI 0/1), else when
 *   `train_on_inputs` is true or its role is in `roles_to_train` (default `["assistant"]`);
 *   the template's own text (role headers, separators) is never trained;
 * - the first end-of-turn token (`eot_tokens`, default the EOS token) and the first EOS within 3
 *   tokens after a content are trained per `train_on_eot` / `train_on_eos`: `turn` (after trained
 *   turns), `all` (after every turn), `last` (only the last one found), `none`;
 * - an empty content trains nothing, not even its closing token.
 *
 * Turns are found in the rendered text by rendering the conversation again with one message
 * replaced by a placeholder turn (role and content only, as Axolotl's): what differs is that
 * turn's text, wherever the template put it (Mistral puts the system prompt into the last user
 * turn), tool calls and rendered reasoning included. A single render with invisible sentinels
 * around every plain content is tried first and used when it provably reproduces the text.
 */
import type { Conversation } from '../dataset/types';
import { fail, guard, ok, type Outcome } from './errors';
import { finishExample, type MaskedExample, type TrainOnEos, type TurnSpan } from './example';
import type { ChatModel } from './model';
import { withSpecialTokens, type SpecialTokens } from './specialTokens';
import { encodeWithOffsets, type TokenOffsets } from './offsets';
import { renderTemplate, resolveChatTemplate, type RenderOptions, type TemplateChoice, type TemplateMessage } from './render';

/** Axolotl's masking keys (camelCase) plus the template choice. */
export interface MaskOptions extends TemplateChoice {
  /** Train every message's content, whatever its role (default false). */
  trainOnInputs?: boolean;
  /** Roles whose content is trained (default `["assistant"]`; `human`/`gpt` are accepted as user/assistant). */
  rolesToTrain?: readonly string[];
  trainOnEos?: TrainOnEos;
  /** Defaults to `trainOnEos`. */
  trainOnEot?: TrainOnEos;
  /** End-of-turn tokens (default: the EOS token); each must be a single token. */
  eotTokens?: readonly string[];
  /** Cut examples longer than this many tokens (reported as `truncated`). */
  sequenceLen?: number;
  /** Extra template variables (Axolotl `chat_template_kwargs`). */
  chatTemplateKwargs?: Readonly<Record<string, unknown>>;
  /** Drop a leading system message (Axolotl `drop_system_message`). */
  dropSystemMessage?: boolean;
  /** The config's `special_tokens`, applied to the model first (`withSpecialTokens`). */
  specialTokens?: SpecialTokens;
}

const ROLE_ALIASES: Readonly<Record<string, string>> = { human: 'user', gpt: 'assistant' };

/** Token ids that close turns, checked as Axolotl checks them. */
interface StopTokens {
  eot: Set<number>;
  eos: number | undefined;
  /** Every id that counts as "the model learns to stop". */
  all: Set<number>;
}

/** Resolves `eot_tokens` and the EOS id; fails when an EOT token is not a single token or options conflict. */
export function stopTokensFor(model: ChatModel, options: MaskOptions, templateSource?: string): Outcome<StopTokens> {
  const eosOpt = options.trainOnEos ?? 'turn';
  const eotOpt = options.trainOnEot ?? eosOpt;
  let names = options.eotTokens ?? (model.eosToken !== undefined ? [model.eosToken] : []);
  // Axolotl ignores explicit EOT tokens that the template never emits.
  if (options.eotTokens && templateSource !== undefined && !(names.length === 1 && names[0] === model.eosToken))
    names = names.filter((t) => templateSource.includes(t));
  const eot = new Set<number>();
  for (const t of names) {
    const idsOf = model.tokenizer.encode(t, { add_special_tokens: false }).ids;
    if (idsOf.length !== 1)
      return fail(
        'chat-eot-token-invalid',
        `end-of-turn token "${t}" is ${idsOf.length === 0 ? 'empty' : `${idsOf.length} tokens (${idsOf.join(', ')})`}, not one token; add it to the tokenizer (Axolotl: tokens / added_tokens_overrides)`,
        model.dir,
      );
    eot.add(idsOf[0]!);
  }
  if (model.eosToken !== undefined && names.includes(model.eosToken) && eosOpt !== eotOpt)
    return fail(
      'chat-train-on-eos-conflict',
      `the EOS token "${model.eosToken}" is an end-of-turn token, so train_on_eos (${eosOpt}) and train_on_eot (${eotOpt}) must agree`,
    );
  const all = new Set<number>([...eot, ...model.stopTokenIds]);
  if (model.eosTokenId !== undefined) all.add(model.eosTokenId);
  return ok({ eot, eos: model.eosTokenId, all });
}

/** The messages as the template sees them (role, content and every other field the record has). */
function templateMessages(conversation: Conversation, options: MaskOptions): TemplateMessage[] {
  const msgs = conversation.messages.map((m) => ({ ...m }) as TemplateMessage);
  if (options.dropSystemMessage && msgs[0]?.role === 'system') msgs.shift();
  return msgs;
}

// Private-use code points: never in real text, not whitespace (templates' trim leaves them).
const OPEN = '\uE000';
const CLOSE = '\uE001';
const PLACEHOLDER = '\uE002';

type Span = [number, number] | undefined;

/** The sentinel naming message `k`'s content, or its reasoning (a supplementary private-use character). */
const tagOf = (k: number, reasoning = false) => String.fromCodePoint(0xf0000 + k + (reasoning ? 0x8000 : 0));

/**
 * Content spans from one render with sentinels (`OPEN tag(k) content CLOSE` for message k, and
 * the same around `reasoning_content`), or undefined when stripping the sentinels does not give
 * back the plain render exactly (a template that trims, tests or transforms content). A message's
 * span runs from its reasoning (when the template renders it) to the end of its content, as
 * Axolotl's comparison with a placeholder turn (which has no reasoning) finds it. A content
 * rendered zero or several times gets no span here and is located by the placeholder diff instead.
 */
function spansBySentinels(model: ChatModel, source: string, msgs: TemplateMessage[], full: string, ro: RenderOptions): Span[] | undefined {
  if (msgs.length >= 0x8000 || full.includes(OPEN) || full.includes(CLOSE)) return undefined;
  // Contents with surrounding whitespace (templates often trim) or empty ones (templates test
  // them) are left as they are and located by the placeholder diff; the rest still come from here.
  // Tool calls belong to their turn (see spanByPlaceholder), so such messages are left out too.
  const markable = (c: unknown): c is string => typeof c === 'string' && c.length > 0 && c.trim() === c;
  const marked = msgs.map((m, k) => {
    const reasoning = m.reasoning_content;
    if (!markable(m.content) || (reasoning !== undefined && reasoning !== null && !markable(reasoning))) return m;
    if (Array.isArray(m.tool_calls) && m.tool_calls.length > 0) return m;
    const out: TemplateMessage = { ...m, content: OPEN + tagOf(k) + m.content + CLOSE };
    if (markable(reasoning)) out.reasoning_content = OPEN + tagOf(k, true) + reasoning + CLOSE;
    return out;
  });
  const r = renderTemplate(model, source, marked, ro);
  if (!r.ok) return undefined;
  const content: Span[] = msgs.map(() => undefined);
  const reasoning: Span[] = msgs.map(() => undefined);
  const seen = new Uint8Array(msgs.length * 2);
  let plain = '';
  let i = 0;
  const text = r.value;
  for (let at = text.indexOf(OPEN); at >= 0; at = text.indexOf(OPEN, i)) {
    const tag = (text.codePointAt(at + 1) ?? 0) - 0xf0000;
    const isReasoning = tag >= 0x8000;
    const k = isReasoning ? tag - 0x8000 : tag;
    const close = text.indexOf(CLOSE, at + 3);
    if (k < 0 || k >= msgs.length || close < 0) return undefined;
    const inner = text.slice(at + 3, close);
    if (inner.includes(OPEN)) return undefined;
    plain += text.slice(i, at);
    (isReasoning ? reasoning : content)[k] = [plain.length, plain.length + inner.length];
    seen[k * 2 + (isReasoning ? 1 : 0)]!++;
    plain += inner;
    i = close + 1;
  }
  plain += text.slice(i);
  if (plain !== full) return undefined;
  return content.map((span, k) => {
    if (span === undefined || seen[k * 2] !== 1 || seen[k * 2 + 1]! > 1) return undefined;
    const why = reasoning[k];
    return why ? [Math.min(why[0], span[0]), Math.max(why[1], span[1])] : span;
  });
}

/** Content span of message `i` by rendering it with a placeholder and diffing. */
function spanByPlaceholder(model: ChatModel, source: string, msgs: TemplateMessage[], i: number, full: string, ro: RenderOptions): Span {
  const msg = msgs[i]!;
  const { reasoning_content: _reasoning, tool_calls: _calls, ...rest } = msg;
  // Axolotl's placeholder turn is role + content only, so tool calls and reasoning count as the
  // turn's text; when a template needs the other fields (a tool message's tool_call_id), keep them.
  const candidates: TemplateMessage[] = [
    { role: msg.role, content: PLACEHOLDER },
    { ...rest, content: PLACEHOLDER },
    { ...rest, tool_calls: msg.tool_calls, content: PLACEHOLDER },
  ];
  for (const candidate of candidates) {
    const swapped = msgs.slice();
    swapped[i] = candidate;
    const r = renderTemplate(model, source, swapped, ro);
    if (!r.ok) continue;
    const other = r.value;
    if (other === full) return undefined;
    const max = Math.min(full.length, other.length);
    let a = 0;
    while (a < max && full.charCodeAt(a) === other.charCodeAt(a)) a++;
    let b = 0;
    while (b < max - a && full.charCodeAt(full.length - 1 - b) === other.charCodeAt(other.length - 1 - b)) b++;
    return [a, full.length - b];
  }
  return undefined;
}

/** First token index whose end is after `pos` (offsets are monotone). */
function firstTokenEndingAfter(offsets: TokenOffsets, pos: number): number {
  let lo = 0;
  let hi = offsets.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (offsets[mid]![1] > pos) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** Tokens overlapping `[start, end)`, as `[first, last + 1)`; undefined when none. */
export function tokensInSpan(offsets: TokenOffsets, start: number, end: number): [number, number] | undefined {
  if (end <= start) return undefined;
  let t = firstTokenEndingAfter(offsets, start);
  // Zero-width tokens never overlap anything.
  while (t < offsets.length && offsets[t]![0] === offsets[t]![1]) t++;
  if (t >= offsets.length || offsets[t]![0] >= end) return undefined;
  let u = t;
  while (u < offsets.length && offsets[u]![0] < end) u++;
  return [t, u];
}

/** The record's tools as a list (Axolotl also accepts them as a JSON string); a string result is the problem. */
function toolList(tools: unknown): unknown[] | string {
  if (tools === undefined || tools === null) return [];
  let list: unknown = tools;
  if (typeof tools === 'string') {
    try {
      list = JSON.parse(tools) as unknown;
    } catch {
      return 'the record\'s tools are a string that is not JSON';
    }
  }
  if (!Array.isArray(list) || !list.every((t) => typeof t === 'object' && t !== null && !Array.isArray(t))) return 'the record\'s tools must be a list of objects';
  return list;
}

function shouldTrain(msg: TemplateMessage, trainOnInputs: boolean, roles: ReadonlySet<string>): boolean {
  if (msg.weight === 0 || msg.weight === 1) return msg.weight === 1;
  if (typeof msg.training === 'boolean') return msg.training;
  return trainOnInputs || roles.has(msg.role);
}

/** `training_detail` spans (Axolotl `message_field_training_detail`): tokens wholly inside a `train` span. */
function applyDetail(
  detail: unknown,
  contentStart: number,
  offsets: TokenOffsets,
  range: [number, number],
  trained: boolean[],
): boolean {
  if (!Array.isArray(detail)) return false;
  for (let t = range[0]; t < range[1]; t++) {
    const [s, e] = offsets[t]!;
    trained[t] = detail.some((d: unknown) => {
      if (typeof d !== 'object' || d === null) return false;
      const { begin, end, train } = d as { begin?: unknown; end?: unknown; train?: unknown };
      return train === true && typeof begin === 'number' && typeof end === 'number' && s >= contentStart + begin && e <= contentStart + end + 1;
    });
  }
  return true;
}

/**
 * Renders a conversation with the chosen template, tokenises it and marks each token trained or
 * masked. Fails (never throws) when the template is missing or rejects the conversation.
 */
export function buildExample(model: ChatModel, conversation: Conversation, options: MaskOptions = {}): Outcome<MaskedExample> {
  return guard(() => buildChecked(model, conversation, options), 'chat-tokenizer-invalid', 'tokenising the conversation');
}

function buildChecked(loaded: ChatModel, conversation: Conversation, options: MaskOptions): Outcome<MaskedExample> {
  const view = withSpecialTokens(loaded, options.specialTokens);
  if (!view.ok) return view;
  const model = view.value;
  if (!conversation || !Array.isArray(conversation.messages) || conversation.messages.length === 0)
    return fail('chat-record-invalid', 'the conversation has no messages');
  for (const [i, m] of conversation.messages.entries()) {
    if (typeof m?.role !== 'string') return fail('chat-record-invalid', `message ${i + 1} has no role`);
    if (typeof m.content !== 'string' && !m.tool_calls) return fail('chat-record-invalid', `message ${i + 1} (${m.role}) has no text content`);
  }
  const tpl = resolveChatTemplate(model, options);
  if (!tpl.ok) return tpl;
  const source = tpl.value.source;
  const stops = stopTokensFor(model, options, source);
  if (!stops.ok) return stops;
  const msgs = templateMessages(conversation, options);
  const ro: RenderOptions = {};
  const tools = toolList(conversation.tools);
  if (!Array.isArray(tools)) return fail('chat-record-invalid', tools);
  if (tools.length > 0) ro.tools = tools;
  if (options.chatTemplateKwargs) ro.kwargs = options.chatTemplateKwargs;
  const rendered = renderTemplate(model, source, msgs, ro);
  if (!rendered.ok) return rendered;
  const text = rendered.value;
  const { ids, offsets } = encodeWithOffsets(model, text);
  const trained = new Array<boolean>(ids.length).fill(false);

  const roles = new Set((options.rolesToTrain ?? ['assistant']).map((r) => ROLE_ALIASES[r] ?? r));
  const trainOnInputs = options.trainOnInputs ?? false;
  const eosOpt = options.trainOnEos ?? 'turn';
  const eotOpt = options.trainOnEot ?? eosOpt;
  const sentinelSpans = spansBySentinels(model, source, msgs, text, ro);
  const turns: TurnSpan[] = [];
  let lastEot = -1;
  let lastEos = -1;
  const dropped = msgs.length < conversation.messages.length ? 1 : 0;

  for (let i = 0; i < msgs.length; i++) {
    const msg = msgs[i]!;
    const train = shouldTrain(msg, trainOnInputs, roles);
    const span = sentinelSpans && sentinelSpans[i] !== undefined ? sentinelSpans[i] : spanByPlaceholder(model, source, msgs, i, text, ro);
    const range = span ? tokensInSpan(offsets, span[0], span[1]) : undefined;
    const turn: TurnSpan = {
      message: i + dropped,
      role: msg.role,
      start: span ? span[0] : -1,
      end: span ? span[1] : -1,
      tokenStart: range ? range[0] : -1,
      tokenEnd: range ? range[1] : -1,
      trained: train && range !== undefined,
    };
    turns.push(turn);
    if (!range) continue;
    if (train && !applyDetail(msg.training_detail, span![0], offsets, range, trained)) trained.fill(true, range[0], range[1]);
    if (!train && eosOpt !== 'all' && eotOpt !== 'all') continue;
    // The closing tokens: first EOT / EOS at or after the content, allowing 3 tokens of template padding.
    for (const kind of ['eot', 'eos'] as const) {
      const option = kind === 'eot' ? eotOpt : eosOpt;
      const limit = Math.min(ids.length, range[1] + 4);
      let k = range[1];
      while (k < limit && !(kind === 'eot' ? stops.value.eot.has(ids[k]!) : ids[k] === stops.value.eos)) k++;
      if (k >= limit) continue;
      if (kind === 'eot') lastEot = k;
      else lastEos = k;
      if (turn.closingToken === undefined) turn.closingToken = k;
      if (option === 'all' || (option === 'turn' && train)) trained[k] = true;
    }
  }
  if (eotOpt === 'last' && lastEot >= 0) trained[lastEot] = true;
  if (eosOpt === 'last' && lastEos >= 0) trained[lastEos] = true;
  return ok(finishExample({ text, ids, trained, offsets, turns, template: tpl.value.name }, stops.value.all, options.sequenceLen));
}
