/**
 * Dataset formats, readers, checks, statistics and conversion (Alpaca, ShareGPT, OpenAI chat,
 * Axolotl chat_template mappings, completion text; JSONL, JSON arrays, Parquet).
 */
export * from './types';
