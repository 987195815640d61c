/** Keys that differ between runs by nature and say nothing about the setup. */
const IGNORED = new Set(['output_dir', 'run_id', 'resume_from_checkpoint']);

/** Flattens a config to dotted keys (`datasets.0.path`); arrays of scalars stay one value. */
export function flatten(value: unknown, prefix = '', out: Map<string, string> = new Map()): Map<string, string> {
  if (value !== null && typeof value === 'object') {
    const scalarArray = Array.isArray(value) && value.every((v) => v === null || typeof v !== 'object');
    if (scalarArray) out.set(prefix, JSON.stringify(value));
    else for (const [k, v] of Object.entries(value)) flatten(v, prefix ? `${prefix}.${k}` : k, out);
  } else if (prefix) {
    out.set(prefix, value === undefined ? '—' : typeof value === 'string' ? value : JSON.stringify(value));
  }
  return out;
}

/** One config key whose value is not the same in every run (`—`: not set in that run). */
export interface ConfigDifference {
  key: string;
  values: string[];
}

/** The keys whose values differ between the configs, sorted; what a comparison of runs is about. */
export function configDiff(configs: readonly Record<string, unknown>[]): ConfigDifference[] {
  if (configs.length < 2) return [];
  const flat = configs.map((c) => flatten(c));
  const keys = new Set<string>();
  for (const f of flat) for (const k of f.keys()) if (!IGNORED.has(k.split('.')[0]!)) keys.add(k);
  const out: ConfigDifference[] = [];
  for (const key of [...keys].sort()) {
    const values = flat.map((f) => f.get(key) ?? '—');
    if (values.some((v) => v !== values[0])) out.push({ key, values });
  }
  return out;
}
