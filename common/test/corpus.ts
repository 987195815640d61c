/**
 * The shared public corpus (../shared/corpus beside the repository root), for tests and benchmarks
 * that check Tunelab against files nobody on the team wrote. A fresh clone has none: callers skip
 * with the message `missingCorpus(dir)` gives.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const corpusRoot = fileURLToPath(new URL('../../../shared/corpus', import.meta.url));
export const axolotlExamples = join(corpusRoot, 'axolotl-examples');

/** False when `dir` exists, else the skip message. */
export function missingCorpus(dir: string): string | false {
  try {
    if (statSync(dir).isDirectory()) return false;
  } catch {
    // absent
  }
  return `no corpus at ${dir} (a fresh clone has no ../shared)`;
}

/** Every file below `dir` whose name matches `pattern`, sorted. */
export function filesUnder(dir: string, pattern: RegExp): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...filesUnder(p, pattern));
    else if (pattern.test(name)) out.push(p);
  }
  return out.sort();
}

export const YAML_FILE = /\.ya?ml$/;
