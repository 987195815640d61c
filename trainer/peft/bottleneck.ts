/**
 * Bottleneck adapters as a registry entry (`adapter: bottleneck`, or `houlsby`; `peft_adapter_placement`
 * chooses Houlsby or Pfeiffer). PEFT has no such method, so the file layout is PEFT's with a Tunelab config:
 *   adapter_config.json        {"peft_type": "BOTTLENECK", "adapter_size", "placement", "non_linearity", ...}
 *   adapter_model.safetensors  base_model.model.<layers>.<i>.adapter_{attn,mlp}.{down,up}.{weight,bias}
 * with weights in Hugging Face's [out, in] layout (down [m, C], up [C, m]).
 */
import { BOTTLENECK_ACTIVATIONS, BOTTLENECK_PLACEMENTS, createBottleneck, toHost, type BottleneckActivation, type BottleneckPlacement, type HostTensor } from '../model/index';
import { writeAdapterFiles } from './files';
import { positiveInt } from './configValues';
import type { PeftMethod } from './types';

export interface BottleneckSettings {
  size: number;
  placement: BottleneckPlacement;
  /** AdapterHub's defaults: swish for Houlsby, relu for Pfeiffer. */
  activation: BottleneckActivation;
}

/** Default bottleneck width when peft_adapter_size is unset (the estimator assumes the same). */
export const DEFAULT_ADAPTER_SIZE = 64;
const PREFIX = 'base_model.model.';

export const bottleneckMethod: PeftMethod<BottleneckSettings> = {
  name: 'bottleneck',
  adapterValues: ['bottleneck', 'houlsby'],
  peftTypes: ['BOTTLENECK'],
  readSettings(cfg, refuse) {
    const adapter = String(cfg.adapter).trim().toLowerCase();
    const implied: BottleneckPlacement | null = adapter === 'houlsby' ? 'houlsby' : null;
    let placement: BottleneckPlacement = implied ?? 'houlsby';
    const rawPlacement = cfg.peft_adapter_placement;
    if (rawPlacement !== undefined && rawPlacement !== null) {
      const v = String(rawPlacement).trim().toLowerCase();
      if (!(BOTTLENECK_PLACEMENTS as readonly string[]).includes(v)) refuse('trainer-invalid-setting', 'peft_adapter_placement', `peft_adapter_placement must be ${BOTTLENECK_PLACEMENTS.join(' or ')}, got ${JSON.stringify(rawPlacement)}`);
      else if (implied && v !== implied) refuse('trainer-invalid-setting', 'peft_adapter_placement', `adapter: ${implied} already sets the placement; peft_adapter_placement says ${v}`);
      else placement = v as BottleneckPlacement;
    }
    let activation: BottleneckActivation = placement === 'houlsby' ? 'swish' : 'relu';
    const rawAct = cfg.peft_adapter_non_linearity;
    if (rawAct !== undefined && rawAct !== null) {
      const v = String(rawAct).trim().toLowerCase();
      if ((BOTTLENECK_ACTIVATIONS as readonly string[]).includes(v)) activation = v as BottleneckActivation;
      else refuse('trainer-invalid-setting', 'peft_adapter_non_linearity', `peft_adapter_non_linearity must be one of ${BOTTLENECK_ACTIVATIONS.join(', ')}, got ${JSON.stringify(rawAct)}`);
    }
    return { size: positiveInt(cfg, 'peft_adapter_size', DEFAULT_ADAPTER_SIZE, refuse), placement, activation };
  },
  apply(model, s, opts) {
    const { hooks, names } = createBottleneck(model, { size: s.size, placement: s.placement, activation: s.activation, seed: opts.seed, ...(opts.weights ? { weights: opts.weights } : {}) });
    const detach = model.attachHooks(hooks);
    return {
      method: 'bottleneck',
      output: 'adapter',
      hooks,
      detach,
      save: (dir, o) => {
        const tensors = new Map<string, HostTensor>();
        for (const name of names) tensors.set(`${PREFIX}${name}`, toHost(model.params.get(name)!));
        return writeAdapterFiles(
          dir,
          {
            adapter_size: s.size,
            base_model_name_or_path: o.baseModel ?? null,
            inference_mode: true,
            non_linearity: s.activation,
            peft_type: 'BOTTLENECK',
            placement: s.placement,
            task_type: 'CAUSAL_LM',
            tunelab_format: 1,
          },
          tensors,
        );
      },
    };
  },
  fromSaved(config, tensors, where) {
    const size = config.adapter_size;
    if (typeof size !== 'number' || !Number.isInteger(size) || size <= 0) throw new Error(`${where}: adapter_size must be a positive integer, got ${JSON.stringify(size)}`);
    const placement = config.placement;
    if (!(BOTTLENECK_PLACEMENTS as readonly unknown[]).includes(placement)) throw new Error(`${where}: placement must be ${BOTTLENECK_PLACEMENTS.join(' or ')}, got ${JSON.stringify(placement)}`);
    const act = config.non_linearity;
    if (!(BOTTLENECK_ACTIVATIONS as readonly unknown[]).includes(act)) throw new Error(`${where}: non_linearity must be one of ${BOTTLENECK_ACTIVATIONS.join(', ')}, got ${JSON.stringify(act)}`);
    const weights = new Map<string, HostTensor>();
    for (const [k, t] of tensors) weights.set(k.startsWith(PREFIX) ? k.slice(PREFIX.length) : k, t);
    return { settings: { size, placement: placement as BottleneckPlacement, activation: act as BottleneckActivation }, weights };
  },
};
