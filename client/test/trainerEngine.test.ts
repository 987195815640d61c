import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { importRuns } from '../../common/runs/index';
import { RunTracker } from '../runs/runTracker';
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

test('an imported run is shown but never resumable', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tunelab-imported-'));
  try {
    // A mid-run checkpoint (step 2000 of 35050): stopped, with a checkpoint a local run could resume from.
    cpSync(fileURLToPath(new URL('../../common/runs/test/fixtures/hf-asr-checkpoint', import.meta.url)), join(dir, 'checkpoint-2000'), { recursive: true });
    const run = importRuns(join(dir, 'checkpoint-2000', 'trainer_state.json')).runs[0]!;
    const t = new RunTracker(run.runId, join(dir, 'events.jsonl'));
    for (const e of run.events) t.apply(e);
    const s = t.summary();
    assert.deepEqual([s.status, s.checkpoints.length, s.resumable, s.backend], ['stopped', 1, false, 'transformers (imported)']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
