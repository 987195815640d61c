/**
 * The training settings the trainer runs, read from a resolved config (a plain object: Axolotl's
 * keys, defaults filled by common/config's resolveConfig, filled again here where absent). Keys
 * the trainer cannot honour are refused with a coded problem rather than silently ignored.
 */
import { SCHEDULE_KINDS, type ScheduleKind } from './schedule';
import type { ExcessLength } from '../data/batches';
import { readMethodSettings, type LoraSettings, type MethodName } from '../peft/index';
import { readRegularizeSettings, type RegularizeSettings } from './regularize';
import { readQuantSettings } from '../peft/quantized';
import { bool, num, positiveInt, str } from '../peft/configValues';
import type { QuantizeOptions } from '../model/quantLinear';

export type { LoraSettings } from '../peft/index';

export interface TrainSettings {
  baseModel: string;
  /** The fine-tuning method (trainer/peft's registry) and its settings. */
  method: MethodName;
  methodSettings: unknown;
  /** The method's settings when it is LoRA (kept for readers that only know LoRA). */
  lora: LoraSettings | null;
  /** `load_in_4bit` / `load_in_8bit`: the frozen base is quantised before the method applies; null = float32. */
  quantization: QuantizeOptions | null;
  learningRate: number;
  scheduler: ScheduleKind;
  warmupSteps: number | null;
  warmupRatio: number | null;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  maxGradNorm: number | null;
  numEpochs: number;
  maxSteps: number | null;
  microBatchSize: number;
  gradientAccumulationSteps: number;
  evalBatchSize: number;
  valSetSize: number;
  sequenceLen: number;
  samplePacking: boolean;
  evalSamplePacking: boolean;
  padToSequenceLen: boolean;
  excessLength: ExcessLength;
  shuffle: boolean;
  evalSteps: number | null;
  evalsPerEpoch: number | null;
  saveSteps: number | null;
  savesPerEpoch: number | null;
  saveTotalLimit: number | null;
  loggingSteps: number | null;
  earlyStoppingPatience: number | null;
  seed: number;
  outputDir: string;
  resumeFromCheckpoint: string | null;
  /** Forgetting penalties (EWC, L2-SP): trainer/train/regularize.ts. */
  regularize: RegularizeSettings;
}

/** A setting the trainer refuses, with the key it comes from. */
export interface SettingProblem {
  code: string;
  key: string;
  message: string;
}

/** Optimizer names that are AdamW with PyTorch's update (fused or not is an implementation detail). */
const ADAMW = new Set(['adamw_torch', 'adamw_torch_fused', 'adamw_hf', 'adamw', 'adamw_apex_fused', 'adamw_anyprecision', 'optimi_adamw']);

type Raw = Record<string, unknown>;

export function readSettings(cfg: Raw): { settings: TrainSettings; problems: SettingProblem[] } {
  const problems: SettingProblem[] = [];
  const refuse = (code: string, key: string, message: string) => problems.push({ code, key, message });

  const { method, settings: methodSettings } = readMethodSettings(cfg, refuse);
  const quantization = readQuantSettings(cfg, method, refuse);

  const optimizer = str(cfg.optimizer) ?? 'adamw_torch_fused';
  if (!ADAMW.has(optimizer)) refuse('trainer-unsupported-optimizer', 'optimizer', `optimizer "${optimizer}" is not available; Tunelab trains with AdamW (adamw_torch, adamw_torch_fused)`);

  const sched = str(cfg.lr_scheduler) ?? 'cosine';
  if (!(SCHEDULE_KINDS as readonly string[]).includes(sched)) refuse('trainer-unsupported-scheduler', 'lr_scheduler', `lr_scheduler "${sched}" is not available; use one of ${SCHEDULE_KINDS.join(', ')}`);

  const lr = num(cfg.learning_rate);
  if (lr === null || !(lr > 0)) refuse('trainer-invalid-setting', 'learning_rate', 'learning_rate must be a positive number');

  const excess = str(cfg.excess_length_strategy) ?? 'drop';
  if (!['drop', 'truncate', 'raise'].includes(excess)) refuse('trainer-invalid-setting', 'excess_length_strategy', 'excess_length_strategy must be drop, truncate or raise');

  const posInt = <F extends number | null>(key: string, fallback: F): number | F => positiveInt(cfg, key, fallback, refuse);

  const samplePacking = bool(cfg.sample_packing) ?? false;
  const microBatchSize = posInt('micro_batch_size', 1);
  const lora = method === 'lora' || method === 'qlora' ? (methodSettings as LoraSettings) : null;

  const settings: TrainSettings = {
    baseModel: str(cfg.base_model) ?? '',
    method,
    methodSettings,
    lora,
    quantization,
    learningRate: lr ?? 0,
    scheduler: sched as ScheduleKind,
    warmupSteps: num(cfg.warmup_steps),
    warmupRatio: num(cfg.warmup_ratio),
    beta1: num(cfg.adam_beta1) ?? 0.9,
    beta2: num(cfg.adam_beta2) ?? 0.999,
    eps: num(cfg.adam_epsilon) ?? 1e-8,
    weightDecay: num(cfg.weight_decay) ?? 0,
    maxGradNorm: num(cfg.max_grad_norm) ?? 1.0,
    numEpochs: num(cfg.num_epochs) ?? 1,
    maxSteps: posInt('max_steps', null),
    microBatchSize,
    gradientAccumulationSteps: posInt('gradient_accumulation_steps', 1),
    evalBatchSize: posInt('eval_batch_size', microBatchSize),
    valSetSize: num(cfg.val_set_size) ?? 0,
    sequenceLen: posInt('sequence_len', 512),
    samplePacking,
    evalSamplePacking: bool(cfg.eval_sample_packing) ?? samplePacking,
    padToSequenceLen: bool(cfg.pad_to_sequence_len) ?? samplePacking,
    excessLength: excess as ExcessLength,
    shuffle: bool(cfg.shuffle_merged_datasets) ?? true,
    evalSteps: num(cfg.eval_steps),
    evalsPerEpoch: num(cfg.evals_per_epoch),
    saveSteps: num(cfg.save_steps),
    savesPerEpoch: num(cfg.saves_per_epoch),
    saveTotalLimit: num(cfg.save_total_limit),
    loggingSteps: num(cfg.logging_steps),
    earlyStoppingPatience: num(cfg.early_stopping_patience),
    seed: num(cfg.seed) ?? 42,
    outputDir: str(cfg.output_dir) ?? './model-out',
    resumeFromCheckpoint: str(cfg.resume_from_checkpoint),
    regularize: readRegularizeSettings(cfg, refuse),
  };
  if (!settings.baseModel) refuse('trainer-invalid-setting', 'base_model', 'base_model is required');
  return { settings, problems };
}
