/**
 * Language-server latency, Tunelab vs yaml-language-server, over the real server processes on
 * stdio, on the same 300-line config:
 * - diagnostics: time from sending `didChange` (a one-character edit) to receiving the
 *   `publishDiagnostics` of that version, after warm-up;
 * - completion: time of a `textDocument/completion` request for a key on an empty line.
 * yaml-language-server validates against the JSON Schema that the config core generates from the
 * same key table (`configJsonSchema()`), which is what a user would otherwise set up.
 *
 * Run: `npm run bench -- lsp` (builds first). Prints a Markdown table and a JSON line.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { configJsonSchema, parseConfig, validateConfig } from '../common/config/index';
import { estimateConfig } from '../common/estimate/index';
import { configCompletion } from '../server/services/configCompletion';
import { LspClient, fileUri } from '../server/test/lspClient';
import { config300 } from './lsp/config300';

const root = fileURLToPath(new URL('..', import.meta.url));
const WARMUP = 30;
const RUNS = Number(process.env.LSP_BENCH_RUNS ?? 300);

interface Stats {
  p50: number;
  p95: number;
  mean: number;
  n: number;
}

function stats(samples: number[]): Stats {
  const s = [...samples].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
  return { p50: at(0.5), p95: at(0.95), mean: s.reduce((a, b) => a + b, 0) / s.length, n: s.length };
}

const ms = () => Number(process.hrtime.bigint()) / 1e6;

interface Subject {
  name: string;
  command: string[];
  settings: Record<string, unknown>;
  /** The text to open: our server needs nothing more; the peer gets a schema modeline. */
  text: string;
  /** Sent after `initialized`, for servers that take settings by push. */
  pushSettings?: unknown;
  /** The config's file name in the shared folder. */
  file: string;
}

/** The line index of an empty line at the top level, where a new key would be typed. */
function emptyTopLevelLine(text: string): number {
  const lines = text.split('\n');
  const i = lines.findIndex((l, n) => l === '' && n > 20 && /^[a-z]/.test(lines[n + 1] ?? ''));
  return i < 0 ? lines.length - 1 : i;
}

interface Session {
  client: LspClient;
  uri: string;
  line: number;
  variant(v: number): string;
  firstDiagnostics: number;
  diagnosticsCount: number;
  diagnostics: number[];
  completion: number[];
  completionItems: number;
}

async function open(subject: Subject, dir: string): Promise<Session> {
  const client = new LspClient({ command: subject.command, cwd: root, settings: subject.settings });
  await client.initialize(dir);
  if (subject.pushSettings) await client.connection.sendNotification('workspace/didChangeConfiguration', { settings: subject.pushSettings });
  const uri = fileUri(join(dir, subject.file));
  // The edit flips one digit of `lora_dropout` so every version differs and stays valid YAML.
  const base = subject.text;
  const variant = (v: number) => base.replace('lora_dropout: 0.05', `lora_dropout: 0.0${v % 10}`);
  const t0 = ms();
  await client.open(uri, 'yaml', variant(1), 1);
  const first = await client.diagnostics(uri, undefined, () => true);
  return { client, uri, line: emptyTopLevelLine(base), variant, firstDiagnostics: ms() - t0, diagnosticsCount: first.diagnostics.length, diagnostics: [], completion: [], completionItems: 0 };
}

/** One edit and the wait for its diagnostics; one completion request. */
async function step(s: Session, v: number, record: boolean): Promise<void> {
  let t0 = ms();
  await s.client.change(s.uri, v, s.variant(v));
  // yaml-language-server publishes without a version; one publish follows each change.
  await s.client.diagnostics(s.uri, undefined, (p) => p.version === undefined || p.version === v);
  if (record) s.diagnostics.push(ms() - t0);
  t0 = ms();
  const r = await s.client.request<{ items: unknown[] } | unknown[] | null>('textDocument/completion', { textDocument: { uri: s.uri }, position: { line: s.line, character: 0 } });
  if (record) s.completion.push(ms() - t0);
  s.completionItems = Array.isArray(r) ? r.length : (r?.items.length ?? 0);
}

/**
 * The same work in this process, without transport or scheduling: parse + checks + estimate of
 * one version, and the completion list. What the server adds on top is the difference.
 */
function inProcessStep(text: string, dir: string, i: number, out: { diagnostics: number[]; completion: number[] } | null): void {
  const configPath = join(dir, 'config.yml');
  const doc = TextDocument.create(fileUri(configPath), 'yaml', 1, text);
  const variant = text.replace('lora_dropout: 0.05', `lora_dropout: 0.0${i % 10}`);
  let t0 = ms();
  const cfg = parseConfig(variant);
  validateConfig(cfg, { configPath, workspaceRoots: [dir], fileExists: existsSync });
  estimateConfig(cfg.value, { configDir: dir, workspaceRoots: [dir] });
  out?.diagnostics.push(ms() - t0);
  t0 = ms();
  configCompletion(doc, cfg, { line: emptyTopLevelLine(text), character: 0 }, { snippets: true, workspaceRoots: [dir], listDir: () => null });
  out?.completion.push(ms() - t0);
}

async function main(): Promise<void> {
  execFileSync(process.execPath, ['scripts/build.mjs', '--quiet'], { cwd: root, stdio: 'inherit' });
  const dir = mkdtempSync(join(tmpdir(), 'tunelab-lsp-bench-'));
  try {
    mkdirSync(join(dir, 'data'));
    writeFileSync(join(dir, 'data', 'chat.jsonl'), '{"messages":[{"role":"user","content":"Hi"},{"role":"assistant","content":"Hello!"}]}\n');
    const schemaPath = join(dir, 'axolotl-config.schema.json');
    writeFileSync(schemaPath, JSON.stringify(configJsonSchema()));
    const text = config300('data/chat.jsonl');
    const yamlSettings = { validate: true, completion: true, hover: true, schemas: { [fileUri(schemaPath)]: ['peer-config.yml'] }, schemaStore: { enable: false } };
    const subjects: Subject[] = [
      { name: 'tunelab', command: [process.execPath, 'dist/server/server.cjs', '--stdio'], settings: { tunelab: {} }, text, file: 'config.yml' },
      {
        name: 'yaml-language-server 1.25',
        command: [process.execPath, 'node_modules/yaml-language-server/bin/yaml-language-server', '--stdio'],
        settings: { yaml: yamlSettings },
        pushSettings: { yaml: yamlSettings },
        text: `# yaml-language-server: $schema=${fileUri(schemaPath)}\n` + text.split('\n').slice(0, -2).join('\n') + '\n',
        file: 'peer-config.yml',
      },
    ];
    const loadBefore = loadavg()[0]!;
    // Both servers run side by side and take turns, edit by edit, so that the machine's load
    // (shared, noisy) falls on both alike.
    const sessions = [];
    for (const s of subjects) sessions.push(await open(s, dir));
    const local = { diagnostics: [] as number[], completion: [] as number[] };
    try {
      for (let i = 0; i < WARMUP + RUNS; i++) {
        const record = i >= WARMUP;
        const order = i % 2 === 0 ? sessions : [...sessions].reverse();
        for (const s of order) await step(s, i + 2, record);
        inProcessStep(text, dir, i, record ? local : null);
      }
    } finally {
      for (const s of sessions) await s.client.stop();
    }
    const loadAfter = loadavg()[0]!;
    const results = sessions.map((s, i) => ({
      name: subjects[i]!.name,
      diagnostics: stats(s.diagnostics),
      completion: stats(s.completion),
      firstDiagnostics: s.firstDiagnostics,
      completionItems: s.completionItems,
      diagnosticsCount: s.diagnosticsCount,
    }));
    const localStats = { diagnostics: stats(local.diagnostics), completion: stats(local.completion) };
    const [ours, peer] = results as [(typeof results)[0], (typeof results)[0]];
    const f = (x: number) => x.toFixed(2);
    console.log(`machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, node ${process.version}, load average ${loadBefore.toFixed(1)} → ${loadAfter.toFixed(1)}; ${RUNS} runs after ${WARMUP} warm-up, 300-line config`);
    console.log('');
    console.log('| server | diagnostics p50 | diagnostics p95 | completion p50 | completion p95 | first diagnostics | diagnostics | completion items |');
    console.log('|---|---|---|---|---|---|---|---|');
    for (const r of results) {
      console.log(`| ${r.name} | ${f(r.diagnostics.p50)} ms | ${f(r.diagnostics.p95)} ms | ${f(r.completion.p50)} ms | ${f(r.completion.p95)} ms | ${f(r.firstDiagnostics)} ms | ${r.diagnosticsCount} | ${r.completionItems} |`);
    }
    console.log(`| in-process cores, no transport (same run) | ${f(localStats.diagnostics.p50)} ms | ${f(localStats.diagnostics.p95)} ms | ${f(localStats.completion.p50)} ms | ${f(localStats.completion.p95)} ms | | | |`);
    console.log('');
    console.log('yaml-language-server waits a fixed 200 ms (validationDelayMs) before validating; without that wait its diagnostics would take about');
    console.log(`${f(peer.diagnostics.p50 - 200)} ms (p50) / ${f(peer.diagnostics.p95 - 200)} ms (p95): ratio to tunelab ${f((peer.diagnostics.p50 - 200) / ours.diagnostics.p50)}× / ${f((peer.diagnostics.p95 - 200) / ours.diagnostics.p95)}×.`);
    console.log(
      `ratios (peer / tunelab, higher is better for tunelab): diagnostics p50 ${f(peer.diagnostics.p50 / ours.diagnostics.p50)}×, p95 ${f(peer.diagnostics.p95 / ours.diagnostics.p95)}×; completion p50 ${f(peer.completion.p50 / ours.completion.p50)}×, p95 ${f(peer.completion.p95 / ours.completion.p95)}×`,
    );
    console.log(`target p95 < 10 ms: diagnostics ${ours.diagnostics.p95 < 10 ? 'met' : 'MISSED'}, completion ${ours.completion.p95 < 10 ? 'met' : 'MISSED'}`);
    console.log(JSON.stringify({ bench: 'lspLatency', load: [loadBefore, loadAfter], results, inProcess: localStats }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
