/**
 * `tunelab eval --tasks` and `--compare`: loads a model (and adapter) with its tokenizer, runs
 * each task, and returns the `EvalReport` (common/eval/report.ts) with the per-item scores that a
 * paired comparison needs. Problems (unknown task, missing data, bad template, bad model) come
 * back as data.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { decode, encode, loadChatModel } from '../../common/chat/index';
import { forgettingReport, type ItemScores } from '../../common/eval/compare';
import { EvalError, type EvalProblem } from '../../common/eval/problems';
import { EVAL_REPORT_VERSION, type EvalReport, type ForgettingReport } from '../../common/eval/report';
import type { TaskDef } from '../../common/eval/tasks';
import { selectBackend, type BackendChoice } from '../backend/index';
import { loadModel } from '../io/index';
import { loadAdapterInto } from '../peft/index';
import type { CausalLM } from '../model/index';
import { loadTask, resolveTask, runTask, type EvalTaskSpec, type EvalTokenizer, type LoadedTask, type TaskRunOptions } from './runTasks';

export interface EvalTasksRequest extends Omit<TaskRunOptions, 'hooks'> {
  model: string;
  adapter?: string;
  /** Tasks: built-in names, task YAML files, corpus files (strings), or specs with per-task data and settings. */
  tasks: (string | EvalTaskSpec)[];
  /** Folder with the built-in benchmarks' files (default `eval_data`). */
  dataDir?: string;
  cwd: string;
  backend?: BackendChoice;
}

export type Outcome<T> = { ok: true; value: T } | { ok: false; problems: EvalProblem[] };

/** A report plus the per-item primary-metric scores behind it. */
export interface ScoredReport {
  report: EvalReport;
  items: ItemScores[];
}

function problemOf(e: unknown): EvalProblem {
  if (e instanceof EvalError) return e.problem;
  return { code: 'eval-data-invalid', message: (e as Error).message };
}

/** Resolves and reads every task before any model is loaded, so bad input fails fast. */
export async function prepareTasks(specs: readonly (string | EvalTaskSpec)[], cwd: string, dataDir: string, numFewshot: number | undefined): Promise<Outcome<LoadedTask[]>> {
  const problems: EvalProblem[] = [];
  const loaded: LoadedTask[] = [];
  for (const s of specs) {
    const spec: EvalTaskSpec = typeof s === 'string' ? { task: s } : s;
    try {
      const task: TaskDef = resolveTask(spec, cwd, dataDir);
      loaded.push(await loadTask(task, spec.numFewshot ?? numFewshot ?? task.numFewshot, spec.limit));
    } catch (e) {
      problems.push(problemOf(e));
    }
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, value: loaded };
}

/** The tokenizer view of a model directory. */
export async function evalTokenizer(modelDir: string): Promise<EvalTokenizer> {
  const loaded = await loadChatModel(modelDir);
  if (!loaded.ok) throw new EvalError({ code: 'eval-args-invalid', message: `${modelDir}: ${loaded.error.message}` });
  const chat = loaded.value;
  const prefix = chat.bosTokenId ?? chat.eosTokenId;
  if (prefix === undefined) throw new EvalError({ code: 'eval-args-invalid', message: `${modelDir}: the tokenizer has neither a BOS nor an EOS token to condition the first token on` });
  return { encode: (t) => encode(chat, t, false), decode: (ids) => decode(chat, ids, true), prefixToken: prefix, stopIds: [...chat.stopTokenIds] };
}

/** True when `dir` is a PEFT adapter folder rather than a model. */
export function isAdapterDir(dir: string): boolean {
  return existsSync(join(dir, 'adapter_config.json'));
}

/** Loads a model and optional adapter; problems as data. */
function loadWithAdapter(modelDir: string, adapterDir: string | undefined, tok: EvalTokenizer): CausalLM {
  let model: CausalLM | undefined;
  try {
    model = loadModel(modelDir);
    // Any PEFT method (LoRA, prefix, prompt, bottleneck, IA3...) through the method registry.
    if (adapterDir) loadAdapterInto(model, adapterDir, { encode: tok.encode });
    return model;
  } catch (e) {
    model?.dispose();
    throw new EvalError({ code: 'eval-args-invalid', message: (e as Error).message });
  }
}

/** Runs already-prepared tasks on one model. */
export async function scoreModel(tasks: readonly LoadedTask[], modelDir: string, adapterDir: string | undefined, opts: Omit<TaskRunOptions, 'hooks'> & { backendName: string }): Promise<ScoredReport> {
  const tok = await evalTokenizer(modelDir);
  const model = loadWithAdapter(modelDir, adapterDir, tok);
  const started = Date.now();
  try {
    const results = [];
    const items: ItemScores[] = [];
    for (const t of tasks) {
      const r = runTask(model, tok, t, opts);
      results.push(r.result);
      items.push(r.items);
    }
    const report: EvalReport = { v: EVAL_REPORT_VERSION, model: modelDir, adapter: adapterDir ?? null, tasks: results, created: new Date().toISOString(), backend: opts.backendName, limit: opts.limit ?? null, elapsed: (Date.now() - started) / 1000 };
    return { report, items };
  } finally {
    model.dispose();
  }
}

/** `tunelab eval --model DIR [--adapter DIR] --tasks ...`. */
export async function runEvalTasks(req: EvalTasksRequest): Promise<Outcome<ScoredReport>> {
  const prepared = await prepareTasks(req.tasks, req.cwd, req.dataDir ?? 'eval_data', req.numFewshot);
  if (!prepared.ok) return prepared;
  try {
    const backend = await selectBackend(req.backend ?? 'wasm');
    const model = resolve(req.cwd, req.model);
    const adapter = req.adapter ? resolve(req.cwd, req.adapter) : undefined;
    return { ok: true, value: await scoreModel(prepared.value, model, adapter, { ...req, backendName: backend.name }) };
  } catch (e) {
    return { ok: false, problems: [problemOf(e)] };
  }
}

export interface CompareRequest extends Omit<EvalTasksRequest, 'model' | 'adapter'> {
  base: string;
  /** A model directory, or an adapter directory applied on `base`. */
  tuned: string;
}

/** `tunelab eval --compare BASE TUNED --tasks ...`: both models on the same items, then the deltas. */
export async function runCompare(req: CompareRequest): Promise<Outcome<ForgettingReport>> {
  const prepared = await prepareTasks(req.tasks, req.cwd, req.dataDir ?? 'eval_data', req.numFewshot);
  if (!prepared.ok) return prepared;
  try {
    const backend = await selectBackend(req.backend ?? 'wasm');
    const base = resolve(req.cwd, req.base);
    const tuned = resolve(req.cwd, req.tuned);
    // Both folders are checked before the base is scored: a typo in TUNED must not cost a full run.
    for (const dir of [base, tuned]) {
      if (!existsSync(dir)) return { ok: false, problems: [{ code: 'eval-args-invalid', message: `${dir}: model directory not found` }] };
      if (!isAdapterDir(dir) && !existsSync(join(dir, 'config.json'))) return { ok: false, problems: [{ code: 'eval-args-invalid', message: `${dir}: neither a model folder (config.json) nor an adapter folder (adapter_config.json)` }] };
    }
    if (isAdapterDir(base)) return { ok: false, problems: [{ code: 'eval-args-invalid', message: `${base}: BASE is an adapter folder; give the model it was trained on as BASE and the adapter as TUNED` }] };
    const opts = { ...req, backendName: backend.name };
    const b = await scoreModel(prepared.value, base, undefined, opts);
    const t = isAdapterDir(tuned) ? await scoreModel(prepared.value, base, tuned, opts) : await scoreModel(prepared.value, tuned, undefined, opts);
    return { ok: true, value: forgettingReport(b.report, t.report, b.items, t.items, new Date().toISOString()) };
  } catch (e) {
    return { ok: false, problems: [problemOf(e)] };
  }
}
