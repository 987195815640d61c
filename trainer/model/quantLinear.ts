/**
 * Quantised frozen linears (QLoRA's 4-bit base, LLM.int8's 8-bit base). The packed weight stays in
 * host memory (Uint8Array / Int8Array + scales, ~1/7.75 of float32 for NF4 with double
 * quantisation, ~1/4 for int8); each forward dequantises it for one layer, transiently:
 *   forward  y  = x @ deq(W)ᵀ     (written straight into the [in, out] kernel layout)
 *   backward dx = dy @ deq(W)      (the [out, in] layout, dequantised again rather than kept)
 * so a training step never holds more than one dequantised weight per op. The weight gets no
 * gradient (it is frozen); adapters (LoRA, DoRA, IA3) wrap this layer like any other.
 *
 * `quantizeBase` is the step that turns a loaded model's base into this, before any adapter is
 * applied (`load_in_4bit` / `load_in_8bit`), as transformers + bitsandbytes do at load time:
 * every linear inside the decoder blocks is quantised; the LM head, embeddings and norms stay
 * float32 (bitsandbytes skips lm_head; PEFT's prepare_model_for_kbit_training upcasts the rest).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { CausalLM } from './causalLm';
import { addBias, customOp, Linear, type LinearLayer } from './linear';
import { dequantize4bit, quantize4bit, quantized4bitBytes, type Quant4Type, type Quantized4bit } from './nf4';
import { dequantizeInt8, quantizeInt8, quantizedInt8Bytes, type QuantizedInt8 } from './quantInt8';

/** How to quantise a base model (Axolotl's load_in_4bit / load_in_8bit and bnb_4bit_* keys). */
export type QuantizeOptions =
  | { bits: 4; quantType: Quant4Type; doubleQuant: boolean; blockSize?: number }
  | { bits: 8 };

/** A quantised weight [out, in] that can dequantise itself in either layout. */
export type QuantizedWeight = { bits: 4; q: Quantized4bit } | { bits: 8; q: QuantizedInt8 };

/** A frozen linear layer whose weight is stored quantised. */
export class QuantizedLinear implements LinearLayer {
  readonly inFeatures: number;
  readonly outFeatures: number;
  private readonly op: (x: tf.Tensor) => tf.Tensor2D;

  constructor(
    readonly name: string,
    readonly weight: QuantizedWeight,
    /** Float32 bias (never quantised), or null. */
    readonly bias: tf.Variable | null,
  ) {
    [this.outFeatures, this.inFeatures] = weight.q.shape;
    const [inF, outF] = [this.inFeatures, this.outFeatures];
    this.op = customOp<tf.Tensor2D>(
      ([x]) => tf.matMul(x as tf.Tensor2D, tf.tensor2d(this.dequantize(true), [inF, outF])),
      // tidy: gradFunc runs outside the tape's per-input tidy, and the weight must not live
      // until the end of the backward pass.
      (dy) => [tf.tidy(() => tf.matMul(dy as tf.Tensor2D, tf.tensor2d(this.dequantize(false), [outF, inF])))],
    );
  }

  apply(x: tf.Tensor2D): tf.Tensor2D {
    const y = this.op(x);
    return this.bias ? addBias(y, this.bias) : y;
  }

  /** The dequantised weight, [in, out] (`kernelLayout`) or Hugging Face's [out, in]. */
  dequantize(kernelLayout: boolean): Float32Array {
    return this.weight.bits === 4 ? dequantize4bit(this.weight.q, kernelLayout) : dequantizeInt8(this.weight.q, kernelLayout);
  }

  /** The dequantised kernel [in, out] as a tensor (DoRA's weight norm). Dispose it. */
  kernel(): tf.Tensor2D {
    return tf.tensor2d(this.dequantize(true), [this.inFeatures, this.outFeatures]);
  }

  /** Bytes of the stored weight (without the bias). */
  get bytes(): number {
    return this.weight.bits === 4 ? quantized4bitBytes(this.weight.q) : quantizedInt8Bytes(this.weight.q);
  }

  /** Number of weight elements the packed data stands for. */
  get numel(): number {
    return this.inFeatures * this.outFeatures;
  }
}

/** Quantises one [out, in] weight. */
export function quantizeWeight(data: Float32Array, shape: [number, number], opts: QuantizeOptions): QuantizedWeight {
  if (opts.bits === 8) return { bits: 8, q: quantizeInt8(data, shape) };
  return { bits: 4, q: quantize4bit(data, shape, { quantType: opts.quantType, doubleQuant: opts.doubleQuant, blockSize: opts.blockSize ?? 64 }) };
}

/** What `quantizeBase` did. */
export interface QuantizeReport {
  /** Module names now quantised. */
  modules: string[];
  /** Weight elements quantised. */
  params: number;
  /** Bytes they take quantised, and as float32. */
  bytes: number;
  float32Bytes: number;
}

/**
 * Replaces every plain linear of the decoder blocks with a `QuantizedLinear` and frees its float32
 * kernel, and freezes the base. Must run before adapters are applied (it refuses a model whose
 * linears are already wrapped). The parameters stay counted in `parameterCounts().total` (as PEFT counts a 4-bit
 * model's parameters unpacked).
 */
export function quantizeBase(model: CausalLM, opts: QuantizeOptions): QuantizeReport {
  const report: QuantizeReport = { modules: [], params: 0, bytes: 0, float32Bytes: 0 };
  for (const [name, layer] of [...model.linears]) {
    if (name === 'lm_head' || name.endsWith('.lm_head')) continue;
    if (layer instanceof QuantizedLinear) throw new Error(`"${name}" is already quantised`);
    if (!(layer instanceof Linear)) throw new Error(`"${name}" is wrapped by an adapter; quantise the base before applying adapters`);
    // Kernel [in, out] -> the Hugging Face [out, in] layout bitsandbytes quantises (also for GPT-2's
    // Conv1D, which transformers transposes before quantising).
    // The backend transposes (natively) faster than a strided host loop.
    const t = tf.tidy(() => tf.transpose(layer.kernel));
    const hf = t.dataSync() as Float32Array;
    t.dispose();
    const q = new QuantizedLinear(name, quantizeWeight(hf, [layer.outFeatures, layer.inFeatures], opts), layer.bias);
    model.replaceLinear(name, q);
    for (const [pname, p] of model.params) {
      if (p.variable === layer.kernel) model.params.delete(pname);
    }
    layer.kernel.dispose();
    model.heldParams += q.numel;
    report.modules.push(name);
    report.params += q.numel;
    report.bytes += q.bytes;
    report.float32Bytes += q.numel * 4;
  }
  if (report.modules.length === 0) throw new Error('the model has no linear layers to quantise');
  // A quantised base is frozen (PEFT's prepare_model_for_kbit_training): only an adapter trains.
  model.setBaseTrainable(false);
  return report;
}

/** The dense kernel [in, out] of a frozen base layer (plain or quantised), for DoRA norms. Dispose it. */
export function baseKernel(layer: LinearLayer): tf.Tensor2D {
  if (layer instanceof QuantizedLinear) return layer.kernel();
  if (layer instanceof Linear) return tf.clone(layer.kernel) as tf.Tensor2D;
  throw new Error(`"${layer.name}": no dense weight to read (an adapter wraps it)`);
}

/** The frozen bias of a base layer (plain or quantised), or null. */
export function baseBias(layer: LinearLayer): tf.Variable | null {
  if (layer instanceof QuantizedLinear || layer instanceof Linear) return layer.bias;
  throw new Error(`"${layer.name}": no base bias to read (an adapter wraps it)`);
}
