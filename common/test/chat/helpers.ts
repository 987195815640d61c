/** Shared fixtures for the chat-core tests: the tiny model directories in fixtures/chat. */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createChatModel, type ChatModel } from '../../chat/index';

export const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'chat');

/** A fixture file, parsed (a fresh copy each call). */
export const json = (dir: string, name: string): unknown => JSON.parse(readFileSync(join(FIXTURES, dir, name), 'utf8'));

/** A fixture model built in memory, with tokenizer_config.json fields overridden. */
export function fixtureModel(dir: 'chatml' | 'llama3' | 'mistral', configOverrides: Record<string, unknown> = {}): ChatModel {
  const r = createChatModel({
    tokenizerJson: json(dir, 'tokenizer.json'),
    tokenizerConfig: { ...(json(dir, 'tokenizer_config.json') as object), ...configOverrides },
    modelConfig: json(dir, 'config.json'),
  });
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
}

/** Indices where `flags` is true. */
export const trainedAt = (flags: readonly boolean[]): number[] => flags.flatMap((f, i) => (f ? [i] : []));

/** `[from, to)` as a list. */
export const span = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, i) => from + i);
