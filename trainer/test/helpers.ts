/**
 * Shared by the trainer's model and PEFT tests: the fixture models, one fixed input, and the
 * numeric comparisons (logits, finite differences) the tests assert on.
 */
import { join } from 'node:path';
import { tf } from '../backend/index';
import type { CausalLM, ForwardOptions } from '../model/index';

/** trainer/test/fixtures: the tiny llama, gpt2 and qwen2 models. */
export const fixtures = join(import.meta.dirname, 'fixtures');
/** Two rows of six token ids, each below every fixture's vocabulary size. */
export const ids = Int32Array.from([3, 17, 5, 9, 22, 1, 30, 11, 4, 8, 2, 6]);
/** `ids` as a model input (batch 2, sequence 6). */
export const input = { batch: 2, seqLen: 6, inputIds: ids };

/** The model's logits for `input`, copied out (the tensor is disposed). */
export function logits(model: CausalLM, opts: ForwardOptions = {}): Float32Array {
  const l = model.logits(input, opts);
  const out = l.dataSync() as Float32Array;
  l.dispose();
  return out;
}

/** The largest absolute elementwise difference. */
export function maxDiff(a: Float32Array, b: Float32Array): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d;
}

/**
 * The central finite difference of `loss` in one entry of `variable`: the entry where `grad` (the
 * analytic gradient) is largest, so the difference stands well above float32 noise. The variable
 * is restored afterwards.
 */
export function centralDifference(variable: tf.Variable, grad: ArrayLike<number>, loss: () => number, eps = 1e-2): { at: number; numeric: number } {
  let at = 0;
  for (let i = 1; i < grad.length; i++) if (Math.abs(grad[i]) > Math.abs(grad[at])) at = i;
  const base = variable.dataSync().slice() as Float32Array;
  const lossWith = (delta: number) => {
    const v = base.slice();
    v[at] += delta;
    variable.assign(tf.tensor(v, variable.shape));
    return loss();
  };
  const numeric = (lossWith(eps) - lossWith(-eps)) / (2 * eps);
  variable.assign(tf.tensor(base, variable.shape));
  return { at, numeric };
}
