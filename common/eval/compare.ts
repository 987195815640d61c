/**
 * The forgetting report: per task, the change of its primary metric from the base to the tuned
 * model with a 95% confidence interval. When both models scored the same items the interval is
 * paired (the standard error of the per-item difference, far tighter than two independent
 * errors); otherwise it combines the two standard errors. Metrics that are ratios of sums
 * (bits per byte: Σ nll / Σ bytes) use the linearised (delta-method) error of a ratio, which
 * reduces to the plain stderr of the mean when every denominator is 1.
 */
import { EVAL_REPORT_VERSION, type EvalReport, type ForgettingReport, type MetricDelta } from './report';

/** Per-item values of a task's primary metric: the metric is Σ num / Σ den (den = 1 for means). */
export interface ItemScores {
  task: string;
  metric: string;
  higherIsBetter: boolean;
  ids: string[];
  num: number[];
  den: number[];
}

/** z for a two-sided 95% interval. */
export const Z95 = 1.959963984540054;

/** Metrics reported in points (x100): proportions in [0, 1]. */
export function isProportion(metric: string): boolean {
  return /^(acc|acc_norm|acc_bytes|exact_match|normalized_match|contains|rougeL)$/.test(metric);
}

function ratio(num: readonly number[], den: readonly number[]): number {
  let a = 0;
  let b = 0;
  for (let i = 0; i < num.length; i++) {
    a += num[i]!;
    b += den[i]!;
  }
  return a / b;
}

/** Linearised stderr of Σ x / Σ den (the sample stderr of the mean when den ≡ 1); null below 2 items. */
export function ratioStderr(x: readonly number[], den: readonly number[]): number | null {
  const n = x.length;
  if (n < 2) return null;
  const r = ratio(x, den);
  let ss = 0;
  let d = 0;
  for (let i = 0; i < n; i++) {
    ss += (x[i]! - r * den[i]!) ** 2;
    d += den[i]!;
  }
  return Math.sqrt((n / (n - 1)) * ss) / d;
}

/** The delta of one task between two models, paired when the items match one for one. */
export function taskDelta(base: ItemScores, tuned: ItemScores): MetricDelta {
  const b = ratio(base.num, base.den);
  const t = ratio(tuned.num, tuned.den);
  const delta = t - b;
  let se: number | null;
  let paired = false;
  const index = new Map(base.ids.map((id, i) => [id, i]));
  const sameItems = base.ids.length === tuned.ids.length && index.size === base.ids.length && tuned.ids.every((id) => index.has(id));
  if (sameItems && tuned.ids.every((id, j) => base.den[index.get(id)!] === tuned.den[j])) {
    paired = true;
    const diff = tuned.ids.map((id, j) => tuned.num[j]! - base.num[index.get(id)!]!);
    se = ratioStderr(diff, tuned.den);
  } else {
    const sb = ratioStderr(base.num, base.den);
    const st = ratioStderr(tuned.num, tuned.den);
    se = sb === null || st === null ? null : Math.sqrt(sb * sb + st * st);
  }
  const ci95: [number, number] | null = se === null ? null : [delta - Z95 * se, delta + Z95 * se];
  const significant = ci95 !== null && (ci95[0] > 0 || ci95[1] < 0);
  const worse = significant && (tuned.higherIsBetter ? delta < 0 : delta > 0);
  return { task: tuned.task, metric: tuned.metric, base: b, tuned: t, delta, ci95, paired, significant, higher_is_better: tuned.higherIsBetter, worse };
}

/** "+12.4 pts" for proportions, "+0.021 bits_per_byte" for the rest. */
export function formatDelta(d: Pick<MetricDelta, 'metric' | 'delta'>): string {
  const sign = d.delta > 0 ? '+' : d.delta < 0 ? '-' : '±';
  const mag = Math.abs(d.delta);
  return isProportion(d.metric) ? `${sign}${(mag * 100).toFixed(1)} pts` : `${sign}${mag.toFixed(3)} ${d.metric}`;
}

/** The one-line verdict: every task's delta, then whether any is significantly worse. */
export function verdictOf(deltas: readonly MetricDelta[]): string {
  if (deltas.length === 0) return 'no tasks in common';
  const parts = deltas.map((d) => `${d.task} ${formatDelta(d)}${d.significant ? '' : ' (n.s.)'}`);
  const worse = deltas.filter((d) => d.worse).map((d) => d.task);
  const tail = worse.length > 0 ? `significant forgetting (${worse.join(', ')})` : deltas.some((d) => d.ci95 !== null) ? 'no significant forgetting' : 'no stderr: too few items to judge';
  return `${parts.join('; ')}: ${tail}`;
}

/** Builds the forgetting report from both reports and their per-item scores (tasks in the tuned report's order). */
export function forgettingReport(base: EvalReport, tuned: EvalReport, baseItems: readonly ItemScores[], tunedItems: readonly ItemScores[], created: string): ForgettingReport {
  const byTask = new Map(baseItems.map((s) => [s.task, s]));
  const deltas: MetricDelta[] = [];
  for (const t of tunedItems) {
    const b = byTask.get(t.task);
    if (b && b.metric === t.metric) deltas.push(taskDelta(b, t));
  }
  return { v: EVAL_REPORT_VERSION, kind: 'forgetting', base, tuned, deltas, verdict: verdictOf(deltas), forgetting: deltas.some((d) => d.worse), created };
}
