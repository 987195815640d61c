/**
 * The building blocks shared by the architectures, each written with ops whose forward and
 * gradient both exist on tfjs-wasm (no gather gradient, no strided slice, no tile of rank 5).
 */
import * as tf from '@tensorflow/tfjs-core';
import { batchMatMul, customOp, matMulLinear } from './linear';

/**
 * One-hot rows as float32. tfjs-wasm's OneHot kernel writes int32 bits whatever dtype is asked
 * for (float32 ones come out as 1.4e-45), so build int32 and cast.
 */
export function oneHotF32(ids: tf.Tensor1D, depth: number): tf.Tensor2D {
  return tf.cast(tf.oneHot(ids, depth), 'float32') as tf.Tensor2D;
}

/**
 * RMSNorm as Hugging Face's LlamaRMSNorm (x · rsqrt(mean(x²) + eps) · weight), for rows x [N, C], as
 * one op with its own gradient: only x is kept for backprop (the
 * composed version keeps five [N, C] intermediates per norm), and dweight's sum over rows is a
 * matmul (onesᵀ @ …) instead of an axis-0 reduction, which tfjs-wasm runs slowly.
 *   xhat = x·r, r = rsqrt(mean(x²) + eps);  y = xhat·w
 *   dx = r·(g − xhat·mean(g·xhat)), g = dy·w;  dw = Σ_rows dy·xhat
 * A frozen weight is captured rather than an input, so it gets no gradient.
 */
export function rmsNorm2d(x: tf.Tensor2D, weight: tf.Variable, eps: number): tf.Tensor2D {
  const norm = (xi: tf.Tensor) => tf.mul(xi, tf.rsqrt(tf.add(tf.mean(tf.square(xi), -1, true), eps)));
  const backward = (dy: tf.Tensor, xi: tf.Tensor, w: tf.Tensor, wantW: boolean): tf.Tensor[] => {
    const r = tf.rsqrt(tf.add(tf.mean(tf.square(xi), -1, true), eps));
    const xhat = tf.mul(xi, r);
    const g = tf.mul(dy, w);
    const dx = tf.mul(r, tf.sub(g, tf.mul(xhat, tf.mean(tf.mul(g, xhat), -1, true))));
    if (!wantW) return [dx];
    const [rows, cols] = (xi as tf.Tensor2D).shape;
    const ones = tf.ones([1, rows]) as tf.Tensor2D;
    return [dx, tf.reshape(matMulLinear(ones, tf.mul(dy, xhat) as tf.Tensor2D, false), [cols])];
  };
  if (weight.trainable) {
    return customOp<tf.Tensor2D>(
      ([xi, w]) => tf.mul(norm(xi), w) as tf.Tensor2D,
      (dy, [xi, w]) => backward(dy, xi, w, true),
    )(x, weight);
  }
  return customOp<tf.Tensor2D>(
    ([xi]) => tf.mul(norm(xi), weight) as tf.Tensor2D,
    (dy, [xi]) => backward(dy, xi, weight, false),
  )(x);
}

/**
 * LayerNorm over rows x [N, C] (biased variance, as torch) as one op with its own gradient: only x
 * is kept, and the weight / bias gradients (sums over rows) are matmuls with a ones row.
 *   xhat = (x − μ)·rstd;  y = xhat·w + b
 *   dx = rstd·(g − mean(g) − xhat·mean(g·xhat)), g = dy·w;  dw = Σ_rows dy·xhat;  db = Σ_rows dy
 * Frozen weight and bias are captured and get no gradient.
 */
export function layerNorm2d(x: tf.Tensor2D, weight: tf.Variable, bias: tf.Variable, eps: number): tf.Tensor2D {
  const normed = (xi: tf.Tensor) => {
    const { mean, variance } = tf.moments(xi, -1, true);
    return tf.mul(tf.sub(xi, mean), tf.rsqrt(tf.add(variance, eps)));
  };
  const backward = (dy: tf.Tensor, xi: tf.Tensor, w: tf.Tensor, wantParams: boolean): tf.Tensor[] => {
    const { mean, variance } = tf.moments(xi, -1, true);
    const rstd = tf.rsqrt(tf.add(variance, eps));
    const xhat = tf.mul(tf.sub(xi, mean), rstd);
    const g = tf.mul(dy, w);
    const dx = tf.mul(rstd, tf.sub(tf.sub(g, tf.mean(g, -1, true)), tf.mul(xhat, tf.mean(tf.mul(g, xhat), -1, true))));
    if (!wantParams) return [dx];
    const [rows, cols] = (xi as tf.Tensor2D).shape;
    const ones = tf.ones([1, rows]) as tf.Tensor2D;
    const colSum = (t: tf.Tensor) => tf.reshape(matMulLinear(ones, t as tf.Tensor2D, false), [cols]);
    return [dx, colSum(tf.mul(dy, xhat)), colSum(dy)];
  };
  if (weight.trainable || bias.trainable) {
    return customOp<tf.Tensor2D>(
      ([xi, w, b]) => tf.add(tf.mul(normed(xi), w), b) as tf.Tensor2D,
      (dy, [xi, w]) => backward(dy, xi, w, true),
    )(x, weight, bias);
  }
  return customOp<tf.Tensor2D>(
    ([xi]) => tf.add(tf.mul(normed(xi), weight), bias) as tf.Tensor2D,
    (dy, [xi]) => backward(dy, xi, weight, false),
  )(x);
}

/** GPT-2's "gelu_new": 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))). */
export function geluTanh(x: tf.Tensor): tf.Tensor {
  const inner = tf.mul(tf.add(x, tf.mul(tf.pow(x, 3), 0.044715)), Math.sqrt(2 / Math.PI));
  return tf.mul(tf.mul(x, 0.5), tf.add(tf.tanh(inner), 1));
}

/** SiLU: x·sigmoid(x). */
export function silu(x: tf.Tensor): tf.Tensor {
  return tf.mul(x, tf.sigmoid(x));
}

/**
 * Token embedding lookup. ids [N] int32, table [V, C] -> [N, C].
 * Frozen table: a gather (no gradient needed, cheap). Trainable table: gather forward and a
 * one-hot matmul for the gradient (dTable = onehot(ids)ᵀ @ dy), because tfjs-wasm lacks the
 * UnsortedSegmentSum kernel that gather's own gradient needs.
 */
export function embed(ids: tf.Tensor1D, table: tf.Variable): tf.Tensor2D {
  if (!table.trainable) return tf.gather(table as tf.Tensor2D, ids);
  const vocab = table.shape[0];
  return customOp<tf.Tensor2D>(
    ([t]) => tf.gather(t as tf.Tensor2D, ids),
    (dy, _inputs, [savedIds]) => {
      // [V, N] @ [N, C]: the one-hot transposed explicitly so XNNPACK runs it.
      const oneHotT = tf.transpose(oneHotF32(savedIds as tf.Tensor1D, vocab)) as tf.Tensor2D;
      return [matMulLinear(oneHotT, dy as tf.Tensor2D, false)];
    },
    [ids],
  )(table);
}

/**
 * Rotary tables as Hugging Face computes them: inv_freq[i] = 1/θ^(2i/D) (optionally rescaled),
 * freqs = pos·inv_freq, emb = cat(freqs, freqs). Returns cos and sin [B, 1, T, D] for the
 * rotate-half convention (not interleaved). Computed on the host: positions are data, not tensors.
 */
export function ropeTables(positions: Int32Array, batch: number, seqLen: number, invFreq: Float32Array): { cos: tf.Tensor4D; sin: tf.Tensor4D } {
  const half = invFreq.length;
  const dim = half * 2;
  const cos = new Float32Array(batch * seqLen * dim);
  const sin = new Float32Array(batch * seqLen * dim);
  for (let p = 0; p < batch * seqLen; p++) {
    const pos = positions[p];
    for (let i = 0; i < half; i++) {
      // Math.fround: torch forms pos·inv_freq in float32 before cos/sin.
      const f = Math.fround(pos * invFreq[i]);
      const c = Math.cos(f);
      const s = Math.sin(f);
      cos[p * dim + i] = c;
      cos[p * dim + i + half] = c;
      sin[p * dim + i] = s;
      sin[p * dim + i + half] = s;
    }
  }
  return { cos: tf.tensor4d(cos, [batch, 1, seqLen, dim]), sin: tf.tensor4d(sin, [batch, 1, seqLen, dim]) };
}

/** q·cos + rotate_half(q)·sin, rotate_half(x) = cat(-x₂, x₁). x [B, H, T, D]. */
export function applyRope(x: tf.Tensor4D, cos: tf.Tensor4D, sin: tf.Tensor4D): tf.Tensor4D {
  const half = x.shape[3] / 2;
  // rotate_half and its transpose: rot(x) = cat(−x₂, x₁), rotᵀ(g) = cat(g₂, −g₁).
  const rot = (t: tf.Tensor, sign: 1 | -1) => {
    const [a, b] = tf.split(t, [half, half], 3);
    return sign === 1 ? tf.concat([tf.neg(b), a], 3) : tf.concat([b, tf.neg(a)], 3);
  };
  // One op with its own gradient (dx = dy·cos + rotᵀ(dy·sin)), so nothing but cos/sin is kept.
  return customOp<tf.Tensor4D>(
    ([xi]) => tf.add(tf.mul(xi, cos), tf.mul(rot(xi, 1), sin)) as tf.Tensor4D,
    (dy, _x, [c, s]) => [tf.add(tf.mul(dy, c), rot(tf.mul(dy, s), -1))],
    [cos, sin],
  )(x);
}

/**
 * Additive attention mask [B, 1, R·T, P+T] (0 allowed, -1e9 blocked) for `repeat` = R query heads
 * per key/value head laid out as R stacked copies of the T query rows, plus P always-visible
 * prefix columns (prefix tuning). Query i sees key j when j ≤ i and both carry the same segment id
 * (sample packing: records never see each other). Built on the host once per batch.
 */
export function attentionMask(segmentIds: Int32Array | undefined, batch: number, seqLen: number, repeat: number, prefix: number): tf.Tensor4D {
  const cols = prefix + seqLen;
  const rows = repeat * seqLen;
  const m = new Float32Array(batch * rows * cols);
  for (let b = 0; b < batch; b++) {
    for (let i = 0; i < seqLen; i++) {
      const row = new Float32Array(cols);
      for (let j = 0; j < seqLen; j++) {
        const visible = j <= i && (!segmentIds || segmentIds[b * seqLen + i] === segmentIds[b * seqLen + j]);
        if (!visible) row[prefix + j] = -1e9;
      }
      for (let r = 0; r < repeat; r++) m.set(row, ((b * rows) + r * seqLen + i) * cols);
    }
  }
  return tf.tensor4d(m, [batch, 1, rows, cols]);
}

/**
 * Scaled dot-product attention with grouped-query heads, without materialising repeated K/V:
 * the R query heads that share one K/V head are stacked along the row axis, so
 * q [B, Hkv, R·T, D] meets k [B, Hkv, P+T, D] directly. Returns [B, Hkv, R·T, D].
 */
export function groupedAttention(q: tf.Tensor4D, k: tf.Tensor4D, v: tf.Tensor4D, mask: tf.Tensor4D, scale: number, dropout: { rate: number; seed: number } | null): tf.Tensor4D {
  const [B, G, RT, D] = q.shape;
  const S = k.shape[2];
  // [B·Hkv, R·T, D] @ [B·Hkv, D, P+T] -> scores [B, Hkv, R·T, P+T]
  const kT = tf.transpose(tf.reshape(k, [B * G, S, D]), [0, 2, 1]) as tf.Tensor3D;
  const raw = batchMatMul(tf.reshape(q, [B * G, RT, D]) as tf.Tensor3D, kT);
  const scores = tf.add(tf.mul(tf.reshape(raw, [B, G, RT, S]), scale), mask);
  let probs = tf.softmax(scores, -1);
  if (dropout && dropout.rate > 0) probs = tf.dropout(probs, dropout.rate, undefined, dropout.seed);
  // [B·Hkv, R·T, P+T] @ [B·Hkv, P+T, D] -> [B, Hkv, R·T, D]
  const out = batchMatMul(tf.reshape(probs, [B * G, RT, S]) as tf.Tensor3D, tf.reshape(v, [B * G, S, D]) as tf.Tensor3D);
  return tf.reshape(out, [B, G, RT, D]) as tf.Tensor4D;
}

/**
 * Token-level cross-entropy against already-shifted targets. logits [N, V], targets [N] with -100
 * (any negative) = ignored. Returns the SUM over counted tokens and their count, so gradient
 * accumulation can weight micro-batches by tokens. A single op with its own gradient,
 * dlogits = (softmax(logits) − onehot(target))·weight·dy: with a large vocabulary the [N, V]
 * intermediates of a composed version (log-softmax, one-hot, products) would all stay alive on the
 * tape; here only the logits are kept.
 */
export function crossEntropySum(logits: tf.Tensor2D, targets: Int32Array, targetWeights?: Float32Array): { sum: tf.Scalar; count: number } {
  const [n, vocab] = logits.shape;
  const flat = new Int32Array(n);
  const safe = new Int32Array(n);
  const weight = new Float32Array(n);
  let count = 0;
  for (let i = 0; i < n; i++) {
    const t = targets[i];
    if (t >= 0) {
      if (t >= vocab) throw new RangeError(`target id ${t} at position ${i} is outside the vocabulary (${vocab})`);
      safe[i] = t;
      flat[i] = i * vocab + t;
      // Multi-task loss weights scale a row's term; `count` stays the unweighted number of rows.
      weight[i] = targetWeights ? targetWeights[i]! : 1;
      count++;
    }
  }
  const ids = tf.tensor1d(safe, 'int32');
  const w = tf.tensor1d(weight);
  const sum = customOp<tf.Scalar>(
    ([z]) => {
      // Σ −log p(target) over counted rows; the picked entries are gathered from the flat log-probs.
      const logp = tf.reshape(tf.logSoftmax(z as tf.Tensor2D, -1), [-1]);
      return tf.neg(tf.sum(tf.mul(tf.gather(logp, tf.tensor1d(flat, 'int32')), w))) as tf.Scalar;
    },
    (dy, [z], [savedIds, savedW]) => {
      const g = tf.sub(tf.softmax(z as tf.Tensor2D, -1), oneHotF32(savedIds as tf.Tensor1D, vocab));
      return [tf.mul(g, tf.mul(tf.expandDims(savedW, 1), dy))];
    },
    [ids, w],
  )(logits);
  return { sum, count };
}
