/**
 * Linear layers. Weights are held as `kernel` [in, out] (GPT-2's Conv1D layout; Llama's [out, in]
 * is transposed once at load), so the forward product `x @ kernel` has no transposed operand:
 * tfjs-wasm only reaches XNNPACK for a plain, batch-1 matmul and otherwise runs a naive loop at
 * ~2.5 GFLOP/s. Gradients are written by hand with explicit transposes for the same reason
 * (autograd's matMul gradient uses the transpose flags).
 *
 * Every linear in a model implements `LinearLayer`, so LoRA, quantised linears or adapters wrap or
 * replace one without the attention / MLP code knowing.
 */
import * as tf from '@tensorflow/tfjs-core';

/** A linear map applied to a batch of row vectors. */
export interface LinearLayer {
  /** Dotted module name as in the Hugging Face model, e.g. `model.layers.0.self_attn.q_proj`. */
  readonly name: string;
  readonly inFeatures: number;
  readonly outFeatures: number;
  /** x [N, in] -> [N, out]. `ctx.training` enables dropout inside wrappers (LoRA). */
  apply(x: tf.Tensor2D, ctx: LinearContext): tf.Tensor2D;
}

/** Per-call state passed down from the model forward. */
export interface LinearContext {
  training: boolean;
  /** Returns a fresh dropout seed; deterministic for a given forward seed. */
  nextSeed(): number;
}

/**
 * A differentiable op with a hand-written gradient (a typed wrapper of tf.customGrad): `backward`
 * receives dy, the op's inputs and the `captured` tensors, and returns one gradient per input.
 * Tensors the gradient needs must be inputs or `captured`: tfjs disposes every other forward
 * intermediate before backprop runs.
 */
export function customOp<T extends tf.Tensor>(
  forward: (inputs: tf.Tensor[]) => T,
  backward: (dy: tf.Tensor, inputs: tf.Tensor[], captured: tf.Tensor[]) => tf.Tensor[],
  captured: tf.Tensor[] = [],
  /** How many leading inputs the gradient needs (default all); the rest are not kept alive. */
  keepInputs?: number,
): (...inputs: tf.Tensor[]) => T {
  const f = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const save = args[args.length - 1] as tf.GradSaveFunc;
    const inputs = args.slice(0, -1) as tf.Tensor[];
    const kept = inputs.slice(0, keepInputs ?? inputs.length);
    save([...kept, ...captured]);
    return {
      value: forward(inputs),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => backward(dy, saved.slice(0, kept.length), saved.slice(kept.length)),
    };
  });
  return (...inputs: tf.Tensor[]) => f(...inputs) as T;
}

/**
 * a + b for same-shape tensors without keeping either for backprop (tfjs' Add keeps both inputs
 * only to learn their shapes): dA = dB = dy. Used for residual connections.
 */
const addSameOp = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
  (args[2] as tf.GradSaveFunc)([]);
  return { value: tf.add(args[0] as tf.Tensor, args[1] as tf.Tensor), gradFunc: (dy: tf.Tensor) => [dy, dy] };
});
export const addSame = <T extends tf.Tensor>(a: T, b: T): T => addSameOp(a, b) as T;

/** y [N, out] + bias [out]: dbias = onesᵀ @ dy (a matmul, not a slow axis-0 reduction). */
const addBiasTrainable = customOp<tf.Tensor2D>(
  ([y, b]) => tf.add(y, b) as tf.Tensor2D,
  (dy, [y]) => [dy, tf.reshape(matMulLinearInternal(tf.ones([1, y.shape[0]!]) as tf.Tensor2D, dy as tf.Tensor2D), [y.shape[1]!])],
);

/** Adds a bias row-wise; a frozen bias is captured and gets no gradient. */
export function addBias(y: tf.Tensor2D, bias: tf.Variable): tf.Tensor2D {
  return bias.trainable ? addBiasTrainable(y, bias) : addSame(y, tf.broadcastTo(bias, y.shape) as tf.Tensor2D);
}

/** y = x @ k, with k a trainable input: dx = dy @ kᵀ, dk = xᵀ @ dy (explicit transposes). */
const matMulTrainable = customOp<tf.Tensor2D>(
  ([x, k]) => tf.matMul(x as tf.Tensor2D, k as tf.Tensor2D),
  (dy, [x, k]) => [tf.matMul(dy as tf.Tensor2D, tf.transpose(k as tf.Tensor2D)), tf.matMul(tf.transpose(x as tf.Tensor2D), dy as tf.Tensor2D)],
);

/**
 * y = x @ k for a frozen k: k is captured, not an input, so backward computes only dx and never
 * spends the (forward-sized) matmul on a gradient nobody uses. This is what makes LoRA steps cheap.
 */
function matMulFrozen(x: tf.Tensor2D, k: tf.Tensor2D): tf.Tensor2D {
  return customOp<tf.Tensor2D>(
    ([xi]) => tf.matMul(xi as tf.Tensor2D, k),
    (dy) => [tf.matMul(dy as tf.Tensor2D, tf.transpose(k))],
  )(x);
}

/** [N, M, K] @ [N, K, L] as N plain 2-D matmuls (each reaches XNNPACK), no gradient. */
function loopMatMul(a: tf.Tensor3D, b: tf.Tensor3D): tf.Tensor3D {
  if (a.shape[0] === 1) return tf.expandDims(tf.matMul(tf.squeeze(a, [0]) as tf.Tensor2D, tf.squeeze(b, [0]) as tf.Tensor2D), 0) as tf.Tensor3D;
  const as = tf.unstack(a) as tf.Tensor2D[];
  const bs = tf.unstack(b) as tf.Tensor2D[];
  return tf.stack(as.map((x, i) => tf.matMul(x, bs[i]))) as tf.Tensor3D;
}

const swapLast = (t: tf.Tensor): tf.Tensor3D => tf.transpose(t, [0, 2, 1]) as tf.Tensor3D;

/**
 * Batched matmul a [N, M, K] @ b [N, K, L] -> [N, M, L]. tfjs-wasm's BatchMatMul kernel runs a
 * naive loop (~1.5 GFLOP/s) whenever the batch exceeds 1 or an operand is transposed; a loop of
 * 2-D products with explicit transposes reaches XNNPACK in both directions (attention: QKᵀ, PV).
 */
export const batchMatMul = customOp<tf.Tensor3D>(
  ([a, b]) => loopMatMul(a as tf.Tensor3D, b as tf.Tensor3D),
  (dy, [a, b]) => [loopMatMul(dy as tf.Tensor3D, swapLast(b)), loopMatMul(swapLast(a), dy as tf.Tensor3D)],
) as (a: tf.Tensor3D, b: tf.Tensor3D) => tf.Tensor3D;

/** Plain 2-D product (no custom gradient), for use inside gradient functions. */
function matMulLinearInternal(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  return tf.matMul(a, b);
}

/** x [N, in] @ k [in, out] with XNNPACK-friendly gradients; `trainable` says whether dk is needed. */
export function matMulLinear(x: tf.Tensor2D, k: tf.Tensor2D, trainable: boolean): tf.Tensor2D {
  return trainable ? matMulTrainable(x, k) : matMulFrozen(x, k);
}

/** A dense layer: y = x @ kernel (+ bias). */
export class Linear implements LinearLayer {
  readonly inFeatures: number;
  readonly outFeatures: number;
  /**
   * @param kernel [in, out]
   * @param bias [out] or null
   */
  constructor(
    readonly name: string,
    readonly kernel: tf.Variable,
    readonly bias: tf.Variable | null,
  ) {
    const [inF, outF] = kernel.shape as [number, number];
    this.inFeatures = inF;
    this.outFeatures = outF;
  }

  apply(x: tf.Tensor2D): tf.Tensor2D {
    const y = matMulLinear(x, this.kernel as tf.Tensor2D, this.kernel.trainable);
    return this.bias ? addBias(y, this.bias) : y;
  }
}
