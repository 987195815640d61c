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
export { GenerateError, generateText } from './generate/run';
export type { MergeRequest, MergeResult } from './io/index';
export { mergeLora, ModelDirError, SafetensorsError } from './io/index';
export { ModelConfigError, SUPPORTED_ARCHITECTURES } from './model/index';
export type { EvalReport, EvalRequest, EvalSample } from './train/evalRun';
export { runEval } from './train/evalRun';
