import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { BackendError, findWasmDir, selectBackend, tf } from '../../backend/index';

const resolvable = (name: string): boolean => {
  try {
    createRequire(import.meta.url).resolve(name);
    return true;
  } catch {
    return false;
  }
};
const noOptional = !resolvable('@tensorflow/tfjs-node') && !resolvable('@tensorflow/tfjs-node-gpu') && !resolvable('webgpu');

describe('selectBackend', () => {
  it('finds the wasm binaries', () => {
    const dir = findWasmDir();
    assert.ok(dir && existsSync(join(dir, 'tfjs-backend-wasm-simd.wasm')));
  });

  it('auto falls back to wasm and says why the faster ones did not load', { skip: noOptional ? false : 'tfjs-node or webgpu is installed here' }, async () => {
    const r = await selectBackend('auto');
    assert.deepEqual([r.name, r.trainable, r.skipped.map((s) => s.name)], ['wasm', true, ['tensorflow', 'webgpu']]);
    assert.match(r.detail, /^wasm \((SIMD|no SIMD), 1 thread\)$/);
    assert.match(r.skipped[0].reason, /^not installed or failed to load .*install @tensorflow\/tfjs-node or @tensorflow\/tfjs-node-gpu to use it$/);
    assert.match(r.skipped[1].reason, /^the optional 'webgpu' package is not installed/);
    assert.equal(tf.getBackend(), 'wasm');
    // Gradients are registered (tfjs-core ships them separately from its Node bundle).
    assert.ok(tf.getGradient('BatchMatMul'));
  });

  it('a named backend that is missing is an error listing the reason, and the current backend stays', { skip: noOptional ? false : 'tfjs-node is installed here' }, async () => {
    await selectBackend('wasm');
    await assert.rejects(selectBackend('tensorflow'), (e: Error) => e instanceof BackendError && e.message.startsWith('no usable backend: tensorflow: not installed or failed to load'));
    assert.equal(tf.getBackend(), 'wasm');
  });

  it('the faster wasm Slice / Unpack / SplitV kernels give the stock results', async () => {
    await selectBackend('wasm');
    const x = tf.tensor3d(Float32Array.from({ length: 24 }, (_, i) => i), [2, 3, 4]);
    assert.deepEqual(tf.slice(x, [1, 1, 1], [1, 2, 2]).arraySync(), [[[17, 18], [21, 22]]]);
    assert.deepEqual(tf.slice(x, [0, 2, 0], [2, 1, 4]).arraySync(), [[[8, 9, 10, 11]], [[20, 21, 22, 23]]]);
    assert.deepEqual(tf.unstack(x, 1).map((t) => t.arraySync()), [
      [[0, 1, 2, 3], [12, 13, 14, 15]],
      [[4, 5, 6, 7], [16, 17, 18, 19]],
      [[8, 9, 10, 11], [20, 21, 22, 23]],
    ]);
    assert.deepEqual(tf.split(x, [1, 3], 2).map((t) => t.shape), [[2, 3, 1], [2, 3, 3]]);
    assert.deepEqual(tf.split(x, [1, 3], 2)[0].arraySync(), [[[0], [4], [8]], [[12], [16], [20]]]);
    assert.deepEqual(tf.slice(tf.tensor1d([5, 6, 7], 'int32'), [1], [2]).arraySync(), [6, 7]);
    assert.deepEqual(tf.slice(x, [0, 0, 0], [0, 3, 4]).shape, [0, 3, 4]);
  });
});
