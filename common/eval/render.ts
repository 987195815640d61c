/**
 * Text and Markdown renderings of eval reports (lm-eval's results table: task, n-shot, metric,
 * value ± stderr), and of the forgetting report (per task base → tuned, delta and its 95% CI).
 * Proportions are shown in points (x100), other metrics as they are.
 */
import { formatDelta, isProportion } from './compare';
import type { EvalReport, ForgettingReport, MetricDelta, MetricValue } from './report';

function fmt(metric: string, v: number): string {
  if (!Number.isFinite(v)) return String(v);
  return isProportion(metric) ? (v * 100).toFixed(1) : Math.abs(v) >= 1e6 ? v.toExponential(3) : v.toFixed(4);
}

function fmtValue(metric: string, m: MetricValue): [string, string] {
  return [fmt(metric, m.value), m.stderr === null ? '' : fmt(metric, m.stderr)];
}

/** Rows of the results table: task, n, shots, metric, value, stderr (subtasks indented). */
export function reportRows(r: EvalReport): string[][] {
  const rows: string[][] = [];
  for (const t of r.tasks) {
    for (const [name, m] of Object.entries(t.metrics)) {
      const [v, se] = fmtValue(name, m);
      rows.push([t.task, String(t.n), String(t.num_fewshot), name + (name === t.primary_metric ? ' *' : ''), v, se]);
    }
    for (const s of t.subtasks ?? []) {
      for (const [name, m] of Object.entries(s.metrics)) {
        const [v, se] = fmtValue(name, m);
        rows.push([` - ${s.task}`, String(s.n), String(t.num_fewshot), name, v, se]);
      }
    }
  }
  return rows;
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i >= 4 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

function mdTable(header: string[], rows: string[][], right: number[]): string {
  const esc = (s: string): string => s.replace(/\|/g, '\\|');
  const align = header.map((_, i) => (right.includes(i) ? '---:' : '---'));
  return [`| ${header.join(' | ')} |`, `| ${align.join(' | ')} |`, ...rows.map((r) => `| ${r.map(esc).join(' | ')} |`)].join('\n');
}

const HEADER = ['task', 'n', 'shots', 'metric', 'value', 'stderr'];

function modelLine(r: EvalReport): string {
  return `${r.model}${r.adapter ? ` + adapter ${r.adapter}` : ''}${r.backend ? ` (${r.backend})` : ''}`;
}

/** The results table for a terminal. Accuracies are points; * marks each task's headline metric. */
export function renderReportText(r: EvalReport): string {
  return `model: ${modelLine(r)}\n\n${table(HEADER, reportRows(r))}\n`;
}

/** The results as Markdown. */
export function renderReportMarkdown(r: EvalReport): string {
  return `# Evaluation\n\nModel: \`${modelLine(r)}\`\n\n${mdTable(HEADER, reportRows(r), [1, 2, 4, 5])}\n`;
}

function deltaRow(d: MetricDelta): string[] {
  const ci = d.ci95 ? `[${fmtSigned(d.metric, d.ci95[0])}, ${fmtSigned(d.metric, d.ci95[1])}]` : 'n/a';
  const mark = d.worse ? 'worse' : d.significant ? 'better' : 'n.s.';
  return [d.task, d.metric, fmt(d.metric, d.base), fmt(d.metric, d.tuned), formatDelta(d), ci, d.paired ? 'paired' : 'unpaired', mark];
}

function fmtSigned(metric: string, v: number): string {
  return (v > 0 ? '+' : '') + fmt(metric, v);
}

const DELTA_HEADER = ['task', 'metric', 'base', 'tuned', 'delta', '95% CI', 'items', 'change'];

/** The forgetting report for a terminal: the verdict, then one row per task. */
export function renderForgettingText(f: ForgettingReport): string {
  const rows = f.deltas.map(deltaRow);
  return `base:  ${modelLine(f.base)}\ntuned: ${modelLine(f.tuned)}\n\n${table(DELTA_HEADER, rows)}\n\n${f.verdict}\n`;
}

/** The forgetting report as Markdown (the verdict, the deltas, then both full tables). */
export function renderForgettingMarkdown(f: ForgettingReport): string {
  return [
    '# Forgetting report',
    '',
    `**${f.verdict}**`,
    '',
    `- base: \`${modelLine(f.base)}\``,
    `- tuned: \`${modelLine(f.tuned)}\``,
    '',
    mdTable(DELTA_HEADER, f.deltas.map(deltaRow), [2, 3, 4]),
    '',
    'Deltas are tuned − base; accuracies in points. The 95% interval is paired (stderr of the per-item difference) when both models scored the same items.',
    '',
    '## Base',
    '',
    mdTable(HEADER, reportRows(f.base), [1, 2, 4, 5]),
    '',
    '## Tuned',
    '',
    mdTable(HEADER, reportRows(f.tuned), [1, 2, 4, 5]),
    '',
  ].join('\n');
}
