/**
 * Prefix tuning as a registry entry (`adapter: prefix`). Saved as PEFT saves it: peft_type
 * PREFIX_TUNING and one tensor `prompt_embeddings` [P, L·2·W], the final prefix (with the
 * reparameterisation MLP, PEFT saves the MLP's output, not the MLP), so a saved adapter loads
 * without the MLP, as PEFT loads it in inference mode.
 */
import { createPrefix } from '../model/index';
import { promptLearningConfig, savedVirtualTokens, writeAdapterFiles } from './files';
import { positiveInt } from './configValues';
import type { PeftMethod } from './types';

export interface PrefixSettings {
  virtualTokens: number;
  projection: boolean;
  /** null: PEFT's default, the token dimension. */
  encoderHidden: number | null;
}

/** Default for peft_num_virtual_tokens when unset (the estimator assumes the same). */
export const DEFAULT_VIRTUAL_TOKENS = 20;

export const prefixMethod: PeftMethod<PrefixSettings> = {
  name: 'prefix',
  adapterValues: ['prefix', 'prefix_tuning'],
  peftTypes: ['PREFIX_TUNING'],
  readSettings(cfg, refuse) {
    const projection = cfg.peft_prefix_projection;
    if (projection !== undefined && projection !== null && typeof projection !== 'boolean') refuse('trainer-invalid-setting', 'peft_prefix_projection', 'peft_prefix_projection must be true or false');
    const hidden = cfg.peft_encoder_hidden_size;
    return {
      virtualTokens: positiveInt(cfg, 'peft_num_virtual_tokens', DEFAULT_VIRTUAL_TOKENS, refuse),
      projection: projection === true,
      encoderHidden: hidden === undefined || hidden === null ? null : positiveInt(cfg, 'peft_encoder_hidden_size', 1, refuse),
    };
  },
  apply(model, s, opts) {
    const prompt = opts.weights?.get('prompt_embeddings');
    if (opts.weights && !prompt) throw new Error('the adapter has no "prompt_embeddings" tensor');
    const adapter = createPrefix(model, {
      virtualTokens: s.virtualTokens,
      projection: s.projection,
      ...(s.encoderHidden !== null ? { encoderHidden: s.encoderHidden } : {}),
      seed: opts.seed,
      ...(prompt ? { weights: prompt } : {}),
    });
    const detach = model.attachHooks(adapter.hooks);
    const c = model.config;
    return {
      method: 'prefix',
      output: 'adapter',
      hooks: adapter.hooks,
      detach,
      save: (dir, o) =>
        writeAdapterFiles(
          dir,
          {
            ...promptLearningConfig('PREFIX_TUNING', o.baseModel ?? null, { heads: c.numKvHeads, layers: c.numLayers, virtualTokens: s.virtualTokens, tokenDim: adapter.tokenDim }),
            encoder_hidden_size: s.encoderHidden ?? adapter.tokenDim,
            prefix_projection: s.projection,
          },
          new Map([['prompt_embeddings', adapter.finalPrefix()]]),
        ),
    };
  },
  fromSaved(config, tensors, where) {
    const n = savedVirtualTokens(config, where);
    const t = tensors.get('prompt_embeddings');
    if (!t) throw new Error(`${where}: no "prompt_embeddings" tensor`);
    // Saved values are the final prefix: load without the MLP, whatever prefix_projection says.
    return { settings: { virtualTokens: n, projection: false, encoderHidden: null }, weights: new Map([['prompt_embeddings', t]]) };
  },
};
