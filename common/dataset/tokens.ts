/**
 * Token statistics and pre-flight checks with the real tokenizer and chat template: the bridge
 * from the validator's `measure` hook to the chat core (common/chat), which is the code the trainer
 * uses to build its labels. Records whose labels are all masked, records cut at sequence_len and
 * the "EOS never trained" check come from there.
 */
import { buildExamples, recordFindings, tokenViews, type ChatModel, type ExampleOptions, type MaskedExample, type TokenView } from '../chat/index';
import type { RecordMeasure } from './validator';
import type { NormalizedRecord, RecordLocation } from './types';

/** A `measure` hook for the validator that renders, tokenises and masks each record. */
export function measureWith(model: ChatModel, options: ExampleOptions): (record: NormalizedRecord, loc: RecordLocation) => RecordMeasure {
  return (record, loc) => {
    const built = buildExamples(model, record, options);
    if (!built.ok) {
      return { tokens: 0, trained: 0, findings: [{ code: 'mask-record-failed', severity: 'error', message: built.error.message }] };
    }
    return measureExamples(built.value, loc.index);
  };
}

/** Sums a record's examples (a long completion text gives several). */
export function measureExamples(examples: readonly MaskedExample[], index: number): RecordMeasure {
  let tokens = 0;
  let trained = 0;
  let eos = false;
  let truncated = false;
  for (const e of examples) {
    tokens += e.fullLength;
    trained += e.trainedCount;
    eos ||= e.eosInTrainedSpan;
    truncated ||= e.truncated;
  }
  return { tokens, trained, eosTrained: eos, truncated, findings: recordFindings(index, examples).map(({ code, severity, message }) => ({ code, severity, message })) };
}

/** The loss-mask view of one record: rendered text and tokens with their trained flags. */
export interface RecordView {
  text: string;
  tokens: TokenView[];
  /** Tokens before truncation, and whether the record was cut at sequence_len. */
  fullLength: number;
  truncated: boolean;
  trainedCount: number;
  eosInTrainedSpan: boolean;
  template?: string;
}

/** Renders one record for `tunelab inspect --record` and the inspector. */
export function recordView(model: ChatModel, record: NormalizedRecord, options: ExampleOptions): { ok: true; view: RecordView } | { ok: false; message: string } {
  const built = buildExamples(model, record, options);
  if (!built.ok) return { ok: false, message: built.error.message };
  const examples = built.value;
  if (examples.length === 0) return { ok: false, message: 'the record renders to no tokens' };
  // A long completion text gives several examples; the view shows them one after another.
  let text = '';
  const tokens: TokenView[] = [];
  let fullLength = 0;
  let trainedCount = 0;
  let eos = false;
  let truncated = false;
  for (const e of examples) {
    text += e.text;
    tokens.push(...tokenViews(e));
    fullLength += e.fullLength;
    trainedCount += e.trainedCount;
    eos ||= e.eosInTrainedSpan;
    truncated ||= e.truncated;
  }
  const view: RecordView = { text, tokens, fullLength, truncated, trainedCount, eosInTrainedSpan: eos };
  if (examples[0]!.template !== undefined) view.template = examples[0]!.template;
  return { ok: true, view };
}
