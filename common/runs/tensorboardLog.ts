/**
 * TensorBoard scalars → the neutral metric log. Tag names are those of Transformers'
 * TensorBoardCallback (which Axolotl uses too): `train/loss`, `train/learning_rate`,
 * `train/grad_norm`, `train/epoch`, `eval/loss`, and at the end `train/train_loss`,
 * `train/train_runtime`. Bare names (`loss`, `eval_loss`) from older writers are accepted.
 */
import type { MetricLog } from './metricLog';
import type { ScalarPoint } from './tfevents';

const TAG: Record<string, 'loss' | 'lr' | 'grad' | 'epoch' | 'eval' | 'trainLoss' | 'runtime' | 'tps'> = {
  'train/loss': 'loss',
  loss: 'loss',
  'train/learning_rate': 'lr',
  learning_rate: 'lr',
  'train/grad_norm': 'grad',
  grad_norm: 'grad',
  'train/epoch': 'epoch',
  epoch: 'epoch',
  'eval/loss': 'eval',
  eval_loss: 'eval',
  'train/train_loss': 'trainLoss',
  'train/train_runtime': 'runtime',
  'train/tokens_per_second': 'tps',
};

/** Whether any scalar is one this module understands (else the file is some other kind of run). */
export function hasTrainingScalars(points: ScalarPoint[]): boolean {
  return points.some((p) => TAG[p.tag] === 'loss' || TAG[p.tag] === 'eval');
}

export function scalarsToMetricLog(points: ScalarPoint[]): MetricLog {
  type Row = Partial<Record<string, number>> & { wall: number };
  const rows = new Map<number, Row>();
  for (const p of points) {
    const k = TAG[p.tag];
    if (!k || !Number.isFinite(p.value)) continue;
    const row = rows.get(p.step) ?? { wall: p.wallTime };
    // A resumed run re-logs steps: the later write wins.
    row[k] = p.value;
    row.wall = Math.max(row.wall, p.wallTime);
    rows.set(p.step, row);
  }
  const log: MetricLog = { steps: [], evals: [], totalSteps: null, final: null };
  for (const [step, r] of [...rows].sort((a, b) => a[0] - b[0])) {
    if (r.loss !== undefined) {
      log.steps.push({ step, epoch: r.epoch ?? null, loss: r.loss, lr: r.lr ?? null, gradNorm: r.grad ?? null, tokensPerS: r.tps ?? null, wallTime: r.wall });
    }
    if (r.eval !== undefined) log.evals.push({ step, epoch: r.epoch ?? null, evalLoss: r.eval, wallTime: r.wall });
    if (r.trainLoss !== undefined || r.runtime !== undefined) log.final = { step, trainLoss: r.trainLoss ?? null, runtime: r.runtime ?? null };
  }
  return log;
}
