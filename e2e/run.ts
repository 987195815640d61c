/**
 * End-to-end tests in a real VS Code: code-server 4.100.3 (installed by e2e/install.sh) driven
 * by Debian's headless chromium through playwright-core. Packages the extension as a .vsix,
 * installs it into a fresh profile, opens a workspace copied from examples/ (plus the fixtures in
 * e2e/fixtures/) and runs the steps of e2e/steps.ts, each waiting on events and selectors.
 *
 * Screenshots and a report (e2e-out/report.json) go to e2e-out/. Exit code 1 when a step fails.
 * `--only 1,4` runs some steps; `--keep` leaves the workspace for a look afterwards; `--docs`
 * also writes the editor area of a few steps to docs/e2e-*.png (the README's screenshots).
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { chromiumPath, launchChromium } from './lib/harness';
import { codeServerBin, installExtension, profile, startCodeServer } from './lib/codeServer';
import { openFile, workbenchReady } from './lib/workbench';
import { restrictedStep, steps, type Step, type StepContext } from './steps';

const root = join(import.meta.dirname, '..');
const out = join(root, 'e2e-out');
const args = process.argv.slice(2);
const only = args.includes('--only') ? new Set(args[args.indexOf('--only') + 1]!.split(',').map((s) => s.trim())) : null;
const keep = args.includes('--keep');
const docs = args.includes('--docs');

interface Result {
  step: string;
  ok: boolean;
  ms: number;
  needs: string;
  notes: string[];
  error?: string;
}

async function main(): Promise<number> {
  const started = Date.now();
  mkdirSync(out, { recursive: true });
  if (!existsSync(codeServerBin(root))) throw new Error('code-server is not installed: run bash e2e/install.sh (npm run test:e2e does)');
  if (!chromiumPath()) throw new Error('chromium is not installed: run bash e2e/install.sh as root');

  // 1. The extension as users get it: a .vsix built by `npm run package`.
  const t0 = Date.now();
  execFileSync('npm', ['run', '-s', 'package'], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  const vsix = join(root, 'tunelab.vsix');
  const packageMs = Date.now() - t0;

  // 2. A workspace copied from examples/ with the broken fixtures.
  const tmp = mkdtempSync(join(tmpdir(), 'tunelab-e2e-'));
  const workspace = join(tmp, 'workspace');
  cpSync(join(root, 'examples'), workspace, { recursive: true, filter: (src) => !src.includes(`${join('examples', 'outputs')}`) });
  cpSync(join(root, 'e2e', 'fixtures'), workspace, { recursive: true });
  rmSync(join(workspace, 'outputs'), { recursive: true, force: true });
  // Development only: TUNELAB_E2E_MODEL stands in for examples/models/tiny-base when a checkout has none.
  const standIn = process.env.TUNELAB_E2E_MODEL;
  if (standIn && !existsSync(join(workspace, 'models', 'tiny-base', 'config.json'))) {
    cpSync(standIn, join(workspace, 'models', 'tiny-base'), { recursive: true });
    console.log(`models/tiny-base: a copy of ${standIn} (TUNELAB_E2E_MODEL)`);
  }

  const p = profile(tmp, { 'tunelab.model': join(workspace, 'models', 'tiny-base') });
  installExtension(root, p, vsix);
  const server = await startCodeServer(root, p);
  const browser = await launchChromium();
  const results: Result[] = [];
  let report: Record<string, unknown> = {};
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const consoleErrors: string[] = [];
    page.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()));
    const t1 = Date.now();
    await page.goto(`${server.url}?folder=${encodeURIComponent(workspace)}`);
    await workbenchReady(page, 'demo.yml');
    const readyMs = Date.now() - t1;
    console.log(`workbench ready in ${(readyMs / 1000).toFixed(1)} s (vsix built in ${(packageMs / 1000).toFixed(1)} s)`);
    // Activation: opening a config activates the extension (onLanguage:yaml); its status item shows the server state.
    const t2 = Date.now();
    await openFile(page, 'demo.yml');
    await page.locator('#workbench\\.parts\\.statusbar .statusbar-item', { hasText: 'Tunelab' }).first().waitFor({ timeout: 60_000 });
    const activationMs = Date.now() - t2;
    console.log(`open a config -> Tunelab status item: ${activationMs} ms`);

    for (const step of steps) {
      const id = step.name.split(' ')[0]!;
      if (only && !only.has(id)) continue;
      results.push(await runStep(step, page, workspace));
    }
    // The output channel's log file is written lazily: read the extension's own timing at the end.
    const activateLog = activationLine(p.userData);
    console.log(activateLog ?? 'no activation line in the output log');
    report = { packageMs, workbenchReadyMs: readyMs, activationMs, activateLog, consoleErrors: consoleErrors.slice(0, 50) };
  } finally {
    await server.stop();
    writeFileSync(join(out, 'code-server.log'), server.log.join(''));
  }
  // Step 6: a second code-server with Workspace Trust on, in a fresh copy of the workspace.
  try {
    if (!only || only.has('6')) {
      const untrusted = join(tmp, 'untrusted');
      cpSync(join(root, 'examples'), untrusted, { recursive: true });
      cpSync(join(root, 'e2e', 'fixtures'), untrusted, { recursive: true });
      rmSync(join(untrusted, 'outputs'), { recursive: true, force: true });
      const p2 = profile(join(tmp, 'trust'), { 'security.workspace.trust.enabled': true, 'security.workspace.trust.startupPrompt': 'always', 'security.workspace.trust.untrustedFiles': 'open' });
      installExtension(root, p2, vsix);
      const server2 = await startCodeServer(root, p2, { trust: true });
      try {
        const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
        await page.goto(`${server2.url}?folder=${encodeURIComponent(untrusted)}`);
        results.push(await runStep(restrictedStep, page, untrusted));
      } finally {
        await server2.stop();
      }
    }
  } finally {
    writeFileSync(join(out, 'report.json'), JSON.stringify({ ...report, totalMs: Date.now() - started, results }, null, 2));
    await browser.close().catch(() => undefined);
    if (!keep) rmSync(tmp, { recursive: true, force: true });
    else console.log(`workspace kept in ${workspace}`);
  }
  const failed = results.filter((r) => !r.ok).length;
  console.log(`\n${results.length - failed} of ${results.length} steps passed in ${((Date.now() - started) / 1000).toFixed(0)} s; screenshots in e2e-out/`);
  return failed === 0 ? 0 : 1;
}

/** Runs one step with its timeout; a failure is recorded with a screenshot, and the next step goes on. */
async function runStep(step: Step, page: Page, workspace: string): Promise<Result> {
  const id = step.name.split(' ')[0]!;
  const notes: string[] = [];
  const ctx: StepContext = {
    page,
    workspace,
    note: (l) => notes.push(l),
    shot: async (name, doc) => {
      await page.screenshot({ path: join(out, `${name}.png`) });
      if (doc && docs) await page.locator('#workbench\\.parts\\.editor').screenshot({ path: join(root, 'docs', `e2e-${name}.png`) });
    },
  };
  const s = Date.now();
  const secs = () => ((Date.now() - s) / 1000).toFixed(1);
  try {
    page.setDefaultTimeout(60_000);
    await withTimeout(step.run(ctx), step.timeoutMs, step.name);
    console.log(`ok   ${step.name} (${secs()} s)${notes.length ? `\n       ${notes.join('\n       ')}` : ''}`);
    return { step: step.name, ok: true, ms: Date.now() - s, needs: step.needs, notes };
  } catch (e) {
    const error = (e as Error).message.split('\n').slice(0, 6).join('\n');
    console.log(`FAIL ${step.name} (${secs()} s): ${error}\n       needs: ${step.needs}${notes.length ? `\n       ${notes.join('\n       ')}` : ''}`);
    await page.screenshot({ path: join(out, `${id}-failure.png`) }).catch(() => undefined);
    // Leave no dialog or widget open for the next step.
    await page.keyboard.press('Escape').catch(() => undefined);
    await page.keyboard.press('Escape').catch(() => undefined);
    return { step: step.name, ok: false, ms: Date.now() - s, needs: step.needs, notes, error };
  }
}

/** The extension's own "activated in N ms" line, from the Tunelab output channel's log file. */
function activationLine(userData: string): string | undefined {
  const logs = join(userData, 'logs');
  if (!existsSync(logs)) return undefined;
  for (const f of readdirSync(logs, { recursive: true }).map(String)) {
    if (!/Tunelab\.log$/.test(f)) continue;
    const m = /Tunelab activated: [^\n]*/.exec(readFileSync(join(logs, f), 'utf8'));
    if (m) return m[0];
  }
  return undefined;
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no result in ${ms / 1000} s`)), ms);
  });
  return Promise.race([p, expired]).finally(() => clearTimeout(timer));
}

main().then(
  (code) => process.exit(code),
  (e: Error) => {
    console.error(`e2e: ${e.message}`);
    process.exit(2);
  },
);
