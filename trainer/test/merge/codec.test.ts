import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mulberry32 } from '../../../common/random';
import { floatToBf16, floatToHalf, halfToFloat } from '../../io/index';
import { decodeFloats, encodeFloats } from '../../merge/codec';

const specials = [0, -0, 1, -1, 65504, 65520, 1e-8, -6e-5, 5.96e-8, 3.4e38, Infinity, -Infinity, NaN, 1.00390625, 1.01171875, 0.1, -2.5];
const r = mulberry32(9);
const values = Float32Array.from([...specials, ...Array.from({ length: 5000 }, () => (r() - 0.5) * 10 ** Math.floor(r() * 12 - 6))]);

describe('bulk float codecs agree with the per-value safetensors helpers', () => {
  it('BF16 and F16 encoding, rounding and specials included', () => {
    const bf = encodeFloats(values, 'BF16');
    const h = encodeFloats(values, 'F16');
    for (let i = 0; i < values.length; i++) {
      assert.equal(bf.readUInt16LE(i * 2), floatToBf16(values[i]), `bf16 ${values[i]}`);
      assert.equal(h.readUInt16LE(i * 2), floatToHalf(values[i]), `f16 ${values[i]}`);
    }
    assert.deepEqual(new Float32Array(encodeFloats(values, 'F32').buffer.slice(0)), values);
  });
  it('decoding BF16, F16 and F32, also from an unaligned buffer', () => {
    const bits = Uint16Array.from({ length: 65536 }, (_, i) => i);
    const bytes = Buffer.from(bits.buffer);
    const unaligned = Buffer.concat([Buffer.alloc(1), bytes]).subarray(1);
    const half = decodeFloats(unaligned, 'F16')!;
    const bf = decodeFloats(bytes, 'BF16')!;
    const f32 = new Float32Array(1);
    const u32 = new Uint32Array(f32.buffer);
    for (let i = 0; i < 65536; i++) {
      assert.ok(Object.is(half[i], halfToFloat(i)) || (Number.isNaN(half[i]) && Number.isNaN(halfToFloat(i))), `f16 ${i}`);
      u32[0] = i << 16;
      assert.ok(Object.is(bf[i], f32[0]) || (Number.isNaN(bf[i]) && Number.isNaN(f32[0])), `bf16 ${i}`);
    }
    assert.deepEqual(decodeFloats(Buffer.concat([Buffer.alloc(2), Buffer.from(values.buffer)]).subarray(2), 'F32'), values);
    assert.equal(decodeFloats(Buffer.alloc(4), 'I32'), undefined);
  });
});
