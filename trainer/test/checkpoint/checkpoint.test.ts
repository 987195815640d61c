import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { listCheckpoints, pruneCheckpoints, readCheckpoint, writeCheckpoint, CHECKPOINT_FORMAT, type CheckpointContents } from '../../checkpoint/checkpoint';

let dir = '';
beforeEach(() => void (dir = mkdtempSync(join(tmpdir(), 'tunelab-ckpt-'))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const contents = (step: number, value: number): CheckpointContents => ({
  state: { format: CHECKPOINT_FORMAT, run_id: 'abc', total_steps: 10, method: 'lora', time: 't', step, epoch: 1, micro: 2, rng: [1, 2, 3, 4], bestEval: 0.5, badEvals: 1 },
  weights: new Map([['layer.lora_A.weight', { shape: [2, 3], data: new Float32Array([value, 2, 3, 4, 5, 6]) }]]),
  optimizer: { t: step, m: { 'layer.lora_A.weight': new Float32Array([0.1, 0.2, 0.3, 0.4, 0.5, 0.6]) }, v: { 'layer.lora_A.weight': new Float32Array(6).fill(0.01) } },
});

describe('checkpoints', () => {
  it('round-trip every field exactly', () => {
    const c = contents(4, 1.5);
    const path = writeCheckpoint(dir, c, (d) => writeFileSync(join(d, 'extra.txt'), 'x'));
    assert.equal(path, join(dir, 'checkpoint-4'));
    assert.deepEqual(readdirSync(path).sort(), ['extra.txt', 'optimizer.safetensors', 'trainer_state.json', 'weights.safetensors']);
    assert.deepEqual(readCheckpoint(path), c);
    assert.deepEqual(readdirSync(dir), ['checkpoint-4']);
  });

  it('an unfinished checkpoint (killed while writing) is invisible and the previous one stays intact', () => {
    writeCheckpoint(dir, contents(2, 1));
    // What a kill leaves: a temporary folder without trainer_state.json.
    mkdirSync(join(dir, '.checkpoint-4.tmp-999'));
    writeFileSync(join(dir, '.checkpoint-4.tmp-999', 'weights.safetensors'), 'partial');
    // And a folder with the right name but no state file is not a checkpoint either.
    mkdirSync(join(dir, 'checkpoint-6'));
    assert.deepEqual(listCheckpoints(dir), [{ step: 2, path: join(dir, 'checkpoint-2') }]);
    assert.deepEqual(readCheckpoint(join(dir, 'checkpoint-2')), contents(2, 1));
  });

  it('re-writing the same step replaces it whole', () => {
    writeCheckpoint(dir, contents(3, 1));
    writeCheckpoint(dir, contents(3, 9));
    assert.equal(readCheckpoint(join(dir, 'checkpoint-3')).weights.get('layer.lora_A.weight')!.data[0], 9);
    assert.deepEqual(readdirSync(dir), ['checkpoint-3']);
  });

  it('save_total_limit keeps the newest, numerically ordered', () => {
    for (const s of [2, 10, 4, 8]) writeCheckpoint(dir, contents(s, s));
    assert.deepEqual(pruneCheckpoints(dir, 2), [join(dir, 'checkpoint-2'), join(dir, 'checkpoint-4')]);
    assert.deepEqual(listCheckpoints(dir).map((c) => c.step), [8, 10]);
    assert.deepEqual(pruneCheckpoints(dir, null), []);
  });

  it('a folder that is not a checkpoint gets a clear error', () => {
    assert.throws(() => readCheckpoint(dir), /is not a Tunelab checkpoint \(no trainer_state.json\)/);
    assert.equal(existsSync(join(dir, 'checkpoint-1')), false);
  });
});
