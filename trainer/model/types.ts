/** The data a forward pass takes, and the extension points later methods plug into. */
import type * as tf from '@tensorflow/tfjs-core';

/**
 * One batch of token sequences, flattened row-major: index b·seqLen + t.
 * All arrays have length batch·seqLen.
 */
export interface ModelInput {
  batch: number;
  seqLen: number;
  /** Token ids. */
  inputIds: Int32Array;
  /**
   * Position of each token within its record (rotary angle / learned position). Default 0..T-1 per
   * row. With sample packing, restart at 0 for every packed record, as Hugging Face's
   * position_ids-based packing does.
   */
  positionIds?: Int32Array;
  /**
   * Record id of each token. Attention never crosses a change of id, so packed records are
   * independent. Default: one record per row. Padding may use its own id (e.g. -1); it then sees
   * only itself.
   */
  segmentIds?: Int32Array;
  /**
   * Prompt tuning: at each position, the index of the virtual token placed there, or -1 for a real
   * token. Set by a `ForwardHooks.input` that inserts virtual positions; read by its `embeddings`.
   */
  virtualSlots?: Int32Array;
}

/** Extension points for parameter-efficient methods that change more than a linear layer. */
export interface ForwardHooks {
  /**
   * Rewrites the input before the forward: prompt tuning inserts virtual positions, prefix and
   * prompt tuning shift the real tokens' positions past their virtual ones (as Hugging Face does
   * with PEFT). `continuation`: a cached decoding step after the first (the virtual positions are
   * in the cache already). `rows`: which rows of the result are the caller's positions, in order;
   * the model returns only those, so logits and the loss keep the caller's shape.
   */
  input?(input: ModelInput, continuation: boolean): { input: ModelInput; rows?: Int32Array };
  /** Positions a method occupies before the first real token (prefix / prompt: the virtual tokens); generation keeps below the model's limit minus this. */
  reservedPositions?: number;
  /** Prompt tuning and similar: transform the token embeddings h [B·T, C] (same shape back; GPT-2: before its learned positions are added). */
  embeddings?(h: tf.Tensor2D, input: ModelInput): tf.Tensor2D;
  /** Prefix tuning: extra keys/values for layer `layer`, each [Hkv, P, D]; visible to every query. */
  kvPrefix?(layer: number): { k: tf.Tensor3D; v: tf.Tensor3D } | null;
  /** Bottleneck adapters: transform the attention block output [B·T, C] before the residual add. */
  afterAttention?(layer: number, out: tf.Tensor2D): tf.Tensor2D;
  /** Bottleneck adapters: transform the MLP block output [B·T, C] before the residual add. */
  afterMlp?(layer: number, out: tf.Tensor2D): tf.Tensor2D;
}

/** How to run a forward pass. */
export interface ForwardOptions {
  /** Training mode: enables dropout (LoRA dropout, GPT-2's dropouts). Default false. */
  training?: boolean;
  /** Seed for this pass's dropout masks; pass a per-step value for reproducible, resumable runs. */
  seed?: number;
  hooks?: ForwardHooks;
  /**
   * Incremental decoding: keys/values of earlier tokens, extended in place by this pass. The
   * input then holds only the new tokens, with their absolute `positionIds`; every cached token is
   * visible to them. Inference only.
   */
  cache?: KvCache;
}

/** Per-layer keys and values of the tokens seen so far, each [B, Hkv, P, D] (after rotary). */
export class KvCache {
  readonly layers: ({ k: tf.Tensor4D; v: tf.Tensor4D } | undefined)[] = [];

  /** Tokens held (P). */
  get length(): number {
    return this.layers[0]?.k.shape[2] ?? 0;
  }

  /** Replaces layer `i`'s entry, keeping the new tensors alive outside tidy scopes. */
  set(i: number, k: tf.Tensor4D, v: tf.Tensor4D, keep: (t: tf.Tensor4D) => tf.Tensor4D): void {
    const old = this.layers[i];
    this.layers[i] = { k: keep(k), v: keep(v) };
    old?.k.dispose();
    old?.v.dispose();
  }

  dispose(): void {
    for (const l of this.layers) {
      l?.k.dispose();
      l?.v.dispose();
    }
    this.layers.length = 0;
  }
}
