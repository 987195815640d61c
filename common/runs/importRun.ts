/**
 * Finds the record of a training run made elsewhere in a folder (an output_dir, a checkpoint-N
 * folder, a TensorBoard log folder, or one file) and converts it into Tunelab events. Sources,
 * in order of preference (the first that yields metrics wins for a folder):
 *   1. `trainer_state.json` in the folder, else in its newest checkpoint-N;
 *   2. TensorBoard event files (`events.out.tfevents.*`, up to three folders deep): one run each;
 *   3. Axolotl console logs (`*.log`, `*.out`, `*.txt` beside the outputs).
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { writeFileAtomic } from '../fsAtomic';
import { parseEvent, type TrainerEvent } from '../protocol/events';
import { looksLikeTrainerLog, parseAxolotlLog } from './axolotlLog';
import { metricLogToEvents, type ImportMeta, type MetricLog } from './metricLog';
import { hasTrainingScalars, scalarsToMetricLog } from './tensorboardLog';
import { readTfevents } from './tfevents';
import { parseTrainerState } from './trainerState';

export type RunSourceKind = 'trainer_state' | 'tensorboard' | 'axolotl_log';

/** A located problem (codes listed in docs/diagnostics.md). */
export interface ImportProblem {
  code: string;
  path: string;
  /** Byte offset in a binary file, when the problem has one. */
  offset?: number;
  message: string;
  severity: 'error' | 'warning';
}

export interface ImportedRun {
  kind: RunSourceKind;
  source: string;
  runId: string;
  events: TrainerEvent[];
}

export interface ImportResult {
  dir: string;
  runs: ImportedRun[];
  problems: ImportProblem[];
}

const MAX_BYTES = 256 * 1024 * 1024;
const LOG_EXT = /\.(log|out|txt)$/i;
const TFEVENTS = /^events\.out\.tfevents\./;

/** Newest checkpoint-N folders of a directory, ascending by N. */
export function listCheckpointDirs(dir: string): { step: number; path: string }[] {
  let names: string[] = [];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names
    .map((n) => ({ n, m: /^checkpoint-(\d+)$/.exec(n) }))
    .filter((x) => x.m && isDir(join(dir, x.n)))
    .map((x) => ({ step: Number(x.m![1]), path: join(dir, x.n) }))
    .sort((a, b) => a.step - b.step);
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** A run id that is the same every time one source is imported (re-imports replace, not add). */
export function importRunId(source: string): string {
  return 'imp-' + createHash('sha1').update(resolve(source)).digest('hex').slice(0, 12);
}

function findTfevents(dir: string, depth: number, out: string[]): void {
  let names: string[];
  try {
    names = readdirSync(dir).sort();
  } catch {
    return;
  }
  for (const n of names) {
    const p = join(dir, n);
    if (TFEVENTS.test(n)) out.push(p);
    else if (depth > 0 && !n.startsWith('.') && n !== 'node_modules' && isDir(p)) findTfevents(p, depth - 1, out);
  }
}

function methodOf(dir: string): ImportMeta['method'] {
  for (const d of [dir, ...listCheckpointDirs(dir).map((c) => c.path).reverse()]) {
    const p = join(d, 'adapter_config.json');
    if (!existsSync(p)) continue;
    try {
      const a = JSON.parse(readFileSync(p, 'utf8')) as Record<string, unknown>;
      // QLoRA adapters are saved as plain LORA: the base model's quantisation is not recorded here.
      return typeof a.peft_type === 'string' && a.peft_type !== 'LORA' ? 'full' : 'lora';
    } catch {
      return 'lora';
    }
  }
  return 'full';
}

function adapterConfig(dir: string): Record<string, unknown> {
  const p = join(dir, 'adapter_config.json');
  if (!existsSync(p)) return {};
  try {
    const a = JSON.parse(readFileSync(p, 'utf8')) as Record<string, unknown>;
    const out: Record<string, unknown> = { adapter: 'lora' };
    if (typeof a.base_model_name_or_path === 'string') out.base_model = a.base_model_name_or_path;
    if (typeof a.r === 'number') out.lora_r = a.r;
    if (typeof a.lora_alpha === 'number') out.lora_alpha = a.lora_alpha;
    if (typeof a.lora_dropout === 'number') out.lora_dropout = a.lora_dropout;
    if (Array.isArray(a.target_modules)) out.lora_target_modules = a.target_modules;
    return out;
  } catch {
    return {};
  }
}

function readSmall(path: string, problems: ImportProblem[]): Buffer | null {
  try {
    const size = statSync(path).size;
    if (size > MAX_BYTES) {
      problems.push({ code: 'run-import-too-large', path, message: `${basename(path)} is ${(size / 2 ** 20).toFixed(0)} MiB, above the ${MAX_BYTES / 2 ** 20} MiB import limit`, severity: 'error' });
      return null;
    }
    return readFileSync(path);
  } catch (e) {
    problems.push({ code: 'run-import-unreadable', path, message: `cannot read it: ${(e as Error).message}`, severity: 'error' });
    return null;
  }
}

/**
 * Imports what a folder (or a single file) holds. Never throws for bad input: unreadable,
 * damaged or unrecognised files become problems, and a folder with nothing importable gives one
 * `run-import-nothing-found`.
 */
export function importRuns(target: string): ImportResult {
  const abs = resolve(target);
  const problems: ImportProblem[] = [];
  if (!existsSync(abs)) return { dir: abs, runs: [], problems: [{ code: 'run-import-unreadable', path: abs, message: `no such file or folder: ${target}`, severity: 'error' }] };
  const fileGiven = !isDir(abs);
  const dir = fileGiven ? dirname(abs) : abs;
  // A checkpoint folder's run is its parent's (output_dir), with this checkpoint's history.
  const outputDir = /^checkpoint-\d+$/.test(basename(dir)) ? dirname(dir) : dir;
  const checkpoints = listCheckpointDirs(outputDir);
  const method = methodOf(outputDir);
  const config = adapterConfig(outputDir);
  const eventsPath = join(outputDir, 'events.jsonl');
  // Without recorded wall time, the run started its runtime before the file was last written.
  const meta = (source: string, backend: string, runtime: number | null, runId = importRunId(source)): ImportMeta => ({
    runId,
    dir: outputDir,
    sourcePath: source,
    backend: `${backend} (imported)`,
    method,
    fallbackTime: new Date(statSync(source).mtimeMs - (runtime ?? 0) * 1000).toISOString(),
    checkpoints,
    config,
    eventsPath,
  });
  const runs: ImportedRun[] = [];
  const add = (kind: RunSourceKind, source: string, log: MetricLog, backend: string) => {
    if (log.steps.length === 0 && log.evals.length === 0) {
      problems.push({ code: 'run-import-no-metrics', path: source, message: `${basename(source)} holds no loss values`, severity: 'warning' });
      return;
    }
    const m = meta(source, backend, log.final?.runtime ?? null);
    runs.push({ kind, source, runId: m.runId, events: metricLogToEvents(log, m) });
  };

  const trainerState = (p: string) => {
    const buf = readSmall(p, problems);
    if (!buf) return;
    const r = parseTrainerState(buf.toString('utf8'));
    if (!r.ok) problems.push({ code: 'run-import-bad-json', path: p, message: r.message, severity: 'error' });
    else add('trainer_state', p, r.log, 'transformers');
  };
  const tfevents = (p: string) => {
    const buf = readSmall(p, problems);
    if (!buf) return;
    const r = readTfevents(buf);
    for (const q of r.problems) problems.push({ code: q.code, path: p, offset: q.offset, message: q.message, severity: q.code === 'run-import-truncated' ? 'warning' : 'error' });
    if (r.records > 0 && hasTrainingScalars(r.scalars)) add('tensorboard', p, { ...scalarsToMetricLog(r.scalars), startWallTime: r.startWallTime }, 'tensorboard');
    else if (r.scalars.length > 0) {
      // Some other program's scalars: name them, so "nothing found" is not a mystery.
      const tags = [...new Set(r.scalars.map((x) => x.tag))];
      const shown = tags.slice(0, 5).join(', ') + (tags.length > 5 ? `, … (${tags.length} tags)` : '');
      problems.push({ code: 'run-import-no-metrics', path: p, message: `${basename(p)} holds scalars (${shown}) but no training loss (train/loss, loss, eval/loss or eval_loss)`, severity: 'warning' });
    }
  };
  const axolotlLog = (p: string) => {
    const buf = readSmall(p, problems);
    if (!buf) return;
    const text = buf.toString('utf8');
    if (looksLikeTrainerLog(text)) add('axolotl_log', p, parseAxolotlLog(text), 'axolotl');
  };

  if (fileGiven) {
    const n = basename(abs);
    if (n.endsWith('.json')) trainerState(abs);
    else if (TFEVENTS.test(n)) tfevents(abs);
    else axolotlLog(abs);
  } else {
    const own = join(dir, 'trainer_state.json');
    const newest = [...listCheckpointDirs(dir)].reverse().map((c) => join(c.path, 'trainer_state.json')).find(existsSync);
    if (existsSync(own)) trainerState(own);
    else if (newest) trainerState(newest);
    if (runs.length === 0) {
      const files: string[] = [];
      findTfevents(dir, 3, files);
      for (const f of files) tfevents(f);
    }
    if (runs.length === 0) {
      for (const n of readdirSync(dir).sort()) if (LOG_EXT.test(n) && !isDir(join(dir, n))) axolotlLog(join(dir, n));
    }
  }
  if (runs.length === 0 && !problems.some((p) => p.severity === 'error')) {
    problems.push({ code: 'run-import-nothing-found', path: abs, message: 'no trainer_state.json, TensorBoard event file or Axolotl log with training metrics was found', severity: 'error' });
  }
  return { dir: outputDir, runs, problems };
}

/** Whether an events.jsonl was written by an import (replaceable) rather than by a live run. */
export function isImportedEventsFile(path: string): boolean {
  if (!existsSync(path)) return true;
  const text = readFileSync(path, 'utf8');
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const e = parseEvent(line);
    if ('error' in e) continue;
    if (e.type === 'run_start' && !e.backend.endsWith('(imported)')) return false;
  }
  return true;
}

/**
 * Writes the imported events to `<dir>/events.jsonl` (temp name + rename), unless that file
 * belongs to a run Tunelab watched live (then it is left alone and false is returned).
 */
export function writeImportedEvents(result: ImportResult): { written: boolean; path: string } {
  const path = join(result.dir, 'events.jsonl');
  if (!isImportedEventsFile(path)) return { written: false, path };
  const text = result.runs.flatMap((r) => r.events).map((e) => JSON.stringify(e)).join('\n') + '\n';
  writeFileAtomic(path, text);
  return { written: true, path };
}
