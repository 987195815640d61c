/**
 * Prompts as lm-eval's `fewshot_context` builds them in plain-text mode:
 *   description + Σ(fewshot: text + target_delimiter + answer + fewshot_delimiter) + text
 * and the requests of each document: for multiple choice, `loglikelihood(context,
 * target_delimiter + choice)` per choice; for generation, `generate_until(context, until)`.
 */
import { PyRandom } from './pyRandom';
import type { TaskDef } from './tasks';
import { fieldValue, TemplateError, type Doc } from './template';

/** The text of `doc` (lm-eval `doc_to_text`), as a string. */
export function docText(task: TaskDef, doc: Doc): string {
  const v = fieldValue(task.docToText, doc, task.docToChoice !== null);
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return String(v);
  throw new TemplateError(`doc_to_text gave ${describe(v)}, expected a string`);
}

/** The choices of `doc` (lm-eval `doc_to_choice`), or null for tasks without choices. */
export function docChoices(task: TaskDef, doc: Doc): string[] | null {
  if (task.docToChoice === null) return null;
  const v = fieldValue(task.docToChoice, doc, false);
  if (!Array.isArray(v) || v.length === 0) throw new TemplateError(`doc_to_choice gave ${describe(v)}, expected a non-empty list`);
  return v.map((c) => String(c));
}

/**
 * The gold answer of `doc` (lm-eval `doc_to_target`): an index into the choices for multiple
 * choice (a string target is looked up among the choices), a string (or strings) for generation.
 */
export function docTarget(task: TaskDef, doc: Doc, choices: string[] | null): number | string | string[] {
  const v = fieldValue(task.docToTarget, doc, task.docToChoice !== null);
  if (choices) {
    const gold = typeof v === 'number' ? v : typeof v === 'string' ? choices.indexOf(v) : -1;
    if (!Number.isInteger(gold) || gold < 0 || gold >= choices.length) throw new TemplateError(`doc_to_target gave ${describe(v)}, not one of ${choices.length} choices`);
    return gold;
  }
  if (Array.isArray(v)) return v.map((x) => String(x));
  if (typeof v === 'string' || typeof v === 'number') return String(v);
  throw new TemplateError(`doc_to_target gave ${describe(v)}, expected a string`);
}

/** The answer text a few-shot example shows: the gold choice, or the (first) target string. */
export function answerText(task: TaskDef, doc: Doc): string {
  const choices = docChoices(task, doc);
  const t = docTarget(task, doc, choices);
  if (typeof t === 'number') return choices![t]!;
  return Array.isArray(t) ? (t[0] ?? '') : t;
}

/** Picks few-shot examples for one evaluated document, as lm-eval's samplers do. */
export class FewshotSampler {
  private readonly rnd = new PyRandom(1234);

  constructor(
    private readonly task: TaskDef,
    /** The few-shot pool per group value ('' when the task has no group field). */
    private readonly pools: Map<string, Doc[]>,
    /** True when the pool is the split being scored: the document itself is then left out. */
    private readonly sameSplit: boolean,
  ) {}

  sample(doc: Doc, n: number): Doc[] {
    if (n === 0) return [];
    const key = this.task.groupField ? String(doc[this.task.groupField] ?? '') : '';
    const pool = this.pools.get(key) ?? [];
    if (this.task.sampler === 'first_n') {
      if (n > pool.length) throw new TemplateError(`${n} few-shot examples asked, the few-shot split has ${pool.length}${key ? ` for ${key}` : ''}`);
      return pool.slice(0, n);
    }
    if (!this.sameSplit) {
      if (n > pool.length) throw new TemplateError(`${n} few-shot examples asked, the few-shot split has ${pool.length}`);
      return this.rnd.sample(pool, n);
    }
    if (n + 1 > pool.length) throw new TemplateError(`${n} few-shot examples asked, the split has ${pool.length} documents`);
    // lm-eval's rm_eval_doc compares by value (dict equality), so a duplicate of the document goes too.
    const same = JSON.stringify(doc);
    return this.rnd.sample(pool, n + 1).filter((d) => d !== doc && JSON.stringify(d) !== same).slice(0, n);
  }
}

/** The full context string for `doc` with the given few-shot examples. */
export function buildContext(task: TaskDef, doc: Doc, fewshot: readonly Doc[]): string {
  let out = task.description(doc);
  for (const fs of fewshot) {
    const q = docText(task, fs);
    out += q + task.targetDelimiter + answerText(task, fs) + task.fewshotDelimiter;
  }
  return out + docText(task, doc);
}

/** One log-likelihood request: score `continuation` after `context`. */
export interface LoglikRequest {
  context: string;
  continuation: string;
}

/** The requests of a multiple-choice document: one per choice, the delimiter before the choice. */
export function choiceRequests(task: TaskDef, context: string, choices: readonly string[]): LoglikRequest[] {
  return choices.map((c) => ({ context, continuation: task.targetDelimiter + c }));
}

function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  const s = JSON.stringify(v);
  return s === undefined ? typeof v : s.length > 60 ? `${s.slice(0, 57)}...` : s;
}
