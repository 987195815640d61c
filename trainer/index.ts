/**
 * The public face of the trainer, for the CLI (`tunelab train`, `eval`, `merge-lora`, `generate`).
 * Everything else under trainer/ is internal.
 */
export type { BackendChoice } from './backend/index';
export type { EventOutput } from './events/writer';
export type { StopSignal, TrainRequest } from './train/run';
export { runTraining } from './train/run';
export { processStopSignal } from './train/signals';
