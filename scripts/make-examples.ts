#!/usr/bin/env -S npx tsx
/**
 * Writes the instruction datasets in examples/data/ from the same seeded world the tiny model was
 * pretrained on (scripts/tiny/world.ts): questions it knows, answered in a pirate style it has
 * never seen, in the three formats Tunelab reads (Alpaca, ShareGPT, OpenAI chat).
 *
 *   npx tsx scripts/make-examples.ts
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SEED, WORLD_TOWNS } from './tiny/constants';
import { styleRecords, userText } from './tiny/corpus';
import { makeWorld } from './tiny/world';

const out = 'examples/data';
mkdirSync(out, { recursive: true });
const world = makeWorld(SEED, WORLD_TOWNS);
const records = styleRecords(world, SEED + 99, 240);
const jsonl = (rows: unknown[]) => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';

writeFileSync(
  join(out, 'pirate.alpaca.jsonl'),
  jsonl(records.map((r) => ({ instruction: r.question, input: r.input ?? '', output: r.answer }))),
);
writeFileSync(
  join(out, 'pirate.sharegpt.jsonl'),
  jsonl(records.map((r) => ({ conversations: [{ from: 'human', value: userText(r) }, { from: 'gpt', value: r.answer }] }))),
);
writeFileSync(
  join(out, 'pirate.openai.jsonl'),
  jsonl(records.map((r) => ({ messages: [{ role: 'user', content: userText(r) }, { role: 'assistant', content: r.answer }] }))),
);
process.stderr.write(`wrote ${records.length} records in three formats to ${out}/\n`);
