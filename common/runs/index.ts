/**
 * Runs made elsewhere (a cluster, a notebook, plain Axolotl or Transformers): readers for
 * `trainer_state.json`, TensorBoard event files and Axolotl console logs, converted into Tunelab's
 * events so they appear and compare beside local runs. Used by `tunelab runs` and the run manager.
 */
export { importRuns, importRunId, isImportedEventsFile, listCheckpointDirs, writeImportedEvents } from './importRun';
export type { ImportedRun, ImportProblem, ImportResult, RunSourceKind } from './importRun';
export { readTfevents } from './tfevents';
export type { ScalarPoint, TfeventsProblem, TfeventsResult } from './tfevents';
export { parseTrainerState } from './trainerState';
export { parseAxolotlLog, looksLikeTrainerLog } from './axolotlLog';
export { scalarsToMetricLog } from './tensorboardLog';
export { metricLogToEvents } from './metricLog';
export type { ImportMeta, MetricLog } from './metricLog';
export { summarizeEvents } from './summary';
export type { RunLine } from './summary';
