/**
 * The eval-results panel: the verdict, per-task bars base vs tuned with 95% error bars, a table
 * with the change and its interval, and the generations of both models side by side. Every
 * string (prompts and generations come from datasets and models) reaches the page as a text node
 * or an attribute value; the SVG is built element by element.
 */
import { parseHostToEvaluation, type EvaluationToHost, type HostToEvaluation } from '../../common/protocol/webview';
import { baseCss } from '../shared/base.css';
import { adoptCss, h, replace } from '../shared/dom';
import { Messenger } from '../shared/messenger';
import { initialEvaluationState, reduceEvaluation, type EvaluationAction, type EvaluationState } from './reducer';
import { formatDelta, formatMetric, type BarChart, type EvalView, type ModelInfo } from './view';

adoptCss(`${baseCss}
.verdict { font-size: 1.2em; font-weight: 600; margin: 8px 0 4px; }
.verdict.forgetting { color: var(--vscode-editorWarning-foreground, #cca700); }
.verdict.ok { color: var(--vscode-charts-green, #89d185); }
.models li { margin: 1px 0; }
.swatch { display: inline-block; width: 10px; height: 10px; margin-right: 6px; vertical-align: middle; }
.m0 { fill: var(--vscode-charts-blue, #3794ff); background: var(--vscode-charts-blue, #3794ff); }
.m1 { fill: var(--vscode-charts-green, #89d185); background: var(--vscode-charts-green, #89d185); }
svg.bars { max-width: 100%; height: auto; }
svg.bars .axis { stroke: var(--vscode-foreground); stroke-opacity: 0.5; }
svg.bars .grid { stroke: var(--vscode-foreground); stroke-opacity: 0.1; }
svg.bars .err { stroke: var(--vscode-foreground); stroke-width: 1.5; }
svg.bars text { fill: var(--vscode-descriptionForeground); font-size: 11px; font-family: var(--vscode-font-family); }
svg.bars text.delta.worse { fill: var(--vscode-errorForeground, #f48771); font-weight: 600; }
svg.bars text.delta.better { fill: var(--vscode-charts-green, #89d185); font-weight: 600; }
td.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
tr.worse td.delta { color: var(--vscode-errorForeground); font-weight: 600; }
tr.better td.delta { color: var(--vscode-charts-green, #89d185); font-weight: 600; }
table.samples td { vertical-align: top; max-width: 36em; white-space: pre-wrap; overflow-wrap: anywhere; }
table.samples details summary { cursor: pointer; color: var(--vscode-descriptionForeground); }
.mark.right { color: var(--vscode-charts-green, #89d185); } .mark.wrong { color: var(--vscode-errorForeground); }
`);

const messenger = new Messenger<HostToEvaluation, EvaluationToHost, { sampleTask: string | null; path: string | null }>(parseHostToEvaluation, (batch) => batch.forEach(dispatch));
let state: EvaluationState = initialEvaluationState(messenger.saved);

const app = document.getElementById('app')!;

function dispatch(a: EvaluationAction): void {
  state = reduceEvaluation(state, a);
  // The host reopens `path` after a window reload (its serializer reads this state).
  messenger.save({ sampleTask: state.sampleTask, path: state.path });
  render();
}

const SVG = 'http://www.w3.org/2000/svg';
function svg(tag: string, attrs: Record<string, string | number>, text?: string): SVGElement {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  if (text !== undefined) el.appendChild(document.createTextNode(text));
  return el;
}

function modelLabel(m: ModelInfo): string {
  const role = m.role === 'model' ? '' : `${m.role}: `;
  return `${role}${m.model}${m.adapter ? ` + adapter ${m.adapter}` : ''}`;
}

function chartEl(c: BarChart, view: EvalView): SVGElement {
  const root = svg('svg', { class: 'bars', id: 'bars', viewBox: `0 0 ${c.width} ${c.height}`, width: c.width, height: c.height, role: 'img', 'aria-label': 'Primary metric per task, in points, with 95% intervals' });
  const baseY = c.height - c.bottom;
  for (const t of c.yTicks) {
    root.appendChild(svg('line', { class: 'grid', x1: c.left, x2: c.width, y1: t.at, y2: t.at }));
    root.appendChild(svg('text', { x: c.left - 6, y: t.at + 4, 'text-anchor': 'end' }, t.label));
  }
  root.appendChild(svg('line', { class: 'axis', x1: c.left, x2: c.width, y1: baseY, y2: baseY }));
  for (const g of c.groups) {
    for (const b of g.bars) {
      const rect = svg('rect', { class: `bar m${b.model}`, x: b.x, y: b.y, width: b.width, height: b.height, 'data-task': g.task });
      rect.appendChild(svg('title', {}, `${g.task} — ${modelLabel(view.models[b.model]!)}: ${b.label}`));
      root.appendChild(rect);
      if (b.err) {
        const cx = b.x + b.width / 2;
        root.appendChild(svg('line', { class: 'err', x1: cx, x2: cx, y1: b.err[0], y2: b.err[1] }));
        for (const y of b.err) root.appendChild(svg('line', { class: 'err', x1: cx - 4, x2: cx + 4, y1: y, y2: y }));
      }
    }
    root.appendChild(svg('text', { x: g.x, y: baseY + 14, 'text-anchor': 'middle' }, g.task.length > 16 ? `${g.task.slice(0, 15)}…` : g.task));
    if (g.delta !== null) {
      const cls = g.worse ? 'worse' : g.significant ? 'better' : 'same';
      root.appendChild(svg('text', { class: `delta ${cls}`, x: g.x, y: c.top - 8, 'text-anchor': 'middle' }, g.delta));
    }
  }
  return root;
}

function tableEl(view: EvalView): HTMLElement {
  const compare = view.models.length === 2;
  const head = ['Task', 'Metric', 'n', 'Shots', ...view.models.map((m) => (m.role === 'model' ? 'Value' : m.role === 'base' ? 'Base' : 'Tuned')), ...(compare ? ['Δ', '95% interval', ''] : [])];
  return h(
    'table',
    { attrs: { id: 'results' } },
    h('thead', null, h('tr', null, ...head.map((x) => h('th', null, x)))),
    h(
      'tbody',
      null,
      ...view.rows.map((r) => {
        const cls = r.worse ? 'worse' : r.significant ? 'better' : '';
        return h(
          'tr',
          { class: cls, dataset: { task: r.task } },
          h('td', null, r.task),
          h('td', null, `${r.metric}${r.higherIsBetter ? ' ↑' : ' ↓'}`),
          h('td', { class: 'num' }, r.n),
          h('td', { class: 'num' }, r.numFewshot),
          ...r.values.map((v) => h('td', { class: 'num' }, formatMetric(v, r.points))),
          ...(compare
            ? [
                h('td', { class: 'num delta' }, r.delta === null ? '—' : formatDelta(r.delta, r.points)),
                h('td', { class: 'num' }, r.ci95 ? `[${formatDelta(r.ci95[0], r.points)}, ${formatDelta(r.ci95[1], r.points)}]` : '—'),
                h('td', null, r.worse ? 'worse' : r.significant ? 'better' : 'no significant change'),
              ]
            : []),
        );
      }),
    ),
  );
}

function mark(correct: boolean | null): HTMLElement | null {
  if (correct === null) return null;
  return h('span', { class: `mark ${correct ? 'right' : 'wrong'}`, title: correct ? 'correct' : 'wrong' }, correct ? '✓ ' : '✗ ');
}

function samplesEl(view: EvalView): HTMLElement {
  const tasks = [...view.samples.keys()];
  if (tasks.length === 0) return h('p', { class: 'muted', attrs: { id: 'samples' } }, 'The report keeps no generations.');
  const select = h(
    'select',
    { attrs: { id: 'sample-task', 'aria-label': 'Task' }, on: { change: (e) => dispatch({ type: 'selectTask', task: (e.target as HTMLSelectElement).value }) } },
    ...tasks.map((t) => h('option', { attrs: { value: t, selected: t === state.sampleTask } }, t)),
  );
  const pairs = view.samples.get(state.sampleTask ?? tasks[0]!) ?? [];
  return h(
    'div',
    null,
    h('div', { class: 'row' }, h('label', { attrs: { for: 'sample-task' } }, 'Generations of'), select),
    h(
      'table',
      { class: 'samples', attrs: { id: 'samples' } },
      h('thead', null, h('tr', null, h('th', null, 'Prompt'), h('th', null, 'Target'), ...view.models.map((m) => h('th', null, m.role === 'model' ? 'Output' : m.role === 'base' ? 'Base' : 'Tuned')))),
      h(
        'tbody',
        null,
        ...pairs.map((p) =>
          h(
            'tr',
            { dataset: { id: p.id } },
            h('td', null, h('details', null, h('summary', null, `#${p.id} ${p.prompt.slice(-80).replace(/\s+/g, ' ').trim()}`), p.prompt)),
            h('td', null, p.target),
            ...p.outputs.map((o) => h('td', { class: 'output' }, ...(o ? [mark(o.correct), o.output ?? ''] : ['—']))),
          ),
        ),
      ),
    ),
  );
}

function render(): void {
  const { view } = state;
  const header = h(
    'div',
    { class: 'row' },
    h('h2', { class: 'grow' }, 'Evaluation'),
    state.path ? h('button', { class: 'link', attrs: { id: 'source', type: 'button' }, on: { click: () => messenger.post({ type: 'openSource' }) } }, state.path) : null,
    h('button', { class: 'link', attrs: { id: 'pick', type: 'button' }, on: { click: () => messenger.post({ type: 'pickReport' }) } }, 'Open another report…'),
  );
  if (!state.received) return replace(app, header, h('p', { class: 'muted' }, 'Loading the report…'));
  if (state.error || !view) return replace(app, header, h('p', { class: 'error', attrs: { id: 'error', role: 'alert' } }, state.error ?? 'No report.'));
  replace(
    app,
    header,
    view.verdict !== null ? h('div', { class: `verdict ${view.forgetting ? 'forgetting' : 'ok'}`, attrs: { id: 'verdict' } }, view.verdict) : null,
    h('ul', { class: 'models muted' }, ...view.models.map((m, i) => h('li', null, h('span', { class: `swatch m${i}` }), modelLabel(m)))),
    view.chart ? chartEl(view.chart, view) : h('p', { class: 'muted' }, 'No accuracy-like metric to chart; see the table.'),
    h('h3', null, 'Results'),
    tableEl(view),
    h('h3', null, 'Generations'),
    samplesEl(view),
    h('p', { class: 'muted' }, `Written ${view.created}. ± is the standard error; intervals are 95%.`),
  );
}

render();
messenger.ready();
