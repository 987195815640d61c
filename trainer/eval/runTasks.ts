/**
 * Runs one task on one model: documents → prompts (common/eval) → tokens (lm-eval's splitting) →
 * log-likelihoods or generations (loglik.ts, generateUntil.ts) → per-item metrics → the task's
 * aggregated result and the per-item scores of its primary metric (for paired comparisons).
 */
import { dirname, extname, basename, resolve } from 'node:path';
import { readFileSync } from 'node:fs';
import type { ItemScores } from '../../common/eval/compare';
import { applyFilters, countWords, mean, meanStderr, perplexityMetrics, pooledStderr, scoreChoices, scoreGeneration, utf8Length, type RollingItem } from '../../common/eval/metrics';
import { EvalError } from '../../common/eval/problems';
import { buildContext, docChoices, docTarget, FewshotSampler } from '../../common/eval/prompt';
import type { EvalSample, EvalTaskResult, MetricValue } from '../../common/eval/report';
import { baseTask, builtinTask, kindOf, type EvalTaskSpec, type TaskDef } from '../../common/eval/tasks';

export type { EvalTaskSpec } from '../../common/eval/tasks';
import { TemplateError, type Doc } from '../../common/eval/template';
import { encodePair, rollingWindows } from '../../common/eval/tokens';
import { parseTaskYaml } from '../../common/eval/yamlTask';
import type { CausalLM, ForwardHooks } from '../model/index';
import { locateBuiltin, readSplit } from './data';
import { generateUntil } from './generateUntil';
import { scoreChoicesShared, scoreRequestAlone, scoreWindows } from './loglik';

/** The tokenizer as the eval needs it. */
export interface EvalTokenizer {
  encode(text: string): number[];
  decode(ids: readonly number[]): string;
  /** BOS, else EOS: the context of an empty context and of the first rolling window. */
  prefixToken: number;
  /** Ids that end a generation. */
  stopIds: number[];
}

export interface TaskRunOptions {
  /** Items per task (per subject for MMLU, as lm-eval's --limit). */
  limit?: number;
  /** Overrides the task's num_fewshot. */
  numFewshot?: number;
  /** How many scored items to keep as samples (default 5). */
  samples?: number;
  /** Longest sequence fed to the model (default the model's position limit). */
  maxLen?: number;
  hooks?: ForwardHooks;
  /** Score each request with its own full forward instead of sharing the context (for checks and benchmarks). */
  unbatched?: boolean;
  onProgress?(task: string, done: number, total: number): void;
}

/** A task and its documents, ready to run. */
export interface LoadedTask {
  task: TaskDef;
  docs: Doc[];
  fewshot: Doc[] | null;
  source: string;
  /** Per-task settings that override the run's. */
  limit?: number;
  numFewshot: number;
}

const DATA_EXT = new Set(['.txt', '.jsonl', '.json', '.parquet']);

function yamlTask(path: string): TaskDef {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new EvalError({ code: 'eval-task-unknown', message: 'task file not found', file: path });
  }
  return parseTaskYaml(text, path, (p) => resolve(dirname(path), p));
}

function corpusTask(name: string, path: string): TaskDef {
  const t = baseTask(name, 'loglikelihood_rolling');
  t.dataFiles = { test: [path] };
  t.evalSplit = 'test';
  t.docToTarget = 'text';
  t.metrics = [
    { metric: 'word_perplexity', higher_is_better: false },
    { metric: 'byte_perplexity', higher_is_better: false },
    { metric: 'bits_per_byte', higher_is_better: false },
  ];
  t.primary = 'bits_per_byte';
  // Without this, 'text' on a record that lacks the field renders as the literal word "text"
  // (a template, as lm-eval reads doc_to_target), and an Alpaca file would score that word.
  t.processDoc = (doc) => {
    if (typeof doc.text !== 'string') throw new EvalError({ code: 'eval-data-invalid', message: `a corpus record needs a string "text" field (this one has: ${Object.keys(doc).join(', ') || 'no fields'}); for instruction data use a task YAML`, file: path });
    return doc;
  };
  return t;
}

/**
 * Resolves a task: a built-in name (data under `spec.data` or `dataDir`), a task YAML, or a
 * text/JSONL/Parquet corpus (general-text perplexity: bits per byte over its documents).
 */
export function resolveTask(spec: EvalTaskSpec, cwd: string, dataDir: string): TaskDef {
  const builtin = builtinTask(spec.task);
  if (builtin) return locateBuiltin(builtin, resolve(cwd, spec.data ?? dataDir));
  const file = spec.data ?? spec.task;
  const ext = extname(file).toLowerCase();
  const path = resolve(cwd, file);
  if (ext === '.yaml' || ext === '.yml') {
    const t = yamlTask(path);
    return spec.data && spec.task ? { ...t, name: spec.task } : t;
  }
  if (DATA_EXT.has(ext)) return corpusTask(spec.data ? spec.task : basename(file, extname(file)), path);
  throw new EvalError({ code: 'eval-task-unknown', message: `unknown task '${spec.task}': use mmlu, hellaswag, arc_easy, arc_challenge, a task .yaml file, or a .txt/.jsonl/.parquet corpus for perplexity` });
}

/** Reads a task's documents (and few-shot pool when `numFewshot` > 0). */
export async function loadTask(task: TaskDef, numFewshot: number, limit?: number): Promise<LoadedTask> {
  const files = task.dataFiles[task.evalSplit];
  if (!files || files.length === 0) throw new EvalError({ code: 'eval-data-missing', message: `task ${task.name}: no files for split '${task.evalSplit}'` });
  const pre = (d: Doc): Doc => (task.processDoc ? task.processDoc(d) : d);
  const docs = (await readSplit(files)).map(pre);
  // Nothing to score would report n = 0 and NaN metrics with exit 0.
  if (docs.length === 0) throw new EvalError({ code: 'eval-data-missing', message: `task ${task.name}: no documents in ${files.join(', ')}` });
  let fewshot: Doc[] | null = null;
  const k = task.outputType === 'loglikelihood_rolling' ? 0 : numFewshot;
  if (k > 0) {
    // No few-shot split: the scored split itself, each document left out of its own examples
    // (lm-eval's fallback). A named split whose files were not found is an error.
    const fsFiles = task.fewshotSplit ? task.dataFiles[task.fewshotSplit] : files;
    if (!fsFiles) throw new EvalError({ code: 'eval-fewshot-insufficient', message: `task ${task.name}: ${k}-shot needs the '${task.fewshotSplit}' split and no file for it was found` });
    fewshot = fsFiles === files || task.fewshotSplit === task.evalSplit ? docs : (await readSplit(fsFiles)).map(pre);
  }
  const out: LoadedTask = { task, docs, fewshot, source: files.join(', '), numFewshot: k };
  if (limit !== undefined) out.limit = limit;
  return out;
}

function located<T>(task: TaskDef, index: number, f: () => T): T {
  try {
    return f();
  } catch (e) {
    // Template problems and requests the model cannot take (an empty choice, a choice longer than
    // the model's positions) are the item's problem, reported with the task and item.
    if (e instanceof TemplateError || e instanceof RangeError) throw new EvalError({ code: 'eval-data-invalid', message: `task ${task.name}, item ${index}: ${e.message}` });
    throw e;
  }
}

/** Groups (subject → indices) in first-seen order, each cut to `limit`. */
function groups(task: TaskDef, docs: readonly Doc[], limit: number | undefined): Map<string, number[]> {
  const out = new Map<string, number[]>();
  docs.forEach((d, i) => {
    const key = task.groupField ? String(d[task.groupField] ?? '') : '';
    const list = out.get(key) ?? [];
    if (limit === undefined || list.length < limit) list.push(i);
    out.set(key, list);
  });
  // lm-eval runs a group's subtasks in name order.
  return task.groupField ? new Map([...out.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : out;
}

function itemId(task: TaskDef, doc: Doc, index: number): string {
  const own = doc.id ?? doc.ind;
  const base = typeof own === 'string' || typeof own === 'number' ? String(own) : String(index);
  return task.groupField ? `${String(doc[task.groupField] ?? '')}/${base}` : base;
}

function aggregate(values: Record<string, number[]>): Record<string, MetricValue> {
  const out: Record<string, MetricValue> = {};
  for (const [k, xs] of Object.entries(values)) out[k] = { value: mean(xs), stderr: meanStderr(xs) };
  return out;
}

/** Runs a loaded task. */
export function runTask(model: CausalLM, tok: EvalTokenizer, loaded: LoadedTask, opts: TaskRunOptions = {}): { result: EvalTaskResult; items: ItemScores } {
  const { task } = loaded;
  const maxLen = opts.maxLen ?? model.config.maxPositions;
  const k = loaded.numFewshot;
  const keepSamples = opts.samples ?? 5;
  const scoreOpts = { maxLen, ...(opts.hooks ? { hooks: opts.hooks } : {}) };
  const metricNames = task.metrics.map((m) => m.metric);
  const higher: Record<string, boolean> = Object.fromEntries(task.metrics.map((m) => [m.metric, m.higher_is_better]));
  const samples: EvalSample[] = [];
  const grouped = groups(task, loaded.docs, loaded.limit ?? opts.limit);
  const total = [...grouped.values()].reduce((s, l) => s + l.length, 0);
  const ids: string[] = [];

  if (task.outputType === 'loglikelihood_rolling') {
    const rolling: RollingItem[] = [];
    const windows: { context: number[]; predicted: number[] }[] = [];
    const owner: number[] = [];
    const indices = [...grouped.values()].flat();
    indices.forEach((i, n) => {
      const doc = loaded.docs[i]!;
      const text = located(task, i, () => docTarget(task, doc, null));
      const t = Array.isArray(text) ? text.join('') : String(text);
      const tokens = tok.encode(t);
      for (const w of rollingWindows(tokens, tok.prefixToken, maxLen)) {
        windows.push(w);
        owner.push(n);
      }
      rolling.push({ ll: 0, words: countWords(t), bytes: utf8Length(t), tokens: tokens.length });
      ids.push(itemId(task, doc, i));
    });
    const lls = scoreWindows(model, windows, { ...scoreOpts, rows: 4 });
    lls.forEach((ll, w) => (rolling[owner[w]!]!.ll += ll));
    opts.onProgress?.(task.name, total, total);
    const all = perplexityMetrics(rolling);
    const metrics: Record<string, MetricValue> = {};
    for (const m of metricNames) metrics[m] = { value: all[m]!, stderr: null };
    metrics.token_perplexity = { value: all.token_perplexity!, stderr: null };
    higher.token_perplexity = false;
    const result: EvalTaskResult = { task: task.name, kind: 'perplexity', n: rolling.length, num_fewshot: 0, primary_metric: task.primary, metrics, higher_is_better: higher, source: loaded.source };
    return { result, items: { task: task.name, metric: 'bits_per_byte', higherIsBetter: false, ids, num: rolling.map((r) => -r.ll / Math.LN2), den: rolling.map((r) => r.bytes) } };
  }

  const sampler = new FewshotSampler(task, poolsOf(task, loaded.fewshot), loaded.fewshot === loaded.docs);
  const perMetric: Record<string, number[]> = Object.fromEntries(metricNames.map((m) => [m, []]));
  const subtasks: NonNullable<EvalTaskResult['subtasks']> = [];
  let done = 0;
  for (const [group, indices] of grouped) {
    const groupValues: Record<string, number[]> = Object.fromEntries(metricNames.map((m) => [m, []]));
    for (const i of indices) {
      const doc = loaded.docs[i]!;
      const fewshot = located(task, i, () => sampler.sample(doc, k));
      const context = located(task, i, () => buildContext(task, doc, fewshot));
      const choices = located(task, i, () => docChoices(task, doc));
      const target = located(task, i, () => docTarget(task, doc, choices));
      const scores: Record<string, number> = {};
      let sample: EvalSample;
      if (task.outputType === 'multiple_choice') {
        const gold = target as number;
        // Every choice encodes the same context alone: encode each distinct string once.
        const seen = new Map<string, number[]>();
        const encodeOnce = (text: string): number[] => {
          let ids = seen.get(text);
          if (!ids) seen.set(text, (ids = tok.encode(text)));
          return ids;
        };
        const pairs = choices!.map((c) => encodePair(encodeOnce, context, task.targetDelimiter + c, tok.prefixToken));
        const res = located(task, i, () =>
          opts.unbatched
            ? pairs.map((p) => scoreRequestAlone(model, p.context, p.continuation, scoreOpts))
            : scoreChoicesShared(model, pairs[0]!.context, pairs.map((p) => p.continuation), scoreOpts),
        );
        const s = scoreChoices(res.map((r) => r.ll), res.map((r) => r.greedy), choices!, gold);
        for (const m of metricNames) scores[m] = s[m as 'acc'];
        const shown = task.primary === 'acc_norm' ? s.predNorm : task.primary === 'acc_bytes' ? s.predBytes : s.pred;
        sample = { id: itemId(task, doc, i), prompt: context, target: choices![gold]!, output: choices![shown]! };
      } else {
        const refs = typeof target === 'number' ? [choices![target]!] : Array.isArray(target) ? target : [target];
        const raw = generateUntil(model, tok.encode(context), { until: task.until, maxNewTokens: task.maxGenToks, stopIds: tok.stopIds, maxLen, decode: tok.decode, ...(opts.hooks ? { hooks: opts.hooks } : {}) });
        const output = applyFilters(raw, task.filters);
        for (const m of task.metrics) scores[m.metric] = scoreGeneration(m, output, refs);
        sample = { id: itemId(task, doc, i), prompt: context, target: refs[0] ?? '', output };
      }
      sample.correct = scores[task.primary] === 1;
      if (samples.length < keepSamples) samples.push(sample);
      for (const m of metricNames) {
        perMetric[m]!.push(scores[m]!);
        groupValues[m]!.push(scores[m]!);
      }
      ids.push(itemId(task, doc, i));
      opts.onProgress?.(task.name, ++done, total);
    }
    if (task.groupField) subtasks.push({ task: `${task.name}_${group}`, n: indices.length, metrics: aggregate(groupValues) });
  }
  const metrics = aggregate(perMetric);
  if (task.groupField && subtasks.length > 1) {
    // lm-eval's group stderr with weight_by_size: pooled over the subtasks.
    for (const m of metricNames) {
      const se = subtasks.map((s) => s.metrics[m]!.stderr);
      if (se.every((x) => x !== null)) metrics[m] = { value: metrics[m]!.value, stderr: pooledStderr(se as number[], subtasks.map((s) => s.n)) };
    }
  }
  const result: EvalTaskResult = { task: task.name, kind: kindOf(task.outputType), n: ids.length, num_fewshot: k, primary_metric: task.primary, metrics, higher_is_better: higher, source: loaded.source, samples };
  if (subtasks.length > 0) result.subtasks = subtasks;
  const values = perMetric[task.primary]!;
  return { result, items: { task: task.name, metric: task.primary, higherIsBetter: higher[task.primary] ?? true, ids, num: values, den: values.map(() => 1) } };
}

function poolsOf(task: TaskDef, fewshot: Doc[] | null): Map<string, Doc[]> {
  const pools = new Map<string, Doc[]>();
  for (const d of fewshot ?? []) {
    const key = task.groupField ? String(d[task.groupField] ?? '') : '';
    pools.set(key, [...(pools.get(key) ?? []), d]);
  }
  return pools;
}
