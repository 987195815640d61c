#!/usr/bin/env node
// Runs the benchmarks: every `bench/*.ts` file (not helpers in sub-folders, nor files whose name
// starts with `_`, which are scratch or shared helpers), one after another so
// they do not disturb each other's timings, each in its own Node process with TypeScript loaded
// through tsx. Arguments narrow the run to files whose name contains one of them, e.g.
// `npm run bench -- lsp`. Exit code: 1 when any benchmark fails.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(fileURLToPath(import.meta.url), '..', '..');
const dir = join(root, 'bench');
const all = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts') && !f.startsWith('_')).sort() : [];
const filters = process.argv.slice(2);
const chosen = all.filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)));
if (chosen.length === 0) {
  console.error(filters.length ? `no benchmark matched ${filters.join(', ')}` : 'no benchmarks in bench/');
  process.exit(1);
}
let failed = 0;
for (const f of chosen) {
  console.log(`\n## bench/${f}\n`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', join('bench', f)], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    failed++;
    console.error(`bench/${f} failed (exit ${r.status ?? r.signal})`);
  }
}
process.exit(failed ? 1 : 0);
