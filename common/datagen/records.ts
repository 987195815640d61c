/**
 * Records in and out of `tunelab generate-data`: seed tasks read from self-instruct's
 * seed_tasks.jsonl shape or from any dataset format the dataset core reads (Alpaca, ShareGPT,
 * OpenAI chat; the first user turn is the instruction, the reply after it the output), and
 * generated records written in the chosen format through the dataset core's converter, so the
 * output is what `tunelab validate` and the trainer read.
 */
import { createHash } from 'node:crypto';
import { convertRecord, normalizeRecord, readerForRecord, type AlpacaRecord, type ConvertTarget } from '../dataset/index';
import type { GeneratedRecord } from './pipeline';
import type { SeedTask } from './selfInstruct';

/** A seed record that could not be used, located by line (1-based). */
export interface SeedProblem {
  line: number;
  message: string;
}

/** Seeds from a JSONL file's text (a JSON array of records is accepted too). */
export function readSeeds(text: string): { seeds: SeedTask[]; problems: SeedProblem[]; digest: string } {
  const seeds: SeedTask[] = [];
  const problems: SeedProblem[] = [];
  const rows: { line: number; value: unknown }[] = [];
  const trimmed = text.trimStart();
  if (trimmed.startsWith('[')) {
    try {
      const arr = JSON.parse(text) as unknown;
      if (Array.isArray(arr)) arr.forEach((value, i) => rows.push({ line: i + 1, value }));
    } catch (e) {
      problems.push({ line: 1, message: `not valid JSON: ${(e as Error).message}` });
    }
  } else {
    text.split('\n').forEach((l, i) => {
      if (l.trim() === '') return;
      try {
        rows.push({ line: i + 1, value: JSON.parse(l) as unknown });
      } catch (e) {
        problems.push({ line: i + 1, message: `not valid JSON: ${(e as Error).message}` });
      }
    });
  }
  for (const { line, value } of rows) {
    const seed = seedOf(value);
    if (typeof seed === 'string') problems.push({ line, message: seed });
    else seeds.push(seed);
  }
  return { seeds, problems, digest: createHash('sha256').update(text).digest('hex').slice(0, 16) };
}

function seedOf(value: unknown): SeedTask | string {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return 'a seed must be a JSON object';
  const o = value as Record<string, unknown>;
  // self-instruct's seed_tasks.jsonl: {instruction, instances: [{input, output}], is_classification}
  if (typeof o.instruction === 'string' && Array.isArray(o.instances)) {
    const instances = (o.instances as unknown[]).flatMap((x) => {
      const i = x as Record<string, unknown>;
      return i && typeof i.output === 'string' ? [{ input: typeof i.input === 'string' ? i.input : '', output: i.output }] : [];
    });
    if (!o.instruction.trim()) return 'the instruction is empty';
    return { instruction: o.instruction.trim(), instances, ...(typeof o.is_classification === 'boolean' ? { isClassification: o.is_classification } : {}) };
  }
  const reader = readerForRecord(o);
  const norm = reader && normalizeRecord(o, reader);
  if (!norm) return 'not a seed task, Alpaca, ShareGPT or OpenAI chat record';
  if (norm.kind === 'alpaca') {
    const a = norm.alpaca;
    if (!a.instruction.trim()) return 'the instruction is empty';
    return { instruction: a.instruction.trim(), instances: [{ input: a.input ?? '', output: a.output }] };
  }
  if (norm.kind === 'completion') return 'completion text has no instruction';
  const msgs = norm.conversation.messages;
  const u = msgs.findIndex((m) => m.role === 'user');
  if (u < 0 || !msgs[u]!.content.trim()) return 'the record has no user turn';
  const reply = msgs.slice(u + 1).find((m) => m.role === 'assistant');
  return { instruction: msgs[u]!.content.trim(), instances: reply ? [{ input: '', output: reply.content }] : [] };
}

/** The instruction evol-instruct evolves from a seed: the instruction and its first input together. */
export function evolSeedInstruction(seed: SeedTask): string {
  const input = seed.instances[0]?.input.trim();
  return input ? `${seed.instruction}\n${input}` : seed.instruction;
}

export type OutputFormat = ConvertTarget;

/** One generated record as a JSON line in `format` (alpaca, sharegpt or openai). */
export function formatRecord(rec: GeneratedRecord, format: OutputFormat): string {
  const alpaca: AlpacaRecord = { instruction: rec.instruction, input: rec.input, output: rec.output };
  const user = [rec.instruction, rec.input].filter((s) => s.length > 0).join('\n');
  const converted = convertRecord({ kind: 'alpaca', alpaca, conversation: { messages: [{ role: 'user', content: user }, { role: 'assistant', content: rec.output }] } }, format);
  // An (instruction, input, output) triple converts to every format without loss.
  return JSON.stringify(converted.value);
}
