import type { DatasetFileInfo, DatasetStats, HostToInspector, InspectorFilter, RecordDetail, RowSummary } from '../../common/protocol/webview';
import type { QualityReport } from '../../common/dataset/quality/types';

/** Rows kept per view; older windows far from the newest are dropped (the host can resend them). */
export const ROW_CACHE = 3000;

export interface Progress {
  done: number;
  total: number;
  records: number;
  finished: boolean;
}

/** What the inspector shows; changed only by {@link reduce}. */
export interface InspectorState {
  file: DatasetFileInfo | null;
  index: Progress | null;
  check: Progress | null;
  view: { viewId: number; count: number; complete: boolean; filter: InspectorFilter };
  /** Rows of the current view by position in the view. */
  rows: Readonly<Record<number, RowSummary>>;
  /** The record whose detail is shown (0-based record index). */
  selected: number | null;
  record: RecordDetail | null;
  stats: DatasetStats | null;
  error: string | null;
  /** The filter as the user is editing it (sent to the host, which answers with a view). */
  draft: InspectorFilter;
  /** The quality report, once the check pass has finished. */
  quality: QualityReport | null;
  /** What the right-hand pane shows: the selected record and file statistics, or the quality report. */
  tab: InspectorTab;
}

export type InspectorTab = 'records' | 'quality';

/** Actions from the page's own controls. */
export type InspectorAction = HostToInspector | { type: 'select'; index: number } | { type: 'draft'; filter: InspectorFilter } | { type: 'tab'; tab: InspectorTab };

export function initialState(): InspectorState {
  return {
    file: null,
    index: null,
    check: null,
    view: { viewId: 0, count: 0, complete: false, filter: { search: '', codes: [] } },
    rows: {},
    selected: null,
    record: null,
    stats: null,
    error: null,
    draft: { search: '', codes: [] },
    quality: null,
    tab: 'records',
  };
}

export function reduce(state: InspectorState, a: InspectorAction): InspectorState {
  switch (a.type) {
    case 'file':
      // A new file (or the same one after a reload): start over, keeping nothing of the old one.
      // The same file after a reload keeps the user's filter draft and tab.
      return {
        ...initialState(),
        file: a.file,
        draft: state.file?.path === a.file.path ? state.draft : { search: '', codes: [] },
        tab: state.file?.path === a.file.path ? state.tab : 'records',
      };
    case 'progress': {
      const p: Progress = { done: a.done, total: a.total, records: a.records, finished: a.finished };
      return a.phase === 'index' ? { ...state, index: p } : { ...state, check: p };
    }
    case 'view': {
      if (a.viewId < state.view.viewId) return state;
      const same = a.viewId === state.view.viewId;
      // Rows of the same view stay valid except those past a shrunken count (the filter is re-applied after checks).
      const rows = same && a.count >= state.view.count ? state.rows : same ? keepBelow(state.rows, a.count) : {};
      return { ...state, view: { viewId: a.viewId, count: a.count, complete: a.complete, filter: a.filter }, rows };
    }
    case 'rows': {
      if (a.viewId !== state.view.viewId) return state;
      const rows: Record<number, RowSummary> = { ...state.rows };
      a.rows.forEach((r, k) => {
        rows[a.start + k] = r;
      });
      return { ...state, rows: trim(rows, a.start) };
    }
    case 'record':
      // A late answer for a record no longer selected is dropped.
      if (state.selected !== null && a.record.index !== state.selected) return state;
      return { ...state, selected: a.record.index, record: a.record };
    case 'stats':
      return { ...state, stats: a.stats };
    case 'error':
      return { ...state, error: a.message };
    case 'select':
      // Choosing a record (in the list, or a link in the quality report) shows it.
      if (a.index === state.selected) return state.tab === 'records' ? state : { ...state, tab: 'records' };
      return { ...state, selected: a.index, record: null, tab: 'records' };
    case 'quality':
      return { ...state, quality: a.quality };
    case 'tab':
      return a.tab === state.tab ? state : { ...state, tab: a.tab };
    case 'draft':
      return { ...state, draft: a.filter };
  }
}

function keepBelow(rows: Readonly<Record<number, RowSummary>>, count: number): Record<number, RowSummary> {
  const out: Record<number, RowSummary> = {};
  for (const [k, v] of Object.entries(rows)) if (Number(k) < count) out[Number(k)] = v;
  return out;
}

/** Keeps at most {@link ROW_CACHE} rows, dropping those farthest from `around`. */
function trim(rows: Record<number, RowSummary>, around: number): Record<number, RowSummary> {
  const keys = Object.keys(rows).map(Number);
  if (keys.length <= ROW_CACHE) return rows;
  keys.sort((a, b) => Math.abs(a - around) - Math.abs(b - around));
  const out: Record<number, RowSummary> = {};
  for (const k of keys.slice(0, ROW_CACHE)) out[k] = rows[k]!;
  return out;
}

/** Which rows a list showing [first, last] should ask for: null when it has them all. */
export function missingWindow(state: InspectorState, first: number, last: number, margin: number, max: number): { start: number; count: number } | null {
  const end = Math.min(state.view.count - 1, last);
  let missing = false;
  for (let r = Math.max(0, first); r <= end; r++) {
    if (!state.rows[r]) {
      missing = true;
      break;
    }
  }
  if (!missing) return null;
  const start = Math.max(0, first - margin);
  return { start, count: Math.min(max, Math.min(state.view.count, end + margin + 1) - start) };
}
