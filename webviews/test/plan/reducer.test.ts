import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { DEFAULT_PLAN_INPUTS, plan, type PlanInputs } from '../../../common/estimate/plan';
import { parseHostToPlan, parsePlanToHost, type PlanInit } from '../../../common/protocol/webview';
import { chartModel, shortCount, shortUsd } from '../../plan/chart';
import { initialPlanState, parseAmount, reducePlan, type PlanState } from '../../plan/reducer';

const priced: PlanInputs = { ...DEFAULT_PLAN_INPUTS, taskComplexity: 'high', examples: 2000, consistency: 'strict', promptTokens: 1500, queriesPerMonth: 100_000, inputPrice: 3, outputPrice: 15, trainTokens: 6e6, tokensPerSecond: 2500, gpuPricePerHour: 2.5 };
const init = (inputs: PlanInputs): PlanInit => ({ type: 'init', inputs, configPath: '/w/qlora.yml', notes: ['3 examples from data.jsonl'], estimate: '≈ 6 GiB per GPU · QLoRA · 4.19 M trainable (0.06 %)' });
const edit = (s: PlanState, field: keyof PlanInputs, value: string) => reducePlan(s, { type: 'edit', field, value });

test('init from the host: inputs, field texts, source, and the plan computed in the page', () => {
  const s = reducePlan(initialPlanState(), init(priced));
  assert.equal(s.received, true);
  assert.deepEqual(s.inputs, priced);
  assert.equal(s.text.inputPrice, '3');
  assert.equal(s.text.fineTunedInputPrice, '');
  assert.deepEqual([s.configPath, s.notes, s.estimate], ['/w/qlora.yml', ['3 examples from data.jsonl'], '≈ 6 GiB per GPU · QLoRA · 4.19 M trainable (0.06 %)']);
  assert.deepEqual(s.result, plan(priced));
  assert.equal(s.stale, false);
});

test('edits: amounts as people type them, empty prices become unknown, enums from their list', () => {
  let s = reducePlan(initialPlanState(), init(priced));
  s = edit(s, 'queriesPerMonth', '2.5M');
  assert.equal(s.inputs.queriesPerMonth, 2_500_000);
  assert.equal(s.text.queriesPerMonth, '2.5M');
  s = edit(s, 'examples', '1,200');
  assert.equal(s.inputs.examples, 1200);
  s = edit(s, 'inputPrice', '');
  assert.equal(s.inputs.inputPrice, null);
  assert.ok(s.result && s.result.missing.includes('input price (USD per million tokens)'));
  s = edit(s, 'requirements', 'changing');
  assert.equal(s.inputs.requirements, 'changing');
  assert.deepEqual(s.result, plan({ ...priced, queriesPerMonth: 2_500_000, examples: 1200, inputPrice: null, requirements: 'changing' }));
  assert.deepEqual([parseAmount('$3'), parseAmount('10k'), parseAmount('1_000'), parseAmount('1e6'), parseAmount(' '), Number.isNaN(parseAmount('abc'))], [3, 10_000, 1000, 1e6, null, true]);
});

test('bad text marks its field, keeps the last valid plan as stale, and clears when fixed', () => {
  const good = reducePlan(initialPlanState(), init(priced));
  let s = edit(good, 'examples', 'many');
  assert.deepEqual(s.errors, { examples: "'many' is not a number" });
  assert.equal(s.inputs.examples, 2000);
  assert.equal(s.stale, true);
  assert.deepEqual(s.result, good.result);
  s = edit(s, 'gpus', '0');
  assert.deepEqual(s.errors, { examples: "'many' is not a number", gpus: 'gpus must be between 1 and 1,000,000, got 0' });
  s = edit(s, 'queriesPerMonth', '');
  assert.equal(s.errors.queriesPerMonth, 'a number is needed');
  s = edit(edit(edit(s, 'examples', '50'), 'gpus', '2'), 'queriesPerMonth', '1000');
  assert.deepEqual(s.errors, {});
  assert.equal(s.stale, false);
  assert.deepEqual(s.result, plan({ ...priced, examples: 50, gpus: 2, queriesPerMonth: 1000 }));
  assert.equal(s.result?.recommendation, 'hybrid');
  // Reset goes back to the defaults.
  assert.deepEqual(reducePlan(s, { type: 'reset' }).inputs, DEFAULT_PLAN_INPUTS);
});

test('a saved state restores valid inputs only', () => {
  assert.deepEqual(initialPlanState(priced).inputs, priced);
  assert.deepEqual(initialPlanState({ ...priced, gpus: -1 }).inputs, DEFAULT_PLAN_INPUTS);
  const { trainPricePerMTok: _dropped, ...older } = priced;
  assert.deepEqual(initialPlanState(older).inputs, priced);
});

test('the plan protocol: messages validate; malformed ones are rejected naming the field', () => {
  assert.deepEqual(parseHostToPlan(init(priced)), { ok: true, value: init(priced) });
  assert.deepEqual(parseHostToPlan({ ...init(priced), inputs: { ...priced, examples: 'lots' } }), { ok: false, error: 'inputs.examples: expected a finite number, got "lots"' });
  assert.deepEqual(parseHostToPlan({ type: 'inputs' }), { ok: false, error: 'type: expected one of init, got "inputs"' });
  assert.deepEqual(parsePlanToHost({ type: 'inputs', inputs: priced }), { ok: true, value: { type: 'inputs', inputs: priced } });
  assert.deepEqual(parsePlanToHost({ type: 'openConfig' }), { ok: true, value: { type: 'openConfig' } });
  // Inputs kept by a host from an older panel (no training price per token) still initialise it.
  const { trainPricePerMTok: _dropped, ...older } = priced;
  const parsed = parseHostToPlan({ ...init(priced), inputs: older });
  assert.ok(parsed.ok);
  assert.deepEqual(reducePlan(initialPlanState(), parsed.value).inputs, priced);
  assert.deepEqual(parsePlanToHost({ type: 'inputs', inputs: { ...priced, inputPrice: Number.NaN } }), { ok: false, error: 'inputs.inputPrice: expected a finite number, got a non-finite number' });
});

test('the chart: log axes, both lines cross at the break-even marker, decade ticks', () => {
  const r = plan({ ...priced, queriesPerMonth: 5000 });
  assert.ok(!('errors' in r));
  const m = chartModel(r.costs.curve!, 5000, r.costs.breakEvenQueriesPerMonth);
  assert.ok(m);
  assert.deepEqual(m.markers.map((k) => [k.kind, k.label]), [['volume', 'your volume: 5k/month'], ['break-even', 'break-even: 31/month']]);
  assert.deepEqual(m.xTicks.map((t) => t.label), ['1', '10', '100', '1k', '10k', '100k']);
  assert.equal(m.xTicks[0]!.at, m.size.left);
  assert.equal(m.xTicks.at(-1)!.at, m.size.width - m.size.right);
  assert.match(m.prompt, /^M64 [\d.]+( L[\d.]+ [\d.]+)+$/);
  assert.equal(m.prompt.split(' L').length, r.costs.curve!.queries.length);
  // Where the lines cross: the y of both paths swap order around the break-even's x.
  const pts = (d: string) => d.slice(1).split(' L').map((p) => p.split(' ').map(Number) as [number, number]);
  const p = pts(m.prompt);
  const f = pts(m.fineTune);
  const be = m.markers[1]!.x;
  p.forEach(([x, y], k) => {
    if (x < be - 5) assert.ok(y > f[k]![1], `prompt is cheaper (lower) left of break-even at x=${x}`);
    if (x > be + 5) assert.ok(y < f[k]![1], `fine-tune is cheaper right of break-even at x=${x}`);
  });
  assert.deepEqual([shortCount(1500), shortCount(2_500_000), shortUsd(0.01), shortUsd(1000)], ['1.5k', '2.5M', '$0.01', '$1k']);
  assert.equal(chartModel({ queries: [1, 10], prompt: [0, 0], fineTune: [0, 0] }, 5, null), null);
});

test('the panel script builds its DOM with text nodes and setAttribute only', () => {
  const src = readFileSync(join(import.meta.dirname, '..', '..', 'plan', 'main.ts'), 'utf8');
  assert.doesNotMatch(src, /innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(|new Function/);
});
