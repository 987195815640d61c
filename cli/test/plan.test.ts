import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const tunelab = (...args: string[]) => spawnSync(process.execPath, ['bin/tunelab.js', ...args], { cwd: root, encoding: 'utf8' });
const priced = ['--input-price', '3', '--output-price', '15', '--train-tokens', '6000000', '--tokens-per-s', '2500', '--gpu-price', '2.5'];

test('plan --format json: inputs, recommendation, reasons, costs with the curve', () => {
  const r = tunelab('plan', '--task-complexity', 'high', '--examples', '2000', '--consistency', 'strict', '--prompt-tokens', '1500', '--queries-per-month', '100000', ...priced, '--format', 'json');
  assert.equal(r.stderr, '');
  assert.equal(r.status, 0);
  const j = JSON.parse(r.stdout);
  assert.deepEqual(Object.keys(j), ['inputs', 'recommendation', 'summary', 'reasons', 'costs', 'missing', 'assumptions']);
  assert.equal(j.recommendation, 'fine-tune');
  assert.equal(j.inputs.promptTokens, 1500);
  assert.equal(j.costs.breakEvenQueriesPerMonth, 31);
  assert.deepEqual(Object.keys(j.costs.curve), ['queries', 'prompt', 'fineTune']);
  assert.deepEqual(j.missing, []);
});

test('plan text without prices: a recommendation, and the inputs the costs still need', () => {
  const r = tunelab('plan', '--task-complexity', 'low', '--examples', '12', '--requirements', 'changing');
  assert.equal(r.status, 0);
  assert.match(r.stdout, /^recommendation: prompt\n/);
  assert.match(r.stdout, /\nto compare costs, give: input price \(USD per million tokens\); output price/);
});

test('plan reads examples and training tokens from a config\'s local dataset, and tokens/s from a previous run', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tunelab-plan-'));
  const rows = [
    { instruction: 'Say hi', input: '', output: 'Hi there!' },
    { instruction: 'Add 2 and 2', input: '', output: '4' },
    { instruction: 'Name a colour', input: '', output: 'Blue' },
  ];
  writeFileSync(join(dir, 'data.jsonl'), rows.map((x) => JSON.stringify(x)).join('\n') + '\n');
  writeFileSync(join(dir, 'config.yml'), 'base_model: meta-llama/Llama-2-7b-hf\nnum_epochs: 2\noutput_dir: ./out\ndatasets:\n  - path: data.jsonl\n    type: alpaca\n');
  mkdirSync(join(dir, 'out'));
  const step = (n: number, tps: number) => JSON.stringify({ v: 1, type: 'step', time: '2026-01-01T00:00:00Z', run_id: 'r', step: n, total_steps: 3, epoch: 0, loss: 1, lr: 1e-4, grad_norm: null, tokens_per_s: tps, elapsed: n, eta: null });
  writeFileSync(join(dir, 'out', 'events.jsonl'), [step(1, 900), step(2, 1000), step(3, 1200)].join('\n') + '\n');
  const r = tunelab('plan', '--config', join(dir, 'config.yml'), '--format', 'json');
  assert.equal(r.stderr, '');
  assert.equal(r.status, 0);
  const j = JSON.parse(r.stdout);
  assert.equal(j.inputs.examples, 3);
  assert.equal(j.inputs.tokensPerSecond, 1000);
  assert.ok(Number.isInteger(j.inputs.trainTokens) && j.inputs.trainTokens > 0);
  assert.deepEqual(j.assumptions.slice(0, 2), [
    `3 examples and ≈ ${j.inputs.trainTokens} training tokens from 1 local dataset file (≈ 4 characters per token × 2 epochs)`,
    `throughput 1,000 tokens/s: the median of 3 steps in ${join(dir, 'out', 'events.jsonl')}`,
  ]);
});

test('plan usage errors: bad choices, absurd numbers, both --train-tokens and --config', () => {
  const cases: [string[], RegExp][] = [
    [['--task-complexity', 'extreme'], /^tunelab plan: --task-complexity must be one of low, medium, high, got 'extreme'\n$/],
    [['--examples=-3'], /^tunelab plan: --examples must be an integer >= 0, got '-3'\n$/],
    [['--queries-per-month', 'lots'], /^tunelab plan: --queries-per-month must be a number >= 0, got 'lots'\n$/],
    [['--prompt-tokens', '1e12'], /^tunelab plan: promptTokens must be between 0 and 100,000,000, got 1000000000000\n$/],
    [['--train-tokens', '5', '--config', 'x.yml'], /^tunelab plan: give --train-tokens or --config, not both\n$/],
  ];
  for (const [args, re] of cases) {
    const r = tunelab('plan', ...args);
    assert.equal(r.status, 2, args.join(' '));
    assert.equal(r.stdout, '');
    assert.match(r.stderr, re);
  }
});
