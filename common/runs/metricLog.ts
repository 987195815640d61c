/**
 * The neutral form every reader produces (trainer_state.json, TensorBoard scalars, Axolotl's
 * console log), and its conversion into Tunelab's own events (common/protocol/events.ts), so an
 * imported run is folded, charted and compared exactly like a local one.
 */
import { EVENT_VERSION, type TrainerEvent } from '../protocol/events';

export interface LoggedStep {
  step: number;
  epoch: number | null;
  loss: number;
  lr: number | null;
  gradNorm: number | null;
  tokensPerS: number | null;
  /** Seconds since the epoch, when the source records wall time (TensorBoard does). */
  wallTime: number | null;
}

export interface LoggedEval {
  step: number;
  epoch: number | null;
  evalLoss: number;
  wallTime: number | null;
}

export interface MetricLog {
  steps: LoggedStep[];
  evals: LoggedEval[];
  /** max_steps when the source knows it. */
  totalSteps: number | null;
  /** The end-of-training summary (Transformers' train_loss / train_runtime), when logged. */
  final: { step: number; trainLoss: number | null; runtime: number | null } | null;
  /** Wall time (s since the epoch) the log began, when recorded (a TensorBoard file's first record). */
  startWallTime?: number | null;
}

/** What the importer knows about the run beyond its metrics. */
export interface ImportMeta {
  runId: string;
  /** The folder imported (becomes output_dir). */
  dir: string;
  /** Shown as the run's config path (the file the metrics came from). */
  sourcePath: string;
  /** The engine the run came from, shown as its backend ("transformers", "tensorboard", "axolotl"). */
  backend: string;
  method: 'full' | 'lora' | 'qlora';
  /** ISO time of the run's start when no wall time is recorded (the source file's mtime). */
  fallbackTime: string;
  /** checkpoint-N folders found, ascending. */
  checkpoints: { step: number; path: string }[];
  /** Trainer configuration found beside the metrics (adapter_config.json, training args), for run_start. */
  config: Record<string, unknown>;
  eventsPath: string;
}

const iso = (wall: number | null, fallback: string) => (wall === null ? fallback : new Date(wall * 1000).toISOString());
const finite = (x: number | null | undefined): number | null => (typeof x === 'number' && Number.isFinite(x) ? x : null);

/**
 * A run's events from its metric log: run_start, step and eval events in step order with
 * checkpoint events at their steps, then done. `elapsed` comes from wall time where the source
 * records it, else from the final runtime spread evenly over the steps, else 0.
 */
export function metricLogToEvents(log: MetricLog, meta: ImportMeta): TrainerEvent[] {
  const steps = [...log.steps].sort((a, b) => a.step - b.step);
  const evals = [...log.evals].sort((a, b) => a.step - b.step);
  const lastStep = Math.max(steps.at(-1)?.step ?? 0, evals.at(-1)?.step ?? 0, log.final?.step ?? 0, meta.checkpoints.at(-1)?.step ?? 0);
  const total = log.totalSteps ?? lastStep;
  const t0 = log.startWallTime ?? steps[0]?.wallTime ?? evals[0]?.wallTime ?? null;
  const startTime = iso(t0, meta.fallbackTime);
  const perStep = log.final?.runtime && lastStep > 0 ? log.final.runtime / lastStep : null;
  const elapsedAt = (step: number, wall: number | null) =>
    round(wall !== null && t0 !== null ? wall - t0 : perStep !== null ? perStep * step : 0, 2);
  const base = { v: EVENT_VERSION, run_id: meta.runId } as const;
  const out: TrainerEvent[] = [];
  out.push({
    ...base,
    time: startTime,
    type: 'run_start',
    config: { ...meta.config, output_dir: meta.dir },
    config_path: meta.sourcePath,
    output_dir: meta.dir,
    backend: meta.backend,
    method: meta.method,
    // Not recorded by these sources: 0 means unknown here (the dashboard shows no parameter count).
    params: { total: 0, trainable: 0 },
    dataset: { train_records: 0, eval_records: 0, train_tokens: 0 },
    total_steps: total,
    resumed_from: null,
  });
  type Item = { step: number; order: number; ev: TrainerEvent };
  const items: Item[] = [];
  for (const s of steps) {
    const elapsed = elapsedAt(s.step, s.wallTime);
    const rate = s.step > 0 ? elapsed / s.step : 0;
    items.push({
      step: s.step,
      order: 0,
      ev: {
        ...base,
        time: iso(s.wallTime, startTime),
        type: 'step',
        step: s.step,
        total_steps: total,
        epoch: finite(s.epoch) ?? 0,
        loss: s.loss,
        lr: finite(s.lr) ?? 0,
        grad_norm: finite(s.gradNorm),
        tokens_per_s: finite(s.tokensPerS),
        elapsed,
        eta: rate > 0 && total >= s.step ? round(rate * (total - s.step), 1) : null,
      },
    });
  }
  for (const e of evals) {
    items.push({
      step: e.step,
      order: 1,
      ev: { ...base, time: iso(e.wallTime, startTime), type: 'eval', step: e.step, epoch: finite(e.epoch) ?? 0, eval_loss: e.evalLoss, perplexity: perplexity(e.evalLoss) },
    });
  }
  for (const c of meta.checkpoints) {
    items.push({ step: c.step, order: 2, ev: { ...base, time: startTime, type: 'checkpoint', step: c.step, path: c.path } });
  }
  items.sort((a, b) => a.step - b.step || a.order - b.order);
  // Checkpoints carry no time of their own: give them the time of the event before them.
  let lastTime = startTime;
  for (const it of items) {
    if (it.ev.type === 'checkpoint') it.ev.time = lastTime;
    else lastTime = it.ev.time;
    out.push(it.ev);
  }
  const lastEval = evals.at(-1) ?? null;
  const lastLoss = steps.at(-1)?.loss ?? null;
  // Without a final summary or a planned length, a log that simply ends is not known to be complete.
  const completed = log.final !== null || (log.totalSteps !== null && log.totalSteps > 0 && lastStep >= log.totalSteps);
  out.push({
    ...base,
    time: lastTime,
    type: 'done',
    status: completed ? 'completed' : 'stopped',
    step: lastStep,
    outputs: { ...(meta.checkpoints.length ? { checkpoint: meta.checkpoints.at(-1)!.path } : {}), events: meta.eventsPath },
    metrics: {
      train_loss: finite(log.final?.trainLoss) ?? lastLoss,
      eval_loss: lastEval?.evalLoss ?? null,
      perplexity: lastEval ? perplexity(lastEval.evalLoss) : null,
      elapsed: round(log.final?.runtime ?? elapsedAt(lastStep, steps.at(-1)?.wallTime ?? null), 2),
    },
  });
  return out;
}

function perplexity(loss: number): number {
  const p = Math.exp(loss);
  return Number.isFinite(p) ? round(p, 4) : Number.MAX_VALUE;
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
