/**
 * A one-line summary of each run in an events.jsonl text (for `tunelab runs list`): the same
 * fold as the editor's run tracker, reduced to what a table shows.
 */
import { parseEvent } from '../protocol/events';

export interface RunLine {
  runId: string;
  status: 'running' | 'completed' | 'stopped' | 'failed';
  backend: string;
  method: string;
  step: number;
  totalSteps: number;
  loss: number | null;
  evalLoss: number | null;
  started: string;
  configPath: string;
  outputDir: string;
  checkpoint: string | null;
}

export function summarizeEvents(text: string): RunLine[] {
  const runs = new Map<string, RunLine>();
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const e = parseEvent(line);
    if ('error' in e) continue;
    let r = runs.get(e.run_id);
    if (!r) {
      r = { runId: e.run_id, status: 'running', backend: '', method: '', step: 0, totalSteps: 0, loss: null, evalLoss: null, started: e.time, configPath: '', outputDir: '', checkpoint: null };
      runs.set(e.run_id, r);
    }
    switch (e.type) {
      case 'run_start':
        Object.assign(r, { status: 'running', backend: e.backend, method: e.method, totalSteps: e.total_steps, configPath: e.config_path, outputDir: e.output_dir });
        break;
      case 'step':
        r.step = e.step;
        r.loss = e.loss;
        break;
      case 'eval':
        r.evalLoss = e.eval_loss;
        break;
      case 'checkpoint':
        r.checkpoint = e.path;
        break;
      case 'done':
        r.status = e.status;
        r.step = Math.max(r.step, e.step);
        break;
      case 'error':
        r.status = 'failed';
        break;
    }
  }
  return [...runs.values()];
}
