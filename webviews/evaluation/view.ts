/**
 * What the eval-results panel draws, computed from a report without the DOM so it can be tested:
 * one row per task (its primary metric on each model, the change and its 95% interval), the
 * geometry of the bar chart (accuracy-like metrics only, on a 0–100 points axis, with 95% error
 * bars), and the generations of both models side by side. main.ts turns this into elements.
 */
import { isForgettingReport, type AnyEvalReport, type EvalReport, type EvalSample, type EvalTaskResult, type MetricValue } from '../../common/eval/report';

/** One model of the report. */
export interface ModelInfo {
  /** `base` / `tuned` for a comparison, `model` for a single report. */
  role: 'base' | 'tuned' | 'model';
  model: string;
  adapter: string | null;
}

export interface TaskRow {
  task: string;
  metric: string;
  kind: EvalTaskResult['kind'];
  n: number;
  numFewshot: number;
  /** Shown as points (×100): a fraction metric where higher is better (acc, exact match, ROUGE-L). */
  points: boolean;
  higherIsBetter: boolean;
  /** The metric on each model, in `models` order; null where a model lacks the task. */
  values: (MetricValue | null)[];
  /** tuned − base (comparisons only). */
  delta: number | null;
  ci95: [number, number] | null;
  significant: boolean;
  /** Significant and in the bad direction. */
  worse: boolean;
}

export interface SamplePair {
  id: string;
  prompt: string;
  target: string;
  /** Per model, in `models` order. */
  outputs: ({ output: string | null; correct: boolean | null } | null)[];
}

export interface Bar {
  x: number;
  y: number;
  width: number;
  height: number;
  /** Index into `models`. */
  model: number;
  /** The 95% interval in pixels (top, bottom), or null without a standard error. */
  err: [number, number] | null;
  label: string;
}

export interface BarGroup {
  task: string;
  /** Centre of the group, for its label. */
  x: number;
  bars: Bar[];
  /** "+12.4" (points), shown above the group of a comparison. */
  delta: string | null;
  worse: boolean;
  significant: boolean;
}

export interface BarChart {
  width: number;
  height: number;
  /** Plot area. */
  left: number;
  top: number;
  bottom: number;
  yTicks: { at: number; label: string }[];
  groups: BarGroup[];
}

export interface EvalView {
  models: ModelInfo[];
  verdict: string | null;
  forgetting: boolean;
  rows: TaskRow[];
  chart: BarChart | null;
  /** Task name → its samples (only tasks that kept some). */
  samples: Map<string, SamplePair[]>;
  created: string;
}

/** 95% normal interval, as the report's own intervals. */
const Z95 = 1.96;

const r1 = (x: number) => Math.round(x * 10) / 10;

/** A metric value for people: points with one decimal, else four significant digits. */
export function formatValue(v: number, points: boolean): string {
  return points ? (v * 100).toFixed(1) : Number(v.toPrecision(4)).toString();
}

/** A change with its sign: "+12.4 pts", "-0.031". */
export function formatDelta(d: number, points: boolean): string {
  const sign = d > 0 ? '+' : d < 0 ? '−' : '±';
  return `${sign}${formatValue(Math.abs(d), points)}${points ? ' pts' : ''}`;
}

/** "61.2 ± 2.1" (the ± is the standard error, as lm-eval prints it). */
export function formatMetric(m: MetricValue | null, points: boolean): string {
  if (!m) return '—';
  return m.stderr === null ? formatValue(m.value, points) : `${formatValue(m.value, points)} ± ${formatValue(m.stderr, points)}`;
}

function modelInfo(r: EvalReport, role: ModelInfo['role']): ModelInfo {
  return { role, model: r.model, adapter: r.adapter ?? null };
}

function metricOf(r: EvalReport, task: string, metric: string): MetricValue | null {
  return r.tasks.find((t) => t.task === task)?.metrics[metric] ?? null;
}

function isPoints(metric: string, higherIsBetter: boolean, values: (MetricValue | null)[]): boolean {
  return higherIsBetter && !/perplexity|bits_per_byte|byte_perplexity|word_perplexity|loss/.test(metric) && values.every((v) => v === null || (v.value >= 0 && v.value <= 1));
}

/** The panel's model of a report. */
export function evalView(report: AnyEvalReport): EvalView {
  const reports: EvalReport[] = isForgettingReport(report) ? [report.base, report.tuned] : [report];
  const models = isForgettingReport(report) ? [modelInfo(report.base, 'base'), modelInfo(report.tuned, 'tuned')] : [modelInfo(report, 'model')];
  // Tasks in the order the first model ran them, then any only the other has.
  const tasks: EvalTaskResult[] = [];
  for (const r of reports) for (const t of r.tasks) if (!tasks.some((x) => x.task === t.task)) tasks.push(t);
  const rows: TaskRow[] = tasks.map((t) => {
    const metric = t.primary_metric;
    const values = reports.map((r) => metricOf(r, t.task, metric));
    const higherIsBetter = t.higher_is_better?.[metric] ?? true;
    const d = isForgettingReport(report) ? report.deltas.find((x) => x.task === t.task && x.metric === metric) : undefined;
    return {
      task: t.task,
      metric,
      kind: t.kind,
      n: t.n,
      numFewshot: t.num_fewshot ?? 0,
      points: isPoints(metric, higherIsBetter, values),
      higherIsBetter,
      values,
      delta: d?.delta ?? null,
      ci95: d?.ci95 ?? null,
      significant: d?.significant ?? false,
      worse: d?.worse ?? false,
    };
  });
  const samples = new Map<string, SamplePair[]>();
  for (const t of tasks) {
    const per = reports.map((r) => r.tasks.find((x) => x.task === t.task)?.samples ?? []);
    const order: EvalSample[] = [];
    for (const list of per) for (const s of list) if (!order.some((o) => o.id === s.id)) order.push(s);
    if (order.length === 0) continue;
    samples.set(
      t.task,
      order.map((s) => ({
        id: s.id,
        prompt: s.prompt,
        target: s.target,
        outputs: per.map((list) => {
          const m = list.find((x) => x.id === s.id);
          return m ? { output: m.output ?? null, correct: m.correct ?? null } : null;
        }),
      })),
    );
  }
  return {
    models,
    verdict: isForgettingReport(report) ? report.verdict : null,
    forgetting: isForgettingReport(report) ? report.forgetting : false,
    rows,
    chart: barChart(rows, models.length),
    samples,
    created: report.created,
  };
}

/** Grouped bars for the point-scaled rows (0–100 axis), or null when there are none. */
export function barChart(rows: TaskRow[], modelCount: number, opts = { height: 240, left: 40, top: 22, bottom: 56, barWidth: 22, gap: 4, groupGap: 28 }): BarChart | null {
  const shown = rows.filter((r) => r.points && r.values.some((v) => v !== null));
  if (shown.length === 0) return null;
  const groupWidth = modelCount * opts.barWidth + (modelCount - 1) * opts.gap;
  const width = opts.left + shown.length * (groupWidth + opts.groupGap) + opts.groupGap;
  const plotH = opts.height - opts.top - opts.bottom;
  const py = (points: number) => r1(opts.top + plotH - (Math.min(100, Math.max(0, points)) / 100) * plotH);
  const groups = shown.map((row, g) => {
    const x0 = opts.left + opts.groupGap + g * (groupWidth + opts.groupGap);
    const bars: Bar[] = [];
    row.values.forEach((v, m) => {
      if (!v) return;
      const top = py(v.value * 100);
      bars.push({
        x: r1(x0 + m * (opts.barWidth + opts.gap)),
        y: top,
        width: opts.barWidth,
        height: r1(opts.top + plotH - top),
        model: m,
        err: v.stderr === null ? null : [py((v.value + Z95 * v.stderr) * 100), py((v.value - Z95 * v.stderr) * 100)],
        label: formatValue(v.value, true),
      });
    });
    return { task: row.task, x: r1(x0 + groupWidth / 2), bars, delta: row.delta === null ? null : formatDelta(row.delta, true).replace(' pts', ''), worse: row.worse, significant: row.significant };
  });
  const yTicks = [0, 25, 50, 75, 100].map((p) => ({ at: py(p), label: String(p) }));
  return { width: r1(width), height: opts.height, left: opts.left, top: opts.top, bottom: opts.bottom, yTicks, groups };
}
