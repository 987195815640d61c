/**
 * `npm run methods-table`: trains every fine-tuning method one short run on the shipped tiny model
 * (examples/models/tiny-base) with the demo's data and split (examples/demo.yml), and writes a
 * table to README.md between the methods-table markers: trainable parameters (as run_start
 * reports them), the trainer process's peak resident memory, and the validation loss after the
 * run, next to the untrained base model's.
 *
 * Each method keeps its own example's method keys and learning rate (examples/<method>.yml; the
 * LoRA row is demo.yml itself); the data, batch, schedule length and evaluation come from demo.yml,
 * so the rows differ only in the method. Methods without an example file are skipped with a note.
 *
 *   npm run methods-table [-- --steps N] [-- --no-write]
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';
import { writeFileAtomic } from '../common/fsAtomic';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const examples = join(root, 'examples');
const work = join(root, 'outputs', 'methods-table');
const START = '<!-- methods-table:start -->';
const END = '<!-- methods-table:end -->';

/** Keys that come from demo.yml for every row: data, split, batch, schedule length, evaluation. */
const SHARED_KEYS = ['base_model', 'datasets', 'val_set_size', 'sequence_len', 'sample_packing', 'attn_implementation', 'micro_batch_size', 'gradient_accumulation_steps', 'eval_batch_size', 'num_epochs', 'warmup_steps', 'warmup_ratio', 'evals_per_epoch', 'eval_steps', 'saves_per_epoch', 'save_steps', 'logging_steps', 'seed'];

/** Method → its example (the row label is the method). */
const METHODS: [string, string][] = [
  ['full', 'full.yml'],
  ['lora', 'demo.yml'],
  ['qlora', 'qlora.yml'],
  ['ia3', 'ia3.yml'],
  ['prefix', 'prefix.yml'],
  ['prompt', 'prompt.yml'],
  ['bottleneck', 'bottleneck.yml'],
];

interface Row {
  method: string;
  example: string;
  trainable: number;
  total: number;
  maxRssMb: number;
  evalLoss: number | null;
  seconds: number;
}

const args = process.argv.slice(2);
const stepsAt = args.indexOf('--steps');
const steps = stepsAt >= 0 ? Number(args[stepsAt + 1]) : 60;
if (!Number.isInteger(steps) || steps < 1) {
  process.stderr.write('methods-table: --steps must be a positive integer\n');
  process.exit(2);
}
const write = !args.includes('--no-write');

// Peak RSS of the child, printed on its exit (Node's resourceUsage reports kilobytes).
const rssProbe = `data:text/javascript,process.on('exit',()=>process.stderr.write('\\nTUNELAB_MAXRSS_KB '+process.resourceUsage().maxRSS+'\\n'))`;

function tunelab(argv: string[]): { events: Record<string, unknown>[]; maxRssKb: number; stdout: string } {
  const r = spawnSync(process.execPath, ['--import', rssProbe, join(root, 'bin', 'tunelab.js'), ...argv], { cwd: root, encoding: 'utf8', maxBuffer: 1 << 28 });
  const rss = /TUNELAB_MAXRSS_KB (\d+)/.exec(r.stderr ?? '');
  if (r.status !== 0) throw new Error(`tunelab ${argv.join(' ')} exited with ${r.status}:\n${(r.stderr ?? '').slice(-2000)}`);
  const events = (r.stdout ?? '').split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
  return { events, maxRssKb: rss ? Number(rss[1]) : 0, stdout: r.stdout ?? '' };
}

function configFor(example: string): Record<string, unknown> {
  const demo = parse(readFileSync(join(examples, 'demo.yml'), 'utf8')) as Record<string, unknown>;
  const own = parse(readFileSync(join(examples, example), 'utf8')) as Record<string, unknown>;
  const cfg: Record<string, unknown> = { ...own };
  for (const k of SHARED_KEYS) {
    if (k in demo) cfg[k] = demo[k];
    else delete cfg[k];
  }
  // Paths in demo.yml are relative to examples/; the generated config lives elsewhere.
  cfg.base_model = resolve(examples, String(demo.base_model));
  cfg.datasets = (demo.datasets as Record<string, unknown>[]).map((d) => ({ ...d, path: resolve(examples, String(d.path)) }));
  return cfg;
}

function main(): void {
  if (!existsSync(join(root, 'dist', 'cli', 'tunelab.mjs'))) {
    const b = spawnSync(process.execPath, [join(root, 'scripts', 'build.mjs'), '--quiet'], { cwd: root, stdio: 'inherit' });
    if (b.status !== 0) process.exit(b.status ?? 1);
  }
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  const base = JSON.parse(tunelab(['eval', join(examples, 'demo.yml'), '--json']).stdout) as { eval_loss: number; records: number };
  const rows: Row[] = [];
  const skipped: string[] = [];
  for (const [method, example] of METHODS) {
    if (!existsSync(join(examples, example))) {
      skipped.push(`${method} (no examples/${example})`);
      continue;
    }
    const cfg = configFor(example);
    cfg.output_dir = join(work, method);
    const path = join(work, `${method}.yml`);
    writeFileSync(path, stringify(cfg));
    const started = Date.now();
    process.stderr.write(`methods-table: ${method} (${steps} steps)…\n`);
    const r = tunelab(['train', path, '--max-steps', String(steps), '--json']);
    const start = r.events.find((e) => e.type === 'run_start') as { method: string; params: { total: number; trainable: number } } | undefined;
    const done = r.events.find((e) => e.type === 'done') as { status: string; metrics: { eval_loss: number | null } } | undefined;
    if (!start || !done || done.status !== 'completed') throw new Error(`${method}: the run did not complete`);
    if (start.method !== method) throw new Error(`${method}: run_start says ${start.method}`);
    rows.push({ method, example, trainable: start.params.trainable, total: start.params.total, maxRssMb: r.maxRssKb / 1024, evalLoss: done.metrics.eval_loss, seconds: (Date.now() - started) / 1000 });
  }
  const table = render(rows, base, skipped);
  process.stdout.write(`${table}\n`);
  if (write) {
    const readme = join(root, 'README.md');
    const text = readFileSync(readme, 'utf8');
    const a = text.indexOf(START);
    const b = text.indexOf(END);
    if (a < 0 || b < a) throw new Error(`README.md has no ${START} … ${END} section`);
    writeFileAtomic(readme, `${text.slice(0, a + START.length)}\n${table}\n${text.slice(b)}`);
    process.stderr.write('methods-table: README.md updated\n');
  }
}

function render(rows: Row[], base: { eval_loss: number; records: number }, skipped: string[]): string {
  const n = (x: number) => x.toLocaleString('en-US');
  const lines = [
    `${steps} optimizer steps of \`npm run demo\`'s task (examples/demo.yml: data, split, batch size) on the shipped tiny model, each method with its example's settings and learning rate; validation loss on the same ${base.records} records (untrained base model: **${base.eval_loss.toFixed(3)}**). Memory is the trainer process's peak resident set (wasm backend). Generated by \`npm run methods-table\` on ${cpus().length} × ${cpus()[0]?.model.trim() ?? 'CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB.`,
    '',
    '| method | example | trainable params | % of total | peak memory | eval loss | time |',
    '|---|---|--:|--:|--:|--:|--:|',
    ...rows.map((r) => `| ${r.method} | examples/${r.example} | ${n(r.trainable)} | ${((100 * r.trainable) / r.total).toFixed(2)} % | ${r.maxRssMb.toFixed(0)} MB | ${r.evalLoss === null ? '–' : r.evalLoss.toFixed(3)} | ${r.seconds.toFixed(0)} s |`),
  ];
  if (skipped.length) lines.push('', `Not run: ${skipped.join(', ')}.`);
  return lines.join('\n');
}

main();
