/**
 * `tunelab merge CONFIG`: runs a mergekit merge config tensor by tensor. Opens every input (headers
 * only), plans the output tensors (./plan.ts), writes a Hugging Face model folder into a temporary
 * sibling folder — shards streamed (./writer.ts), config.json with the output layer count and
 * dtype, the tokenizer files, the config as mergekit_config.yml, a README — and renames it into
 * place. Memory stays near one tensor per input.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { parseConfig } from '../../common/config/index';
import { readMergeConfig, type MergeConfig, type ModelRef } from '../../common/merge/config';
import { METHODS_BY_NAME, MERGE_METHODS, type MergeMethodSpec } from '../../common/merge/schema';
import { resolveLocalPath } from '../../common/paths';
import { writeFileAtomic } from '../../common/fsAtomic';
import { copyTokenizerFiles, ModelDirError, readJsonFile, type FloatDtype } from '../io/index';
import { applyMask, bernoulliMask, dellaMask, linearMerge, magnitudeMask, maskRandom, outlierMask, slerp, taskArithmetic, type Mask, type WeightedDelta } from './maths';
import { MergePlanError, outputLayers, planMerge, type PlannedTensor } from './plan';
import { ModelSource } from './sources';
import { StreamingModelWriter } from './writer';

/** The seed DARE / DELLA masks use when none is given. */
export const DEFAULT_MERGE_SEED = 42;

export interface MergeRunRequest {
  /** The merge config file (relative model paths resolve against its folder, then `cwd`). */
  configPath: string;
  outDir: string;
  cwd: string;
  seed?: number;
  /** Largest shard in bytes (default 5e9, mergekit's). */
  maxShardBytes?: number;
  /** Replace an existing, non-empty output folder. */
  overwrite?: boolean;
  /** Called after each tensor. */
  onProgress?(done: number, total: number, name: string, bytesDone: number, bytesTotal: number): void;
}

export interface MergeRunResult {
  method: string;
  tensors: number;
  layers: number;
  files: string[];
  bytes: number;
  seed: number;
  dtype: FloatDtype;
}

/** A merge that cannot run (bad config, missing or mismatched models); nothing is left behind. */
export class MergeError extends Error {}

/** Embedding and output-head weights (their first dimension is the vocabulary). */
const EMBED = /(^|\.)(embed_tokens|wte|lm_head|embed_out|word_embeddings)\.weight$/;

const DTYPE: Record<string, FloatDtype> = { float32: 'F32', float16: 'F16', bfloat16: 'BF16' };
const TORCH: Record<FloatDtype, string> = { F32: 'float32', F16: 'float16', BF16: 'bfloat16' };

/** Methods `tunelab merge` runs. */
export const RUNNABLE_METHODS = MERGE_METHODS.filter((m) => m.runs).map((m) => m.name);

/** Runs a merge config end to end. Throws `MergeError` for bad input; never leaves a half-written folder. */
export function runMerge(req: MergeRunRequest): MergeRunResult {
  const text = readFileSync(req.configPath, 'utf8');
  const { config, errors } = readMergeConfig(parseYamlValue(text));
  if (!config) throw new MergeError(errors.join('; '));
  const method = METHODS_BY_NAME.get(config.mergeMethod);
  if (!method) throw new MergeError(`unknown merge_method '${config.mergeMethod}'`);
  if (!method.runs) throw new MergeError(`merge_method '${method.name}' is not implemented by tunelab merge (it runs ${RUNNABLE_METHODS.join(', ')})`);
  if (method.base === 'required' && !config.baseModel && !(config.slices ?? []).every((s) => s.baseModel)) throw new MergeError(`merge_method '${method.name}' needs base_model`);
  const seed = (req.seed ?? DEFAULT_MERGE_SEED) >>> 0;
  const outDir = resolve(req.cwd, req.outDir);
  if (existsSync(outDir) && (!statSync(outDir).isDirectory() || readdirSync(outDir).length > 0) && !req.overwrite) {
    throw new MergeError(`${outDir}: exists and is not empty (pass --overwrite to replace it)`);
  }

  const sources = openSources(config, req);
  const plan = planOrFail(config, method, sources);
  const refKey = config.baseModel?.key ?? (config.models?.[0]?.model.key ?? config.slices![0].sources[0].model.key);
  const ref = sources.get(refKey)!;
  const dtypeName = config.outDtype ?? config.dtype ?? (typeof ref.config.torch_dtype === 'string' ? ref.config.torch_dtype : 'float32');
  const dtype = DTYPE[dtypeName];
  if (!dtype) throw new MergeError(`dtype '${dtypeName}' cannot be written (use float32, float16 or bfloat16)`);

  // Shapes up front: every input of a tensor must agree, except embeddings and heads of models
  // with added tokens, which merge on a common submatrix as mergekit does (the base's shape for
  // methods with a base, else the smallest rows and columns).
  const shaped = plan.map((p) => {
    const shapes = p.inputs.map((i) => {
      const info = sources.get(i.key)!.info(i.name);
      if (!info) throw new MergeError(`model '${i.key}' has no tensor "${i.name}" (needed for ${p.name}); are the models the same architecture?`);
      return info.shape;
    });
    const s0 = JSON.stringify(shapes[0]);
    const bad = shapes.findIndex((s) => JSON.stringify(s) !== s0);
    if (bad < 0) return { ...p, shape: shapes[0] };
    const mismatch = new MergeError(`${p.name}: '${p.inputs[0].key}' has shape ${s0} but '${p.inputs[bad].key}' has ${JSON.stringify(shapes[bad])}; the models differ in architecture`);
    if (!EMBED.test(p.name) || shapes.some((s) => s.length !== 2)) throw mismatch;
    const baseIndex = p.inputs.findIndex((i) => i.key === p.baseKey);
    const target = method.gta && baseIndex >= 0 ? shapes[baseIndex] : [Math.min(...shapes.map((s) => s[0])), Math.min(...shapes.map((s) => s[1]))];
    if (shapes.some((s) => s[0] < target[0] || s[1] !== target[1])) throw mismatch;
    return { ...p, shape: target, crop: target };
  });
  // Embedding rows define the vocabulary of the output.
  const embedRows = shaped.find((p) => EMBED.test(p.name))?.shape[0];

  const temp = join(dirname(outDir), `.${basename(outDir)}.tmp-${process.pid}-${Date.now()}`);
  mkdirSync(temp, { recursive: true });
  const layers = outputLayers(config, method, sources);
  const writer = new StreamingModelWriter(temp, shaped, dtype, req.maxShardBytes ?? 5e9, { format: 'pt', merge_method: method.name, merge_seed: String(seed) });
  try {
    let bytesDone = 0;
    const width = dtype === 'F32' ? 4 : 2;
    shaped.forEach((p, i) => {
      writer.write(p.name, mergeTensor(p, method, sources, seed));
      bytesDone += p.shape.reduce((a, b) => a * b, 1) * width;
      req.onProgress?.(i + 1, shaped.length, p.name, bytesDone, writer.totalBytes);
    });
    writer.finish();
    const files = writer.files();
    const layerKey = 'num_hidden_layers' in ref.config || !('n_layer' in ref.config) ? 'num_hidden_layers' : 'n_layer';
    writeFileAtomic(join(temp, 'config.json'), `${JSON.stringify({ ...ref.config, [layerKey]: layers, ...(embedRows !== undefined && typeof ref.config.vocab_size === 'number' && embedRows !== ref.config.vocab_size ? { vocab_size: embedRows } : {}), torch_dtype: TORCH[dtype] }, null, 2)}\n`, { fsync: true });
    files.push('config.json');
    files.push(...copyTokenizerFiles(tokenizerDir(config, sources, refKey), temp));
    if (applyChatTemplate(config, sources, temp) && !files.includes('tokenizer_config.json')) files.push('tokenizer_config.json');
    writeFileAtomic(join(temp, 'mergekit_config.yml'), text.endsWith('\n') ? text : `${text}\n`, { fsync: true });
    writeFileAtomic(join(temp, 'README.md'), modelCard(config, method, seed, dtype, text), { fsync: true });
    files.push('mergekit_config.yml', 'README.md');
    if (existsSync(outDir)) {
      const old = join(dirname(outDir), `.${basename(outDir)}.old-${process.pid}-${Date.now()}`);
      renameSync(outDir, old);
      renameSync(temp, outDir);
      rmSync(old, { recursive: true, force: true });
    } else renameSync(temp, outDir);
    return { method: method.name, tensors: shaped.length, layers, files, bytes: writer.totalBytes, seed, dtype };
  } catch (e) {
    writer.abort();
    rmSync(temp, { recursive: true, force: true });
    if (e instanceof RangeError || e instanceof MergePlanError) throw new MergeError(e.message);
    throw e;
  }
}

function parseYamlValue(text: string): unknown {
  const doc = parseConfig(text);
  if (doc.parseDiagnostics.some((d) => /multiple documents/i.test(d.message))) {
    throw new MergeError('this is a mergekit-multi file (several merges separated by ---); tunelab merge runs one merge per file: put each in its own file and name the earlier output folders as models');
  }
  const error = doc.parseDiagnostics.find((d) => d.severity === 1);
  if (error) throw new MergeError(`the config is not valid YAML (line ${error.range.start.line + 1}): ${error.message}`);
  return doc.value;
}

function planOrFail(config: MergeConfig, method: MergeMethodSpec, sources: Map<string, ModelSource>): PlannedTensor[] {
  try {
    return planMerge(config, method, sources);
  } catch (e) {
    if (e instanceof MergePlanError) throw new MergeError(e.message);
    throw e;
  }
}

/** Every model the config names, opened once per distinct reference. */
function openSources(config: MergeConfig, req: MergeRunRequest): Map<string, ModelSource> {
  const refs: ModelRef[] = [];
  for (const m of config.models ?? []) refs.push(m.model);
  for (const s of config.slices ?? []) {
    for (const x of s.sources) refs.push(x.model);
    if (s.baseModel) refs.push(s.baseModel);
  }
  if (config.baseModel) refs.push(config.baseModel);
  if (config.tokenizerSource && typeof config.tokenizerSource === 'object') refs.push(config.tokenizerSource);
  const bases = { configDir: dirname(resolve(req.cwd, req.configPath)), cwd: req.cwd };
  const local = (p: string, what: string): string => {
    const r = resolveLocalPath(p, bases);
    if (!r.exists) throw new MergeError(`${what} '${p}' is not a local folder (looked for ${r.candidates.map((c) => `'${c}'`).join(', ')}); tunelab merge reads local folders only: download Hub models first (huggingface-cli download ${p} --local-dir DIR)`);
    return r.path;
  };
  const out = new Map<string, ModelSource>();
  for (const ref of refs) {
    if (out.has(ref.key)) continue;
    if (ref.revision || ref.lora?.revision) throw new MergeError(`model '${ref.key}': revisions (@REV) name Hub commits; tunelab merge reads local folders only`);
    let dir = local(ref.path, 'model');
    let adapter = ref.lora ? local(ref.lora.path, 'LoRA adapter') : undefined;
    if (!adapter && existsSync(join(dir, 'adapter_config.json')) && !existsSync(join(dir, 'config.json'))) {
      // An adapter folder on its own: its base is the folder PEFT recorded, or the config's base_model.
      adapter = dir;
      const recorded = readJsonFile(join(dir, 'adapter_config.json')).base_model_name_or_path;
      const found = typeof recorded === 'string' ? resolveLocalPath(recorded, { configDir: bases.configDir, workspaceRoots: [dirname(dir)], cwd: req.cwd }) : undefined;
      if (found?.exists) dir = found.path;
      else if (config.baseModel && !config.baseModel.lora && config.baseModel.key !== ref.key) dir = local(config.baseModel.path, 'base_model');
      else throw new MergeError(`LoRA adapter '${ref.path}': its base model ${JSON.stringify(recorded ?? null)} is not a local folder and base_model names no plain model; write it as BASE+ADAPTER`);
    }
    try {
      out.set(ref.key, new ModelSource(dir, ref.key, adapter));
    } catch (e) {
      if (e instanceof ModelDirError || (e as Error).name === 'SafetensorsError') throw new MergeError(`model '${ref.key}': ${(e as Error).message}`);
      throw e;
    }
  }
  return out;
}

/** One output tensor from its inputs, by the method's maths. */
function mergeTensor(p: PlannedTensor & { shape: number[]; crop?: number[] }, method: MergeMethodSpec, sources: Map<string, ModelSource>, seed: number): Float32Array {
  const read = (i: { key: string; name: string }): Float32Array => {
    const t = sources.get(i.key)!.read(i.name);
    const data = t.data as Float32Array;
    // Rows beyond the common vocabulary are dropped (columns always agree here).
    return p.crop && t.shape[0] > p.crop[0] ? data.slice(0, p.crop[0] * p.crop[1]) : data;
  };
  const weightOf = (key: string): number => p.perModel.get(key)?.weight as number;
  if (method.name === 'passthrough') {
    if (p.inputs.length !== 1) throw new MergeError(`${p.name}: passthrough takes exactly one model per tensor, got ${p.inputs.length}`);
    const x = read(p.inputs[0]);
    const scale = p.perModel.get(p.inputs[0].key)?.scale;
    if (typeof scale === 'number') for (let j = 0; j < x.length; j++) x[j] *= scale;
    return x;
  }
  if (method.name === 'linear') {
    return linearMerge(p.inputs.map(read), p.inputs.map((i) => weightOf(i.key)), p.global.normalize as boolean);
  }
  const baseInput = p.inputs.find((i) => i.key === p.baseKey);
  if (!baseInput) throw new MergeError(`${p.name}: the base model is not among this tensor's inputs`);
  const base = read(baseInput);
  const others = p.inputs.filter((i) => i !== baseInput);
  if (method.name === 'slerp') {
    if (others.length === 0) return base;
    if (others.length !== 1) throw new MergeError(`${p.name}: slerp merges exactly two models (the base and one other), got ${p.inputs.length}`);
    return slerp(p.global.t as number, base, read(others[0]));
  }
  const gta = method.gta!;
  const deltas: WeightedDelta[] = [];
  for (const i of others) {
    const x = read(i);
    for (let j = 0; j < x.length; j++) x[j] -= base[j];
    const params = p.perModel.get(i.key)!;
    const density = params.density as number;
    const random = maskRandom(seed, p.name, i.key);
    let mask: Mask = null;
    if (gta.sparsify === 'magnitude') mask = magnitudeMask(x, density);
    else if (gta.sparsify === 'random') mask = bernoulliMask(x.length, density, random);
    else if (gta.sparsify === 'magnitude_outliers') mask = outlierMask(x, density, params.gamma as number);
    else if (gta.sparsify === 'della_magprune') mask = dellaMask(x, p.shape, density, params.epsilon as number, random);
    applyMask(x, mask, p.global.rescale as boolean);
    deltas.push({ delta: x, weight: params.weight as number });
  }
  if (deltas.length === 0) return base;
  return taskArithmetic(base, deltas, { consensus: gta.consensus, normalize: p.global.normalize as boolean, lambda: p.global.lambda as number });
}

function tokenizerDir(config: MergeConfig, sources: Map<string, ModelSource>, refKey: string): string {
  const src = config.tokenizerSource;
  if (src === 'union') throw new MergeError("tokenizer_source 'union' (a merged vocabulary) is not supported by tunelab merge; use 'base' or a model");
  if (src && typeof src === 'object') return sources.get(src.key)!.dir;
  return sources.get(refKey)!.dir;
}

/**
 * `chat_template`: a Jinja string is written into the output's tokenizer_config.json; `auto` takes
 * the template most of the inputs have (first on a tie). Built-in names (mergekit's own template
 * files) are left to mergekit: the validator warns. Returns whether tokenizer_config.json was written.
 */
function applyChatTemplate(config: MergeConfig, sources: Map<string, ModelSource>, out: string): boolean {
  const want = config.chatTemplate;
  if (!want) return false;
  let template: string | undefined;
  if (want === 'auto') {
    const counts = new Map<string, number>();
    for (const s of new Set(sources.values())) {
      const t = readTokenizerConfig(s.dir)?.chat_template;
      if (typeof t === 'string') counts.set(t, (counts.get(t) ?? 0) + 1);
    }
    let best = 0;
    for (const [t, n] of counts) if (n > best) [template, best] = [t, n];
  } else if (want.includes('{')) template = want;
  if (template === undefined) return false;
  const cfg = readTokenizerConfig(out) ?? {};
  writeFileAtomic(join(out, 'tokenizer_config.json'), `${JSON.stringify({ ...cfg, chat_template: template }, null, 2)}\n`, { fsync: true });
  return true;
}

function readTokenizerConfig(dir: string): Record<string, unknown> | undefined {
  const p = join(dir, 'tokenizer_config.json');
  return existsSync(p) ? readJsonFile(p) : undefined;
}

function modelCard(config: MergeConfig, method: MergeMethodSpec, seed: number, dtype: FloatDtype, text: string): string {
  const models = [...new Set([...(config.models ?? []).map((m) => m.model.key), ...(config.slices ?? []).flatMap((s) => s.sources.map((x) => x.model.key))])];
  const random = method.gta?.sparsify === 'random' || method.gta?.sparsify === 'della_magprune';
  return [
    '---',
    'library_name: transformers',
    'tags:',
    '- mergekit',
    '- merge',
    '- tunelab',
    '---',
    '# Merged model',
    '',
    `Made with \`tunelab merge\` using the ${method.title} method${method.url ? ` (${method.url})` : ''}.`,
    '',
    '## Merge details',
    '',
    config.baseModel ? `- Base model: \`${config.baseModel.key}\`` : '- Base model: none',
    ...models.map((m) => `- Model: \`${m}\``),
    `- Weights written as ${TORCH[dtype]}`,
    `- Random seed: ${seed}${random ? ' (drop masks are drawn from it; the same seed gives the same model)' : ' (unused by this method)'}`,
    '',
    '## Configuration',
    '',
    '```yaml',
    text.trimEnd(),
    '```',
    '',
  ].join('\n');
}
