/**
 * Checks a mergekit merge config as mergekit would read it (pydantic schema, planner and method
 * checks), each finding coded and placed at its key or value: methods, the parameters each needs
 * and where they may sit, ranges, base_model, the models / slices shape, layer ranges, model
 * references, dtypes, tokenizer and chat template; and, through the injected file-system hook,
 * local model folders (present, a model, same architecture and vocabulary, layer ranges within
 * the model). Pure: no I/O except `MergeEnv.fs`.
 */
import type { Node } from 'yaml';
import { diagnostic, Severity, sortDiagnostics } from '../diagnostics';
import { nodeAtPath, nodeRange, pairAtPath } from '../config/nodes';
import { parseConfig } from '../config/parse';
import { suggestKey } from '../config/suggest';
import type { ConfigDocument, Diagnostic, NodePath } from '../config/types';
import { isConditional, parseModelRef, type ModelRef } from './config';
import { ALL_PARAMS, CHAT_TEMPLATES, DTYPES, METHODS_BY_NAME, MODEL_KEYS, SLICE_KEYS, SOURCE_KEYS, TOP_KEYS, type MergeMethodSpec } from './schema';
import { checkLocalModels, type ModelUse } from './localModels';
import type { MergeEnv } from './types';

type Sev = (typeof Severity)[keyof typeof Severity];

/** Collects findings with their ranges. */
export class Reporter {
  readonly out: Diagnostic[] = [];
  constructor(readonly doc: ConfigDocument) {}

  /** Range of the key (`on: 'key'`) or the value at `path`; undefined when absent. */
  range(path: NodePath, on: 'key' | 'value' = 'value'): [number, number] | undefined {
    if (on === 'key') {
      const pair = pairAtPath(this.doc, path);
      if (pair) return nodeRange(pair.key as Node);
    }
    return nodeRange(nodeAtPath(this.doc, path)) ?? (on === 'value' ? nodeRange(pairAtPath(this.doc, path)?.key as Node) : undefined);
  }

  report(code: string, severity: Sev, path: NodePath, on: 'key' | 'value', message: string, data?: unknown): void {
    const r = this.range(path, on) ?? [0, 0];
    this.out.push(diagnostic(code, severity, this.doc.lines.range(r[0], r[1]), message, data));
  }
}

const obj = (v: unknown): Record<string, unknown> | undefined => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined);

/** Where a `parameters:` mapping sits: model-level ones may hold per-model parameters only. */
type ParamLevel = 'top' | 'slice' | 'model';

/** Validates a parsed merge config. Diagnostics are sorted and all carry `source: "tunelab"`. */
export function validateMergeConfig(doc: ConfigDocument, env: MergeEnv = {}): Diagnostic[] {
  const rep = new Reporter(doc);
  const multi = doc.parseDiagnostics.find((d) => /multiple documents/i.test(d.message));
  if (multi) return validateMultiDocument(doc.text, env);
  rep.out.push(...doc.parseDiagnostics);
  const root = obj(doc.value);
  if (!doc.root || !root) {
    if (doc.value !== undefined && doc.value !== null) rep.report('merge-not-mapping', Severity.Error, [], 'value', 'A merge config is a mapping of keys (merge_method, models, ...).');
    return sortDiagnostics(rep.out);
  }

  for (const key of Object.keys(root)) {
    if (TOP_KEYS.has(key)) continue;
    const s = suggestKey(key, [...TOP_KEYS.keys()]);
    rep.report('merge-key-unknown', Severity.Warning, [key], 'key', `Unknown key '${key}'; mergekit ignores it.${s ? ` Did you mean '${s}'?` : ''}`, s ? { replaceKeyWith: s } : undefined);
  }

  const method = checkMethod(rep, root, env);
  const refs: ModelUse[] = [];
  const ref = (path: NodePath): ModelRef | undefined => {
    const v = path.reduce<unknown>((o, k) => (o as Record<string | number, unknown> | undefined)?.[k], root);
    if (v === undefined || v === null) return undefined;
    const r = parseModelRef(v);
    if (typeof r === 'string') {
      rep.report('merge-model-ref', Severity.Error, path, 'value', `Bad model reference: ${r}.`);
      return undefined;
    }
    refs.push({ ref: r, path });
    return r;
  };

  const base = ref(['base_model']);
  const present = (['models', 'slices', 'modules'] as const).filter((k) => root[k] !== undefined && root[k] !== null);
  if (present.length === 0) rep.report('merge-inputs', Severity.Error, ['merge_method'], 'key', "Exactly one of 'models', 'slices', or 'modules' must be present.");
  for (const k of present.slice(1)) rep.report('merge-inputs', Severity.Error, [k], 'key', `Exactly one of 'models', 'slices', or 'modules' must be present ('${present[0]}' is already set).`);
  if (root.modules !== undefined && root.modules !== null && env.requireRunnable) rep.report('merge-not-runnable', Severity.Error, ['modules'], 'key', "tunelab merge does not run 'modules' configs (multi-module architectures); use 'models' or 'slices'.");

  const counts: { path: NodePath; n: number }[] = [];
  if (root.models !== undefined && root.models !== null) {
    if (!Array.isArray(root.models)) rep.report('merge-type', Severity.Error, ['models'], 'value', "'models' must be a list of `- model: PATH` entries.");
    else {
      const keys = new Set<string>();
      root.models.forEach((m, i) => {
        const o = obj(m);
        if (!o) return rep.report('merge-type', Severity.Error, ['models', i], 'value', 'A models entry is a mapping: `- model: PATH` with optional `parameters`.');
        unknownKeys(rep, o, ['models', i], MODEL_KEYS);
        if (o.model === undefined || o.model === null) return rep.report('merge-model-missing', Severity.Error, ['models', i], 'value', 'This entry has no `model`.');
        const r = ref(['models', i, 'model']);
        if (r) keys.add(r.key);
        checkParams(rep, o.parameters, ['models', i, 'parameters'], 'model', method);
        if (r && method) requirePerModel(rep, method, r, base, [o.parameters, root.parameters], ['models', i, 'model']);
      });
      counts.push({ path: ['models'], n: keys.size + (base && method?.base !== 'unused' && !keys.has(base.key) ? 1 : 0) });
    }
  }
  if (root.slices !== undefined && root.slices !== null) checkSlices(rep, root, base, method, counts, ref);

  checkParams(rep, root.parameters, ['parameters'], 'top', method);
  if (method) {
    const hasBase = base !== undefined || (Array.isArray(root.slices) && root.slices.length > 0 && root.slices.every((s) => obj(s)?.base_model));
    if (method.base === 'required' && !hasBase && root.base_model === undefined) rep.report('merge-base-model-missing', Severity.Error, ['merge_method'], 'value', `${method.name} needs base_model: task vectors and interpolation start from it.`);
    if (method.base === 'unused' && root.base_model !== undefined) rep.report('merge-base-model-unused', Severity.Warning, ['base_model'], 'key', `${method.name} does not use base_model.`);
    for (const { path, n } of counts) {
      if (method.exactModels !== undefined && n !== method.exactModels) rep.report('merge-model-count', Severity.Error, path, 'key', `${method.name} merges exactly ${method.exactModels} models${method.base === 'required' ? ' (base_model included)' : ''}; this has ${n}.`);
      else if (method.minModels !== undefined && n < method.minModels) rep.report('merge-model-count', Severity.Warning, path, 'key', `${method.name} needs at least ${method.minModels} models${method.base === 'required' ? ' (base_model included)' : ''}; this has ${n}.`);
    }
    for (const p of method.global) {
      if (!p.required) continue;
      const sliceHas = Array.isArray(root.slices) && root.slices.length > 0 && root.slices.every((s) => obj(obj(s)?.parameters)?.[p.name] !== undefined);
      if (obj(root.parameters)?.[p.name] === undefined && !sliceHas) rep.report('merge-param-missing', Severity.Error, ['merge_method'], 'value', `${method.name} needs parameter '${p.name}' (under top-level or slice \`parameters\`).`);
    }
  }

  for (const k of ['dtype', 'out_dtype'] as const) {
    const v = root[k];
    if (v === undefined || v === null) continue;
    const name = typeof v === 'string' ? v.replace(/^torch\./, '') : undefined;
    if (!name || !(DTYPES as readonly string[]).includes(name)) rep.report('merge-dtype', Severity.Error, [k], 'value', `Unimplemented dtype ${JSON.stringify(v)}: use bfloat16, float16 or float32.`);
    else if (name === 'int64' && env.requireRunnable) rep.report('merge-dtype', Severity.Error, [k], 'value', 'tunelab merge writes float32, float16 or bfloat16 weights.');
  }
  checkTokenizer(rep, root, env, ref);
  checkChatTemplate(rep, root, env);
  if (!env.skipPathChecks && env.fs) checkLocalModels(rep, refs, root, base, env);
  return sortDiagnostics(rep.out);
}

/**
 * mergekit-multi: several merges separated by `---`; each is checked on its own (positions shifted
 * to the file's lines), and every merge but the last needs a `name` that later ones refer to.
 */
function validateMultiDocument(text: string, env: MergeEnv): Diagnostic[] {
  const out: Diagnostic[] = [];
  const lines = text.split('\n');
  const segments: { start: number; text: string }[] = [];
  let start = 0;
  for (let i = 0; i <= lines.length; i++) {
    if (i === lines.length || /^---[ \t]*$/.test(lines[i])) {
      const body = lines.slice(start, i).join('\n');
      if (body.replace(/#.*$/gm, '').trim() !== '') segments.push({ start, text: body });
      start = i + 1;
    }
  }
  segments.forEach((seg, k) => {
    const doc = parseConfig(seg.text);
    for (const d of validateMergeConfig(doc, env)) {
      out.push({ ...d, range: { start: { line: d.range.start.line + seg.start, character: d.range.start.character }, end: { line: d.range.end.line + seg.start, character: d.range.end.character } } });
    }
    const v = obj(doc.value);
    if (k < segments.length - 1 && v && typeof v.name !== 'string') {
      out.push(diagnostic('merge-multi-name', Severity.Warning, { start: { line: seg.start, character: 0 }, end: { line: seg.start, character: 0 } }, 'In a mergekit-multi file every merge but the last needs `name:`, which later merges use as a model path.'));
    }
  });
  return sortDiagnostics(out);
}

function checkMethod(rep: Reporter, root: Record<string, unknown>, env: MergeEnv): MergeMethodSpec | undefined {
  const m = root.merge_method;
  if (m === undefined || m === null) {
    rep.report('merge-method-missing', Severity.Error, [], 'value', 'merge_method is required (linear, ties, dare_ties, slerp, ...).');
    return undefined;
  }
  if (typeof m !== 'string') {
    rep.report('merge-type', Severity.Error, ['merge_method'], 'value', 'merge_method must be a method name.');
    return undefined;
  }
  const spec = METHODS_BY_NAME.get(m);
  if (!spec) {
    const s = suggestKey(m, [...METHODS_BY_NAME.keys()]);
    rep.report('merge-method-unknown', Severity.Error, ['merge_method'], 'value', `Unimplemented merge method '${m}'.${s ? ` Did you mean '${s}'?` : ''}`, s ? { replaceValueWith: s } : undefined);
    return undefined;
  }
  if (!spec.runs) {
    rep.report('merge-not-runnable', env.requireRunnable ? Severity.Error : Severity.Information, ['merge_method'], 'value', `tunelab merge does not run ${spec.name} (mergekit does); it runs linear, task_arithmetic, ties, dare_ties, dare_linear, breadcrumbs, breadcrumbs_ties, della, della_linear, slerp and passthrough.`);
  }
  return spec;
}

function unknownKeys(rep: Reporter, o: Record<string, unknown>, path: NodePath, known: ReadonlyMap<string, unknown>): void {
  for (const key of Object.keys(o)) {
    if (known.has(key)) continue;
    const s = suggestKey(key, [...known.keys()]);
    rep.report('merge-key-unknown', Severity.Warning, [...path, key], 'key', `Unknown key '${key}' here; mergekit ignores it.${s ? ` Did you mean '${s}'?` : ''}`, s ? { replaceKeyWith: s } : undefined);
  }
}

function checkSlices(rep: Reporter, root: Record<string, unknown>, base: ModelRef | undefined, method: MergeMethodSpec | undefined, counts: { path: NodePath; n: number }[], ref: (p: NodePath) => ModelRef | undefined): void {
  if (!Array.isArray(root.slices)) return rep.report('merge-type', Severity.Error, ['slices'], 'value', "'slices' must be a list of `- sources: [...]` entries.");
  root.slices.forEach((s, i) => {
    const so = obj(s);
    if (!so) return rep.report('merge-type', Severity.Error, ['slices', i], 'value', 'A slice is a mapping with `sources`.');
    unknownKeys(rep, so, ['slices', i], SLICE_KEYS);
    const sliceBase = so.base_model !== undefined && so.base_model !== null ? ref(['slices', i, 'base_model']) : base;
    checkParams(rep, so.parameters, ['slices', i, 'parameters'], 'slice', method);
    if (so.residual_weight !== undefined && typeof so.residual_weight !== 'number') rep.report('merge-type', Severity.Error, ['slices', i, 'residual_weight'], 'value', 'residual_weight must be a number.');
    if (!Array.isArray(so.sources) || so.sources.length === 0) return rep.report('merge-slice-sources', Severity.Error, ['slices', i, so.sources === undefined ? '' : 'sources'].filter(Boolean) as NodePath, so.sources === undefined ? 'value' : 'key', 'A slice needs a non-empty `sources` list.');
    const lengths: number[] = [];
    const keys = new Set<string>();
    so.sources.forEach((src, j) => {
      const path: NodePath = ['slices', i, 'sources', j];
      const o = obj(src);
      if (!o) return rep.report('merge-type', Severity.Error, path, 'value', 'A source is a mapping: `model` and `layer_range`.');
      unknownKeys(rep, o, path, SOURCE_KEYS);
      if (o.model === undefined || o.model === null) rep.report('merge-model-missing', Severity.Error, path, 'value', 'This source has no `model`.');
      const r = o.model === undefined || o.model === null ? undefined : ref([...path, 'model']);
      if (r) keys.add(r.key);
      const lr = o.layer_range;
      if (lr === undefined) rep.report('merge-layer-range', Severity.Error, [...path, 'model'], 'key', 'A slice source needs `layer_range: [start, end]`.');
      else if (!Array.isArray(lr) || lr.length !== 2 || !lr.every((x) => Number.isInteger(x)) || (lr[0] as number) < 0 || (lr[0] as number) >= (lr[1] as number)) {
        rep.report('merge-layer-range', Severity.Error, [...path, 'layer_range'], 'value', 'layer_range must be [start, end] with integers 0 ≤ start < end (end exclusive).');
      } else lengths.push((lr[1] as number) - (lr[0] as number));
      checkParams(rep, o.parameters, [...path, 'parameters'], 'model', method);
      if (r && method) requirePerModel(rep, method, r, sliceBase, [o.parameters, so.parameters, root.parameters], [...path, 'model']);
    });
    if (lengths.length === so.sources.length && lengths.some((l) => l !== lengths[0])) {
      rep.report('merge-slice-layers', Severity.Error, ['slices', i, 'sources'], 'key', `All inputs to a slice must contain the same number of layers (here ${lengths.join(', ')}).`);
    }
    if (method && method.name !== 'passthrough') counts.push({ path: ['slices', i, 'sources'], n: keys.size + (sliceBase && method.base !== 'unused' && !keys.has(sliceBase.key) ? 1 : 0) });
    if (method?.name === 'passthrough' && keys.size > 1) rep.report('merge-model-count', Severity.Error, ['slices', i, 'sources'], 'key', 'passthrough takes exactly one model per slice.');
  });
}

/** A required per-model parameter (weight) must be found at some level for every non-base model. */
function requirePerModel(rep: Reporter, method: MergeMethodSpec, r: ModelRef, base: ModelRef | undefined, levels: unknown[], at: NodePath): void {
  if (base && r.key === base.key && method.base !== 'unused') return;
  for (const p of method.perModel) {
    if (!p.required) continue;
    if (levels.some((l) => obj(l)?.[p.name] !== undefined)) continue;
    rep.report('merge-param-missing', Severity.Error, at, 'value', `Missing required parameter '${p.name}' for ${r.key} (${method.name} needs it per model).`);
  }
}

/** Checks one `parameters:` mapping. */
function checkParams(rep: Reporter, value: unknown, path: NodePath, level: ParamLevel, method: MergeMethodSpec | undefined): void {
  if (value === undefined || value === null) return;
  const o = obj(value);
  if (!o) return rep.report('merge-type', Severity.Error, path, 'value', '`parameters` must be a mapping of name → value.');
  for (const [name, setting] of Object.entries(o)) {
    const at = [...path, name];
    const global = method?.global.find((p) => p.name === name);
    const perModel = method?.perModel.find((p) => p.name === name);
    if (method && !global && !perModel) {
      rep.report('merge-param-unused', Severity.Warning, at, 'key', `${method.name} does not use '${name}'${ALL_PARAMS.has(name) ? '' : ' (no merge method has this parameter)'}.`);
      continue;
    }
    if (global && level === 'model') rep.report('merge-param-unused', Severity.Warning, at, 'key', `'${name}' applies to the whole merge; mergekit reads it from top-level or slice \`parameters\`, not per model.`);
    const kind = (global ?? perModel)?.kind ?? 'number';
    checkSetting(rep, name, setting, at, kind, 0);
  }
  if (method?.gta?.sparsify === 'della_magprune') {
    const d = typeof o.density === 'number' ? o.density : undefined;
    const e = typeof o.epsilon === 'number' ? o.epsilon : undefined;
    if (d !== undefined && d < 1 && (d - (e ?? 0.15) <= 0 || d + (e ?? 0.15) >= 1)) rep.report('merge-param-range', Severity.Error, [...path, e !== undefined ? 'epsilon' : 'density'], 'value', `DELLA needs density ± epsilon inside (0, 1); here ${d} ± ${e ?? 0.15}.`);
  }
}

/** Scalar, gradient or conditional list, with the parameter's range. */
function checkSetting(rep: Reporter, name: string, v: unknown, at: NodePath, kind: 'number' | 'bool', depth: number): void {
  if (Array.isArray(v)) {
    if (v.length === 0) return rep.report('merge-param-type', Severity.Error, at, 'value', `'${name}' is an empty list.`);
    if (v.every((x) => typeof x === 'number')) {
      v.forEach((x, i) => checkRange(rep, name, x as number, [...at, i]));
      return;
    }
    if (v.every((x) => isConditional(x))) {
      if (depth > 0) return rep.report('merge-param-type', Severity.Error, at, 'value', 'Filtered values cannot nest.');
      v.forEach((c, i) => {
        const co = c as Record<string, unknown>;
        if (co.filter !== undefined && typeof co.filter !== 'string') rep.report('merge-param-type', Severity.Error, [...at, i, 'filter'], 'value', '`filter` is a substring of tensor names (e.g. self_attn, mlp).');
        for (const k of Object.keys(co)) if (k !== 'filter' && k !== 'value') rep.report('merge-key-unknown', Severity.Warning, [...at, i, k], 'key', `Unknown key '${k}'; a filtered value has \`filter\` and \`value\`.`);
        checkSetting(rep, name, co.value, [...at, i, 'value'], kind, depth + 1);
      });
      const last = v[v.length - 1] as Record<string, unknown>;
      if (last.filter !== undefined && last.filter !== '*') rep.report('merge-param-fallback', Severity.Warning, at, 'key', `'${name}' has no unfiltered fallback entry last: tensors that match no filter get no value${kind === 'number' ? ' (an error for required parameters)' : ''}.`);
      return;
    }
    return rep.report('merge-param-type', Severity.Error, at, 'value', `'${name}' must be a number, a list of numbers (a gradient across layers) or a list of \`{filter, value}\` entries.`);
  }
  if (kind === 'bool') {
    if (typeof v !== 'boolean') rep.report('merge-param-type', Severity.Error, at, 'value', `'${name}' must be true or false.`);
    return;
  }
  if (typeof v !== 'number') return rep.report('merge-param-type', Severity.Error, at, 'value', `'${name}' must be a number, a gradient list or filtered values; got ${JSON.stringify(v)}.`);
  checkRange(rep, name, v, at);
}

function checkRange(rep: Reporter, name: string, x: number, at: NodePath): void {
  if (name === 'density' && !(x > 0 && x <= 1)) rep.report('merge-param-range', Severity.Error, at, 'value', `density is the fraction of entries kept and must be in (0, 1]; got ${x}.`);
  else if (name === 't' && !(x >= 0 && x <= 1)) rep.report('merge-param-range', Severity.Error, at, 'value', `t must be in [0, 1] (0 = base_model, 1 = the other model); got ${x}.`);
  else if (name === 'gamma' && !(x >= 0 && x < 1)) rep.report('merge-param-range', Severity.Error, at, 'value', `gamma is a fraction of entries and must be in [0, 1); got ${x}.`);
  else if (name === 'epsilon' && !(x >= 0 && x < 1)) rep.report('merge-param-range', Severity.Error, at, 'value', `epsilon must be in [0, 1); got ${x}.`);
}

function checkTokenizer(rep: Reporter, root: Record<string, unknown>, env: MergeEnv, ref: (p: NodePath) => ModelRef | undefined): void {
  const ts = root.tokenizer_source;
  const tok = root.tokenizer;
  if (ts !== undefined && ts !== null && tok !== undefined && tok !== null) rep.report('merge-tokenizer-conflict', Severity.Error, ['tokenizer'], 'key', 'Cannot specify both tokenizer_source and tokenizer.');
  const check = (v: unknown, path: NodePath): void => {
    if (v === undefined || v === null) return;
    if (v === 'union') {
      rep.report('merge-tokenizer-union', env.requireRunnable ? Severity.Error : Severity.Information, path, 'value', "tunelab merge does not build a union vocabulary (mergekit does); use 'base' or a model to copy its tokenizer.");
      return;
    }
    if (v === 'base') return;
    if (typeof v === 'string' || obj(v)) ref(path);
    else rep.report('merge-type', Severity.Error, path, 'value', "tokenizer source is 'base', 'union' or a model.");
  };
  check(ts, ['tokenizer_source']);
  if (tok !== undefined && tok !== null) {
    if (!obj(tok)) rep.report('merge-type', Severity.Error, ['tokenizer'], 'value', '`tokenizer` is a mapping (source, tokens, pad_to_multiple_of).');
    else {
      check(obj(tok)!.source, ['tokenizer', 'source']);
      if (obj(tok)!.tokens !== undefined && env.requireRunnable) rep.report('merge-not-runnable', Severity.Error, ['tokenizer', 'tokens'], 'key', 'tunelab merge does not edit token embeddings (`tokenizer.tokens`).');
    }
  }
}

function checkChatTemplate(rep: Reporter, root: Record<string, unknown>, env: MergeEnv): void {
  const v = root.chat_template;
  if (v === undefined || v === null) return;
  if (typeof v !== 'string') return rep.report('merge-type', Severity.Error, ['chat_template'], 'value', 'chat_template is a name or a Jinja template string.');
  if (v === 'auto') return;
  if ((CHAT_TEMPLATES as readonly string[]).includes(v)) {
    if (env.requireRunnable) rep.report('merge-not-runnable', Severity.Warning, ['chat_template'], 'value', `tunelab merge does not ship mergekit's built-in '${v}' template: the output keeps its tokenizer's template (write the Jinja text, or auto, to set one).`);
    return;
  }
  if (v.length < 20 || !v.includes('{')) rep.report('merge-chat-template', Severity.Warning, ['chat_template'], 'value', `Invalid chat template '${v}': use auto, ${CHAT_TEMPLATES.join(', ')} or a Jinja template.`);
}
