#!/usr/bin/env node
// `npm run package`: builds the production bundles and writes tunelab.vsix in the repo root with
// @vscode/vsce. vsce runs on a staging copy of exactly what the .vsix ships (see .vscodeignore),
// so a build running meanwhile in the same tree cannot change a file while it is zipped, and
// each bundle is checked to parse before it is packed.
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'tunelab.vsix');
execFileSync(process.execPath, [join(root, 'scripts', 'build.mjs'), '--production', '--quiet'], { cwd: root, stdio: 'inherit' });

const stage = mkdtempSync(join(tmpdir(), 'tunelab-vsix-'));
try {
  const shipped = ['package.json', 'README.md', 'LICENSE', '.vscodeignore', 'dist/client', 'dist/server', 'dist/cli', 'dist/webviews', 'dist/wasm', 'syntaxes', 'bin', 'python'];
  for (const p of shipped) {
    try {
      statSync(join(root, p));
    } catch {
      continue;
    }
    mkdirSync(dirname(join(stage, p)), { recursive: true });
    cpSync(join(root, p), join(stage, p), { recursive: true, filter: (src) => !src.endsWith('.map') && !relative(root, src).includes('test') });
  }
  // The repository has no public URL to resolve relative links against: the packed README names
  // its screenshots and linked documents instead of linking them (vsce refuses relative links).
  const readme = join(stage, 'README.md');
  const packedReadme = readFileSync(readme, 'utf8')
    .replace(/!\[([^\]]*)\]\((?!https?:|#)([^)]+)\)/g, '*($1: $2 in the repository)*')
    .replace(/\[([^\]]*)\]\((?!https?:|#)([^)]+)\)/g, (_, text, target) => (text === target ? `\`${target}\`` : `${text} (\`${target}\` in the repository)`));
  writeFileSync(readme, packedReadme);
  // A bundle copied while another build rewrote it would not parse: refuse to pack it.
  const bundles = readdirSync(join(stage, 'dist'), { recursive: true }).map(String).filter((f) => /\.(c|m)?js$/.test(f));
  for (const f of bundles) {
    const r = spawnSync(process.execPath, ['--check', join(stage, 'dist', f)], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`dist/${f} does not parse (a concurrent build?): ${r.stderr.split('\n')[0]}`);
  }
  const vsce = join(root, 'node_modules', '@vscode', 'vsce', 'vsce');
  const r = spawnSync(process.execPath, [vsce, 'package', '--no-dependencies', '--allow-missing-repository', '--skip-license', '-o', out], { cwd: stage, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
  console.error(`tunelab.vsix: ${(statSync(out).size / 1024 / 1024).toFixed(2)} MiB`);
} finally {
  rmSync(stage, { recursive: true, force: true });
}
