import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { MetricBatch, RunSummary } from '../../common/protocol/webview';
import { chartModels, MAX_DRAWN, structureKey } from '../dashboard/chartData';
import { configDiff } from '../dashboard/configDiff';
import { initialState, reduce, saved } from '../dashboard/reducer';
import { alignColumns, appendBatch, decimate, Flattener, flatSeries, smooth, Smoother } from '../dashboard/series';

const batch = (runId: string, steps: number[], extra: Partial<MetricBatch> = {}): MetricBatch => ({
  runId,
  reset: false,
  step: steps,
  loss: steps.map((s) => 10 / s),
  lr: steps.map(() => 1e-4),
  gradNorm: steps.map(() => null),
  tokensPerS: steps.map(() => 100),
  evalStep: [],
  evalLoss: [],
  ...extra,
});
const run = (id: string, config: Record<string, unknown> = {}): RunSummary => ({ id, label: id, configPath: `/${id}.yaml`, outputDir: '/o', eventsPath: '/o/e', status: 'running', active: false, resumable: false, startedAt: id, backend: 'wasm', method: 'lora', params: null, totalSteps: 10, lastStep: 0, config, checkpoints: [], final: null, error: null });

test('batches append, a reset replaces, a step going back cuts the old trajectory', () => {
  let s = appendBatch(undefined, batch('a', [1, 2, 3], { evalStep: [2], evalLoss: [4] }));
  const first = s;
  s = appendBatch(s, batch('a', [4]));
  assert.deepEqual(flatSeries(s).step, [1, 2, 3, 4]);
  assert.deepEqual(flatSeries(first).step, [1, 2, 3], 'an earlier state is unchanged');
  s = appendBatch(s, batch('a', [3, 4, 5]));
  assert.deepEqual([flatSeries(s).step, s.length, s.lastStep], [[1, 2, 3, 4, 5], 5, 5]);
  assert.deepEqual(flatSeries(s).loss, [10, 5, 10 / 3, 10 / 4, 10 / 5]);
  assert.deepEqual(s.evalStep, [2]);
  s = appendBatch(s, batch('a', [2], { evalStep: [2], evalLoss: [3.5] }));
  assert.deepEqual([flatSeries(s).step, s.evalStep, s.evalLoss], [[1, 2], [2], [3.5]]);
  assert.deepEqual(flatSeries(appendBatch(s, batch('a', [7], { reset: true }))).step, [7]);
  // Many small batches are merged now and then; the columns stay the same.
  let long = appendBatch(undefined, batch('b', [1]));
  for (let k = 2; k <= 600; k++) long = appendBatch(long, batch('b', [k]));
  assert.ok(long.chunks.length < 256, `${long.chunks.length} chunks`);
  assert.deepEqual(flatSeries(long).step, Array.from({ length: 600 }, (_, i) => i + 1));
});

test('the flattener and smoother extend incrementally and rebuild after a cut', () => {
  const f = new Flattener();
  const m = new Smoother();
  let s = appendBatch(undefined, batch('a', [1, 2]));
  const a = f.get(s);
  s = appendBatch(s, batch('a', [3]));
  const b = f.get(s);
  assert.equal(a, b, 'extended in place');
  assert.deepEqual(b.step, [1, 2, 3]);
  assert.deepEqual(m.get(b.loss, 0.5), smooth(b.loss, 0.5));
  s = appendBatch(s, batch('a', [4, 5]));
  const c = f.get(s);
  assert.deepEqual(m.get(c.loss, 0.5), smooth(c.loss, 0.5));
  assert.deepEqual(m.get(c.loss, 0.9), smooth(c.loss, 0.9));
  s = appendBatch(s, batch('a', [3]));
  const d = f.get(s);
  assert.deepEqual(d.step, [1, 2, 3]);
  assert.deepEqual(m.get(d.loss, 0.9), smooth(d.loss, 0.9));
});

test('smoothing removes the start-up bias; weight 0 is the raw series', () => {
  assert.deepEqual(smooth([4, 4, 4], 0.9).map((v) => +v.toFixed(12)), [4, 4, 4]);
  assert.deepEqual(smooth([1, 2, 3], 0), [1, 2, 3]);
  const s = smooth([0, 10], 0.5);
  assert.deepEqual(s.map((v) => +v.toFixed(6)), [0, 6.666667]);
});

test('columns with different x are aligned on the union of steps', () => {
  assert.deepEqual(alignColumns([{ x: [1, 2, 4], y: [1, 2, 4] }, { x: [2, 3], y: [20, 30] }]), { x: [1, 2, 3, 4], ys: [[1, 2, null, 4], [null, 20, 30, null]] });
});

test('the reducer selects the focused run, overlays picked runs and keeps UI state', () => {
  let st = initialState();
  st = reduce(st, { type: 'runs', runs: [run('b'), run('a')], focus: null });
  assert.deepEqual(st.selected, ['b']);
  st = reduce(st, { type: 'runs', runs: [run('c'), run('b'), run('a')], focus: 'c' });
  assert.deepEqual(st.selected, ['c']);
  st = reduce(st, { type: 'toggleRun', id: 'a' });
  assert.deepEqual([st.selected, st.userPicked], [['c', 'a'], true]);
  const v = st.dataVersion;
  st = reduce(st, { type: 'metrics', batches: [batch('b', [1])] });
  assert.equal(st.dataVersion, v, 'points of a hidden run do not redraw');
  st = reduce(st, { type: 'metrics', batches: [batch('a', [1, 2]), batch('c', [1])] });
  assert.equal(st.dataVersion, v + 1);
  st = reduce(st, { type: 'smoothing', value: 5 });
  assert.equal(st.smoothing, 0.99);
  st = reduce(st, { type: 'logScale', value: true });
  assert.deepEqual(saved(st), { selected: ['c', 'a'], userPicked: true, smoothing: 0.99, logScale: true });
  // A reload restores the UI state; runs that disappeared drop out of the selection.
  let back = initialState(saved(st));
  back = reduce(back, { type: 'runs', runs: [run('a')], focus: null });
  assert.deepEqual([back.selected, back.smoothing, back.logScale], [['a'], 0.99, true]);
});

test('chart models: raw, smoothed and eval loss per run; other metrics one line per run', () => {
  let st = initialState({ smoothing: 0.5 });
  st = reduce(st, { type: 'runs', runs: [run('a')], focus: 'a' });
  st = reduce(st, { type: 'metrics', batches: [batch('a', [1, 2], { evalStep: [2], evalLoss: [3] })] });
  const [loss, lr] = chartModels(st);
  assert.deepEqual(loss!.lines, [
    { label: 'train loss (raw)', slot: 0, style: 'raw' },
    { label: 'train loss (smoothed)', slot: 0, style: 'smooth' },
    { label: 'eval loss', slot: 0, style: 'eval' },
  ]);
  assert.deepEqual(loss!.x, [1, 2]);
  assert.deepEqual(loss!.ys[0], [10, 5]);
  assert.deepEqual(loss!.ys[2], [null, 3]);
  assert.deepEqual([lr!.title, lr!.x, lr!.ys], ['Learning rate', [1, 2], [[1e-4, 1e-4]]]);
  assert.equal(structureKey(loss!), 'loss|false|0:raw:train loss (raw),0:smooth:train loss (smoothed),0:eval:eval loss');
});

test('config differences list the keys that differ, flattened, ignoring output_dir', () => {
  assert.deepEqual(
    configDiff([
      { learning_rate: 1e-4, lora_r: 8, output_dir: '/a', datasets: [{ path: 'a.jsonl', type: 'alpaca' }], lora_target_modules: ['q_proj', 'v_proj'] },
      { learning_rate: 2e-4, lora_r: 8, output_dir: '/b', datasets: [{ path: 'a.jsonl', type: 'chat_template' }], lora_target_modules: ['q_proj'], seed: 1 },
    ]),
    [
      { key: 'datasets.0.type', values: ['alpaca', 'chat_template'] },
      { key: 'learning_rate', values: ['0.0001', '0.0002'] },
      { key: 'lora_target_modules', values: ['["q_proj","v_proj"]', '["q_proj"]'] },
      { key: 'seed', values: ['—', '1'] },
    ],
  );
  assert.deepEqual(configDiff([{ a: 1 }]), []);
});

test('thinning keeps each bucket\'s minimum and maximum in order, and sparse values', () => {
  const x = Array.from({ length: 12 }, (_, i) => i + 1);
  const y = [5, 1, 9, 2, 2, 2, 3, 8, 0, 4, 4, 4];
  const sparse = [null, null, null, null, null, 7, null, null, null, null, null, null];
  assert.deepEqual(decimate(x, [y, sparse], 6), {
    x: [1, 4, 5, 8, 9, 12],
    ys: [
      [1, 9, 2, 8, 0, 4],
      [null, null, null, 7, null, null],
    ],
  });
  assert.deepEqual(decimate([1, 2], [[3, 4]], 6), { x: [1, 2], ys: [[3, 4]] });
});

test('a 100,000-step run is drawn with at most MAX_DRAWN points per chart, and says how many it has', () => {
  let st = initialState({ smoothing: 0.6 });
  st = reduce(st, { type: 'runs', runs: [run('a')], focus: 'a' });
  const steps = Array.from({ length: 100_000 }, (_, i) => i + 1);
  st = reduce(st, { type: 'metrics', batches: [batch('a', steps, { evalStep: [50_000, 100_000], evalLoss: [0.5, 0.4] })] });
  for (const m of chartModels(st)) {
    assert.equal(m.points, 100_000);
    assert.ok(m.x.length <= MAX_DRAWN + 2, `${m.id}: ${m.x.length} points drawn`);
    assert.equal(m.x[m.x.length - 1], 100_000);
  }
  const loss = chartModels(st)[0]!;
  const evals = loss.ys[2]!.filter((v) => v !== null);
  assert.deepEqual(evals, [0.5, 0.4]);
});
