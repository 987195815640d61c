/**
 * Backend selection for the trainer: which TensorFlow.js backend computes, and why the others
 * did not load. The order for `auto` is fastest first: `tensorflow` (tfjs-node-gpu / tfjs-node,
 * only when the user installed it), `webgpu` (the optional `webgpu` npm package, Dawn), then
 * `wasm` (always present; XNNPACK + SIMD). The pure-JS `cpu` backend is ~30x slower than wasm
 * and is never chosen for training; it is only a reported last resort for tiny inference.
 */
import * as tf from '@tensorflow/tfjs-core';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureGradients } from './gradients';
import { installWasmKernels } from './wasmKernels';

/** What the user asks for (`--backend`). */
export type BackendChoice = 'auto' | 'wasm' | 'webgpu' | 'tensorflow';
/** A backend that actually loaded. `cpu` only as the inference-only last resort. */
export type BackendName = 'wasm' | 'webgpu' | 'tensorflow' | 'cpu';

/** The outcome of `selectBackend`: the backend in use, and a reason for each one not used. */
export interface BackendReport {
  /** The backend tf now computes on. */
  name: BackendName;
  /** Human-readable detail, e.g. "wasm (SIMD, 1 thread)" or "webgpu (Dawn: NVIDIA H200)". */
  detail: string;
  /** True when the backend is fit for training (everything but `cpu`). */
  trainable: boolean;
  /** Backends tried and not used, with the reason (missing package, no adapter, ...). */
  skipped: { name: BackendName; reason: string }[];
}

export interface SelectOptions {
  /** Allow the pure-JS `cpu` backend as a last resort (inference of tiny models only). */
  allowCpuFallback?: boolean;
  /** Directory holding tfjs' .wasm binaries; found automatically when absent. */
  wasmDir?: string;
}

/** Thrown when no usable backend loads; the message lists every reason. */
export class BackendError extends Error {}

/**
 * The .wasm binaries live in dist/wasm/ next to the bundle (the build copies them there) or in
 * node_modules/@tensorflow/tfjs-backend-wasm/dist/ when running from source (tests, tsx).
 */
export function findWasmDir(): string | undefined {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [
    join(here, '..', 'wasm'), // dist/cli/tunelab.mjs -> dist/wasm
    join(here, 'wasm'),
    join(here, '..', '..', 'dist', 'wasm'), // trainer/backend -> dist/wasm
    join(here, '..', '..', 'node_modules', '@tensorflow', 'tfjs-backend-wasm', 'dist'),
    join(process.cwd(), 'node_modules', '@tensorflow', 'tfjs-backend-wasm', 'dist'),
    join(process.cwd(), 'dist', 'wasm'),
  ];
  return candidates.find((d) => existsSync(join(d, 'tfjs-backend-wasm-simd.wasm')));
}

const message = (e: unknown): string => (e instanceof Error ? e.message : String(e)).split('\n')[0];

async function tryWasm(opts: SelectOptions): Promise<string> {
  const dir = opts.wasmDir ?? findWasmDir();
  if (!dir) throw new Error('tfjs wasm binaries not found (expected dist/wasm/ or node_modules/@tensorflow/tfjs-backend-wasm/dist/)');
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  // A trailing separator matters: tfjs concatenates prefix + file name.
  wasm.setWasmPaths(dir.endsWith('/') ? dir : `${dir}/`);
  if (!(await tf.setBackend('wasm'))) throw new Error('the wasm backend failed to initialise');
  installWasmKernels();
  const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
  return `wasm (${simd ? 'SIMD' : 'no SIMD'}, ${wasm.getThreadsCount()} thread)`;
}

// Optional packages: their names go through a variable so bundlers and tsc leave them alone.
const optionalImport = (name: string): Promise<unknown> => import(/* @vite-ignore */ name);

async function tryTensorflow(): Promise<string> {
  let lastError = '';
  for (const pkg of ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']) {
    try {
      await optionalImport(pkg);
      if (!(await tf.setBackend('tensorflow'))) throw new Error('the tensorflow backend failed to initialise');
      return `tensorflow (${pkg})`;
    } catch (e) {
      lastError = `${pkg}: ${message(e)}`;
    }
  }
  throw new Error(`not installed or failed to load (${lastError}); install @tensorflow/tfjs-node or @tensorflow/tfjs-node-gpu to use it`);
}

interface DawnModule {
  create(flags: string[]): unknown;
  globals: Record<string, unknown>;
}

/** Dawn flags, e.g. `backend=opengles` for machines without Vulkan (see docs/benchmarks.md). */
const dawnFlags = (): string[] => (process.env.TUNELAB_DAWN_FLAGS ?? '').split(/[\s,]+/).filter(Boolean);

interface GpuAdapterLike {
  isFallbackAdapter?: boolean;
  info?: { description?: string; vendor?: string; device?: string; architecture?: string };
}

async function tryWebgpu(auto: boolean): Promise<string> {
  let dawn: DawnModule;
  try {
    dawn = (await optionalImport('webgpu')) as DawnModule;
  } catch (e) {
    throw new Error(`the optional 'webgpu' package is not installed (${message(e)}); npm install webgpu to use Dawn`);
  }
  const g = globalThis as Record<string, unknown>;
  Object.assign(g, dawn.globals);
  const gpu = dawn.create(dawnFlags()) as { requestAdapter(o?: unknown): Promise<GpuAdapterLike | null> };
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) throw new Error('Dawn found no GPU adapter (no Vulkan driver? try TUNELAB_DAWN_FLAGS=backend=opengles)');
  const info = adapter.info ?? {};
  const name = [info.vendor, info.architecture, info.device, info.description].filter(Boolean).join(' ') || 'adapter';
  // A CPU rasteriser (llvmpipe, lavapipe, SwiftShader) trains ~3x slower than wasm: auto skips it.
  const software = adapter.isFallbackAdapter === true || /llvmpipe|lavapipe|swiftshader|software/i.test(name);
  if (auto && software) throw new Error(`only a software adapter (${name}), slower than wasm`);
  // tfjs-backend-webgpu reads navigator.gpu.
  const nav = (g.navigator ?? {}) as Record<string, unknown>;
  if (!g.navigator) g.navigator = nav;
  try {
    Object.defineProperty(nav, 'gpu', { value: gpu, configurable: true });
  } catch {
    throw new Error('cannot install navigator.gpu in this Node version');
  }
  await import('@tensorflow/tfjs-backend-webgpu');
  if (!(await tf.setBackend('webgpu'))) throw new Error('the webgpu backend failed to initialise');
  return `webgpu (Dawn: ${name})`;
}

async function tryCpu(): Promise<string> {
  await optionalImport('@tensorflow/tfjs-backend-cpu');
  if (!(await tf.setBackend('cpu'))) throw new Error('the cpu backend failed to initialise');
  return 'cpu (pure JavaScript; inference of tiny models only)';
}

/**
 * Loads and activates a backend. `auto` tries tensorflow, webgpu, then wasm; a named choice tries
 * only that one. Throws `BackendError` (listing every reason) when nothing usable loads.
 */
export async function selectBackend(choice: BackendChoice = 'auto', opts: SelectOptions = {}): Promise<BackendReport> {
  const order: Exclude<BackendName, 'cpu'>[] = choice === 'auto' ? ['tensorflow', 'webgpu', 'wasm'] : [choice];
  const skipped: BackendReport['skipped'] = [];
  const attempt: Record<Exclude<BackendName, 'cpu'>, () => Promise<string>> = {
    tensorflow: tryTensorflow,
    webgpu: () => tryWebgpu(choice === 'auto'),
    wasm: () => tryWasm(opts),
  };
  for (const name of order) {
    try {
      const detail = await attempt[name]();
      await tf.ready();
      await ensureGradients();
      return { name, detail, trainable: true, skipped };
    } catch (e) {
      skipped.push({ name, reason: message(e) });
    }
  }
  if (opts.allowCpuFallback) {
    try {
      const detail = await tryCpu();
      await ensureGradients();
      return { name: 'cpu', detail, trainable: false, skipped };
    } catch (e) {
      skipped.push({ name: 'cpu', reason: message(e) });
    }
  }
  throw new BackendError(`no usable backend: ${skipped.map((s) => `${s.name}: ${s.reason}`).join('; ')}`);
}

export { tf };
