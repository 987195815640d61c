/**
 * Task definitions with lm-evaluation-harness semantics: the built-in MMLU, HellaSwag and ARC
 * tasks (prompts and preprocessing as in lm-eval's `tasks/mmlu/default`, `tasks/hellaswag`,
 * `tasks/arc`), and the fields a task YAML may set (`yamlTask.ts` reads those).
 */
import type { EvalTaskKind } from './report';
import type { Doc, FieldSpec } from './template';

/** A task as requested (CLI `--tasks`, config `eval_tasks`): a name or file, where its data is, per-task settings. */
export interface EvalTaskSpec {
  /** A built-in name (mmlu, hellaswag, arc_easy, arc_challenge), a task YAML or a corpus file. */
  task: string;
  /** Built-in: the folder holding its files (default: the --data folder). Otherwise a task YAML or a corpus file, `task` naming it. */
  data?: string;
  limit?: number;
  numFewshot?: number;
}

/** lm-eval's `output_type`. */
export type OutputType = 'multiple_choice' | 'generate_until' | 'loglikelihood_rolling';

/** A post-processing step of a generation (lm-eval `filter_list` functions). */
export type GenFilter =
  | { function: 'regex'; regex_pattern: string; group_select: number; fallback: string }
  | { function: 'take_first' }
  | { function: 'lowercase' }
  | { function: 'uppercase' }
  | { function: 'remove_whitespace' };

/** A metric and lm-eval's keyword arguments for it. */
export interface MetricSpec {
  metric: string;
  higher_is_better: boolean;
  ignore_case?: boolean;
  ignore_punctuation?: boolean;
  regexes_to_ignore?: string[];
}

/** One task, resolved: every default filled in. */
export interface TaskDef {
  /** The name results are reported under. */
  name: string;
  outputType: OutputType;
  /** Where the data lives: split name → files (resolved by the caller's loader). */
  dataFiles: Record<string, string[]>;
  /** Built-in tasks: where to look under `--data` (first folder that exists), and the HF source. */
  builtin?: { dirs: string[]; hfDataset: string; splitAliases?: Record<string, string[]> };
  /** The split scored: test_split, else validation_split. */
  evalSplit: string;
  /** Few-shot examples come from here: fewshot_split, else training_split, else validation_split. */
  fewshotSplit: string | null;
  /** Per-document preprocessing (lm-eval `process_docs`). */
  processDoc?: (doc: Doc) => Doc;
  /** The description put before everything (lm-eval `description`), per document. */
  description: (doc: Doc) => string;
  docToText: FieldSpec;
  docToChoice: FieldSpec | null;
  docToTarget: FieldSpec;
  targetDelimiter: string;
  fewshotDelimiter: string;
  numFewshot: number;
  sampler: 'first_n' | 'default';
  /** The few-shot pool and `--limit` are per value of this field (MMLU: `subject`), and subtasks are reported per value. */
  groupField?: string;
  metrics: MetricSpec[];
  /** Headline metric name. */
  primary: string;
  /** Generation: stop strings and the new-token limit (lm-eval `generation_kwargs`). */
  until: string[];
  maxGenToks: number;
  filters: GenFilter[];
}

/** The report kind of an output type. */
export function kindOf(t: OutputType): EvalTaskKind {
  return t === 'multiple_choice' ? 'multiple_choice' : t === 'generate_until' ? 'generation' : 'perplexity';
}

const ACC: MetricSpec = { metric: 'acc', higher_is_better: true };
const ACC_NORM: MetricSpec = { metric: 'acc_norm', higher_is_better: true };

/** Defaults shared by every task (lm-eval `TaskConfig` defaults). */
export function baseTask(name: string, outputType: OutputType): TaskDef {
  return {
    name,
    outputType,
    dataFiles: {},
    evalSplit: 'test',
    fewshotSplit: null,
    description: () => '',
    docToText: '',
    docToChoice: null,
    docToTarget: '',
    targetDelimiter: ' ',
    fewshotDelimiter: '\n\n',
    numFewshot: 0,
    sampler: 'default',
    metrics: [],
    primary: '',
    until: ['\n\n'],
    maxGenToks: 256,
    filters: [],
  };
}

/** lm-eval's HellaSwag `preprocess`: strip, " [title]" → ". ", drop [bracketed] WikiHow artefacts, "  " → " ". */
export function hellaswagPreprocess(text: string): string {
  let t = pyStrip(text);
  t = t.split(' [title]').join('. ');
  t = t.replace(/\[.*?\]/g, '');
  t = t.split('  ').join(' ');
  return t;
}

/** Python's str.capitalize(): first character upper-cased, the rest lower-cased. */
export function pyCapitalize(s: string): string {
  if (s.length === 0) return s;
  const cp = s.codePointAt(0)!;
  const first = String.fromCodePoint(cp);
  return first.toUpperCase() + s.slice(first.length).toLowerCase();
}

/** Python's str.strip() with no argument (Unicode whitespace). */
export function pyStrip(s: string): string {
  return s.replace(/^[\s\u001c-\u001f\u0085]+|[\s\u001c-\u001f\u0085]+$/gu, '');
}

/** lm-eval `hellaswag/utils.py` `process_docs`. */
export function hellaswagDoc(doc: Doc): Doc {
  const ctx = `${String(doc.ctx_a ?? '')} ${pyCapitalize(String(doc.ctx_b ?? ''))}`;
  const endings = Array.isArray(doc.endings) ? (doc.endings as unknown[]).map((e) => hellaswagPreprocess(String(e))) : [];
  return { ...doc, query: hellaswagPreprocess(`${String(doc.activity_label ?? '')}: ${ctx}`), choices: endings, gold: Number.parseInt(String(doc.label), 10) };
}

/** The MMLU description for a subject (lm-eval writes underscores as spaces). */
export function mmluDescription(subject: string): string {
  return `The following are multiple choice questions (with answers) about ${subject.split('_').join(' ')}.\n\n`;
}

/** Names of the built-in tasks. */
export const BUILTIN_TASKS = ['mmlu', 'hellaswag', 'arc_easy', 'arc_challenge'] as const;

/** A built-in task by name, or null. */
export function builtinTask(name: string): TaskDef | null {
  switch (name) {
    case 'mmlu':
      return {
        ...baseTask('mmlu', 'multiple_choice'),
        builtin: { dirs: ['mmlu/all', 'mmlu', 'cais/mmlu/all', 'all'], hfDataset: 'cais/mmlu (config all: all/test-*.parquet, all/dev-*.parquet)' },
        evalSplit: 'test',
        fewshotSplit: 'dev',
        sampler: 'first_n',
        groupField: 'subject',
        description: (doc) => mmluDescription(String(doc.subject ?? '')),
        docToText: '{{question.strip()}}\nA. {{choices[0]}}\nB. {{choices[1]}}\nC. {{choices[2]}}\nD. {{choices[3]}}\nAnswer:',
        docToChoice: ['A', 'B', 'C', 'D'],
        docToTarget: 'answer',
        metrics: [ACC],
        primary: 'acc',
      };
    case 'hellaswag':
      return {
        ...baseTask('hellaswag', 'multiple_choice'),
        builtin: { dirs: ['hellaswag', 'hellaswag/default', 'hellaswag/data', 'Rowan/hellaswag'], hfDataset: 'Rowan/hellaswag (validation and train splits)', splitAliases: { validation: ['validation', 'val'], train: ['train'] } },
        evalSplit: 'validation',
        fewshotSplit: 'train',
        processDoc: hellaswagDoc,
        docToText: '{{query}}',
        docToChoice: 'choices',
        docToTarget: '{{label}}',
        metrics: [ACC, ACC_NORM],
        primary: 'acc_norm',
      };
    case 'arc_easy':
    case 'arc_challenge': {
      const sub = name === 'arc_easy' ? 'ARC-Easy' : 'ARC-Challenge';
      return {
        ...baseTask(name, 'multiple_choice'),
        builtin: { dirs: [sub, `ai2_arc/${sub}`, `allenai/ai2_arc/${sub}`, name], hfDataset: `allenai/ai2_arc (config ${sub}: ${sub}/test-*.parquet, ${sub}/train-*.parquet)` },
        evalSplit: 'test',
        fewshotSplit: 'train',
        docToText: 'Question: {{question}}\nAnswer:',
        docToChoice: '{{choices.text}}',
        docToTarget: '{{choices.label.index(answerKey)}}',
        metrics: [ACC, ACC_NORM],
        primary: 'acc_norm',
      };
    }
    default:
      return null;
  }
}
