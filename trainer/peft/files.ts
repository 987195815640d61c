/**
 * The two-file adapter layout PEFT writes and reads, shared by every adapter method:
 *   adapter_config.json        {"peft_type": ..., "task_type": "CAUSAL_LM", ...method keys}
 *   adapter_model.safetensors  the method's tensors (PEFT's key names)
 * Both are written to temporary names and renamed, so a folder never holds half an adapter.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../../common/fsAtomic';
import { ModelDirError, readJsonFile, readSafetensors, writeSafetensors } from '../io/index';
import type { HostTensor } from '../model/index';

export const ADAPTER_CONFIG = 'adapter_config.json';
export const ADAPTER_WEIGHTS = 'adapter_model.safetensors';

/** Writes both files into `dir` (created); returns their names. */
export function writeAdapterFiles(dir: string, config: Record<string, unknown>, tensors: Map<string, HostTensor>): string[] {
  mkdirSync(dir, { recursive: true });
  writeSafetensors(join(dir, ADAPTER_WEIGHTS), tensors, { metadata: { format: 'pt' } });
  writeFileAtomic(join(dir, ADAPTER_CONFIG), `${JSON.stringify(sortKeys(config), null, 2)}\n`, { fsync: true });
  return [ADAPTER_CONFIG, ADAPTER_WEIGHTS];
}

/**
 * The adapter_config.json fields of PEFT's PromptLearningConfig, common to the prompt-learning
 * methods (prefix and prompt tuning); each method adds its own keys.
 */
export function promptLearningConfig(peftType: 'PREFIX_TUNING' | 'PROMPT_TUNING', baseModel: string | null, dims: { heads: number; layers: number; virtualTokens: number; tokenDim: number }): Record<string, unknown> {
  return {
    auto_mapping: null,
    base_model_name_or_path: baseModel,
    inference_mode: true,
    num_attention_heads: dims.heads,
    num_layers: dims.layers,
    num_transformer_submodules: 1,
    num_virtual_tokens: dims.virtualTokens,
    peft_type: peftType,
    revision: null,
    task_type: 'CAUSAL_LM',
    token_dim: dims.tokenDim,
  };
}

/** A saved prompt-learning adapter's `num_virtual_tokens` (a positive integer, else an error naming `where`). */
export function savedVirtualTokens(config: Record<string, unknown>, where: string): number {
  const n = config.num_virtual_tokens;
  if (typeof n !== 'number' || !Number.isInteger(n) || n <= 0) throw new Error(`${where}: num_virtual_tokens must be a positive integer, got ${JSON.stringify(n)}`);
  return n;
}

/** Reads adapter_config.json (an object, else ModelDirError naming the file). */
export function readAdapterJson(dir: string): { path: string; config: Record<string, unknown> } {
  const path = join(dir, ADAPTER_CONFIG);
  if (!existsSync(path)) throw new ModelDirError(`${path}: not found (an adapter directory holds ${ADAPTER_CONFIG} and ${ADAPTER_WEIGHTS})`);
  return { path, config: readJsonFile(path) };
}

/** Reads adapter_model.safetensors (ModelDirError when absent, with a hint for .bin files). */
export function readAdapterTensors(dir: string): { path: string; tensors: Map<string, HostTensor> } {
  const path = join(dir, ADAPTER_WEIGHTS);
  if (!existsSync(path)) {
    const bin = existsSync(join(dir, 'adapter_model.bin'));
    throw new ModelDirError(`${path}: not found${bin ? ' (only adapter_model.bin, which Tunelab does not read; save the adapter with safetensors)' : ''}`);
  }
  return { path, tensors: readSafetensors(path).tensors };
}

/** PEFT writes its config with sorted keys (`json.dumps(..., sort_keys=True)`); so do we. */
function sortKeys(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.keys(o).sort().map((k) => [k, o[k]]));
}
