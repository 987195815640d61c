/**
 * Prompt tuning as a registry entry (`adapter: prompt`). Init as PEFT's `prompt_tuning_init`:
 * RANDOM (torch.nn.Embedding's N(0, 1)), TEXT (the embeddings of `peft_prompt_tuning_init_text`'s
 * tokens, repeated or cut to P) or SAMPLE_VOCAB (embeddings of P random vocabulary tokens). Saved
 * as PEFT saves it: peft_type PROMPT_TUNING, one tensor `prompt_embeddings` [P, C].
 */
import { createPrompt, embeddingRows, normalInit, seededRandom, textInitIds, type HostTensor } from '../model/index';
import { promptLearningConfig, savedVirtualTokens, writeAdapterFiles } from './files';
import { positiveInt } from './configValues';
import { DEFAULT_VIRTUAL_TOKENS } from './prefix';
import type { PeftMethod } from './types';

export const PROMPT_INITS = ['RANDOM', 'TEXT', 'SAMPLE_VOCAB'] as const;
export type PromptInit = (typeof PROMPT_INITS)[number];

export interface PromptSettings {
  virtualTokens: number;
  init: PromptInit;
  initText: string | null;
}

export const promptMethod: PeftMethod<PromptSettings> = {
  name: 'prompt',
  adapterValues: ['prompt', 'prompt_tuning'],
  peftTypes: ['PROMPT_TUNING'],
  readSettings(cfg, refuse) {
    const virtualTokens = positiveInt(cfg, 'peft_num_virtual_tokens', DEFAULT_VIRTUAL_TOKENS, refuse);
    const rawInit = cfg.peft_prompt_tuning_init;
    let init: PromptInit = 'RANDOM';
    if (rawInit !== undefined && rawInit !== null) {
      const v = typeof rawInit === 'string' ? rawInit.trim().toUpperCase() : '';
      if ((PROMPT_INITS as readonly string[]).includes(v)) init = v as PromptInit;
      else refuse('trainer-invalid-setting', 'peft_prompt_tuning_init', `peft_prompt_tuning_init must be one of ${PROMPT_INITS.join(', ')}, got ${JSON.stringify(rawInit)}`);
    }
    const text = typeof cfg.peft_prompt_tuning_init_text === 'string' && cfg.peft_prompt_tuning_init_text.length > 0 ? cfg.peft_prompt_tuning_init_text : null;
    if (init === 'TEXT' && text === null) refuse('trainer-invalid-setting', 'peft_prompt_tuning_init_text', 'peft_prompt_tuning_init: TEXT needs peft_prompt_tuning_init_text (the text whose token embeddings start the prompt)');
    return { virtualTokens, init, initText: text };
  },
  apply(model, s, opts) {
    const P = s.virtualTokens;
    const C = model.config.hiddenSize;
    let init: HostTensor;
    const saved = opts.weights?.get('prompt_embeddings');
    if (opts.weights) {
      if (!saved) throw new Error('the adapter has no "prompt_embeddings" tensor');
      init = saved;
    } else if (s.init === 'TEXT') {
      if (!opts.encode) throw new Error('prompt_tuning_init TEXT needs the tokenizer');
      init = embeddingRows(model, textInitIds(opts.encode(s.initText ?? ''), P));
    } else if (s.init === 'SAMPLE_VOCAB') {
      const rand = seededRandom(opts.seed);
      init = embeddingRows(model, Array.from({ length: P }, () => Math.min(model.config.vocabSize - 1, Math.floor(rand() * model.config.vocabSize))));
    } else {
      init = { shape: [P, C], data: normalInit(P * C, seededRandom(opts.seed)) };
    }
    const { hooks, embeddings } = createPrompt(model, { virtualTokens: P, init });
    const detach = model.attachHooks(hooks);
    const c = model.config;
    return {
      method: 'prompt',
      output: 'adapter',
      hooks,
      detach,
      save: (dir, o) =>
        writeAdapterFiles(
          dir,
          {
            ...promptLearningConfig('PROMPT_TUNING', o.baseModel ?? null, { heads: c.numHeads, layers: c.numLayers, virtualTokens: P, tokenDim: C }),
            prompt_tuning_init: s.init,
            prompt_tuning_init_text: s.initText,
            tokenizer_kwargs: null,
            tokenizer_name_or_path: s.init === 'TEXT' ? (o.baseModel ?? null) : null,
          },
          new Map([['prompt_embeddings', { shape: [P, C], data: new Float32Array(embeddings.dataSync() as Float32Array) }]]),
        ),
    };
  },
  fromSaved(config, tensors, where) {
    const n = savedVirtualTokens(config, where);
    const sub = config.num_transformer_submodules;
    if (sub !== undefined && sub !== null && sub !== 1) throw new Error(`${where}: num_transformer_submodules ${JSON.stringify(sub)}: a causal language model has 1`);
    const t = tensors.get('prompt_embeddings');
    if (!t) throw new Error(`${where}: no "prompt_embeddings" tensor`);
    return { settings: { virtualTokens: n, init: 'RANDOM', initText: null }, weights: new Map([['prompt_embeddings', t]]) };
  },
};
