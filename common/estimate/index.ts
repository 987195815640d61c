/**
 * Memory, parameter and cost estimates (pure: file access is injected through `EstimateEnv`).
 *
 * For the language server (code lens + hover + warning):
 * ```ts
 * const e = estimateConfig(yamlObject, { configDir, workspaceRoots, readTextFile, gpus, gpuMemoryBytes });
 * if ('unknown' in e) showInfo(e.unknown, e.key);             // what could not be estimated, and where
 * else {
 *   lens(formatLens(e));                                       // "≈ 9.8 GiB per GPU · LoRA · 4.2 M trainable (0.06 %)"
 *   hover(formatBreakdown(e));                                 // markdown table of the breakdown
 *   const limit = e.gpuMemory?.bytes;                          // setting or gpu_memory_limit
 *   if (limit && e.perGpu > limit) warn(MEMORY_EXCEEDS_GPU, formatFitWarning(e, limit), fitSuggestions(e, limit));
 * }
 * ```
 * Lower level: `shapeFromConfig` (config.json → shape), `baseParams`, `trainableParams`,
 * `estimateMemory` (shape + setup → per-GPU breakdown). The fine-tune-or-prompt decision and cost
 * comparison live in `plan.ts` (browser-safe: the plan webview imports it directly).
 */
export { shapeFromConfig, SUPPORTED_MODEL_TYPES, type ModelShape, type LinearModule, type Family, type ShapeError } from './shape';
export { BUILTIN_MODELS, lookupBuiltinModel, type BuiltinModel } from './models';
export { baseParams, trainableParams, defaultLoraTargets, defaultIa3, selectModules, type BaseParams, type Method, type TrainableParams } from './params';
export {
  estimateMemory,
  optimizerInfo,
  FRAMEWORK_OVERHEAD,
  type MemoryBreakdown,
  type MemoryEstimate,
  type OptimizerInfo,
  type Precision,
  type Quantization,
  type Sharding,
  type TrainingSetup,
} from './memory';
export { estimateConfig, estimateSetup, resolveModelConfig, parseMemorySize, hfHubCacheDir, MAX_SEQUENCE_LEN, type Estimate, type EstimateEnv, type EstimateUnknown, type ModelSource } from './config';
export { formatLens, formatBreakdown, formatReport, formatBytes, formatCount, formatPercent, breakdownRows, methodName } from './format';
export { fitSuggestions, formatFitWarning, type FitSuggestion } from './fit';
export { plan, validatePlanInputs, DEFAULT_PLAN_INPUTS, MIN_EXAMPLES, ENOUGH_EXAMPLES, type PlanInputs, type PlanResult, type PlanCosts, type CostCurve, type Reason, type Option, type PlanInputError } from './plan';
export { formatPlanText, formatUsd, formatDuration } from './planFormat';

/** Diagnostic code for "the estimate exceeds the GPU memory" (a warning; data: FitSuggestion[]). */
export const MEMORY_EXCEEDS_GPU = 'memory-exceeds-gpu';
/** Diagnostic code for "no estimate: <reason>" (information, at `key` or the top of the file). */
export const ESTIMATE_UNAVAILABLE = 'estimate-unavailable';
