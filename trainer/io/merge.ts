/**
 * `tunelab merge-lora`: base model directory + PEFT LoRA adapter → a plain Hugging Face model
 * directory with W = W0 + scaling·B·A, config and tokenizer files copied. Host-side only (no tfjs).
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { HostTensor, ModelConfig } from '../model/index';
import type { FloatDtype } from './safetensors';
import { mergeAdapter, readAdapter } from './adapter';
import { ModelDirError, readModelConfig, readModelWeights, saveModelDir } from './hfModel';

/** Merges the adapter in `adapterDir` into base tensors (the method registry supplies one per method). */
export type AdapterMerger = (config: ModelConfig, base: Map<string, HostTensor>, adapterDir: string) => { tensors: Map<string, HostTensor>; modules: string[]; scaling: number | null };

/** The LoRA merger: W = W0 + scaling·B·A. */
const mergeLoraDir: AdapterMerger = (config, base, adapterDir) => {
  const adapter = readAdapter(adapterDir);
  const { r, loraAlpha, useRslora } = adapter.config;
  return { tensors: mergeAdapter(config, base, adapter), modules: [...adapter.weights.keys()], scaling: useRslora ? loraAlpha / Math.sqrt(r) : loraAlpha / r };
};

export interface MergeRequest {
  baseDir: string;
  adapterDir: string;
  outDir: string;
  /** Weight dtype of the merged model (default: the base's torch_dtype, F32 when unknown). */
  dtype?: FloatDtype;
}

export interface MergeResult {
  /** Modules whose weights changed. */
  modules: string[];
  /** Files written into outDir. */
  files: string[];
  /** LoRA's alpha/r (alpha/√r with rsLoRA); null for methods without one. */
  scaling: number | null;
}

/** Merges an adapter into its base and writes the result. Throws `ModelDirError` for bad input. */
export function mergeLora(req: MergeRequest, merger: AdapterMerger = mergeLoraDir): MergeResult {
  if (resolve(req.outDir) === resolve(req.baseDir)) throw new ModelDirError(`${req.outDir}: the output directory must differ from the base model directory`);
  // A model written into an adapter folder (the run's output_dir, say) makes a folder that is both.
  if (existsSync(resolve(req.outDir, 'adapter_config.json'))) {
    throw new ModelDirError(`${req.outDir}: holds an adapter (adapter_config.json); write the merged model to another directory`);
  }
  if (existsSync(req.outDir) && existsSync(resolve(req.outDir, 'model.safetensors.index.json'))) {
    throw new ModelDirError(`${req.outDir}: already holds a sharded model; choose an empty directory`);
  }
  const config = readModelConfig(req.baseDir);
  const base = readModelWeights(req.baseDir);
  const { tensors: merged, modules, scaling } = merger(config, base, req.adapterDir);
  const fromBase = ({ float16: 'F16', bfloat16: 'BF16' } as Record<string, FloatDtype>)[String(config.raw.torch_dtype)] ?? 'F32';
  const files = saveModelDir(req.outDir, config, merged, { tokenizerFrom: req.baseDir, dtype: req.dtype ?? fromBase });
  return { modules, files, scaling };
}
