import assert from 'node:assert/strict';
import { test } from 'node:test';
import { forgettingReport, ratioStderr, taskDelta, verdictOf, Z95, type ItemScores } from '../../eval/compare';
import { renderForgettingMarkdown, renderForgettingText } from '../../eval/render';
import { parseEvalReport, type EvalReport } from '../../eval/report';

const close = (a: number, b: number, eps = 1e-12): void => assert.ok(Math.abs(a - b) <= eps, `${a} != ${b}`);
const items = (task: string, num: number[], ids = num.map((_, i) => String(i)), metric = 'acc', den = num.map(() => 1)): ItemScores => ({ task, metric, higherIsBetter: metric !== 'bits_per_byte', ids, num, den });

test('paired delta: the stderr of the per-item difference', () => {
  const d = taskDelta(items('t', [1, 0, 1, 0]), items('t', [1, 1, 1, 1]));
  // diff = [0, 1, 0, 1]: mean 0.5, sample sd √(1/3), stderr √(1/3)/2.
  const se = Math.sqrt(1 / 3) / 2;
  assert.equal(d.paired, true);
  close(d.delta, 0.5);
  close(d.ci95![0], 0.5 - Z95 * se);
  close(d.ci95![1], 0.5 + Z95 * se);
  assert.equal(d.significant, false);
  assert.equal(d.worse, false);
});

test('pairing follows item ids, not order; different items fall back to two stderrs', () => {
  const base = items('t', [1, 1, 1, 1, 1, 1, 0, 0], ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h']);
  const tuned = items('t', [0, 0, 0, 0, 0, 0, 0, 0], ['h', 'g', 'f', 'e', 'd', 'c', 'b', 'a']);
  const d = taskDelta(base, tuned);
  assert.equal(d.paired, true);
  close(d.delta, -0.75);
  assert.equal(d.significant, true);
  assert.equal(d.worse, true);
  const other = taskDelta(base, items('t', [0, 0, 1, 0], ['w', 'x', 'y', 'z']));
  assert.equal(other.paired, false);
  const sb = Math.sqrt((6 * 0.0625 + 2 * 0.5625) / 7) / Math.sqrt(8);
  const st = Math.sqrt((3 * 0.0625 + 0.5625) / 3) / 2;
  close(other.ci95![1] - other.delta, Z95 * Math.sqrt(sb * sb + st * st));
});

test('bits per byte: a ratio of sums, lower is better, delta-method stderr', () => {
  // Σx/Σden with den = 1 is the mean and its stderr the sample stderr of the mean.
  close(ratioStderr([1, 0, 1, 1], [1, 1, 1, 1])!, 0.25);
  // x = [2, 4], den = [1, 3]: R = 1.5, residuals [0.5, -0.5], √(2/1 · 0.5) / 4.
  close(ratioStderr([2, 4], [1, 3])!, 0.25);
  const d = taskDelta(items('wiki', [100, 200, 150], ['a', 'b', 'c'], 'bits_per_byte', [100, 200, 150]), items('wiki', [110, 220, 166], ['a', 'b', 'c'], 'bits_per_byte', [100, 200, 150]));
  close(d.base, 1);
  close(d.tuned, 496 / 450);
  assert.equal(d.paired, true);
  assert.equal(d.significant, true);
  assert.equal(d.worse, true);
});

test('verdict line names every task and the ones that got worse', () => {
  const better = taskDelta(items('pirate-task', [0, 0, 0, 0, 0, 1, 0, 0]), items('pirate-task', [1, 1, 1, 1, 1, 1, 1, 0]));
  const worse = taskDelta(items('mmlu', [1, 1, 1, 1, 1, 1, 1, 1, 0, 0]), items('mmlu', [0, 0, 0, 0, 0, 1, 1, 1, 0, 0]));
  assert.equal(verdictOf([better, worse]), 'pirate-task +75.0 pts; mmlu -50.0 pts: significant forgetting (mmlu)');
  const ns = taskDelta(items('arc', [1, 0, 1, 0]), items('arc', [1, 1, 1, 0]));
  assert.equal(verdictOf([ns]), 'arc +25.0 pts (n.s.): no significant forgetting');
});

const report = (model: string, acc: number): EvalReport => ({
  v: 1,
  model,
  tasks: [{ task: 'mmlu', kind: 'multiple_choice', n: 10, num_fewshot: 0, primary_metric: 'acc', metrics: { acc: { value: acc, stderr: 0.1 } }, higher_is_better: { acc: true } }],
  created: '2026-12-03T00:00:00.000Z',
});

test('forgetting report: JSON that parses back, text and Markdown', () => {
  const f = forgettingReport(report('base', 0.8), report('tuned', 0.3), [items('mmlu', [1, 1, 1, 1, 1, 1, 1, 1, 0, 0])], [items('mmlu', [0, 0, 0, 0, 0, 1, 1, 1, 0, 0])], '2026-12-03T00:00:00.000Z');
  assert.equal(f.forgetting, true);
  assert.equal(f.verdict, 'mmlu -50.0 pts: significant forgetting (mmlu)');
  const back = parseEvalReport(JSON.parse(JSON.stringify(f)));
  assert.deepEqual(back, f);
  const text = renderForgettingText(f);
  assert.match(text, /^mmlu +acc +80\.0 +30\.0 +-50\.0 pts +\[-\d+\.\d, -\d+\.\d\] +paired +worse$/m);
  const md = renderForgettingMarkdown(f);
  assert.ok(md.startsWith('# Forgetting report\n\n**mmlu -50.0 pts: significant forgetting (mmlu)**\n'));
  assert.match(md, /^\| mmlu \| acc \| 80\.0 \| 30\.0 \| -50\.0 pts \| \[/m);
  assert.deepEqual(parseEvalReport({ v: 2 }), { error: 'unsupported eval report version 2' });
  assert.deepEqual(parseEvalReport({ v: 1, model: 'm', tasks: [{ task: 't', kind: 'generation', n: 1, primary_metric: 'x', metrics: { x: { value: 'a' } } }] }), { error: 'tasks[0].metrics.x: value is not a number' });
});

test('the benchmark event is part of the event protocol', async () => {
  const { parseEvent } = await import('../../protocol/events');
  const line = { v: 1, time: '2026-12-03T00:00:00.000Z', run_id: 'r', type: 'benchmark', step: 20, final: true, report: '/o/eval_report.json', tasks: [{ task: 'mmlu', metric: 'acc', value: 0.3, stderr: 0.1, base: 0.8, delta: -0.5, ci95: [-0.7, -0.3], significant: true }], verdict: 'mmlu -50.0 pts: significant forgetting (mmlu)', forgetting: true };
  assert.deepEqual(parseEvent(JSON.stringify(line)), line);
});
