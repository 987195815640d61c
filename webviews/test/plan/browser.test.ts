import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { DEFAULT_PLAN_INPUTS, type PlanInputs } from '../../../common/estimate/plan';
import { chromiumPath, launchChromium, openPanel } from '../../../e2e/lib/harness';

// The built bundle in headless Chromium, under the panels' CSP (npm test builds first).
const root = join(import.meta.dirname, '..', '..', '..');
const bundle = join(root, 'dist', 'webviews', 'plan.js');
const skip = !chromiumPath() ? 'chromium is not installed' : !existsSync(bundle) ? 'dist/webviews/plan.js is not built (npm run build)' : false;
const priced: PlanInputs = { ...DEFAULT_PLAN_INPUTS, taskComplexity: 'high', examples: 2000, consistency: 'strict', promptTokens: 1500, queriesPerMonth: 100_000, inputPrice: 3, outputPrice: 15, trainTokens: 6e6, tokensPerSecond: 2500, gpuPricePerHour: 2.5 };

let browser: Browser | undefined;
before(async () => {
  if (!skip) browser = await launchChromium();
});
after(async () => {
  await browser?.close();
});

test('the plan panel renders the host inputs, re-plans on edits and posts them back', { skip }, async () => {
  const { page, send, posted } = await openPanel(browser!, root, 'plan');
  await page.waitForFunction(() => (window as unknown as { __posted: { type: string }[] }).__posted.some((m) => m.type === 'ready'));
  await send({ type: 'init', inputs: priced, configPath: '/w/qlora.yml', notes: ['from the config'], estimate: '≈ 6 GiB per GPU' });
  await page.waitForSelector('#verdict');
  assert.equal(await page.textContent('#verdict'), 'Fine-tune');
  assert.equal(await page.inputValue('#f-inputPrice'), '3');
  assert.equal(await page.locator('svg.chart path').count(), 2);
  assert.equal(await page.locator('svg.chart line.marker').count(), 2);
  assert.match((await page.textContent('#break-even')) ?? '', /^Break-even: fine-tuning is cheaper above 31 queries a month/);
  // Edits: few examples make it the hybrid path; a simple task with changing requirements, prompting.
  await page.fill('#f-examples', '20');
  await page.waitForFunction(() => document.querySelector('#verdict')?.textContent === 'Hybrid');
  await page.selectOption('#f-requirements', 'changing');
  await page.selectOption('#f-taskComplexity', 'low');
  await page.waitForFunction(() => document.querySelector('#verdict')?.textContent === 'Prompt');
  await page.fill('#f-gpus', 'two');
  assert.equal(await page.textContent('#e-gpus'), "'two' is not a number");
  await page.waitForFunction(() => (window as unknown as { __posted: { type: string }[] }).__posted.some((m) => m.type === 'inputs'));
  const last = (await posted()).filter((m) => (m as { type: string }).type === 'inputs').at(-1) as { inputs: PlanInputs };
  assert.deepEqual([last.inputs.examples, last.inputs.requirements, last.inputs.taskComplexity], [20, 'changing', 'low']);
  await page.close();
});

test('strings from the host are text, never markup', { skip }, async () => {
  const { page, send } = await openPanel(browser!, root, 'plan');
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.waitForFunction(() => (window as unknown as { __posted: { type: string }[] }).__posted.length > 0);
  const evil = '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>';
  await send({ type: 'init', inputs: priced, configPath: evil, notes: [evil], estimate: evil });
  await page.waitForSelector('#verdict');
  assert.equal(await page.locator('#app img, #app script').count(), 0);
  assert.equal(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss), undefined);
  assert.ok(((await page.textContent('#source')) ?? '').includes(evil));
  // A malformed message is dropped, not half-applied.
  await send({ type: 'init', inputs: { ...priced, examples: 'lots' }, configPath: null, notes: [], estimate: null });
  assert.ok(((await page.textContent('#source')) ?? '').includes(evil));
  assert.deepEqual(errors, []);
  await page.close();
});
