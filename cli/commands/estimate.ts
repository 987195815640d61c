import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, resolve } from 'node:path';
import { LineCounter, parseDocument, isMap, isScalar } from 'yaml';
import { UsageError, type CliCommand } from '../command';
import { formatOption, numberOption, parse } from '../args';
import { estimateConfig, fitSuggestions, formatReport, hfHubCacheDir, type Estimate, type EstimateEnv } from '../../common/estimate/index';

const GIB = 2 ** 30;
/** Without --gpu-memory or gpu_memory_limit, `fits` answers for an 80 GB card (A100/H100 80GB). */
export const DEFAULT_GPU_MEMORY_GIB = 80;

const USAGE = `Usage: tunelab estimate CONFIG [--gpus N] [--gpu-memory GB] [--format text|json]

Estimates the parameters and the memory per GPU of an Axolotl config, and whether it fits.

  --gpus N          data-parallel GPUs (DeepSpeed ZeRO / FSDP shard over them); default 1
  --gpu-memory GB   memory of one GPU as sold (24 for a 24 GB card, i.e. GiB); overrides the
                    config's gpu_memory_limit. Without either, fits is checked against ${DEFAULT_GPU_MEMORY_GIB} GB.
  --format F        text (default) or json:
                    {"params": {"total", "trainable"}, "memory": {"weights", "gradients", "optimizer",
                     "activations", "other", "total"}, "per_gpu", "fits"}  (bytes; memory is per GPU,
                     other = logits + buffers + framework overhead, per_gpu = memory.total)

Model facts come from base_model (or base_model_config): a local directory's config.json, the
Hugging Face cache (HF_HUB_CACHE / HF_HOME), or the built-in table of popular models.
Exit codes: 0 fits, 1 does not fit, 2 cannot estimate (the reason on stderr) or usage error.`;

/** The JSON the command prints (bytes). */
export function estimateJson(e: Estimate, gpuBytes: number) {
  const m = e.memory;
  return {
    params: { total: e.params.total, trainable: e.params.trainable },
    memory: { weights: m.weights, gradients: m.gradients, optimizer: m.optimizer, activations: m.activations, other: m.logits + m.buffers + m.overhead, total: m.total },
    per_gpu: e.perGpu,
    fits: e.perGpu <= gpuBytes,
  };
}

const readText = (p: string): string | undefined => {
  try {
    return readFileSync(p, 'utf8');
  } catch {
    return undefined;
  }
};

export const estimateCommand: CliCommand = {
  name: 'estimate',
  summary: 'Parameters, memory per GPU and fit for a config',
  usage: USAGE,
  async run(args, io) {
    const { values, positionals } = parse(args, { gpus: { type: 'string' }, 'gpu-memory': { type: 'string' }, format: { type: 'string' } });
    if (positionals.length !== 1) throw new UsageError(`expected one CONFIG, got ${positionals.length}`);
    const format = formatOption(values.format, ['text', 'json'] as const, 'text');
    const gpus = numberOption('gpus', values.gpus, { integer: true, min: 1 });
    const gpuMemGb = numberOption('gpu-memory', values['gpu-memory'], { min: 0 });
    if (gpuMemGb !== undefined && gpuMemGb <= 0) throw new UsageError(`--gpu-memory must be a number > 0, got '${values['gpu-memory']}'`);
    const path = resolve(io.cwd, positionals[0]!);
    const text = readFileSync(path, 'utf8');
    const lineCounter = new LineCounter();
    const doc = parseDocument(text, { lineCounter, prettyErrors: false });
    if (doc.errors.length > 0) {
      const err = doc.errors[0]!;
      const pos = lineCounter.linePos(err.pos[0]);
      throw new UsageError(`${positionals[0]}:${pos.line}:${pos.col}: not valid YAML: ${err.message.split('\n')[0]}`);
    }
    const env: EstimateEnv = {
      configDir: dirname(path),
      cwd: io.cwd,
      readTextFile: readText,
      hfCacheDir: hfHubCacheDir(process.env, homedir()),
      ...(gpus !== undefined ? { gpus } : {}),
      ...(gpuMemGb !== undefined ? { gpuMemoryBytes: gpuMemGb * GIB } : {}),
    };
    const e = estimateConfig(doc.toJS(), env);
    if ('unknown' in e) {
      // Point at the key's line when the reason comes from one.
      let where = positionals[0]!;
      if (e.key && isMap(doc.contents)) {
        const pair = doc.contents.items.find((p) => isScalar(p.key) && p.key.value === e.key);
        const node = pair && isScalar(pair.key) ? pair.key : undefined;
        if (node?.range) {
          const pos = lineCounter.linePos(node.range[0]);
          where += `:${pos.line}:${pos.col}`;
        }
      }
      throw new UsageError(`${where}: cannot estimate: ${e.unknown}`);
    }
    const gpu = e.gpuMemory
      ? { bytes: e.gpuMemory.bytes, source: e.gpuMemory.source === 'option' ? '--gpu-memory' : 'gpu_memory_limit' }
      : { bytes: DEFAULT_GPU_MEMORY_GIB * GIB, source: `default ${DEFAULT_GPU_MEMORY_GIB} GB card` };
    const json = estimateJson(e, gpu.bytes);
    if (format === 'json') io.out(JSON.stringify(json) + '\n');
    else io.out(formatReport(e, gpu, json.fits ? [] : fitSuggestions(e, gpu.bytes)));
    return json.fits ? 0 : 1;
  },
};
