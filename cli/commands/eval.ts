import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { configEvalTasks } from '../../common/eval/configTasks';
import { formatProblem, type EvalProblem } from '../../common/eval/problems';
import { renderForgettingMarkdown, renderForgettingText, renderReportMarkdown, renderReportText } from '../../common/eval/render';
import type { EvalTaskSpec } from '../../common/eval/tasks';
import { writeFileAtomic } from '../../common/fsAtomic';
import { resolveLocalPath } from '../../common/paths';
import { runCompare, runEval, runEvalTasks, type BackendChoice, type EvalReport } from '../../trainer/index';
import { formatOption, numberOption, parse } from '../args';
import { UsageError, type CliCommand, type CliIo } from '../command';

const BACKENDS: readonly BackendChoice[] = ['auto', 'wasm', 'webgpu', 'tensorflow'];

export const evalCommand: CliCommand = {
  name: 'eval',
  summary: 'Benchmarks (MMLU, HellaSwag, ARC, YAML tasks, perplexity), forgetting reports, validation loss',
  usage: [
    'Usage: tunelab eval --model DIR [--adapter DIR] --tasks LIST [options]',
    '       tunelab eval --compare BASE TUNED --tasks LIST [options]',
    '       tunelab eval CONFIG [--tasks LIST] [--model DIR] [--adapter DIR] [options]',
    '',
    'Benchmarks, scored as lm-evaluation-harness scores them (log-likelihood of each choice after the',
    'context, acc / acc_norm with standard errors, the same prompts and few-shot examples):',
    '  LIST is comma-separated: mmlu, hellaswag, arc_easy, arc_challenge (files under --data, in the',
    '  Hugging Face layouts: mmlu/all/test-*.parquet, hellaswag/validation*, ARC-Easy/test-*...), a task',
    '  .yaml file (lm-eval format: doc_to_text, doc_to_choice, doc_to_target, metric_list...), or a .txt /',
    '  .jsonl corpus for general-text perplexity (word/byte perplexity, bits per byte). Nothing downloads.',
    '',
    '--compare BASE TUNED runs both models on the same items (TUNED: a model folder, or an adapter folder',
    'applied on BASE) and reports each task\'s change with a paired 95% confidence interval and a verdict.',
    '',
    'With CONFIG: the tasks come from --tasks or the config\'s eval_tasks, the model from base_model (or',
    '--model). Without either (or with --validation), CONFIG mode scores validation loss and perplexity',
    'on the config\'s validation split (val_set_size, split with the config\'s seed as training does).',
    '',
    '  --model DIR          the model folder (with CONFIG: instead of base_model)',
    '  --adapter DIR        a PEFT adapter folder (any method Tunelab trains) applied on the model',
    '  --tasks LIST         tasks to run (see above)',
    '  --data DIR           folder with the built-in benchmarks\' files (default ./eval_data)',
    '  --limit N            score only the first N items of each task (per subject for MMLU)',
    '  --num-fewshot K      solved examples before each question (MMLU: the first K dev items of the subject)',
    '  --max-length N       longest sequence fed to the model (default: its position limit)',
    '  --samples N          scored items kept per task in the report (default 5); CONFIG mode: generations',
    '  --format F           text (default) or json',
    '  --out FILE           also write the JSON report to FILE',
    '  --markdown FILE      also write a Markdown report to FILE',
    '  --fail-on-forgetting with --compare: exit 1 when a task got significantly worse',
    '  --validation         CONFIG: validation loss and perplexity even when the config has eval_tasks',
    '  --max-new-tokens N   CONFIG mode generation length limit (default 48)',
    '  --backend B          compute backend (default wasm)',
    '  --json               same as --format json',
    '',
    'Exit codes: 0 ok, 1 significant forgetting with --fail-on-forgetting, 2 bad arguments, task, data or model.',
  ].join('\n'),
  async run(args, io) {
    const { values, positionals } = parse(args, {
      model: { type: 'string' },
      adapter: { type: 'string' },
      tasks: { type: 'string' },
      data: { type: 'string' },
      limit: { type: 'string' },
      'num-fewshot': { type: 'string' },
      'max-length': { type: 'string' },
      samples: { type: 'string' },
      format: { type: 'string' },
      out: { type: 'string' },
      markdown: { type: 'string' },
      compare: { type: 'boolean', default: false },
      'fail-on-forgetting': { type: 'boolean', default: false },
      validation: { type: 'boolean', default: false },
      'max-new-tokens': { type: 'string' },
      backend: { type: 'string' },
      json: { type: 'boolean', default: false },
    });
    const backend = values.backend ?? 'wasm';
    if (!(BACKENDS as readonly string[]).includes(backend)) throw new UsageError(`--backend must be one of ${BACKENDS.join(', ')}, got '${backend}'`);
    const format = values.json ? 'json' : formatOption(values.format, ['text', 'json'] as const, 'text');
    const common = {
      cwd: io.cwd,
      backend: backend as BackendChoice,
      ...(values.data !== undefined ? { dataDir: values.data } : {}),
      ...optional('limit', numberOption('limit', values.limit, { integer: true, min: 1 })),
      ...optional('numFewshot', numberOption('num-fewshot', values['num-fewshot'], { integer: true, min: 0 })),
      ...optional('maxLen', numberOption('max-length', values['max-length'], { integer: true, min: 2 })),
      ...optional('samples', numberOption('samples', values.samples, { integer: true, min: 0 })),
      onProgress: progress(io),
    };
    const cliTasks = values.tasks !== undefined ? splitTasks(values.tasks) : null;
    // Checked before any scoring: a CI gate that silently never fails, or a report that cannot be
    // written after minutes of compute, are worse than an immediate usage error.
    if (values['fail-on-forgetting'] && !values.compare) throw new UsageError('--fail-on-forgetting needs --compare BASE TUNED (a single model has nothing to forget against)');
    checkOutputPath(io, 'out', values.out);
    checkOutputPath(io, 'markdown', values.markdown);

    if (values.compare) {
      if (positionals.length !== 2) throw new UsageError('--compare needs BASE and TUNED (model folders; TUNED may be an adapter folder)');
      if (!cliTasks) throw new UsageError('--compare needs --tasks');
      const result = await runCompare({ ...common, base: positionals[0]!, tuned: positionals[1]!, tasks: cliTasks });
      if (!result.ok) return fail(result.problems, io);
      const f = result.value;
      writeOutputs(io, values.out, values.markdown, JSON.stringify(f, null, 2) + '\n', () => renderForgettingMarkdown(f));
      io.out(format === 'json' ? JSON.stringify(f) + '\n' : renderForgettingText(f));
      return values['fail-on-forgetting'] && f.forgetting ? 1 : 0;
    }

    let tasks: (string | EvalTaskSpec)[] | null = cliTasks;
    let model = values.model;
    if (positionals.length === 1) {
      const fromConfig = readConfig(resolve(io.cwd, positionals[0]!), io.cwd);
      if (!tasks && fromConfig.tasks && !values.validation) tasks = fromConfig.tasks;
      if (!tasks || values.validation) return legacyEval(positionals[0]!, values, backend as BackendChoice, format, io);
      model ??= fromConfig.baseModel;
    } else if (positionals.length > 1) throw new UsageError('expected at most one CONFIG path');
    if (!tasks) throw new UsageError('nothing to run: give --tasks (or a CONFIG)');
    if (!model) throw new UsageError('--model is required (or a CONFIG with base_model)');
    const result = await runEvalTasks({ ...common, model, ...(values.adapter ? { adapter: values.adapter } : {}), tasks });
    if (!result.ok) return fail(result.problems, io);
    const report = result.value.report;
    writeOutputs(io, values.out, values.markdown, JSON.stringify(report, null, 2) + '\n', () => renderReportMarkdown(report));
    io.out(format === 'json' ? JSON.stringify(report) + '\n' : renderReportText(report));
    return 0;
  },
};

function optional<K extends string>(key: K, v: number | undefined): { [P in K]?: number } {
  return (v === undefined ? {} : { [key]: v }) as { [P in K]?: number };
}

function splitTasks(list: string): string[] {
  const tasks = list.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  if (tasks.length === 0) throw new UsageError('--tasks is empty');
  return tasks;
}

/** base_model and eval_tasks of a config (paths resolved with the one path rule). */
function readConfig(path: string, cwd: string): { baseModel?: string; tasks?: EvalTaskSpec[] } {
  let config: unknown;
  try {
    config = parseYaml(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new UsageError(`cannot read ${path}: ${(e as Error).message.split('\n')[0]}`);
  }
  if (typeof config !== 'object' || config === null || Array.isArray(config)) throw new UsageError(`${path} is not a config (a YAML mapping)`);
  const c = config as Record<string, unknown>;
  const bases = { configDir: dirname(path), cwd };
  const out: { baseModel?: string; tasks?: EvalTaskSpec[] } = {};
  if (typeof c.base_model === 'string') out.baseModel = resolveLocalPath(c.base_model, bases).path;
  const t = configEvalTasks(c, (p) => resolveLocalPath(p, bases).path);
  if (t) out.tasks = t.tasks;
  return out;
}

function checkOutputPath(io: CliIo, flag: string, path: string | undefined): void {
  if (path === undefined) return;
  const full = resolve(io.cwd, path);
  if (existsSync(full) && statSync(full).isDirectory()) throw new UsageError(`--${flag} ${path} is a folder; give a file name (e.g. ${join(path, flag === 'out' ? 'report.json' : 'report.md')})`);
}

function writeOutputs(io: CliIo, out: string | undefined, markdown: string | undefined, json: string, md: () => string): void {
  try {
    if (out) writeFileAtomic(resolve(io.cwd, out), json, { mkdir: true });
    if (markdown) writeFileAtomic(resolve(io.cwd, markdown), md(), { mkdir: true });
  } catch (e) {
    throw new UsageError(`cannot write the report: ${(e as Error).message}`);
  }
}

function fail(problems: EvalProblem[], io: CliIo): number {
  for (const p of problems) io.err(`tunelab eval: ${formatProblem(p)}\n`);
  return 2;
}

/** Progress on stderr, at most one line per task per 10%, so logs stay short. */
function progress(io: CliIo): (task: string, done: number, total: number) => void {
  const shown = new Map<string, number>();
  return (task, done, total) => {
    const decile = Math.floor((done / Math.max(1, total)) * 10);
    if ((shown.get(task) ?? -1) >= decile) return;
    shown.set(task, decile);
    if (io.isTty || done === total) io.err(`${task}: ${done}/${total}\n`);
  };
}

async function legacyEval(config: string, values: Record<string, string | boolean | undefined>, backend: BackendChoice, format: 'text' | 'json', io: CliIo): Promise<number> {
  const result = await runEval({
    configPath: config,
    cwd: io.cwd,
    model: values.model as string | undefined,
    adapter: values.adapter as string | undefined,
    backend,
    samples: numberOption('samples', values.samples as string | undefined, { integer: true, min: 0 }),
    maxNewTokens: numberOption('max-new-tokens', values['max-new-tokens'] as string | undefined, { integer: true, min: 1 }),
  });
  if (!result.ok) {
    for (const p of result.problems) {
      const where = p.location ? `${p.location.path}:${p.location.range.start.line + 1}:${p.location.range.start.character + 1}: ` : '';
      io.err(`tunelab eval: ${where}${p.code}: ${p.message}\n`);
    }
    return 2;
  }
  if (format === 'json') io.out(JSON.stringify(result.report) + '\n');
  else printReport(result.report, io);
  return 0;
}

function printReport(r: EvalReport, io: CliIo): void {
  io.out(`model: ${r.model}${r.adapter ? ` + adapter ${r.adapter}` : ''} (${r.backend})\n`);
  io.out(`${r.split} split: ${r.records} records, ${r.tokens} trained tokens\n`);
  io.out(`loss ${r.eval_loss.toFixed(4)}  perplexity ${r.perplexity.toFixed(2)}\n`);
  if (r.generation_metrics) {
    const parts = Object.entries(r.generation_metrics).map(([k, m]) => `${k} ${(m.value * 100).toFixed(1)}${m.stderr === null ? '' : ` ±${(m.stderr * 100).toFixed(1)}`}`);
    io.out(`generations (${r.samples.length}): ${parts.join('  ')}\n`);
  }
  r.samples.forEach((s, i) => {
    io.out(`\n[${i + 1}] ${s.prompt.replace(/\n/g, ' / ')}\n    reference: ${s.reference}\n    generated: ${s.generated}\n`);
  });
}
