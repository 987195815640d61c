/**
 * Chat-template rendering with @huggingface/jinja, as transformers' `apply_chat_template` calls
 * it: `messages`, `tools` (None when absent), `documents`, `add_generation_prompt`, the special
 * tokens as strings, `raise_exception`, plus any extra keyword arguments. Compiled templates are
 * memoised by source (a small bounded cache: compiling is pure and the same few templates render
 * millions of records).
 */
import { Environment, Interpreter, Template } from '@huggingface/jinja';
import { fail, messageOf, ok, type Outcome } from './errors';
import type { Message } from '../dataset/types';
import type { ChatModel } from './model';
import { BUILTIN_TEMPLATES } from './templates';

/** A template chosen for rendering, with where it came from (for messages and the view). */
export interface ResolvedTemplate {
  /** `tokenizer_default`, a built-in name (`chatml`, ...), `jinja`, or a named template of the model. */
  name: string;
  source: string;
}

/** How to choose the template: Axolotl's `chat_template` and `chat_template_jinja` keys. */
export interface TemplateChoice {
  /** Axolotl name, `tokenizer_default` (the default), `jinja`, `tokenizer_default_fallback_<name>`, or a name the model's list defines. */
  chatTemplate?: string;
  /** Template text for `chat_template: jinja` (set alone, it implies `jinja`). */
  chatTemplateJinja?: string;
}

const FALLBACK = 'tokenizer_default_fallback_';

/** Picks the template Axolotl would use for this choice and model. */
export function resolveChatTemplate(model: ChatModel | undefined, choice: TemplateChoice = {}): Outcome<ResolvedTemplate> {
  const name = choice.chatTemplate ?? (choice.chatTemplateJinja !== undefined ? 'jinja' : 'tokenizer_default');
  if (name === 'jinja') {
    if (!choice.chatTemplateJinja) return fail('chat-template-missing', 'chat_template: jinja needs chat_template_jinja (the template text)');
    return ok({ name, source: choice.chatTemplateJinja });
  }
  if (name === 'tokenizer_default' || name.startsWith(FALLBACK)) {
    if (model?.chatTemplate) return ok({ name: 'tokenizer_default', source: model.chatTemplate });
    if (name === 'tokenizer_default')
      return fail(
        'chat-template-missing',
        `the tokenizer${model?.dir ? ` in ${model.dir}` : ''} has no chat_template; set chat_template to a built-in name (e.g. chatml) or tokenizer_default_fallback_chatml`,
        model?.dir,
      );
    return resolveChatTemplate(model, { chatTemplate: name.slice(FALLBACK.length) });
  }
  const builtin = BUILTIN_TEMPLATES[name];
  if (builtin !== undefined) return ok({ name, source: builtin });
  const named = model?.chatTemplates[name];
  if (named !== undefined) return ok({ name, source: named });
  const own = model?.chatTemplate ? ' (or tokenizer_default, the model\'s own template)' : '';
  return fail(
    'chat-template-unknown',
    `unknown chat_template "${name}"; Tunelab knows ${Object.keys(BUILTIN_TEMPLATES).join(', ')}, tokenizer_default and jinja${own}`,
  );
}

// `{% generation %}` marks assistant text for transformers' assistant-only masks; the chat core
// finds turns itself, so the tags are dropped before compiling (the JS engine does not know them).
const GENERATION_TAG = /\{%-?\s*(?:end)?generation\s*-?%\}/g;

const compiled = new Map<string, Template | string>();
const CACHE_LIMIT = 64;

/** Compiles (memoised) a template; a string result is the syntax error message. */
export function compileTemplate(source: string): Template | string {
  const hit = compiled.get(source);
  if (hit !== undefined) return hit;
  let result: Template | string;
  try {
    result = new Template(source.replace(GENERATION_TAG, ''));
  } catch (e) {
    result = messageOf(e);
  }
  if (compiled.size >= CACHE_LIMIT) compiled.delete(compiled.keys().next().value!);
  compiled.set(source, result);
  return result;
}

/** Checks that a template compiles; the message says where it does not. */
export function checkTemplateSyntax(source: string): Outcome<true> {
  const t = compileTemplate(source);
  return typeof t === 'string' ? fail('chat-template-syntax', `chat template does not compile: ${t}`) : ok(true);
}

/** A message as templates see it: role, content and whatever else the record carries. */
export interface TemplateMessage {
  role: string;
  content: unknown;
  [key: string]: unknown;
}

export interface RenderOptions {
  addGenerationPrompt?: boolean;
  tools?: readonly unknown[];
  /** Extra template variables (Axolotl `chat_template_kwargs`, e.g. `enable_thinking`). */
  kwargs?: Readonly<Record<string, unknown>>;
}

class TemplateRaised extends Error {}

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const pad2 = (n: number) => String(n).padStart(2, '0');

/** Python's strftime for the directives chat templates use (Llama 3.1 prints today's date). */
function strftimeNow(format: unknown): string {
  const d = new Date();
  const map: Record<string, string> = {
    d: pad2(d.getDate()),
    m: pad2(d.getMonth() + 1),
    Y: String(d.getFullYear()),
    y: pad2(d.getFullYear() % 100),
    b: MONTHS[d.getMonth()]!.slice(0, 3),
    B: MONTHS[d.getMonth()]!,
    a: DAYS[d.getDay()]!.slice(0, 3),
    A: DAYS[d.getDay()]!,
    H: pad2(d.getHours()),
    M: pad2(d.getMinutes()),
    S: pad2(d.getSeconds()),
    '%': '%',
  };
  return String(format).replace(/%([a-zA-Z%])/g, (all, c: string) => map[c] ?? all);
}

/** Python's range(). */
function range(a: unknown, b?: unknown, step?: unknown): number[] {
  const [start, stop] = b === undefined || b === null ? [0, Number(a)] : [Number(a), Number(b)];
  const s = step === undefined || step === null ? 1 : Number(step);
  const out: number[] = [];
  if (s > 0) for (let i = start; i < stop; i += s) out.push(i);
  else if (s < 0) for (let i = start; i > stop; i += s) out.push(i);
  return out;
}

// The engine's own globals, with raise_exception replaced so that a template's deliberate
// rejection is told apart from a bug in the template.
const GLOBALS: Record<string, unknown> = {
  false: false,
  true: true,
  none: null,
  False: false,
  True: true,
  None: null,
  range,
  strftime_now: strftimeNow,
  raise_exception: (message: unknown) => {
    throw new TemplateRaised(String(message));
  },
};

/** Renders messages with a template source. Template errors come back as coded errors. */
export function renderTemplate(
  model: ChatModel | undefined,
  source: string,
  messages: readonly (TemplateMessage | Message)[],
  options: RenderOptions = {},
): Outcome<string> {
  const template = compileTemplate(source);
  if (typeof template === 'string') return fail('chat-template-syntax', `chat template does not compile: ${template}`);
  try {
    const env = new Environment();
    const vars: Record<string, unknown> = {
      ...GLOBALS,
      ...options.kwargs,
      messages,
      tools: options.tools && options.tools.length > 0 ? options.tools : null,
      documents: null,
      add_generation_prompt: options.addGenerationPrompt ?? false,
      bos_token: model?.bosToken ?? '',
      eos_token: model?.eosToken ?? '',
      pad_token: model?.padToken ?? '',
      unk_token: model?.unkToken ?? '',
    };
    for (const [k, v] of Object.entries(vars)) env.set(k, v);
    const text = new Interpreter(env).run(template.parsed).value as string;
    return ok(text);
  } catch (e) {
    if (e instanceof TemplateRaised) return fail('chat-template-raised', `the chat template rejected the conversation: ${e.message}`);
    return fail('chat-template-failed', `the chat template failed to render: ${messageOf(e)}`);
  }
}
