import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_PLAN_INPUTS, plan, validatePlanInputs, type PlanInputs, type PlanResult } from '../../estimate/plan';
import { formatDuration, formatPlanText, formatUsd, paybackText } from '../../estimate/planFormat';

const run = (over: Partial<PlanInputs>): PlanResult => {
  const r = plan({ ...DEFAULT_PLAN_INPUTS, ...over });
  assert.ok(!('errors' in r), JSON.stringify(r));
  return r;
};
const priced: Partial<PlanInputs> = { inputPrice: 3, outputPrice: 15, trainTokens: 6_000_000, tokensPerSecond: 2500, gpuPricePerHour: 2.5 };

test('simple task, few examples, changing requirements: prompt, with a reason per factor', () => {
  const r = run({ taskComplexity: 'low', examples: 30, requirements: 'changing' });
  assert.equal(r.recommendation, 'prompt');
  assert.deepEqual(r.reasons.map((x) => [x.factor, x.favours]), [
    ['complexity', 'prompt'],
    ['examples', 'prompt'],
    ['requirements', 'prompt'],
    ['consistency', 'neutral'],
    ['cost', 'neutral'],
  ]);
  assert.equal(r.reasons[1]!.text, '30 examples: too few to fine-tune on (hundreds are needed); use them as few-shot examples');
  assert.deepEqual(r.missing, ['input price (USD per million tokens)', 'output price (USD per million tokens)', 'training tokens (dataset tokens × epochs)', 'training throughput (tokens per second)', 'GPU price (USD per hour), or a training price per token']);
  assert.equal(r.costs.curve, null);
  assert.equal(r.costs.breakEvenQueriesPerMonth, null);
});

test('complex task, thousands of examples, strict consistency, stable requirements, high volume: fine-tune', () => {
  const r = run({ taskComplexity: 'high', examples: 2000, consistency: 'strict', queriesPerMonth: 100_000, promptTokens: 1500, ...priced });
  assert.equal(r.recommendation, 'fine-tune');
  assert.ok(r.reasons.every((x) => x.favours === 'fine-tune'));
  // Per query: prompt (1500 + 200) x $3/M + 200 x $15/M = $0.0081; fine-tuned 200 x 3/M + 200 x 15/M = $0.0036.
  assert.equal(r.costs.promptPerQuery, 0.0081);
  assert.equal(r.costs.fineTunedPerQuery, 0.0036);
  // Training: 6e6 tokens / 2500 tok/s = 2400 s = 2/3 h at $2.5 = $1.67; spread over 12 months.
  assert.equal(r.costs.trainingCost, 1.666667);
  // Break-even: (1.6667 / 12) / (0.0081 - 0.0036) = 30.9 -> 31 queries a month.
  assert.equal(r.costs.breakEvenQueriesPerMonth, 31);
  assert.equal(r.costs.monthlyPrompt, 810);
  assert.equal(r.costs.monthlyFineTune, 360.138889);
  // Payback: $1.67 / ((0.0081 - 0.0036) x 100,000 a month) = 0.0037 months, about 3 hours.
  assert.equal(r.costs.paybackMonths, 0.003704);
  assert.equal(paybackText(r.costs.paybackMonths, true), 'training pays for itself in under a day at this volume');
});

test('the hybrid path: a task that leans to fine-tuning but too little data yet', () => {
  const r = run({ taskComplexity: 'high', examples: 40, consistency: 'strict' });
  assert.equal(r.recommendation, 'hybrid');
  assert.match(r.summary, /^Hybrid: ship with a prompt now, collect and curate examples/);
  // Medium everything with a few hundred examples: also hybrid.
  assert.equal(run({ examples: 300 }).recommendation, 'hybrid');
});

test('break-even: never when the fine-tuned model costs more per query; costs close when the volume is low', () => {
  const never = run({ ...priced, examples: 1000, fineTunedInputPrice: 20, fineTunedOutputPrice: 60 });
  assert.equal(never.costs.breakEvenQueriesPerMonth, null);
  assert.equal(never.costs.breakEvenNote, 'never: the fine-tuned model costs as much or more per query');
  assert.deepEqual(never.reasons.find((x) => x.factor === 'cost'), { factor: 'cost', favours: 'prompt', text: 'fine-tuning never pays back: the fine-tuned model is not cheaper per query' });
  // A big training bill at low volume: below the break-even, cost favours prompting.
  const low = run({ ...priced, examples: 1000, trainTokens: 1e10, queriesPerMonth: 100 });
  const be = low.costs.breakEvenQueriesPerMonth!;
  assert.equal(be, Math.ceil(((1e10 / 2500 / 3600) * 2.5) / 12 / (0.0081 - 0.0036 - 0.0045 + (1000 * 3) / 1e6)));
  assert.equal(low.reasons.find((x) => x.factor === 'cost')!.favours, 'prompt');
});

test('hosted fine-tuning priced per training token replaces GPU price × time', () => {
  const r = run({ examples: 1000, inputPrice: 3, outputPrice: 15, trainTokens: 6_000_000, trainPricePerMTok: 25, queriesPerMonth: 5000 });
  assert.deepEqual(r.missing, []);
  assert.equal(r.costs.trainingCost, 150);
  assert.equal(r.costs.trainingHours, null);
  // (150 / 12) / ((1000 + 200) x 3e-6 + 200 x 15e-6 - (200 x 3e-6 + 200 x 15e-6)) = 12.5 / 0.003 = 4,167.
  assert.equal(r.costs.breakEvenQueriesPerMonth, 4167);
  // $150 / (0.003 x 5,000 = $15 a month) = 10 months.
  assert.equal(r.costs.paybackMonths, 10);
  assert.equal(paybackText(10, true), 'training pays for itself in 10.0 months at this volume');
  assert.equal(paybackText(1, true), 'training pays for itself in 30 days at this volume');
  assert.equal(paybackText(36, true), 'training pays for itself in 3.0 years at this volume');
  assert.equal(paybackText(null, true), 'never at this volume: the savings do not cover the hosting');
  const text = formatPlanText({ ...DEFAULT_PLAN_INPUTS, examples: 1000, inputPrice: 3, outputPrice: 15, trainTokens: 6_000_000, trainPricePerMTok: 25, queriesPerMonth: 5000 }, r);
  assert.match(text, /\n {2}training {11}6,000,000 tokens at \$25\.00 per million = \$150\.00\n/);
});

test('the cost curves: log-spaced volumes covering the break-even and the user volume, lines cross at break-even', () => {
  const r = run({ ...priced, queriesPerMonth: 5000 });
  const c = r.costs.curve!;
  assert.equal(c.queries.length, c.prompt.length);
  assert.equal(c.queries.length, c.fineTune.length);
  assert.ok(c.queries[0]! <= Math.min(5000, r.costs.breakEvenQueriesPerMonth!) && c.queries.at(-1)! >= 5000 * 10);
  for (let k = 1; k < c.queries.length; k++) assert.ok(c.queries[k]! >= c.queries[k - 1]!);
  const be = r.costs.breakEvenQueriesPerMonth!;
  c.queries.forEach((q, k) => {
    if (q < be - 1) assert.ok(c.prompt[k]! < c.fineTune[k]!, `at ${q}`);
    if (q > be) assert.ok(c.prompt[k]! > c.fineTune[k]!, `at ${q}`);
  });
  for (const v of [...c.prompt, ...c.fineTune]) assert.ok(Number.isFinite(v));
});

test('absurd or missing values are rejected per field, never NaN', () => {
  assert.deepEqual(validatePlanInputs({ ...DEFAULT_PLAN_INPUTS, examples: -1, queriesPerMonth: Number.NaN, taskComplexity: 'extreme' as never, gpus: 0, inputPrice: -2 }), [
    { field: 'taskComplexity', message: 'taskComplexity must be one of low, medium, high, got "extreme"' },
    { field: 'examples', message: 'examples must be between 0 and 10,000,000,000, got -1' },
    { field: 'queriesPerMonth', message: 'queriesPerMonth must be a number, got NaN' },
    { field: 'inputPrice', message: 'inputPrice must be between 0 and 1,000,000, got -2' },
    { field: 'gpus', message: 'gpus must be between 1 and 1,000,000, got 0' },
  ]);
  assert.deepEqual(plan({ ...DEFAULT_PLAN_INPUTS, promptTokens: 1.5 }), { errors: [{ field: 'promptTokens', message: 'promptTokens must be a whole number, got 1.5' }] });
});

test('the text report: recommendation, reasons, costs and the ASCII table with the two markers', () => {
  const inputs = { ...DEFAULT_PLAN_INPUTS, taskComplexity: 'high' as const, examples: 2000, consistency: 'strict' as const, queriesPerMonth: 100_000, promptTokens: 1500, ...priced };
  const text = formatPlanText(inputs, run(inputs));
  assert.match(text, /^recommendation: fine-tune\n {2}Fine-tune: the task, the data and the requirements favour a trained model\.\n\nreasons:\n {2}→ fine-tune {2}complexity {3}a complex task/);
  assert.match(text, /\n {2}per query {10}prompt \$0\.0081, fine-tuned \$0\.0036 \(1,500 prompt tokens removed\)\n {2}training {11}40 min × 1 GPU = \$1\.67\n/);
  assert.match(text, /\n {16}31 {11}\$0\.25 {11}\$0\.25 {2}fine-tune {2}← break-even\n/);
  assert.match(text, /\n {11}100,000 {9}\$810\.00 {9}\$360\.14 {2}fine-tune {2}← your volume\n {9}1,000,000/);
  assert.equal(formatUsd(1234.5), '$1,234.50');
  assert.equal(formatUsd(0.0081), '$0.0081');
  assert.equal(formatUsd(null), 'unknown');
  assert.deepEqual([formatDuration(0.001), formatDuration(2 / 3), formatDuration(3.46), formatDuration(52.4)], ['4 s', '40 min', '3.5 h', '52 h']);
});
