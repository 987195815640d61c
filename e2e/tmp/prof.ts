import { chartModels } from '../../webviews/dashboard/chartData';
import { initialState, reduce } from '../../webviews/dashboard/reducer';
let st = initialState();
st = reduce(st, { type: 'runs', runs: [{ id: 'b', label: 'b', configPath: '', outputDir: '', eventsPath: '', status: 'running', active: true, resumable: false, startedAt: '', backend: '', method: '', params: null, totalSteps: 0, lastStep: 0, config: {}, checkpoints: [], final: null, error: null }], focus: 'b' });
let tr = 0, tc = 0;
for (let at = 0; at < 100000; at += 1000) {
  const step = Array.from({ length: 1000 }, (_, i) => at + i + 1);
  const t0 = performance.now();
  st = reduce(st, { type: 'metrics', batches: [{ runId: 'b', reset: false, step, loss: step.map((s) => 1 / s), lr: step.map(() => 1), gradNorm: step.map(() => 1), tokensPerS: step.map(() => 1), evalStep: at % 10000 === 0 ? [at + 1000] : [], evalLoss: at % 10000 === 0 ? [1] : [] }] });
  const t1 = performance.now();
  chartModels(st);
  const t2 = performance.now();
  if (at >= 90000) { tr += t1 - t0; tc += t2 - t1; }
}
console.log('reduce', (tr / 10).toFixed(2), 'chartModels', (tc / 10).toFixed(2));
