/**
 * The Llama family (LlamaForCausalLM, MistralForCausalLM, Qwen2ForCausalLM), following
 * transformers' modeling_llama / modeling_qwen2:
 *   h = embed(ids)
 *   per layer: h += o_proj(attn(rope(q_proj(n)), rope(k_proj(n)), v_proj(n))), n = RMSNorm(h)
 *              h += down_proj(silu(gate_proj(n)) · up_proj(n)),                 n = RMSNorm(h)
 *   logits = RMSNorm(h) @ lm_headᵀ (or the embedding table when tied)
 * Mistral's sliding window is not applied (it only matters beyond 4096 tokens).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ModelConfig } from './config';
import { ropeInvFreq } from './config';
import type { ForwardState } from './causalLm';
import { CausalLM, defaultPositions } from './causalLm';
import { addSame, Linear } from './linear';
import { applyRope, embed, rmsNorm2d, ropeTables, silu } from './ops';
import type { HostTensor } from './tensors';
import { WeightLoader } from './weights';

export class LlamaModel extends CausalLM {
  private readonly invFreq: Float32Array;
  private embedTokens!: tf.Variable;
  private finalNorm!: tf.Variable;
  private layerNorms: { input: tf.Variable; post: tf.Variable }[] = [];

  /** Builds the model from Hugging Face tensors (names as in model.safetensors). */
  constructor(config: ModelConfig, tensors: Map<string, HostTensor>) {
    super(config);
    this.invFreq = ropeInvFreq(config);
    const { hiddenSize: C, numHeads: H, numKvHeads: Hkv, headDim: D, intermediateSize: I, vocabSize: V } = config;
    const w = new WeightLoader(tensors, this.params);
    try {
      this.embedTokens = w.take('model.embed_tokens.weight', [V, C]);
      const linear = (name: string, inF: number, outF: number, bias: boolean) => {
        this.linears.set(name, new Linear(name, w.take(`${name}.weight`, [outF, inF], true), bias ? w.take(`${name}.bias`, [outF]) : null));
      };
      for (let i = 0; i < config.numLayers; i++) {
        const p = `model.layers.${i}`;
        const input = w.take(`${p}.input_layernorm.weight`, [C]);
        linear(`${p}.self_attn.q_proj`, C, H * D, config.qkvBias);
        linear(`${p}.self_attn.k_proj`, C, Hkv * D, config.qkvBias);
        linear(`${p}.self_attn.v_proj`, C, Hkv * D, config.qkvBias);
        linear(`${p}.self_attn.o_proj`, H * D, C, config.oBias);
        const post = w.take(`${p}.post_attention_layernorm.weight`, [C]);
        linear(`${p}.mlp.gate_proj`, C, I, config.mlpBias);
        linear(`${p}.mlp.up_proj`, C, I, config.mlpBias);
        linear(`${p}.mlp.down_proj`, I, C, config.mlpBias);
        this.layerNorms.push({ input, post });
      }
      this.finalNorm = w.take('model.norm.weight', [C]);
      // Some tied checkpoints still carry lm_head.weight; tie_word_embeddings decides.
      if (!config.tieWordEmbeddings) linear('lm_head', C, V, false);
    } catch (e) {
      this.dispose();
      throw e;
    }
    const ignorable = /rotary_emb\.inv_freq$|^lm_head\.weight$/;
    this.unusedWeights = [...tensors.keys()].filter((k) => !w.used.has(k) && !ignorable.test(k));
  }

  protected head(): { weight: tf.Variable; tied: boolean } {
    if (this.config.tieWordEmbeddings) return { weight: this.embedTokens, tied: true };
    return { weight: (this.linear('lm_head') as Linear).kernel, tied: false };
  }

  protected hidden(state: ForwardState): tf.Tensor2D {
    const { input, opts, ctx } = state;
    const { batch: B, seqLen: T } = input;
    const eps = this.config.normEps;
    const positions = input.positionIds ?? defaultPositions(B, T);
    const { cos, sin } = ropeTables(positions, B, T, this.invFreq); // [B, 1, T, D]
    const rope = (x: tf.Tensor4D) => applyRope(x, cos, sin);
    // h [N, C], N = B·T
    let h = embed(tf.tensor1d(input.inputIds, 'int32'), this.embedTokens);
    if (opts.hooks?.embeddings) h = opts.hooks.embeddings(h, input);
    for (let i = 0; i < this.config.numLayers; i++) {
      // One tidy per layer: only what backprop saved survives, so peak memory is one layer's
      // intermediates plus the saved activations (tfjs keeps a forward's tensors until it ends).
      h = tf.tidy(() => {
        const p = `model.layers.${i}`;
        const norms = this.layerNorms[i];
        let n = rmsNorm2d(h, norms.input, eps);
        const q = this.linear(`${p}.self_attn.q_proj`).apply(n, ctx); // [N, H·D]
        const k = this.linear(`${p}.self_attn.k_proj`).apply(n, ctx); // [N, Hkv·D]
        const v = this.linear(`${p}.self_attn.v_proj`).apply(n, ctx); // [N, Hkv·D]
        let a = this.linear(`${p}.self_attn.o_proj`).apply(this.attend(i, state, q, k, v, rope), ctx); // [N, C]
        if (opts.hooks?.afterAttention) a = opts.hooks.afterAttention(i, a);
        const h1 = addSame(h, a);
        n = rmsNorm2d(h1, norms.post, eps);
        const gate = this.linear(`${p}.mlp.gate_proj`).apply(n, ctx); // [N, I]
        const up = this.linear(`${p}.mlp.up_proj`).apply(n, ctx); // [N, I]
        let m = this.linear(`${p}.mlp.down_proj`).apply(tf.mul(silu(gate), up) as tf.Tensor2D, ctx); // [N, C]
        if (opts.hooks?.afterMlp) m = opts.hooks.afterMlp(i, m);
        return addSame(h1, m);
      });
    }
    return rmsNorm2d(h, this.finalNorm, eps);
  }
}
