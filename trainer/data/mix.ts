/**
 * Data mixing and multi-task loss weights (the `weight:` and `loss_weight:` keys of a `datasets:`
 * entry), applied to the training examples once per run, deterministically from the seed.
 *
 * Shares. Let n_i be the training examples of dataset i (after masking, length limits and the
 * validation split) and N = Σ n_i. Entries without `weight` keep their natural share n_i / N.
 * The weighted entries split the rest, R = Σ_{weighted} n_i / N, in proportion to their weights:
 * share_i = R · w_i / Σ_{weighted} w. With no weight anywhere nothing changes. (So to put a
 * general dataset at 10 % of a task dataset's run, weight both: `weight: 9` and `weight: 1`.)
 *
 * Counts. The mixed set keeps N examples; count_i = share_i · N rounded by the largest-remainder
 * method (ties to the earlier dataset), so the counts sum to N exactly.
 *
 * Sampling. count_i ≥ n_i (up-sampling): every example ⌊count_i / n_i⌋ times, plus count_i mod
 * n_i examples drawn without replacement; count_i < n_i (down-sampling): count_i examples drawn
 * without replacement. Draws use a generator seeded from (seed, dataset index), so a run and its
 * resume draw the same mix; each epoch then shuffles the mixed set as usual (batches.ts).
 *
 * Loss weights. An example of a dataset with `loss_weight: w` carries `lossWeight: w`; every
 * trained token of it counts w times in the summed loss, which is still divided by the number of
 * trained tokens of the accumulation window (unweighted), so w = 2 doubles that dataset's gradient
 * and leaves the others' alone. Validation examples are scored unweighted.
 */
import type { DatasetMix } from '../../common/protocol/events';
import { Rng } from '../train/rng';
import type { Example } from './batches';

/** One training dataset as the mix sees it. */
export interface MixSource {
  path: string;
  /** `weight:` of the entry, or null when it has none. */
  weight: number | null;
  /** `loss_weight:` of the entry (1 when unset). */
  lossWeight: number;
}

export interface MixResult {
  examples: Example[];
  /** One entry per source, for run_start (`dataset.mix`). */
  mix: DatasetMix[];
}

/** Largest-remainder rounding of `shares` (summing to 1) to integers summing to `total`. */
export function apportion(shares: readonly number[], total: number): number[] {
  const exact = shares.map((s) => s * total);
  const counts = exact.map((x) => Math.floor(x + 1e-9));
  let left = total - counts.reduce((a, b) => a + b, 0);
  const order = exact.map((x, i) => ({ i, r: x - counts[i]! })).sort((a, b) => b.r - a.r || a.i - b.i);
  for (let k = 0; left > 0 && k < order.length; k++, left--) counts[order[k]!.i]! += 1;
  return counts;
}

/** The per-dataset shares (module doc) for the natural sizes `n` and the weights. */
export function mixShares(n: readonly number[], weights: readonly (number | null)[]): number[] {
  const N = n.reduce((a, b) => a + b, 0);
  if (N === 0) return n.map(() => 0);
  const weighted = weights.map((w, i) => (w === null ? 0 : n[i]!)).reduce((a, b) => a + b, 0) / N;
  const wsum = weights.reduce<number>((a, w) => a + (w ?? 0), 0);
  return n.map((ni, i) => {
    const w = weights[i];
    if (w === null || w === undefined) return ni / N;
    return wsum > 0 ? (weighted * w) / wsum : 0;
  });
}

/**
 * Mixes `examples` (each tagged with its `dataset` index into `sources`) and sets loss weights.
 * Throws when a weighted dataset with a positive share has no example left to draw from.
 */
export function mixExamples(examples: readonly Example[], sources: readonly MixSource[], seed: number): MixResult {
  const byDataset: Example[][] = sources.map(() => []);
  for (const e of examples) byDataset[e.dataset ?? 0]?.push(e);
  const n = byDataset.map((xs) => xs.length);
  const N = n.reduce((a, b) => a + b, 0);
  const shares = mixShares(
    n,
    sources.map((s) => s.weight),
  );
  const counts = apportion(shares, N);
  const out: Example[] = [];
  const mix: DatasetMix[] = [];
  sources.forEach((src, i) => {
    const pool = byDataset[i]!;
    const count = counts[i]!;
    if (count > 0 && pool.length === 0) throw new Error(`datasets[${i}] (${src.path}) has no training examples left to draw its share from`);
    const withWeight = (e: Example): Example => (src.lossWeight === 1 ? e : { ...e, lossWeight: src.lossWeight });
    const picked: Example[] = [];
    for (let r = 0; r < Math.floor(count / Math.max(1, pool.length)) && pool.length > 0; r++) picked.push(...pool);
    const rest = pool.length > 0 ? count % pool.length : 0;
    if (rest > 0) {
      // A stream per dataset, so one dataset's draw does not move when another's size changes.
      const rng = new Rng((Math.imul(seed, 0x9e3779b1) ^ Math.imul(i + 1, 0x85ebca6b) ^ 0x6d1b) >>> 0);
      const order = rng.shuffled(pool.map((_, k) => k)).slice(0, rest).sort((a, b) => a - b);
      for (const k of order) picked.push(pool[k]!);
    }
    out.push(...picked.map(withWeight));
    mix.push({ path: src.path, records: pool.length, drawn: count, share: N > 0 ? count / N : 0, loss_weight: src.lossWeight });
  });
  return { examples: out, mix };
}
