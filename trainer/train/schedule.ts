/**
 * Learning-rate schedules as pure functions of the optimizer step, following the shapes of
 * Hugging Face Transformers' `get_scheduler` (which Axolotl passes `lr_scheduler` to): the factor
 * for update number `step` (0-based, the update about to be applied) multiplies the peak rate.
 * With warm-up the very first update therefore runs at factor 0, exactly as Transformers does.
 */

/** The scheduler names the trainer runs; Axolotl's other names are refused by `scheduleKind`. */
export type ScheduleKind = 'cosine' | 'linear' | 'constant' | 'constant_with_warmup';

export interface Schedule {
  kind: ScheduleKind;
  /** Peak learning rate (`learning_rate`). */
  peak: number;
  /** Warm-up length in optimizer steps. */
  warmupSteps: number;
  /** Total optimizer steps of the run. */
  totalSteps: number;
}

export const SCHEDULE_KINDS: readonly ScheduleKind[] = ['cosine', 'linear', 'constant', 'constant_with_warmup'];

/** Multiplier of the peak rate for update `step` (0-based). */
export function scheduleFactor(s: Schedule, step: number): number {
  const warm = s.kind === 'constant' ? 0 : s.warmupSteps;
  if (step < warm) return step / Math.max(1, warm);
  switch (s.kind) {
    case 'constant':
    case 'constant_with_warmup':
      return 1;
    case 'linear':
      return Math.max(0, (s.totalSteps - step) / Math.max(1, s.totalSteps - warm));
    case 'cosine': {
      const progress = (step - warm) / Math.max(1, s.totalSteps - warm);
      // Transformers' default num_cycles = 0.5: one half-period from 1 down to 0.
      return Math.max(0, 0.5 * (1 + Math.cos(Math.PI * progress)));
    }
  }
}

/** Learning rate for update `step` (0-based). */
export function learningRate(s: Schedule, step: number): number {
  return s.peak * scheduleFactor(s, step);
}

/**
 * Warm-up steps from the config: `warmup_steps` wins, then `warmup_ratio` (rounded up, as
 * Transformers' `get_warmup_steps` does), else Axolotl's runtime default min(int(0.03·total), 100).
 */
export function warmupSteps(totalSteps: number, opts: { warmupSteps?: number | null; warmupRatio?: number | null }): number {
  if (typeof opts.warmupSteps === 'number') return Math.max(0, Math.floor(opts.warmupSteps));
  if (typeof opts.warmupRatio === 'number') return Math.ceil(totalSteps * opts.warmupRatio);
  return Math.min(Math.floor(0.03 * totalSteps), 100);
}
