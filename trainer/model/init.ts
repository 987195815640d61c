/**
 * Random checkpoints in Hugging Face layout, initialised as transformers does
 * (normal(0, initializer_range) for matrices and embeddings, ones for norm weights, zeros for
 * biases), from a seeded generator. Used for benchmarks, tests and pretraining from scratch.
 */
import type { ModelConfig } from './config';
import type { HostTensor } from './tensors';
import { normalSampler, numel, seededRandom } from './tensors';

/** The Hugging Face tensor names and shapes of a model (what model.safetensors holds). */
export function weightShapes(config: ModelConfig): Map<string, number[]> {
  const { hiddenSize: C, numHeads: H, numKvHeads: Hkv, headDim: D, intermediateSize: I, vocabSize: V } = config;
  const s = new Map<string, number[]>();
  if (config.family === 'gpt2') {
    s.set('transformer.wte.weight', [V, C]);
    s.set('transformer.wpe.weight', [config.maxPositions, C]);
    for (let i = 0; i < config.numLayers; i++) {
      const p = `transformer.h.${i}`;
      for (const ln of ['ln_1', 'ln_2']) {
        s.set(`${p}.${ln}.weight`, [C]);
        s.set(`${p}.${ln}.bias`, [C]);
      }
      s.set(`${p}.attn.c_attn.weight`, [C, 3 * C]);
      s.set(`${p}.attn.c_attn.bias`, [3 * C]);
      s.set(`${p}.attn.c_proj.weight`, [C, C]);
      s.set(`${p}.attn.c_proj.bias`, [C]);
      s.set(`${p}.mlp.c_fc.weight`, [C, I]);
      s.set(`${p}.mlp.c_fc.bias`, [I]);
      s.set(`${p}.mlp.c_proj.weight`, [I, C]);
      s.set(`${p}.mlp.c_proj.bias`, [C]);
    }
    s.set('transformer.ln_f.weight', [C]);
    s.set('transformer.ln_f.bias', [C]);
    return s;
  }
  s.set('model.embed_tokens.weight', [V, C]);
  const lin = (name: string, inF: number, outF: number, bias: boolean) => {
    s.set(`${name}.weight`, [outF, inF]);
    if (bias) s.set(`${name}.bias`, [outF]);
  };
  for (let i = 0; i < config.numLayers; i++) {
    const p = `model.layers.${i}`;
    s.set(`${p}.input_layernorm.weight`, [C]);
    lin(`${p}.self_attn.q_proj`, C, H * D, config.qkvBias);
    lin(`${p}.self_attn.k_proj`, C, Hkv * D, config.qkvBias);
    lin(`${p}.self_attn.v_proj`, C, Hkv * D, config.qkvBias);
    lin(`${p}.self_attn.o_proj`, H * D, C, config.oBias);
    s.set(`${p}.post_attention_layernorm.weight`, [C]);
    lin(`${p}.mlp.gate_proj`, C, I, config.mlpBias);
    lin(`${p}.mlp.up_proj`, C, I, config.mlpBias);
    lin(`${p}.mlp.down_proj`, I, C, config.mlpBias);
  }
  s.set('model.norm.weight', [C]);
  if (!config.tieWordEmbeddings) s.set('lm_head.weight', [V, C]);
  return s;
}

/** A seeded random state dict for `config` (std = config.json's initializer_range, default 0.02). */
export function randomWeights(config: ModelConfig, seed = 0): Map<string, HostTensor> {
  const std = typeof config.raw.initializer_range === 'number' ? config.raw.initializer_range : 0.02;
  const normal = normalSampler(seededRandom(seed));
  const out = new Map<string, HostTensor>();
  for (const [name, shape] of weightShapes(config)) {
    const data = new Float32Array(numel(shape));
    const isNorm = /norm|ln_/.test(name) && name.endsWith('.weight');
    if (isNorm) data.fill(1);
    else if (!name.endsWith('.bias')) for (let i = 0; i < data.length; i++) data[i] = normal() * std;
    out.set(name, { shape, data });
  }
  return out;
}
