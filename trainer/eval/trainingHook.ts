/**
 * `eval_tasks` during training: the tasks are resolved and read before the first step (a bad
 * task refuses the run like any config problem); after every `eval_tasks_every`-th evaluation and
 * once at the end they are scored on the live model (adapter attached, no dropout). The base
 * model is scored once, from a fresh load of the base folder, so each result carries its change
 * against the base; the final result is `<output_dir>/eval_report.json`, a ForgettingReport.
 */
import { join } from 'node:path';
import { forgettingReport, type ItemScores } from '../../common/eval/compare';
import { configEvalTasks } from '../../common/eval/configTasks';
import type { EvalProblem } from '../../common/eval/problems';
import { EVAL_REPORT_VERSION, type EvalReport, type ForgettingReport } from '../../common/eval/report';
import type { BenchmarkEvent } from '../../common/protocol/events';
import { resolveLocalPath } from '../../common/paths';
import { writeFileAtomic } from '../../common/fsAtomic';
import { loadModel } from '../io/index';
import type { CausalLM } from '../model/index';
import { evalTokenizer, prepareTasks, type ScoredReport } from './evalTasks';
import { runTask, type EvalTokenizer, type LoadedTask } from './runTasks';

type BenchmarkPayload = Omit<BenchmarkEvent, 'v' | 'time' | 'run_id' | 'type'>;

export class TrainingBenchmarks {
  private baseline: ScoredReport | null = null;
  private evals = 0;
  /** The last periodic result: the final one reuses it when no step was trained since. */
  private last: { step: number; report: ForgettingReport } | null = null;

  private constructor(
    private readonly tasks: LoadedTask[],
    private readonly tok: EvalTokenizer,
    private readonly modelDir: string,
    private readonly every: number | null,
    private readonly backend: string,
  ) {}

  /** Null when the config has no eval_tasks; problems when a task cannot be read. */
  static async prepare(config: Record<string, unknown>, where: { configDir: string; cwd: string; modelDir: string; backend: string }): Promise<TrainingBenchmarks | null | { problems: EvalProblem[] }> {
    const bases = { configDir: where.configDir, cwd: where.cwd };
    const spec = configEvalTasks(config, (p) => resolveLocalPath(p, bases).path);
    if (!spec) return null;
    const prepared = await prepareTasks(spec.tasks, where.cwd, resolveLocalPath('eval_data', bases).path, undefined);
    if (!prepared.ok) return { problems: prepared.problems };
    try {
      const tok = await evalTokenizer(where.modelDir);
      return new TrainingBenchmarks(prepared.value, tok, where.modelDir, spec.every, where.backend);
    } catch (e) {
      return { problems: [{ code: 'eval-args-invalid', message: (e as Error).message }] };
    }
  }

  /** Call after each evaluation; scores the tasks every `eval_tasks_every` evaluations. */
  afterEval(step: number, model: CausalLM): BenchmarkPayload | null {
    this.evals++;
    if (this.every === null || this.evals % this.every !== 0) return null;
    const f = this.compare(model);
    this.last = { step, report: f };
    return payload(step, f, null, false);
  }

  /** Scores the trained model, writes `<outputDir>/eval_report.json` and returns the final event. */
  atEnd(step: number, model: CausalLM, outputDir: string, tunedLabel: { model: string; adapter: string | null }): BenchmarkPayload {
    const f = this.last?.step === step ? { ...this.last.report, tuned: { ...this.last.report.tuned, ...tunedLabel } } : this.compare(model, tunedLabel);
    const path = join(outputDir, 'eval_report.json');
    writeFileAtomic(path, JSON.stringify(f, null, 2) + '\n', { mkdir: true });
    return payload(step, f, path, true);
  }

  private score(model: CausalLM, label: { model: string; adapter: string | null }): ScoredReport {
    const started = Date.now();
    const results = [];
    const items: ItemScores[] = [];
    for (const t of this.tasks) {
      const r = runTask(model, this.tok, t, {});
      results.push(r.result);
      items.push(r.items);
    }
    const report: EvalReport = { v: EVAL_REPORT_VERSION, model: label.model, adapter: label.adapter, tasks: results, created: new Date().toISOString(), backend: this.backend, limit: null, elapsed: (Date.now() - started) / 1000 };
    return { report, items };
  }

  private compare(model: CausalLM, tunedLabel: { model: string; adapter: string | null } = { model: '(training)', adapter: null }): ForgettingReport {
    if (!this.baseline) {
      const base = loadModel(this.modelDir);
      try {
        this.baseline = this.score(base, { model: this.modelDir, adapter: null });
      } finally {
        base.dispose();
      }
    }
    const tuned = this.score(model, tunedLabel);
    return forgettingReport(this.baseline.report, tuned.report, this.baseline.items, tuned.items, new Date().toISOString());
  }
}

function payload(step: number, f: ForgettingReport, report: string | null, final: boolean): BenchmarkPayload {
  const tasks = f.tuned.tasks.map((t) => {
    const d = f.deltas.find((x) => x.task === t.task);
    const m = t.metrics[t.primary_metric]!;
    return { task: t.task, metric: t.primary_metric, value: m.value, stderr: m.stderr, base: d?.base ?? null, delta: d?.delta ?? null, ci95: d?.ci95 ?? null, significant: d ? d.significant : null };
  });
  return { step, final, report, tasks, verdict: f.verdict, forgetting: f.forgetting };
}
