/**
 * IA3 as a registry entry (`adapter: ia3`): PEFT's default target and feed-forward modules for the
 * architecture (Axolotl has no IA3 keys; the estimator counts the same defaults), vectors
 * initialised to ones (trainer/model/ia3.ts), saved as PEFT does:
 *   adapter_config.json        {"peft_type": "IA3", "target_modules", "feedforward_modules", "fan_in_fan_out", ...}
 *   adapter_model.safetensors  base_model.model.<module>.ia3_l   [out, 1], or [1, in] for feed-forward modules
 * and merged on the host: W[o, :] *= l[o] (and the bias) for attention-side targets, W[:, i] *= l[i]
 * for feed-forward ones (PEFT's IA3 merge; columns and rows swap for GPT-2's Conv1D [in, out]).
 */
import { ModelDirError } from '../io/index';
import { applyIa3, defaultIa3Modules, ia3Layers, type Ia3Options } from '../model/ia3';
import type { HostTensor, ModelConfig } from '../model/index';
import { writeAdapterFiles } from './files';
import type { LoadedAdapter, PeftMethod } from './types';

const PREFIX = 'base_model.model.';

/** IA3 settings: targets from the saved adapter, or null for the architecture's defaults. */
export interface Ia3Settings {
  modules: Ia3Options | null;
}

const strings = (v: unknown): string[] | null => (Array.isArray(v) && v.every((x) => typeof x === 'string') ? (v as string[]) : typeof v === 'string' ? [v] : null);

export const ia3Method: PeftMethod<Ia3Settings> = {
  name: 'ia3',
  adapterValues: ['ia3'],
  peftTypes: ['IA3'],
  readSettings: () => ({ modules: null }),
  apply(model, s, opts) {
    const modules = s.modules ?? defaultIa3Modules(model.config.modelType, model.config.family);
    let weights: Map<string, Float32Array> | undefined;
    if (opts.weights) {
      weights = new Map();
      for (const [key, t] of opts.weights) weights.set(key.replace(/\.ia3_l$/, ''), t.data);
    }
    applyIa3(model, modules, weights);
    return {
      method: 'ia3',
      output: 'adapter',
      save(dir, o) {
        const tensors = new Map<string, HostTensor>();
        for (const [name, layer] of ia3Layers(model)) {
          const data = new Float32Array(layer.scale.dataSync() as Float32Array);
          tensors.set(`${PREFIX}${name}.ia3_l`, { shape: layer.feedforward ? [1, data.length] : [data.length, 1], data });
        }
        return writeAdapterFiles(
          dir,
          {
            auto_mapping: null,
            base_model_name_or_path: o.baseModel ?? null,
            fan_in_fan_out: model.config.family === 'gpt2',
            feedforward_modules: [...modules.feedforwardModules].sort(),
            inference_mode: true,
            init_ia3_weights: true,
            modules_to_save: null,
            peft_type: 'IA3',
            revision: null,
            target_modules: [...modules.targetModules].sort(),
            task_type: 'CAUSAL_LM',
          },
          tensors,
        );
      },
    };
  },
  fromSaved(config, tensors, where) {
    const targets = strings(config.target_modules);
    const feedforward = strings(config.feedforward_modules) ?? [];
    if (!targets) throw new ModelDirError(`${where}: target_modules must be a list of module names`);
    if (Array.isArray(config.modules_to_save) && config.modules_to_save.length) throw new ModelDirError(`${where}: modules_to_save is not supported`);
    const weights = new Map<string, HostTensor>();
    const ff = new Set<string>();
    for (const [key, t] of tensors) {
      // PEFT strips the adapter name (`ia3_l.default`) on save; tolerate files that kept it.
      const m = /^(?:base_model\.model\.)?(.+)\.ia3_l(?:\.[^.]+)?$/.exec(key);
      if (!m) throw new ModelDirError(`${where}: unexpected tensor "${key}" (expected <module>.ia3_l)`);
      if (t.shape.length !== 2 || (t.shape[0] !== 1 && t.shape[1] !== 1)) throw new ModelDirError(`${where}: "${key}" has shape [${t.shape.join(', ')}], expected [out, 1] or [1, in]`);
      if (t.shape[0] === 1 && t.shape[1] !== 1) ff.add(m[1]);
      weights.set(`${m[1]}.ia3_l`, t);
    }
    if (weights.size === 0) throw new ModelDirError(`${where}: no ia3_l tensors`);
    // The loaded modules are exactly the saved ones; feed-forward ones are those PEFT lists (or
    // whose vector is a [1, in] row).
    const names = [...weights.keys()].map((k) => k.replace(/\.ia3_l$/, ''));
    const isFf = (n: string) => ff.has(n) || feedforward.some((f) => n === f || n.endsWith(`.${f}`));
    return { settings: { modules: { targetModules: names, feedforwardModules: names.filter(isFf) } }, weights };
  },
  merge(config, base, loaded) {
    return { tensors: mergeIa3(config, base, loaded), modules: [...loaded.weights.keys()].map((k) => k.replace(/\.ia3_l$/, '')) };
  },
};

/** PEFT's IA3 merge on Hugging Face tensors (a new map; `base` unchanged). */
export function mergeIa3(config: ModelConfig, base: Map<string, HostTensor>, loaded: LoadedAdapter<Ia3Settings>): Map<string, HostTensor> {
  const out = new Map(base);
  const conv1d = config.family === 'gpt2';
  const ffModules = new Set(loaded.settings.modules?.feedforwardModules ?? []);
  for (const [key, l] of loaded.weights) {
    const module = key.replace(/\.ia3_l$/, '');
    const wKey = [`${module}.weight`, `${module.replace(/^transformer\./, '')}.weight`].find((k) => base.has(k));
    if (!wKey) throw new ModelDirError(`${loaded.dir}: the base model has no weight for module "${module}"`);
    const w = base.get(wKey)!;
    const [outF, inF] = conv1d ? [w.shape[1], w.shape[0]] : [w.shape[0], w.shape[1]];
    const ff = ffModules.has(module);
    if (l.data.length !== (ff ? inF : outF)) throw new ModelDirError(`${loaded.dir}: module "${module}": ia3_l has ${l.data.length} values, the weight [${w.shape.join(', ')}] needs ${ff ? inF : outF}`);
    const merged = new Float32Array(w.data);
    for (let o = 0; o < outF; o++) {
      for (let i = 0; i < inF; i++) {
        const idx = conv1d ? i * outF + o : o * inF + i;
        merged[idx] = Math.fround(merged[idx] * l.data[ff ? i : o]);
      }
    }
    out.set(wKey, { shape: w.shape, data: merged });
    // Attention-side targets scale the output, bias included.
    const bKey = wKey.replace(/\.weight$/, '.bias');
    const b = base.get(bKey);
    if (!ff && b) out.set(bKey, { shape: b.shape, data: b.data.map((v, o) => Math.fround(v * l.data[o])) });
  }
  return out;
}
