/**
 * Hugging Face model directories: config.json + model.safetensors, or shards listed in
 * model.safetensors.index.json; tokenizer files travel alongside. Loading converts every tensor to
 * float32; saving writes config, weights (F32 unless asked otherwise) and copies tokenizer files,
 * each file atomically.
 */
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { buildModel, parseModelConfig, type CausalLM, type HostTensor, type ModelConfig } from '../model/index';
import type { FloatDtype } from './safetensors';
import { writeFileAtomic } from '../../common/fsAtomic';
import { readSafetensors, writeSafetensors } from './safetensors';

/** A model directory that cannot be read; the message names the file. */
export class ModelDirError extends Error {}

/** Files copied with a model so it stays usable (tokenizer, chat template, generation defaults). */
export const TOKENIZER_FILES = [
  'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'added_tokens.json', 'vocab.json', 'merges.txt',
  'tokenizer.model', 'chat_template.jinja', 'chat_template.json', 'generation_config.json',
] as const;

/** Reads and parses a JSON file, with the path in every error. */
export function readJsonFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ModelDirError(`${path}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'not found' : (e as Error).message}`);
  }
  try {
    const v = JSON.parse(text) as unknown;
    if (!v || typeof v !== 'object' || Array.isArray(v)) throw new Error('not a JSON object');
    return v as Record<string, unknown>;
  } catch (e) {
    throw new ModelDirError(`${path}: invalid JSON (${(e as Error).message})`);
  }
}

/** Reads config.json of a model directory. */
export function readModelConfig(dir: string): ModelConfig {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new ModelDirError(`${dir}: not a directory`);
  const path = join(dir, 'config.json');
  const raw = readJsonFile(path);
  try {
    return parseModelConfig(raw);
  } catch (e) {
    throw new ModelDirError(`${path}: ${(e as Error).message.replace(/^config\.json: /, '')}`);
  }
}

/** Every weight tensor of a model directory, as float32, from a single file or shards. */
export function readModelWeights(dir: string): Map<string, HostTensor> {
  const single = join(dir, 'model.safetensors');
  if (existsSync(single)) return readSafetensors(single).tensors;
  const indexPath = join(dir, 'model.safetensors.index.json');
  if (existsSync(indexPath)) {
    const index = readJsonFile(indexPath);
    const map = index.weight_map;
    if (!map || typeof map !== 'object') throw new ModelDirError(`${indexPath}: missing "weight_map"`);
    const byFile = new Map<string, string[]>();
    for (const [name, file] of Object.entries(map as Record<string, unknown>)) {
      if (typeof file !== 'string' || file.includes('/') || file.includes('\\')) throw new ModelDirError(`${indexPath}: bad shard file for "${name}": ${JSON.stringify(file)}`);
      byFile.set(file, [...(byFile.get(file) ?? []), name]);
    }
    const out = new Map<string, HostTensor>();
    for (const [file, names] of byFile) {
      const path = join(dir, file);
      if (!existsSync(path)) throw new ModelDirError(`${indexPath}: shard ${file} is listed but missing`);
      for (const [k, v] of readSafetensors(path, { names }).tensors) out.set(k, v);
    }
    return out;
  }
  if (existsSync(join(dir, 'pytorch_model.bin')) || existsSync(join(dir, 'pytorch_model.bin.index.json'))) {
    throw new ModelDirError(`${dir}: only PyTorch .bin weights found; Tunelab reads safetensors (convert with transformers' save_pretrained(safe_serialization=True))`);
  }
  throw new ModelDirError(`${dir}: no model.safetensors or model.safetensors.index.json`);
}

/** Loads a model directory into a model on the current tfjs backend. */
export function loadModel(dir: string): CausalLM {
  const config = readModelConfig(dir);
  const tensors = readModelWeights(dir);
  try {
    return buildModel(config, tensors);
  } catch (e) {
    throw new ModelDirError(`${dir}: ${(e as Error).message}`);
  }
}

/** Copies the tokenizer-related files that exist in `from` into `to`. Returns the names copied. */
export function copyTokenizerFiles(from: string, to: string): string[] {
  const copied: string[] = [];
  for (const f of TOKENIZER_FILES) {
    const src = join(from, f);
    if (!existsSync(src)) continue;
    writeFileAtomic(join(to, f), readFileSync(src), { fsync: true });
    copied.push(f);
  }
  return copied;
}

export interface SaveModelOptions {
  /** Directory whose tokenizer files are copied (usually the base model). */
  tokenizerFrom?: string;
  /** Weight dtype on disk (default F32). */
  dtype?: FloatDtype;
}

/**
 * Writes a Hugging Face model directory: config.json (as loaded, torch_dtype set to the written
 * dtype), model.safetensors with `{"format": "pt"}` metadata, and the tokenizer files.
 */
export function saveModelDir(out: string, config: ModelConfig, tensors: Map<string, HostTensor>, opts: SaveModelOptions = {}): string[] {
  mkdirSync(out, { recursive: true });
  const dtype = opts.dtype ?? 'F32';
  const torchDtype = { F32: 'float32', F16: 'float16', BF16: 'bfloat16' }[dtype];
  writeSafetensors(join(out, 'model.safetensors'), tensors, { dtype, metadata: { format: 'pt' } });
  writeFileAtomic(join(out, 'config.json'), `${JSON.stringify({ ...config.raw, torch_dtype: torchDtype }, null, 2)}\n`, { fsync: true });
  const written = ['config.json', 'model.safetensors'];
  if (opts.tokenizerFrom) written.push(...copyTokenizerFiles(opts.tokenizerFrom, out));
  return written;
}
