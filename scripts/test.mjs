#!/usr/bin/env node
// Runs every unit and protocol test (`**/test/**/*.test.ts`, outside e2e/) with Node's built-in
// test runner, TypeScript loaded through tsx. Arguments narrow the run to paths that start with
// them, e.g. `node scripts/test.mjs common/test/config`.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(fileURLToPath(import.meta.url), '..', '..');
const skip = new Set(['node_modules', 'dist', '.git', 'e2e', '.code-server', 'e2e-out', 'out']);
const files = [];
const walk = (dir) => {
  for (const name of readdirSync(dir)) {
    if (skip.has(name)) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p);
    else if (name.endsWith('.test.ts') && p.split(sep).includes('test')) files.push(relative(root, p));
  }
};
walk(root);
const filters = process.argv.slice(2);
const chosen = files.filter((f) => filters.length === 0 || filters.some((x) => f.startsWith(x))).sort();
if (chosen.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}
const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=2', ...chosen], { cwd: root, stdio: 'inherit' });
process.exit(r.status ?? 1);
