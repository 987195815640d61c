/**
 * LoRA as a registry entry: `adapter: lora` settings, PEFT's init (trainer/model/lora.ts), PEFT's
 * file format and host-side merge (trainer/io/adapter.ts).
 */
import { loraPairs, mergeAdapter, parseLoraConfig, saveAdapter } from '../io/index';
import { applyLora, loraScaling, type HostTensor } from '../model/index';
import { bool, num, positiveInt, str } from './configValues';
import type { PeftMethod, RawConfig, Refuse } from './types';

/** LoRA hyper-parameters as the config gives them. */
export interface LoraSettings {
  r: number;
  alpha: number;
  dropout: number;
  /** `lora_target_modules`: names, a regular expression over full module names, or null (PEFT's default). */
  targetModules: string[] | string | null;
  targetLinear: boolean;
  rslora: boolean;
  /** `peft_use_dora`: DoRA (a magnitude vector per wrapped linear). */
  dora?: boolean;
}

export function readLoraSettings(cfg: RawConfig, refuse: Refuse): LoraSettings {
  return {
    r: positiveInt(cfg, 'lora_r', 8, refuse),
    alpha: num(cfg.lora_alpha) ?? 8,
    dropout: num(cfg.lora_dropout) ?? 0,
    targetModules: Array.isArray(cfg.lora_target_modules) ? cfg.lora_target_modules.map(String) : str(cfg.lora_target_modules),
    targetLinear: bool(cfg.lora_target_linear) ?? false,
    rslora: bool(cfg.peft_use_rslora) ?? bool(cfg.use_rslora) ?? false,
    dora: bool(cfg.peft_use_dora) ?? false,
  };
}

/**
 * `lora_target_modules` as PEFT reads it: a list of module names (matched on the last name
 * component or a dotted suffix), or one string that is a regular expression over the full module
 * names (re.fullmatch), or nothing: PEFT's default for the architecture.
 */
export function loraTargets(targets: string[] | string | null, moduleNames: readonly string[], family: string): string[] {
  if (targets === null) return family === 'gpt2' ? ['c_attn'] : ['q_proj', 'v_proj'];
  if (Array.isArray(targets)) return targets;
  if (/^[\w.]+$/.test(targets)) return [targets];
  const re = new RegExp(`^(?:${targets})$`);
  const hits = moduleNames.filter((n) => re.test(n));
  // None: keep the pattern so the model side's error names what matched nothing.
  return hits.length > 0 ? hits : [targets];
}

/** Saved weights (`<module>.lora_A.weight` / `lora_B.weight`, PEFT layout) back into A/B pairs. */
function pairs(weights: Map<string, HostTensor>, r: number): Map<string, { a: HostTensor; b: HostTensor }> {
  return loraPairs(weights, r, 'adapter weights');
}

export const loraMethod: PeftMethod<LoraSettings> = {
  name: 'lora',
  adapterValues: ['lora'],
  peftTypes: ['LORA'],
  readSettings: readLoraSettings,
  apply(model, s, opts) {
    if (opts.weights) {
      const w = pairs(opts.weights, s.r);
      applyLora(model, { r: s.r, alpha: s.alpha, dropout: s.dropout, useRslora: s.rslora, useDora: s.dora === true, targetModules: [...w.keys()] }, w);
    } else {
      const targets = loraTargets(s.targetModules, [...model.linears.keys()], model.config.family);
      applyLora(model, { r: s.r, alpha: s.alpha, dropout: s.dropout, targetModules: s.targetLinear ? undefined : targets, targetLinear: s.targetLinear, useRslora: s.rslora, useDora: s.dora === true, seed: opts.seed });
    }
    return { method: 'lora', output: 'adapter', save: (dir, o) => saveAdapter(model, dir, o.baseModel !== undefined ? { baseModel: o.baseModel } : {}) };
  },
  fromSaved(config, tensors, where) {
    const c = parseLoraConfig(config, where);
    // Checked here so a bad file is reported with its path, before any model change.
    const byModule = loraPairs(tensors, c.r, where);
    const weights = new Map<string, HostTensor>();
    for (const [m, { a, b, magnitude }] of byModule) {
      if (c.useDora && !magnitude) throw new Error(`module "${m}" has no lora_magnitude_vector (use_dora is true)`);
      weights.set(`${m}.lora_A.weight`, a);
      weights.set(`${m}.lora_B.weight`, b);
      if (magnitude) weights.set(`${m}.lora_magnitude_vector`, magnitude);
    }
    return { settings: { r: c.r, alpha: c.loraAlpha, dropout: c.loraDropout, targetModules: [...byModule.keys()], targetLinear: false, rslora: c.useRslora, dora: c.useDora === true }, weights };
  },
  merge(config, base, loaded) {
    const s = loaded.settings;
    const weights = pairs(loaded.weights, s.r);
    const tensors = mergeAdapter(config, base, {
      dir: loaded.dir,
      config: { r: s.r, loraAlpha: s.alpha, loraDropout: s.dropout, useRslora: s.rslora, targetModules: [...weights.keys()], baseModel: loaded.baseModel, fanInFanOut: config.family === 'gpt2', useDora: s.dora === true },
      weights,
    });
    return { tensors, modules: [...weights.keys()], scaling: loraScaling(s.r, s.alpha, s.rslora) };
  },
};
