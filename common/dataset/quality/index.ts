/**
 * Dataset quality: task-type mix, phrasing diversity, length balance, language mix, and per-record
 * findings (near-duplicates by MinHash + LSH, refusals, boilerplate, truncation, echoes, empty
 * fields). Pure (safe in a browser bundle); the Node file pass is ./file.
 */
export * from './types';
export { QualityAnalyzer, RECORD_FINDING_CODES, type QualityOptions, type RecordFinding } from './analyzer';
export { classifyTask, leadOf, LEADING_VERBS, type TaskInput } from './taskType';
export { detectLanguage, LANGUAGE_NAMES } from './language';
export { boilerplateOf, echoOf, refusalOf, truncationOf } from './checks';
export { distribution, DistinctCounter, Mattr, TopK, ValueCounts } from './counters';
export { findingDiagnostic } from './diagnostics';
