import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatDuration, formatLoss, humanLine, stepStatusText } from '../runs/format';
import { trainerCommand } from '../runs/trainerCommand';
import { RestartPolicy } from '../restartPolicy';

test('durations, losses and the status bar text', () => {
  assert.deepEqual([5, 59.6, 65, 3600, 7440, -1, Infinity].map(formatDuration), ['5 s', '1 m 00 s', '1 m 05 s', '1 h 00 m', '2 h 04 m', '?', '?']);
  assert.deepEqual([2.302585, 0.012345, 0.0001234, 0].map(formatLoss), ['2.303', '0.01235', '1.23e-4', '0.000']);
  const e = { v: 1, time: 't', run_id: 'r', type: 'step', step: 120, total_steps: 500, epoch: 0.5, loss: 1.23456, lr: 2e-4, grad_norm: 0.81, tokens_per_s: 1234.4, elapsed: 60, eta: 130 } as const;
  assert.equal(stepStatusText(e), 'step 120/500 · loss 1.235 · ETA 2 m 10 s');
  assert.equal(stepStatusText({ ...e, eta: null }), 'step 120/500 · loss 1.235');
  assert.equal(humanLine(e), 'step 120/500 epoch 0.50 loss 1.235 lr 2.00e-4 grad_norm 0.810 1234 tok/s');
  assert.equal(humanLine({ v: 1, time: 't', run_id: 'r', type: 'checkpoint', step: 5, path: '/o/checkpoint-5' }), 'checkpoint at step 5: /o/checkpoint-5');
  assert.equal(
    humanLine({ v: 1, time: 't', run_id: 'r', type: 'error', code: 'config-unknown-key', message: 'bad', location: { path: '/c.yaml', range: { start: { line: 2, character: 0 }, end: { line: 2, character: 4 } } } }),
    'error config-unknown-key: bad (/c.yaml:3:1)',
  );
});

test('the trainer runs on the editor\'s runtime as Node, or on the configured Node', () => {
  const launch = { cliPath: '/ext/bin/tunelab.js', configPath: '/w/demo.yaml', resume: false, backend: 'auto', nodePath: '', execPath: '/app/code', isElectron: true, env: { PATH: '/bin' } };
  assert.deepEqual(trainerCommand(launch), { command: '/app/code', args: ['/ext/bin/tunelab.js', 'train', '/w/demo.yaml', '--json', '--backend', 'auto'], env: { PATH: '/bin', ELECTRON_RUN_AS_NODE: '1' } });
  assert.deepEqual(trainerCommand({ ...launch, nodePath: ' /opt/node22/bin/node ', resume: true, backend: 'wasm', maxSteps: 10, env: { PATH: '/bin', ELECTRON_RUN_AS_NODE: '1' } }), {
    command: '/opt/node22/bin/node',
    args: ['/ext/bin/tunelab.js', 'train', '/w/demo.yaml', '--json', '--resume', '--backend', 'wasm', '--max-steps', '10'],
    env: { PATH: '/bin' },
  });
  // code-server: the extension host is Node already.
  assert.deepEqual(trainerCommand({ ...launch, isElectron: false, execPath: '/usr/bin/node' }).env, { PATH: '/bin' });
});

test('the restart policy allows four crashes in three minutes, then gives up until reset', () => {
  const p = new RestartPolicy(4, 180_000);
  assert.deepEqual([0, 1000, 2000, 3000, 4000].map((t) => p.crashed(t)), [true, true, true, true, false]);
  // Old crashes age out of the window.
  assert.equal(p.crashed(200_000), true);
  p.reset();
  assert.equal(p.recentCrashes, 0);
});
