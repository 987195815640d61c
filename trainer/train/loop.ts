/**
 * The training loop. One optimizer step, in order:
 *   micro-batches → forward → masked loss → backward (accumulated) → penalty → clip → AdamW → schedule → events
 * Everything a resumed run needs to continue the same trajectory is in `LoopState` plus the
 * weights and the optimizer's moments (trainer/checkpoint).
 */
import * as tf from '@tensorflow/tfjs-core';
import { epochRows, makeBatch, type Example, type TokenBatch } from '../data/batches';
import { AdamW, clipByGlobalNorm } from './adamw';
import { evaluate, type EvalResult } from './evaluate';
import type { RunPlan } from './plan';
import type { LossModel } from './port';
import type { Regularizer } from './regularize';
import { Rng, type RngState } from './rng';
import { learningRate, type Schedule } from './schedule';

/** Where the run is: saved in every checkpoint. */
export interface LoopState {
  /** Optimizer steps done. */
  step: number;
  /** Data position: the next micro-batch is number `micro` of epoch `epoch` (0-based). */
  epoch: number;
  micro: number;
  /** Dropout seeds come from here. */
  rng: RngState;
  /** Early stopping. */
  bestEval: number | null;
  badEvals: number;
}

export interface DataOptions {
  seed: number;
  seqLen: number;
  packing: boolean;
  padToSeqLen: boolean;
  padId: number;
  shuffle: boolean;
  microBatchSize: number;
  gradientAccumulationSteps: number;
  evalBatchSize: number;
}

/** What one step reports (the loop's caller turns it into `step` events). */
export interface StepReport {
  step: number;
  epoch: number;
  loss: number;
  lr: number;
  gradNorm: number;
  tokens: number;
  trainedTokens: number;
  /** The forgetting penalty of this step (EWC / L2-SP), when one is set; `loss` excludes it. */
  penalty?: number;
}

/** The caller's side: events, checkpoints and stop requests. */
export interface LoopHooks {
  onStep(r: StepReport): void;
  onEval(step: number, epoch: number, r: EvalResult): void;
  /** Writes a checkpoint (weights, optimizer, state); called at save points and on stop. */
  onCheckpoint(state: LoopState, optimizer: AdamW): Promise<void> | void;
  onLog(level: 'info' | 'warning', message: string): void;
  /** True once SIGINT / SIGTERM arrived: the loop finishes the step, checkpoints and returns. */
  stopRequested(): boolean;
}

export interface LoopResult {
  status: 'completed' | 'stopped';
  state: LoopState;
  lastLoss: number | null;
  lastEval: EvalResult | null;
  /** The step of the last checkpoint written, if any. */
  checkpointStep: number | null;
}

export function initialState(seed: number): LoopState {
  return { step: 0, epoch: 0, micro: 0, rng: new Rng(seed).state(), bestEval: null, badEvals: 0 };
}

export class TrainingLoop {
  private rng: Rng;
  private rowsCache: { epoch: number; rows: number[][] } | null = null;

  constructor(
    private readonly model: LossModel,
    private readonly optimizer: AdamW,
    private readonly train: readonly Example[],
    private readonly evalSet: readonly Example[],
    private readonly plan: RunPlan,
    private readonly schedule: Schedule,
    private readonly data: DataOptions,
    private readonly maxGradNorm: number | null,
    private readonly patience: number | null,
    private readonly hooks: LoopHooks,
    private state: LoopState,
    /** EWC / L2-SP (trainer/train/regularize.ts), or null. */
    private readonly regularizer: Regularizer | null = null,
  ) {
    this.rng = new Rng(state.rng);
  }

  async run(): Promise<LoopResult> {
    const { plan } = this;
    let lastLoss: number | null = null;
    let lastEval: EvalResult | null = null;
    let checkpointStep: number | null = null;
    let status: LoopResult['status'] = 'completed';
    while (this.state.step < plan.totalSteps) {
      const window = this.nextWindow(); //                     ≤ gas micro-batches, each [rows, T]
      const { loss, grads, tokens, trained } = this.accumulate(window); // mean loss per trained token
      const penalty = this.regularizer?.addTo(grads); //                 + c·(θ − θ0): EWC / L2-SP
      const { grads: clipped, norm } = clipByGlobalNorm(grads, this.maxGradNorm);
      const lr = learningRate(this.schedule, this.state.step);
      this.optimizer.step(clipped, lr);
      for (const g of clipped.values()) g.dispose();
      this.state.step += 1;
      lastLoss = loss;
      const step = this.state.step;
      this.hooks.onStep({ step, epoch: this.epochProgress(), loss, lr, gradNorm: norm, tokens, trainedTokens: trained, ...(penalty !== undefined ? { penalty } : {}) });

      let stop = this.hooks.stopRequested();
      const last = step === plan.totalSteps;
      if (plan.evalEvery !== null && (step % plan.evalEvery === 0 || last) && !stop) {
        lastEval = this.evaluate();
        this.hooks.onEval(step, this.epochProgress(), lastEval);
        if (this.earlyStop(lastEval.loss)) {
          this.hooks.onLog('info', `early stopping: validation loss has not improved for ${this.patience} evaluations`);
          stop = true;
        }
      }
      if (step % plan.saveEvery === 0 || last || stop) {
        this.state.rng = this.rng.state();
        await this.hooks.onCheckpoint({ ...this.state }, this.optimizer);
        checkpointStep = step;
      }
      if (stop) {
        // A stop that arrives with the last step changes nothing: the run is complete.
        status = this.hooks.stopRequested() && !last ? 'stopped' : 'completed';
        break;
      }
      // Let signal handlers and stream writes run between steps.
      await new Promise((r) => setImmediate(r));
    }
    this.state.rng = this.rng.state();
    return { status, state: { ...this.state }, lastLoss, lastEval, checkpointStep };
  }

  /** Up to gradient_accumulation_steps micro-batches; a window never crosses an epoch's end. */
  private nextWindow(): TokenBatch[] {
    const { microBatchSize, gradientAccumulationSteps } = this.data;
    const out: TokenBatch[] = [];
    for (let k = 0; k < gradientAccumulationSteps; k++) {
      const rows = this.epochRowList(this.state.epoch);
      const start = this.state.micro * microBatchSize;
      out.push(makeBatch(this.train, rows.slice(start, start + microBatchSize), { seqLen: this.data.seqLen, padId: this.data.padId, padToSeqLen: this.data.padToSeqLen }));
      this.state.micro += 1;
      if (this.state.micro >= this.plan.microBatchesPerEpoch) {
        this.state.epoch += 1;
        this.state.micro = 0;
        break;
      }
    }
    return out;
  }

  /**
   * Forward and backward over the window. Each micro-batch's summed loss is divided by the
   * window's trained-token count, so the accumulated gradient equals one big batch's
   * (gradient accumulation 2 × micro-batch 1 ≡ micro-batch 2).
   */
  private accumulate(window: TokenBatch[]): { loss: number; grads: Map<string, tf.Tensor>; tokens: number; trained: number } {
    const trained = window.reduce((s, b) => s + b.trainedTokens, 0);
    const tokens = window.reduce((s, b) => s + b.tokens, 0);
    const vars = this.model.params.map((p) => p.variable);
    const byVar = new Map(this.model.params.map((p) => [p.variable.name, p.name]));
    const grads = new Map<string, tf.Tensor>();
    let loss = 0;
    for (const batch of window) {
      const seed = this.rng.nextU32();
      if (batch.trainedTokens === 0) continue;
      const { value, grads: g } = tf.variableGrads(() => tf.div(this.model.lossSum(batch, { training: true, seed }), trained) as tf.Scalar, vars);
      loss += value.dataSync()[0]!;
      value.dispose();
      for (const [varName, t] of Object.entries(g)) {
        const name = byVar.get(varName)!;
        const prev = grads.get(name);
        if (prev) {
          grads.set(name, tf.add(prev, t));
          prev.dispose();
          t.dispose();
        } else grads.set(name, t);
      }
    }
    return { loss: trained > 0 ? loss : NaN, grads, tokens, trained };
  }

  private evaluate(): EvalResult {
    return evaluate(this.model, this.evalSet, { batchSize: this.data.evalBatchSize, seqLen: this.data.seqLen, padId: this.data.padId, packing: this.data.packing });
  }

  private earlyStop(loss: number): boolean {
    const r = earlyStopping(this.state, loss, this.patience);
    this.state.bestEval = r.bestEval;
    this.state.badEvals = r.badEvals;
    return r.stop;
  }

  private epochRowList(epoch: number): number[][] {
    if (this.rowsCache?.epoch !== epoch) {
      this.rowsCache = { epoch, rows: epochRows(this.train, epoch, { seed: this.data.seed, seqLen: this.data.seqLen, packing: this.data.packing, shuffle: this.data.shuffle }) };
    }
    return this.rowsCache.rows;
  }

  private epochProgress(): number {
    return this.state.epoch + this.state.micro / this.plan.microBatchesPerEpoch;
  }
}

/**
 * Transformers' EarlyStoppingCallback (threshold 0): an evaluation that does not beat the best
 * loss so far counts against the patience; `patience` such evaluations in a row stop the run.
 */
export function earlyStopping(s: Pick<LoopState, 'bestEval' | 'badEvals'>, loss: number, patience: number | null): { bestEval: number | null; badEvals: number; stop: boolean } {
  if (patience === null || !(patience > 0)) return { bestEval: s.bestEval, badEvals: s.badEvals, stop: false };
  if (s.bestEval === null || loss < s.bestEval) return { bestEval: loss, badEvals: 0, stop: false };
  return { bestEval: s.bestEval, badEvals: s.badEvals + 1, stop: s.badEvals + 1 >= patience };
}
