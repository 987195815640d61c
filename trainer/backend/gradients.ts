/**
 * tfjs-core ships its gradient definitions only as ES module sources (dist/register_all_gradients.js
 * and dist/gradients/*), never inside its CommonJS Node bundle, and those sources use extensionless
 * imports that Node cannot resolve. The esbuild bundle of the CLI resolves them at build time; when
 * running from TypeScript sources (tests, tsx) we bundle them once with esbuild (a dev dependency)
 * into a cached CommonJS file. Both copies share tfjs' engine and registries, which tfjs keeps on
 * globalThis precisely so that duplicated packages cooperate.
 */
import * as tf from '@tensorflow/tfjs-core';
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomic } from '../../common/fsAtomic';

const registered = (): boolean => tf.getGradient('BatchMatMul') !== undefined;

/** Registers every tfjs gradient once; a no-op when they are already present. */
export async function ensureGradients(): Promise<void> {
  if (registered()) return;
  try {
    await import('@tensorflow/tfjs-core/dist/register_all_gradients.js');
  } catch {
    // Expected when running unbundled: fall through to the esbuild path.
  }
  if (registered()) return;
  const require = createRequire(import.meta.url);
  const dir = join(tmpdir(), 'tunelab-cache');
  const file = join(dir, `tfjs-core-gradients-${tf.version_core}.cjs`);
  if (!existsSync(file)) {
    const entry = require.resolve('@tensorflow/tfjs-core/dist/register_all_gradients.js');
    const esbuildName = 'esbuild';
    const esbuild = (await import(/* @vite-ignore */ esbuildName)) as typeof import('esbuild');
    const out = await esbuild.build({ entryPoints: [entry], bundle: true, write: false, format: 'cjs', platform: 'node', logLevel: 'silent' });
    writeFileAtomic(file, out.outputFiles[0].contents, { mkdir: true });
  }
  require(file);
  if (!registered()) throw new Error('tfjs gradients could not be registered');
}
