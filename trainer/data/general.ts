/**
 * General text for the EWC Fisher pass (`ewc_data`, `ewc_samples`): a `.txt` file (passages split
 * at blank lines) or a dataset file (`.jsonl`, `.ndjson`, `.json`, `.parquet`) read with the dataset
 * core as a `completion` dataset (its `text` field). The passages' tokens are joined into one
 * stream (each passage ends with the EOS token when the tokenizer has one) and cut into
 * `seqLen`-token sequences; `samples` of them are drawn without replacement with a generator seeded
 * from the run's seed (all of them when there are fewer).
 */
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import type { DatasetEntry } from '../../common/dataset/index';
import { readDatasetRecords } from '../../common/dataset/file';
import { Rng } from '../train/rng';
import type { Example } from './batches';

export interface GeneralTextOptions {
  seqLen: number;
  samples: number;
  seed: number;
  /** Token ids of a text (no special tokens added). */
  encode(text: string): number[];
  /** Appended after each passage, when the tokenizer has one. */
  eosId: number | null;
}

/** Passages of a file: blank-line separated for text, the `text` field of each record for datasets. */
export async function readPassages(path: string): Promise<string[]> {
  const ext = extname(path).toLowerCase();
  if (ext === '.txt' || ext === '.md' || ext === '') {
    return readFileSync(path, 'utf8')
      .split(/\r?\n\s*\r?\n/)
      .map((p) => p.trim())
      .filter((p) => p.length > 0);
  }
  const out: string[] = [];
  const it = readDatasetRecords(path, { path, type: 'completion' } as DatasetEntry, { duplicates: false, maxDiagnostics: 0 });
  for (;;) {
    const n = await it.next();
    if (n.done) break;
    const rec = n.value.record;
    if (rec?.kind === 'completion' && rec.text.trim() !== '') out.push(rec.text);
  }
  return out;
}

/** The Fisher pass's sequences (module doc); every token after the first is a target. */
export async function generalExamples(path: string, o: GeneralTextOptions): Promise<Example[]> {
  const stream: number[] = [];
  for (const p of await readPassages(path)) {
    for (const id of o.encode(p)) stream.push(id);
    if (o.eosId !== null) stream.push(o.eosId);
  }
  const chunks: Example[] = [];
  for (let i = 0; i + 1 < stream.length; i += o.seqLen) {
    const ids = stream.slice(i, i + o.seqLen);
    if (ids.length < 2) break;
    chunks.push({ ids, trained: ids.map(() => true) });
  }
  if (chunks.length <= o.samples) return chunks;
  const order = new Rng((o.seed ^ 0xe4c) >>> 0)
    .shuffled(chunks.map((_, i) => i))
    .slice(0, o.samples)
    .sort((a, b) => a - b);
  return order.map((i) => chunks[i]!);
}
