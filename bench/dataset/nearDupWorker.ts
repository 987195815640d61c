// One contender of bench/nearDuplicates.ts, run in its own process so that its peak RSS is its own:
// `exact` = the streaming validator with its exact / whitespace duplicate pass (what `tunelab
// validate` does), `minhash` = the validator (its duplicate pass off) feeding MinHash + the LSH band
// store only (candidates matched at the end, not verified),
// `quality` = the whole quality pass (`tunelab inspect --quality`: everything, near-duplicates
// verified by a second read). Prints one JSON line: {seconds, cpuSeconds, maxRssMb, records, detail}.
import { isMainThread } from 'node:worker_threads';
import { validateDatasetFile } from '../../common/dataset/file';
import { conversationOf } from '../../common/dataset/normalize';
import { BandStore, lshParams, MinHasher } from '../../common/dataset/minhash';
import { analyzeDatasetFile } from '../../common/dataset/quality/file';

async function exact(path: string): Promise<{ records: number; detail: string }> {
  const r = await validateDatasetFile(path, { maxDiagnostics: 1000, workers: false });
  const s = r.summary;
  return { records: s.records, detail: `${s.duplicates.exact} exact + ${s.duplicates.normalized} whitespace duplicates` };
}

async function minhash(path: string): Promise<{ records: number; detail: string }> {
  const params = lshParams(0.8);
  const hasher = new MinHasher(params, 3);
  const store = new BandStore(params);
  const sig = new Uint32Array(hasher.bins);
  let bytes = 0;
  const r = await validateDatasetFile(path, {
    maxDiagnostics: 1000,
    duplicates: false,
    onRecord: (rec, loc) => {
      const conv = rec ? conversationOf(rec) : undefined;
      if (!conv) return;
      let text = '';
      for (const m of conv.messages) if (m.role !== 'system') text += m.content + '\n';
      if (hasher.sign(text, sig) > 0) store.add(loc.index, sig);
    },
  });
  bytes = store.bytes;
  const candidates = store.pairs().later.length;
  return { records: r.summary.records, detail: `${candidates} candidate pairs, band store ${(bytes / 2 ** 20).toFixed(0)} MB` };
}

async function quality(path: string): Promise<{ records: number; detail: string }> {
  const r = await analyzeDatasetFile(path);
  const q = r.report;
  const nd = q.nearDuplicates;
  return { records: q.records, detail: `${nd.records} near-duplicates in ${nd.clusterCount} clusters (${nd.candidates} candidates), ${q.findings.map((g) => `${g.code} ${g.count}`).join(', ')}` };
}

if (isMainThread) {
  const [which, path] = process.argv.slice(2);
  const t0 = process.hrtime.bigint();
  const r = which === 'exact' ? await exact(path!) : which === 'minhash' ? await minhash(path!) : await quality(path!);
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const u = process.resourceUsage();
  console.log(JSON.stringify({ seconds, cpuSeconds: (u.userCPUTime + u.systemCPUTime) / 1e6, maxRssMb: u.maxRSS / 1024, ...r }));
}
