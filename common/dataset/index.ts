/**
 * Dataset formats, readers, checks, statistics and conversion (Alpaca, ShareGPT, OpenAI chat,
 * Axolotl chat_template mappings, completion text; JSONL, JSON arrays, Parquet).
 *
 * This index is pure (text in, diagnostics out; safe in a browser bundle). Node-only modules are
 * imported by path:
 * - ./file       validateDatasetFile, readDatasetRecords (the trainer's reader), readRecordAt
 * - ./parallel   JSONL validation on worker threads (used by ./file on 4+ cores)
 * - ./configHook checkDatasetAgainstEntry (ConfigEnv.checkDatasetFile), sampleRecords
 * - ./tokens     measureWith / recordView: token statistics and the loss-mask view (common/chat)
 * - ./inspect    inspectDataset (tunelab inspect), findDatasetEntry, entryFromConfigFiles
 */
export * from './types';
export * from './validator';
export * from './normalize';
export { guessRecord, formatOfEntry, chatTemplateShape, openaiShape, sharegptShape, type ChatShape, type RecordGuess } from './shapes';
export { scanJson, nodeAtPath, type JsonNode, type JsonPath } from './jsonScan';
export { RecordSplitter, type RecordSlice, type SplitMode } from './splitter';
export { DEFAULT_CONTROL_TOKENS, controlTokenPattern, contentText } from './checks';
export * from './convert';
export { RecordHasher, DuplicateIndex } from './hash';
