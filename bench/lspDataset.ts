/**
 * A large JSONL dataset open in the language server: how long its checks take over the real
 * server process (stdio), how that compares with the same validator run directly in this process
 * (the ceiling: no slicing, no transport), and whether other requests are still answered while it
 * runs: a completion request on a config every 20 ms, its latency recorded until the dataset's
 * final diagnostics arrive.
 *
 * Run: `npm run bench -- lspDataset` (builds first). LSP_BENCH_MB sets the size (default 64).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DatasetValidator } from '../common/dataset/index';
import { LspClient, fileUri } from '../server/test/lspClient';

const root = fileURLToPath(new URL('..', import.meta.url));
const MB = Number(process.env.LSP_BENCH_MB ?? 64);
const ms = () => Number(process.hrtime.bigint()) / 1e6;

function dataset(bytes: number): string {
  const parts: string[] = [];
  let size = 0;
  for (let i = 0; size < bytes; i++) {
    // Varied records (no duplicates), a bad one now and then, as real files have.
    const line =
      i % 997 === 5
        ? `{"messages":[{"role":"usr","content":"question ${i}"},{"role":"assistant","content":"answer ${i}"}]}`
        : `{"messages":[{"role":"system","content":"You are a helpful assistant."},{"role":"user","content":"Explain item ${i} of the list in two sentences, please."},{"role":"assistant","content":"Item ${i} is one of many. It is explained here in two short sentences."}]}`;
    parts.push(line);
    size += line.length + 1;
  }
  return parts.join('\n') + '\n';
}

function pct(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? NaN;
}

async function main(): Promise<void> {
  execFileSync(process.execPath, ['scripts/build.mjs', '--quiet'], { cwd: root, stdio: 'inherit' });
  const dir = mkdtempSync(join(tmpdir(), 'tunelab-lsp-dataset-'));
  try {
    mkdirSync(join(dir, 'data'));
    const text = dataset(MB * 1024 * 1024);
    const load0 = loadavg()[0]!;

    // The ceiling: the validator alone, fed the same text in one go.
    let t0 = ms();
    const v = new DatasetValidator({ container: 'jsonl', maxDiagnostics: 1000 });
    // In 64 KB pieces, as a file is read from disk (and as the server feeds it).
    for (let i = 0; i < text.length; i += 65536) v.push(text.slice(i, i + 65536));
    const report = v.end();
    const direct = ms() - t0;

    const client = new LspClient({ command: [process.execPath, 'dist/server/server.cjs', '--stdio'], cwd: root, settings: { tunelab: {} } });
    await client.initialize(dir);
    const cfg = fileUri(join(dir, 'config.yml'));
    await client.open(cfg, 'yaml', 'base_model: m\nadapter: \n');
    await client.diagnostics(cfg, 1);
    const uri = fileUri(join(dir, 'data', 'big.jsonl'));
    let done = false;
    const latencies: number[] = [];
    const pinger = (async () => {
      while (!done) {
        const s = ms();
        await client.request('textDocument/completion', { textDocument: { uri: cfg }, position: { line: 1, character: 9 } });
        if (!done) latencies.push(ms() - s);
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    t0 = ms();
    await client.open(uri, 'jsonl', text);
    const sent = ms() - t0;
    // The server publishes early findings after ~300 ms; the final list follows the last progress.
    while (!client.notifications.some((n) => n.method === 'tunelab/datasetProgress' && (n.params as { uri: string; done: boolean }).uri === uri && (n.params as { done: boolean }).done)) {
      await new Promise((r) => setTimeout(r, 2));
    }
    const viaServer = ms() - t0;
    let published = await client.diagnostics(uri, 1);
    while (client.published.some((p) => p.uri === uri)) published = await client.diagnostics(uri, 1);
    done = true;
    await pinger;
    await client.stop();
    const load1 = loadavg()[0]!;
    const mb = text.length / 1024 / 1024;
    const f = (x: number) => x.toFixed(1);
    console.log(`machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, node ${process.version}, load average ${load0.toFixed(1)} → ${load1.toFixed(1)}; ${f(mb)} MB JSONL, ${report.summary.records.toLocaleString('en-US')} records`);
    console.log('');
    console.log('| | time | throughput |');
    console.log('|---|---|---|');
    console.log(`| validator in this process (ceiling) | ${f(direct)} ms | ${f(mb / (direct / 1000))} MB/s |`);
    console.log(`| language server, didOpen → final diagnostics (incl. ${f(sent)} ms to send the text) | ${f(viaServer)} ms | ${f(mb / (viaServer / 1000))} MB/s |`);
    console.log('');
    console.log(`server / ceiling throughput: ${f((100 * direct) / viaServer)} %; diagnostics published: ${published.diagnostics.length} (the validator found ${report.diagnostics.length}; cap 1000)`);
    console.log(`completion on a config while the dataset was checked: ${latencies.length} requests, p50 ${f(pct(latencies, 0.5))} ms, p95 ${f(pct(latencies, 0.95))} ms, max ${f(Math.max(...latencies))} ms`);
    console.log(JSON.stringify({ bench: 'lspDataset', mb, records: report.summary.records, direct, viaServer, sent, completion: { n: latencies.length, p50: pct(latencies, 0.5), p95: pct(latencies, 0.95), max: Math.max(...latencies) }, load: [load0, load1] }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
