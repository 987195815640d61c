/** Host-side tensors: what files hold and what models are built from. */
import { mulberry32 } from '../../common/random';

/** A float32 tensor in host memory, row-major. */
export interface HostTensor {
  shape: number[];
  data: Float32Array;
}

export const numel = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/** Transposes a 2-D host tensor [r, c] -> [c, r]. */
export function transpose2d(t: HostTensor): HostTensor {
  const [r, c] = t.shape;
  const out = new Float32Array(r * c);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) out[j * r + i] = t.data[i * c + j];
  return { shape: [c, r], data: out };
}

/** The seeded PRNG (mulberry32) the trainer uses, so initialisation does not depend on the backend. */
export const seededRandom = mulberry32;

/** Standard normal samples from a uniform source (Box–Muller). */
export function normalSampler(rand: () => number): () => number {
  let spare: number | null = null;
  return () => {
    if (spare !== null) {
      const s = spare;
      spare = null;
      return s;
    }
    const u = Math.max(rand(), 1e-12);
    const v = rand();
    const r = Math.sqrt(-2 * Math.log(u));
    spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  };
}
