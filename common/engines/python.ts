/**
 * Which Python interpreter trains: the one the user names (`--python`, the `tunelab.python`
 * setting), else the first that exists of, in the order VS Code's Python extension prefers them:
 * a virtual environment in the workspace (.venv, venv, env), the active `$VIRTUAL_ENV`, the active
 * `$CONDA_PREFIX`, conda's named environments, then `python3` / `python` on PATH. Pure: the file
 * system is a parameter.
 */
import { join } from 'node:path';

export interface PythonSearch {
  /** --python, else the tunelab.python setting ('' when unset). */
  explicit?: string;
  /** Workspace folders, then the config's folder. */
  folders: readonly string[];
  env: Record<string, string | undefined>;
  platform: NodeJS.Platform;
  /** Conda environment folders (~/.conda/environments.txt, ~/miniconda3/envs/*), already listed by the caller. */
  condaEnvs?: readonly string[];
  isFile(path: string): boolean;
}

export interface PythonChoice {
  /** A path, or a bare command name resolved on PATH. */
  command: string;
  /** Why this one (shown in the run's log). */
  source: string;
}

const binOf = (prefix: string, win: boolean) => (win ? join(prefix, 'Scripts', 'python.exe') : join(prefix, 'bin', 'python'));
const condaBin = (prefix: string, win: boolean) => (win ? join(prefix, 'python.exe') : join(prefix, 'bin', 'python'));

export function findPython(s: PythonSearch): PythonChoice {
  const win = s.platform === 'win32';
  if (s.explicit && s.explicit.trim()) return { command: s.explicit.trim(), source: 'as configured' };
  for (const f of s.folders) {
    for (const name of ['.venv', 'venv', 'env']) {
      const p = binOf(join(f, name), win);
      if (s.isFile(p)) return { command: p, source: `the workspace environment ${join(f, name)}` };
    }
  }
  if (s.env.VIRTUAL_ENV) {
    const p = binOf(s.env.VIRTUAL_ENV, win);
    if (s.isFile(p)) return { command: p, source: '$VIRTUAL_ENV' };
  }
  if (s.env.CONDA_PREFIX) {
    const p = condaBin(s.env.CONDA_PREFIX, win);
    if (s.isFile(p)) return { command: p, source: '$CONDA_PREFIX' };
  }
  for (const e of s.condaEnvs ?? []) {
    const p = condaBin(e, win);
    if (s.isFile(p)) return { command: p, source: `the conda environment ${e}` };
  }
  return { command: win ? 'python' : 'python3', source: 'PATH' };
}
