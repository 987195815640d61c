import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const tunelab = (...args: string[]) => spawnSync(process.execPath, ['bin/tunelab.js', ...args], { cwd: root, encoding: 'utf8' });

test('an unknown command is a usage error: exit 2, one line on stderr', () => {
  const r = tunelab('frobnicate');
  assert.equal(r.status, 2);
  assert.equal(r.stdout, '');
  assert.equal(r.stderr.trim().split('\n').length, 1);
  assert.match(r.stderr, /^tunelab: unknown command 'frobnicate'/);
});

test('--help lists every command and exits 0', () => {
  const r = tunelab('--help');
  assert.equal(r.status, 0);
  for (const name of ['validate', 'inspect', 'estimate', 'lsp', 'train', 'eval', 'generate', 'merge-lora']) {
    assert.match(r.stdout, new RegExp(`^  ${name} `, 'm'));
  }
});
