import type { StepEvent, TrainerEvent } from '../../common/protocol/events';

/** "45 s", "3 m 05 s", "2 h 04 m": compact enough for a status bar. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} m ${String(s % 60).padStart(2, '0')} s`;
  const h = Math.floor(m / 60);
  return `${h} h ${String(m % 60).padStart(2, '0')} m`;
}

/** A loss with four significant digits ("2.303", "0.01234"); exponent form below 1e-3. */
export function formatLoss(loss: number): string {
  if (!Number.isFinite(loss)) return String(loss);
  if (loss !== 0 && Math.abs(loss) < 1e-3) return loss.toExponential(2);
  return loss.toPrecision(4);
}

/** The run's status bar text: "step 120/500 · loss 1.234 · ETA 2 m 10 s". */
export function stepStatusText(e: StepEvent): string {
  const parts = [`step ${e.step}/${e.total_steps}`, `loss ${formatLoss(e.loss)}`];
  if (e.eta !== null) parts.push(`ETA ${formatDuration(e.eta)}`);
  return parts.join(' · ');
}

/** One human line for the output channel per event that matters to a person reading the log. */
export function stepLogLine(e: StepEvent): string {
  const extra = [
    `lr ${e.lr.toExponential(2)}`,
    e.grad_norm === null ? null : `grad_norm ${e.grad_norm.toPrecision(3)}`,
    e.tokens_per_s === null ? null : `${Math.round(e.tokens_per_s)} tok/s`,
  ].filter((x) => x !== null);
  return `step ${e.step}/${e.total_steps} epoch ${e.epoch.toFixed(2)} loss ${formatLoss(e.loss)} ${extra.join(' ')}`;
}

/** The output channel's line for an event (null for events that would only add noise). */
export function humanLine(e: TrainerEvent): string | null {
  switch (e.type) {
    case 'run_start':
      return `run ${e.run_id}: ${e.method} on ${e.backend}, ${e.params.trainable.toLocaleString('en-US')} of ${e.params.total.toLocaleString('en-US')} parameters trainable, ${e.dataset.train_records} train / ${e.dataset.eval_records} eval records, ${e.total_steps} steps${e.resumed_from ? `, resumed from step ${e.resumed_from.step}` : ''}`;
    case 'step':
      return stepLogLine(e);
    case 'eval':
      return `eval at step ${e.step}: loss ${formatLoss(e.eval_loss)}, perplexity ${e.perplexity.toPrecision(4)}`;
    case 'checkpoint':
      return `checkpoint at step ${e.step}: ${e.path}`;
    case 'log':
      return `${e.level}: ${e.message}`;
    case 'done':
      return `done (${e.status}) at step ${e.step} after ${formatDuration(e.metrics.elapsed)}; ${Object.entries(e.outputs).map(([k, v]) => `${k}: ${v}`).join(', ')}`;
    case 'error':
      return `error ${e.code}: ${e.message}${e.location ? ` (${e.location.path}:${e.location.range.start.line + 1}:${e.location.range.start.character + 1})` : ''}`;
    case 'benchmark':
      return `benchmarks at step ${e.step}: ${e.verdict ?? e.tasks.map((t) => `${t.task} ${t.metric} ${t.value.toFixed(4)}`).join('; ')}${e.report ? ` (${e.report})` : ''}`;
  }
}
