// Near-duplicate detection (MinHash + LSH, common/dataset/minhash.ts and the quality analyzer).
//
// 1. Accuracy on a sample: TUNELAB_BENCH_NEARDUP_SAMPLE records (default 3000) with planted
//    near-duplicates (a quarter of the records are earlier ones with 1-25 % of their words
//    replaced), against brute-force pairwise Jaccard over the same 3-word shingles (the ceiling:
//    every pair compared). Record-level recall and precision at the threshold for the analyzer
//    (LSH candidates verified by exact Jaccard) and for the MinHash estimate alone; pair-level band
//    collision rates against the S-curve 1 - (1 - s^r)^b.
// 2. Throughput and memory on a generated JSONL file (TUNELAB_BENCH_NEARDUP_MB, default 1024) with
//    2 % planted near-duplicates and 0.5 % exact copies: the exact-duplicate pass (the validator,
//    the peer here) against MinHash + LSH over the same stream and the whole quality pass, each in
//    its own process (its own peak RSS). Targets: peak RSS < 300 MB.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { candidateProbability, estimateJaccard, jaccard, lshParams, LshIndex, MinHasher, shingleSet } from '../common/dataset/minhash';
import { QualityAnalyzer } from '../common/dataset/quality/analyzer';
import type { NormalizedRecord } from '../common/dataset/types';
import { runWorkerProcess, writeGeneratedFile, type WorkerResult } from './dataset/generated';

const THRESHOLD = 0.8;
const sampleSize = Number(process.env.TUNELAB_BENCH_NEARDUP_SAMPLE ?? 3000);
const targetMb = Number(process.env.TUNELAB_BENCH_NEARDUP_MB ?? 1024);

// Deterministic generator (no Math.random: runs are comparable).
let seed = 4242;
const rand = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 4294967296;
const syllables = 'ka lo mi ne ta ru so vi pe da gu ri mo sa te no ba li fu ze'.split(' ');
const vocabulary = Array.from({ length: 5000 }, (_, i) => {
  let w = '';
  for (let n = i + 1; n > 0; n = Math.floor(n / syllables.length)) w += syllables[n % syllables.length];
  return w;
});
const words = (n: number) => Array.from({ length: n }, () => vocabulary[Math.floor(rand() * vocabulary.length)]!);
const edit = (ws: string[], share: number) => {
  const out = [...ws];
  const k = Math.max(1, Math.round(share * ws.length));
  for (let e = 0; e < k; e++) out[Math.floor(rand() * out.length)] = vocabulary[Math.floor(rand() * vocabulary.length)]!;
  return out;
};

interface Pair {
  q: string[];
  a: string[];
}
const fresh = (): Pair => ({ q: words(10 + Math.floor(rand() * 40)), a: words(30 + Math.floor(rand() * 120)) });
const record = (p: Pair): NormalizedRecord => ({ kind: 'chat', conversation: { messages: [{ role: 'user', content: p.q.join(' ') + '?' }, { role: 'assistant', content: p.a.join(' ') + '.' }] } });
const textOf = (p: Pair) => `${p.q.join(' ')}?\n${p.a.join(' ')}.`;

function accuracy(): void {
  const pairs: Pair[] = [];
  for (let i = 0; i < sampleSize; i++) {
    if (i > 10 && rand() < 0.25) {
      const base = pairs[Math.floor(rand() * i)]!;
      const share = 0.01 + rand() * 0.24;
      pairs.push({ q: edit(base.q, share), a: edit(base.a, share) });
    } else pairs.push(fresh());
  }
  const sets = pairs.map((p) => shingleSet(textOf(p), 3));
  // Ceiling: every pair.
  const t0 = performance.now();
  const truth = new Uint8Array(sampleSize);
  const truthPairs: [number, number, number][] = [];
  for (let j = 0; j < sampleSize; j++) {
    for (let i = 0; i < j; i++) {
      const s = jaccard(sets[i]!, sets[j]!);
      if (s >= THRESHOLD) {
        truth[j] = 1;
        truthPairs.push([i, j, s]);
      }
    }
  }
  const bruteMs = performance.now() - t0;
  // The analyzer: LSH candidates, verified exactly.
  const t1 = performance.now();
  const analyzer = new QualityAnalyzer({ threshold: THRESHOLD });
  const records = pairs.map(record);
  records.forEach((r, i) => analyzer.add(r, { index: i, line: i }));
  for (const i of analyzer.neededIndexes()) analyzer.verify(i, records[i]);
  const found = new Uint8Array(sampleSize);
  for (const f of analyzer.findings(['quality-near-duplicate', 'dataset-duplicate'])) found[f.index] = 1;
  const analyzerMs = performance.now() - t1;
  // The estimate alone: the same LSH, candidates kept when the signatures agree in >= threshold of the bins.
  const params = lshParams(THRESHOLD);
  const hasher = new MinHasher(params, 3);
  const lsh = new LshIndex(params);
  const sigs = pairs.map((p) => {
    const s = new Uint32Array(hasher.bins);
    hasher.sign(textOf(p), s);
    return s;
  });
  const estimated = new Uint8Array(sampleSize);
  sigs.forEach((s, j) => {
    for (const i of lsh.add(j, s)) if (estimateJaccard(sigs[i]!, s) >= THRESHOLD) estimated[j] = 1;
  });
  const score = (got: Uint8Array) => {
    let tp = 0;
    let fp = 0;
    let fn = 0;
    for (let j = 0; j < sampleSize; j++) {
      if (got[j] && truth[j]) tp++;
      else if (got[j]) fp++;
      else if (truth[j]) fn++;
    }
    return { recall: tp / (tp + fn), precision: tp + fp ? tp / (tp + fp) : 1, tp, fp, fn };
  };
  const a = score(found);
  const e = score(estimated);
  console.log(`sample: ${sampleSize} records, ${truthPairs.length} pairs and ${truth.reduce((s, x) => s + x, 0)} records at Jaccard >= ${THRESHOLD} (brute force: ${(sampleSize * (sampleSize - 1)) / 2} pairs in ${(bruteMs / 1000).toFixed(1)} s); LSH ${params.bands} bands x ${params.rows} rows`);
  console.log('| method | recall | precision | missed | false | time |');
  console.log('|---|---|---|---|---|---|');
  console.log(`| brute-force pairwise Jaccard (ceiling) | 1 | 1 | 0 | 0 | ${(bruteMs / 1000).toFixed(2)} s |`);
  console.log(`| analyzer: LSH + exact verification | ${a.recall.toFixed(3)} | ${a.precision.toFixed(3)} | ${a.fn} | ${a.fp} | ${(analyzerMs / 1000).toFixed(2)} s (whole quality pass) |`);
  console.log(`| LSH + MinHash estimate only | ${e.recall.toFixed(3)} | ${e.precision.toFixed(3)} | ${e.fn} | ${e.fp} | |`);
  // The S-curve: how often a true pair shares a band, by similarity.
  const bins = [0.8, 0.85, 0.9, 0.95, 1.0001];
  const rows: string[] = [];
  for (let b = 0; b < bins.length - 1; b++) {
    const inBin = truthPairs.filter(([, , s]) => s >= bins[b]! && s < bins[b + 1]!);
    if (inBin.length === 0) continue;
    let shared = 0;
    for (const [i, j] of inBin) {
      const x = sigs[i]!;
      const y = sigs[j]!;
      let any = false;
      for (let band = 0; band < params.bands && !any; band++) {
        let same = true;
        for (let r = band * params.rows; r < (band + 1) * params.rows; r++) if (x[r] !== y[r]) same = false;
        any = same;
      }
      if (any) shared++;
    }
    const mid = inBin.reduce((s, [, , v]) => s + v, 0) / inBin.length;
    rows.push(`| [${bins[b]!.toFixed(2)}, ${Math.min(1, bins[b + 1]!).toFixed(2)}${b === bins.length - 2 ? ']' : ')'} | ${inBin.length} | ${(shared / inBin.length).toFixed(3)} | ${candidateProbability(mid, params).toFixed(3)} |`);
  }
  console.log('\n| true pairs with Jaccard in | pairs | share with a common band | S-curve at their mean |');
  console.log('|---|---|---|---|');
  for (const r of rows) console.log(r);
}

function generate(file: string): Promise<number> {
  const recent: Pair[] = [];
  return writeGeneratedFile(file, targetMb * 1024 * 1024, () => {
    let p: Pair;
    const r = rand();
    if (recent.length > 100 && r < 0.02) {
      const base = recent[Math.floor(rand() * recent.length)]!;
      p = { q: edit(base.q, 0.02), a: edit(base.a, 0.02) };
    } else if (recent.length > 100 && r < 0.025) p = recent[Math.floor(rand() * recent.length)]!;
    else p = fresh();
    if (recent.length < 1000) recent.push(p);
    else recent[Math.floor(rand() * 1000)] = p;
    const messages = [{ role: 'system', content: 'You are a helpful assistant.' }, { role: 'user', content: p.q.join(' ') + '?' }, { role: 'assistant', content: p.a.join(' ') + '.' }];
    return JSON.stringify({ messages }) + '\n';
  });
}

type Result = WorkerResult;
const runWorker = (worker: string, which: string, file: string): Result => runWorkerProcess(process.execPath, [worker, which, file], which);

accuracy();
if (targetMb > 0) {
  const dir = mkdtempSync(join(tmpdir(), 'tunelab-bench-neardup-'));
  try {
    const file = join(dir, 'chat.jsonl');
    const t0 = Date.now();
    const n = await generate(file);
    const mb = statSync(file).size / 2 ** 20;
    console.log(`\ngenerated ${n} records, ${mb.toFixed(0)} MB in ${((Date.now() - t0) / 1000).toFixed(1)} s (${cpus().length} cores, Node ${process.version})`);
    const worker = join(dir, 'nearDupWorker.mjs');
    await build({ entryPoints: [join('bench', 'dataset', 'nearDupWorker.ts')], bundle: true, platform: 'node', target: 'node20', format: 'esm', outfile: worker, logLevel: 'error' });
    const results: [string, Result][] = [
      ['peer: exact + whitespace duplicate pass (validator)', runWorker(worker, 'exact', file)],
      ['MinHash + LSH (validator without its duplicate pass)', runWorker(worker, 'minhash', file)],
      ['whole quality pass (inspect --quality, with verification)', runWorker(worker, 'quality', file)],
    ];
    const exact = results[0]![1];
    const perCpu = (r: Result) => mb / r.cpuSeconds;
    console.log('| contender | MB/s | MB per CPU-s | × exact pass (CPU) | peak RSS MB | records | result |');
    console.log('|---|---|---|---|---|---|---|');
    for (const [name, r] of results) console.log(`| ${name} | ${(mb / r.seconds).toFixed(1)} | ${perCpu(r).toFixed(1)} | ${(perCpu(r) / perCpu(exact)).toFixed(2)} | ${r.maxRssMb.toFixed(0)} | ${r.records} | ${r.detail} |`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
