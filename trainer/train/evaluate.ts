import * as tf from '@tensorflow/tfjs-core';
import { makeBatch, packRows, type Example } from '../data/batches';
import type { LossModel } from './port';

export interface EvalOptions {
  batchSize: number;
  seqLen: number;
  padId: number;
  packing: boolean;
}

export interface EvalResult {
  /** Mean cross-entropy per trained token (nats). */
  loss: number;
  /** exp(loss). */
  perplexity: number;
  /** Trained tokens scored. */
  tokens: number;
}

/**
 * Validation loss and perplexity: the token-weighted mean of the masked loss over every record,
 * so the result does not depend on how records fall into batches.
 */
export function evaluate(model: LossModel, examples: readonly Example[], opts: EvalOptions): EvalResult {
  const rows = opts.packing
    ? packRows(
        examples.map((e) => e.ids.length),
        opts.seqLen,
      )
    : examples.map((_, i) => [i]);
  let sum = 0;
  let tokens = 0;
  for (let i = 0; i < rows.length; i += opts.batchSize) {
    const batch = makeBatch(examples, rows.slice(i, i + opts.batchSize), { seqLen: opts.seqLen, padId: opts.padId, padToSeqLen: false });
    if (batch.trainedTokens === 0) continue;
    const s = tf.tidy(() => model.lossSum(batch, { training: false, seed: 0 }));
    sum += s.dataSync()[0]!;
    s.dispose();
    tokens += batch.trainedTokens;
  }
  const loss = tokens > 0 ? sum / tokens : NaN;
  return { loss, perplexity: Math.exp(loss), tokens };
}
