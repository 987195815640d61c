/**
 * Extension bundle sizes (production build, what the .vsix ships) and the time to load the
 * extension bundle, the part of activation that grows with the bundle. Load time is measured in
 * fresh Node processes (median of 7) that require dist/client/extension.cjs with a stand-in for
 * the `vscode` module (the editor provides it; only module evaluation is timed, activate() is not
 * called). Peer in the same run: loading vscode-languageclient/node alone, the floor for any
 * extension with a language client. Activation in a real VS Code is measured by the end-to-end
 * suite (e2e-out/report.json: activationMs, activateLog).
 *
 * Run: npm run bench -- extension
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

const root = join(import.meta.dirname, '..');
execFileSync(process.execPath, [join(root, 'scripts', 'build.mjs'), '--production', '--quiet'], { cwd: root, stdio: 'inherit' });

const files = ['dist/client/extension.cjs', 'dist/server/server.cjs', 'dist/cli/tunelab.mjs', ...readdirSync(join(root, 'dist', 'webviews')).filter((f) => f.endsWith('.js')).map((f) => `dist/webviews/${f}`), ...readdirSync(join(root, 'dist', 'wasm')).map((f) => `dist/wasm/${f}`)];
console.log('bundle sizes (production build):');
let total = 0;
for (const f of files) {
  const buf = readFileSync(join(root, f));
  total += buf.length;
  console.log(`  ${f.padEnd(44)} ${(statSync(join(root, f)).size / 1024).toFixed(0).padStart(6)} KiB  (gzip ${(gzipSync(buf).length / 1024).toFixed(0)} KiB)`);
}
console.log(`  total ${(total / 1024 / 1024).toFixed(2)} MiB`);

/** Milliseconds to evaluate a module in a fresh process, with `vscode` stubbed. */
function loadMs(target: string): number {
  const script = `
const Module = require('module');
const orig = Module._load;
const stub = new Proxy(function () {}, { get: (t, k) => (k === '__esModule' ? false : stub), apply: () => stub, construct: () => stub });
Module._load = function (req, ...rest) { return req === 'vscode' ? stub : orig.call(this, req, ...rest); };
const t = performance.now();
require(${JSON.stringify(target)});
process.stdout.write(String(performance.now() - t));`;
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', cwd: root });
  if (r.status !== 0) throw new Error(r.stderr);
  return Number(r.stdout);
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const ours = median(Array.from({ length: 7 }, () => loadMs(join(root, 'dist', 'client', 'extension.cjs'))));
const peer = median(Array.from({ length: 7 }, () => loadMs(join(root, 'node_modules', 'vscode-languageclient', 'node.js'))));
console.log(`load dist/client/extension.cjs: median ${ours.toFixed(1)} ms; peer, vscode-languageclient/node alone: ${peer.toFixed(1)} ms; ratio ${(ours / peer).toFixed(2)}`);
