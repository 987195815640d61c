/**
 * The "fine-tune or prompt?" panel: editable inputs, the recommendation with its reasons, the
 * cost comparison and an SVG plot of both options' monthly cost. Every string reaches the page as
 * a text node or an attribute value (nothing is parsed as HTML); the SVG is built element by element.
 */
import { parseHostToPlan, type HostToPlan, type PlanToHost } from '../../common/protocol/webview';
import type { PlanInputs } from '../../common/estimate/plan';
import { formatDuration, formatUsd, paybackText } from '../../common/estimate/planFormat';
import { baseCss } from '../shared/base.css';
import { adoptCss, h, replace } from '../shared/dom';
import { Messenger } from '../shared/messenger';
import { chartModel, type ChartModel } from './chart';
import { CHOICES, initialPlanState, reducePlan, type FieldName, type PlanAction, type PlanState } from './reducer';

adoptCss(`${baseCss}
.layout { display: grid; grid-template-columns: minmax(280px, 360px) minmax(360px, 1fr); gap: 16px; }
fieldset { border: 1px solid var(--vscode-panel-border, rgba(128,128,128,.35)); margin: 0 0 10px; padding: 6px 10px 8px; }
legend { font-weight: 600; padding: 0 4px; }
.field { display: grid; grid-template-columns: 1fr 120px; gap: 2px 8px; align-items: center; margin: 4px 0; }
.field input, .field select { width: 100%; box-sizing: border-box; padding: 2px 4px; color: var(--vscode-input-foreground);
  background: var(--vscode-input-background); border: 1px solid var(--vscode-input-border, transparent); font: inherit; }
.field input.invalid { border-color: var(--vscode-inputValidation-errorBorder, var(--vscode-errorForeground)); }
.field .error { grid-column: 1 / span 2; font-size: 0.9em; }
.verdict { font-size: 1.3em; font-weight: 600; margin: 8px 0 2px; }
.verdict.fine-tune { color: var(--vscode-charts-green, #89d185); }
.verdict.prompt { color: var(--vscode-charts-blue, #3794ff); }
.verdict.hybrid { color: var(--vscode-charts-orange, #d18616); }
.reasons li { margin: 2px 0; }
.lean { display: inline-block; min-width: 7em; font-weight: 600; }
.lean.fine-tune { color: var(--vscode-charts-green, #89d185); } .lean.prompt { color: var(--vscode-charts-blue, #3794ff); }
svg.chart { max-width: 100%; height: auto; }
svg.chart .axis { stroke: var(--vscode-foreground); stroke-opacity: 0.5; }
svg.chart .grid { stroke: var(--vscode-foreground); stroke-opacity: 0.1; }
svg.chart text { fill: var(--vscode-descriptionForeground); font-size: 11px; font-family: var(--vscode-font-family); }
svg.chart .prompt { stroke: var(--vscode-charts-blue, #3794ff); fill: none; stroke-width: 2; }
svg.chart .fine-tune { stroke: var(--vscode-charts-green, #89d185); fill: none; stroke-width: 2; }
svg.chart .marker { stroke-dasharray: 4 3; stroke-width: 1; }
svg.chart .marker.volume { stroke: var(--vscode-foreground); }
svg.chart .marker.break-even { stroke: var(--vscode-charts-orange, #d18616); }
.stale { opacity: 0.55; }
.legend .swatch { display: inline-block; width: 18px; height: 3px; vertical-align: middle; margin: 0 4px 0 8px; }
.legend .swatch.prompt { background: var(--vscode-charts-blue, #3794ff); }
.legend .swatch.fine-tune { background: var(--vscode-charts-green, #89d185); }
`);

const messenger = new Messenger<HostToPlan, PlanToHost, PlanInputs>(parseHostToPlan, (batch) => batch.forEach(dispatch));
let state: PlanState = initialPlanState(messenger.saved);

/** Field definitions: name, label, hint. */
const SECTIONS: [string, [FieldName, string, string][]][] = [
  [
    'Task',
    [
      ['taskComplexity', 'Task complexity', 'How much the task needs beyond instructions.'],
      ['examples', 'Labelled examples', 'Examples you have (or can collect) for training.'],
      ['requirements', 'Requirements', 'Do the expected outputs change often?'],
      ['consistency', 'Consistency needs', 'Strict: a fixed format, tone or style on every answer.'],
    ],
  ],
  [
    'Per query',
    [
      ['promptTokens', 'Prompt tokens removed', 'System prompt + few-shot examples a fine-tuned model no longer needs.'],
      ['queryTokens', 'Query tokens', "The user's own input, sent either way."],
      ['outputTokens', 'Output tokens', 'Generated per query.'],
      ['queriesPerMonth', 'Queries per month', 'e.g. 50k'],
      ['inputPrice', 'Input price (USD / M tokens)', 'Your provider’s current price; empty if unknown.'],
      ['outputPrice', 'Output price (USD / M tokens)', ''],
      ['fineTunedInputPrice', 'Fine-tuned input price', 'Empty: same as the base model.'],
      ['fineTunedOutputPrice', 'Fine-tuned output price', 'Empty: same as the base model.'],
    ],
  ],
  [
    'Training',
    [
      ['trainTokens', 'Training tokens', 'Dataset tokens × epochs.'],
      ['tokensPerSecond', 'Throughput (tokens/s)', "Measured by a previous run, or the hardware's figure."],
      ['gpuPricePerHour', 'GPU price (USD / hour)', ''],
      ['trainPricePerMTok', 'Or: training price (USD / M tokens)', 'Hosted fine-tuning priced per training token; replaces GPU price × time.'],
      ['gpus', 'GPUs', ''],
      ['amortizeMonths', 'Spread training over (months)', ''],
      ['hostingPerMonth', 'Hosting (USD / month)', 'Fixed cost of serving the fine-tuned model yourself.'],
    ],
  ],
];

const controls = new Map<FieldName, HTMLInputElement | HTMLSelectElement>();
const errorEls = new Map<FieldName, HTMLElement>();
let postTimer: number | undefined;

function control(name: FieldName, label: string): HTMLInputElement | HTMLSelectElement {
  const choices = CHOICES[name];
  const id = `f-${name}`;
  const onChange = (e: Event) => {
    dispatch({ type: 'edit', field: name, value: (e.target as HTMLInputElement).value });
    clearTimeout(postTimer);
    postTimer = window.setTimeout(() => messenger.post({ type: 'inputs', inputs: state.inputs }), 300);
  };
  const el = choices
    ? h('select', { attrs: { id, 'aria-label': label }, on: { change: onChange } }, ...choices.map((c) => h('option', { attrs: { value: c } }, c)))
    : h('input', { attrs: { id, type: 'text', inputmode: 'decimal', spellcheck: 'false', 'aria-label': label }, on: { input: onChange } });
  controls.set(name, el);
  return el;
}

const form = h(
  'form',
  { attrs: { id: 'inputs', novalidate: true }, on: { submit: (e) => e.preventDefault() } },
  ...SECTIONS.map(([title, fields]) =>
    h(
      'fieldset',
      null,
      h('legend', null, title),
      ...fields.map(([name, label, hint]) => {
        const err = h('div', { class: 'error', attrs: { id: `e-${name}`, role: 'alert' } });
        errorEls.set(name, err);
        return h('div', { class: 'field', title: hint }, h('label', { attrs: { for: `f-${name}` } }, label), control(name, label), err);
      }),
    ),
  ),
  h('button', { class: 'link', attrs: { type: 'button', id: 'reset' }, on: { click: () => dispatch({ type: 'reset' }) } }, 'Reset to defaults'),
);

const header = h('div', { attrs: { id: 'source' } });
const results = h('div', { attrs: { id: 'results', 'aria-live': 'polite' } });
document.getElementById('app')?.append(h('h2', null, 'Fine-tune or prompt?'), header, h('div', { class: 'layout' }, form, results));

function dispatch(action: PlanAction): void {
  const before = state;
  state = reducePlan(state, action);
  if (action.type !== 'edit') syncControls();
  if (state.inputs !== before.inputs) messenger.save(state.inputs);
  render();
}

/** Puts the state's texts into the controls (after init or reset; edits already show what was typed). */
function syncControls(): void {
  for (const [name, el] of controls) if (document.activeElement !== el) el.value = state.text[name];
}

function render(): void {
  for (const [name, el] of errorEls) {
    const msg = state.errors[name];
    replace(el, msg ?? '');
    controls.get(name)?.classList.toggle('invalid', msg !== undefined);
  }
  replace(
    header,
    state.configPath ? h('span', { class: 'muted' }, 'From ', h('button', { class: 'link', attrs: { type: 'button' }, on: { click: () => messenger.post({ type: 'openConfig' }) } }, state.configPath)) : null,
    state.estimate ? h('span', { class: 'muted' }, ` · training memory ${state.estimate}`) : null,
  );
  const r = state.result;
  if (!r) {
    replace(results, h('p', { class: 'muted' }, 'Fill in the inputs to see a recommendation.'));
    return;
  }
  const c = r.costs;
  const model = c.curve ? chartModel(c.curve, state.inputs.queriesPerMonth, c.breakEvenQueriesPerMonth) : null;
  replace(
    results,
    h(
      'div',
      { class: state.stale ? 'stale' : '' },
      state.stale ? h('p', { class: 'warning' }, 'Showing the last valid inputs; fix the marked fields.') : null,
      h('div', { class: `verdict ${r.recommendation}`, attrs: { id: 'verdict' } }, r.recommendation === 'fine-tune' ? 'Fine-tune' : r.recommendation === 'prompt' ? 'Prompt' : 'Hybrid'),
      h('p', null, r.summary),
      h('h3', null, 'Why'),
      h('ul', { class: 'reasons' }, ...r.reasons.map((x) => h('li', null, h('span', { class: `lean ${x.favours}` }, x.favours === 'neutral' ? 'neutral' : `→ ${x.favours}`), x.text))),
      h('h3', null, 'Cost'),
      h(
        'table',
        { attrs: { id: 'costs' } },
        h('tr', null, h('th', null, ''), h('th', null, 'prompt'), h('th', null, 'fine-tune')),
        h('tr', null, h('td', null, 'per query'), h('td', null, formatUsd(c.promptPerQuery)), h('td', null, formatUsd(c.fineTunedPerQuery))),
        h('tr', null, h('td', null, `per month at ${Math.round(state.inputs.queriesPerMonth).toLocaleString('en-US')} queries`), h('td', null, formatUsd(c.monthlyPrompt)), h('td', null, formatUsd(c.monthlyFineTune))),
        h('tr', null, h('td', null, 'training (once)'), h('td', null, '—'), h('td', null, c.trainingCost === null ? 'unknown' : `${formatUsd(c.trainingCost)}${c.trainingHours === null ? '' : ` (${formatDuration(c.trainingHours)})`}`)),
      ),
      h('p', { attrs: { id: 'break-even' } }, `Break-even: ${c.breakEvenNote}.`),
      c.trainingCost !== null ? h('p', { attrs: { id: 'payback' } }, `Payback: ${paybackText(c.paybackMonths, c.promptPerQuery !== null && c.fineTunedPerQuery !== null)}.`) : null,
      model ? chart(model) : null,
      model ? h('div', { class: 'legend muted' }, h('span', { class: 'swatch prompt' }), 'prompt  ', h('span', { class: 'swatch fine-tune' }), 'fine-tune (training spread over the months)') : null,
      r.missing.length > 0 ? h('p', { class: 'muted' }, `To compare costs, give: ${r.missing.join('; ')}.`) : null,
      r.assumptions.length + state.notes.length > 0 ? h('h3', null, 'Assumptions') : null,
      r.assumptions.length + state.notes.length > 0 ? h('ul', { class: 'muted' }, ...[...state.notes, ...r.assumptions].map((a) => h('li', null, a))) : null,
    ),
  );
}

const SVG = 'http://www.w3.org/2000/svg';
function s(tag: string, attrs: Record<string, string | number>, ...children: (Element | string)[]): SVGElement {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  for (const c of children) el.append(typeof c === 'string' ? document.createTextNode(c) : c);
  return el;
}

function chart(m: ChartModel): SVGElement {
  const { width, height, left, right, top, bottom } = m.size;
  const x1 = width - right;
  const y1 = height - bottom;
  return s(
    'svg',
    { class: 'chart', viewBox: `0 0 ${width} ${height}`, width, height, role: 'img', 'aria-label': 'Monthly cost of prompting and fine-tuning by queries per month' },
    ...m.yTicks.flatMap((t) => [s('line', { class: 'grid', x1: left, x2: x1, y1: t.at, y2: t.at }), s('text', { x: left - 6, y: t.at + 4, 'text-anchor': 'end' }, t.label)]),
    ...m.xTicks.flatMap((t) => [s('line', { class: 'grid', x1: t.at, x2: t.at, y1: top, y2: y1 }), s('text', { x: t.at, y: y1 + 16, 'text-anchor': 'middle' }, t.label)]),
    s('line', { class: 'axis', x1: left, x2: x1, y1, y2: y1 }),
    s('line', { class: 'axis', x1: left, x2: left, y1: top, y2: y1 }),
    s('text', { x: (left + x1) / 2, y: height - 4, 'text-anchor': 'middle' }, 'queries per month'),
    s('path', { class: 'prompt', d: m.prompt }, s('title', {}, 'prompt')),
    s('path', { class: 'fine-tune', d: m.fineTune }, s('title', {}, 'fine-tune (training spread over the months)')),
    // Marker labels sit beside their line, on the side with room.
    ...m.markers.flatMap((k, i) => {
      const end = k.x > left + (x1 - left) * 0.6;
      return [s('line', { class: `marker ${k.kind}`, x1: k.x, x2: k.x, y1: top, y2: y1 }), s('text', { x: end ? k.x - 4 : k.x + 4, y: top + 12 + 14 * i, 'text-anchor': end ? 'end' : 'start' }, k.label)];
    }),
  );
}

syncControls();
render();
messenger.ready();
