/**
 * 4-bit block-wise weight quantisation as bitsandbytes does it (QLoRA, Dettmers et al. 2023):
 *   per block of 64 values c = max|w|;  code = nearest NF4 (or FP4) value to w / c;
 *   two codes per byte, the first in the high nibble;  w ≈ CODE[code] · c.
 * Double quantisation (bnb_4bit_use_double_quant) stores the block constants c themselves in 8
 * bits: offset = mean(c), then (c − offset) block-wise (256) against bitsandbytes' signed
 * "dynamic" 8-bit map, so a weight costs 4 + 8/64 + 32/(64·256) ≈ 4.127 bits.
 *
 * Rounding follows bitsandbytes' reference ("default") backend exactly, in float32:
 * scaled = clamp(w · (1/max(c, 1e-38)), −1, 1) (a trailing partial block divides instead), and
 * the code is the bucket of `scaled` among the midpoints of the sorted code values, a value on a
 * midpoint going to the lower bucket (torch.bucketize). FP4 is rounded sign + magnitude as the
 * CUDA kernel does it (|w| among the magnitudes, a tie to the smaller; the sign bit from w, so its
 * two zeros too). scripts/reference/quant_fixtures.py checks all of it against PyTorch.
 */

const f = Math.fround;

/** bitsandbytes' NF4 code values (get_4bit_type("nf4")), index = code. */
export const NF4_CODE = Float32Array.from([
  -1.0, -0.6961928009986877, -0.5250730514526367, -0.39491748809814453, -0.28444138169288635, -0.18477343022823334, -0.09105003625154495, 0.0,
  0.07958029955625534, 0.16093020141124725, 0.24611230194568634, 0.33791524171829224, 0.44070982933044434, 0.5626170039176941, 0.7229568362236023, 1.0,
]);

/**
 * bitsandbytes' FP4 code values (get_4bit_type("fp4")): 1 sign bit (0b1000), 2 exponent bits and
 * 1 mantissa bit in bit-pattern order, divided by the largest magnitude (12) in float32.
 */
export const FP4_CODE = Float32Array.from([0, 0.0625, 8, 12, 4, 6, 2, 3, -0, -0.0625, -8, -12, -4, -6, -2, -3].map((v) => f(v / 12)));

/** The 4-bit data types bitsandbytes offers (`bnb_4bit_quant_type`). */
export type Quant4Type = 'nf4' | 'fp4';

/** Options of `quantize4bit`; the defaults are the QLoRA recipe. */
export interface Quant4Options {
  quantType: Quant4Type;
  /** Values per absmax block (bitsandbytes: 32 … 4096, default 64). */
  blockSize: number;
  /** Quantise the block constants too (double quantisation). */
  doubleQuant: boolean;
}

/** Double-quantised block constants: absmax ≈ DYNAMIC[codes] · absmax2[block of 256] + offset. */
export interface NestedAbsmax {
  codes: Uint8Array;
  absmax2: Float32Array;
  offset: number;
  blockSize: number;
}

/** A 4-bit quantised matrix (row-major, as bitsandbytes flattens a [out, in] weight). */
export interface Quantized4bit {
  shape: [number, number];
  quantType: Quant4Type;
  blockSize: number;
  /** Two codes per byte, element 2j in the high nibble; ceil(n/2) bytes. */
  packed: Uint8Array;
  /** float32 block constants (no double quantisation), or null. */
  absmax: Float32Array | null;
  /** Quantised block constants (double quantisation), or null. */
  nested: NestedAbsmax | null;
}

const BLOCK_SIZES = [32, 64, 128, 256, 512, 1024, 2048, 4096];

/**
 * torch.linspace in float32 as the CPU kernel computes it (x86-64, AVX2 build): the first half
 * counts up from start, the second down from end (each with a fused multiply-add); runs of two
 * 8-lane vectors then step from each vector's first value with plain float adds; a scalar tail.
 * The map it feeds is therefore what bitsandbytes builds on such a machine, bit for bit.
 */
function linspaceF32(start: number, end: number, steps: number): Float32Array {
  const s = f(start);
  const e = f(end);
  const step = f(f(e - s) / (steps - 1));
  const half = Math.floor(steps / 2);
  // The product of a float32 and a small integer is exact in a double: one rounding, as an FMA.
  const at = (i: number) => (i < half ? f(s + step * i) : f(e - step * (steps - i - 1)));
  const out = new Float32Array(steps);
  const W = 8;
  let i = 0;
  for (; i + 2 * W <= steps; i += 2 * W) {
    for (const v of [i, i + W]) {
      const base = at(v);
      for (let k = 0; k < W; k++) out[v + k] = f(base + f(step * k));
    }
  }
  for (; i < steps; i++) out[i] = at(i);
  return out;
}

let dynamic: Float32Array | null = null;

/**
 * bitsandbytes' signed dynamic 8-bit map (create_dynamic_map(signed=True, 7, 8)): for exponent
 * i = 0..6, 2^i fractions (midpoints of linspace(0.1, 1, 2^i + 1)) times 10^(i−6), both signs,
 * plus 0 and 1; sorted. 256 float32 values.
 */
export function dynamicMap(): Float32Array {
  if (dynamic) return dynamic;
  const data: number[] = [];
  for (let i = 0; i < 7; i++) {
    const b = linspaceF32(0.1, 1, 2 ** i + 1);
    const scale = f(10 ** (i - 6));
    for (let j = 0; j + 1 < b.length; j++) data.push(f(scale * f(f(b[j] + b[j + 1]) / 2)));
    for (let j = 0; j + 1 < b.length; j++) data.push(f(f(-scale) * f(f(b[j] + b[j + 1]) / 2)));
  }
  data.push(0, 1);
  dynamic = Float32Array.from(data.sort((a, b) => a - b));
  return dynamic;
}

/** Midpoints between consecutive sorted code values, in float32. */
function midpoints(sorted: Float32Array): Float32Array {
  const m = new Float32Array(sorted.length - 1);
  for (let i = 0; i < m.length; i++) m[i] = f(f(sorted[i] + sorted[i + 1]) / 2);
  return m;
}

/** torch.bucketize(x, bounds, right=False): the number of bounds strictly below x (binary search). */
function bucket(bounds: Float32Array, x: number): number {
  let lo = 0;
  let hi = bounds.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (bounds[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

const NF4_BOUNDS = midpoints(NF4_CODE);
// FP4 magnitudes in increasing order and their codes (sign bit added separately).
const FP4_MAG_CODES = [0, 1, 6, 7, 4, 5, 2, 3];
const FP4_MAG_BOUNDS = midpoints(Float32Array.from(FP4_MAG_CODES.map((c) => FP4_CODE[c])));
let dynamicBounds: Float32Array | null = null;

/**
 * How a scaled value becomes a code: its bucket among `bounds`, or (`signMagnitude`, FP4) the
 * bucket of |x| mapped through `magCodes` with the sign bit added. One monomorphic loop for all
 * three code books (a code callback per value would not be inlined).
 */
interface Codebook {
  bounds: Float32Array;
  signMagnitude: boolean;
  /** For the 4-bit books: `bucket` as two lookups and one comparison (see `cellTable`). */
  cells: { base: Uint8Array; bound: Float64Array } | null;
}

/**
 * A grid of CELLS cells over [−1, 1] that makes `bucket` branch-free for code books whose
 * midpoints are far apart: `cellOf` is monotonic, so every bound in an earlier cell is below x and
 * every bound in a later one above it; a cell holds at most one bound, compared directly. The
 * result equals the binary search exactly.
 */
const CELLS = 4096;
const cellOf = (x: number): number => {
  const k = Math.floor((x + 1) * (CELLS / 2));
  return k < 0 ? 0 : k >= CELLS ? CELLS - 1 : k;
};
function cellTable(bounds: Float32Array): { base: Uint8Array; bound: Float64Array } {
  const base = new Uint8Array(CELLS);
  const bound = new Float64Array(CELLS).fill(Infinity);
  for (let k = 0; k < CELLS; k++) base[k] = bounds.filter((b) => cellOf(b) < k).length;
  for (const b of bounds) {
    const k = cellOf(b);
    if (bound[k] !== Infinity) throw new Error('internal: two code-book midpoints share a cell');
    bound[k] = b;
  }
  return { base, bound };
}
const NF4_BOOK: Codebook = { bounds: NF4_BOUNDS, signMagnitude: false, cells: cellTable(NF4_BOUNDS) };
const FP4_BOOK: Codebook = { bounds: FP4_MAG_BOUNDS, signMagnitude: true, cells: cellTable(FP4_MAG_BOUNDS) };
const FP4_MAG = Uint8Array.from(FP4_MAG_CODES);

/**
 * Block-wise absmax quantisation of `data` against `book`; returns the codes (one per value) and
 * the float32 block constants.
 */
function quantizeBlocks(data: Float32Array, blockSize: number, book: Codebook): { codes: Uint8Array; absmax: Float32Array } {
  const { bounds, signMagnitude, cells } = book;
  const n = data.length;
  const blocks = Math.ceil(n / blockSize);
  const codes = new Uint8Array(n);
  const absmax = new Float32Array(blocks);
  const full = n - (n % blockSize);
  for (let b = 0; b < blocks; b++) {
    const start = b * blockSize;
    const end = Math.min(n, start + blockSize);
    let m = 0;
    for (let i = start; i < end; i++) m = Math.max(m, Math.abs(data[i]));
    absmax[b] = m;
    const c = Math.max(m, 1e-38);
    const inv = f(1 / c);
    const tail = start >= full;
    for (let i = start; i < end; i++) {
      let s = tail ? f(data[i] / f(c)) : f(data[i] * inv);
      if (s > 1) s = 1;
      else if (s < -1) s = -1;
      if (cells) {
        const x = signMagnitude ? Math.abs(s) : s;
        const k = cellOf(x);
        const n = cells.base[k] + (x > cells.bound[k] ? 1 : 0);
        codes[i] = signMagnitude ? FP4_MAG[n] | (s < 0 ? 8 : 0) : n;
      } else {
        codes[i] = bucket(bounds, s);
      }
    }
  }
  return { codes, absmax };
}

/**
 * Quantises the block constants: offset = mean, then block-wise 8-bit dynamic codes (blocks of
 * 256). The mean is summed in float64 (bitsandbytes' float32 torch mean depends on the reduction
 * order; the two agree to an ulp).
 */
export function quantizeAbsmax(absmax: Float32Array): NestedAbsmax {
  let sum = 0;
  for (const a of absmax) sum += a;
  const offset = f(sum / absmax.length);
  const centred = absmax.map((a) => f(a - offset));
  dynamicBounds ??= midpoints(dynamicMap());
  const { codes, absmax: absmax2 } = quantizeBlocks(centred, 256, { bounds: dynamicBounds, signMagnitude: false, cells: null });
  return { codes, absmax2, offset, blockSize: 256 };
}

/** The float32 block constants of a quantised matrix (dequantising them when double-quantised). */
export function blockAbsmax(q: Pick<Quantized4bit, 'absmax' | 'nested'>): Float32Array {
  if (q.absmax) return q.absmax;
  const { codes, absmax2, offset, blockSize } = q.nested!;
  const map = dynamicMap();
  const out = new Float32Array(codes.length);
  for (let i = 0; i < codes.length; i++) out[i] = f(f(map[codes[i]] * absmax2[Math.floor(i / blockSize)]) + offset);
  return out;
}

/**
 * Quantises a row-major float32 matrix [rows, cols] (a Hugging Face [out, in] weight) to 4 bits.
 * Throws for a block size bitsandbytes does not offer.
 */
export function quantize4bit(data: Float32Array, shape: [number, number], opts: Quant4Options): Quantized4bit {
  if (!BLOCK_SIZES.includes(opts.blockSize)) throw new RangeError(`4-bit block size must be one of ${BLOCK_SIZES.join(', ')}, got ${opts.blockSize}`);
  if (data.length !== shape[0] * shape[1]) throw new RangeError(`data has ${data.length} values, shape [${shape.join(', ')}] needs ${shape[0] * shape[1]}`);
  const { codes, absmax } = quantizeBlocks(data, opts.blockSize, opts.quantType === 'nf4' ? NF4_BOOK : FP4_BOOK);
  const packed = new Uint8Array(Math.ceil(codes.length / 2));
  for (let j = 0; j < packed.length; j++) packed[j] = (codes[2 * j] << 4) | (2 * j + 1 < codes.length ? codes[2 * j + 1] : 0);
  return { shape: [shape[0], shape[1]], quantType: opts.quantType, blockSize: opts.blockSize, packed, absmax: opts.doubleQuant ? null : absmax, nested: opts.doubleQuant ? quantizeAbsmax(absmax) : null };
}

/** The codes of a quantised matrix, one per value (tests and fixtures). */
export function unpackCodes(q: Quantized4bit): Uint8Array {
  const n = q.shape[0] * q.shape[1];
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = i % 2 === 0 ? q.packed[i >> 1] >> 4 : q.packed[i >> 1] & 15;
  return out;
}

/** Per code table, the two values of every byte (high nibble, low nibble): one lookup per byte. */
const pairTables = new Map<Float32Array, Float32Array>();
function pairTable(table: Float32Array): Float32Array {
  let t = pairTables.get(table);
  if (!t) {
    t = new Float32Array(512);
    for (let b = 0; b < 256; b++) {
      t[2 * b] = table[b >> 4];
      t[2 * b + 1] = table[b & 15];
    }
    pairTables.set(table, t);
  }
  return t;
}

/** Dequantises rows [r0, r1) straight into `dst` (row-major, `cols` wide, row r0 at offset 0). */
function dequantRows(q: Quantized4bit, absmax: Float32Array, r0: number, r1: number, dst: Float32Array): void {
  const cols = q.shape[1];
  const pairs = pairTable(q.quantType === 'nf4' ? NF4_CODE : FP4_CODE);
  const { packed, blockSize } = q;
  const start = r0 * cols;
  const end = r1 * cols;
  let i = start;
  // Odd start: the first value is a low nibble. (Float32Array stores round the exact double
  // product of two float32 values once, as a float32 multiply does.)
  if (i & 1 && i < end) {
    dst[0] = pairs[(packed[i >> 1] << 1) + 1] * absmax[Math.floor(i / blockSize)];
    i++;
  }
  for (; i + 1 < end; i += 2) {
    const b = packed[i >> 1] << 1;
    const k = i - start;
    // A byte never straddles blocks (block sizes are even).
    const s = absmax[Math.floor(i / blockSize)];
    dst[k] = pairs[b] * s;
    dst[k + 1] = pairs[b + 1] * s;
  }
  if (i < end) dst[i - start] = pairs[packed[i >> 1] << 1] * absmax[Math.floor(i / blockSize)];
}

/**
 * Dequantises to float32: CODE[code] · absmax[block]. `transposed` writes the [cols, rows]
 * transpose instead (the model's [in, out] kernel layout), through a buffer of 64 rows so both the
 * reads and the writes stay in cache.
 */
export function dequantize4bit(q: Quantized4bit, transposed = false, out?: Float32Array): Float32Array {
  const [rows, cols] = q.shape;
  const dst = out ?? new Float32Array(rows * cols);
  const absmax = blockAbsmax(q);
  if (!transposed) {
    dequantRows(q, absmax, 0, rows, dst);
    return dst;
  }
  const R = 64;
  const tmp = new Float32Array(R * cols);
  for (let r0 = 0; r0 < rows; r0 += R) {
    const r1 = Math.min(rows, r0 + R);
    dequantRows(q, absmax, r0, r1, tmp);
    for (let c = 0; c < cols; c++) {
      const base = c * rows;
      for (let r = r0; r < r1; r++) dst[base + r] = tmp[(r - r0) * cols + c];
    }
  }
  return dst;
}

/** Bytes a quantised matrix occupies (codes, block constants, the nested constants and offset). */
export function quantized4bitBytes(q: Quantized4bit): number {
  if (q.absmax) return q.packed.byteLength + q.absmax.byteLength;
  return q.packed.byteLength + q.nested!.codes.byteLength + q.nested!.absmax2.byteLength + 4;
}
