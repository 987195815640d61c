/**
 * Glob matching for `tunelab.configFiles`, following VS Code's `files.associations` habit: a
 * pattern without a slash matches the file name anywhere (`*.train.yaml`), one with a slash
 * matches the path relative to a workspace root (`configs/**\/*.yml`) or, when absolute, the whole
 * path. Supports `*`, `**`, `?`, `{a,b}` and `[...]`. Paths use forward slashes.
 */
import { isAbsolute, relative, sep } from 'node:path';

const cache = new Map<string, RegExp | null>();

/** Compiles one glob to an anchored RegExp; null when the pattern is malformed. */
export function globToRegExp(glob: string): RegExp | null {
  const hit = cache.get(glob);
  if (hit !== undefined) return hit;
  let re = '';
  let braces = 0;
  let ok = true;
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*') {
      if (glob[i + 1] === '*') {
        // `**/` matches zero or more folders; a trailing `**` matches everything below.
        const slash = glob[i + 2] === '/';
        re += slash ? '(?:[^/]*/)*' : '.*';
        i += slash ? 2 : 1;
      } else re += '[^/]*';
    } else if (c === '?') re += '[^/]';
    else if (c === '{') {
      braces++;
      re += '(?:';
    } else if (c === '}' && braces > 0) {
      braces--;
      re += ')';
    } else if (c === ',' && braces > 0) re += '|';
    else if (c === '[') {
      const end = glob.indexOf(']', i + 1);
      if (end < 0) {
        ok = false;
        break;
      }
      const body = glob.slice(i + 1, end).replace(/^!/, '^').replace(/\\/g, '\\\\');
      re += `[${body}]`;
      i = end;
    } else re += c.replace(/[.+^$()|\\/]/g, (m) => `\\${m}`);
  }
  const compiled = ok && braces === 0 ? new RegExp(`^${re}$`) : null;
  if (cache.size > 500) cache.clear();
  cache.set(glob, compiled);
  return compiled;
}

const slashes = (p: string) => (sep === '/' ? p : p.split(sep).join('/'));

/** True when the file at `fsPath` matches any pattern, given the workspace roots. */
export function matchesAnyGlob(fsPath: string, globs: readonly string[], roots: readonly string[]): boolean {
  if (globs.length === 0) return false;
  const abs = slashes(fsPath);
  const base = abs.slice(abs.lastIndexOf('/') + 1);
  const rels = roots
    .map((r) => slashes(relative(r, fsPath)))
    .filter((r) => r !== '' && !r.startsWith('../') && !isAbsolute(r));
  for (const g of globs) {
    const pattern = slashes(g.trim()).replace(/^\.\//, '');
    const re = globToRegExp(pattern);
    if (!re) continue;
    if (!pattern.includes('/')) {
      if (re.test(base)) return true;
    } else if (pattern.startsWith('/') ? re.test(abs) : rels.some((r) => re.test(r)) || (pattern.startsWith('**/') && re.test(abs))) {
      return true;
    }
  }
  return false;
}
