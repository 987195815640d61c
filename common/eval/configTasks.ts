/**
 * The config keys for benchmarks (schema in common/config/schema/keysTunelab.ts):
 *   eval_tasks: mmlu,arc_easy            # a comma-separated string, or a list of
 *   eval_tasks:                          #   names and { task, data, limit, num_fewshot }
 *     - arc_easy
 *     - { task: pirate, data: evals/pirate.yaml, limit: 200 }
 *   eval_tasks_every: 2                  # also after every 2nd evaluation during training
 * Paths in `data` are resolved against the config's folder by the caller.
 */
import type { EvalTaskSpec } from './tasks';

export interface ConfigEvalTasks {
  tasks: EvalTaskSpec[];
  every: number | null;
}

/** Reads eval_tasks / eval_tasks_every from a parsed config; null when there are none. Invalid shapes are skipped here (the config validator reports them). */
export function configEvalTasks(config: Record<string, unknown>, resolvePath: (p: string) => string): ConfigEvalTasks | null {
  const raw = config.eval_tasks;
  const tasks: EvalTaskSpec[] = [];
  const entries: unknown[] = typeof raw === 'string' ? raw.split(',').map((s) => s.trim()).filter((s) => s.length > 0) : Array.isArray(raw) ? raw : [];
  for (const e of entries) {
    if (typeof e === 'string' && e.trim()) {
      const name = e.trim();
      tasks.push({ task: /\.(ya?ml|txt|jsonl|json|parquet)$/i.test(name) ? resolvePath(name) : name });
    } else if (typeof e === 'object' && e !== null && typeof (e as { task?: unknown }).task === 'string') {
      const o = e as Record<string, unknown>;
      const spec: EvalTaskSpec = { task: o.task as string };
      if (typeof o.data === 'string') spec.data = resolvePath(o.data);
      if (Number.isInteger(o.limit) && (o.limit as number) > 0) spec.limit = o.limit as number;
      if (Number.isInteger(o.num_fewshot) && (o.num_fewshot as number) >= 0) spec.numFewshot = o.num_fewshot as number;
      tasks.push(spec);
    }
  }
  if (tasks.length === 0) return null;
  const every = Number.isInteger(config.eval_tasks_every) && (config.eval_tasks_every as number) > 0 ? (config.eval_tasks_every as number) : null;
  return { tasks, every };
}
