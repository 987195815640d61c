/**
 * Forgetting penalties on the trainable weights θ, anchored at their values θ0 when training starts:
 *
 *   L2-SP (`l2sp_lambda` = λs):  (λs / 2) · Σ_i (θ_i − θ0_i)²
 *   EWC   (`ewc_lambda`  = λe):  (λe / 2) · Σ_i F_i (θ_i − θ0_i)²
 *
 * F is the diagonal (empirical) Fisher information of the language-model loss on general data
 * (`ewc_data`, `ewc_samples` sequences): F_i = mean over sequences s of (∂L_s/∂θ_i)², with L_s the
 * mean next-token cross-entropy of sequence s, computed at θ0 before the first step. Both share the
 * anchor, so the trainer keeps one coefficient per weight, c = λs + λe·F, and the penalty is
 * ½ Σ c (θ − θ0)² with gradient c·(θ − θ0), added to the task gradient before clipping (the loop's
 * "penalty" step). The penalty is not divided by the token count: λ is per optimizer step.
 *
 * Which weights: the trainable ones. Full fine-tuning anchors every weight at the base model.
 * LoRA anchors the adapter: B starts at zero and A at its seeded random init, so L2-SP pulls the
 * low-rank delta B·A toward zero (weight decay of the delta toward the base model, not toward 0
 * weights), and EWC's Fisher on A is zero at the start (∂L/∂A = 0 while B = 0), so EWC acts on B.
 * A resumed run recomputes θ0 and F the same way before loading the checkpoint (the adapter init
 * is seeded and the Fisher pass has no dropout), so the penalty continues unchanged.
 */
import * as tf from '@tensorflow/tfjs-core';
import { makeBatch, type Example } from '../data/batches';
import type { NamedParam } from './adamw';
import type { LossModel } from './port';
import { num } from '../peft/configValues';

/** The penalty settings read from the config (Tunelab keys; common/config/schema/keysTunelab.ts). */
export interface RegularizeSettings {
  /** `l2sp_lambda`, 0 when unset. */
  l2spLambda: number;
  /** `ewc_lambda`, 0 when unset. */
  ewcLambda: number;
  /** `ewc_data` as written (resolved by setup), null when unset. */
  ewcData: string | null;
  /** `ewc_samples` (default 64). */
  ewcSamples: number;
}

type Raw = Record<string, unknown>;

/** Reads the penalty keys; bad values are refused through `refuse(code, key, message)` like the other settings. */
export function readRegularizeSettings(cfg: Raw, refuse: (code: string, key: string, message: string) => void): RegularizeSettings {
  const nonNegative = (key: string): number => {
    const v = num(cfg[key]);
    if (v === null) return 0;
    if (!(v >= 0)) refuse('trainer-invalid-setting', key, `${key} must be a number ≥ 0`);
    return Math.max(0, v);
  };
  const l2spLambda = nonNegative('l2sp_lambda');
  const ewcLambda = nonNegative('ewc_lambda');
  const ewcData = typeof cfg.ewc_data === 'string' && cfg.ewc_data.trim() !== '' ? cfg.ewc_data : null;
  const samples = num(cfg.ewc_samples);
  if (samples !== null && (!Number.isInteger(samples) || samples < 1)) refuse('trainer-invalid-setting', 'ewc_samples', 'ewc_samples must be a positive integer');
  if (ewcLambda > 0 && ewcData === null) refuse('trainer-invalid-setting', 'ewc_lambda', 'ewc_lambda needs ewc_data (general text for the Fisher information)');
  return { l2spLambda, ewcLambda, ewcData, ewcSamples: samples !== null && samples >= 1 ? Math.floor(samples) : 64 };
}

/** What the loop calls once per optimizer step. */
export interface Regularizer {
  /** 'l2sp', 'ewc' or 'ewc+l2sp' (for the run's log). */
  readonly kind: string;
  /** Adds the penalty's gradient to `grads` (by parameter name, in place) and returns the penalty value. */
  addTo(grads: Map<string, tf.Tensor>): number;
  dispose(): void;
}

/**
 * The diagonal Fisher of the LM loss at the model's current weights, one forward and backward per
 * example (rows of one sequence, every token after the first a target, no dropout): F_i is the
 * mean over examples of the squared gradient of that example's mean token loss.
 */
export function diagonalFisher(model: LossModel, examples: readonly Example[], opts: { seqLen: number; padId: number }): Map<string, tf.Tensor> {
  const vars = model.params.map((p) => p.variable);
  const byVar = new Map(model.params.map((p) => [p.variable.name, p.name]));
  const sums = new Map<string, tf.Tensor>(model.params.map((p) => [p.name, tf.zerosLike(p.variable)]));
  let n = 0;
  for (let i = 0; i < examples.length; i++) {
    const batch = makeBatch(examples, [[i]], { seqLen: opts.seqLen, padId: opts.padId, padToSeqLen: false });
    if (batch.trainedTokens === 0) continue;
    const { value, grads } = tf.variableGrads(() => tf.div(model.lossSum(batch, { training: false, seed: 0 }), batch.trainedTokens) as tf.Scalar, vars);
    value.dispose();
    for (const [varName, g] of Object.entries(grads)) {
      const name = byVar.get(varName)!;
      const prev = sums.get(name)!;
      sums.set(name, tf.tidy(() => tf.add(prev, tf.square(g))));
      prev.dispose();
      g.dispose();
    }
    n++;
  }
  if (n === 0) throw new Error('ewc_data has no sequence with at least two tokens to estimate the Fisher information on');
  const out = new Map<string, tf.Tensor>();
  for (const [name, s] of sums) {
    out.set(name, tf.div(s, n));
    s.dispose();
  }
  return out;
}

/**
 * The combined penalty ½ Σ c (θ − θ0)², c = λs + λe·F, anchored at the parameters' current values.
 * `fisher` is required when `ewcLambda` > 0 (its tensors are kept by the regularizer, which
 * disposes them).
 */
export function anchorPenalty(params: readonly NamedParam[], s: Pick<RegularizeSettings, 'l2spLambda' | 'ewcLambda'>, fisher?: Map<string, tf.Tensor>): Regularizer {
  if (s.ewcLambda > 0 && !fisher) throw new Error('EWC needs the Fisher information');
  const terms = params.map((p) => {
    const anchor = tf.keep(tf.clone(p.variable)) as tf.Tensor;
    const f = s.ewcLambda > 0 ? fisher!.get(p.name) : undefined;
    // A per-weight coefficient only when the Fisher makes it vary; L2-SP alone is a scalar.
    const coef: tf.Tensor | number = f ? tf.keep(tf.tidy(() => tf.add(tf.mul(f, s.ewcLambda), s.l2spLambda))) : s.l2spLambda;
    return { param: p, anchor, coef };
  });
  if (fisher) for (const f of fisher.values()) f.dispose();
  const kind = s.ewcLambda > 0 && s.l2spLambda > 0 ? 'ewc+l2sp' : s.ewcLambda > 0 ? 'ewc' : 'l2sp';
  return {
    kind,
    addTo(grads) {
      const parts: tf.Scalar[] = [];
      for (const { param, anchor, coef } of terms) {
        const [grad, part] = tf.tidy(() => {
          const delta = tf.sub(param.variable, anchor);
          const g = tf.mul(delta, coef); //                  c·(θ − θ0)
          const v = tf.mul(tf.sum(tf.mul(g, delta)), 0.5) as tf.Scalar; // ½ Σ c (θ − θ0)²
          const prev = grads.get(param.name);
          return [prev ? tf.add(prev, g) : g, v] as const;
        });
        grads.get(param.name)?.dispose();
        grads.set(param.name, grad);
        parts.push(part);
      }
      if (parts.length === 0) return 0;
      const total = tf.addN(parts);
      const value = total.dataSync()[0]!;
      total.dispose();
      for (const p of parts) p.dispose();
      return value;
    },
    dispose() {
      for (const t of terms) {
        t.anchor.dispose();
        if (typeof t.coef !== 'number') t.coef.dispose();
      }
    },
  };
}

/** The run's regularizer, or null when no penalty is set: Fisher first (at θ0), then the anchors. */
export function buildRegularizer(model: LossModel, s: RegularizeSettings, fisherData: readonly Example[], opts: { seqLen: number; padId: number }): Regularizer | null {
  if (!(s.l2spLambda > 0) && !(s.ewcLambda > 0)) return null;
  const fisher = s.ewcLambda > 0 ? diagonalFisher(model, fisherData, opts) : undefined;
  return anchorPenalty(model.params, s, fisher);
}
