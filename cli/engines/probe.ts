/**
 * Runs the environment probe (common/engines PROBE_SCRIPT) with the chosen interpreter.
 */
import { spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { parseProbe, PROBE_SCRIPT, type EnvProbe } from '../../common/engines/index';

export function runProbe(python: string, env: NodeJS.ProcessEnv, timeoutMs = 120_000): EnvProbe | { error: string } {
  const r = spawnSync(python, ['-c', PROBE_SCRIPT], { env, encoding: 'utf8', timeout: timeoutMs, maxBuffer: 4 << 20 });
  if (r.error) {
    const code = (r.error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { error: `no Python interpreter at '${python}' (set tunelab.python or pass --python)` };
    if (code === 'ETIMEDOUT') return { error: `the interpreter '${python}' did not answer within ${timeoutMs / 1000} s` };
    // --python pointed at a folder or a data file: say so rather than echo spawn's EACCES.
    if (code === 'EACCES') {
      let folder = false;
      try {
        folder = statSync(python).isDirectory();
      } catch {
        // gone meanwhile: the generic message below
      }
      return { error: folder ? `'${python}' is a folder, not a Python interpreter (point --python / tunelab.python at its bin/python)` : `'${python}' is not executable: not a Python interpreter` };
    }
    return { error: `could not run '${python}': ${r.error.message}` };
  }
  const parsed = parseProbe(r.stdout ?? '');
  if ('error' in parsed) {
    const tail = `exit ${r.status ?? r.signal}${r.stderr?.trim() ? `: ${r.stderr.trim().split('\n').at(-1)}` : ''}`;
    return { error: `'${python}' did not answer as a Python interpreter: ${parsed.error} (${tail})` };
  }
  return parsed;
}
