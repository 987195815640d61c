// The loop's promises, on a tiny random Llama model: gradient accumulation is the same as a larger
// micro-batch, packed records never see each other, and a resumed run continues the same trajectory.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { selectBackend, tf } from '../../backend/index';
import { readCheckpoint, writeCheckpoint, CHECKPOINT_FORMAT } from '../../checkpoint/checkpoint';
import { makeBatch, rowsPerEpoch, type Example } from '../../data/batches';
import { applyLora, type CausalLM } from '../../model/index';
import { AdamW } from '../../train/adamw';
import { initialState, TrainingLoop, type DataOptions, type LoopHooks, type LoopState } from '../../train/loop';
import { lossModel } from '../../train/modelPort';
import { planRun } from '../../train/plan';
import { tinyExamples, tinyModel } from './helpers';

before(async () => {
  await selectBackend('wasm');
});

const data = (over: Partial<DataOptions> = {}): DataOptions => ({
  seed: 5,
  seqLen: 32,
  packing: false,
  padToSeqLen: false,
  padId: 0,
  shuffle: true,
  microBatchSize: 1,
  gradientAccumulationSteps: 1,
  evalBatchSize: 2,
  ...over,
});

function hooks(losses: number[], onCheckpoint: LoopHooks['onCheckpoint'] = () => {}, stopAfter = Infinity): LoopHooks {
  return {
    onStep: (r) => void losses.push(r.loss),
    onEval: () => {},
    onCheckpoint,
    onLog: () => {},
    stopRequested: () => losses.length >= stopAfter,
  };
}

function weightsOf(model: CausalLM): Map<string, Float32Array> {
  return new Map(model.parameters().map((p) => [p.name, p.variable.dataSync() as Float32Array]));
}

function maxAbsDiff(a: Map<string, Float32Array>, b: Map<string, Float32Array>): number {
  let m = 0;
  for (const [k, x] of a) {
    const y = b.get(k)!;
    for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i]! - y[i]!));
  }
  return m;
}

async function train(model: CausalLM, examples: Example[], d: DataOptions, steps: number, h: LoopHooks, state?: LoopState, opt?: AdamW) {
  const lm = lossModel(model);
  const plan = planRun({ rowsPerEpoch: rowsPerEpoch(examples, d.seqLen, d.packing), microBatchSize: d.microBatchSize, gradientAccumulationSteps: d.gradientAccumulationSteps, numEpochs: 100, maxSteps: steps, hasEval: false, saveSteps: 1000 });
  const optimizer = opt ?? new AdamW(lm.params, { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01 });
  const loop = new TrainingLoop(lm, optimizer, examples, [], plan, { kind: 'linear', peak: 0.01, warmupSteps: 0, totalSteps: steps }, d, 1.0, null, h, state ?? initialState(d.seed));
  return { result: await loop.run(), optimizer };
}

describe('gradient accumulation', () => {
  it('2 accumulated micro-batches of 1 give the same update as one micro-batch of 2', async () => {
    const examples = tinyExamples(2);
    const a = tinyModel();
    const b = tinyModel();
    const la: number[] = [];
    const lb: number[] = [];
    await train(a, examples, data({ shuffle: false, microBatchSize: 1, gradientAccumulationSteps: 2 }), 1, hooks(la));
    await train(b, examples, data({ shuffle: false, microBatchSize: 2, gradientAccumulationSteps: 1 }), 1, hooks(lb));
    assert.ok(Math.abs(la[0]! - lb[0]!) < 1e-6, `loss ${la[0]} vs ${lb[0]}`);
    const d = maxAbsDiff(weightsOf(a), weightsOf(b));
    assert.ok(d < 1e-6, `weights differ by ${d}`);
    assert.ok(maxAbsDiff(weightsOf(a), weightsOf(tinyModel())) > 1e-4, 'the step changed the weights');
  });
});

describe('sample packing', () => {
  it('a record packed after another has exactly the logits it has alone (segments + restarted positions)', () => {
    const model = tinyModel();
    const [x, y] = tinyExamples(2, 99) as [Example, Example];
    const examples = [x, y];
    const logitsOf = (rows: number[][]) => {
      const b = makeBatch(examples, rows, { seqLen: 32, padId: 0, padToSeqLen: true });
      const t = model.logits({ batch: b.rows, seqLen: b.seqLen, inputIds: b.inputIds, positionIds: b.positionIds, segmentIds: b.segmentIds });
      const out = t.arraySync() as number[][];
      t.dispose();
      return out;
    };
    const packed = logitsOf([[0, 1]]);
    const alone0 = logitsOf([[0]]);
    const alone1 = logitsOf([[1]]);
    let worst = 0;
    for (let i = 0; i < x.ids.length; i++) for (let v = 0; v < 40; v++) worst = Math.max(worst, Math.abs(packed[i]![v]! - alone0[i]![v]!));
    for (let i = 0; i < y.ids.length; i++) for (let v = 0; v < 40; v++) worst = Math.max(worst, Math.abs(packed[x.ids.length + i]![v]! - alone1[i]![v]!));
    assert.ok(worst < 1e-5, `packed logits differ by ${worst}`);
    // Without segment ids the second record would see the first: the check above can fail.
    const b = makeBatch(examples, [[0, 1]], { seqLen: 32, padId: 0, padToSeqLen: true });
    const leaky = model.logits({ batch: 1, seqLen: 32, inputIds: b.inputIds, positionIds: b.positionIds });
    const l = leaky.arraySync() as number[][];
    leaky.dispose();
    assert.ok(Math.abs(l[x.ids.length]![0]! - alone1[0]![0]!) > 1e-4);
  });
});

describe('resume', () => {
  it('stopping, checkpointing and resuming gives the same losses as an uninterrupted run (LoRA with dropout)', async () => {
    const examples = tinyExamples(10);
    const d = data({ microBatchSize: 2, gradientAccumulationSteps: 2 });
    const lora = (m: CausalLM) => {
      applyLora(m, { r: 4, alpha: 8, dropout: 0.1, targetLinear: true, seed: 1 });
      return m;
    };
    // Uninterrupted: 6 steps (2 epochs of 3 steps, so the resume crosses an epoch boundary too).
    const full: number[] = [];
    await train(lora(tinyModel()), examples, d, 6, hooks(full));

    // Interrupted after 4 steps: the loop checkpoints on the stop request.
    const dir = mkdtempSync(join(tmpdir(), 'tunelab-resume-'));
    try {
      const first: number[] = [];
      const m1 = lora(tinyModel());
      let path = '';
      const { result } = await train(
        m1,
        examples,
        d,
        6,
        hooks(
          first,
          (st, opt) => {
            const weights = new Map(lossModel(m1).params.map((p) => [p.name, { shape: [...p.variable.shape], data: p.variable.dataSync() as Float32Array }]));
            path = writeCheckpoint(dir, { state: { ...st, format: CHECKPOINT_FORMAT, run_id: 'r', total_steps: 6, method: 'lora', time: '' }, weights, optimizer: opt.exportState() });
          },
          4,
        ),
      );
      assert.equal(result.status, 'stopped');
      assert.equal(path, join(dir, 'checkpoint-4'));

      // A fresh process would start from here: new model, weights and optimizer from the files.
      const c = readCheckpoint(path);
      const m2 = lora(tinyModel());
      const lm2 = lossModel(m2);
      for (const p of lm2.params) tf.tidy(() => p.variable.assign(tf.tensor(c.weights.get(p.name)!.data, p.variable.shape)));
      const opt2 = new AdamW(lm2.params, { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01 });
      opt2.importState(c.optimizer);
      const rest: number[] = [];
      const { step, epoch, micro, rng, bestEval, badEvals } = c.state;
      await train(m2, examples, d, 6, hooks(rest), { step, epoch, micro, rng, bestEval, badEvals }, opt2);

      assert.deepEqual(first, full.slice(0, 4));
      assert.equal(rest.length, 2);
      for (let i = 0; i < 2; i++) assert.ok(Math.abs(rest[i]! - full[4 + i]!) <= 1e-6, `step ${5 + i}: ${rest[i]} vs ${full[4 + i]}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('memory', () => {
  it('steps, evaluations and packing leave no tensors behind', async () => {
    const { evaluate } = await import('../../train/evaluate');
    const m = tinyModel();
    const lm = lossModel(m);
    const ex = tinyExamples(8);
    const opt = new AdamW(lm.params, { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.1 });
    const counts: number[] = [];
    for (const steps of [2, 5]) {
      const before = tf.memory().numTensors;
      const plan = planRun({ rowsPerEpoch: 8, microBatchSize: 2, gradientAccumulationSteps: 2, numEpochs: 10, maxSteps: steps, hasEval: true, evalSteps: 1 });
      const d = data({ microBatchSize: 2, gradientAccumulationSteps: 2, packing: steps > 2 });
      const loop = new TrainingLoop(lm, opt, ex, ex.slice(0, 2), plan, { kind: 'cosine', peak: 1e-2, warmupSteps: 0, totalSteps: steps }, d, 1.0, null, hooks([]), initialState(1));
      await loop.run();
      evaluate(lm, ex, { batchSize: 2, seqLen: 32, padId: 0, packing: false });
      counts.push(tf.memory().numTensors - before);
    }
    assert.deepEqual(counts, [0, 0]);
  });
});
