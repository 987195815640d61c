import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseEvent, type TrainerEvent } from '../../common/protocol/events';
import { foldEventsText, RunTracker } from '../runs/runTracker';

const base = { v: 1 as const, time: '2026-11-28T10:00:00.000Z', run_id: 'run-a' };
const start = (extra: Partial<TrainerEvent & { type: 'run_start' }> = {}): TrainerEvent => ({
  ...base,
  type: 'run_start',
  config: { base_model: 'tiny', learning_rate: 0.001 },
  config_path: '/w/demo.yaml',
  output_dir: '/w/out',
  backend: 'wasm',
  method: 'lora',
  params: { total: 1000, trainable: 10 },
  dataset: { train_records: 8, eval_records: 2, train_tokens: 400 },
  total_steps: 6,
  ...extra,
} as TrainerEvent);
const step = (s: number, loss: number): TrainerEvent => ({ ...base, type: 'step', step: s, total_steps: 6, epoch: s / 6, loss, lr: 1e-3, grad_norm: 0.5, tokens_per_s: 100, elapsed: s, eta: 6 - s });
const evalE = (s: number, loss: number): TrainerEvent => ({ ...base, type: 'eval', step: s, epoch: s / 6, eval_loss: loss, perplexity: Math.exp(loss) });
const checkpoint = (s: number): TrainerEvent => ({ ...base, type: 'checkpoint', step: s, path: `/w/out/checkpoint-${s}` });

test('a run is folded into a summary and metric columns', () => {
  const t = new RunTracker('run-a', '');
  for (const e of [start(), step(1, 3), step(2, 2.5), evalE(2, 2.6), checkpoint(2), step(3, 2)]) t.apply(e);
  assert.deepEqual(t.series, { step: [1, 2, 3], loss: [3, 2.5, 2], lr: [1e-3, 1e-3, 1e-3], gradNorm: [0.5, 0.5, 0.5], tokensPerS: [100, 100, 100], evalStep: [2], evalLoss: [2.6] });
  t.active = true;
  assert.deepEqual(t.summary(), {
    id: 'run-a',
    label: 'demo.yaml · 2026-11-28 10:00',
    configPath: '/w/demo.yaml',
    outputDir: '/w/out',
    eventsPath: '/w/out/events.jsonl',
    startedAt: '2026-11-28T10:00:00.000Z',
    backend: 'wasm',
    method: 'lora',
    params: { total: 1000, trainable: 10 },
    totalSteps: 6,
    config: { base_model: 'tiny', learning_rate: 0.001 },
    status: 'running',
    active: true,
    resumable: false,
    lastStep: 3,
    checkpoints: [{ step: 2, path: '/w/out/checkpoint-2' }],
    final: null,
    error: null,
  });
});

test('batches carry only new points, then nothing', () => {
  const t = new RunTracker('run-a', '');
  t.apply(start());
  t.apply(step(1, 3));
  assert.deepEqual(t.takeBatch(), { runId: 'run-a', reset: false, step: [1], loss: [3], lr: [1e-3], gradNorm: [0.5], tokensPerS: [100], evalStep: [], evalLoss: [] });
  assert.equal(t.takeBatch(), null);
  t.apply(evalE(1, 2.9));
  assert.deepEqual(t.takeBatch(), { runId: 'run-a', reset: false, step: [], loss: [], lr: [], gradNorm: [], tokensPerS: [], evalStep: [1], evalLoss: [2.9] });
});

test('a resume from an earlier checkpoint cuts the abandoned points and resends the series', () => {
  const t = new RunTracker('run-a', '');
  for (const e of [start(), step(1, 3), step(2, 2.5), checkpoint(2), step(3, 2), evalE(3, 2.2), step(4, 1.9)]) t.apply(e);
  t.takeBatch();
  t.apply(start({ resumed_from: { checkpoint: '/w/out/checkpoint-2', step: 2 } }));
  t.apply(step(3, 2.05));
  assert.deepEqual(t.series.step, [1, 2, 3]);
  assert.deepEqual(t.series.loss, [3, 2.5, 2.05]);
  assert.deepEqual(t.series.evalStep, []);
  const b = t.takeBatch()!;
  assert.equal(b.reset, true);
  assert.deepEqual(b.step, [1, 2, 3]);
  assert.deepEqual(b.loss, [3, 2.5, 2.05]);
});

test('done and error events set the status; a process that dies without done failed', () => {
  const ok = new RunTracker('run-a', '');
  ok.apply(start());
  ok.apply({ ...base, type: 'done', status: 'stopped', step: 3, outputs: { checkpoint: '/w/out/checkpoint-3', events: '/w/out/events.jsonl' }, metrics: { train_loss: 2, eval_loss: null, perplexity: null, elapsed: 12 } });
  const s = ok.summary();
  assert.equal(s.status, 'stopped');
  assert.equal(s.resumable, true);
  assert.deepEqual(s.checkpoints, [{ step: 3, path: '/w/out/checkpoint-3' }]);
  assert.deepEqual(s.final, { trainLoss: 2, evalLoss: null, perplexity: null, elapsed: 12 });

  const crashed = new RunTracker('run-b', '');
  crashed.apply(start());
  crashed.active = true;
  crashed.processExited(null, 'SIGKILL');
  assert.equal(crashed.summary().status, 'failed');
  assert.equal(crashed.summary().error, 'the trainer was killed by SIGKILL');

  const refused = new RunTracker('run-c', '');
  refused.apply({ ...base, type: 'error', code: 'config-unknown-key', message: 'unknown key lora_rnak' });
  refused.processExited(2, null);
  assert.equal(refused.summary().status, 'failed');
  assert.equal(refused.summary().error, 'config-unknown-key: unknown key lora_rnak');
});

test('an events.jsonl with two runs, a torn last line and no done is folded per run', () => {
  const lines = [start(), step(1, 3), { ...start(), run_id: 'run-b' }, { ...step(1, 4), run_id: 'run-b' }, { ...base, run_id: 'run-b', type: 'done', status: 'completed', step: 1, outputs: { events: 'e' }, metrics: { train_loss: 4, eval_loss: null, perplexity: null, elapsed: 1 } }].map((e) => JSON.stringify(e));
  const text = `${lines.join('\n')}\n{"v":1,"type":"step","ru`;
  const { runs, badLines } = foldEventsText(text, '/w/out/events.jsonl', parseEvent);
  assert.equal(badLines, 1);
  assert.deepEqual(runs.map((r) => [r.id, r.summary().status, r.series.loss]), [
    ['run-a', 'stale', [3]],
    ['run-b', 'completed', [4]],
  ]);
  // Folding leaves nothing pending: a dashboard gets these through fullBatch().
  assert.equal(runs[0]!.takeBatch(), null);
  assert.equal(runs[0]!.fullBatch().reset, true);
});
