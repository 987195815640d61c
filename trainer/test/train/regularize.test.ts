// Forgetting penalties (trainer/train/regularize.ts) and multi-task loss weights: the gradients and
// values they add, checked against hand computation and finite differences on a tiny model.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { selectBackend, tf } from '../../backend/index';
import { makeBatch, rowsPerEpoch, type Example } from '../../data/batches';
import { applyLora } from '../../model/index';
import { AdamW, type NamedParam } from '../../train/adamw';
import { initialState, TrainingLoop } from '../../train/loop';
import { lossModel } from '../../train/modelPort';
import { planRun } from '../../train/plan';
import { anchorPenalty, diagonalFisher, readRegularizeSettings } from '../../train/regularize';
import { tinyExamples, tinyModel } from './helpers';

before(async () => {
  await selectBackend('wasm');
});

const close = (a: number, b: number, tol: number, what: string) => assert.ok(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `${what}: ${a} vs ${b}`);
const param = (name: string, values: number[]): NamedParam => ({ name, variable: tf.variable(tf.tensor1d(values), true, `${name}-${Math.random()}`) });

describe('settings', () => {
  it('reads the penalty keys and refuses bad values with the key', () => {
    const problems: string[] = [];
    const refuse = (code: string, key: string, message: string) => void problems.push(`${code} ${key}: ${message}`);
    assert.deepEqual(readRegularizeSettings({ l2sp_lambda: '0.5', ewc_lambda: 10, ewc_data: 'general.txt', ewc_samples: 8 }, refuse), { l2spLambda: 0.5, ewcLambda: 10, ewcData: 'general.txt', ewcSamples: 8 });
    assert.deepEqual(readRegularizeSettings({}, refuse), { l2spLambda: 0, ewcLambda: 0, ewcData: null, ewcSamples: 64 });
    assert.deepEqual(problems, []);
    readRegularizeSettings({ l2sp_lambda: -1, ewc_lambda: 3, ewc_samples: 0 }, refuse);
    assert.deepEqual(problems, [
      'trainer-invalid-setting l2sp_lambda: l2sp_lambda must be a number ≥ 0',
      'trainer-invalid-setting ewc_samples: ewc_samples must be a positive integer',
      'trainer-invalid-setting ewc_lambda: ewc_lambda needs ewc_data (general text for the Fisher information)',
    ]);
  });
});

describe('the penalty and its gradient', () => {
  it('L2-SP: (λ/2)·‖θ − θ0‖², gradient λ·(θ − θ0), added to the task gradient', () => {
    const a = param('a', [1, -2, 0.5]);
    const b = param('b', [3]);
    const reg = anchorPenalty([a, b], { l2spLambda: 0.1, ewcLambda: 0 });
    assert.equal(reg.kind, 'l2sp');
    a.variable.assign(tf.tensor1d([1.5, -2, 0])); // Δ = [0.5, 0, −0.5]
    b.variable.assign(tf.tensor1d([1])); //           Δ = [−2]
    const grads = new Map<string, tf.Tensor>([['a', tf.tensor1d([1, 1, 1])]]);
    const value = reg.addTo(grads);
    close(value, 0.05 * (0.25 + 0.25 + 4), 1e-6, 'penalty');
    assert.deepEqual([...grads.get('a')!.dataSync()].map((x) => Math.round(x * 1e6) / 1e6), [1.05, 1, 0.95]);
    assert.deepEqual([...grads.get('b')!.dataSync()].map((x) => Math.round(x * 1e6) / 1e6), [-0.2]);
    reg.dispose();
  });

  it('EWC + L2-SP: coefficient λs + λe·F per weight; the gradient equals autodiff of the penalty', () => {
    const a = param('a', [0.2, 0.4]);
    const fisher = new Map<string, tf.Tensor>([['a', tf.tensor1d([2, 0.5])]]);
    const reg = anchorPenalty([a], { l2spLambda: 0.1, ewcLambda: 3 }, fisher);
    assert.equal(reg.kind, 'ewc+l2sp');
    a.variable.assign(tf.tensor1d([0.7, 0.1])); // Δ = [0.5, −0.3]; c = [6.1, 1.6]
    const grads = new Map<string, tf.Tensor>();
    const value = reg.addTo(grads);
    close(value, 0.5 * (6.1 * 0.25 + 1.6 * 0.09), 1e-6, 'penalty');
    const g = [...grads.get('a')!.dataSync()];
    close(g[0]!, 6.1 * 0.5, 1e-6, 'grad 0');
    close(g[1]!, 1.6 * -0.3, 1e-6, 'grad 1');
    const auto = tf.grad((x: tf.Tensor) => tf.mul(0.5, tf.sum(tf.mul(tf.tensor1d([6.1, 1.6]), tf.square(tf.sub(x, tf.tensor1d([0.2, 0.4])))))))(a.variable);
    const ad = [...auto.dataSync()];
    close(g[0]!, ad[0]!, 1e-6, 'autodiff 0');
    close(g[1]!, ad[1]!, 1e-6, 'autodiff 1');
    reg.dispose();
  });
});

describe('the diagonal Fisher', () => {
  it('is the mean squared per-sequence gradient of the mean token loss (finite differences)', () => {
    const model = tinyModel();
    const lm = lossModel(model);
    const examples: Example[] = tinyExamples(3, 7).map((e) => ({ ids: e.ids, trained: e.ids.map(() => true) }));
    const fisher = diagonalFisher(lm, examples, { seqLen: 32, padId: 0 });
    const meanLoss = (ex: Example) => {
      const batch = makeBatch([ex], [[0]], { seqLen: 32, padId: 0, padToSeqLen: false });
      return tf.tidy(() => lm.lossSum(batch, { training: false, seed: 0 }).dataSync()[0]! / batch.trainedTokens);
    };
    for (const [name, index] of [['model.layers.0.self_attn.q_proj.weight', 5], ['model.layers.1.mlp.down_proj.weight', 17], ['model.norm.weight', 3]] as const) {
      const p = lm.params.find((x) => x.name === name)!;
      const original = p.variable.dataSync().slice() as Float32Array;
      const h = 1e-2;
      let sumSq = 0;
      for (const ex of examples) {
        const at = (delta: number) => {
          const v = original.slice();
          v[index] = v[index]! + delta;
          p.variable.assign(tf.tensor(v, p.variable.shape));
          return meanLoss(ex);
        };
        const d = (at(h) - at(-h)) / (2 * h);
        sumSq += d * d;
      }
      p.variable.assign(tf.tensor(original, p.variable.shape));
      const f = fisher.get(name)!.dataSync()[index]!;
      close(f, sumSq / examples.length, 2e-2, `F[${name}][${index}]`);
    }
    for (const f of fisher.values()) f.dispose();
    model.dispose();
  });

  it('with LoRA, the Fisher of A is zero at the start (B = 0) and B carries it', () => {
    const model = tinyModel();
    applyLora(model, { r: 2, alpha: 4, dropout: 0, targetModules: ['q_proj', 'v_proj'], seed: 1 });
    const lm = lossModel(model);
    const fisher = diagonalFisher(lm, tinyExamples(2, 3), { seqLen: 32, padId: 0 });
    const sum = (pred: (n: string) => boolean) => [...fisher].filter(([n]) => pred(n)).reduce((s, [, t]) => s + tf.sum(t).dataSync()[0]!, 0);
    assert.equal(sum((n) => n.includes('lora_A')), 0);
    assert.ok(sum((n) => n.includes('lora_B')) > 0);
    for (const f of fisher.values()) f.dispose();
    model.dispose();
  });
});

describe('in the loop', () => {
  it('the step reports (λ/2)·‖θ − θ0‖² of the weights it starts from; the first step adds nothing', async () => {
    const model = tinyModel();
    const lm = lossModel(model);
    const examples = tinyExamples(4);
    const theta0 = lm.params.map((p) => p.variable.dataSync().slice() as Float32Array);
    const reg = anchorPenalty(lm.params, { l2spLambda: 0.5, ewcLambda: 0 });
    const penalties: number[] = [];
    let expected: number[] = [];
    const d = { seed: 5, seqLen: 32, packing: false, padToSeqLen: false, padId: 0, shuffle: true, microBatchSize: 1, gradientAccumulationSteps: 1, evalBatchSize: 2 };
    const plan = planRun({ rowsPerEpoch: rowsPerEpoch(examples, 32, false), microBatchSize: 1, gradientAccumulationSteps: 1, numEpochs: 10, maxSteps: 3, hasEval: false, saveSteps: 1000 });
    const loop = new TrainingLoop(lm, new AdamW(lm.params, { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0 }), examples, [], plan, { kind: 'constant', peak: 0.01, warmupSteps: 0, totalSteps: 3 }, d, 1.0, null, {
      onStep: (r) => {
        penalties.push(r.penalty!);
        // The next step's penalty is taken at the weights this step leaves.
        let s = 0;
        lm.params.forEach((p, i) => {
          const v = p.variable.dataSync();
          for (let j = 0; j < v.length; j++) s += (v[j]! - theta0[i]![j]!) ** 2;
        });
        expected.push(0.25 * s);
      },
      onEval: () => {},
      onCheckpoint: () => {},
      onLog: () => {},
      stopRequested: () => false,
    }, initialState(5), reg);
    await loop.run();
    expected = [0, ...expected.slice(0, 2)];
    assert.equal(penalties[0], 0);
    close(penalties[1]!, expected[1]!, 1e-4, 'step 2');
    close(penalties[2]!, expected[2]!, 1e-4, 'step 3');
    assert.ok(penalties[1]! > 0 && penalties[2]! > 0, penalties.join(', '));
    reg.dispose();
    model.dispose();
  });
});

describe('multi-task loss weights', () => {
  it('a weighted row counts w times in the summed loss; the token count is unchanged', () => {
    const model = tinyModel();
    const lm = lossModel(model);
    const [x, y] = tinyExamples(2, 21);
    const single = (e: Example) => tf.tidy(() => lm.lossSum(makeBatch([e], [[0]], { seqLen: 16, padId: 0, padToSeqLen: true }), { training: false, seed: 0 }).dataSync()[0]!);
    const sx = single(x!);
    const sy = single(y!);
    const both = makeBatch([x!, { ...y!, lossWeight: 3 }], [[0], [1]], { seqLen: 16, padId: 0, padToSeqLen: true });
    const weighted = tf.tidy(() => lm.lossSum(both, { training: false, seed: 0 }).dataSync()[0]!);
    close(weighted, sx + 3 * sy, 1e-5, 'Σ w·loss');
    assert.equal(both.trainedTokens, makeBatch([x!, y!], [[0], [1]], { seqLen: 16, padId: 0, padToSeqLen: true }).trainedTokens);
    model.dispose();
  });
});
