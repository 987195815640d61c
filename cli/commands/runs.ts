import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { importRuns, summarizeEvents, writeImportedEvents, type ImportProblem, type RunLine } from '../../common/runs/index';
import { formatOption, parse } from '../args';
import { UsageError, type CliCommand, type CliIo } from '../command';

const SKIP = new Set(['node_modules', '.git', '__pycache__']);
const MAX_DEPTH = 6;

/** Folders holding events.jsonl, and folders with a run made elsewhere that has not been imported. */
function walk(dir: string, depth: number, found: { events: string[]; importable: string[] }): void {
  let names: string[];
  try {
    names = readdirSync(dir).sort();
  } catch {
    return;
  }
  const has = (n: string) => names.includes(n);
  if (has('events.jsonl')) found.events.push(join(dir, 'events.jsonl'));
  else if (has('trainer_state.json') || names.some((n) => /^checkpoint-\d+$/.test(n)) || names.some((n) => n.startsWith('events.out.tfevents.'))) found.importable.push(dir);
  if (depth === 0) return;
  for (const n of names) {
    if (SKIP.has(n) || n.startsWith('.') || /^checkpoint-\d+$/.test(n)) continue;
    const p = join(dir, n);
    try {
      if (statSync(p).isDirectory()) walk(p, depth - 1, found);
    } catch {
      // a dangling link
    }
  }
}

function problemLine(p: ImportProblem, cwd: string): string {
  return `${relative(cwd, p.path) || '.'}${p.offset !== undefined ? `@${p.offset}` : ''}: ${p.severity} ${p.code}: ${p.message}`;
}

const fmtLoss = (x: number | null) => (x === null ? '-' : x.toFixed(4));

function table(rows: (RunLine & { file: string })[], cwd: string): string {
  const head = ['RUN', 'STATUS', 'STEP', 'LOSS', 'EVAL', 'ENGINE', 'STARTED', 'OUTPUT'];
  const body = rows.map((r) => [r.runId, r.status, `${r.step}/${r.totalSteps}`, fmtLoss(r.loss), fmtLoss(r.evalLoss), r.backend || '-', r.started.slice(0, 16).replace('T', ' '), relative(cwd, r.outputDir || r.file) || '.']);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  return [head, ...body].map((cells) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')).join('\n') + '\n';
}

async function importCmd(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(args, { json: { type: 'boolean', default: false }, 'no-write': { type: 'boolean', default: false } });
  if (positionals.length === 0) throw new UsageError('give at least one folder or file to import (tunelab runs --help)');
  let errors = 0;
  for (const target of positionals) {
    if (!existsSync(resolve(io.cwd, target))) throw new UsageError(`no such file or folder: ${target}`);
    const r = importRuns(resolve(io.cwd, target));
    for (const p of r.problems) io.err(problemLine(p, io.cwd) + '\n');
    errors += r.problems.filter((p) => p.severity === 'error').length;
    if (r.runs.length === 0) continue;
    if (values.json) for (const run of r.runs) for (const e of run.events) io.out(JSON.stringify(e) + '\n');
    let where = 'not written (--no-write)';
    if (!values['no-write']) {
      const w = writeImportedEvents(r);
      where = w.written ? relative(io.cwd, w.path) : `not written: ${relative(io.cwd, w.path)} belongs to a run Tunelab watched live`;
    }
    if (!values.json) {
      for (const run of r.runs) {
        const s = summarizeEvents(run.events.map((e) => JSON.stringify(e)).join('\n'))[0]!;
        io.out(`${relative(io.cwd, run.source)}: ${run.kind}, run ${run.runId}, ${s.status} at step ${s.step}/${s.totalSteps}, loss ${fmtLoss(s.loss)}${s.evalLoss !== null ? `, eval ${fmtLoss(s.evalLoss)}` : ''} → ${where}\n`);
      }
    }
  }
  return errors > 0 ? 1 : 0;
}

async function listCmd(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(args, { format: { type: 'string' } });
  const format = formatOption(values.format, ['text', 'json'] as const, 'text');
  const roots = positionals.length ? positionals : ['.'];
  const found = { events: [] as string[], importable: [] as string[] };
  for (const r of roots) {
    const abs = resolve(io.cwd, r);
    if (!existsSync(abs)) throw new UsageError(`no such folder: ${r}`);
    walk(abs, MAX_DEPTH, found);
  }
  const rows: (RunLine & { file: string })[] = [];
  for (const f of found.events) {
    let text: string;
    try {
      text = readFileSync(f, 'utf8');
    } catch (e) {
      io.err(`cannot read ${relative(io.cwd, f)}: ${(e as Error).message}\n`);
      continue;
    }
    for (const r of summarizeEvents(text)) rows.push({ ...r, file: f });
  }
  rows.sort((a, b) => b.started.localeCompare(a.started));
  if (format === 'json') {
    io.out(JSON.stringify({ runs: rows, importable: found.importable }) + '\n');
    return 0;
  }
  if (rows.length) io.out(table(rows, io.cwd));
  else io.out('no runs found\n');
  for (const d of found.importable) io.out(`not imported: ${relative(io.cwd, d) || '.'} (tunelab runs import ${relative(io.cwd, d) || '.'})\n`);
  return 0;
}

export const runsCommand: CliCommand = {
  name: 'runs',
  summary: 'List training runs; import runs made elsewhere (Transformers, Axolotl, TensorBoard)',
  usage: [
    'Usage: tunelab runs list [--format text|json] [DIR...]',
    '       tunelab runs import [--json] [--no-write] DIR|FILE...',
    '',
    'list: every run recorded in an events.jsonl under the folders (default: the current one), newest',
    '  first, and folders holding a run made elsewhere that is not imported yet.',
    'import: reads a Hugging Face trainer_state.json (an output folder or any checkpoint-N), TensorBoard',
    '  event files (events.out.tfevents.*, CRC-checked) or an Axolotl console log (*.log, *.out), and',
    '  writes the run as Tunelab events to <dir>/events.jsonl, where the editor\'s dashboard finds it',
    '  beside local runs. An events.jsonl written by a live Tunelab run is never replaced.',
    '',
    '  --json       print the imported events (JSON lines) on stdout',
    '  --no-write   do not write events.jsonl',
    '',
    'Exit codes: 0 ok, 1 nothing importable or a damaged file (located on stderr), 2 usage or I/O error.',
  ].join('\n'),
  async run(args, io) {
    const [sub, ...rest] = args;
    if (sub === 'import') return importCmd(rest, io);
    if (sub === 'list') return listCmd(rest, io);
    throw new UsageError(sub === undefined ? 'expected a sub-command: list or import (tunelab runs --help)' : `unknown sub-command '${sub}': expected list or import`);
  },
};
