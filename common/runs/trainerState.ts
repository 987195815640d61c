/**
 * Hugging Face Transformers' `trainer_state.json` (written into every checkpoint-N folder and,
 * at the end, the output folder): `log_history` holds one object per logging step
 * (`loss`, `learning_rate`, `grad_norm`, `epoch`, `step`), per evaluation (`eval_loss`, ...) and
 * the final summary (`train_loss`, `train_runtime`); `max_steps` is the planned length.
 */
import type { LoggedEval, LoggedStep, MetricLog } from './metricLog';

export type TrainerStateResult = { ok: true; log: MetricLog } | { ok: false; message: string };

const num = (x: unknown): number | null => (typeof x === 'number' && Number.isFinite(x) ? x : null);

/** Parses the file's text; a JSON error is reported with its line and column. */
export function parseTrainerState(text: string): TrainerStateResult {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return { ok: false, message: `not JSON: ${jsonErrorWhere(text, e as Error)}` };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { ok: false, message: 'not a JSON object' };
  const o = value as Record<string, unknown>;
  if (!Array.isArray(o.log_history)) return { ok: false, message: 'no log_history array: not a Transformers trainer_state.json' };
  const steps: LoggedStep[] = [];
  const evals: LoggedEval[] = [];
  let final: MetricLog['final'] = null;
  for (const entry of o.log_history) {
    if (typeof entry !== 'object' || entry === null) continue;
    const h = entry as Record<string, unknown>;
    const step = num(h.step);
    if (step === null) continue;
    const epoch = num(h.epoch);
    const loss = num(h.loss);
    if (loss !== null) {
      steps.push({ step, epoch, loss, lr: num(h.learning_rate), gradNorm: num(h.grad_norm), tokensPerS: null, wallTime: null });
    }
    const evalLoss = num(h.eval_loss);
    if (evalLoss !== null) evals.push({ step, epoch, evalLoss, wallTime: null });
    if ('train_loss' in h || 'train_runtime' in h) final = { step, trainLoss: num(h.train_loss), runtime: num(h.train_runtime) };
  }
  return { ok: true, log: { steps, evals, totalSteps: num(o.max_steps), final } };
}

/** "Unexpected token … in JSON at position N" → "… (line L, column C)". */
export function jsonErrorWhere(text: string, e: Error): string {
  const m = /position (\d+)/.exec(e.message);
  if (!m) return e.message;
  const pos = Number(m[1]);
  const before = text.slice(0, pos);
  const line = before.split('\n').length;
  const col = pos - before.lastIndexOf('\n');
  return `${e.message.replace(/ in JSON at position \d+.*$/, '')} (line ${line}, column ${col})`;
}
