/**
 * The filters that decide which generated data is kept.
 *
 * Self-instruct (Wang et al. 2022, §2.3 and the released pipeline): an instruction is dropped when
 * it is too short or too long, mentions things a text model cannot see or produce (images,
 * graphs, files, ...), begins with punctuation or a non-English character, begins with "Write a
 * program", repeats one already in the pool, or when its ROUGE-L F1 with any instruction in the
 * pool is 0.7 or more. Instances are dropped when the output is empty, equals the input, input or
 * output ends with a colon (a cut-off generation), or the (instruction, input, output) triple is
 * already there; a task whose instances give one input two different outputs loses them all.
 *
 * Evol-instruct (Xu et al. 2023, §3.2, "elimination evolving"): an evolution fails when the new
 * instruction brings no information gain (judged by the model, see evolInstruct.ts), when the
 * answer shows the model could not answer ("sorry" in a short answer), when the answer is only
 * punctuation and stop words, or when the new instruction copies the rewriting prompt's own words.
 */
import { rougeLTokens, rougeTokens } from '../text/rouge';

/** Why an item was dropped (stable names; counted in the run summary). */
export type DropReason =
  | 'too-short'
  | 'too-long'
  | 'unsuitable-keyword'
  | 'starts-with-punctuation'
  | 'not-english'
  | 'write-a-program'
  | 'duplicate'
  | 'too-similar'
  | 'truncated'
  | 'empty-output'
  | 'output-equals-input'
  | 'incomplete'
  | 'conflicting-outputs'
  | 'no-information-gain'
  | 'model-refused'
  | 'only-stopwords'
  | 'copies-prompt-words'
  | 'unparseable';

/** Length bounds and the similarity threshold (the paper's values by default). */
export interface InstructionFilterOptions {
  /** Fewer words than this are too short (paper: more than 3 words are needed). Default 4. */
  minWords?: number;
  /** More words than this are too long. Default 150. */
  maxWords?: number;
  /** ROUGE-L F1 at or above this with any pool instruction drops it. Default 0.7. */
  maxRougeL?: number;
}

// Things a text-only model cannot take as input or produce (the released filter list).
const UNSUITABLE = ['image', 'images', 'graph', 'graphs', 'picture', 'pictures', 'file', 'files', 'map', 'maps', 'draw', 'plot', 'go to', 'video', 'audio', 'music', 'flowchart', 'diagram'];
const UNSUITABLE_RE = new RegExp(`\\b(?:${UNSUITABLE.map((w) => w.replace(' ', '\\s+')).join('|')})\\b`, 'i');

/** The first rule an instruction breaks on its own (no pool), or undefined when it passes. */
export function instructionHeuristics(instruction: string, opts: InstructionFilterOptions = {}): DropReason | undefined {
  const text = instruction.trim();
  const words = text.split(/\s+/).filter(Boolean).length;
  if (words < (opts.minWords ?? 4)) return 'too-short';
  if (words > (opts.maxWords ?? 150)) return 'too-long';
  if (UNSUITABLE_RE.test(text)) return 'unsuitable-keyword';
  if (/^[\p{P}\p{S}]/u.test(text)) return 'starts-with-punctuation';
  // The released filter: a first character outside ASCII (digits and letters pass).
  if (!/^[\x20-\x7E]/.test(text)) return 'not-english';
  if (/^write a program\b/i.test(text)) return 'write-a-program';
  return undefined;
}

/**
 * The instructions already kept, tokenised once, so each new one is compared with all of them by
 * ROUGE-L (the paper's novelty filter). Exact repeats are caught before any LCS is computed.
 */
export class InstructionPool {
  private readonly tokens: string[][] = [];
  private readonly exact = new Set<string>();

  constructor(initial: Iterable<string> = []) {
    for (const s of initial) this.add(s);
  }

  get size(): number {
    return this.tokens.length;
  }

  add(instruction: string): void {
    this.tokens.push(rougeTokens(instruction));
    this.exact.add(normalizeForDuplicates(instruction));
  }

  /** The highest ROUGE-L F1 of `instruction` with any pool entry (0 for an empty pool). */
  maxSimilarity(instruction: string): number {
    const t = rougeTokens(instruction);
    let best = 0;
    for (const p of this.tokens) {
      // F1 ≤ 2·min/(n+m): skip pairs whose lengths alone rule out beating the best so far.
      const bound = (2 * Math.min(t.length, p.length)) / (t.length + p.length || 1);
      if (bound <= best) continue;
      const f = rougeLTokens(p, t).fmeasure;
      if (f > best) best = f;
    }
    return best;
  }

  /** The first reason `instruction` cannot join the pool, or undefined (then it may be added). */
  check(instruction: string, opts: InstructionFilterOptions = {}): DropReason | undefined {
    const own = instructionHeuristics(instruction, opts);
    if (own) return own;
    if (this.exact.has(normalizeForDuplicates(instruction))) return 'duplicate';
    if (this.maxSimilarity(instruction) >= (opts.maxRougeL ?? 0.7)) return 'too-similar';
    return undefined;
  }
}

const normalizeForDuplicates = (s: string): string => s.trim().toLowerCase().replace(/\s+/g, ' ');

/** An (instruction, input, output) triple. */
export interface Instance {
  instruction: string;
  input: string;
  output: string;
}

/** Instance filters: empty output, output that repeats the input, cut off, exact duplicates (`seen` keys). */
export function instanceProblem(inst: Instance, seen: Set<string>): DropReason | undefined {
  if (inst.output.trim() === '') return 'empty-output';
  if (inst.input.trim() !== '' && inst.input.trim() === inst.output.trim()) return 'output-equals-input';
  if (inst.input.trim().endsWith(':') || inst.output.trim().endsWith(':')) return 'incomplete';
  if (seen.has(instanceKey(inst))) return 'duplicate';
  return undefined;
}

/** Whether one task's instances give the same input different outputs (then none can be trusted). */
export function hasConflictingOutputs(instances: readonly Instance[]): boolean {
  const byInput = new Map<string, string>();
  for (const i of instances) {
    const input = normalizeForDuplicates(i.input);
    const output = normalizeForDuplicates(i.output);
    const other = byInput.get(input);
    if (other !== undefined && other !== output) return true;
    byInput.set(input, output);
  }
  return false;
}

export const instanceKey = (i: Instance): string => JSON.stringify([normalizeForDuplicates(i.instruction), normalizeForDuplicates(i.input), normalizeForDuplicates(i.output)]);

// A common English stop-word list (NLTK's, lower-case): an answer of only these says nothing.
const STOP_WORDS = new Set(
  ('i me my myself we our ours ourselves you your yours yourself yourselves he him his himself she her hers herself it its itself they them their theirs ' +
    'themselves what which who whom this that these those am is are was were be been being have has had having do does did doing a an the and but if or ' +
    'because as until while of at by for with about against between into through during before after above below to from up down in out on off over ' +
    'under again further then once here there when where why how all any both each few more most other some such no nor not only own same so than too ' +
    'very s t can will just don should now d ll m o re ve y ain aren couldn didn doesn hadn hasn haven isn ma mightn mustn needn shan shouldn wasn weren won wouldn')
    .split(' '),
);

/** Words of the rewriting prompts that must not leak into an evolved instruction. */
export const PROMPT_LEAK_PHRASES = ['given prompt', 'rewritten prompt', 'rewritten instruction', 'created prompt', '#original#', '#rewritten', 'the instruction below', 'the original instruction'];

/**
 * Evol-instruct's elimination rules 2–4 (rule 1, information gain, needs the model's judgement).
 * `evolved` is the new instruction, `response` the model's answer to it.
 */
export function evolutionProblem(evolved: string, response: string, opts: { shortAnswerWords?: number } = {}): DropReason | undefined {
  const own = evolvedProblem(evolved);
  if (own) return own;
  const words = response.split(/\s+/).filter(Boolean);
  if (/\bsorry\b/i.test(response) && words.length < (opts.shortAnswerWords ?? 80)) return 'model-refused';
  const tokens = response.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
  if (tokens.every((t) => STOP_WORDS.has(t))) return 'only-stopwords';
  return undefined;
}

/** Rule 4 alone (and an empty rewrite): what can be said of an evolved instruction before it is answered. */
export function evolvedProblem(evolved: string): DropReason | undefined {
  if (evolved.trim() === '') return 'unparseable';
  const lower = evolved.toLowerCase();
  return PROMPT_LEAK_PHRASES.some((p) => lower.includes(p)) ? 'copies-prompt-words' : undefined;
}
