/**
 * Bottleneck adapters (Houlsby et al. 2019; Pfeiffer et al. 2020): a small residual MLP on a block's
 * output before the block's own residual add,
 *   out' = out + act(out·W_down + b_down)·W_up + b_up      (W_down [C, m], W_up [m, C])
 * Houlsby places one after attention and one after the MLP of every layer, Pfeiffer one after the
 * MLP only. W_up and b_up start at zero, so step 0 is the base model; W_down is N(0, 0.02) with a
 * zero bias (AdapterHub's "bert" init).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { CausalLM } from './causalLm';
import { geluTanh, silu } from './ops';
import type { HostTensor } from './tensors';
import { seededRandom } from './tensors';
import { normalInit } from './prefix';
import type { ForwardHooks } from './types';
import { decays } from './weights';

export const BOTTLENECK_PLACEMENTS = ['houlsby', 'pfeiffer'] as const;
export type BottleneckPlacement = (typeof BOTTLENECK_PLACEMENTS)[number];
/** Nonlinearities: gelu is the tanh approximation (gelu_new). */
export const BOTTLENECK_ACTIVATIONS = ['relu', 'silu', 'swish', 'gelu', 'gelu_new', 'tanh'] as const;
export type BottleneckActivation = (typeof BOTTLENECK_ACTIVATIONS)[number];

export interface BottleneckOptions {
  /** `peft_adapter_size` (m). */
  size: number;
  placement: BottleneckPlacement;
  activation: BottleneckActivation;
  seed?: number;
  /** Saved tensors by parameter name (`<layer>.adapter_attn.down.weight` [m, C], ... Hugging Face [out, in] layout). */
  weights?: Map<string, HostTensor>;
}

/** The module slots of one layer under a placement. */
export const bottleneckSlots = (placement: BottleneckPlacement): ('adapter_attn' | 'adapter_mlp')[] => (placement === 'houlsby' ? ['adapter_attn', 'adapter_mlp'] : ['adapter_mlp']);

/** The decoder layers' name prefix (`model.layers` or `transformer.h`). */
export const layerPrefix = (model: CausalLM): string => (model.config.family === 'gpt2' ? 'transformer.h' : 'model.layers');

interface Pair {
  down: tf.Variable; // [C, m]
  downBias: tf.Variable; // [m]
  up: tf.Variable; // [m, C]
  upBias: tf.Variable; // [C]
}

function activate(x: tf.Tensor2D, act: BottleneckActivation): tf.Tensor2D {
  switch (act) {
    case 'relu':
      return tf.relu(x);
    case 'silu':
    case 'swish':
      return silu(x) as tf.Tensor2D;
    case 'gelu':
    case 'gelu_new':
      return geluTanh(x) as tf.Tensor2D;
    case 'tanh':
      return tf.tanh(x);
  }
}

/** Creates the adapters, registers their variables (kind adapter) and returns the hooks. */
export function createBottleneck(model: CausalLM, opts: BottleneckOptions): { hooks: ForwardHooks; names: string[] } {
  const { hiddenSize: C, numLayers: L } = model.config;
  const m = opts.size;
  if (!Number.isInteger(m) || m <= 0) throw new RangeError(`peft_adapter_size must be a positive integer, got ${m}`);
  const rand = seededRandom(opts.seed ?? 42);
  const prefix = layerPrefix(model);
  const names: string[] = [];
  const used = new Set<string>();
  const variable = (name: string, shape: [number] | [number, number], init: () => Float32Array): tf.Variable => {
    const saved = opts.weights?.get(name);
    let data: Float32Array;
    if (opts.weights) {
      // Saved in Hugging Face's [out, in] layout; held as [in, out] kernels.
      const fileShape = shape.length === 2 ? [shape[1], shape[0]] : shape;
      if (!saved) throw new Error(`the adapter has no tensor "${name}"`);
      if (saved.shape.join() !== fileShape.join()) throw new Error(`"${name}" has shape [${saved.shape.join(', ')}], expected [${fileShape.join(', ')}]`);
      data = shape.length === 2 ? transpose(saved.data, shape[1], shape[0]) : new Float32Array(saved.data);
      used.add(name);
    } else {
      data = init();
    }
    const v = tf.variable(tf.tensor(data, shape, 'float32'), true);
    model.params.set(name, { name, variable: v, transposed: shape.length === 2, decay: decays(name), kind: 'adapter' });
    names.push(name);
    return v;
  };
  const layers: Partial<Record<'adapter_attn' | 'adapter_mlp', Pair>>[] = [];
  for (let i = 0; i < L; i++) {
    const entry: Partial<Record<'adapter_attn' | 'adapter_mlp', Pair>> = {};
    for (const slot of bottleneckSlots(opts.placement)) {
      const p = `${prefix}.${i}.${slot}`;
      entry[slot] = {
        down: variable(`${p}.down.weight`, [C, m], () => normalInit(C * m, rand, 0.02)),
        downBias: variable(`${p}.down.bias`, [m], () => new Float32Array(m)),
        up: variable(`${p}.up.weight`, [m, C], () => new Float32Array(m * C)),
        upBias: variable(`${p}.up.bias`, [C], () => new Float32Array(C)),
      };
    }
    layers.push(entry);
  }
  if (opts.weights) {
    const extra = [...opts.weights.keys()].filter((k) => !used.has(k));
    if (extra.length) throw new Error(`the adapter has tensors this model and placement do not use: ${extra.slice(0, 5).join(', ')}`);
  }
  model.setBaseTrainable(false);
  const run = (pair: Pair | undefined, x: tf.Tensor2D): tf.Tensor2D => {
    if (!pair) return x;
    const h = activate(tf.add(tf.matMul(x, pair.down as tf.Tensor2D), pair.downBias) as tf.Tensor2D, opts.activation); // [N, m]
    return tf.add(x, tf.add(tf.matMul(h, pair.up as tf.Tensor2D), pair.upBias)) as tf.Tensor2D; // [N, C]
  };
  const hooks: ForwardHooks = { afterMlp: (layer, x) => run(layers[layer]?.adapter_mlp, x) };
  if (opts.placement === 'houlsby') hooks.afterAttention = (layer, x) => run(layers[layer]?.adapter_attn, x);
  return { hooks, names };
}

/** [rows, cols] row-major → its transpose. */
function transpose(data: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = data[r * cols + c];
  return out;
}
