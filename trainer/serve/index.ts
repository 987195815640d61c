/**
 * Serving several adapters on one base model: `AdapterBank` (resident adapters, one active),
 * `ServeEngine` (tokenizer, template, stop tokens, token-by-token generation) and `startServer`
 * (the OpenAI-compatible HTTP server of `tunelab serve`).
 */
export type { ResidentAdapter } from './adapterBank';
export { AdapterBank, SwitchLinear } from './adapterBank';
export type { EngineOptions, GenerationJob, GenerationResult, PreparedPrompt } from './engine';
export { ServeEngine } from './engine';
export type { RunningServer, ServeOptions } from './http';
export { startServer } from './http';
export { CancelledError, JobQueue, QueueFullError } from './queue';
export { StopTextStream } from './stopText';
