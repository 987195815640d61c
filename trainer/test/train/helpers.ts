// Shared pieces of the loop tests: a tiny random Llama model and deterministic examples.
import { buildModel, parseModelConfig, randomWeights, type CausalLM } from '../../model/index';
import type { Example } from '../../data/batches';
import { Rng } from '../../train/rng';

export const TINY_CONFIG = {
  architectures: ['LlamaForCausalLM'],
  model_type: 'llama',
  vocab_size: 40,
  hidden_size: 16,
  intermediate_size: 24,
  num_hidden_layers: 2,
  num_attention_heads: 2,
  num_key_value_heads: 1,
  max_position_embeddings: 64,
  rms_norm_eps: 1e-5,
  rope_theta: 10000,
  tie_word_embeddings: true,
};

/** The same random model every call (seeded weights). */
export function tinyModel(seed = 3): CausalLM {
  const config = parseModelConfig(TINY_CONFIG);
  return buildModel(config, randomWeights(config, seed));
}

/** `n` records of 5–12 tokens; the second half of each is trained. */
export function tinyExamples(n: number, seed = 11): Example[] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, () => {
    const len = 5 + rng.int(8);
    const ids = Array.from({ length: len }, () => 1 + rng.int(39));
    return { ids, trained: ids.map((_, i) => i >= len / 2) };
  });
}
