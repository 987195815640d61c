/**
 * A mergekit merge config as typed data, read from the plain YAML value, plus the two pieces of
 * mergekit's semantics both the validator and the runner need: model references
 * (`path[@rev][+lora[@rev]]`) and parameter settings (scalar, gradient, filtered list), evaluated
 * per tensor exactly as mergekit's `evaluate_setting` does.
 */

/** A model as a merge config names it. `key` identifies it (mergekit compares references by value). */
export interface ModelRef {
  path: string;
  revision?: string;
  lora?: { path: string; revision?: string };
  key: string;
}

/** A scalar, a gradient (list of numbers), or conditional entries picked by tensor name. */
export type ParamSetting = number | boolean | string | ParamSetting[] | { filter?: string; value: ParamSetting };

export type ParamMap = Record<string, ParamSetting>;

export interface InputModel {
  model: ModelRef;
  parameters: ParamMap;
}

export interface InputSlice {
  model: ModelRef;
  layerRange?: [number, number];
  parameters: ParamMap;
}

export interface OutputSlice {
  sources: InputSlice[];
  baseModel?: ModelRef;
  parameters: ParamMap;
}

/** The fields of a merge config Tunelab's runner uses. */
export interface MergeConfig {
  mergeMethod: string;
  models?: InputModel[];
  slices?: OutputSlice[];
  baseModel?: ModelRef;
  dtype?: string;
  outDtype?: string;
  parameters: ParamMap;
  /** `base`, `union`, or a model. From `tokenizer_source` or `tokenizer.source`. */
  tokenizerSource?: 'base' | 'union' | ModelRef;
  chatTemplate?: string;
}

/** Parses `path[@revision][+lora[@revision]]`; returns a message when it cannot. */
export function parseModelRef(value: unknown): ModelRef | string {
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    const o = value as Record<string, unknown>;
    const m = o.model as Record<string, unknown> | undefined;
    if (!m || typeof m !== 'object' || typeof m.path !== 'string') return 'a model object needs `model: {path: ...}`';
    const lora = o.lora as Record<string, unknown> | undefined;
    if (lora !== undefined && lora !== null && (typeof lora !== 'object' || typeof lora.path !== 'string')) return '`lora` needs `path`';
    const ref: ModelRef = { path: m.path, revision: typeof m.revision === 'string' ? m.revision : undefined, key: '' };
    if (lora) ref.lora = { path: lora.path as string, revision: typeof lora.revision === 'string' ? lora.revision : undefined };
    ref.key = refKey(ref);
    return ref;
  }
  if (typeof value !== 'string' || value.trim() === '') return 'expected a model path or Hub id';
  const parts = value.trim().split('+');
  if (parts.length > 2) return `cannot parse '${value}': more than one '+' (the form is BASE+LORA)`;
  const pathRev = (s: string): { path: string; revision?: string } | string => {
    const at = s.split('@');
    if (at.length > 2) return `cannot parse '${s}': more than one '@' (the form is PATH@REVISION)`;
    if (!at[0]) return `cannot parse '${s}': empty path`;
    return { path: at[0], revision: at[1] };
  };
  const base = pathRev(parts[0]);
  if (typeof base === 'string') return base;
  const ref: ModelRef = { ...base, key: '' };
  if (parts.length === 2) {
    const lora = pathRev(parts[1]);
    if (typeof lora === 'string') return lora;
    ref.lora = lora;
  }
  ref.key = refKey(ref);
  return ref;
}

const refKey = (r: Omit<ModelRef, 'key'>): string =>
  `${r.path}${r.revision ? `@${r.revision}` : ''}${r.lora ? `+${r.lora.path}${r.lora.revision ? `@${r.lora.revision}` : ''}` : ''}`;

/** Is `v` a conditional entry (`{filter?, value}`)? */
export const isConditional = (v: unknown): v is { filter?: string; value: ParamSetting } =>
  Boolean(v) && typeof v === 'object' && !Array.isArray(v) && 'value' in (v as object);

/**
 * mergekit's `evaluate_setting`: a scalar as is; a list of numbers interpolated linearly at `t`
 * (0 at a slice's first layer, 1 at its last); a list of other scalars indexed at t; a list of
 * `{filter, value}` entries: the first whose filter is missing, `*` or a substring of the tensor
 * name, evaluated recursively. `undefined` when no entry matches.
 */
export function evaluateSetting(setting: ParamSetting, tensorName: string, t: number): number | boolean | string | undefined {
  if (!Array.isArray(setting)) {
    if (isConditional(setting)) return evaluateSetting(setting.value, tensorName, t);
    return setting;
  }
  if (setting.length > 0 && setting.every((e) => typeof e === 'number')) {
    const list = setting as number[];
    const scaled = t * (list.length - 1);
    const i0 = Math.trunc(scaled);
    const i1 = Math.min(list.length - 1, i0 + 1);
    const frac = scaled - i0;
    return (1 - frac) * list[i0] + frac * list[i1];
  }
  if (setting.every((e) => typeof e === 'number' || typeof e === 'boolean' || typeof e === 'string')) {
    return setting[Math.trunc(t * (setting.length - 1))] as number | boolean | string | undefined;
  }
  for (const cond of setting) {
    if (!isConditional(cond)) continue;
    if (cond.filter === undefined || cond.filter === null || cond.filter === '*' || (tensorName && tensorName.includes(cond.filter))) {
      return evaluateSetting(cond.value, tensorName, t);
    }
  }
  return undefined;
}

const obj = (v: unknown): Record<string, unknown> | undefined => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined);
const params = (v: unknown): ParamMap => (obj(v) as ParamMap | undefined) ?? {};

/**
 * Reads the plain value of a merge config into `MergeConfig`, or lists why it cannot (the
 * validator reports the same problems at their lines; this is the runner's guard).
 */
export function readMergeConfig(value: unknown): { config?: MergeConfig; errors: string[] } {
  const errors: string[] = [];
  const root = obj(value);
  if (!root) return { errors: ['a merge config is a mapping'] };
  const ref = (v: unknown, where: string): ModelRef | undefined => {
    const r = parseModelRef(v);
    if (typeof r === 'string') {
      errors.push(`${where}: ${r}`);
      return undefined;
    }
    return r;
  };
  const method = root.merge_method;
  if (typeof method !== 'string' || !method) errors.push('merge_method is required');
  const config: MergeConfig = { mergeMethod: String(method ?? ''), parameters: params(root.parameters) };
  const present = ['models', 'slices', 'modules'].filter((k) => root[k] !== undefined && root[k] !== null);
  if (present.length !== 1) errors.push("exactly one of 'models', 'slices', or 'modules' must be present");
  if (root.modules !== undefined && root.modules !== null) errors.push("'modules' (multi-module architectures) is not supported by tunelab merge; use 'models' or 'slices'");
  if (Array.isArray(root.models)) {
    config.models = [];
    root.models.forEach((m, i) => {
      const model = ref(obj(m)?.model, `models[${i}].model`);
      if (model) config.models!.push({ model, parameters: params(obj(m)?.parameters) });
    });
  } else if (root.models !== undefined && root.models !== null) errors.push('models must be a list');
  if (Array.isArray(root.slices)) {
    config.slices = [];
    root.slices.forEach((s, i) => {
      const so = obj(s);
      const sources: InputSlice[] = [];
      if (!Array.isArray(so?.sources)) errors.push(`slices[${i}].sources must be a list`);
      else
        so.sources.forEach((src, j) => {
          const model = ref(obj(src)?.model, `slices[${i}].sources[${j}].model`);
          const lr = obj(src)?.layer_range;
          const okRange = Array.isArray(lr) && lr.length === 2 && lr.every((x) => Number.isInteger(x)) && (lr[0] as number) >= 0 && (lr[0] as number) < (lr[1] as number);
          if (lr !== undefined && !okRange) errors.push(`slices[${i}].sources[${j}].layer_range must be [start, end] with 0 ≤ start < end`);
          if (model) sources.push({ model, layerRange: okRange ? [lr[0] as number, lr[1] as number] : undefined, parameters: params(obj(src)?.parameters) });
        });
      const base = so?.base_model === undefined || so.base_model === null ? undefined : ref(so.base_model, `slices[${i}].base_model`);
      config.slices!.push({ sources, baseModel: base, parameters: params(so?.parameters) });
    });
  } else if (root.slices !== undefined && root.slices !== null) errors.push('slices must be a list');
  if (root.base_model !== undefined && root.base_model !== null) config.baseModel = ref(root.base_model, 'base_model');
  if (typeof root.dtype === 'string') config.dtype = root.dtype.replace(/^torch\./, '');
  if (typeof root.out_dtype === 'string') config.outDtype = root.out_dtype.replace(/^torch\./, '');
  const tok = obj(root.tokenizer);
  if (root.tokenizer_source !== undefined && tok) errors.push('cannot specify both tokenizer_source and tokenizer');
  const src = root.tokenizer_source ?? tok?.source;
  if (src === 'base' || src === 'union') config.tokenizerSource = src;
  else if (src !== undefined && src !== null) config.tokenizerSource = ref(src, 'tokenizer_source');
  if (typeof root.chat_template === 'string') config.chatTemplate = root.chat_template;
  return errors.length ? { errors } : { config, errors };
}
