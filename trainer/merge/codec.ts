/**
 * Bulk float codecs for the merge's streaming path: whole typed arrays at a time instead of one
 * Buffer call per value (the per-value helpers of trainer/io/safetensors.ts stay the reference;
 * tests compare the two). Little-endian hosts only take the fast path; others use the helpers.
 */
import { floatToBf16, floatToHalf, halfToFloat } from '../io/index';

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** float16 bits → float32, through a 65536-entry table built on first use. */
let halfTable: Float32Array | undefined;
function halfLookup(): Float32Array {
  if (!halfTable) {
    halfTable = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) halfTable[h] = halfToFloat(h);
  }
  return halfTable;
}

/** Decodes F32 / F16 / BF16 bytes (little-endian, as safetensors stores them) to float32; undefined for other dtypes. */
export function decodeFloats(buf: Buffer, dtype: string): Float32Array | undefined {
  if (!LITTLE_ENDIAN) return undefined;
  // Typed views need aligned offsets: an unaligned buffer is copied to a fresh one first.
  const aligned = buf.byteOffset % 4 === 0 ? buf : new Uint8Array(buf);
  if (dtype === 'F32') return aligned.byteOffset === 0 && aligned.byteLength === aligned.buffer.byteLength ? new Float32Array(aligned.buffer as ArrayBuffer) : new Float32Array(aligned.buffer.slice(aligned.byteOffset, aligned.byteOffset + aligned.byteLength) as ArrayBuffer);
  if (dtype !== 'BF16' && dtype !== 'F16') return undefined;
  const n = buf.byteLength / 2;
  const src = new Uint16Array(aligned.buffer, aligned.byteOffset, n);
  const out = new Float32Array(n);
  if (dtype === 'BF16') {
    const bits = new Uint32Array(out.buffer);
    for (let i = 0; i < n; i++) bits[i] = src[i] << 16;
  } else {
    const t = halfLookup();
    for (let i = 0; i < n; i++) out[i] = t[src[i]];
  }
  return out;
}

/** Encodes float32 values as F32 / F16 / BF16 little-endian bytes (round to nearest even). */
export function encodeFloats(data: Float32Array, dtype: 'F32' | 'F16' | 'BF16'): Buffer {
  const n = data.length;
  if (dtype === 'F32') {
    if (LITTLE_ENDIAN) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    const b = Buffer.alloc(n * 4);
    for (let i = 0; i < n; i++) b.writeFloatLE(data[i], i * 4);
    return b;
  }
  const out = Buffer.alloc(n * 2);
  if (!LITTLE_ENDIAN) {
    for (let i = 0; i < n; i++) out.writeUInt16LE(dtype === 'F16' ? floatToHalf(data[i]) : floatToBf16(data[i]), i * 2);
    return out;
  }
  const dst = new Uint16Array(out.buffer, out.byteOffset, n);
  if (dtype === 'F16') {
    for (let i = 0; i < n; i++) dst[i] = floatToHalf(data[i]);
    return out;
  }
  const bits = data.byteOffset % 4 === 0 ? new Uint32Array(data.buffer, data.byteOffset, n) : new Uint32Array(Float32Array.from(data).buffer);
  for (let i = 0; i < n; i++) {
    const b = bits[i];
    // NaN keeps a quiet NaN; everything else rounds to nearest even on the dropped 16 bits.
    dst[i] = (b & 0x7f800000) === 0x7f800000 && b & 0x7fffff ? (b >>> 16) | 0x40 : ((b + 0x7fff + ((b >>> 16) & 1)) >>> 16) & 0xffff;
  }
  return out;
}
