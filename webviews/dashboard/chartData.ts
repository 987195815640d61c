import type { RunSummary } from '../../common/protocol/webview';
import type { DashboardState } from './reducer';
import { alignColumns, decimate, Flattener, Smoother, type RunSeries } from './series';

/** The most x positions a chart draws; more points are thinned to their min/max envelope. */
export const MAX_DRAWN = 3000;

/** The metrics with a chart each. */
export type ChartId = 'loss' | 'lr' | 'gradNorm' | 'tokensPerS';

/** One drawn line: which run (its palette slot) and how it is drawn. */
export interface LineSpec {
  label: string;
  /** Index of the run among the drawn runs: picks its colour. */
  slot: number;
  style: 'raw' | 'smooth' | 'eval' | 'plain';
}

/** What one uPlot chart draws: its lines and their data on a shared x axis (steps). */
export interface ChartModel {
  id: ChartId;
  title: string;
  log: boolean;
  lines: LineSpec[];
  /** Points of the run(s) on the x axis, before thinning for drawing. */
  points: number;
  x: number[];
  ys: (number | null)[][];
}

export const CHART_TITLES: Record<ChartId, string> = { loss: 'Loss', lr: 'Learning rate', gradNorm: 'Gradient norm', tokensPerS: 'Tokens / s' };

/** A key that changes when a chart's lines change (then it is rebuilt rather than given new data). */
export function structureKey(m: ChartModel): string {
  return `${m.id}|${m.log}|${m.lines.map((l) => `${l.slot}:${l.style}:${l.label}`).join(',')}`;
}

/** Per-run flat columns and smoothed loss kept between frames (view state, not dashboard state). */
export class ChartCache {
  private readonly flat = new Map<string, Flattener>();
  private readonly smooth = new Map<string, Smoother>();
  flatOf(id: string, s: RunSeries) {
    let f = this.flat.get(id);
    if (!f) this.flat.set(id, (f = new Flattener()));
    return f.get(s);
  }
  smoothOf(id: string, values: readonly number[], weight: number): number[] {
    let m = this.smooth.get(id);
    if (!m) this.smooth.set(id, (m = new Smoother()));
    return m.get(values, weight);
  }
}

/**
 * The four charts for the selected runs (loss: raw, smoothed and eval on one axis). Pass the same
 * cache every frame so long runs are flattened and smoothed incrementally.
 */
export function chartModels(state: DashboardState, cache: ChartCache = new ChartCache()): ChartModel[] {
  const drawn = state.selected
    .map((id) => ({ run: state.runs.find((r) => r.id === id), series: state.series[id] }))
    .filter((d): d is { run: RunSummary; series: RunSeries } => d.run !== undefined && d.series !== undefined)
    .map((d) => ({ run: d.run, evals: d.series, series: cache.flatOf(d.run.id, d.series) }));
  const name = (run: RunSummary) => (drawn.length > 1 ? `${run.label}: ` : '');

  const lossCols: { x: readonly number[]; y: readonly (number | null)[] }[] = [];
  const lossLines: LineSpec[] = [];
  drawn.forEach(({ run, series, evals }, slot) => {
    if (state.smoothing > 0) {
      lossCols.push({ x: series.step, y: series.loss });
      lossLines.push({ label: `${name(run)}train loss (raw)`, slot, style: 'raw' });
      lossCols.push({ x: series.step, y: cache.smoothOf(run.id, series.loss, state.smoothing) });
      lossLines.push({ label: `${name(run)}train loss (smoothed)`, slot, style: 'smooth' });
    } else {
      lossCols.push({ x: series.step, y: series.loss });
      lossLines.push({ label: `${name(run)}train loss`, slot, style: 'smooth' });
    }
    if (evals.evalStep.length > 0) {
      lossCols.push({ x: evals.evalStep, y: evals.evalLoss });
      lossLines.push({ label: `${name(run)}eval loss`, slot, style: 'eval' });
    }
  });
  const charts: ChartModel[] = [{ id: 'loss', title: CHART_TITLES.loss, log: state.logScale, lines: lossLines, ...aligned(lossCols) }];
  for (const id of ['lr', 'gradNorm', 'tokensPerS'] as const) {
    const cols = drawn.map(({ series }) => ({ x: series.step, y: series[id] }));
    const lines = drawn.map(({ run }, slot): LineSpec => ({ label: drawn.length > 1 ? run.label : CHART_TITLES[id], slot, style: 'plain' }));
    charts.push({ id, title: CHART_TITLES[id], log: id === 'lr' ? false : state.logScale && id === 'gradNorm', lines, ...aligned(cols) });
  }
  return charts;
}

/**
 * Puts a chart's columns on one x axis, thinned for drawing. Columns that share an x array (a
 * run's raw and smoothed loss) are thinned together first, then the few remaining points of all
 * groups (other runs, eval points) are merged: the per-frame cost stays linear in the run's
 * length with no merge over 100,000 steps.
 */
function aligned(cols: { x: readonly number[]; y: readonly (number | null)[] }[]): { points: number; x: number[]; ys: (number | null)[][] } {
  if (cols.length === 0) return { points: 0, x: [], ys: [] };
  const groups = new Map<readonly number[], number[]>();
  cols.forEach((c, i) => groups.set(c.x, [...(groups.get(c.x) ?? []), i]));
  const budget = Math.max(2, Math.floor(MAX_DRAWN / groups.size));
  const thinned: { x: readonly number[]; y: readonly (number | null)[] }[] = new Array(cols.length);
  let points = 0;
  for (const [x, members] of groups) {
    points = Math.max(points, x.length);
    const d = decimate(x, members.map((i) => cols[i]!.y), budget);
    members.forEach((i, k) => (thinned[i] = { x: d.x, y: d.ys[k]! }));
  }
  const a = alignColumns(thinned);
  return { points, x: [...a.x], ys: a.ys.map((y) => [...y]) };
}
