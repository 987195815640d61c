// Shared by the dataset benchmarks (datasetThroughput.ts, nearDuplicates.ts): writing a generated
// JSONL file of a given size, and running one contender in its own process (its own peak RSS).
import { spawnSync } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';

/** Writes `nextLine()` (one record, ending in a newline) to `file` until it holds `limitBytes`; returns the number of lines. */
export async function writeGeneratedFile(file: string, limitBytes: number, nextLine: () => string): Promise<number> {
  const out = createWriteStream(file);
  let bytes = 0;
  let n = 0;
  while (bytes < limitBytes) {
    const line = nextLine();
    if (!out.write(line)) await once(out, 'drain');
    bytes += Buffer.byteLength(line);
    n++;
  }
  out.end();
  await once(out, 'finish');
  return n;
}

/** The JSON line a benchmark worker prints last (bench/dataset/*Worker.ts, cookbookPeer.py). */
export interface WorkerResult {
  seconds: number;
  cpuSeconds: number;
  maxRssMb: number;
  records: number;
  detail: string;
}

/** Runs a worker process and reads its result; throws with its stderr when it fails. */
export function runWorkerProcess(cmd: string, args: string[], label = `${cmd} ${args.join(' ')}`): WorkerResult {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 24 });
  if (r.status !== 0) throw new Error(`${label} failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as WorkerResult;
}
