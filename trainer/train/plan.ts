/**
 * How many steps a run has and when it logs, evaluates and saves: pure arithmetic over the
 * config's keys, with the same defaults Axolotl / Transformers apply.
 */

export interface PlanInput {
  rowsPerEpoch: number;
  microBatchSize: number;
  gradientAccumulationSteps: number;
  numEpochs: number;
  maxSteps?: number | null;
  hasEval: boolean;
  evalSteps?: number | null;
  evalsPerEpoch?: number | null;
  saveSteps?: number | null;
  savesPerEpoch?: number | null;
  loggingSteps?: number | null;
}

export interface RunPlan {
  microBatchesPerEpoch: number;
  /** Optimizer steps per epoch; the last one of an epoch may accumulate fewer micro-batches. */
  stepsPerEpoch: number;
  totalSteps: number;
  /** Evaluate every this many steps (and after the last); null without a validation set. */
  evalEvery: number | null;
  /** Checkpoint every this many steps (and after the last). */
  saveEvery: number;
  logEvery: number;
}

/** `eval_steps` / `save_steps`: an integer count, or a fraction (< 1) of the total steps. */
function interval(value: number, totalSteps: number): number {
  return value < 1 ? Math.max(1, Math.ceil(value * totalSteps)) : Math.max(1, Math.floor(value));
}

export function planRun(p: PlanInput): RunPlan {
  const microBatchesPerEpoch = Math.ceil(p.rowsPerEpoch / p.microBatchSize);
  const stepsPerEpoch = Math.max(1, Math.ceil(microBatchesPerEpoch / p.gradientAccumulationSteps));
  const totalSteps = typeof p.maxSteps === 'number' && p.maxSteps > 0 ? Math.floor(p.maxSteps) : Math.max(1, Math.ceil(p.numEpochs * stepsPerEpoch));
  const perEpoch = (n: number) => Math.max(1, Math.floor(stepsPerEpoch / n));
  let evalEvery: number | null = null;
  if (p.hasEval) {
    if (typeof p.evalSteps === 'number' && p.evalSteps > 0) evalEvery = interval(p.evalSteps, totalSteps);
    else if (typeof p.evalsPerEpoch === 'number' && p.evalsPerEpoch > 0) evalEvery = perEpoch(p.evalsPerEpoch);
    else evalEvery = stepsPerEpoch;
  }
  let saveEvery = stepsPerEpoch;
  if (typeof p.saveSteps === 'number' && p.saveSteps > 0) saveEvery = interval(p.saveSteps, totalSteps);
  else if (typeof p.savesPerEpoch === 'number' && p.savesPerEpoch > 0) saveEvery = perEpoch(p.savesPerEpoch);
  const logEvery = typeof p.loggingSteps === 'number' && p.loggingSteps > 0 ? Math.floor(p.loggingSteps) : Math.max(1, Math.min(Math.floor(0.005 * totalSteps), 10));
  return { microBatchesPerEpoch, stepsPerEpoch, totalSteps, evalEvery, saveEvery, logEvery };
}
