// One contender of bench/datasetThroughput.ts, run in its own process so that its peak RSS is its
// own: `tunelab` = the streaming dataset validator, `ceiling` = a bare JSON.parse-per-line loop
// over the same streamed chunks. Prints one JSON line: {seconds, cpuSeconds, maxRssMb, records, detail}.
// The benchmark bundles this file with esbuild, as the CLI is shipped; the validator's worker
// threads load the same bundle, hence the isMainThread guard.
import { createReadStream } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { isMainThread } from 'node:worker_threads';
import { validateDatasetFile } from '../../common/dataset/file';

async function ceiling(path: string): Promise<{ records: number; detail: string }> {
  const decoder = new StringDecoder('utf8');
  let pending = '';
  let records = 0;
  let objects = 0;
  const line = (s: string) => {
    if (s.length === 0) return;
    records++;
    try {
      const v = JSON.parse(s) as unknown;
      if (v && typeof v === 'object') objects++;
    } catch {
      /* counted as a record, like the validator does */
    }
  };
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
    const text = pending + decoder.write(chunk as Buffer);
    let pos = 0;
    for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', pos)) {
      line(text.slice(pos, nl));
      pos = nl + 1;
    }
    pending = text.slice(pos);
  }
  line(pending + decoder.end());
  return { records, detail: `${objects} objects` };
}

async function tunelab(path: string, duplicates = true): Promise<{ records: number; detail: string }> {
  const r = await validateDatasetFile(path, { maxDiagnostics: 1000, duplicates });
  const s = r.summary;
  return { records: s.records, detail: `${s.format}, ${s.errors} errors, ${s.warnings} warnings, ${JSON.stringify(Object.fromEntries(Object.entries(s.byCode).map(([k, v]) => [k, v.count])))}` };
}

if (isMainThread) {
  const [which, path] = process.argv.slice(2);
  const t0 = process.hrtime.bigint();
  const r = which === 'ceiling' ? await ceiling(path!) : await tunelab(path!, which !== 'tunelab-nodup');
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const u = process.resourceUsage();
  // CPU seconds too: on a shared machine the wall clock includes waiting for a core.
  console.log(JSON.stringify({ seconds, cpuSeconds: (u.userCPUTime + u.systemCPUTime) / 1e6, maxRssMb: u.maxRSS / 1024, ...r }));
}
