/**
 * Human lines for engine events on stderr (without --json): the same facts the built-in
 * trainer's progress shows, one line per event.
 */
import type { TrainerEvent } from '../../common/protocol/events';

const dur = (s: number) => {
  const t = Math.max(0, Math.round(s));
  return t < 60 ? `${t}s` : t < 3600 ? `${Math.floor(t / 60)}m${String(t % 60).padStart(2, '0')}s` : `${Math.floor(t / 3600)}h${String(Math.floor((t % 3600) / 60)).padStart(2, '0')}m`;
};

export function humanEventLine(e: TrainerEvent): string {
  switch (e.type) {
    case 'run_start':
      return `tunelab: training ${e.method} with ${e.backend}: ${e.params.trainable.toLocaleString('en-US')} of ${e.params.total.toLocaleString('en-US')} parameters trainable, ${e.dataset.train_records} train / ${e.dataset.eval_records} eval records, ${e.total_steps} steps → ${e.output_dir}${e.resumed_from ? ` (resumed from step ${e.resumed_from.step})` : ''}`;
    case 'step':
      return [
        `step ${e.step}/${e.total_steps}`,
        `loss ${e.loss.toFixed(4)}`,
        `lr ${e.lr.toExponential(2)}`,
        e.grad_norm === null ? null : `grad ${e.grad_norm.toFixed(3)}`,
        e.tokens_per_s === null ? null : `${Math.round(e.tokens_per_s)} tok/s`,
        `elapsed ${dur(e.elapsed)}`,
        e.eta === null ? null : `eta ${dur(e.eta)}`,
      ]
        .filter((x) => x !== null)
        .join('  ');
    case 'eval':
      return `eval at step ${e.step}: loss ${e.eval_loss.toFixed(4)}, perplexity ${e.perplexity.toFixed(2)}`;
    case 'checkpoint':
      return `checkpoint at step ${e.step}: ${e.path}`;
    case 'log':
      return `${e.level === 'info' ? '' : e.level + ': '}${e.message}`;
    case 'done':
      return `done (${e.status}) at step ${e.step}${e.outputs.adapter ? `; adapter: ${e.outputs.adapter}` : ''}${e.outputs.model ? `; model: ${e.outputs.model}` : ''}; events: ${e.outputs.events}`;
    case 'error':
      return `tunelab train: ${e.location ? `${e.location.path}:${e.location.range.start.line + 1}:${e.location.range.start.character + 1}: ` : ''}${e.code}: ${e.message}`;
    case 'benchmark':
      return `benchmarks at step ${e.step}: ${e.verdict ?? e.tasks.map((t) => `${t.task} ${t.metric} ${t.value.toFixed(4)}`).join('; ')}${e.report ? `; report: ${e.report}` : ''}`;
  }
}
