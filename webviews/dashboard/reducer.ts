import type { HostToDashboard, RunSummary } from '../../common/protocol/webview';
import { appendBatch, type RunSeries } from './series';

/** What the dashboard shows; changed only by {@link reduce}. */
export interface DashboardState {
  runs: RunSummary[];
  series: Readonly<Record<string, RunSeries>>;
  /** Runs drawn (overlaid), in the order they were picked. */
  selected: string[];
  /** True once the user picked runs: new runs no longer replace the selection. */
  userPicked: boolean;
  /** EMA weight of the smoothed loss, 0 (raw) to 0.99. */
  smoothing: number;
  logScale: boolean;
  /** Bumped whenever a drawn run's points change: charts redraw only then. */
  dataVersion: number;
}

/** Actions from the page itself (controls), reduced like host messages. */
export type DashboardAction =
  | HostToDashboard
  | { type: 'toggleRun'; id: string }
  | { type: 'smoothing'; value: number }
  | { type: 'logScale'; value: boolean };

/** The part of the state the page saves across reloads (the data comes back from the host). */
export interface DashboardSaved {
  selected: string[];
  userPicked: boolean;
  smoothing: number;
  logScale: boolean;
}

export function initialState(saved?: Partial<DashboardSaved>): DashboardState {
  return {
    runs: [],
    series: {},
    selected: Array.isArray(saved?.selected) ? saved.selected.filter((s) => typeof s === 'string') : [],
    userPicked: saved?.userPicked === true,
    smoothing: typeof saved?.smoothing === 'number' && saved.smoothing >= 0 && saved.smoothing < 1 ? saved.smoothing : 0.6,
    logScale: saved?.logScale === true,
    dataVersion: 0,
  };
}

export function saved(s: DashboardState): DashboardSaved {
  return { selected: s.selected, userPicked: s.userPicked, smoothing: s.smoothing, logScale: s.logScale };
}

export function reduce(state: DashboardState, action: DashboardAction): DashboardState {
  switch (action.type) {
    case 'runs': {
      const ids = new Set(action.runs.map((r) => r.id));
      let selected = state.selected.filter((id) => ids.has(id));
      const focus = action.focus !== null && ids.has(action.focus) ? action.focus : null;
      if (focus && !selected.includes(focus)) selected = state.userPicked ? [...selected, focus] : [focus];
      if (selected.length === 0 && action.runs.length > 0) selected = [action.runs[0]!.id];
      const changed = selected.length !== state.selected.length || selected.some((id, i) => id !== state.selected[i]);
      return { ...state, runs: action.runs, selected, dataVersion: changed ? state.dataVersion + 1 : state.dataVersion };
    }
    case 'metrics': {
      if (action.batches.length === 0) return state;
      const series: Record<string, RunSeries> = { ...state.series };
      let touched = false;
      for (const b of action.batches) {
        series[b.runId] = appendBatch(series[b.runId], b);
        if (state.selected.includes(b.runId)) touched = true;
      }
      return { ...state, series, dataVersion: touched ? state.dataVersion + 1 : state.dataVersion };
    }
    case 'toggleRun': {
      if (!state.runs.some((r) => r.id === action.id)) return state;
      const selected = state.selected.includes(action.id) ? state.selected.filter((id) => id !== action.id) : [...state.selected, action.id];
      return { ...state, selected, userPicked: true, dataVersion: state.dataVersion + 1 };
    }
    case 'smoothing': {
      const value = Math.min(Math.max(action.value, 0), 0.99);
      return value === state.smoothing ? state : { ...state, smoothing: value, dataVersion: state.dataVersion + 1 };
    }
    case 'logScale':
      return action.value === state.logScale ? state : { ...state, logScale: action.value, dataVersion: state.dataVersion + 1 };
  }
}
