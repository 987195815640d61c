/**
 * The masked example: what the loss-mask view shows and what the trainer trains on. One shape for
 * every dataset type (chat templates, Alpaca prompts, completion text).
 */

/** When an end-of-sequence / end-of-turn token is trained (Axolotl `train_on_eos`, `train_on_eot`). */
export type TrainOnEos = 'all' | 'turn' | 'last' | 'none';

export const TRAIN_ON_EOS_VALUES: readonly TrainOnEos[] = ['all', 'turn', 'last', 'none'];

/** Where one message landed in the rendered text. */
export interface TurnSpan {
  /** Index of the message in the conversation (Alpaca: 0 the prompt, 1 the response). */
  message: number;
  role: string;
  /** UTF-16 offsets of the message's content in `text`, `end` exclusive; both -1 when the template did not render it. */
  start: number;
  end: number;
  /** Tokens of the content, `[tokenStart, tokenEnd)`; both -1 when the content has no tokens. */
  tokenStart: number;
  tokenEnd: number;
  /** Whether the content is trained (roles_to_train, train_on_inputs, weight). */
  trained: boolean;
  /** The end-of-turn / EOS token that closes this turn, when the template puts one within 3 tokens. */
  closingToken?: number;
}

/** A tokenised example with its label mask. */
export interface MaskedExample {
  /** The text the tokens come from (the rendered conversation; for Alpaca and completion, the literal special tokens included). */
  text: string;
  /** Token ids, truncated to `sequence_len` when it was given. */
  ids: number[];
  /** Per token: trained (label = id) or masked (label = -100). */
  trained: boolean[];
  /** Per token: `[start, end)` UTF-16 offsets into `text` (special tokens added by the tokenizer are zero-width). */
  offsets: [number, number][];
  turns: TurnSpan[];
  /** True when the example was longer than `sequence_len` and cut. */
  truncated: boolean;
  /** Token count before truncation. */
  fullLength: number;
  trainedCount: number;
  /** Whether an EOS / end-of-turn token is among the trained tokens (a model never trained on it never stops). */
  eosInTrainedSpan: boolean;
  /** The chat template used (`tokenizer_default`, `chatml`, ...), for chat examples. */
  template?: string;
}

/**
 * The label ids a causal-LM loss takes: the id where trained, -100 where masked. Unshifted, as
 * Hugging Face models take them: the loss shifts by one, so `trained[i]` means "token i is
 * predicted from tokens before it".
 */
export function labelsOf(example: Pick<MaskedExample, 'ids' | 'trained'>): number[] {
  return example.ids.map((id, i) => (example.trained[i] ? id : -100));
}

/** The text of token `i` as it appears in the example. */
export function tokenText(example: Pick<MaskedExample, 'text' | 'offsets'>, i: number): string {
  const o = example.offsets[i];
  return o ? example.text.slice(o[0], o[1]) : '';
}

/**
 * Finishes an example: truncates to `sequenceLen` (reporting it), counts trained tokens, and
 * checks whether a stop token is trained.
 */
export function finishExample(
  parts: Pick<MaskedExample, 'text' | 'ids' | 'trained' | 'offsets' | 'turns'> & { template?: string },
  stopIds: ReadonlySet<number>,
  sequenceLen: number | undefined,
): MaskedExample {
  const fullLength = parts.ids.length;
  let { ids, trained, offsets } = parts;
  let turns = parts.turns;
  const truncated = sequenceLen !== undefined && sequenceLen > 0 && fullLength > sequenceLen;
  if (truncated) {
    ids = ids.slice(0, sequenceLen);
    trained = trained.slice(0, sequenceLen);
    offsets = offsets.slice(0, sequenceLen);
    turns = turns.map((t) => {
      if (t.tokenStart < 0 || t.tokenEnd <= sequenceLen) return t;
      const cut: TurnSpan = { ...t, tokenEnd: Math.max(t.tokenStart, sequenceLen) };
      if (cut.tokenEnd === cut.tokenStart) {
        cut.tokenStart = -1;
        cut.tokenEnd = -1;
      }
      if (cut.closingToken !== undefined && cut.closingToken >= sequenceLen) delete cut.closingToken;
      return cut;
    });
  }
  let trainedCount = 0;
  let eosInTrainedSpan = false;
  for (let i = 0; i < ids.length; i++) {
    if (!trained[i]) continue;
    trainedCount++;
    if (stopIds.has(ids[i]!)) eosInTrainedSpan = true;
  }
  const out: MaskedExample = { text: parts.text, ids, trained, offsets, turns, truncated, fullLength, trainedCount, eosInTrainedSpan };
  if (parts.template !== undefined) out.template = parts.template;
  return out;
}

/** A run of text whose tokens are all trained or all masked (for highlighting). */
export interface MaskRun {
  start: number;
  end: number;
  trained: boolean;
}

/**
 * The text cut into alternating trained / masked runs, covering all of it (characters no token
 * covers count as masked). What a hover or a terminal colours, without walking tokens.
 */
export function maskRuns(example: Pick<MaskedExample, 'text' | 'offsets' | 'trained'>): MaskRun[] {
  const runs: MaskRun[] = [];
  const push = (start: number, end: number, trained: boolean) => {
    if (end <= start) return;
    const last = runs[runs.length - 1];
    if (last && last.trained === trained && last.end >= start) last.end = Math.max(last.end, end);
    else runs.push({ start, end, trained });
  };
  let at = 0;
  example.offsets.forEach(([s, e], i) => {
    const from = Math.max(s, at);
    if (from > at) push(at, from, false);
    push(from, e, example.trained[i]!);
    at = Math.max(at, e);
  });
  push(at, example.text.length, false);
  return runs;
}
