/**
 * 8-bit weights as LLM.int8 stores them (Dettmers et al. 2022; bitsandbytes
 * int8_vectorwise_quant): one absmax per row of the [out, in] weight (vector-wise), and
 *   code = round(w · (127 / rowAbsmax)) ∈ [−127, 127]   (round half to even, as torch.round)
 *   w ≈ code · rowAbsmax · (1/127)                         (int8_vectorwise_dequant)
 * all in float32. The outlier decomposition of LLM.int8 concerns activations (it keeps outlier
 * feature columns of the input in 16 bits); here the weight is dequantised before the product, so
 * every column is already computed in float32.
 */

const f = Math.fround;
const INV127 = f(7.874015718698502e-3);

/** An 8-bit quantised matrix [rows, cols], row-major. */
export interface QuantizedInt8 {
  shape: [number, number];
  codes: Int8Array;
  /** max |w| of each row (bitsandbytes' SCB). */
  rowAbsmax: Float32Array;
}

/** torch.round: to the nearest integer, halves to even. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Quantises a row-major float32 matrix (a Hugging Face [out, in] weight) row by row. */
export function quantizeInt8(data: Float32Array, shape: [number, number]): QuantizedInt8 {
  const [rows, cols] = shape;
  if (data.length !== rows * cols) throw new RangeError(`data has ${data.length} values, shape [${shape.join(', ')}] needs ${rows * cols}`);
  const codes = new Int8Array(rows * cols);
  const rowAbsmax = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    let m = 0;
    for (let c = 0; c < cols; c++) m = Math.max(m, Math.abs(data[r * cols + c]));
    rowAbsmax[r] = m;
    // An all-zero row stays zero (bitsandbytes would divide by zero).
    if (m === 0) continue;
    const s = f(127 / f(m));
    for (let c = 0; c < cols; c++) codes[r * cols + c] = roundHalfEven(f(data[r * cols + c] * s));
  }
  return { shape: [rows, cols], codes, rowAbsmax };
}

/** Dequantises to float32; `transposed` writes the [cols, rows] transpose (the [in, out] kernel layout) through a 64-row buffer. */
export function dequantizeInt8(q: QuantizedInt8, transposed = false, out?: Float32Array): Float32Array {
  const [rows, cols] = q.shape;
  const dst = out ?? new Float32Array(rows * cols);
  const rowsInto = (r0: number, r1: number, buf: Float32Array) => {
    for (let r = r0; r < r1; r++) {
      const scale = q.rowAbsmax[r];
      const src = r * cols;
      const at = (r - r0) * cols;
      for (let c = 0; c < cols; c++) buf[at + c] = f(q.codes[src + c] * scale) * INV127;
    }
  };
  if (!transposed) {
    rowsInto(0, rows, dst);
    return dst;
  }
  const R = 64;
  const tmp = new Float32Array(R * cols);
  for (let r0 = 0; r0 < rows; r0 += R) {
    const r1 = Math.min(rows, r0 + R);
    rowsInto(r0, r1, tmp);
    for (let c = 0; c < cols; c++) for (let r = r0; r < r1; r++) dst[c * rows + r] = tmp[(r - r0) * cols + c];
  }
  return dst;
}

/** Bytes a quantised matrix occupies. */
export const quantizedInt8Bytes = (q: QuantizedInt8): number => q.codes.byteLength + q.rowAbsmax.byteLength;
