/**
 * GPT-2 (GPT2LMHeadModel), following transformers' modeling_gpt2:
 *   h = wte(ids) + wpe(positions)
 *   per layer: h += c_proj(attn(split(c_attn(LN₁(h)))));  h += mlp.c_proj(gelu_tanh(c_fc(LN₂(h))))
 *   logits = LN_f(h) @ wteᵀ
 * Conv1D weights are stored [in, out] on disk, which is already our kernel layout.
 * Checkpoints name tensors with or without the `transformer.` prefix; both load.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ModelConfig } from './config';
import type { ForwardState } from './causalLm';
import { CausalLM, defaultPositions } from './causalLm';
import { addSame, Linear } from './linear';
import { embed, geluTanh, layerNorm2d } from './ops';
import type { HostTensor } from './tensors';
import { WeightLoader } from './weights';

interface Gpt2Norm {
  weight: tf.Variable;
  bias: tf.Variable;
}

export class Gpt2Model extends CausalLM {
  private wte!: tf.Variable;
  private wpe!: tf.Variable;
  private lnF!: Gpt2Norm;
  private norms: { ln1: Gpt2Norm; ln2: Gpt2Norm }[] = [];

  constructor(config: ModelConfig, tensors: Map<string, HostTensor>) {
    super(config);
    const { hiddenSize: C, intermediateSize: I, vocabSize: V, maxPositions } = config;
    const w = new WeightLoader(tensors, this.params, (n) => [n, n.replace(/^transformer\./, '')]);
    try {
      this.wte = w.take('transformer.wte.weight', [V, C]);
      this.wpe = w.take('transformer.wpe.weight', [maxPositions, C]);
      const norm = (name: string): Gpt2Norm => ({ weight: w.take(`${name}.weight`, [C]), bias: w.take(`${name}.bias`, [C]) });
      const conv = (name: string, inF: number, outF: number) => {
        this.linears.set(name, new Linear(name, w.take(`${name}.weight`, [inF, outF]), w.take(`${name}.bias`, [outF])));
      };
      for (let i = 0; i < config.numLayers; i++) {
        const p = `transformer.h.${i}`;
        const ln1 = norm(`${p}.ln_1`);
        conv(`${p}.attn.c_attn`, C, 3 * C);
        conv(`${p}.attn.c_proj`, C, C);
        const ln2 = norm(`${p}.ln_2`);
        conv(`${p}.mlp.c_fc`, C, I);
        conv(`${p}.mlp.c_proj`, I, C);
        this.norms.push({ ln1, ln2 });
      }
      this.lnF = norm('transformer.ln_f');
    } catch (e) {
      this.dispose();
      throw e;
    }
    const ignorable = /\.attn\.(masked_)?bias$|^lm_head\.weight$/;
    this.unusedWeights = [...tensors.keys()].filter((k) => !w.used.has(k) && !ignorable.test(k));
  }

  protected head(): { weight: tf.Variable; tied: boolean } {
    return { weight: this.wte, tied: true };
  }

  protected hidden(state: ForwardState): tf.Tensor2D {
    const { input, opts, ctx } = state;
    const { batch: B, seqLen: T } = input;
    const { normEps: eps, dropout, maxPositions } = this.config;
    const positions = input.positionIds ?? defaultPositions(B, T);
    for (const p of positions) if (p < 0 || p >= maxPositions) throw new RangeError(`position ${p} is outside GPT-2's ${maxPositions} learned positions`);
    // h [N, C]
    // The embeddings hook sees the token embeddings alone: prompt tuning's virtual tokens get
    // learned positions added like real ones, as in Hugging Face (inputs_embeds + wpe).
    let tok = embed(tf.tensor1d(input.inputIds, 'int32'), this.wte);
    if (opts.hooks?.embeddings) tok = opts.hooks.embeddings(tok, input);
    let h = tf.add(tok, embed(tf.tensor1d(positions, 'int32'), this.wpe)) as tf.Tensor2D;
    h = this.dropout(h, dropout.embedding, state);
    const ln = (x: tf.Tensor2D, n: Gpt2Norm) => layerNorm2d(x, n.weight, n.bias, eps);
    for (let i = 0; i < this.config.numLayers; i++) {
      // One tidy per layer (see llama.ts): peak memory is one layer's intermediates.
      h = tf.tidy(() => {
        const p = `transformer.h.${i}`;
        const { ln1, ln2 } = this.norms[i];
        const qkv = this.linear(`${p}.attn.c_attn`).apply(ln(h, ln1), ctx); // [N, 3C]
        const [q, k, v] = tf.split(qkv, 3, 1) as tf.Tensor2D[]; // each [N, C]
        let a = this.linear(`${p}.attn.c_proj`).apply(this.attend(i, state, q, k, v), ctx);
        a = this.dropout(a, dropout.residual, state);
        if (opts.hooks?.afterAttention) a = opts.hooks.afterAttention(i, a);
        const h1 = addSame(h, a);
        const f = this.linear(`${p}.mlp.c_fc`).apply(ln(h1, ln2), ctx); // [N, I]
        let m = this.linear(`${p}.mlp.c_proj`).apply(geluTanh(f) as tf.Tensor2D, ctx); // [N, C]
        m = this.dropout(m, dropout.residual, state);
        if (opts.hooks?.afterMlp) m = opts.hooks.afterMlp(i, m);
        return addSame(h1, m);
      });
    }
    return ln(h, this.lnF);
  }
}
