/**
 * Dataset formats, readers, checks, statistics and conversion (Alpaca, ShareGPT, OpenAI chat,
 * Axolotl chat_template mappings, completion text; JSONL, JSON arrays, Parquet).
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
