import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planRun } from '../../train/plan';

const base = { rowsPerEpoch: 100, microBatchSize: 4, gradientAccumulationSteps: 2, numEpochs: 3, hasEval: true };

test('steps: ceil(rows / mbs) micro-batches, ceil(/ gas) steps per epoch, epochs or max_steps', () => {
  assert.deepEqual(planRun(base), { microBatchesPerEpoch: 25, stepsPerEpoch: 13, totalSteps: 39, evalEvery: 13, saveEvery: 13, logEvery: 1 });
  assert.equal(planRun({ ...base, numEpochs: 0.5 }).totalSteps, 7);
  assert.equal(planRun({ ...base, maxSteps: 5 }).totalSteps, 5);
});

test('eval and save intervals: counts, fractions of the run, per epoch; none without an eval set', () => {
  assert.equal(planRun({ ...base, evalSteps: 5 }).evalEvery, 5);
  assert.equal(planRun({ ...base, evalSteps: 0.25 }).evalEvery, 10);
  assert.equal(planRun({ ...base, evalsPerEpoch: 4 }).evalEvery, 3);
  assert.equal(planRun({ ...base, hasEval: false, evalSteps: 5 }).evalEvery, null);
  assert.equal(planRun({ ...base, saveSteps: 0.5 }).saveEvery, 20);
  assert.equal(planRun({ ...base, savesPerEpoch: 2 }).saveEvery, 6);
});

test('logging_steps default: max(min(int(0.5% of total), 10), 1)', () => {
  assert.equal(planRun({ ...base, maxSteps: 1000 }).logEvery, 5);
  assert.equal(planRun({ ...base, maxSteps: 10000 }).logEvery, 10);
  assert.equal(planRun({ ...base, loggingSteps: 3 }).logEvery, 3);
});

test('early stopping: patience counts evaluations in a row that do not beat the best', async () => {
  const { earlyStopping } = await import('../../train/loop');
  let s = { bestEval: null as number | null, badEvals: 0 };
  const trace: string[] = [];
  for (const loss of [2.0, 1.5, 1.6, 1.4, 1.5, 1.4]) {
    const r = earlyStopping(s, loss, 2);
    s = r;
    trace.push(`${r.bestEval}/${r.badEvals}/${r.stop}`);
  }
  assert.deepEqual(trace, ['2/0/false', '1.5/0/false', '1.5/1/false', '1.4/0/false', '1.4/1/false', '1.4/2/true']);
  assert.deepEqual(earlyStopping({ bestEval: 1, badEvals: 5 }, 3, null), { bestEval: 1, badEvals: 5, stop: false });
});
