/**
 * The inputs of a merge, read one tensor at a time: a Hugging Face model folder (model.safetensors
 * or shards listed in model.safetensors.index.json), optionally with a PEFT LoRA adapter merged in
 * on the fly (W0 + scaling·B·A for the tensors the adapter touches). Only headers and the small
 * adapter stay in memory; each `read` loads one tensor by its byte range.
 */
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { HostTensor } from '../model/tensors';
import { decodeFloats } from './codec';
import { mergeAdapter, ModelDirError, readAdapter, readHeader, readJsonFile, readModelConfig, readSafetensors, type LoadedAdapter, type TensorInfo } from '../io/index';

/** One model input of a merge. */
export class ModelSource {
  /** config.json as written. */
  readonly config: Record<string, unknown>;
  private readonly files = new Map<string, { file: string; info: TensorInfo }>();
  private readonly lora?: { adapter: LoadedAdapter; byTensor: Map<string, string> };
  private modelConfig?: ReturnType<typeof readModelConfig>;

  /** `dir`: the model folder; `adapterDir`: a LoRA adapter of that model to merge in first. */
  constructor(readonly dir: string, readonly label: string, adapterDir?: string) {
    if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new ModelDirError(`${dir}: not a directory`);
    this.config = readJsonFile(join(dir, 'config.json'));
    const single = join(dir, 'model.safetensors');
    const indexPath = join(dir, 'model.safetensors.index.json');
    if (existsSync(single)) {
      for (const [name, info] of readHeader(single).tensors) this.files.set(name, { file: single, info });
    } else if (existsSync(indexPath)) {
      const map = readJsonFile(indexPath).weight_map;
      if (!map || typeof map !== 'object') throw new ModelDirError(`${indexPath}: missing "weight_map"`);
      const headers = new Map<string, Map<string, TensorInfo>>();
      for (const [name, file] of Object.entries(map as Record<string, unknown>)) {
        if (typeof file !== 'string' || /[\\/]/.test(file)) throw new ModelDirError(`${indexPath}: bad shard file for "${name}": ${JSON.stringify(file)}`);
        const path = join(dir, file);
        if (!headers.has(path)) {
          if (!existsSync(path)) throw new ModelDirError(`${indexPath}: shard ${file} is listed but missing`);
          headers.set(path, readHeader(path).tensors);
        }
        const info = headers.get(path)!.get(name);
        if (!info) throw new ModelDirError(`${path}: no tensor "${name}" although the index lists it there`);
        this.files.set(name, { file: path, info });
      }
    } else {
      const bin = existsSync(join(dir, 'pytorch_model.bin')) || existsSync(join(dir, 'pytorch_model.bin.index.json'));
      throw new ModelDirError(`${dir}: no model.safetensors or model.safetensors.index.json${bin ? ' (only PyTorch .bin weights; save with safe_serialization=True)' : ''}`);
    }
    if (adapterDir) {
      const adapter = readAdapter(adapterDir);
      const byTensor = new Map<string, string>();
      for (const module of adapter.weights.keys()) {
        const name = [`${module}.weight`, `${module.replace(/^transformer\./, '')}.weight`].find((k) => this.files.has(k));
        if (!name) throw new ModelDirError(`${adapterDir}: the model in ${dir} has no weight for adapter module "${module}"`);
        byTensor.set(name, module);
      }
      this.lora = { adapter, byTensor };
    }
  }

  /** Tensor names in the model's own order. */
  names(): string[] {
    return [...this.files.keys()];
  }

  has(name: string): boolean {
    return this.files.has(name);
  }

  /** Shape and on-disk dtype of a tensor, without reading it. */
  info(name: string): TensorInfo | undefined {
    return this.files.get(name)?.info;
  }

  /** Reads one tensor as float32 (with the adapter's delta added when it touches it). */
  read(name: string): HostTensor {
    const at = this.files.get(name);
    if (!at) throw new ModelDirError(`${this.label}: no tensor "${name}"`);
    const t = this.readRaw(at.file, at.info) ?? readSafetensors(at.file, { names: [name] }).tensors.get(name)!;
    const module = this.lora?.byTensor.get(name);
    if (!module || !this.lora) return t;
    const { adapter } = this.lora;
    const one: LoadedAdapter = { ...adapter, weights: new Map([[module, adapter.weights.get(module)!]]) };
    this.modelConfig ??= readModelConfig(this.dir);
    return mergeAdapter(this.modelConfig, new Map([[name, t]]), one).get(name)!;
  }

  /** F32 / F16 / BF16 read straight from the tensor's byte range; undefined for other dtypes. */
  private readRaw(file: string, info: TensorInfo): HostTensor | undefined {
    if (info.dtype !== 'F32' && info.dtype !== 'F16' && info.dtype !== 'BF16') return undefined;
    // Unpooled, so the bytes start at offset 0 of their own ArrayBuffer (aligned views).
    const buf = Buffer.allocUnsafeSlow(info.end - info.begin);
    const fd = openSync(file, 'r');
    try {
      let at = 0;
      while (at < buf.length) {
        const n = readSync(fd, buf, at, buf.length - at, info.begin + at);
        if (n === 0) throw new ModelDirError(`${file}: ends inside a tensor`);
        at += n;
      }
    } finally {
      closeSync(fd);
    }
    const data = decodeFloats(buf, info.dtype);
    return data ? { shape: info.shape, data } : undefined;
  }

  /** Number of transformer layers from config.json (Llama-style or GPT-2 names). */
  numLayers(): number {
    const n = this.config.num_hidden_layers ?? this.config.n_layer;
    if (typeof n !== 'number' || !Number.isInteger(n) || n <= 0) throw new ModelDirError(`${join(this.dir, 'config.json')}: no num_hidden_layers`);
    return n;
  }
}
