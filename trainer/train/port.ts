import type * as tf from '@tensorflow/tfjs-core';
import type { TokenBatch } from '../data/batches';
import type { NamedParam } from './adamw';

/**
 * What the loop needs from a model: its trainable tensors and a differentiable masked loss. The
 * model side (trainer/model) is adapted to this in trainer/train/modelPort.ts, so the loop reads
 * the same for full fine-tuning, LoRA and whatever comes next.
 */
export interface LossModel {
  /** Trainable parameters (for LoRA only the adapter), named as in the saved files. */
  readonly params: readonly NamedParam[];
  /**
   * Σ cross-entropy of the labelled positions of `batch` (labels unshifted: token i is predicted
   * at position i − 1; IGNORE positions skipped), as a scalar built inside the caller's gradient
   * tape. `seed` drives dropout when `training`.
   */
  lossSum(batch: TokenBatch, opts: { training: boolean; seed: number }): tf.Scalar;
}
