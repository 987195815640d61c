import { resolve } from 'node:path';
import { mergeLora, ModelConfigError, ModelDirError, SafetensorsError } from '../../trainer/index';
import { parse } from '../args';
import { UsageError, type CliCommand } from '../command';

const DTYPES = { f32: 'F32', f16: 'F16', bf16: 'BF16' } as const;

const USAGE = `Usage: tunelab merge-lora --base DIR --adapter DIR --out DIR [--dtype f32|f16|bf16]

Merges a PEFT LoRA adapter into its base model: W = W0 + (lora_alpha / r)·B·A (alpha/sqrt(r) with
use_rslora; DoRA and IA3 adapters merge too), and writes a normal Hugging Face model directory
(config.json, model.safetensors, tokenizer files copied from the base) that loads without PEFT.
Prefix, prompt and bottleneck adapters change activations, not weights: they cannot be merged.

  --base DIR      the base model directory (config.json + safetensors)
  --adapter DIR   the adapter (adapter_config.json + adapter_model.safetensors)
  --out DIR       where to write the merged model (created; files are written atomically)
  --dtype D       weight dtype on disk; default: the base's torch_dtype

Exit codes: 0 ok, 2 usage error or unreadable / mismatched model and adapter.`;

export const mergeLoraCommand: CliCommand = {
  name: 'merge-lora',
  summary: 'Merge a LoRA adapter into its base model',
  usage: USAGE,
  async run(args, io) {
    const { values } = parse(args, { base: { type: 'string' }, adapter: { type: 'string' }, out: { type: 'string' }, dtype: { type: 'string' } }, false);
    for (const key of ['base', 'adapter', 'out'] as const) if (!values[key]) throw new UsageError(`--${key} DIR is required`);
    const dtypeKey = values.dtype?.toLowerCase();
    if (dtypeKey !== undefined && !(dtypeKey in DTYPES)) throw new UsageError(`--dtype must be one of f32, f16, bf16, got '${values.dtype}'`);
    try {
      const r = mergeLora({
        baseDir: resolve(io.cwd, values.base!),
        adapterDir: resolve(io.cwd, values.adapter!),
        outDir: resolve(io.cwd, values.out!),
        dtype: dtypeKey === undefined ? undefined : DTYPES[dtypeKey as keyof typeof DTYPES],
      });
      io.out(`merged ${r.modules.length} modules${r.scaling !== null ? ` (scaling ${r.scaling})` : ''} into ${values.out}: ${r.files.join(', ')}\n`);
      return 0;
    } catch (e) {
      if (e instanceof ModelDirError || e instanceof SafetensorsError || e instanceof ModelConfigError) throw new UsageError(e.message);
      throw e;
    }
  },
};
