/**
 * Converting normalised records to Alpaca, ShareGPT or OpenAI chat. Each conversion says what it
 * could not carry over (a loss), so that `tunelab convert` can refuse a lossy conversion instead
 * of silently dropping weights, tool calls or turns.
 */
import type { AlpacaRecord, Conversation, Message, NormalizedRecord } from './types';

export type ConvertTarget = 'alpaca' | 'sharegpt' | 'openai';

export const CONVERT_TARGETS: readonly ConvertTarget[] = ['alpaca', 'sharegpt', 'openai'];

/** What a conversion could not represent, as a stable kind and a sentence. */
export interface Loss {
  kind: string;
  message: string;
}

export interface Converted {
  /** The record in the target format, or undefined when it cannot be converted at all. */
  value?: Record<string, unknown>;
  losses: Loss[];
}

const loss = (kind: string, message: string): Loss => ({ kind, message });

function openaiMessage(m: Message): Record<string, unknown> {
  const out: Record<string, unknown> = { role: m.role, content: m.content };
  if (m.name !== undefined) out.name = m.name;
  if (m.tool_calls) {
    out.tool_calls = m.tool_calls.map((c) => ({ ...(c.id !== undefined ? { id: c.id } : {}), type: 'function', function: { name: c.function.name, arguments: c.function.arguments } }));
    if (m.content === '') out.content = null;
  }
  if (m.tool_call_id !== undefined) out.tool_call_id = m.tool_call_id;
  if (m.reasoning_content !== undefined) out.reasoning_content = m.reasoning_content;
  if (m.weight !== undefined) out.weight = m.weight;
  return out;
}

function toOpenai(c: Conversation): Converted {
  const losses: Loss[] = [];
  if (c.messages.some((m) => m.training_detail)) losses.push(loss('training-spans', 'per-span training flags (message_field_training_detail)'));
  const value: Record<string, unknown> = { messages: c.messages.map(openaiMessage) };
  if (c.tools) value.tools = c.tools;
  return { value, losses };
}

const SHAREGPT_FROM: Record<string, string> = { user: 'human', assistant: 'gpt', system: 'system', tool: 'observation' };

function parseArgs(s: string): unknown {
  try {
    return JSON.parse(s) as unknown;
  } catch {
    return s;
  }
}

function toSharegpt(c: Conversation): Converted {
  const losses: Loss[] = [];
  const conversations: { from: string; value: string }[] = [];
  for (const m of c.messages) {
    if (m.weight !== undefined) losses.push(loss('weights', "per-message training weights ('weight')"));
    if (m.name !== undefined) losses.push(loss('names', "message 'name' fields"));
    if (m.tool_call_id !== undefined) losses.push(loss('tool-call-ids', 'tool_call_id links between tool calls and results'));
    if (m.reasoning_content !== undefined) losses.push(loss('reasoning', 'reasoning_content'));
    if (m.training_detail) losses.push(loss('training-spans', 'per-span training flags'));
    if (m.tool_calls) {
      if (m.content.trim() !== '') {
        losses.push(loss('content-with-tool-calls', 'assistant text sent together with a tool call (ShareGPT has one or the other per turn)'));
      }
      const calls = m.tool_calls.map((t) => ({ name: t.function.name, arguments: parseArgs(t.function.arguments) }));
      conversations.push({ from: 'function_call', value: JSON.stringify(calls.length === 1 ? calls[0] : calls) });
      continue;
    }
    conversations.push({ from: SHAREGPT_FROM[m.role]!, value: m.content });
  }
  const value: Record<string, unknown> = { conversations };
  // LLaMA-Factory keeps tools as a JSON string of [{name, description, parameters}].
  if (c.tools) value.tools = JSON.stringify(c.tools.map((t) => t.function));
  return { value, losses: dedupe(losses) };
}

function toAlpaca(r: NormalizedRecord): Converted {
  if (r.kind === 'alpaca') return { value: { ...alpacaValue(r.alpaca) }, losses: [] };
  if (r.kind === 'completion') return { losses: [loss('not-chat', 'completion text has no instruction / output')] };
  const losses: Loss[] = [];
  const msgs = r.conversation.messages;
  let system: string | undefined;
  let i = 0;
  if (msgs[0]?.role === 'system') {
    system = msgs[0].content;
    i = 1;
  }
  const pairs: [string, string][] = [];
  for (; i < msgs.length; ) {
    const u = msgs[i]!;
    const a = msgs[i + 1];
    if (u.role !== 'user' || a?.role !== 'assistant' || a.tool_calls || u.tool_calls) {
      losses.push(loss('not-alternating', 'turns other than alternating user/assistant (tool calls, tool results, extra system turns)'));
      return { losses };
    }
    if (a.weight !== undefined || u.weight !== undefined) losses.push(loss('weights', "per-message training weights ('weight')"));
    if (u.name !== undefined || a.name !== undefined) losses.push(loss('names', "message 'name' fields"));
    if (a.reasoning_content !== undefined) losses.push(loss('reasoning', 'reasoning_content'));
    pairs.push([u.content, a.content]);
    i += 2;
  }
  if (pairs.length === 0) return { losses: [loss('not-alternating', 'no user/assistant pair')] };
  if (r.conversation.tools) losses.push(loss('tools', 'tool definitions'));
  if (pairs.length > 1) losses.push(loss('multi-turn', "earlier turns (kept as LLaMA-Factory 'history', which Axolotl's alpaca type ignores)"));
  const [instruction, output] = pairs[pairs.length - 1]!;
  const a: AlpacaRecord = { instruction, input: '', output };
  if (system !== undefined) a.system = system;
  if (pairs.length > 1) a.history = pairs.slice(0, -1);
  return { value: alpacaValue(a), losses: dedupe(losses) };
}

function alpacaValue(a: AlpacaRecord): Record<string, unknown> {
  const v: Record<string, unknown> = { instruction: a.instruction, input: a.input ?? '', output: a.output };
  if (a.system !== undefined) v.system = a.system;
  if (a.history) v.history = a.history;
  return v;
}

function dedupe(ls: Loss[]): Loss[] {
  const seen = new Set<string>();
  return ls.filter((l) => (seen.has(l.kind) ? false : (seen.add(l.kind), true)));
}

/** Converts one normalised record to the target format. */
export function convertRecord(r: NormalizedRecord, to: ConvertTarget): Converted {
  if (to === 'alpaca') return toAlpaca(r);
  if (r.kind === 'completion') return { losses: [loss('not-chat', 'completion text has no conversation')] };
  return to === 'openai' ? toOpenai(r.conversation) : toSharegpt(r.conversation);
}
