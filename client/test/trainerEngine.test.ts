import assert from 'node:assert/strict';
import { test } from 'node:test';
import { trainerCommand } from '../runs/trainerCommand';

test('engine settings reach `tunelab train` as the lowest-precedence environment defaults', () => {
  const launch = { cliPath: '/ext/bin/tunelab.js', configPath: '/w/c.yml', resume: true, backend: 'auto', nodePath: '', execPath: '/usr/bin/node', isElectron: false, env: { PATH: '/bin' } };
  assert.deepEqual(trainerCommand({ ...launch, engine: 'axolotl', python: ' /w/.venv/bin/python ', gpus: 4 }), {
    command: '/usr/bin/node',
    args: ['/ext/bin/tunelab.js', 'train', '/w/c.yml', '--json', '--resume', '--backend', 'auto'],
    env: { PATH: '/bin', TUNELAB_ENGINE: 'axolotl', TUNELAB_PYTHON: '/w/.venv/bin/python', TUNELAB_GPUS: '4' },
  });
  // Defaults add nothing but the engine name; one GPU is the CLI's own default.
  assert.deepEqual(trainerCommand({ ...launch, engine: 'builtin', python: '', gpus: 1 }).env, { PATH: '/bin', TUNELAB_ENGINE: 'builtin' });
});
