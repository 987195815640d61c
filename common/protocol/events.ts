/**
 * The trainer's event protocol: one JSON object per line, versioned, a discriminated union on
 * `type`. The trainer (trainer/) writes every event to `<output_dir>/events.jsonl` (appended and
 * flushed) and, with `--json`, to stdout, which then carries nothing else. The extension's run
 * manager (client/), the dashboard (webviews/) and `tunelab` itself read them back.
 *
 * Sender: the trainer. Receivers: anyone reading stdout or events.jsonl. Times are ISO-8601 strings
 * (`time`) and seconds (`elapsed`, `eta`). Numbers that could not be computed are `null`, never NaN.
 */
export const EVENT_VERSION = 1 as const;

interface Base {
  v: typeof EVENT_VERSION;
  /** ISO-8601 wall-clock time the event was written. */
  time: string;
  /** Identifies one run; stable across `--resume`. */
  run_id: string;
}

export interface RunStartEvent extends Base {
  type: 'run_start';
  /** The config after defaults and normalisation, as the trainer will use it. */
  config: Record<string, unknown>;
  config_path: string;
  output_dir: string;
  backend: string;
  /** The fine-tuning method (trainer/peft's registry). `adapter` is an older name for `bottleneck`. */
  method: 'full' | 'lora' | 'qlora' | 'prefix' | 'prompt' | 'adapter' | 'bottleneck' | 'ia3';
  params: { total: number; trainable: number };
  dataset: {
    train_records: number;
    eval_records: number;
    train_tokens: number;
    /** The data mix, one entry per `datasets:` entry; present when an entry sets `weight` or `loss_weight` (trainer/data/mix.ts). */
    mix?: DatasetMix[];
  };
  total_steps: number;
  /** Set when this start continues an earlier run from a checkpoint. */
  resumed_from?: { checkpoint: string; step: number } | null;
}

/** One training dataset in the mix (`weight:` / `loss_weight:` of its `datasets:` entry). */
export interface DatasetMix {
  path: string;
  /** Training examples the dataset has (after masking, length limits and the validation split). */
  records: number;
  /** Examples drawn from it for the run (repeats counted). */
  drawn: number;
  /** drawn / all drawn: its share of the training examples. */
  share: number;
  /** Multiplier of its tokens' loss (1 when unset). */
  loss_weight: number;
}

export interface StepEvent extends Base {
  type: 'step';
  step: number;
  total_steps: number;
  epoch: number;
  loss: number;
  lr: number;
  grad_norm: number | null;
  /** The forgetting penalty added to the loss this step (EWC / L2-SP, trainer/train/regularize.ts); `loss` excludes it. */
  penalty?: number;
  tokens_per_s: number | null;
  elapsed: number;
  eta: number | null;
}

export interface EvalEvent extends Base {
  type: 'eval';
  step: number;
  epoch: number;
  eval_loss: number;
  perplexity: number;
}

export interface CheckpointEvent extends Base {
  type: 'checkpoint';
  step: number;
  path: string;
}

export interface LogEvent extends Base {
  type: 'log';
  level: 'debug' | 'info' | 'warning' | 'error';
  message: string;
}

export interface DoneEvent extends Base {
  type: 'done';
  status: 'completed' | 'stopped' | 'failed';
  step: number;
  /** Written artefacts: adapter or model directory, last checkpoint, events file. */
  outputs: { model?: string; adapter?: string; checkpoint?: string; events: string };
  metrics: { train_loss: number | null; eval_loss: number | null; perplexity: number | null; elapsed: number };
}

/**
 * Benchmarks (`eval_tasks` in the config) scored on the model being trained: after every
 * `eval_tasks_every`-th evaluation and once at the end (`final`), each task's headline metric with
 * its change against the base model. The full report (a ForgettingReport, common/eval/report.ts)
 * is `report`, `<output_dir>/eval_report.json`, written at the end.
 */
export interface BenchmarkEvent extends Base {
  type: 'benchmark';
  step: number;
  final: boolean;
  /** Path of eval_report.json (final event), else null. */
  report: string | null;
  tasks: {
    task: string;
    metric: string;
    value: number;
    stderr: number | null;
    /** The base model's value, and tuned − base with its 95% interval; null when not compared. */
    base: number | null;
    delta: number | null;
    ci95: [number, number] | null;
    significant: boolean | null;
  }[];
  /** One line, e.g. "pirate_qa +12.4 pts; mmlu -3.1 pts: significant forgetting (mmlu)". */
  verdict: string | null;
  forgetting: boolean | null;
}

export interface ErrorEvent extends Base {
  type: 'error';
  /** A stable code: a diagnostic code (config or dataset) or a trainer code such as `oom`. */
  code: string;
  message: string;
  /** Where it points, when it comes from a diagnostic: file and 0-based range. */
  location?: { path: string; range: { start: { line: number; character: number }; end: { line: number; character: number } } };
}

export type TrainerEvent = RunStartEvent | StepEvent | EvalEvent | CheckpointEvent | LogEvent | DoneEvent | ErrorEvent | BenchmarkEvent;
export type TrainerEventType = TrainerEvent['type'];

const TYPES: ReadonlySet<string> = new Set<TrainerEventType>(['run_start', 'step', 'eval', 'checkpoint', 'log', 'done', 'error', 'benchmark']);

/**
 * Parses one line into an event, or returns an error string. Lines of other versions or types are
 * rejected with a reason rather than guessed at.
 */
export function parseEvent(line: string): TrainerEvent | { error: string } {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (e) {
    return { error: `not JSON: ${(e as Error).message}` };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { error: 'not a JSON object' };
  const o = value as Record<string, unknown>;
  if (o.v !== EVENT_VERSION) return { error: `unsupported event version ${JSON.stringify(o.v)}` };
  if (typeof o.type !== 'string' || !TYPES.has(o.type)) return { error: `unknown event type ${JSON.stringify(o.type)}` };
  return o as unknown as TrainerEvent;
}

/**
 * Splits a byte stream into lines across chunk boundaries (pure, so the run manager can test it).
 * Feed it chunks; it returns complete lines and keeps the tail.
 */
export class LineSplitter {
  private tail = '';
  push(chunk: string): string[] {
    const text = this.tail + chunk;
    const parts = text.split(/\r?\n/);
    this.tail = parts.pop() ?? '';
    return parts.filter((l) => l.length > 0);
  }
  /** The last, unterminated line, if any. */
  flush(): string[] {
    const t = this.tail;
    this.tail = '';
    return t.length > 0 ? [t] : [];
  }
}
