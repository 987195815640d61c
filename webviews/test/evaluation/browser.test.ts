import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { chromiumPath, launchChromium, openPanel } from '../../../e2e/lib/harness';
import { comparison } from './fixture';

// The built bundle in headless Chromium, under the panels' CSP (npm test builds first).
const root = join(import.meta.dirname, '..', '..', '..');
const bundle = join(root, 'dist', 'webviews', 'evaluation.js');
const skip = !chromiumPath() ? 'chromium is not installed' : !existsSync(bundle) ? 'dist/webviews/evaluation.js is not built (npm run build)' : false;

let browser: Browser | undefined;
before(async () => {
  if (!skip) browser = await launchChromium();
});
after(async () => {
  await browser?.close();
});

const posted = (page: import('playwright-core').Page, type: string) =>
  page.waitForFunction((t) => (window as unknown as { __posted: { type: string }[] }).__posted.some((m) => m.type === t), type);

test('the evaluation panel draws the verdict, bars with error bars, the table and paired generations', { skip }, async () => {
  const { page, send } = await openPanel(browser!, root, 'evaluation');
  await posted(page, 'ready');
  await send({ type: 'report', path: '/w/out/eval_report.json', report: comparison() });
  await page.waitForSelector('#verdict');
  assert.equal(await page.textContent('#verdict'), 'arc_easy -12.0 pts: significant forgetting');
  // Two bars for arc_easy (base, tuned), one for the task only the tuned model ran; one error bar (3 lines) each.
  assert.equal(await page.locator('svg#bars rect.bar').count(), 3);
  assert.equal(await page.locator('svg#bars line.err').count(), 9);
  assert.equal(await page.locator('svg#bars text.delta.worse').textContent(), '−12.0');
  const rows = await page.locator('#results tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)));
  assert.deepEqual(rows, [
    ['arc_easy', 'acc ↑', '100', '0', '62.0 ± 5.0', '50.0 ± 5.0', '−12.0 pts', '[−20.0 pts, −4.0 pts]', 'worse'],
    ['wikitext', 'bits_per_byte ↓', '10', '0', '1.25', '1.3', '+0.05', '—', 'no significant change'],
    ['pirate', 'exact_match ↑', '20', '0', '—', '85.0 ± 8.0', '—', '—', 'no significant change'],
  ]);
  const outputs = await page.locator('#samples tbody tr[data-id="1"] td.output').allTextContents();
  assert.deepEqual(outputs, ['✓  yes', '✗  arr']);
  // The page asks the host, never acts itself.
  await page.click('#pick');
  await posted(page, 'pickReport');
  await page.close();
});

test('an unreadable report is an error line; dataset text stays text', { skip }, async () => {
  const { page, send } = await openPanel(browser!, root, 'evaluation');
  await posted(page, 'ready');
  await send({ type: 'error', path: '/w/out/eval_report.json', message: '/w/out/eval_report.json is not JSON: Unexpected token' });
  await page.waitForSelector('#error');
  assert.equal(await page.textContent('#error'), '/w/out/eval_report.json is not JSON: Unexpected token');
  const evil = comparison();
  evil.base.tasks[0]!.samples![0]!.output = '<img src=x onerror="window.__xss=1">';
  await send({ type: 'report', path: '/w/out/eval_report.json', report: evil });
  await page.waitForSelector('#verdict');
  assert.equal(await page.locator('#app img').count(), 0);
  assert.equal(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss), undefined);
  await page.close();
});
