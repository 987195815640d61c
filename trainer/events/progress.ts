import type { StepEvent } from '../../common/protocol/events';

const WIDTH = 24;

/** One progress line for a step: bar, step count, loss, lr, tokens/s and ETA. */
export function progressLine(e: StepEvent): string {
  const frac = e.total_steps > 0 ? Math.min(1, e.step / e.total_steps) : 0;
  const filled = Math.round(frac * WIDTH);
  const bar = '█'.repeat(filled) + '░'.repeat(WIDTH - filled);
  const parts = [
    `${bar} ${e.step}/${e.total_steps}`,
    `loss ${e.loss.toFixed(4)}`,
    `lr ${e.lr.toExponential(2)}`,
    e.grad_norm === null ? null : `grad ${e.grad_norm.toFixed(3)}`,
    e.tokens_per_s === null ? null : `${Math.round(e.tokens_per_s)} tok/s`,
    `elapsed ${duration(e.elapsed)}`,
    e.eta === null ? null : `eta ${duration(e.eta)}`,
  ];
  return parts.filter((p) => p !== null).join('  ');
}

/** 75 → "1m15s", 3725 → "1h02m". */
export function duration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}
