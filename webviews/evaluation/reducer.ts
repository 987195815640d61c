/**
 * The eval-results panel's state and its pure reducer: the host's report (or why there is none)
 * and the page's own choice of which task's generations to show.
 */
import type { AnyEvalReport } from '../../common/eval/report';
import type { HostToEvaluation } from '../../common/protocol/webview';
import { evalView, type EvalView } from './view';

export interface EvaluationState {
  path: string | null;
  report: AnyEvalReport | null;
  view: EvalView | null;
  error: string | null;
  /** The task whose generations are shown (kept across reloads of the same file when it still exists). */
  sampleTask: string | null;
  /** The host has sent something. */
  received: boolean;
}

export type EvaluationAction = HostToEvaluation | { type: 'selectTask'; task: string };

export const initialEvaluationState = (saved?: { sampleTask?: string | null }): EvaluationState => ({
  path: null,
  report: null,
  view: null,
  error: null,
  sampleTask: saved?.sampleTask ?? null,
  received: false,
});

export function reduceEvaluation(s: EvaluationState, a: EvaluationAction): EvaluationState {
  switch (a.type) {
    case 'report': {
      const view = evalView(a.report);
      const tasks = [...view.samples.keys()];
      const sampleTask = s.sampleTask !== null && view.samples.has(s.sampleTask) ? s.sampleTask : (tasks[0] ?? null);
      return { path: a.path, report: a.report, view, error: null, sampleTask, received: true };
    }
    case 'error':
      return { ...s, path: a.path, report: null, view: null, error: a.message, received: true };
    case 'selectTask':
      return s.view?.samples.has(a.task) ? { ...s, sampleTask: a.task } : s;
  }
}
