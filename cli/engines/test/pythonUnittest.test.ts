/**
 * Runs the Python unit tests (python/tests, unittest) with the `python3` on PATH. Tests that need
 * torch / transformers / peft skip themselves there; when no python3 exists at all this test skips
 * with a message instead.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const PYTHON_DIR = fileURLToPath(new URL('../../../python/', import.meta.url));
const python = process.env.TUNELAB_TEST_PYTHON ?? 'python3';
const version = spawnSync(python, ['--version'], { encoding: 'utf8' });

test('python/tests (unittest)', { skip: version.error ? `no ${python} on PATH: the Python engine tests did not run` : false }, (t) => {
  const r = spawnSync(python, ['-m', 'unittest', 'discover', '-s', 'tests', '-t', '.', '-v'], { cwd: PYTHON_DIR, encoding: 'utf8', timeout: 900_000 });
  const out = `${r.stdout}${r.stderr}`;
  const skipped = out.split('\n').filter((l) => / \.\.\. skipped /.test(l));
  for (const s of skipped) t.diagnostic(`skipped: ${s.trim()}`);
  assert.equal(r.status, 0, out.slice(-4000));
  assert.match(out, /\nOK/);
});
