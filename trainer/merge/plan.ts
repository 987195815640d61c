/**
 * From a merge config to the list of output tensors, as mergekit's MergePlanner lays them out:
 * `models:` becomes one slice over every layer (the base appended when a method uses it and it is
 * not listed); each output slice takes layers [start, end) from each source, renumbered
 * consecutively; non-layer tensors come first (embeddings, from the first slice's sources) or
 * last (norm, head, from the last slice's). Parameters resolve per tensor with mergekit's
 * precedence (source → slice → top level), gradients at t = layer / (layers in slice − 1), and
 * t = 0 for non-layer tensors.
 */
import { evaluateSetting, type InputSlice, type MergeConfig, type ModelRef, type OutputSlice } from '../../common/merge/config';
import type { MergeMethodSpec } from '../../common/merge/schema';

/** The inputs' view the planner needs (a ModelSource, or a fake in tests). */
export interface PlanSource {
  names(): string[];
  has(name: string): boolean;
  numLayers(): number;
}

/** One output tensor: where its inputs come from and its resolved parameters. */
export interface PlannedTensor {
  name: string;
  /** Input model key → tensor name in that model, in source order. */
  inputs: { key: string; name: string }[];
  /** Key of the base model for this tensor, when the method uses one. */
  baseKey?: string;
  global: Record<string, number | boolean>;
  /** Per non-base input (and the base, for linear): resolved per-model parameters. */
  perModel: Map<string, Record<string, number | boolean>>;
}

/** A config the planner cannot lay out; the message says where. */
export class MergePlanError extends Error {}

const LAYER = /^((?:.*\.)?(?:layers|h|blocks)\.)(\d+)(\..+)$/;
const PRE = /(^|\.)(embed_tokens|wte|wpe|embed_in|word_embeddings)\./;

/** Slices as mergekit normalises them (models → one slice over all layers). */
export function normaliseSlices(config: MergeConfig, method: MergeMethodSpec, sources: ReadonlyMap<string, PlanSource>): OutputSlice[] {
  if (config.slices) return config.slices;
  const models = config.models ?? [];
  const slice: OutputSlice = { sources: [], parameters: {} };
  for (const m of models) slice.sources.push({ model: m.model, layerRange: [0, src(sources, m.model).numLayers()], parameters: m.parameters });
  const base = config.baseModel;
  if (base && method.base !== 'unused' && !models.some((m) => m.model.key === base.key)) {
    slice.sources.push({ model: base, layerRange: [0, src(sources, base).numLayers()], parameters: {} });
  }
  return [slice];
}

function src(sources: ReadonlyMap<string, PlanSource>, ref: ModelRef): PlanSource {
  const s = sources.get(ref.key);
  if (!s) throw new MergePlanError(`model '${ref.key}' was not opened`);
  return s;
}

/** Plans every output tensor. */
export function planMerge(config: MergeConfig, method: MergeMethodSpec, sources: ReadonlyMap<string, PlanSource>): PlannedTensor[] {
  const slices = normaliseSlices(config, method, sources);
  if (slices.length === 0 || slices.some((s) => s.sources.length === 0)) throw new MergePlanError('every slice needs at least one source');
  const pre: PlannedTensor[] = [];
  const layers: PlannedTensor[] = [];
  const post: PlannedTensor[] = [];

  // Non-layer tensors: names from the base when it is a source of the first slice, else its first source.
  const first = slices[0];
  const refSource = first.sources.find((s) => config.baseModel && s.model.key === config.baseModel.key) ?? first.sources[0];
  for (const name of src(sources, refSource.model).names()) {
    if (LAYER.test(name)) continue;
    const slice = PRE.test(name) ? first : slices[slices.length - 1];
    (PRE.test(name) ? pre : post).push(plan(config, method, slice, slice.sources.map((s) => ({ s, name })), name, 0));
  }

  let outLayer = 0;
  slices.forEach((slice, si) => {
    const lengths = slice.sources.map((s) => {
      if (!s.layerRange) throw new MergePlanError(`slices[${si}]: every source needs layer_range`);
      return s.layerRange[1] - s.layerRange[0];
    });
    if (lengths.some((l) => l !== lengths[0])) throw new MergePlanError(`slices[${si}]: all inputs to a slice must contain the same number of layers (${lengths.join(', ')})`);
    for (const s of slice.sources) {
      const n = src(sources, s.model).numLayers();
      if (s.layerRange![1] > n) throw new MergePlanError(`slices[${si}]: layer_range [${s.layerRange!.join(', ')}] of '${s.model.key}' runs past its ${n} layers`);
    }
    const count = lengths[0];
    const lead = slice.sources[0];
    const leadNames = src(sources, lead.model).names();
    for (let idx = 0; idx < count; idx++) {
      const t = count > 1 ? idx / (count - 1) : 1;
      const inLayer = lead.layerRange![0] + idx;
      for (const name of leadNames) {
        const m = LAYER.exec(name);
        if (!m || Number(m[2]) !== inLayer) continue;
        const outName = `${m[1]}${outLayer}${m[3]}`;
        const inputs = slice.sources.map((s) => ({ s, name: `${m[1]}${s.layerRange![0] + idx}${m[3]}` }));
        layers.push(plan(config, method, slice, inputs, outName, t));
      }
      outLayer++;
    }
  });
  return [...pre, ...layers, ...post];
}

/** The number of layers the merged model has. */
export function outputLayers(config: MergeConfig, method: MergeMethodSpec, sources: ReadonlyMap<string, PlanSource>): number {
  return normaliseSlices(config, method, sources).reduce((n, s) => n + (s.sources[0].layerRange![1] - s.sources[0].layerRange![0]), 0);
}

function lookup(config: MergeConfig, slice: OutputSlice, name: string, model: string | undefined, tensor: string, t: number): number | boolean | string | undefined {
  if (model !== undefined) {
    for (const s of slice.sources) {
      if (s.model.key === model && name in s.parameters) {
        const v = evaluateSetting(s.parameters[name], tensor, t);
        if (v !== undefined) return v;
      }
    }
  }
  for (const table of [slice.parameters, config.parameters]) {
    if (name in table) {
      const v = evaluateSetting(table[name], tensor, t);
      if (v !== undefined) return v;
    }
  }
  return undefined;
}

function plan(config: MergeConfig, method: MergeMethodSpec, slice: OutputSlice, inputs: { s: InputSlice; name: string }[], outName: string, t: number): PlannedTensor {
  const baseRef = slice.baseModel ?? config.baseModel;
  const baseKey = method.base !== 'unused' && baseRef ? baseRef.key : undefined;
  const global: Record<string, number | boolean> = {};
  for (const p of method.global) {
    const v = lookup(config, slice, p.name, undefined, outName, t) ?? p.default;
    if (v === undefined) {
      if (p.required) throw new MergePlanError(`missing required parameter ${p.name} for ${outName}`);
      continue;
    }
    global[p.name] = coerce(v, p.kind, p.name, outName);
  }
  const perModel = new Map<string, Record<string, number | boolean>>();
  for (const { s, name } of inputs) {
    const isBase = s.model.key === baseKey;
    const values: Record<string, number | boolean> = {};
    for (const p of method.perModel) {
      const v = lookup(config, slice, p.name, s.model.key, name, t) ?? p.default;
      if (v === undefined) {
        if (p.required && !isBase) throw new MergePlanError(`missing required parameter ${p.name} for ${s.model.key}.${name}`);
        continue;
      }
      values[p.name] = coerce(v, p.kind, p.name, `${s.model.key}.${name}`);
    }
    perModel.set(s.model.key, values);
  }
  return { name: outName, inputs: inputs.map(({ s, name }) => ({ key: s.model.key, name })), baseKey, global, perModel };
}

function coerce(v: number | boolean | string, kind: 'number' | 'bool', name: string, where: string): number | boolean {
  if (kind === 'bool') {
    if (typeof v === 'boolean') return v;
    if (typeof v === 'number') return v !== 0;
  } else if (typeof v === 'number') return v;
  throw new MergePlanError(`parameter ${name} for ${where} must be a ${kind === 'bool' ? 'boolean' : 'number'}, got ${JSON.stringify(v)}`);
}
