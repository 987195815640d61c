/**
 * Examples for the dataset types that are not chat templates, tokenised as Axolotl does:
 * - Alpaca (`type: alpaca`, `alpaca:chat|chatml|phi`, `alpaca_w_system`): the prompt is built from
 *   instruction/input (and system), tokenised with the tokenizer's special tokens (BOS); the
 *   output is tokenised on its own with BOS dropped and EOS appended. Only the output (and its
 *   EOS) is trained unless `train_on_inputs`.
 * - Completion (`type: completion`): the whole text plus EOS is trained, cut into
 *   `sequence_len`-token pieces.
 */
import type { AlpacaRecord } from '../dataset/types';
import { fail, guard, ok, type Outcome } from './errors';
import { finishExample, type MaskedExample, type TurnSpan } from './example';
import type { ChatModel } from './model';
import { encodeWithOffsets } from './offsets';
import { withSpecialTokens, type SpecialTokens } from './specialTokens';

/** Axolotl's Alpaca prompt styles (`alpaca:<style>`). */
export type AlpacaStyle = 'instruct' | 'chat' | 'chatml' | 'phi';

export interface AlpacaFormat {
  /** `{instruction}` and `{input}` are replaced. */
  turn: string;
  turnNoInput: string;
  /** `{system}` is replaced. */
  system: string;
}

/** The prompt wording of each style (Axolotl's AlpacaPrompter). */
export const ALPACA_FORMATS: Readonly<Record<AlpacaStyle, AlpacaFormat>> = {
  instruct: {
    turn: '### Instruction:\n{instruction}\n\n### Input:\n{input}\n\n### Response:\n',
    turnNoInput: '### Instruction:\n{instruction}\n\n### Response:\n',
    system: '{system}\n\n',
  },
  chat: { turn: 'USER: {instruction}\n{input}\nASSISTANT:', turnNoInput: 'USER: {instruction}\nASSISTANT:', system: 'SYSTEM: {system}\n' },
  chatml: {
    turn: '<|im_start|>user\n{instruction}\n{input}<|im_end|>\n<|im_start|>assistant\n',
    turnNoInput: '<|im_start|>user\n{instruction}<|im_end|>\n<|im_start|>assistant\n',
    system: '<|im_start|>system\n{system}<|im_end|>\n',
  },
  phi: {
    turn: '<|user|>\n{instruction}<|end|>{input}<|assistant|>',
    turnNoInput: '<|user|>\n{instruction}<|end|>\n<|assistant|>\n',
    system: '<|system|>\n{system}<|end|>\n',
  },
};

/** The default system prompts of `type: alpaca` (with and without an input). */
export const ALPACA_SYSTEM_PROMPT =
  'Below is an instruction that describes a task, paired with an input that provides further context. Write a response that appropriately completes the request.';
export const ALPACA_SYSTEM_NO_INPUT_PROMPT = 'Below is an instruction that describes a task. Write a response that appropriately completes the request.';

export interface AlpacaOptions {
  style?: AlpacaStyle;
  /** Custom wording (Axolotl user-defined `type:` object: `format`, `no_input_format`, `system_format`); overrides `style`. */
  format?: AlpacaFormat;
  /**
   * `default`: Axolotl `alpaca` (its fixed system prompt; a record's `system` is ignored);
   * `record`: `alpaca_w_system` and user-defined types (the record's `system`, else `systemPrompt`, in the style's system format);
   * `none`: no system text.
   */
  system?: 'default' | 'record' | 'none';
  /** The system text when the record has none (`system: 'record'`). */
  systemPrompt?: string;
  trainOnInputs?: boolean;
  sequenceLen?: number;
  /** The config's `special_tokens`, applied to the model first (`withSpecialTokens`): a new EOS is the one appended. */
  specialTokens?: SpecialTokens;
}

const fill = (format: string, values: Record<string, string>) => format.replace(/\{(instruction|input|system)\}/g, (_, k: string) => values[k] ?? '');

/** The prompt text (everything before the output) Axolotl builds for an Alpaca record. */
export function alpacaPrompt(record: Pick<AlpacaRecord, 'instruction' | 'input' | 'system'>, options: AlpacaOptions = {}): string {
  const f = options.format ?? ALPACA_FORMATS[options.style ?? 'instruct'];
  const hasInput = typeof record.input === 'string' && record.input.length > 0;
  const mode = options.system ?? 'default';
  const systemText =
    mode === 'default' ? (hasInput ? ALPACA_SYSTEM_PROMPT : ALPACA_SYSTEM_NO_INPUT_PROMPT) : mode === 'record' ? (record.system ?? options.systemPrompt ?? '') : '';
  const system = systemText ? fill(f.system, { system: systemText }) : '';
  const turn = hasInput ? fill(f.turn, { instruction: record.instruction, input: record.input! }) : fill(f.turnNoInput, { instruction: record.instruction });
  return system + turn;
}

/** Builds token ids, offsets and text from segments: literal special tokens and encoded text. */
class Assembler {
  text = '';
  ids: number[] = [];
  offsets: [number, number][] = [];

  constructor(private readonly model: ChatModel) {}

  /** Appends special tokens by id, with their literal text. */
  special(ids: readonly number[]): void {
    for (const id of ids) {
      const content = this.model.tokenizer.id_to_token(id) ?? '';
      this.ids.push(id);
      this.offsets.push([this.text.length, this.text.length + content.length]);
      this.text += content;
    }
  }

  /** Appends already-encoded text. */
  encoded(text: string, ids: readonly number[], offsets: readonly [number, number][]): void {
    const base = this.text.length;
    for (let i = 0; i < ids.length; i++) {
      this.ids.push(ids[i]!);
      this.offsets.push([base + offsets[i]![0], base + offsets[i]![1]]);
    }
    this.text += text;
  }
}

/**
 * Tokenises a text as Axolotl's `_tokenize` does: post-processor tokens around it, optional BOS
 * strip and EOS append. Returns where the text itself starts in the assembled text.
 */
function tokenizePart(asm: Assembler, model: ChatModel, text: string, stripBos: boolean, addEos: boolean): number {
  if (text.length === 0) return asm.text.length;
  const enc = encodeWithOffsets(model, text);
  let prefix = model.prefixIds.slice();
  if (stripBos && prefix.length > 0 && prefix[0] === model.bosTokenId) prefix = prefix.slice(1);
  else if (stripBos && prefix.length === 0 && enc.ids[0] === model.bosTokenId && model.bosTokenId !== undefined) {
    // A literal BOS at the start of the text is stripped too.
    enc.ids.shift();
    enc.offsets.shift();
  }
  asm.special(prefix);
  const start = asm.text.length;
  asm.encoded(text, enc.ids, enc.offsets);
  asm.special(model.suffixIds);
  const last = asm.ids[asm.ids.length - 1];
  if (addEos && model.eosTokenId !== undefined && last !== model.eosTokenId) asm.special([model.eosTokenId]);
  return start;
}

function stopSet(model: ChatModel): Set<number> {
  const s = new Set(model.stopTokenIds);
  if (model.eosTokenId !== undefined) s.add(model.eosTokenId);
  return s;
}

/** An Alpaca record as Axolotl tokenises it; only the output and its EOS trained unless `trainOnInputs`. */
export function buildAlpacaExample(model: ChatModel, record: AlpacaRecord, options: AlpacaOptions = {}): Outcome<MaskedExample> {
  return guard(() => buildAlpacaChecked(model, record, options), 'chat-tokenizer-invalid', 'tokenising the Alpaca record');
}

function buildAlpacaChecked(loaded: ChatModel, record: AlpacaRecord, options: AlpacaOptions): Outcome<MaskedExample> {
  const view = withSpecialTokens(loaded, options.specialTokens);
  if (!view.ok) return view;
  const model = view.value;
  if (!record || typeof record.instruction !== 'string') return fail('chat-record-invalid', 'the Alpaca record has no "instruction" string');
  if (typeof record.output !== 'string') return fail('chat-record-invalid', 'the Alpaca record has no "output" string');
  const prompt = alpacaPrompt(record, options);
  const asm = new Assembler(model);
  tokenizePart(asm, model, prompt, false, false);
  const promptTokens = asm.ids.length;
  const promptChars = asm.text.length;
  const outputStart = tokenizePart(asm, model, record.output, true, true);
  const trainInputs = options.trainOnInputs ?? false;
  const trained = asm.ids.map((_, i) => trainInputs || i >= promptTokens);
  const turns: TurnSpan[] = [
    { message: 0, role: 'user', start: 0, end: promptChars, tokenStart: promptTokens > 0 ? 0 : -1, tokenEnd: promptTokens > 0 ? promptTokens : -1, trained: trainInputs && promptTokens > 0 },
  ];
  const outTokens = asm.ids.length - promptTokens;
  const eosAt = asm.ids[asm.ids.length - 1] === model.eosTokenId && outTokens > 0 ? asm.ids.length - 1 : -1;
  const response: TurnSpan = {
    message: 1,
    role: 'assistant',
    start: outputStart,
    end: outputStart + record.output.length,
    tokenStart: outTokens > 0 ? promptTokens : -1,
    tokenEnd: outTokens > 0 ? (eosAt >= 0 ? eosAt : asm.ids.length) : -1,
    trained: outTokens > 0,
  };
  if (eosAt >= 0) response.closingToken = eosAt;
  turns.push(response);
  return ok(finishExample({ text: asm.text, ids: asm.ids, trained, offsets: asm.offsets, turns }, stopSet(model), options.sequenceLen));
}

export interface CompletionOptions {
  /** Piece length in tokens (Axolotl splits long texts into `sequence_len` pieces). */
  sequenceLen?: number;
  /** The config's `special_tokens`, applied to the model first (`withSpecialTokens`). */
  specialTokens?: SpecialTokens;
}

/**
 * A completion text as Axolotl tokenises it: all tokens trained, EOS appended, split into
 * `sequence_len` pieces. Axolotl's tokenizer call caps a text at 64 x sequence_len tokens (and
 * then appends no EOS); the tail it drops is reported on the last piece (`truncated`, `fullLength`).
 */
export function buildCompletionExamples(model: ChatModel, text: string, options: CompletionOptions = {}): Outcome<MaskedExample[]> {
  return guard(() => buildCompletionChecked(model, text, options), 'chat-tokenizer-invalid', 'tokenising the text');
}

function buildCompletionChecked(loaded: ChatModel, text: string, options: CompletionOptions): Outcome<MaskedExample[]> {
  const view = withSpecialTokens(loaded, options.specialTokens);
  if (!view.ok) return view;
  const model = view.value;
  if (typeof text !== 'string') return fail('chat-record-invalid', 'the completion record has no text');
  const asm = new Assembler(model);
  tokenizePart(asm, model, text, false, false);
  const seq = options.sequenceLen && options.sequenceLen > 0 ? options.sequenceLen : undefined;
  const fullLength = asm.ids.length;
  const cap = seq === undefined ? Infinity : seq * 64;
  let ids = asm.ids;
  let offsets = asm.offsets;
  if (fullLength > cap) {
    ids = ids.slice(0, cap);
    offsets = offsets.slice(0, cap);
  } else if (model.eosTokenId !== undefined && ids.length > 0 && ids[ids.length - 1] !== model.eosTokenId && ids.length < cap) {
    asm.special([model.eosTokenId]);
  }
  const stops = stopSet(model);
  const n = seq ?? Math.max(1, ids.length);
  const pieces: MaskedExample[] = [];
  for (let s = 0; s < ids.length; s += n) {
    const pieceIds = ids.slice(s, s + n);
    const offs = offsets.slice(s, s + n);
    const from = offs[0]![0];
    const to = offs[offs.length - 1]![1];
    const local = offs.map(([a, b]) => [a - from, b - from] as [number, number]);
    const turn: TurnSpan = { message: 0, role: 'text', start: 0, end: to - from, tokenStart: 0, tokenEnd: pieceIds.length, trained: true };
    const piece = finishExample({ text: asm.text.slice(from, to), ids: pieceIds, trained: pieceIds.map(() => true), offsets: local, turns: [turn] }, stops, undefined);
    pieces.push(piece);
  }
  const last = pieces[pieces.length - 1];
  if (last && fullLength > cap) {
    last.truncated = true;
    last.fullLength = fullLength - (pieces.length - 1) * n;
  }
  return ok(pieces);
}
