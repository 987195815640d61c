/**
 * Geometry of the cost plot, computed without the DOM so it can be tested: monthly cost (log) over
 * queries per month (log), one line per option, and markers at the user's volume and the
 * break-even. main.ts turns the model into SVG elements.
 */
import type { CostCurve } from '../../common/estimate/plan';

export interface ChartSize {
  width: number;
  height: number;
  left: number;
  right: number;
  top: number;
  bottom: number;
}

export const DEFAULT_SIZE: ChartSize = { width: 560, height: 300, left: 64, right: 16, top: 12, bottom: 40 };

export interface Tick {
  at: number;
  label: string;
}

export interface ChartModel {
  size: ChartSize;
  xTicks: Tick[];
  yTicks: Tick[];
  /** SVG path data (`M x y L x y …`), coordinates rounded to 0.1 px. */
  prompt: string;
  fineTune: string;
  markers: { x: number; label: string; kind: 'volume' | 'break-even' }[];
}

/** `1`, `10`, `1k`, `10k`, `1M`, `1B`. */
export function shortCount(n: number): string {
  if (n >= 1e9) return `${trim(n / 1e9)}B`;
  if (n >= 1e6) return `${trim(n / 1e6)}M`;
  if (n >= 1e3) return `${trim(n / 1e3)}k`;
  return trim(n);
}

/** `$0.01`, `$1`, `$10k`. */
export function shortUsd(n: number): string {
  return n < 1 ? `$${Number(n.toPrecision(2))}` : `$${shortCount(n)}`;
}

function trim(x: number): string {
  return String(Math.round(x * 100) / 100);
}

const r1 = (x: number) => Math.round(x * 10) / 10;

/**
 * The chart for a curve, or null when there is nothing to plot on log axes (no positive costs).
 * Zero costs (free prompting at zero prices) are drawn at the bottom edge.
 */
export function chartModel(curve: CostCurve, volume: number, breakEven: number | null, size: ChartSize = DEFAULT_SIZE): ChartModel | null {
  const xs = curve.queries.filter((q) => q > 0);
  const ys = [...curve.prompt, ...curve.fineTune].filter((y) => y > 0 && Number.isFinite(y));
  if (xs.length < 2 || ys.length === 0) return null;
  const x0 = Math.log10(Math.min(...xs));
  const x1 = Math.log10(Math.max(...xs));
  const y0 = Math.floor(Math.log10(Math.min(...ys)));
  const y1 = Math.max(y0 + 1, Math.ceil(Math.log10(Math.max(...ys))));
  const w = size.width - size.left - size.right;
  const h = size.height - size.top - size.bottom;
  const px = (q: number) => size.left + ((Math.log10(q) - x0) / (x1 - x0)) * w;
  const py = (c: number) => (c <= 0 ? size.top + h : size.top + h - ((Math.log10(c) - y0) / (y1 - y0)) * h);
  const path = (ys: number[]) =>
    curve.queries
      .map((q, k) => (q > 0 ? `${k === 0 ? 'M' : 'L'}${r1(px(q))} ${r1(py(ys[k]!))}` : ''))
      .filter(Boolean)
      .join(' ')
      .replace(/^L/, 'M');
  const xTicks: Tick[] = [];
  for (let d = Math.ceil(x0); d <= Math.floor(x1); d++) xTicks.push({ at: r1(px(10 ** d)), label: shortCount(10 ** d) });
  const yTicks: Tick[] = [];
  const step = Math.max(1, Math.ceil((y1 - y0) / 6));
  for (let d = y0; d <= y1; d += step) yTicks.push({ at: r1(py(10 ** d)), label: shortUsd(10 ** d) });
  const inRange = (q: number) => q > 0 && Math.log10(q) >= x0 && Math.log10(q) <= x1;
  const markers: ChartModel['markers'] = [];
  if (inRange(volume)) markers.push({ x: r1(px(volume)), label: `your volume: ${shortCount(volume)}/month`, kind: 'volume' });
  if (breakEven !== null && inRange(breakEven)) markers.push({ x: r1(px(breakEven)), label: `break-even: ${shortCount(breakEven)}/month`, kind: 'break-even' });
  return { size, xTicks, yTicks, prompt: path(curve.prompt), fineTune: path(curve.fineTune), markers };
}
