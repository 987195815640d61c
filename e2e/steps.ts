import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Frame, Page } from 'playwright-core';
import { openFile, runCommand, statusBarText, webviewFrame, workbenchReady } from './lib/workbench';

/** What every step gets: the page, the workspace folder and a screenshot function. */
export interface StepContext {
  page: Page;
  workspace: string;
  /** A screenshot into e2e-out/; `doc`: also the editor area into docs/ (with --docs). */
  shot(name: string, doc?: boolean): Promise<void>;
  note(line: string): void;
}

export interface Step {
  name: string;
  /** Parts of Tunelab the step needs (for the report when one has not landed). */
  needs: string;
  timeoutMs: number;
  run(ctx: StepContext): Promise<void>;
}

function assert(cond: unknown, message: string): asserts cond {
  if (!cond) throw new Error(message);
}

async function problemsLabel(page: Page): Promise<string> {
  return (await page.locator('#status\\.problems').getAttribute('aria-label')) ?? '';
}

/** Counts in the Problems status item's label ("Errors: 1, Warnings: 2" or "No Problems"). */
function counts(label: string): { errors: number; warnings: number } {
  const n = (re: RegExp) => Number(re.exec(label)?.[1] ?? 0);
  return { errors: n(/Errors?: (\d+)/i), warnings: n(/Warnings?: (\d+)/i) };
}

export const steps: Step[] = [
  {
    name: '1 diagnostics and quick fix',
    needs: 'language server (config diagnostics, code actions)',
    timeoutMs: 120_000,
    async run({ page, shot, note }) {
      await openFile(page, 'broken.yml');
      await page.locator('.monaco-editor .squiggly-error').first().waitFor({ timeout: 60_000 });
      await page.locator('.monaco-editor .squiggly-warning').first().waitFor();
      await page.waitForFunction(() => /Errors?: [1-9]/.test(document.querySelector('#status\\.problems')?.getAttribute('aria-label') ?? ''));
      const before = counts(await problemsLabel(page));
      note(`problems before the fix: ${JSON.stringify(before)}`);
      assert(before.errors >= 1 && before.warnings >= 1, `expected an error and a warning, got ${JSON.stringify(before)}`);
      await runCommand(page, 'View: Focus Problems (Errors, Warnings, Infos)');
      await page.locator('.markers-panel .monaco-list-row', { hasText: 'lora_rnak' }).first().waitFor();
      await shot('01-diagnostics');
      // Put the cursor on the misspelt key and ask for quick fixes.
      await page.locator('.monaco-editor .view-line', { hasText: 'lora_rnak' }).first().click();
      await page.keyboard.press('Home');
      await page.keyboard.press('Control+.');
      const fix = page.locator('.action-widget .monaco-list-row, .context-view .action-item', { hasText: "Rename to 'lora_r'" }).first();
      await fix.waitFor({ timeout: 20_000 });
      await shot('01-quick-fix', true);
      // The menu animates in: choose with the keyboard rather than a click on a moving row.
      for (let i = 0; i < 10 && !((await fix.getAttribute('class')) ?? '').includes('focused'); i++) await page.keyboard.press('ArrowDown');
      await page.keyboard.press('Enter');
      await page.locator('.monaco-editor .view-line', { hasText: 'lora_r: 8' }).first().waitFor();
      await page.waitForFunction((w) => {
        const label = document.querySelector('#status\\.problems')?.getAttribute('aria-label') ?? '';
        return Number(/Warnings?: (\d+)/i.exec(label)?.[1] ?? 0) < w;
      }, before.warnings);
      assert((await page.locator('.monaco-editor .view-line', { hasText: 'lora_rnak' }).count()) === 0, 'the misspelt key is still there');
      note(`problems after the fix: ${JSON.stringify(counts(await problemsLabel(page)))}`);
    },
  },
  {
    name: '2 completion of keys and enum values',
    needs: 'language server (completion)',
    timeoutMs: 90_000,
    async run({ page, shot }) {
      await openFile(page, 'broken.yml');
      await page.locator('.monaco-editor .view-line', { hasText: 'output_dir' }).first().click();
      await page.keyboard.press('End');
      await page.keyboard.press('Enter');
      await page.keyboard.type('lora_targ');
      await page.keyboard.press('Control+Space');
      await page.locator('.suggest-widget .monaco-list-row', { hasText: 'lora_target_modules' }).first().waitFor({ timeout: 30_000 });
      await shot('02-completion-keys');
      await page.keyboard.press('Escape');
      await page.keyboard.press('Home');
      await page.keyboard.press('Shift+End');
      await page.keyboard.type('lr_scheduler: ');
      await page.keyboard.press('Control+Space');
      await page.locator('.suggest-widget .monaco-list-row', { hasText: 'cosine' }).first().waitFor({ timeout: 30_000 });
      await shot('02-completion-values');
      await page.keyboard.press('Escape');
      // Leave the file as it was (unsaved edits would prompt later).
      await page.keyboard.press('Home');
      await page.keyboard.press('Shift+End');
      await page.keyboard.press('Backspace');
      await page.keyboard.press('Backspace');
    },
  },
  {
    name: '3 train from the config, watch the dashboard, stop with a checkpoint',
    needs: 'trainer (tunelab train --json, SIGTERM checkpoint) and the tiny model in examples/',
    timeoutMs: 300_000,
    async run({ page, workspace, shot, note }) {
      assert(existsSync(join(workspace, 'models', 'tiny-base', 'config.json')), 'examples/models/tiny-base is missing (the trainer part has not shipped it yet)');
      await openFile(page, 'demo.yml');
      // The "▷ Train" lens (not the estimate lens beside it, whose text says "trainable").
      const lens = page.locator('.contentWidgets .codelens-decoration a', { hasText: /^\W*Train$/ }).first();
      if (await lens.isVisible().catch(() => false)) await lens.click();
      else {
        await lens.waitFor({ timeout: 20_000 }).then(
          () => lens.click(),
          () => runCommand(page, 'Tunelab: Train with This Config'),
        );
      }
      const dash = await webviewFrame(page, 'dashboard');
      await dash.locator('[data-chart="loss"]').waitFor();
      // The loss curve gains points...
      await dash.waitForFunction(() => Number(document.querySelector('[data-chart="loss"]')?.getAttribute('data-points') ?? 0) > 0, undefined, { timeout: 180_000 });
      const first = Number(await dash.locator('[data-chart="loss"]').getAttribute('data-points'));
      await dash.waitForFunction((n) => Number(document.querySelector('[data-chart="loss"]')?.getAttribute('data-points') ?? 0) > n, first, { timeout: 120_000 });
      // ...while the status bar advances.
      const stepOf = (t: string) => Number(/step (\d+)\/\d+/.exec(t)?.[1] ?? -1);
      const s1 = stepOf(await statusBarText(page));
      await page.waitForFunction(
        (s) => {
          const m = /step (\d+)\/\d+/.exec(document.querySelector('#workbench\\.parts\\.statusbar')?.textContent ?? '');
          return m !== null && Number(m[1]) > s;
        },
        s1,
        { timeout: 120_000 },
      );
      note(`status bar went past step ${s1}: ${/step \d+\/\d+[^\n]*/.exec(await statusBarText(page))?.[0]}`);
      await shot('03-dashboard-training', true);
      const stopAt = stepOf(await statusBarText(page));
      await dash.locator('[id^="stop-"]').first().click();
      await page.locator('#workbench\\.parts\\.statusbar .statusbar-item', { hasText: 'stopping' }).first().waitFor({ timeout: 30_000 });
      note(`Stop clicked at step ${stopAt}`);
      await dash.locator('.run[data-status="stopped"]').first().waitFor({ timeout: 180_000 });
      await dash.locator('.run[data-status="stopped"] [data-checkpoint]').first().waitFor();
      const events = readFileSync(join(workspace, 'outputs', 'tiny-demo', 'events.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { type: string; status?: string; path?: string });
      const done = events.filter((e) => e.type === 'done').at(-1);
      assert(done?.status === 'stopped', `the run should end stopped, got ${JSON.stringify(done)}`);
      const cp = events.filter((e) => e.type === 'checkpoint').at(-1);
      assert(cp?.path && existsSync(cp.path), `a checkpoint should exist on disk: ${cp?.path}`);
      note(`stopped with checkpoint ${cp.path}`);
      await shot('03-dashboard-stopped');
      // A window reload: the serializer revives the dashboard and the run comes back from events.jsonl.
      await runCommand(page, 'Developer: Reload Window');
      await workbenchReady(page, 'demo.yml');
      const revived = await webviewFrame(page, 'dashboard', 90_000);
      await revived.locator('.run[data-status="stopped"] [data-checkpoint]').first().waitFor({ timeout: 60_000 });
      await revived.waitForFunction(() => Number(document.querySelector('[data-chart="loss"]')?.getAttribute('data-points') ?? 0) > 0);
      note('after a window reload the dashboard shows the stopped run and its curve again');
      // Resume from the checkpoint: the same run continues past it, then stops again.
      const cpStep = Number(/checkpoint-(\d+)/.exec(cp.path)?.[1] ?? 0);
      await revived.locator('[id^="resume-"]').first().click();
      await page.waitForFunction(
        (s) => {
          const m = /step (\d+)\/\d+/.exec(document.querySelector('#workbench\\.parts\\.statusbar')?.textContent ?? '');
          return m !== null && Number(m[1]) > s;
        },
        cpStep,
        { timeout: 120_000 },
      );
      const resumedAt = stepOf(await statusBarText(page));
      await revived.locator('[id^="stop-"]').first().click();
      await revived.locator('.run[data-status="stopped"]').first().waitFor({ timeout: 180_000 });
      const after = readFileSync(join(workspace, 'outputs', 'tiny-demo', 'events.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { type: string; run_id: string; resumed_from?: { step: number } | null });
      const starts = after.filter((e) => e.type === 'run_start');
      assert(starts.length === 2 && starts[1]!.resumed_from?.step === cpStep && starts[1]!.run_id === starts[0]!.run_id, `expected one resumed start from step ${cpStep}: ${JSON.stringify(starts.map((e) => e.resumed_from))}`);
      note(`Resume continued the run from step ${cpStep} (status bar at step ${resumedAt}), and it stopped again`);
    },
  },
  {
    name: '4 dataset inspector: filter to a broken record, loss mask of a good one',
    needs: 'dataset core (checks) and, for the mask, the language server loss mask with the tiny model',
    timeoutMs: 150_000,
    async run({ page, shot, note }) {
      await openFile(page, 'data/broken.jsonl');
      await runCommand(page, 'Tunelab: Inspect Dataset');
      const ins = await webviewFrame(page, 'inspector');
      const opened = Date.now();
      await ins.locator('#stats-summary').waitFor({ timeout: 60_000 });
      note(`statistics shown ${Date.now() - opened} ms after the panel opened`);
      await ins.locator('#count', { hasText: '6 records' }).waitFor();
      await ins.locator('input[data-code="dataset-invalid-json"]').check();
      await ins.locator('#count', { hasText: '1 matching record' }).waitFor();
      await ins.locator('.vrow:not([hidden])[data-index="1"]').click();
      await ins.locator('#diagnostics', { hasText: 'dataset-invalid-json' }).waitFor();
      await shot('04-inspector-broken-record');
      await ins.locator('input[data-code="dataset-invalid-json"]').uncheck();
      await ins.locator('#count', { hasText: '6 records' }).waitFor();
      await ins.locator('.vrow:not([hidden])[data-index="5"]').click();
      await ins.locator('#messages .message.system').waitFor();
      const maskStarted = Date.now();
      await waitForMask(ins, note);
      note(`loss mask shown ${Date.now() - maskStarted} ms after the record`);
      const trained = await ins.locator('#mask .tok.trained').count();
      const masked = await ins.locator('#mask .tok.masked').count();
      note(`record 6: ${trained} trained and ${masked} masked tokens`);
      assert(trained > 0 && masked > 0, `expected both trained and masked tokens, got ${trained} / ${masked}`);
      await shot('04-inspector-loss-mask', true);
    },
  },
  {
    name: '5 an XSS record renders as text',
    needs: 'the inspector only',
    timeoutMs: 90_000,
    async run({ page, shot }) {
      const dialogs: string[] = [];
      page.on('dialog', (d) => {
        dialogs.push(d.message());
        void d.dismiss();
      });
      // The inspector of step 4 when it is open, else a new one.
      let ins = await webviewFrame(page, 'inspector', 3000).catch(() => undefined);
      if (!ins) {
        await openFile(page, 'data/broken.jsonl');
        await runCommand(page, 'Tunelab: Inspect Dataset');
        ins = await webviewFrame(page, 'inspector');
      }
      await ins.locator('#search').fill('onerror');
      await ins.locator('#count', { hasText: '1 matching record' }).waitFor({ timeout: 30_000 });
      await ins.locator('.vrow:not([hidden])[data-index="3"]').click();
      await ins.locator('#messages .message.user').waitFor();
      const user = await ins.locator('#messages .message.user .content').textContent();
      const assistant = await ins.locator('#messages .message.assistant .content').textContent();
      assert(user === `<img src=x onerror="document.title='pwned';parent.postMessage('xss','*')">`, `the user message should be shown as text, got ${user}`);
      assert(assistant === "<script>document.body.dataset.pwned='yes';alert('xss')</script>", `the assistant message should be shown as text, got ${assistant}`);
      const injected = await ins.evaluate(() => ({ imgs: document.querySelectorAll('#record img, #app img').length, scripts: document.querySelectorAll('#app script').length, title: document.title, pwned: document.body.dataset.pwned ?? null }));
      assert(injected.imgs === 0 && injected.scripts === 0, `no element may come from dataset text: ${JSON.stringify(injected)}`);
      assert(injected.title !== 'pwned' && injected.pwned === null, `a dataset script ran: ${JSON.stringify(injected)}`);
      assert(dialogs.length === 0, `a dialog opened: ${dialogs.join(', ')}`);
      const row = await ins.locator('.vrow:not([hidden])[data-index="3"]').textContent();
      assert(row?.includes('<img src=x onerror='), `the list row should show the raw text, got ${row}`);
      await shot('05-xss-as-text');
    },
  },
  {
    name: '7 evaluation: compare the base and the tuned model, open the report from the dashboard',
    needs: 'tunelab eval --compare (trainer/eval), the run of step 3 (its checkpoint is the adapter), the evaluation panel',
    timeoutMs: 180_000,
    async run({ page, workspace, shot, note }) {
      const events = readFileSync(join(workspace, 'outputs', 'tiny-demo', 'events.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { type: string; path?: string; run_id: string });
      const cp = events.filter((e) => e.type === 'checkpoint').at(-1);
      assert(cp?.path && existsSync(join(cp.path, 'adapter_config.json')), `step 3 should have left a checkpoint with its adapter, got ${cp?.path}`);
      // What a user runs in the terminal: both models on the same items, the report into the run's folder.
      const report = join(workspace, 'outputs', 'tiny-demo', 'eval_report.json');
      const cli = join(import.meta.dirname, '..', 'bin', 'tunelab.js');
      const t0 = Date.now();
      execFileSync(process.execPath, [cli, 'eval', '--compare', join(workspace, 'models', 'tiny-base'), cp.path, '--tasks', 'eval/pirate_mc.yaml,eval/capitals_gen.yaml', '--limit', '8', '--out', report], { cwd: workspace, stdio: ['ignore', 'ignore', 'inherit'] });
      const written = JSON.parse(readFileSync(report, 'utf8')) as { verdict: string; deltas: { task: string }[] };
      note(`tunelab eval --compare took ${((Date.now() - t0) / 1000).toFixed(1)} s: ${written.verdict}`);
      // The dashboard finds the report in the run's folder and links to it. The "training
      // stopped" toast of step 3 sits over the run cards: close it first, as a user would.
      await runCommand(page, 'Notifications: Clear All Notifications');
      await runCommand(page, 'Tunelab: Show Run Dashboard');
      const dash = await webviewFrame(page, 'dashboard');
      const link = dash.locator(`[id="evaluation-${cp.run_id}"]`);
      await link.waitFor({ timeout: 30_000 });
      await link.scrollIntoViewIfNeeded();
      await link.click();
      const ev = await webviewFrame(page, 'evaluation');
      await ev.locator('#verdict').waitFor({ timeout: 30_000 });
      const verdict = await ev.locator('#verdict').textContent();
      assert(verdict === written.verdict, `the panel should show the report's verdict "${written.verdict}", got "${verdict}"`);
      const rows = await ev.locator('#results tbody tr').count();
      assert(rows === written.deltas.length, `one table row per task: expected ${written.deltas.length}, got ${rows}`);
      const bars = await ev.locator('svg#bars rect.bar').count();
      assert(bars === 2 * written.deltas.length, `a base and a tuned bar per task: expected ${2 * written.deltas.length}, got ${bars}`);
      note(`evaluation panel: ${rows} tasks, ${bars} bars, verdict shown`);
      await shot('07-evaluation', true);
    },
  },
];

async function waitForMask(ins: Frame, note: (l: string) => void): Promise<void> {
  await ins.waitForFunction(() => document.querySelector('#mask') !== null || /./.test(document.querySelector('#mask-unavailable')?.textContent ?? '') && !/computing/.test(document.querySelector('#mask-unavailable')?.textContent ?? ''), undefined, { timeout: 90_000 });
  if ((await ins.locator('#mask').count()) > 0) return;
  const reason = await ins.locator('#mask-unavailable').textContent();
  note(`loss mask unavailable: ${reason}`);
  throw new Error(`no loss mask: ${reason}`);
}

/**
 * Step 6 runs in its own code-server with Workspace Trust on, the folder left untrusted:
 * validation still works, but Train refuses with an explanation and nothing runs.
 */
export const restrictedStep: Step = {
  name: '6 restricted mode: checks work, nothing runs',
  needs: 'language server (diagnostics) and the extension\'s trust handling',
  timeoutMs: 150_000,
  async run({ page, workspace, shot, note }) {
    await page.getByRole('button', { name: /No, I don.t trust/ }).click({ timeout: 60_000 });
    await page.locator('.explorer-folders-view .monaco-list-row', { hasText: 'demo.yml' }).first().waitFor({ timeout: 60_000 });
    await openFile(page, 'broken.yml');
    await page.locator('.monaco-editor .squiggly-error').first().waitFor({ timeout: 60_000 });
    note('restricted mode: diagnostics shown');
    await openFile(page, 'demo.yml');
    const lens = page.locator('.contentWidgets .codelens-decoration a', { hasText: /^\W*Train$/ }).first();
    await lens.waitFor({ timeout: 30_000 });
    await lens.click();
    await page.locator('.notifications-toasts .notification-toast', { hasText: 'restricted mode' }).first().waitFor({ timeout: 30_000 });
    await shot('06-restricted-mode');
    assert(!existsSync(join(workspace, 'outputs')), 'nothing may run in an untrusted workspace, but outputs/ was written');
    note('Train refused with the restricted-mode explanation; no outputs written');
  },
};
