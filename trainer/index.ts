/**
 * The public face of the trainer, for the CLI (`tunelab train`, `eval`, `merge-lora`, `generate`).
 * Everything else under trainer/ is internal.
 */
export type { BackendChoice } from './backend/index';
export type { EventOutput } from './events/writer';
export type { StopSignal, TrainRequest } from './train/run';
export { runTraining } from './train/run';
export { processStopSignal } from './train/signals';
// Model side (generation, adapters, backends): owned with trainer/model, io, generate, backend.
export type { BackendReport } from './backend/index';
export { BackendError, selectBackend } from './backend/index';
export type { GenerateOutput, GenerateRequest } from './generate/run';
export type { QuantizeOptions } from './model/quantLinear';
export { GenerateError, generateText } from './generate/run';
// Serving several adapters on one base (engineer D): trainer/serve.
export type { GenerationJob, GenerationResult, RunningServer, ServeOptions } from './serve/index';
export { ServeEngine, startServer } from './serve/index';
export type { MergeRequest, MergeResult } from './io/index';
export { ModelDirError, SafetensorsError } from './io/index';
// Fine-tuning methods (trainer/peft): adapters of every method load, save and merge through these.
export type { AdapterInfo, AppliedMethod, LoadedAdapter, MethodName } from './peft/index';
export { adapterValues, loadAdapter, loadAdapterInto, mergeAdapterDir as mergeLora, readAdapterConfig } from './peft/index';
export { ModelConfigError, SUPPORTED_ARCHITECTURES } from './model/index';
export type { EvalReport, EvalRequest, EvalSample } from './train/evalRun';
export { runEval } from './train/evalRun';
// Benchmarks and the forgetting report (engineer E): trainer/eval.
export type { CompareRequest, EvalOutcome, EvalTaskSpec, EvalTasksRequest, ScoredReport } from './eval/index';
export { runCompare, runEvalTasks } from './eval/index';
// Model merging (mergekit configs): owned with trainer/merge.
export type { MergeRunRequest, MergeRunResult } from './merge/run';
export { DEFAULT_MERGE_SEED, MergeError, RUNNABLE_METHODS, runMerge } from './merge/run';
