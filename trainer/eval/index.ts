/** Benchmarks with lm-evaluation-harness semantics (see ARCHITECTURE.md, "Evaluation"). */
export type { CompareRequest, EvalTasksRequest, Outcome as EvalOutcome, ScoredReport } from './evalTasks';
export { evalTokenizer, isAdapterDir, prepareTasks, runCompare, runEvalTasks, scoreModel } from './evalTasks';
export type { EvalTaskSpec, EvalTokenizer, LoadedTask, TaskRunOptions } from './runTasks';
export { loadTask, resolveTask, runTask } from './runTasks';
