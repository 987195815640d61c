/**
 * The 4-bit (NF4 / FP4, with and without double quantisation) and 8-bit quantisers against the
 * independent PyTorch reference (scripts/reference/quant_fixtures.py): codes bit for bit, block
 * constants exactly, dequantised values to float32 precision.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { readSafetensors } from '../../io/index';
import { blockAbsmax, dequantize4bit, dynamicMap, FP4_CODE, NF4_CODE, quantize4bit, quantized4bitBytes, unpackCodes, type Quant4Type } from '../../model/nf4';
import { dequantizeInt8, quantizeInt8 } from '../../model/quantInt8';

const { tensors } = readSafetensors(join(import.meta.dirname, '..', 'fixtures', 'quant', 'quant.safetensors'));
const get = (name: string): Float32Array => {
  const t = tensors.get(name);
  if (!t) throw new Error(`fixture has no ${name}`);
  return t.data;
};
const weight = (name: string) => {
  const t = tensors.get(`${name}.weight`)!;
  return { data: t.data, shape: t.shape as [number, number] };
};

function assertSameArray(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) if (actual[i] !== expected[i]) assert.fail(`${what}[${i}]: ${actual[i]} !== ${expected[i]}`);
}

function assertClose(actual: Float32Array, expected: Float32Array, what: string): void {
  assert.equal(actual.length, expected.length);
  for (let i = 0; i < expected.length; i++) {
    const tol = 1e-7 + 1e-6 * Math.abs(expected[i]);
    if (Math.abs(actual[i] - expected[i]) > tol) assert.fail(`${what}[${i}]: ${actual[i]} vs ${expected[i]}`);
  }
}

describe('code tables', () => {
  it('NF4 has bitsandbytes\' 16 values with an exact zero at code 7 and ±1 at the ends', () => {
    assert.equal(NF4_CODE.length, 16);
    assert.equal(NF4_CODE[0], -1);
    assert.equal(NF4_CODE[7], 0);
    assert.equal(NF4_CODE[15], 1);
    assert.equal(NF4_CODE[8], Math.fround(0.07958029955625534));
  });
  it('FP4 is sign + 2 exponent + 1 mantissa bits over 12', () => {
    assert.deepEqual([...FP4_CODE.slice(0, 8)].map((v) => Math.round(v * 12 * 10000) / 10000), [0, 0.0625, 8, 12, 4, 6, 2, 3]);
    for (let i = 1; i < 8; i++) assert.equal(FP4_CODE[i + 8], -FP4_CODE[i]);
  });
  it('the dynamic 8-bit map equals torch\'s, value for value', () => {
    assertSameArray(dynamicMap(), get('dynamic_map'), 'dynamic_map');
  });
});

for (const name of ['large', 'odd', 'special']) {
  describe(`4-bit quantisation of "${name}"`, () => {
    for (const quantType of ['nf4', 'fp4'] as Quant4Type[]) {
      for (const doubleQuant of [false, true]) {
        const key = `${name}.${quantType}${doubleQuant ? '.dq' : ''}`;
        if (!tensors.has(`${key}.codes`)) continue;
        it(`${quantType}${doubleQuant ? ' + double quantisation' : ''}: codes, packing, constants and values`, () => {
          const w = weight(name);
          const q = quantize4bit(w.data, w.shape, { quantType, doubleQuant, blockSize: 64 });
          assertSameArray(unpackCodes(q), get(`${key}.codes`), 'codes');
          assertSameArray(q.packed, get(`${key}.packed`), 'packed');
          if (doubleQuant) {
            assert.equal(q.absmax, null);
            assertSameArray(q.nested!.codes, get(`${key}.absmax_codes`), 'absmax codes');
            assertSameArray(q.nested!.absmax2, get(`${key}.absmax2`), 'absmax2');
            assert.equal(q.nested!.offset, get(`${key}.offset`)[0]);
          } else {
            assertSameArray(q.absmax!, get(`${key}.absmax`), 'absmax');
          }
          assertClose(dequantize4bit(q), get(`${key}.dequant`), 'dequant');
          // The transposed dequantisation is the same values in the [in, out] layout.
          const t = dequantize4bit(q, true);
          const [rows, cols] = w.shape;
          const straight = get(`${key}.dequant`);
          for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) assert.equal(t[c * rows + r], Math.fround(straight[r * cols + c]));
        });
      }
    }
    it('int8 (vector-wise): codes and row scales exactly, values to float32', () => {
      const w = weight(name);
      const q = quantizeInt8(w.data, w.shape);
      assertSameArray(q.codes, get(`${name}.int8.codes`), 'codes');
      assertSameArray(q.rowAbsmax, get(`${name}.int8.row_absmax`), 'row absmax');
      assertClose(dequantizeInt8(q), get(`${name}.int8.dequant`), 'dequant');
    });
  });
}

describe('storage', () => {
  it('NF4 with double quantisation takes 4.127 bits per weight; without, 4.5', () => {
    const w = weight('large'); // 19200 values = 300 blocks
    const dq = quantize4bit(w.data, w.shape, { quantType: 'nf4', doubleQuant: true, blockSize: 64 });
    assert.equal(quantized4bitBytes(dq), 9600 + 300 + 2 * 4 + 4);
    const plain = quantize4bit(w.data, w.shape, { quantType: 'nf4', doubleQuant: false, blockSize: 64 });
    assert.equal(quantized4bitBytes(plain), 9600 + 300 * 4);
    assert.equal(blockAbsmax(plain).length, 300);
  });
  it('refuses a block size bitsandbytes does not offer', () => {
    assert.throws(() => quantize4bit(new Float32Array(64), [1, 64], { quantType: 'nf4', doubleQuant: false, blockSize: 48 }), /block size must be one of 32, 64/);
  });
  it('an all-zero row quantises to zero codes in 8 bits (no division by zero)', () => {
    const q = quantizeInt8(new Float32Array([0, 0, 0, 1, -2, 0.5]), [2, 3]);
    assert.deepEqual([...q.codes], [0, 0, 0, 64, -127, 32]);
    assert.deepEqual([...dequantizeInt8(q)], [0, 0, 0, Math.fround(Math.fround(64 * 2) * Math.fround(1 / 127)), -2, Math.fround(Math.fround(32 * 2) * Math.fround(1 / 127))]);
  });
});

describe('rounding at the midpoints', () => {
  /** The float32 neighbours of x. */
  const around = (x: number): number[] => {
    const a = new Float32Array([x]);
    const u = new Uint32Array(a.buffer);
    const up = new Float32Array(new Uint32Array([u[0] + (x >= 0 ? 1 : -1)]).buffer)[0];
    const down = new Float32Array(new Uint32Array([u[0] + (x >= 0 ? -1 : 1)]).buffer)[0];
    return x === 0 ? [x] : [down, a[0], up];
  };
  for (const [type, table] of [['nf4', NF4_CODE], ['fp4', FP4_CODE]] as const) {
    it(`${type}: a value on a midpoint rounds down (NF4) or toward zero (FP4); one ulp either side is decided by the side`, () => {
      const values = [...table].sort((a, b) => a - b);
      const mids = values.slice(1).map((v, i) => Math.fround((values[i] + v) / 2));
      const xs = [1, ...mids.flatMap(around)];
      while (xs.length % 64) xs.push(0);
      const q = quantize4bit(Float32Array.from(xs), [1, xs.length], { quantType: type, doubleQuant: false, blockSize: 64 });
      const codes = unpackCodes(q);
      // FP4 is sign + magnitude (the CUDA kernel): |x| is rounded among the magnitudes.
      const mags = [...table.slice(0, 8)].sort((a, b) => a - b);
      const magMids = mags.slice(1).map((v, i) => Math.fround((mags[i] + v) / 2));
      xs.forEach((x, i) => {
        let want: number;
        if (type === 'nf4') {
          // The nearest value, a tie to the lower one.
          want = mids.filter((m) => m < x).length;
        } else {
          // The nearest magnitude, a tie to the smaller one; the sign bit from x.
          const mag = mags[magMids.filter((m) => m < Math.abs(x)).length];
          want = table.indexOf(mag) | (x < 0 ? 8 : 0);
        }
        assert.equal(codes[i], want, `x = ${x}`);
      });
    });
  }
});
