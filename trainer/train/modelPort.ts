/**
 * Adapts the model side (trainer/model's CausalLM) to the loop's `LossModel`: turns a TokenBatch
 * into the model's flat inputs and next-token targets, and lists the trainable parameters with
 * their weight-decay flags.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { shiftTargets, type CausalLM } from '../model/index';
import type { TokenBatch } from '../data/batches';
import type { NamedParam } from './adamw';
import type { LossModel } from './port';

export function lossModel(model: CausalLM): LossModel {
  const params: NamedParam[] = model
    .parameters()
    .filter((p) => p.variable.trainable)
    .map((p) => ({ name: p.name, variable: p.variable, decay: p.decay }));
  return {
    params,
    lossSum(batch: TokenBatch, opts: { training: boolean; seed: number }): tf.Scalar {
      const input = { batch: batch.rows, seqLen: batch.seqLen, inputIds: batch.inputIds, positionIds: batch.positionIds, segmentIds: batch.segmentIds };
      const targets = shiftTargets(batch.labels, batch.segmentIds, batch.rows, batch.seqLen);
      const weights = batch.labelWeights ? shiftWeights(batch.labelWeights, targets) : undefined;
      const r = model.loss(input, targets, { training: opts.training, seed: opts.seed }, weights);
      r.loss.dispose();
      return r.sum;
    },
  };
}

/** Per-label loss weights moved to the target positions (target t is label t + 1), 0 where no target. */
export function shiftWeights(labelWeights: Float32Array, targets: Int32Array): Float32Array {
  const out = new Float32Array(targets.length);
  for (let i = 0; i + 1 < targets.length; i++) if (targets[i]! >= 0) out[i] = labelWeights[i + 1]!;
  return out;
}
