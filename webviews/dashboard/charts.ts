import uPlot from 'uplot';
import { h } from '../shared/dom';
import { structureKey, type ChartModel, type LineSpec } from './chartData';

const PALETTE_VARS = ['--vscode-charts-blue', '--vscode-charts-orange', '--vscode-charts-green', '--vscode-charts-purple', '--vscode-charts-red', '--vscode-charts-yellow'];
const FALLBACK = ['#3794ff', '#d18616', '#89d185', '#b180d7', '#f14c4c', '#cca700'];

function themeVar(name: string, fallback: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || fallback;
}

function palette(slot: number): string {
  const i = slot % PALETTE_VARS.length;
  return themeVar(PALETTE_VARS[i]!, FALLBACK[i]!);
}

function seriesOf(line: LineSpec): uPlot.Series {
  const stroke = palette(line.slot);
  const base: uPlot.Series = { label: line.label, stroke, width: 1.5, spanGaps: false, points: { show: false } };
  switch (line.style) {
    case 'raw':
      return { ...base, alpha: 0.3, width: 1 };
    case 'eval':
      return { ...base, dash: [6, 4], spanGaps: true, width: 2, points: { show: true, size: 6, fill: stroke } };
    default:
      return base;
  }
}

const STEP_INCREMENTS = Array.from({ length: 10 }, (_, i) => [1, 2, 5].map((m) => m * 10 ** i)).flat();

const fmt = (v: number | null) => (v === null ? '' : Math.abs(v) > 0 && (Math.abs(v) < 1e-3 || Math.abs(v) >= 1e5) ? v.toExponential(2) : String(+v.toPrecision(4)));

/** One uPlot chart, rebuilt when its lines change and given new data otherwise. */
class Chart {
  private plot: uPlot | undefined;
  private key = '';
  readonly el: HTMLElement;
  private readonly body: HTMLElement;
  private readonly empty: HTMLElement;

  constructor(readonly id: string, title: string) {
    this.body = h('div', { class: 'chart-body' });
    this.empty = h('div', { class: 'chart-empty muted' }, 'no points yet');
    this.el = h('section', { class: 'chart', dataset: { chart: id } }, h('h3', null, title), this.body, this.empty);
  }

  update(m: ChartModel, width: number): void {
    const hasData = m.x.length > 0 && m.lines.length > 0;
    this.empty.hidden = hasData;
    this.el.dataset.points = String(m.points);
    const data = [m.x, ...m.ys] as uPlot.AlignedData;
    const key = structureKey(m);
    if (this.plot && key === this.key) {
      this.plot.setData(data);
      return;
    }
    this.plot?.destroy();
    this.key = key;
    const fg = themeVar('--vscode-foreground', '#ccc');
    const grid = themeVar('--vscode-editorWidget-border', 'rgba(128,128,128,0.25)');
    const axis = { stroke: fg, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 } };
    this.plot = new uPlot(
      {
        width: Math.max(240, width),
        height: 220,
        scales: { x: { time: false }, y: m.log ? { distr: 3, log: 10 } : { auto: true } },
        series: [{ label: 'step', value: (_u, v) => (v === null ? '' : String(v)) }, ...m.lines.map((l) => ({ ...seriesOf(l), value: (_u: uPlot, v: number | null) => fmt(v) }))],
        // Steps are whole numbers: no 1.5 ticks on a short run.
        axes: [{ ...axis, label: 'step', incrs: STEP_INCREMENTS }, { ...axis, size: 60, values: (_u, vals) => vals.map((v) => fmt(v)) }],
        legend: { show: true, live: true },
        cursor: { drag: { x: true, y: false } },
      },
      data,
      this.body,
    );
  }

  resize(width: number): void {
    this.plot?.setSize({ width: Math.max(240, width), height: 220 });
  }
}

/** The dashboard's charts, in a grid of two columns (one when narrow); each chart follows its cell's width. */
export class ChartSet {
  readonly el = h('div', { class: 'charts' });
  private readonly charts = new Map<string, Chart>();
  private readonly observer = new ResizeObserver((entries) => {
    for (const e of entries) {
      const chart = this.charts.get((e.target as HTMLElement).dataset.chart ?? '');
      chart?.resize(Math.floor(e.contentRect.width));
    }
  });

  update(models: ChartModel[]): void {
    for (const m of models) {
      let c = this.charts.get(m.id);
      if (!c) {
        c = new Chart(m.id, m.title);
        this.charts.set(m.id, c);
        this.el.appendChild(c.el);
        this.observer.observe(c.el);
      }
      c.update(m, Math.floor(c.el.clientWidth || 400));
    }
  }
}
