import { basename, join } from 'node:path';
import type { StepEvent, TrainerEvent } from '../../common/protocol/events';
import type { MetricBatch, MetricSeries, RunStatus, RunSummary } from '../../common/protocol/webview';

/** Metric columns of one run (the same shape the dashboard receives). */
export type Series = MetricSeries;

const emptySeries = (): Series => ({ step: [], loss: [], lr: [], gradNorm: [], tokensPerS: [], evalStep: [], evalLoss: [] });

/**
 * Folds one run's trainer events into what the editor shows: a summary (status, checkpoints,
 * final metrics) and metric columns. Pure (no I/O), so the run manager, the events.jsonl
 * rediscovery and the tests share it. New points since the last {@link takeBatch} are kept
 * separately so the host can post them to the dashboard in batches.
 */
export class RunTracker {
  readonly series: Series = emptySeries();
  /** The last step event: the status bar reads step, loss and ETA from it. */
  lastStepEvent: StepEvent | null = null;
  status: RunStatus = 'running';
  active = false;
  private pending: Series = emptySeries();
  private pendingReset = false;
  private summaryBase: Omit<RunSummary, 'status' | 'active' | 'resumable' | 'lastStep' | 'checkpoints' | 'final' | 'error'>;
  private checkpoints: { step: number; path: string }[] = [];
  private final: RunSummary['final'] = null;
  private error: string | null = null;
  private sawDone = false;

  constructor(
    readonly id: string,
    eventsPath: string,
  ) {
    this.summaryBase = {
      id,
      label: id,
      configPath: '',
      outputDir: '',
      eventsPath,
      startedAt: '',
      backend: '',
      method: '',
      params: null,
      totalSteps: 0,
      config: {},
    };
  }

  /** Applies one event of this run (events of other runs are the caller's to route). */
  apply(e: TrainerEvent): void {
    switch (e.type) {
      case 'run_start': {
        const when = e.time.replace('T', ' ').slice(0, 16);
        this.summaryBase = {
          ...this.summaryBase,
          label: `${basename(e.config_path)} · ${when}`,
          configPath: e.config_path,
          outputDir: e.output_dir,
          startedAt: this.summaryBase.startedAt || e.time,
          backend: e.backend,
          method: e.method,
          params: { total: e.params.total, trainable: e.params.trainable },
          totalSteps: e.total_steps,
          config: e.config,
          eventsPath: this.summaryBase.eventsPath || join(e.output_dir, 'events.jsonl'),
        };
        this.status = 'running';
        this.sawDone = false;
        this.error = null;
        this.final = null;
        if (e.resumed_from) this.cutAt(e.resumed_from.step + 1);
        break;
      }
      case 'step':
        this.cutAt(e.step);
        push(this.series, this.pending, e);
        this.lastStepEvent = e;
        if (e.total_steps > 0) this.summaryBase.totalSteps = e.total_steps;
        break;
      case 'eval': {
        const s = this.series;
        if (s.evalStep.length > 0 && e.step <= s.evalStep[s.evalStep.length - 1]) this.cutEvalsAt(e.step);
        s.evalStep.push(e.step);
        s.evalLoss.push(e.eval_loss);
        this.pending.evalStep.push(e.step);
        this.pending.evalLoss.push(e.eval_loss);
        break;
      }
      case 'checkpoint':
        this.checkpoints = [...this.checkpoints.filter((c) => c.step !== e.step), { step: e.step, path: e.path }].sort((a, b) => a.step - b.step);
        break;
      case 'log':
        break;
      case 'done':
        this.sawDone = true;
        this.status = e.status;
        this.final = { trainLoss: e.metrics.train_loss, evalLoss: e.metrics.eval_loss, perplexity: e.metrics.perplexity, elapsed: e.metrics.elapsed };
        if (e.outputs.checkpoint && !this.checkpoints.some((c) => c.path === e.outputs.checkpoint)) {
          this.checkpoints = [...this.checkpoints, { step: e.step, path: e.outputs.checkpoint }];
        }
        break;
      case 'error':
        this.error = `${e.code}: ${e.message}`;
        this.status = 'failed';
        break;
    }
  }

  /** After reading a whole events file: a run that neither finished nor runs here was interrupted. */
  settle(): void {
    if (!this.sawDone && !this.active && this.status === 'running') this.status = 'stale';
  }

  /** The process ended: without a `done` event it failed (crash, kill, out of memory). */
  processExited(code: number | null, signal: string | null): void {
    this.active = false;
    if (!this.sawDone && this.status !== 'failed') {
      this.status = 'failed';
      this.error ??= signal ? `the trainer was killed by ${signal}` : `the trainer exited with code ${code} without finishing`;
    }
  }

  summary(): RunSummary {
    return {
      ...this.summaryBase,
      status: this.status,
      active: this.active,
      // Imported runs (common/runs) have no config Tunelab could train again.
      resumable: !this.active && this.checkpoints.length > 0 && this.status !== 'completed' && this.summaryBase.configPath !== '' && !this.summaryBase.backend.endsWith('(imported)'),
      lastStep: this.series.step.length > 0 ? this.series.step[this.series.step.length - 1] : 0,
      checkpoints: this.checkpoints,
      final: this.final,
      error: this.error,
    };
  }

  /** New points since the last call, or null when there are none. */
  takeBatch(): MetricBatch | null {
    const p = this.pending;
    if (!this.pendingReset && p.step.length === 0 && p.evalStep.length === 0) return null;
    const batch: MetricBatch = { runId: this.id, reset: this.pendingReset, ...p };
    this.pending = emptySeries();
    this.pendingReset = false;
    return batch;
  }

  /** Everything, as one resetting batch (a dashboard that opens or reloads). */
  fullBatch(): MetricBatch {
    const s = this.series;
    return { runId: this.id, reset: true, step: [...s.step], loss: [...s.loss], lr: [...s.lr], gradNorm: [...s.gradNorm], tokensPerS: [...s.tokensPerS], evalStep: [...s.evalStep], evalLoss: [...s.evalLoss] };
  }

  /** A resumed run continues from `step`: points at or past it belong to the abandoned trajectory. */
  private cutAt(step: number): void {
    const s = this.series;
    if (s.step.length === 0 || s.step[s.step.length - 1] < step) return;
    let n = s.step.length;
    while (n > 0 && s.step[n - 1] >= step) n--;
    for (const k of ['step', 'loss', 'lr', 'gradNorm', 'tokensPerS'] as const) s[k].length = n;
    this.cutEvalsAt(step);
    // The dashboard holds the abandoned points too: send everything again.
    this.pending = { ...emptySeries() };
    this.pendingReset = true;
    Object.assign(this.pending, { step: [...s.step], loss: [...s.loss], lr: [...s.lr], gradNorm: [...s.gradNorm], tokensPerS: [...s.tokensPerS], evalStep: [...s.evalStep], evalLoss: [...s.evalLoss] });
  }

  private cutEvalsAt(step: number): void {
    const s = this.series;
    let n = s.evalStep.length;
    while (n > 0 && s.evalStep[n - 1] >= step) n--;
    s.evalStep.length = n;
    s.evalLoss.length = n;
  }
}

function push(series: Series, pending: Series, e: StepEvent): void {
  for (const s of [series, pending]) {
    s.step.push(e.step);
    s.loss.push(e.loss);
    s.lr.push(e.lr);
    s.gradNorm.push(e.grad_norm);
    s.tokensPerS.push(e.tokens_per_s);
  }
}

/**
 * Reads the text of an events.jsonl file into trackers, one per run_id (an output_dir reused by
 * several runs holds several). Lines that do not parse are counted, not fatal: a file cut by a
 * crash ends in a partial line.
 */
export function foldEventsText(text: string, eventsPath: string, parse: (line: string) => TrainerEvent | { error: string }): { runs: RunTracker[]; badLines: number } {
  const runs = new Map<string, RunTracker>();
  let badLines = 0;
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const e = parse(line);
    if ('error' in e) {
      badLines++;
      continue;
    }
    let t = runs.get(e.run_id);
    if (!t) runs.set(e.run_id, (t = new RunTracker(e.run_id, eventsPath)));
    t.apply(e);
  }
  for (const t of runs.values()) {
    t.settle();
    t.takeBatch();
  }
  return { runs: [...runs.values()], badLines };
}
