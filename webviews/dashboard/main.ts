import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import uplotCss from 'uplot/dist/uPlot.min.css';
import { parseHostToDashboard, type DashboardToHost, type HostToDashboard, type RunSummary } from '../../common/protocol/webview';
import { baseCss } from '../shared/base.css';
import { adoptCss, h, replace } from '../shared/dom';
import { Messenger } from '../shared/messenger';
import { ChartCache, chartModels } from './chartData';
import { ChartSet } from './charts';
import { configDiff } from './configDiff';
import { initialState, reduce, saved, type DashboardAction, type DashboardSaved, type DashboardState } from './reducer';

adoptCss(uplotCss);
adoptCss(`${baseCss}
.charts { display: grid; grid-template-columns: repeat(2, minmax(0, 1fr)); gap: 8px 16px; }
@media (max-width: 900px) { .charts { grid-template-columns: minmax(0, 1fr); } }
.chart { min-width: 0; overflow: hidden; }
.chart h3 { margin: 8px 0 2px; }
.chart-empty { padding: 8px 0; }
.u-legend { font-size: 0.9em; color: var(--vscode-foreground); }
.controls { position: sticky; top: 0; z-index: 2; background: var(--vscode-editor-background); padding: 8px 0; border-bottom: 1px solid var(--vscode-panel-border, transparent); }
.run { border: 1px solid var(--vscode-panel-border, rgba(128,128,128,.35)); border-radius: 4px; padding: 6px 8px; margin: 6px 0; }
.run.selected { border-color: var(--vscode-focusBorder); }
.swatch { display: inline-block; width: 10px; height: 10px; border-radius: 2px; }
.checkpoints { margin: 4px 0 0 24px; }
.diff td:first-child { font-family: var(--vscode-editor-font-family); }
`);

const messenger = new Messenger<HostToDashboard, DashboardToHost, DashboardSaved>(parseHostToDashboard, (batch) => dispatch(batch));
let state: DashboardState = initialState(messenger.saved);

const charts = new ChartSet();
const chartCache = new ChartCache();
const smoothing = h('input', { attrs: { type: 'range', min: 0, max: 0.99, step: 0.01, 'aria-label': 'Smoothing' } });
const smoothingValue = h('span', { class: 'mono' });
const logScale = h('input', { attrs: { type: 'checkbox', id: 'log-scale' } });
const runsEl = h('div', { class: 'runs' });
const diffEl = h('div', { class: 'diff' });
const summaryEl = h('span', { class: 'muted', attrs: { id: 'summary' } });

smoothing.addEventListener('input', () => dispatch([{ type: 'smoothing', value: Number(smoothing.value) }]));
logScale.addEventListener('change', () => dispatch([{ type: 'logScale', value: logScale.checked }]));

const app = document.getElementById('app')!;
replace(
  app,
  h(
    'div',
    { class: 'controls row' },
    h('strong', null, 'Tunelab runs'),
    summaryEl,
    h('span', { class: 'grow' }),
    h('label', { class: 'row' }, 'Smoothing', smoothing, smoothingValue),
    h('label', { class: 'row', attrs: { for: 'log-scale' } }, logScale, 'Log scale'),
  ),
  charts.el,
  h('h2', null, 'Runs'),
  runsEl,
  diffEl,
);

let lastRuns: RunSummary[] | null = null;
let lastSelected: string[] | null = null;
let drawnVersion = -1;

function dispatch(actions: DashboardAction[]): void {
  const started = performance.now();
  for (const a of actions) state = reduce(state, a);
  render();
  messenger.save(saved(state));
  const w = window as unknown as { __tunelabRenderMs?: number[] };
  w.__tunelabRenderMs?.push(performance.now() - started);
}

function render(): void {
  smoothing.value = String(state.smoothing);
  smoothingValue.textContent = state.smoothing.toFixed(2);
  logScale.checked = state.logScale;
  if (state.dataVersion !== drawnVersion) {
    drawnVersion = state.dataVersion;
    charts.update(chartModels(state, chartCache));
  }
  if (state.runs !== lastRuns || state.selected !== lastSelected) {
    lastRuns = state.runs;
    lastSelected = state.selected;
    renderRuns();
    renderDiff();
  }
  const active = state.runs.filter((r) => r.active).length;
  summaryEl.textContent = `${state.runs.length} run${state.runs.length === 1 ? '' : 's'}${active ? `, ${active} training` : ''}`;
}

const colorVar = (slot: number) => ['--vscode-charts-blue', '--vscode-charts-orange', '--vscode-charts-green', '--vscode-charts-purple', '--vscode-charts-red', '--vscode-charts-yellow'][slot % 6]!;

function renderRuns(): void {
  if (state.runs.length === 0) {
    replace(runsEl, h('p', { class: 'muted' }, 'No runs yet. Open a config and run "Tunelab: Train with This Config" (or the Train code lens); runs from earlier sessions appear here from their events.jsonl.'));
    return;
  }
  // Cards whose content did not change are kept, so a click in progress never lands on a replaced button.
  const next = new Map<string, { key: string; el: HTMLElement }>();
  for (const run of state.runs) {
    const key = JSON.stringify([run, state.selected.indexOf(run.id)]);
    const old = cards.get(run.id);
    next.set(run.id, old && old.key === key ? old : { key, el: runCard(run) });
  }
  cards = next;
  const els = state.runs.map((r) => next.get(r.id)!.el);
  if (els.length !== runsEl.children.length || els.some((el, i) => runsEl.children[i] !== el)) replace(runsEl, ...els);
}

let cards = new Map<string, { key: string; el: HTMLElement }>();

function runCard(run: RunSummary): HTMLElement {
  const slot = state.selected.indexOf(run.id);
  const box = h('vscode-checkbox', { attrs: { 'aria-label': `Show ${run.label}` } }) as HTMLElement & { checked: boolean };
  box.checked = slot >= 0;
  box.addEventListener('change', () => dispatch([{ type: 'toggleRun', id: run.id }]));
  const swatch = h('span', { class: 'swatch' });
  if (slot >= 0) swatch.style.background = `var(${colorVar(slot)})`;
  const progress = `step ${run.lastStep}/${run.totalSteps}`;
  const final = run.final ? ` · final loss ${(run.final.evalLoss ?? run.final.trainLoss)?.toPrecision(4) ?? '—'}` : '';
  const buttons: HTMLElement[] = [];
  if (run.active) buttons.push(button('Stop', `stop-${run.id}`, () => messenger.post({ type: 'stop', runId: run.id }), run.status === 'stopping'));
  if (run.resumable) buttons.push(button('Resume', `resume-${run.id}`, () => messenger.post({ type: 'resume', runId: run.id })));
  if (run.evalReport) buttons.push(button('Evaluation', `evaluation-${run.id}`, () => messenger.post({ type: 'openEvaluation', runId: run.id }), false, true));
  buttons.push(button('Config', `config-${run.id}`, () => messenger.post({ type: 'openConfig', runId: run.id }), false, true));
  return h(
    'div',
    { class: `run${slot >= 0 ? ' selected' : ''}`, dataset: { run: run.id, status: run.status } },
    h('div', { class: 'row' }, box, swatch, h('strong', { class: 'grow' }, run.label), h('span', { class: `badge ${run.status}` }, run.status), ...buttons),
    h('div', { class: 'muted' }, `${run.method} · ${run.backend}${run.params ? ` · ${run.params.trainable.toLocaleString()} of ${run.params.total.toLocaleString()} parameters trained` : ''} · ${progress}${final}`),
    run.error ? h('div', { class: 'error' }, run.error) : null,
    run.checkpoints.length
      ? h(
          'div',
          { class: 'checkpoints' },
          'Checkpoints: ',
          ...run.checkpoints.map((c) => h('button', { class: 'link', title: c.path, dataset: { checkpoint: String(c.step) }, on: { click: () => messenger.post({ type: 'reveal', path: c.path }) } }, `step ${c.step}`)).flatMap((b, i) => (i ? [', ', b] : [b])),
        )
      : null,
  );
}

function button(label: string, id: string, onClick: () => void, disabled = false, secondary = false): HTMLElement {
  const b = h('vscode-button', { attrs: { id, disabled, secondary } }, label);
  b.addEventListener('click', () => !disabled && onClick());
  return b;
}

function renderDiff(): void {
  const runs = state.selected.map((id) => state.runs.find((r) => r.id === id)).filter((r): r is RunSummary => r !== undefined);
  if (runs.length < 2) {
    replace(diffEl);
    return;
  }
  const diffs = configDiff(runs.map((r) => r.config));
  replace(
    diffEl,
    h('h2', null, 'Config differences'),
    diffs.length === 0
      ? h('p', { class: 'muted' }, 'The selected runs have the same config.')
      : h('table', null, h('tr', null, h('th', null, 'key'), ...runs.map((r) => h('th', null, r.label))), ...diffs.map((d) => h('tr', null, h('td', null, d.key), ...d.values.map((v) => h('td', { class: 'mono' }, v))))),
  );
}

render();
messenger.ready();
