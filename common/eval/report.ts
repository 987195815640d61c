/**
 * Evaluation report types: what `tunelab eval --tasks` and `tunelab eval --compare` write
 * (`--format json`, `--out FILE`, `<output_dir>/eval_report.json` after training) and what the
 * eval-results webview reads. Written by the trainer side (trainer/eval/), read by anyone.
 *
 * Metric values are in the metric's own units (accuracy in [0, 1], perplexity as is, bits per
 * byte as is); the text and Markdown renderings show accuracies as points (x100). Numbers that
 * could not be computed are `null`, never NaN. The shape is versioned (`v`); additions are
 * optional fields, so a reader of v1 keeps working.
 */
export const EVAL_REPORT_VERSION = 1 as const;

/** How a task is scored: lm-eval's `multiple_choice`, `generate_until`, `loglikelihood_rolling`. */
export type EvalTaskKind = 'multiple_choice' | 'generation' | 'perplexity';

/** One aggregated metric with lm-eval's standard error (sample stderr of the mean), or null. */
export interface MetricValue {
  value: number;
  stderr: number | null;
}

/** One scored item, kept for inspection (the first few of a task, not all). */
export interface EvalSample {
  /** Stable within the task's data: the record's `id`/`ind` field or its 0-based index. */
  id: string;
  /** The full prompt the model saw (few-shot examples included). */
  prompt: string;
  /** The gold continuation (the correct choice, or the generation target). */
  target: string;
  /** The model's pick (multiple choice) or generation. */
  output?: string;
  /** Whether the item scored as correct under the task's primary metric. */
  correct?: boolean;
}

/** The result of one task on one model. */
export interface EvalTaskResult {
  /** The task name as requested (`mmlu`, `arc_easy`, a YAML task's `task:` name). */
  task: string;
  kind: EvalTaskKind;
  /** Items scored (after `--limit`). */
  n: number;
  /** Few-shot examples per prompt. */
  num_fewshot: number;
  /** The headline metric (a key of `metrics`): `acc`, `acc_norm`, `exact_match`, `bits_per_byte`... */
  primary_metric: string;
  /** Metric name → value. */
  metrics: Record<string, MetricValue>;
  /** Metric name → whether higher is better (accuracies true, perplexities false). */
  higher_is_better: Record<string, boolean>;
  /** The data file the items came from. */
  source?: string;
  /** Sub-task results (MMLU subjects); the parent's metrics are the micro-average over items. */
  subtasks?: { task: string; n: number; metrics: Record<string, MetricValue> }[];
  samples?: EvalSample[];
}

/** All tasks run on one model (a base model, or a base model plus an adapter). */
export interface EvalReport {
  v: typeof EVAL_REPORT_VERSION;
  /** The model directory. */
  model: string;
  /** The adapter directory applied on `model`, if any. */
  adapter?: string | null;
  tasks: EvalTaskResult[];
  /** ISO-8601 time the report was written. */
  created: string;
  /** The compute backend (wasm, webgpu, tensorflow). */
  backend?: string;
  /** `--limit` per task, when one was given. */
  limit?: number | null;
  /** Seconds spent scoring. */
  elapsed?: number;
}

/** The change of one metric of one task from the base to the tuned model. */
export interface MetricDelta {
  task: string;
  metric: string;
  base: number;
  tuned: number;
  /** tuned − base, in the metric's units. */
  delta: number;
  /** 95% confidence interval of the delta: paired (stderr of the per-item difference) when both models scored the same items, else from the two stderrs. Null when no stderr is known. */
  ci95: [number, number] | null;
  paired: boolean;
  /** The interval excludes 0. */
  significant: boolean;
  higher_is_better: boolean;
  /** significant and in the bad direction (lower accuracy, higher perplexity). */
  worse: boolean;
}

/** `tunelab eval --compare BASE TUNED`, and `eval_report.json` after training with `eval_tasks`. */
export interface ForgettingReport {
  v: typeof EVAL_REPORT_VERSION;
  kind: 'forgetting';
  base: EvalReport;
  tuned: EvalReport;
  /** One per task, for its primary metric, in task order. */
  deltas: MetricDelta[];
  /** One line, e.g. "pirate-task +12.4 pts; mmlu -3.1 pts: significant forgetting". */
  verdict: string;
  /** True when any delta is `worse`. */
  forgetting: boolean;
  created: string;
}

/** Either report, as found in a file. */
export type AnyEvalReport = EvalReport | ForgettingReport;

/** True for a ForgettingReport (as opposed to a single-model EvalReport). */
export function isForgettingReport(r: AnyEvalReport): r is ForgettingReport {
  return (r as ForgettingReport).kind === 'forgetting';
}

/**
 * Checks the shape of parsed JSON (a file the user opened, a message from a host) and returns the
 * report or a reason. Checks what a renderer relies on, not every field.
 */
export function parseEvalReport(value: unknown): AnyEvalReport | { error: string } {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { error: 'not a JSON object' };
  const o = value as Record<string, unknown>;
  if (o.v !== EVAL_REPORT_VERSION) return { error: `unsupported eval report version ${JSON.stringify(o.v)}` };
  if (o.kind === 'forgetting') {
    for (const k of ['base', 'tuned'] as const) {
      const r = parseEvalReport(o[k]);
      if ('error' in r) return { error: `${k}: ${r.error}` };
    }
    if (!Array.isArray(o.deltas)) return { error: 'deltas is not a list' };
    for (const [i, d] of (o.deltas as unknown[]).entries()) {
      const e = checkFields(d, { task: 'string', metric: 'string', base: 'number', tuned: 'number', delta: 'number', significant: 'boolean' });
      if (e) return { error: `deltas[${i}]: ${e}` };
    }
    if (typeof o.verdict !== 'string') return { error: 'verdict is not a string' };
    return o as unknown as ForgettingReport;
  }
  if (typeof o.model !== 'string') return { error: 'model is not a string' };
  if (!Array.isArray(o.tasks)) return { error: 'tasks is not a list' };
  for (const [i, t] of (o.tasks as unknown[]).entries()) {
    const e = checkFields(t, { task: 'string', kind: 'string', n: 'number', primary_metric: 'string' });
    if (e) return { error: `tasks[${i}]: ${e}` };
    const metrics = (t as Record<string, unknown>).metrics;
    if (typeof metrics !== 'object' || metrics === null) return { error: `tasks[${i}]: metrics is not an object` };
    for (const [name, m] of Object.entries(metrics)) {
      const me = checkFields(m, { value: 'number' });
      if (me) return { error: `tasks[${i}].metrics.${name}: ${me}` };
    }
  }
  return o as unknown as EvalReport;
}

function checkFields(value: unknown, fields: Record<string, 'string' | 'number' | 'boolean'>): string | null {
  if (typeof value !== 'object' || value === null) return 'not an object';
  const o = value as Record<string, unknown>;
  for (const [k, t] of Object.entries(fields)) if (typeof o[k] !== t) return `${k} is not a ${t}`;
  return null;
}
