/**
 * The model API of the trainer (consumed by the training loop, eval, generate and merge-lora).
 *
 * CONTRACT (stable; extend, do not change):
 * - `buildModel(config, tensors)` → `CausalLM` from a parsed config and Hugging Face tensors
 *   (`parseModelConfig` for config.json; `loadModelDir` in trainer/io reads both from a directory).
 * - `CausalLM.loss(input, targets, {training, seed, hooks})` → `{ loss, sum, tokens }`, scalars to
 *   differentiate with `tf.variableGrads(() => model.loss(...).loss, model.trainableVariables())`.
 *   Inputs are flat typed arrays (`ModelInput`): ids, optional position ids (reset per packed
 *   record) and segment ids (attention never crosses records). `targets` are already shifted:
 *   build them with `shiftTargets(labels, segmentIds, batch, seqLen)`; -100 = not trained.
 * - `CausalLM.logits(input, opts)` → [B·T, V] for eval and generation.
 * - `CausalLM.parameters()` → `NamedParameter[]`: HF name, variable, `decay` (false for norms and
 *   biases), `kind` base | lora. `trainableVariables()` lists only what an optimizer updates;
 *   frozen variables get no gradient and cost no gradient matmul.
 * - `CausalLM.stateDict()` → HF-layout host tensors of the base weights (for saving full
 *   fine-tunes); LoRA weights are saved with `saveAdapter` (trainer/io).
 * - `applyLora(model, options)` wraps the targeted linears (PEFT init, B = 0: step 0 = base model)
 *   and freezes the base.
 * - Extension points: `CausalLM.linears` / `replaceLinear` (quantised linears, other adapters),
 *   `ForwardHooks` (prompt tuning embeddings, prefix-tuning K/V, adapters after attention / MLP).
 * All tensors returned are owned by the caller (dispose them or run inside `tf.tidy`).
 */
import type { ModelConfig } from './config';
import type { CausalLM } from './causalLm';
import { Gpt2Model } from './gpt2';
import { LlamaModel } from './llama';
import type { HostTensor } from './tensors';

export type { ModelConfig, ModelFamily } from './config';
export { ModelConfigError, parseModelConfig, ropeInvFreq, SUPPORTED_ARCHITECTURES } from './config';
export type { ForwardState, LossResult } from './causalLm';
export { CausalLM, defaultPositions } from './causalLm';
export type { LinearContext, LinearLayer } from './linear';
export { Linear, matMulLinear } from './linear';
export type { LoraOptions } from './lora';
export { applyLora, isTargeted, LoraLinear, loraLayers, loraScaling, peftInitA } from './lora';
export { randomWeights, weightShapes } from './init';
export type { HostTensor } from './tensors';
export { numel, seededRandom, transpose2d } from './tensors';
export type { ForwardHooks, ForwardOptions, ModelInput } from './types';
export { KvCache } from './types';
export type { NamedParameter } from './weights';
export { decays, toHost } from './weights';
// Adapters that plug into ForwardHooks (trainer/peft builds on these).
export { composeHooks, gatherRows, shiftedPositions } from './hooks';
export type { PrefixAdapter, PrefixOptions } from './prefix';
export { createPrefix, normalInit, prefixTokenDim } from './prefix';
export type { PromptOptions } from './prompt';
export { createPrompt, embeddingRows, insertVirtualTokens, textInitIds } from './prompt';
export type { BottleneckActivation, BottleneckOptions, BottleneckPlacement } from './bottleneck';
export { BOTTLENECK_ACTIVATIONS, BOTTLENECK_PLACEMENTS, bottleneckSlots, createBottleneck, layerPrefix } from './bottleneck';

/** Builds the model for `config` from Hugging Face tensors (F32 host copies; see trainer/io). */
export function buildModel(config: ModelConfig, tensors: Map<string, HostTensor>): CausalLM {
  return config.family === 'gpt2' ? new Gpt2Model(config, tensors) : new LlamaModel(config, tensors);
}

/**
 * Next-token targets from per-token labels (the labels of the chat core: a token id where trained,
 * -100 where not): targets[t] = labels[t+1] when t+1 is in the same row and record, else -100.
 * Shapes: labels and segmentIds [B·T] → targets [B·T].
 */
export function shiftTargets(labels: Int32Array, segmentIds: Int32Array | undefined, batch: number, seqLen: number): Int32Array {
  const out = new Int32Array(batch * seqLen).fill(-100);
  for (let b = 0; b < batch; b++) {
    for (let t = 0; t + 1 < seqLen; t++) {
      const i = b * seqLen + t;
      if (segmentIds && segmentIds[i] !== segmentIds[i + 1]) continue;
      out[i] = labels[i + 1] < 0 ? -100 : labels[i + 1];
    }
  }
  return out;
}

/** Number of counted (non-negative) targets: the token weight of a micro-batch. */
export function countTargets(targets: Int32Array): number {
  let n = 0;
  for (const t of targets) if (t >= 0) n++;
  return n;
}
