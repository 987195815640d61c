// Dataset validation throughput: a generated JSONL of OpenAI-chat records (1 GB by default; set
// TUNELAB_BENCH_DATASET_MB for a quicker run) validated by Tunelab's streaming validator, by a bare
// JSON.parse-per-line Node loop (the ceiling) and by the OpenAI cookbook's checks in a Python
// json.loads loop (the peer). Each contender runs in its own process; peak RSS is its own.
// Targets: >= 0.5x the ceiling's MB/s, faster than the peer, peak RSS < 300 MB.
import { rmSync, statSync, mkdtempSync } from 'node:fs';
import { tmpdir, cpus } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { runWorkerProcess, writeGeneratedFile, type WorkerResult } from './dataset/generated';

const targetMb = Number(process.env.TUNELAB_BENCH_DATASET_MB ?? 1024);
// Share of assistant answers written as several paragraphs (line breaks in the text take the
// JavaScript path of the duplicate fingerprint; single-line text takes the native CRC).
const paragraphShare = Number(process.env.TUNELAB_BENCH_DATASET_PARAGRAPHS ?? 0);
const dir = mkdtempSync(join(tmpdir(), 'tunelab-bench-dataset-'));
const file = join(dir, 'chat.jsonl');

// A small deterministic generator (no Math.random: runs are comparable).
let seed = 12345;
const rand = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 4294967296);
const words = 'the a model data train token loss learning rate batch epoch adapter layer weight gradient answer question explain why how what when example python code function value list string number result because therefore however'.split(' ');
const sentence = (n: number) => Array.from({ length: n }, () => words[Math.floor(rand() * words.length)]).join(' ');

function generate(): Promise<number> {
  return writeGeneratedFile(file, targetMb * 1024 * 1024, () => {
    const turns = 1 + Math.floor(rand() * 3);
    const messages: unknown[] = [];
    if (rand() < 0.7) messages.push({ role: 'system', content: 'You are a helpful assistant. ' + sentence(8) });
    for (let t = 0; t < turns; t++) {
      messages.push({ role: 'user', content: sentence(10 + Math.floor(rand() * 40)) + '?' });
      const answer = sentence(30 + Math.floor(rand() * 120)) + '.';
      messages.push({ role: 'assistant', content: rand() < paragraphShare ? answer.replace(/ (therefore|however|because) /g, '.\n\n$1 ') : answer });
    }
    // About one record in a thousand has a problem for the checks to find.
    const r = rand();
    if (r < 0.0003) (messages[messages.length - 1] as { role: string }).role = 'asistant';
    else if (r < 0.0006) (messages[messages.length - 1] as { content: string }).content = '';
    const line = JSON.stringify({ messages }) + '\n';
    return r > 0.9997 ? line.slice(0, 40) + '\n' : line;
  });
}

type Result = WorkerResult;
const run = (cmd: string, args: string[]): Result => runWorkerProcess(cmd, args);

try {
  const t0 = Date.now();
  const n = await generate();
  const mb = statSync(file).size / (1024 * 1024);
  console.log(`generated ${n} records, ${mb.toFixed(0)} MB in ${((Date.now() - t0) / 1000).toFixed(1)} s; ${Math.round(paragraphShare * 100)}% multi-paragraph answers (${cpus().length} cores, Node ${process.version})`);
  // Bundled like the shipped CLI (dist/cli/tunelab.mjs), not run through tsx.
  const worker = join(dir, 'validateWorker.mjs');
  await build({ entryPoints: [join('bench', 'dataset', 'validateWorker.ts')], bundle: true, platform: 'node', target: 'node20', format: 'esm', outfile: worker, logLevel: 'error' });
  const results: [string, Result][] = [
    ['ceiling: JSON.parse per line (Node)', run(process.execPath, [worker, 'ceiling', file])],
    ['tunelab: streaming validator', run(process.execPath, [worker, 'tunelab', file])],
    ['peer: OpenAI cookbook checks (Python json.loads)', run('python3', [join('bench', 'dataset', 'cookbookPeer.py'), file])],
    // The peer finds no duplicates; this row shows what duplicate detection costs.
    ['tunelab, duplicate detection off', run(process.execPath, [worker, 'tunelab-nodup', file])],
  ];
  // MB/s on the wall clock, and per CPU-second (the fairer number on a shared, loaded machine:
  // the wall clock also counts the time spent waiting for a core).
  const rate = (r: Result) => mb / r.seconds;
  const cpuRate = (r: Result) => mb / r.cpuSeconds;
  const [ceiling, ours, peer] = results.map(([, r]) => r) as [Result, Result, Result, Result];
  console.log('| contender | MB/s | × ceiling | MB per CPU-s | × ceiling (CPU) | peak RSS MB | records | findings |');
  console.log('|---|---|---|---|---|---|---|---|');
  for (const [name, r] of results) {
    console.log(`| ${name} | ${rate(r).toFixed(1)} | ${(rate(r) / rate(ceiling)).toFixed(2)} | ${cpuRate(r).toFixed(1)} | ${(cpuRate(r) / cpuRate(ceiling)).toFixed(2)} | ${r.maxRssMb.toFixed(0)} | ${r.records} | ${r.detail} |`);
  }
  const verdict = [
    `${(rate(ours) / rate(ceiling)).toFixed(2)}x ceiling wall, ${(cpuRate(ours) / cpuRate(ceiling)).toFixed(2)}x CPU (target >= 0.5)`,
    `${(rate(ours) / rate(peer)).toFixed(2)}x peer wall, ${(cpuRate(ours) / cpuRate(peer)).toFixed(2)}x CPU (target > 1)`,
    `peak RSS ${ours.maxRssMb.toFixed(0)} MB (target < 300)`,
  ];
  console.log(verdict.join('; '));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
