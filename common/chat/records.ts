/**
 * From a config and a normalised record to masked examples: the glue the trainer and the
 * loss-mask view share. `datasetTypeOf` reads a dataset entry's Axolotl `type`,
 * `exampleOptionsFromConfig` turns config keys (top level and dataset entry) into builder options,
 * `buildExamples` dispatches on the record kind.
 */
import type { DatasetEntry, NormalizedRecord } from '../dataset/types';
import { fail, ok, type Outcome } from './errors';
import { TRAIN_ON_EOS_VALUES, type MaskedExample, type TrainOnEos } from './example';
import { buildExample, type MaskOptions } from './mask';
import type { ChatModel } from './model';
import { specialTokensFromConfig } from './specialTokens';
import { buildAlpacaExample, buildCompletionExamples, type AlpacaFormat, type AlpacaOptions, type AlpacaStyle, type CompletionOptions } from './prompts';

/** How a dataset entry's records become examples. */
export type DatasetTypeInfo =
  | { kind: 'chat_template' }
  | { kind: 'alpaca'; style: AlpacaStyle; system: 'default' | 'record'; format?: AlpacaFormat; systemPrompt?: string }
  | { kind: 'completion' }
  | { kind: 'unsupported'; type: string };

const STYLES: readonly AlpacaStyle[] = ['instruct', 'chat', 'chatml', 'phi'];

/** Reads Axolotl's dataset `type` (string or user-defined object). Absent means chat_template, as for a bare messages file. */
export function datasetTypeOf(type: DatasetEntry['type']): DatasetTypeInfo {
  if (type !== undefined && typeof type === 'object' && type !== null) {
    const t = type as Record<string, unknown>;
    const str = (k: string, d: string) => (typeof t[k] === 'string' ? (t[k] as string) : d);
    const info: DatasetTypeInfo = {
      kind: 'alpaca',
      style: 'instruct',
      system: 'record',
      format: { turn: str('format', '{instruction} {input} '), turnNoInput: str('no_input_format', '{instruction} '), system: str('system_format', '{system}') },
    };
    if (typeof t.system_prompt === 'string') info.systemPrompt = t.system_prompt;
    return info;
  }
  const name = typeof type === 'string' ? type.trim() : 'chat_template';
  if (name === 'chat_template' || name.startsWith('chat_template.') || name === 'messages') return { kind: 'chat_template' };
  if (name === 'completion' || name.startsWith('completion.')) return { kind: 'completion' };
  const [base, style] = name.split(':') as [string, string | undefined];
  if (base === 'alpaca') {
    const s = (style ?? 'instruct') as AlpacaStyle;
    return STYLES.includes(s) ? { kind: 'alpaca', style: s, system: 'default' } : { kind: 'unsupported', type: name };
  }
  if (base === 'alpaca_w_system' || base === 'alpaca_w_system.load' || base === 'alpaca_w_system.load_chat') return { kind: 'alpaca', style: 'chat', system: 'record' };
  if (base === 'alpaca_w_system.load_instruct') return { kind: 'alpaca', style: 'instruct', system: 'record' };
  return { kind: 'unsupported', type: name };
}

/** Everything the builders need for one dataset entry. */
export interface ExampleOptions {
  type: DatasetTypeInfo;
  mask: MaskOptions;
  alpaca: AlpacaOptions;
  sequenceLen?: number;
}

const bool = (v: unknown): boolean | undefined => (typeof v === 'boolean' ? v : undefined);
const eosOpt = (v: unknown): TrainOnEos | undefined => (TRAIN_ON_EOS_VALUES.includes(v as TrainOnEos) ? (v as TrainOnEos) : undefined);
const strings = (v: unknown): string[] | undefined => (Array.isArray(v) && v.every((x) => typeof x === 'string') ? (v as string[]) : undefined);

/**
 * Builder options from a parsed Axolotl config (`train_on_inputs`, `sequence_len`,
 * `chat_template`, `chat_template_jinja`, `chat_template_kwargs`, `eot_tokens`, `special_tokens`) and one
 * `datasets:` entry (`type`, `roles_to_train`, `train_on_eos`, `train_on_eot`, its own
 * `chat_template`, `drop_system_message`). The entry's values win, as in Axolotl.
 */
export function exampleOptionsFromConfig(
  config: Readonly<Record<string, unknown>>,
  entry: DatasetEntry | Readonly<Record<string, unknown>> = {},
): ExampleOptions {
  const e = entry as DatasetEntry & Record<string, unknown>;
  const mask: MaskOptions = {};
  const trainOnInputs = bool(config.train_on_inputs);
  if (trainOnInputs !== undefined) mask.trainOnInputs = trainOnInputs;
  const seq = typeof config.sequence_len === 'number' && config.sequence_len > 0 ? config.sequence_len : undefined;
  if (seq !== undefined) mask.sequenceLen = seq;
  const template = typeof e.chat_template === 'string' ? e.chat_template : typeof config.chat_template === 'string' ? config.chat_template : undefined;
  const jinja = typeof e.chat_template_jinja === 'string' ? e.chat_template_jinja : typeof config.chat_template_jinja === 'string' ? config.chat_template_jinja : undefined;
  if (template !== undefined) mask.chatTemplate = template;
  if (jinja !== undefined) mask.chatTemplateJinja = jinja;
  const roles = strings(e.roles_to_train);
  if (roles) {
    // Axolotl reads roles_to_train through the entry's `roles` mapping (source names -> target role).
    const bySource = new Map<string, string>();
    if (typeof e.roles === 'object' && e.roles !== null)
      for (const [target, sources] of Object.entries(e.roles as Record<string, unknown>))
        if (Array.isArray(sources)) for (const src of sources) if (typeof src === 'string') bySource.set(src, target);
    mask.rolesToTrain = roles.map((r) => bySource.get(r) ?? r);
  }
  const toe = eosOpt(e.train_on_eos);
  if (toe) mask.trainOnEos = toe;
  const tot = eosOpt(e.train_on_eot);
  if (tot) mask.trainOnEot = tot;
  const eot = strings(config.eot_tokens);
  if (eot) mask.eotTokens = eot;
  if (typeof config.chat_template_kwargs === 'object' && config.chat_template_kwargs !== null)
    mask.chatTemplateKwargs = config.chat_template_kwargs as Record<string, unknown>;
  if (e.drop_system_message === true) mask.dropSystemMessage = true;
  // special_tokens travel in both option sets, which the trainer copies as they are.
  const special = specialTokensFromConfig(config);
  if (special) mask.specialTokens = special;

  const type = datasetTypeOf(e.type);
  const alpaca: AlpacaOptions = {};
  if (type.kind === 'alpaca') {
    alpaca.style = type.style;
    alpaca.system = type.system;
    if (type.format) alpaca.format = type.format;
    if (type.systemPrompt !== undefined) alpaca.systemPrompt = type.systemPrompt;
  }
  if (trainOnInputs !== undefined) alpaca.trainOnInputs = trainOnInputs;
  if (seq !== undefined) alpaca.sequenceLen = seq;
  if (special) alpaca.specialTokens = special;
  const out: ExampleOptions = { type, mask, alpaca };
  if (seq !== undefined) out.sequenceLen = seq;
  return out;
}

/**
 * The masked examples of one record (several for a long completion text, cut at sequence_len).
 * A record of the wrong kind for the dataset type is a coded error.
 */
export function buildExamples(model: ChatModel, record: NormalizedRecord, options: ExampleOptions): Outcome<MaskedExample[]> {
  const one = (r: Outcome<MaskedExample>): Outcome<MaskedExample[]> => (r.ok ? ok([r.value]) : r);
  switch (options.type.kind) {
    case 'chat_template':
      if (record.kind === 'completion') return fail('chat-record-invalid', 'a plain-text record under type: chat_template (it needs a message list)');
      return one(buildExample(model, record.conversation, options.mask));
    case 'alpaca':
      if (record.kind !== 'alpaca') return fail('chat-record-invalid', `a ${record.kind} record under an Alpaca type (it needs instruction and output)`);
      return one(buildAlpacaExample(model, record.alpaca, options.alpaca));
    case 'completion': {
      if (record.kind !== 'completion') return fail('chat-record-invalid', `a ${record.kind} record under type: completion (it needs a text field)`);
      const o: CompletionOptions = options.sequenceLen === undefined ? {} : { sequenceLen: options.sequenceLen };
      if (options.mask.specialTokens) o.specialTokens = options.mask.specialTokens;
      return buildCompletionExamples(model, record.text, o);
    }
    case 'unsupported':
      return fail('chat-record-invalid', `dataset type "${options.type.type}" is not supported by Tunelab (chat_template, alpaca[:chat|chatml|phi|instruct], alpaca_w_system, completion, or a user-defined object)`);
  }
}

/** One token as the loss-mask view shows it (`tunelab inspect --format json`). */
export interface TokenView {
  id: number;
  text: string;
  trained: boolean;
}

/**
 * The tokens of the CLI contract. Texts never overlap: when several tokens share one character
 * (a byte-level tokenizer splits "é" into two bytes), the first shows it and the others show "".
 */
export function tokenViews(example: Pick<MaskedExample, 'text' | 'ids' | 'offsets' | 'trained'>): TokenView[] {
  let shown = 0;
  return example.ids.map((id, i) => {
    const [s, e] = example.offsets[i]!;
    const from = Math.max(s, Math.min(shown, e));
    shown = Math.max(shown, e);
    return { id, text: example.text.slice(from, e), trained: example.trained[i]! };
  });
}
