import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { evaluateSetting, type ParamSetting } from '../../../common/merge/config';
import { mulberry32 } from '../../../common/random';
import { applyMask, bernoulliMask, dellaMask, kthSmallest, linearMerge, magnitudeMask, maskRandom, outlierMask, slerp, taskArithmetic, type Mask } from '../../merge/maths';

interface Case {
  name: string;
  method: string;
  inputs: number[][];
  params: { weights?: number[]; densities?: number[]; normalize?: boolean; rescale?: boolean; lambda?: number; gamma?: number; t?: number };
  expected: number[];
  masks?: number[][];
}

const ref = JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures', 'merge_reference.json'), 'utf8')) as {
  cases: Case[];
  sign_election: { base: number[]; models: number[][]; expected_normalized: number[]; expected_sum: number[] };
  gradients: { setting: ParamSetting; tensor: string; t: number; expected: number | null }[];
};

const f32 = (a: number[]): Float32Array => Float32Array.from(a);

function close(got: Float32Array, want: number[], tol = 2e-6): void {
  assert.equal(got.length, want.length);
  for (let i = 0; i < want.length; i++) assert.ok(Math.abs(got[i] - want[i]) <= tol * Math.max(1, Math.abs(want[i])), `entry ${i}: ${got[i]} vs ${want[i]}`);
}

/** The TypeScript side of a fixture case: sparsify (with the fixture's masks), then merge. */
function run(c: Case): Float32Array {
  const p = c.params;
  if (c.method === 'linear') return linearMerge(c.inputs.map(f32), p.weights!, p.normalize!);
  if (c.method === 'slerp') return slerp(p.t!, f32(c.inputs[0]), f32(c.inputs[1]));
  const base = f32(c.inputs[0]);
  const deltas = c.inputs.slice(1).map((x, i) => {
    const d = f32(x);
    for (let j = 0; j < d.length; j++) d[j] -= base[j];
    let mask: Mask = null;
    if (c.method === 'ties') {
      mask = magnitudeMask(d, p.densities![i]);
      assert.deepEqual([...mask!], c.masks![i], `${c.name}: top-k mask of model ${i}`);
    } else if (c.method === 'breadcrumbs') {
      mask = outlierMask(d, p.densities![i], p.gamma!);
      assert.deepEqual([...mask!], c.masks![i], `${c.name}: breadcrumbs mask of model ${i}`);
    } else if (c.masks) mask = Uint8Array.from(c.masks[i]);
    applyMask(d, mask, p.rescale ?? false);
    return { delta: d, weight: p.weights![i] };
  });
  const consensus = c.method === 'ties' || c.method === 'dare_ties';
  return taskArithmetic(base, deltas, { consensus, normalize: p.normalize!, lambda: p.lambda ?? 1 });
}

describe('merge maths against the numpy reference', () => {
  for (const c of ref.cases) {
    it(c.name, () => close(run(c), c.expected));
  }
});

describe('TIES sign election', () => {
  const base = f32(ref.sign_election.base);
  const deltas = ref.sign_election.models.map((m) => ({ delta: f32(m), weight: 1 }));
  it('keeps only deltas agreeing with the sign of the sum, divided by their weights', () => {
    assert.deepEqual([...taskArithmetic(base, deltas, { consensus: true, normalize: true, lambda: 1 })], ref.sign_election.expected_normalized);
  });
  it('sums the agreeing deltas without normalize', () => {
    assert.deepEqual([...taskArithmetic(base, deltas, { consensus: true, normalize: false, lambda: 1 })], ref.sign_election.expected_sum);
  });
  it('a zero weighted sum elects +, and a zero delta never agrees', () => {
    // entry 0: +1 and -1 sum to 0 -> + elected -> only +1 counts; entry 1: both zero -> divisor 1.
    const out = taskArithmetic(new Float32Array(2), [{ delta: f32([1, 0]), weight: 1 }, { delta: f32([-1, 0]), weight: 1 }], { consensus: true, normalize: true, lambda: 1 });
    assert.deepEqual([...out], [1, 0]);
  });
});

describe('DARE rescaling', () => {
  it('rescales survivors to the original L1 norm exactly', () => {
    const d = f32([1, -2, 3, -4]);
    applyMask(d, Uint8Array.from([1, 0, 1, 0]), true);
    // |1|+|-2|+|3|+|-4| = 10; kept 1 + 3 = 4; scale 2.5
    assert.deepEqual([...d], [2.5, 0, 7.5, 0]);
  });
  it('leaves the masked tensor alone without rescale, or when nothing survives', () => {
    const a = f32([1, -2, 3, -4]);
    applyMask(a, Uint8Array.from([0, 1, 0, 0]), false);
    assert.deepEqual([...a], [0, -2, 0, 0]);
    const b = f32([1, -2]);
    applyMask(b, Uint8Array.from([0, 0]), true);
    assert.deepEqual([...b], [0, 0]);
  });
  it('draws masks from the seed, per tensor and input, with keep rate ≈ density', () => {
    const m1 = bernoulliMask(10000, 0.3, maskRandom(42, 'model.layers.0.mlp.up_proj.weight', 'a'))!;
    const m2 = bernoulliMask(10000, 0.3, maskRandom(42, 'model.layers.0.mlp.up_proj.weight', 'a'))!;
    const m3 = bernoulliMask(10000, 0.3, maskRandom(43, 'model.layers.0.mlp.up_proj.weight', 'a'))!;
    assert.deepEqual(m1, m2);
    assert.notDeepEqual(m1, m3);
    const kept = m1.reduce((a, b) => a + b, 0);
    assert.ok(kept > 2800 && kept < 3200, `kept ${kept}`);
    assert.equal(bernoulliMask(5, 1, maskRandom(1, 'x', 'y')), null);
  });
});

describe('magnitude trimming', () => {
  it('keeps floor(density·n) largest magnitudes, earlier position first on ties', () => {
    assert.deepEqual([...magnitudeMask(f32([0.1, -5, 2, -2, 0.3]), 0.5)!], [0, 1, 1, 0, 0]);
    assert.equal(magnitudeMask(f32([1, 2]), 1), null);
    assert.throws(() => magnitudeMask(f32([1, 2]), 0.2), /keeps no entry/);
  });
});

describe('breadcrumbs outliers', () => {
  it('matches a stable sort of |x| on tensors full of ties', () => {
    const r = mulberry32(5);
    for (let trial = 0; trial < 50; trial++) {
      const n = 1 + Math.floor(r() * 40);
      const x = Float32Array.from({ length: n }, () => Math.floor(r() * 5) - 2);
      const density = 0.1 + r() * 0.8;
      const gamma = r() * 0.3;
      const target = Math.trunc(density * n);
      let nTop = Math.trunc(gamma * n);
      let nBot = n - target - nTop;
      if (nBot < 0) {
        nTop += nBot;
        nBot = 0;
      }
      const order = Array.from({ length: n }, (_, j) => j).sort((p, q) => Math.abs(x[p]) - Math.abs(x[q]) || p - q);
      const want = new Array<number>(n).fill(0);
      if (nTop > 0) for (let k = nBot; k < n - nTop; k++) want[order[k]] = 1;
      assert.deepEqual([...(outlierMask(x, density, gamma) ?? new Uint8Array(n).fill(1))], want, `x=${[...x]} density=${density} gamma=${gamma}`);
    }
  });
});

describe('DELLA keep probabilities', () => {
  it('rise with the magnitude rank in each row from density − ε to density + ε', () => {
    // A constant draw of 0.5 keeps exactly the entries whose probability exceeds 0.5.
    const x = Float32Array.from([0.1, -0.4, 0.3, 0.2, 5, -1, 0.5, 2]);
    const mask = dellaMask(x, [2, 4], 0.5, 0.2, () => 0.5)!;
    // row 0 ranks (ascending |x|): 0.1→0, 0.2→1, 0.3→2, 0.4→3: p = 0.3, 0.433, 0.567, 0.7
    // row 1: 0.5→0, 1→1, 2→2, 5→3
    assert.deepEqual([...mask], [0, 1, 1, 0, 1, 0, 0, 1]);
    assert.throws(() => dellaMask(x, [2, 4], 0.9, 0.15, () => 0.5), /density ± epsilon/);
  });
});

describe('parameter settings (evaluate_setting)', () => {
  for (const g of ref.gradients) {
    it(`${JSON.stringify(g.setting)} at ${g.tensor}, t=${g.t}`, () => {
      const got = evaluateSetting(g.setting, g.tensor, g.t);
      if (g.expected === null) assert.equal(got, undefined);
      else assert.ok(Math.abs((got as number) - g.expected) < 1e-12, `${String(got)} vs ${g.expected}`);
    });
  }
});

describe('kthSmallest', () => {
  it('agrees with a sort on random data with many repeats', () => {
    const r = mulberry32(11);
    for (let trial = 0; trial < 200; trial++) {
      const n = 1 + Math.floor(r() * 300);
      const a = Float32Array.from({ length: n }, () => (trial % 2 ? Math.floor(r() * 7) : r()));
      const sorted = a.slice().sort();
      const k = Math.floor(r() * n);
      assert.equal(kthSmallest(a.slice(), k), sorted[k]);
    }
  });
});
