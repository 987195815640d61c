/**
 * `tunelab train`: setup (refuse bad input before compute) → backend → model (+ LoRA) → resume →
 * the loop (trainer/train/loop.ts) → outputs, with every stage reported as an event.
 */
import { randomBytes } from 'node:crypto';
import { dirname, join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { encode } from '../../common/chat/index';
import { selectBackend, type BackendChoice } from '../backend/index';
import { listCheckpoints, pruneCheckpoints, readCheckpoint, writeCheckpoint, CHECKPOINT_FORMAT } from '../checkpoint/checkpoint';
import { rowsPerEpoch } from '../data/batches';
import type { EventOutput } from '../events/writer';
import { EventWriter } from '../events/writer';
import { loadModel } from '../io/index';
import type { CausalLM } from '../model/index';
import { applyMethod, type AppliedMethod } from '../peft/index';
import { applyQuantization, describeQuantization } from '../peft/quantized';
import { AdamW } from './adamw';
import { initialState, TrainingLoop, type LoopState } from './loop';
import { lossModel } from './modelPort';
import { planRun } from './plan';
import { warmupSteps } from './schedule';
import { prepareRun, type SetupProblem } from './setup';
import { TrainingBenchmarks } from '../eval/trainingHook';
import { buildRegularizer, type Regularizer } from './regularize';
import { describeBackendFailure } from '../backend/aborted';

export interface TrainRequest {
  configPath: string;
  cwd: string;
  maxSteps?: number;
  outputDir?: string;
  backend?: BackendChoice;
  /** Continue from the newest checkpoint in the output directory. */
  resume?: boolean;
}

/** How a stop is requested: the CLI wires SIGINT / SIGTERM to it. */
export interface StopSignal {
  requested(): boolean;
}

/** Exit codes: 0 completed or stopped, 1 the run failed, 2 refused before compute. */
export async function runTraining(req: TrainRequest, output: EventOutput, stop: StopSignal): Promise<number> {
  const started = Date.now();
  const events = new EventWriter(randomBytes(6).toString('hex'), output);
  const refuse = (problems: SetupProblem[]) => {
    for (const p of problems.slice(0, 20)) events.emit({ type: 'error', code: p.code, message: p.message, ...(p.location ? { location: p.location } : {}) });
    return 2;
  };

  const prepared = await prepareRun(req);
  if (!prepared.ok) {
    // Refusals are part of the run's record too, when it is known where that record lives.
    if (prepared.outputDir !== undefined) openEventsFile(events, prepared.outputDir);
    return refuse(prepared.problems);
  }
  const s = prepared.setup;
  const { settings } = s;
  events.openFile(join(s.outputDir, 'events.jsonl'));

  // Which checkpoint to continue from, if any.
  let resumeFrom: string | null = null;
  if (settings.resumeFromCheckpoint) resumeFrom = settings.resumeFromCheckpoint;
  else if (req.resume) resumeFrom = listCheckpoints(s.outputDir).at(-1)?.path ?? null;
  let checkpoint = null;
  if (resumeFrom) {
    try {
      checkpoint = readCheckpoint(resolve(req.cwd, resumeFrom));
    } catch (e) {
      return refuse([{ code: 'trainer-checkpoint-invalid', message: (e as Error).message }]);
    }
    events.setRunId(checkpoint.state.run_id);
  } else if (req.resume) {
    events.emit({ type: 'log', level: 'warning', message: `--resume: no checkpoint in ${s.outputDir}; starting from the beginning` });
  } else {
    const existing = listCheckpoints(s.outputDir);
    if (existing.length > 0) {
      events.emit({ type: 'log', level: 'warning', message: `${s.outputDir} already holds checkpoints up to step ${existing.at(-1)!.step}; starting a new run there (pass --resume to continue instead)` });
    }
  }

  let backend;
  try {
    backend = await selectBackend(req.backend ?? 'wasm');
  } catch (e) {
    return refuse([{ code: 'trainer-backend-unavailable', message: (e as Error).message }]);
  }

  let model: CausalLM;
  let applied: AppliedMethod;
  try {
    model = loadModel(s.modelDir);
  } catch (e) {
    return refuse([{ code: 'trainer-model-invalid', message: (e as Error).message }]);
  }
  // load_in_4bit / load_in_8bit: the frozen base is quantised before the method wraps it.
  let quantNote: string | null = null;
  try {
    const q = applyQuantization(model, settings.quantization);
    if (q && settings.quantization) quantNote = describeQuantization(settings.quantization, q);
    applied = applyMethod(model, { method: settings.method, settings: settings.methodSettings }, { seed: settings.seed, encode: (text) => encode(s.chat, text, true) });
  } catch (e) {
    model.dispose();
    return refuse([{ code: 'trainer-model-invalid', message: (e as Error).message }]);
  }
  // base_model_name_or_path is the resolved folder: the config's relative path means "next to the
  // config", which nothing reading the adapter later (merge, eval --compare) can know.
  const saveOptions = { baseModel: s.modelDir, modelDir: s.modelDir };
  // eval_tasks (trainer/eval/trainingHook.ts): tasks are read now, so a bad one refuses the run before compute.
  const benchmarks = await TrainingBenchmarks.prepare(s.config, { configDir: dirname(s.configPath), cwd: req.cwd, modelDir: s.modelDir, backend: backend.name });
  if (benchmarks && 'problems' in benchmarks) {
    model.dispose();
    return refuse(benchmarks.problems.map((p) => ({ code: p.code, message: `eval_tasks: ${p.file ? `${p.file}${p.line ? `:${p.line}` : ''}: ` : ''}${p.message}` })));
  }

  const lm = lossModel(model);
  // EWC / L2-SP anchor at the starting weights, so they are taken before a checkpoint is loaded.
  let regularizer: Regularizer | null;
  try {
    regularizer = buildRegularizer(lm, settings.regularize, s.fisherData ?? [], { seqLen: settings.sequenceLen, padId: s.chat.padTokenId ?? s.chat.eosTokenId ?? 0 });
  } catch (e) {
    model.dispose();
    return refuse([{ code: 'trainer-ewc-data-empty', message: (e as Error).message }]);
  }
  const plan = planRun({
    rowsPerEpoch: rowsPerEpoch(s.train, settings.sequenceLen, settings.samplePacking),
    microBatchSize: settings.microBatchSize,
    gradientAccumulationSteps: settings.gradientAccumulationSteps,
    numEpochs: settings.numEpochs,
    maxSteps: settings.maxSteps,
    hasEval: s.eval.length > 0,
    evalSteps: settings.evalSteps,
    evalsPerEpoch: settings.evalsPerEpoch,
    saveSteps: settings.saveSteps,
    savesPerEpoch: settings.savesPerEpoch,
    loggingSteps: settings.loggingSteps,
  });
  const schedule = {
    kind: settings.scheduler,
    peak: settings.learningRate,
    warmupSteps: warmupSteps(plan.totalSteps, { warmupSteps: settings.warmupSteps, warmupRatio: settings.warmupRatio }),
    totalSteps: plan.totalSteps,
  };
  const optimizer = new AdamW(lm.params, { beta1: settings.beta1, beta2: settings.beta2, eps: settings.eps, weightDecay: settings.weightDecay });
  let state: LoopState = initialState(settings.seed);
  if (checkpoint) {
    try {
      for (const p of lm.params) {
        const w = checkpoint.weights.get(p.name);
        if (!w || w.data.length !== p.variable.size) throw new Error(`the checkpoint has no weights of the right size for ${p.name}: was it written by another config?`);
        tf.tidy(() => p.variable.assign(tf.tensor(w.data, p.variable.shape, 'float32')));
      }
      optimizer.importState(checkpoint.optimizer);
    } catch (e) {
      return refuse([{ code: 'trainer-checkpoint-invalid', message: (e as Error).message }]);
    }
    const { step, epoch, micro, rng, bestEval, badEvals } = checkpoint.state;
    state = { step, epoch, micro, rng, bestEval, badEvals };
  }

  for (const n of s.notes) events.emit({ type: 'log', level: 'info', message: n });
  if (regularizer) {
    const r = settings.regularize;
    events.emit({ type: 'log', level: 'info', message: `forgetting penalty ${regularizer.kind}: ${[r.ewcLambda > 0 ? `ewc_lambda ${r.ewcLambda} (Fisher on ${s.fisherData?.length ?? 0} sequences of ${r.ewcData})` : '', r.l2spLambda > 0 ? `l2sp_lambda ${r.l2spLambda}` : ''].filter(Boolean).join(', ')}, anchored at the starting weights` });
  }
  if (quantNote) events.emit({ type: 'log', level: 'info', message: quantNote });
  events.emit({ type: 'log', level: 'info', message: `backend: ${backend.detail}${backend.skipped.length ? ` (not used: ${backend.skipped.map((k) => `${k.name}: ${k.reason}`).join('; ')})` : ''}` });
  const counts = model.parameterCounts();
  events.emit({
    type: 'run_start',
    config: { ...s.config, output_dir: s.outputDir, ...(settings.maxSteps !== null ? { max_steps: settings.maxSteps } : {}) },
    config_path: s.configPath,
    output_dir: s.outputDir,
    backend: backend.name,
    method: settings.method,
    params: counts,
    dataset: { train_records: s.train.length, eval_records: s.eval.length, train_tokens: s.train.reduce((n, e) => n + e.ids.length, 0), ...(s.mix ? { mix: s.mix } : {}) },
    total_steps: plan.totalSteps,
    resumed_from: checkpoint ? { checkpoint: resumeFrom!, step: checkpoint.state.step } : null,
  });

  // Step events: the mean loss over each logging window (as Transformers logs it).
  let window = { loss: 0, steps: 0, tokens: 0, penalty: 0, since: Date.now() };
  const firstStep = state.step;
  let lastCheckpoint: string | undefined;
  let lastEval: { loss: number; perplexity: number } | null = null;
  const loop = new TrainingLoop(
    lm,
    optimizer,
    s.train,
    s.eval,
    plan,
    schedule,
    {
      seed: settings.seed,
      seqLen: settings.sequenceLen,
      packing: settings.samplePacking,
      padToSeqLen: settings.padToSequenceLen,
      padId: s.chat.padTokenId ?? s.chat.eosTokenId ?? 0,
      shuffle: settings.shuffle,
      microBatchSize: settings.microBatchSize,
      gradientAccumulationSteps: settings.gradientAccumulationSteps,
      evalBatchSize: settings.evalBatchSize,
    },
    settings.maxGradNorm,
    settings.earlyStoppingPatience,
    {
      onStep: (r) => {
        if (!Number.isFinite(r.loss)) throw new NonFiniteLoss(r.step);
        window.loss += r.loss;
        window.steps += 1;
        window.tokens += r.tokens;
        window.penalty += r.penalty ?? 0;
        if (r.step % plan.logEvery !== 0 && r.step !== plan.totalSteps) return;
        const now = Date.now();
        const elapsed = (now - started) / 1000;
        const perStep = (now - started) / 1000 / Math.max(1, r.step - firstStep);
        events.emit({
          type: 'step',
          step: r.step,
          total_steps: plan.totalSteps,
          epoch: round(r.epoch, 4),
          loss: round(window.loss / window.steps, 6),
          lr: r.lr,
          grad_norm: Number.isFinite(r.gradNorm) ? round(r.gradNorm, 6) : null,
          ...(regularizer ? { penalty: round(window.penalty / window.steps, 8) } : {}),
          tokens_per_s: now > window.since ? round((window.tokens * 1000) / (now - window.since), 1) : null,
          elapsed: round(elapsed, 2),
          eta: round(perStep * (plan.totalSteps - r.step), 1),
        });
        window = { loss: 0, steps: 0, tokens: 0, penalty: 0, since: now };
      },
      onEval: (step, epoch, r) => {
        lastEval = { loss: r.loss, perplexity: r.perplexity };
        events.emit({ type: 'eval', step, epoch: round(epoch, 4), eval_loss: round(r.loss, 6), perplexity: round(r.perplexity, 4) });
        const bench = benchmarks?.afterEval(step, model);
        if (bench) events.emit({ type: 'benchmark', ...bench });
      },
      onCheckpoint: (st, opt) => {
        const weights = new Map(lm.params.map((p) => [p.name, { shape: [...p.variable.shape], data: p.variable.dataSync() as Float32Array }]));
        const path = writeCheckpoint(
          s.outputDir,
          { state: { ...st, format: CHECKPOINT_FORMAT, run_id: events.runId, total_steps: plan.totalSteps, method: settings.method, time: new Date().toISOString() }, weights, optimizer: opt.exportState() },
          applied.output === 'adapter' ? (dir) => void applied.save(dir, saveOptions) : undefined,
        );
        lastCheckpoint = path;
        events.emit({ type: 'checkpoint', step: st.step, path });
        for (const old of pruneCheckpoints(s.outputDir, settings.saveTotalLimit)) events.emit({ type: 'log', level: 'debug', message: `removed ${old} (save_total_limit ${settings.saveTotalLimit})` });
      },
      onLog: (level, message) => void events.emit({ type: 'log', level, message }),
      stopRequested: () => stop.requested(),
    },
    state,
    regularizer,
  );

  const metrics = (trainLoss: number | null) => ({
    train_loss: trainLoss === null || !Number.isFinite(trainLoss) ? null : round(trainLoss, 6),
    eval_loss: lastEval ? round((lastEval as { loss: number }).loss, 6) : null,
    perplexity: lastEval ? round((lastEval as { perplexity: number }).perplexity, 4) : null,
    elapsed: round((Date.now() - started) / 1000, 2),
  });
  const eventsPath = events.eventsPath!;
  try {
    const result = await loop.run();
    const outputs: { model?: string; adapter?: string; checkpoint?: string; events: string } = { events: eventsPath };
    if (lastCheckpoint) outputs.checkpoint = lastCheckpoint;
    if (result.status === 'completed') {
      applied.save(s.outputDir, saveOptions);
      if (applied.output === 'adapter') outputs.adapter = s.outputDir;
      else outputs.model = s.outputDir;
      if (benchmarks) {
        // A failing benchmark is reported, not a failed run: the trained output is already saved.
        try {
          const label = applied.output === 'adapter' ? { model: s.modelDir, adapter: s.outputDir } : { model: s.outputDir, adapter: null };
          events.emit({ type: 'benchmark', ...benchmarks.atEnd(result.state.step, model, s.outputDir, label) });
        } catch (e) {
          events.emit({ type: 'log', level: 'warning', message: `eval_tasks: ${(e as Error).message}` });
        }
      }
    }
    events.emit({ type: 'done', status: result.status, step: result.state.step, outputs, metrics: metrics(result.lastLoss) });
    return 0;
  } catch (e) {
    const code = e instanceof NonFiniteLoss ? 'trainer-loss-not-finite' : 'trainer-failed';
    events.emit({ type: 'error', code, message: describeBackendFailure(e) });
    events.emit({ type: 'done', status: 'failed', step: loopStep(e), outputs: { events: eventsPath, ...(lastCheckpoint ? { checkpoint: lastCheckpoint } : {}) }, metrics: metrics(null) });
    return 1;
  } finally {
    optimizer.dispose();
    regularizer?.dispose();
    model.dispose();
  }
}

/** Appends to `<dir>/events.jsonl` (creating the folder); a folder that cannot be made leaves the events on stdout / stderr only. */
function openEventsFile(events: EventWriter, dir: string): void {
  try {
    events.openFile(join(dir, 'events.jsonl'));
  } catch {
    /* e.g. output_dir under a read-only folder: the refusal itself is what matters */
  }
}

class NonFiniteLoss extends Error {
  constructor(readonly step: number) {
    super(`the loss became NaN or infinite at step ${step}; lower learning_rate or check the data (the last checkpoint is intact)`);
  }
}

const round = (x: number, digits: number): number => Number(x.toFixed(digits));

export { loraTargets } from '../peft/index';

function loopStep(e: unknown): number {
  return e instanceof NonFiniteLoss ? e.step : 0;
}
