/**
 * `tunelab train` argument errors around the engines, through the CLI as a user runs it: each is
 * one line naming what was wrong, exit 2, and nothing is written.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { runCli } from '../../test/inProcess';

const dir = mkdtempSync(join(tmpdir(), 'tunelab-train-args-'));
after(() => rmSync(dir, { recursive: true, force: true }));
writeFileSync(join(dir, 'c.yml'), 'base_model: org/m\ndatasets:\n  - path: d.jsonl\n    type: alpaca\noutput_dir: ./out\n');

describe('tunelab train engine arguments', () => {
  it('--python / --gpus with the built-in trainer, an unknown engine, a bad --gpus', async () => {
    const cases: [string[], string][] = [
      [['train', 'c.yml', '--gpus', '2'], 'tunelab train: --python and --gpus apply to --engine axolotl or hf; the built-in trainer runs in this process\n'],
      [['train', 'c.yml', '--engine', 'builtin', '--python', 'python3'], 'tunelab train: --python and --gpus apply to --engine axolotl or hf; the built-in trainer runs in this process\n'],
      [['train', 'c.yml', '--engine', 'hff'], "tunelab train: --engine must be one of builtin, axolotl, hf, got 'hff'\n"],
      [['train', 'c.yml', '--engine', 'hf', '--gpus', '0'], "tunelab train: --gpus must be an integer >= 1, got '0'\n"],
    ];
    for (const [args, err] of cases) {
      const r = await runCli(dir, args);
      assert.deepEqual([r.code, r.err, r.out], [2, err, ''], args.join(' '));
    }
    assert.equal(existsSync(join(dir, 'out')), false);
  });
  it('a bad $TUNELAB_GPUS (the editor setting) is named as such, not as --gpus', async () => {
    const saved = process.env.TUNELAB_GPUS;
    process.env.TUNELAB_GPUS = 'two';
    try {
      const r = await runCli(dir, ['train', 'c.yml', '--engine', 'hf']);
      assert.deepEqual([r.code, r.err], [2, "tunelab train: $TUNELAB_GPUS must be an integer >= 1, got 'two'\n"]);
      // --gpus given on the command line wins over the environment.
      const flag = await runCli(dir, ['train', 'c.yml', '--engine', 'hf', '--gpus', 'x']);
      assert.deepEqual([flag.code, flag.err], [2, "tunelab train: --gpus must be an integer >= 1, got 'x'\n"]);
    } finally {
      if (saved === undefined) delete process.env.TUNELAB_GPUS;
      else process.env.TUNELAB_GPUS = saved;
    }
    assert.equal(existsSync(join(dir, 'out')), false);
  });
});
