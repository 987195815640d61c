import '@vscode-elements/elements/dist/vscode-button/index.js';
import { MAX_WINDOW, parseHostToInspector, type HostToInspector, type InspectorFilter, type InspectorToHost, type RecordDetail } from '../../common/protocol/webview';
import { baseCss } from '../shared/base.css';
import { adoptCss, h, replace } from '../shared/dom';
import { Messenger } from '../shared/messenger';
import { initialState, missingWindow, reduce, type InspectorAction, type InspectorState } from './reducer';
import { ROW_HEIGHT, VirtualList } from './virtualList';
import { histogramView, maskView, messagesView, statsView } from './views';
import { qualityView } from './qualityView';

adoptCss(`${baseCss}
.layout { display: grid; grid-template-columns: minmax(320px, 1fr) minmax(360px, 1.2fr); gap: 12px; height: calc(100vh - 16px); }
.left, .right { display: flex; flex-direction: column; min-height: 0; }
.right { overflow: auto; }
.filters { padding: 8px 0; display: flex; flex-direction: column; gap: 6px; }
.filters input[type=search] { width: 100%; box-sizing: border-box; padding: 4px 6px; color: var(--vscode-input-foreground);
  background: var(--vscode-input-background); border: 1px solid var(--vscode-input-border, transparent); }
.codes label { margin-right: 10px; white-space: nowrap; }
.vlist { position: relative; overflow-y: auto; flex: 1 1 auto; min-height: 200px; border: 1px solid var(--vscode-panel-border, rgba(128,128,128,.35)); }
.vrow { position: absolute; left: 0; right: 0; height: ${ROW_HEIGHT}px; line-height: ${ROW_HEIGHT}px; padding: 0 6px; white-space: nowrap; overflow: hidden;
  text-overflow: ellipsis; cursor: pointer; font-family: var(--vscode-editor-font-family); font-size: 12px; box-sizing: border-box; }
.vrow:hover { background: var(--vscode-list-hoverBackground); }
.vrow.selected { background: var(--vscode-list-activeSelectionBackground); color: var(--vscode-list-activeSelectionForeground); }
.vrow .num { display: inline-block; min-width: 6ch; color: var(--vscode-editorLineNumber-foreground); }
.vrow .sev1 { color: var(--vscode-errorForeground); } .vrow .sev2 { color: var(--vscode-editorWarning-foreground); }
.message { border-left: 3px solid var(--vscode-panel-border, #888); padding: 2px 8px; margin: 6px 0; }
.message .role { font-weight: 600; text-transform: lowercase; }
.message.assistant { border-left-color: var(--vscode-charts-green, #89d185); }
.message.user { border-left-color: var(--vscode-charts-blue, #3794ff); }
.message.system { border-left-color: var(--vscode-charts-purple, #b180d7); }
.content { white-space: pre-wrap; word-break: break-word; }
.mask { white-space: pre-wrap; word-break: break-word; font-family: var(--vscode-editor-font-family); font-size: 12px; line-height: 1.7; }
.tok { border-radius: 2px; padding: 0 1px; }
.tok.trained { background: rgba(80, 200, 120, 0.28); outline: 1px solid rgba(80, 200, 120, 0.55); }
.tok.masked { color: var(--vscode-descriptionForeground); }
.legend .tok { display: inline-block; margin-right: 8px; }
.hist { display: flex; align-items: flex-end; gap: 1px; height: 90px; position: relative; border-bottom: 1px solid var(--vscode-panel-border, #888); }
.hist .bar { flex: 1 1 0; background: var(--vscode-charts-blue, #3794ff); min-height: 1px; }
.hist .bar.over { background: var(--vscode-charts-red, #f14c4c); }
.hist .limit { position: absolute; top: 0; bottom: 0; width: 0; border-left: 2px dashed var(--vscode-charts-red, #f14c4c); }
pre.raw { white-space: pre-wrap; word-break: break-all; max-height: 240px; overflow: auto; background: var(--vscode-textCodeBlock-background); padding: 6px; }
.diag { margin: 2px 0; }
.tabs { display: flex; gap: 4px; border-bottom: 1px solid var(--vscode-panel-border, rgba(128,128,128,.35)); margin-bottom: 6px; }
.tabs button { background: none; border: none; border-bottom: 2px solid transparent; color: var(--vscode-foreground); padding: 4px 10px; cursor: pointer; }
.tabs button.active { border-bottom-color: var(--vscode-focusBorder, #007fd4); font-weight: 600; }
.qbar { height: 8px; background: var(--vscode-charts-blue, #3794ff); }
td.wide { width: 40%; } td.num { text-align: right; padding: 0 6px; }
.hist.small { height: 48px; }
.qfinding, .qcluster { margin: 2px 0 2px 12px; word-break: break-word; }
.reclink .open { margin-left: 2px; }
`);

const messenger = new Messenger<HostToInspector, InspectorToHost, { path?: string }>(parseHostToInspector, (batch) => dispatch(batch));
let state: InspectorState = initialState();
let pending = '';

const title = h('h2', { attrs: { id: 'title' } }, 'Dataset inspector');
const statusEl = h('div', { class: 'muted', attrs: { id: 'status' } });
const search = h('input', { attrs: { type: 'search', id: 'search', placeholder: 'Search the raw records (case-insensitive)', 'aria-label': 'Search records' } });
const codesEl = h('div', { class: 'codes', attrs: { id: 'codes' } });
const countEl = h('div', { class: 'muted', attrs: { id: 'count' } });
const detailEl = h('div', { attrs: { id: 'record' } });
const statsEl = h('div', { attrs: { id: 'stats' } });
const qualityEl = h('div', { attrs: { id: 'quality' } });
const recordsPane = h('div', { attrs: { id: 'records-pane' } }, detailEl, statsEl);
const tabRecords = h('button', { attrs: { id: 'tab-records', type: 'button' }, on: { click: () => dispatch([{ type: 'tab', tab: 'records' }]) } }, 'Record & statistics');
const tabQuality = h('button', { attrs: { id: 'tab-quality', type: 'button' }, on: { click: () => dispatch([{ type: 'tab', tab: 'quality' }]) } }, 'Quality');
const errorEl = h('div', { class: 'error', attrs: { id: 'error' } });

const list = new VirtualList(renderRow, (first, last) => {
  const want = missingWindow(state, first, last, 60, MAX_WINDOW);
  if (!want) return;
  const key = `${state.view.viewId}:${want.start}:${want.count}`;
  if (key === pending) return;
  pending = key;
  messenger.post({ type: 'window', viewId: state.view.viewId, start: want.start, count: want.count });
});

let searchTimer: number | undefined;
search.addEventListener('input', () => {
  clearTimeout(searchTimer);
  searchTimer = window.setTimeout(() => sendFilter({ ...state.draft, search: search.value }), 250);
});
search.addEventListener('keydown', (e) => {
  if (e.key === 'Enter') {
    clearTimeout(searchTimer);
    sendFilter({ ...state.draft, search: search.value });
  }
});
list.el.addEventListener('keydown', (e) => {
  const pos = selectedPosition();
  if (e.key !== 'ArrowDown' && e.key !== 'ArrowUp') return;
  e.preventDefault();
  const next = Math.min(state.view.count - 1, Math.max(0, (pos ?? -1) + (e.key === 'ArrowDown' ? 1 : -1)));
  const row = state.rows[next];
  if (row) select(row.index);
  list.reveal(next);
});

replace(
  document.getElementById('app')!,
  h(
    'div',
    { class: 'layout' },
    h('div', { class: 'left' }, title, statusEl, h('div', { class: 'filters' }, search, codesEl, countEl), list.el, errorEl),
    h('div', { class: 'right' }, h('div', { class: 'tabs', attrs: { role: 'tablist' } }, tabRecords, tabQuality), recordsPane, qualityEl),
  ),
);

function sendFilter(filter: InspectorFilter): void {
  dispatch([{ type: 'draft', filter }]);
  messenger.post({ type: 'filter', filter });
}

function select(index: number): void {
  dispatch([{ type: 'select', index }]);
  messenger.post({ type: 'select', index });
}

function selectedPosition(): number | null {
  if (state.selected === null) return null;
  for (const [k, r] of Object.entries(state.rows)) if (r.index === state.selected) return Number(k);
  return null;
}

function renderRow(el: HTMLElement, position: number): void {
  const row = state.rows[position];
  el.classList.toggle('selected', row !== undefined && row.index === state.selected);
  if (!row) {
    el.dataset.index = '';
    replace(el, h('span', { class: 'num' }, String(position + 1)), h('span', { class: 'muted' }, '…'));
    return;
  }
  el.dataset.index = String(row.index);
  el.onclick = () => select(row.index);
  const marker = row.severity === 1 ? '● ' : row.severity === 2 ? '▲ ' : '';
  replace(el, h('span', { class: 'num' }, String(row.index + 1)), marker ? h('span', { class: `sev${row.severity}`, title: row.codes.join(', ') }, marker) : null, row.preview);
}

let drawn: { rows: InspectorState['rows'] | null; count: number; selected: number | null } = { rows: null, count: -1, selected: null };
let drawnRecord: RecordDetail | null | undefined;
let drawnStats: unknown = undefined;
let drawnQuality: unknown = undefined;

function dispatch(actions: InspectorAction[]): void {
  for (const a of actions) state = reduce(state, a);
  render();
}

function render(): void {
  if (state.file) {
    title.textContent = state.file.name;
    title.title = state.file.path;
    messenger.save({ path: state.file.path });
  }
  const ix = state.index;
  const ck = state.check;
  statusEl.textContent = [
    ix ? (ix.finished ? `${ix.records.toLocaleString()} records` : `indexing ${pct(ix.done, ix.total)} (${ix.records.toLocaleString()} records so far)`) : 'opening…',
    ck ? (ck.finished ? 'checked' : `checking ${pct(ck.done, ck.total)}`) : '',
    state.file && !state.file.trusted ? 'restricted mode: loss mask off' : '',
  ]
    .filter(Boolean)
    .join(' · ');
  countEl.textContent = `${state.view.count.toLocaleString()} ${state.view.filter.search || state.view.filter.codes.length ? 'matching ' : ''}record${state.view.count === 1 ? '' : 's'}${state.view.complete ? '' : ' (still reading)'}`;
  errorEl.textContent = state.error ?? '';
  if (search.value !== state.draft.search && document.activeElement !== search) search.value = state.draft.search;
  if (drawn.rows !== state.rows || drawn.count !== state.view.count || drawn.selected !== state.selected) {
    drawn = { rows: state.rows, count: state.view.count, selected: state.selected };
    list.setCount(state.view.count);
  }
  if (drawnRecord !== state.record) {
    drawnRecord = state.record;
    renderRecord();
  }
  if (drawnStats !== state.stats) {
    drawnStats = state.stats;
    renderCodes();
    replace(statsEl, ...(state.stats ? statsView(state.stats, (index) => select(index), histogramView) : []));
  }
  recordsPane.hidden = state.tab !== 'records';
  qualityEl.hidden = state.tab !== 'quality';
  tabRecords.classList.toggle('active', state.tab === 'records');
  tabQuality.classList.toggle('active', state.tab === 'quality');
  const flagged = state.quality ? state.quality.findings.reduce((n, g) => n + g.count, 0) : 0;
  tabQuality.textContent = state.quality ? `Quality${flagged ? ` (${flagged.toLocaleString()})` : ''}` : 'Quality';
  if (drawnQuality !== state.quality) {
    drawnQuality = state.quality;
    replace(
      qualityEl,
      ...(state.quality
        ? qualityView(state.quality, { select: (index) => select(index), reveal: (index) => messenger.post({ type: 'reveal', index }) })
        : [h('p', { class: 'muted' }, 'The quality report (task types, phrasing, lengths, languages, near-duplicates, refusals, truncated answers…) appears when the check pass has read the whole file.')]),
    );
  }
}

const pct = (done: number, total: number) => `${total > 0 ? Math.floor((100 * done) / total) : 0} %`;

function renderCodes(): void {
  const codes = [{ code: 'ok', severity: 0, count: NaN }, ...(state.stats?.codes ?? [])];
  if (!state.stats) {
    replace(codesEl);
    return;
  }
  replace(
    codesEl,
    h('span', { class: 'muted' }, 'Show: '),
    ...codes.map((c) => {
      const box = h('input', { attrs: { type: 'checkbox', 'data-code': c.code } });
      box.checked = state.draft.codes.includes(c.code);
      box.addEventListener('change', () => {
        const codes = box.checked ? [...state.draft.codes, c.code] : state.draft.codes.filter((x) => x !== c.code);
        sendFilter({ search: state.draft.search, codes });
      });
      return h('label', { title: c.code === 'ok' ? 'records without any diagnostic' : c.code }, box, c.code === 'ok' ? 'no problems' : `${c.code} (${c.count})`);
    }),
  );
}

function renderRecord(): void {
  const r = state.record;
  if (state.selected === null) {
    replace(detailEl, h('p', { class: 'muted' }, 'Select a record to see its conversation and which tokens are trained.'));
    return;
  }
  if (!r) {
    replace(detailEl, h('p', { class: 'muted' }, `Loading record ${state.selected + 1}…`));
    return;
  }
  const reveal = h('vscode-button', { attrs: { secondary: true, id: 'reveal' } }, 'Open in editor');
  reveal.addEventListener('click', () => messenger.post({ type: 'reveal', index: r.index }));
  replace(
    detailEl,
    h('div', { class: 'row' }, h('h2', { class: 'grow' }, `Record ${r.index + 1} · line ${r.line + 1}`), reveal),
    r.diagnostics.length
      ? h('div', { attrs: { id: 'diagnostics' } }, ...r.diagnostics.map((d) => h('div', { class: `diag ${d.severity === 1 ? 'error' : d.severity === 2 ? 'warning' : 'muted'}` }, `${d.code}: ${d.message}`)))
      : h('div', { class: 'muted' }, 'No problems found in this record.'),
    h('h3', null, 'Conversation'),
    r.messages ? messagesView(r.messages) : h('p', { class: 'muted' }, 'Not a conversation Tunelab can read (see the raw record below).'),
    h('h3', null, 'Loss mask'),
    maskView(r.mask),
    h('details', null, h('summary', null, `Raw record${r.rawTruncated ? ' (first 256 KiB)' : ''}`), h('pre', { class: 'raw mono' }, r.raw)),
  );
}

render();
messenger.ready();
