import { existsSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';

/**
 * Where a local dataset path in a config points. Axolotl resolves relative paths against wherever
 * it is launched, so Tunelab tries, in order: the config file's folder, each workspace root, then
 * (CLI and trainer) the working directory. The first that exists wins; when none does, the first
 * candidate is returned with `exists: false`. The language server, the CLI and the trainer all use
 * this one rule.
 */
export interface PathBases {
  configDir?: string;
  workspaceRoots?: readonly string[];
  cwd?: string;
}

export interface ResolvedPath {
  path: string;
  exists: boolean;
  candidates: string[];
}

export function resolveLocalPath(p: string, bases: PathBases, exists: (p: string) => boolean = existsSync): ResolvedPath {
  const expanded = p.startsWith('~/') && process.env.HOME ? join(process.env.HOME, p.slice(2)) : p;
  const candidates = isAbsolute(expanded)
    ? [expanded]
    : [bases.configDir, ...(bases.workspaceRoots ?? []), bases.cwd]
        .filter((b): b is string => typeof b === 'string' && b.length > 0)
        .map((b) => resolve(b, expanded));
  const unique = [...new Set(candidates)];
  for (const c of unique) if (exists(c)) return { path: c, exists: true, candidates: unique };
  return { path: unique[0] ?? expanded, exists: false, candidates: unique };
}
