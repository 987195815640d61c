/** Full fine-tuning as a registry entry: every base parameter trains; the output is a whole model directory. */
import { saveModelDir } from '../io/index';
import type { PeftMethod } from './types';

export const fullMethod: PeftMethod<Record<string, never>> = {
  name: 'full',
  adapterValues: [],
  peftTypes: [],
  readSettings: () => ({}),
  apply(model, _settings, opts) {
    if (opts.weights) throw new Error('full fine-tuning has no adapter weights to load');
    model.setBaseTrainable(true);
    return {
      method: 'full',
      output: 'model',
      save: (dir, o) => saveModelDir(dir, model.config, model.stateDict(), o.modelDir !== undefined ? { tokenizerFrom: o.modelDir } : {}),
    };
  },
};
