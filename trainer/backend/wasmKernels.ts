/**
 * Faster replacements for three tfjs-wasm kernels. The stock Slice kernel starts with
 * `backend.readSync(x)`, which copies the WHOLE input out of the wasm heap for every slice, so
 * unstacking a [16, 256, 128] tensor copies it 16 times (tens of milliseconds on a shared core);
 * Unpack (unstack) and SplitV call that Slice directly. These versions read the input through a view of the
 * heap and copy only the selected rows. Same semantics; non-numeric tensors use the stock kernel.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

type TensorInfo = tf.TensorInfo;

/** Copies x[begin : begin + size] (any rank) into a new output on the wasm heap. */
function sliceInfo(backend: BackendWasm, x: TensorInfo, begin: number[], size: number[]): TensorInfo {
  const out = backend.makeOutput(size, x.dtype);
  if (size.some((d) => d === 0)) return out;
  // Views taken after makeOutput: allocating may grow (and move) the heap.
  const src = backend.typedArrayFromHeap(x);
  const dst = backend.typedArrayFromHeap(out);
  const rank = x.shape.length;
  const strides = tf.util.computeStrides(x.shape);
  if (rank === 0) {
    dst[0] = src[0];
    return out;
  }
  const inner = size[rank - 1];
  const rows = size.slice(0, -1).reduce((a, b) => a * b, 1);
  const index = new Array<number>(rank - 1).fill(0);
  for (let r = 0; r < rows; r++) {
    let offset = begin[rank - 1];
    for (let d = 0; d < rank - 1; d++) offset += (begin[d] + index[d]) * strides[d];
    dst.set(src.subarray(offset, offset + inner), r * inner);
    for (let d = rank - 2; d >= 0; d--) {
      if (++index[d] < size[d]) break;
      index[d] = 0;
    }
  }
  return out;
}

let installed = false;

/** Registers the faster Slice, Unpack and SplitV for the wasm backend (once). */
export function installWasmKernels(): void {
  if (installed) return;
  if (!(['Slice', 'Unpack', 'SplitV'] as const).every((name) => tf.getKernel(name, 'wasm'))) return;
  installed = true;
  replaceKernel('Slice', 'x', (args, x) => {
    const { begin, size } = args.attrs as unknown as { begin: number | number[]; size?: number | number[] };
    const [b, s] = tf.slice_util.parseSliceParams(x as tf.Tensor, begin, size);
    return sliceInfo(args.backend as BackendWasm, x, b, s);
  });
  replaceKernel('Unpack', 'value', (args, value) => {
    const axis = tf.util.parseAxisParam((args.attrs as unknown as { axis: number }).axis, value.shape)[0];
    const n = value.shape[axis];
    const outShape = value.shape.filter((_, i) => i !== axis);
    const size = [...value.shape];
    size[axis] = 1;
    const begin = new Array<number>(value.shape.length).fill(0);
    const outs: TensorInfo[] = [];
    for (let i = 0; i < n; i++) {
      begin[axis] = i;
      const piece = sliceInfo(args.backend as BackendWasm, value, begin, size);
      outs.push({ ...piece, shape: outShape });
    }
    return outs;
  });
  replaceKernel('SplitV', 'x', (args, x) => {
    const attrs = args.attrs as unknown as { numOrSizeSplits: number | number[]; axis: number };
    const axis = tf.util.parseAxisParam(attrs.axis, x.shape)[0];
    const sizes = tf.backend_util.prepareSplitSize(x as tf.Tensor, attrs.numOrSizeSplits, axis);
    const begin = new Array<number>(x.shape.length).fill(0);
    return sizes.map((s) => {
      const size = [...x.shape];
      size[axis] = s;
      const piece = sliceInfo(args.backend as BackendWasm, x, [...begin], size);
      begin[axis] += s;
      return piece;
    });
  });
}

type KernelArgs = Parameters<tf.KernelFunc>[0];

/**
 * Swaps the wasm backend's kernel `name` for `fn`, which handles numeric inputs; string tensors
 * (which the views below cannot describe) still go to the stock kernel.
 */
function replaceKernel(name: string, input: string, fn: (args: KernelArgs, x: TensorInfo) => TensorInfo | TensorInfo[]): void {
  const stock = tf.getKernel(name, 'wasm')!;
  tf.unregisterKernel(name, 'wasm');
  tf.registerKernel({
    kernelName: name,
    backendName: 'wasm',
    kernelFunc: (args) => {
      const x = args.inputs[input] as TensorInfo;
      return x.dtype === 'string' ? stock.kernelFunc(args) : fn(args, x);
    },
  });
}
