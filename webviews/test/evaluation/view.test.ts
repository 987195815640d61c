import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseEvaluationToHost, parseHostToEvaluation } from '../../../common/protocol/webview';
import { initialEvaluationState, reduceEvaluation } from '../../evaluation/reducer';
import { barChart, evalView, formatDelta, formatMetric } from '../../evaluation/view';
import { comparison } from './fixture';

test('a comparison becomes one row per task with both models, the change and its interval', () => {
  const v = evalView(comparison());
  assert.deepEqual(v.models, [
    { role: 'base', model: '/m/base', adapter: null },
    { role: 'tuned', model: '/m/base', adapter: '/out/lora' },
  ]);
  assert.equal(v.verdict, 'arc_easy -12.0 pts: significant forgetting');
  assert.equal(v.forgetting, true);
  assert.deepEqual(
    v.rows.map((r) => [r.task, r.metric, r.points, r.higherIsBetter, r.values.map((x) => x?.value ?? null), r.delta, r.significant, r.worse]),
    [
      ['arc_easy', 'acc', true, true, [0.62, 0.5], -0.12, true, true],
      ['wikitext', 'bits_per_byte', false, false, [1.25, 1.3], 0.05, false, false],
      // Only the tuned model ran it: no base value, no delta.
      ['pirate', 'exact_match', true, true, [null, 0.85], null, false, false],
    ],
  );
});

test('generations are paired by item id across the two models', () => {
  const v = evalView(comparison());
  assert.deepEqual([...v.samples.keys()], ['arc_easy']);
  assert.deepEqual(v.samples.get('arc_easy'), [
    { id: '0', prompt: 'Question: Which is a gas?\nAnswer:', target: ' oxygen', outputs: [{ output: ' iron', correct: false }, null] },
    { id: '1', prompt: 'Question: <b>bold</b>?\nAnswer:', target: ' yes', outputs: [{ output: ' yes', correct: true }, { output: ' arr', correct: false }] },
  ]);
});

test('bars: accuracy-like rows only, on a 0-100 axis with 95% error bars', () => {
  const v = evalView(comparison());
  const c = v.chart!;
  assert.deepEqual(
    c.groups.map((g) => g.task),
    ['arc_easy', 'pirate'],
  );
  // Plot area: top 22, height 240 - 22 - 56 = 162 px for 100 points.
  const [arc, pirate] = c.groups;
  const y = (p: number) => Math.round((22 + 162 - (p / 100) * 162) * 10) / 10;
  assert.deepEqual(
    arc!.bars.map((b) => [b.model, b.y, b.height, b.err, b.label]),
    [
      [0, y(62), Math.round((184 - y(62)) * 10) / 10, [y(62 + 9.8), y(62 - 9.8)], '62.0'],
      [1, y(50), Math.round((184 - y(50)) * 10) / 10, [y(50 + 9.8), y(50 - 9.8)], '50.0'],
    ],
  );
  assert.deepEqual([arc!.delta, arc!.worse], ['−12.0', true]);
  assert.deepEqual(pirate!.bars.map((b) => b.model), [1]);
  assert.equal(pirate!.delta, null);
  assert.deepEqual(c.yTicks.map((t) => t.label), ['0', '25', '50', '75', '100']);
  // Error bars are clipped to the axis.
  const clipped = barChart([{ ...v.rows[0]!, values: [{ value: 0.99, stderr: 0.05 }] }], 1)!;
  assert.equal(clipped.groups[0]!.bars[0]!.err![0], 22);
  assert.equal(barChart([v.rows[1]!], 2), null);
});

test('numbers read as people expect: points for accuracies, signs on changes', () => {
  assert.equal(formatMetric({ value: 0.6234, stderr: 0.0481 }, true), '62.3 ± 4.8');
  assert.equal(formatMetric({ value: 1.2345678, stderr: null }, false), '1.235');
  assert.equal(formatMetric(null, true), '—');
  assert.equal(formatDelta(0.124, true), '+12.4 pts');
  assert.equal(formatDelta(-0.031, true), '−3.1 pts');
  assert.equal(formatDelta(0.05, false), '+0.05');
});

test('the reducer keeps the chosen task across a refresh of the same report and clears on an error', () => {
  let s = initialEvaluationState();
  s = reduceEvaluation(s, { type: 'report', path: '/o/eval_report.json', report: comparison() });
  assert.equal(s.sampleTask, 'arc_easy');
  s = reduceEvaluation(s, { type: 'selectTask', task: 'no-such-task' });
  assert.equal(s.sampleTask, 'arc_easy');
  s = reduceEvaluation(s, { type: 'error', path: '/o/eval_report.json', message: 'gone' });
  assert.deepEqual([s.view, s.report, s.error, s.received], [null, null, 'gone', true]);
});

test('messages: reports are checked with the report shape, bad ones rejected with the field', () => {
  const m = { type: 'report', path: '/o/r.json', report: comparison() };
  assert.deepEqual(parseHostToEvaluation(m), { ok: true, value: m });
  const bad = comparison();
  (bad.tuned.tasks[0]!.metrics as Record<string, unknown>).acc = { value: 'high' };
  assert.deepEqual(parseHostToEvaluation({ type: 'report', path: '/o/r.json', report: bad }), { ok: false, error: 'report: tuned: tasks[0].metrics.acc: value is not a number' });
  assert.deepEqual(parseHostToEvaluation({ type: 'report', path: '/o/r.json', report: { v: 2 } }), { ok: false, error: 'report: unsupported eval report version 2' });
  assert.deepEqual(parseEvaluationToHost({ type: 'pickReport' }), { ok: true, value: { type: 'pickReport' } });
  assert.deepEqual(parseEvaluationToHost({ type: 'openFile', path: '/etc/passwd' }), { ok: false, error: 'type: expected one of ready, openSource, pickReport, got "openFile"' });
});
