/**
 * Parameter bookkeeping: Hugging Face tensor names ↔ tfjs variables. Linear weights are held
 * transposed ([in, out]) for speed (see linear.ts); `transposed` records it so saving writes the
 * Hugging Face layout back.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { HostTensor } from './tensors';
import { transpose2d } from './tensors';

/** One model parameter. */
export interface NamedParameter {
  /** Hugging Face name, e.g. `model.layers.0.self_attn.q_proj.weight`, or a LoRA name such as `model.layers.0.self_attn.q_proj.lora_A.weight`. */
  name: string;
  /** The live variable. Its shape is the *internal* layout (see `transposed`). */
  variable: tf.Variable;
  /** True when the variable holds the transpose of the file layout ([in, out] for an HF [out, in] weight). */
  transposed: boolean;
  /** Whether AdamW applies weight decay (false for norms and biases, as transformers does). */
  decay: boolean;
  /** `lora` and `adapter` (prefix, prompt, bottleneck, ...) parameters belong to an adapter and are saved in PEFT's format; `base` to the model. */
  kind: 'base' | 'lora' | 'adapter';
}

/** No decay for biases and normalisation weights (transformers' default AdamW grouping). */
export const decays = (name: string): boolean => !(name.endsWith('.bias') || /(norm|ln_\d|ln_f)\b|layernorm/i.test(name));

/** Creates variables from host tensors; throws naming the tensor when shapes disagree. */
export class WeightLoader {
  readonly used = new Set<string>();
  constructor(
    private readonly tensors: Map<string, HostTensor>,
    private readonly params: Map<string, NamedParameter>,
    private readonly aliases: (name: string) => string[] = (n) => [n],
  ) {}

  private find(name: string): HostTensor | undefined {
    for (const alias of this.aliases(name)) {
      const t = this.tensors.get(alias);
      if (t) {
        this.used.add(alias);
        return t;
      }
    }
    return undefined;
  }

  has(name: string): boolean {
    return this.aliases(name).some((a) => this.tensors.has(a));
  }

  /**
   * Loads `name` with file shape `shape`; `transpose` stores it [in, out].
   * @returns the variable (registered under `name`).
   */
  take(name: string, shape: number[], transpose = false): tf.Variable {
    const t = this.find(name);
    if (!t) throw new Error(`missing weight "${name}" (expected shape [${shape.join(', ')}])`);
    if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
      throw new Error(`weight "${name}" has shape [${t.shape.join(', ')}], expected [${shape.join(', ')}]`);
    }
    const host = transpose ? transpose2d(t) : t;
    // tidy frees the initial tensor; the variable (never tidied) keeps the data.
    const variable = tf.tidy(() => tf.variable(tf.tensor(host.data, host.shape, 'float32'), true));
    this.params.set(name, { name, variable, transposed: transpose, decay: decays(name), kind: 'base' });
    return variable;
  }
}

/** Reads a parameter back in Hugging Face layout. */
export function toHost(p: NamedParameter): HostTensor {
  const t: HostTensor = { shape: [...p.variable.shape], data: p.variable.dataSync() as Float32Array };
  return p.transposed ? transpose2d(t) : { shape: t.shape, data: new Float32Array(t.data) };
}
