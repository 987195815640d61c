import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, it } from 'node:test';
import { parseEvalReport } from '../../../common/eval/report';
import { selectBackend } from '../../backend/index';
import { TrainingBenchmarks } from '../../eval/trainingHook';
import { loadModel } from '../../io/index';

const root = join(import.meta.dirname, '..', '..', '..');
const tinyBase = join(root, 'examples', 'models', 'tiny-base');
const evalDir = join(root, 'examples', 'eval');

before(async () => {
  await selectBackend('wasm');
});

it('eval_tasks during training: every Nth evaluation, then eval_report.json against the base', async () => {
  const config = { eval_tasks: ['pirate_mc.yaml', { task: 'general', data: 'corpus.txt' }], eval_tasks_every: 2 };
  const hook = await TrainingBenchmarks.prepare(config, { configDir: evalDir, cwd: root, modelDir: tinyBase, backend: 'wasm' });
  assert.ok(hook instanceof TrainingBenchmarks);
  // The live model here is the base itself: every delta is exactly 0 and nothing is significant.
  const model = loadModel(tinyBase);
  assert.equal(hook.afterEval(5, model), null);
  const second = hook.afterEval(10, model)!;
  assert.deepEqual(second.tasks.map((t) => [t.task, t.metric, t.delta, t.significant]), [['pirate_mc', 'acc', 0, false], ['general', 'bits_per_byte', 0, false]]);
  assert.equal(second.final, false);
  assert.equal(second.report, null);
  const out = mkdtempSync(join(tmpdir(), 'tunelab-eval-hook-'));
  const final = hook.atEnd(10, model, out, { model: tinyBase, adapter: out });
  model.dispose();
  assert.equal(final.report, join(out, 'eval_report.json'));
  assert.equal(final.verdict, 'pirate_mc ±0.0 pts (n.s.); general ±0.000 bits_per_byte (n.s.): no significant forgetting');
  const written = parseEvalReport(JSON.parse(readFileSync(final.report!, 'utf8')));
  assert.ok(!('error' in written) && 'kind' in written && written.kind === 'forgetting');
  assert.equal(written.tuned.adapter, out);
  assert.equal(written.base.adapter, null);
});

it('a bad task refuses before any compute, naming the file and line', async () => {
  const r = await TrainingBenchmarks.prepare({ eval_tasks: 'nosuch_task' }, { configDir: evalDir, cwd: root, modelDir: tinyBase, backend: 'wasm' });
  assert.ok(r !== null && 'problems' in r);
  assert.equal(r.problems[0]!.code, 'eval-task-unknown');
  assert.equal(await TrainingBenchmarks.prepare({}, { configDir: evalDir, cwd: root, modelDir: tinyBase, backend: 'wasm' }), null);
});
