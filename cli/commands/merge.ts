import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseConfig } from '../../common/config/index';
import { validateMergeConfig } from '../../common/merge/index';
import { nodeMergeFs } from '../../common/merge/nodeFs';
import { severityName } from '../../common/diagnostics';
import { DEFAULT_MERGE_SEED, MergeError, RUNNABLE_METHODS, runMerge } from '../../trainer/index';
import { numberOption, parse } from '../args';
import { UsageError, type CliCommand } from '../command';

const USAGE = `Usage: tunelab merge CONFIG.yml --out DIR [--seed N] [--max-shard-size SIZE] [--overwrite] [--quiet]

Runs a mergekit merge config (the YAML mergekit-yaml reads) on local Hugging Face model folders and
writes the merged model as a Hugging Face folder (config.json, safetensors shards, tokenizer files,
mergekit_config.yml and a README) that tunelab generate, eval and train load.

Methods: ${RUNNABLE_METHODS.join(', ')}.
Models: local folders (safetensors, sharded or not), BASE+LORA to merge a PEFT LoRA adapter in
first, or an adapter folder alone (its recorded base, or base_model). Hub ids must be downloaded first.
Tensors are merged one at a time (memory: about one tensor per input); the folder is written under a
temporary name and renamed when complete.

  --out DIR               where to write the merged model
  --seed N                seed of the random drop masks of dare_* and della* (default ${DEFAULT_MERGE_SEED}; recorded in the README)
  --max-shard-size SIZE   largest weight shard, bytes or with K/M/G (default 5G)
  --overwrite             replace DIR when it exists and is not empty
  --quiet                 no progress on stderr

Exit codes: 0 merged, 1 the config has errors (listed file:line:col), 2 usage or I/O error.`;

/** "5G", "500M", "1024" → bytes. */
function sizeOption(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const m = /^(\d+(?:\.\d+)?)\s*([KMG]i?B?|B)?$/i.exec(value.trim());
  if (!m) throw new UsageError(`--max-shard-size must be bytes or a size such as 500M or 5G, got '${value}'`);
  const unit = (m[2] ?? '').toUpperCase()[0];
  const bytes = Number(m[1]) * (unit === 'K' ? 1e3 : unit === 'M' ? 1e6 : unit === 'G' ? 1e9 : 1);
  if (bytes < 1) throw new UsageError(`--max-shard-size must be at least 1 byte, got '${value}'`);
  return Math.floor(bytes);
}

export const mergeCommand: CliCommand = {
  name: 'merge',
  summary: 'Merge models with a mergekit config',
  usage: USAGE,
  async run(args, io) {
    const { values, positionals } = parse(args, {
      out: { type: 'string' },
      seed: { type: 'string' },
      'max-shard-size': { type: 'string' },
      overwrite: { type: 'boolean', default: false },
      quiet: { type: 'boolean', default: false },
    });
    if (positionals.length !== 1) throw new UsageError('expected exactly one CONFIG path');
    if (!values.out) throw new UsageError('--out DIR is required');
    const seed = numberOption('seed', values.seed, { integer: true, min: 0 });
    const maxShardBytes = sizeOption(values['max-shard-size']);
    const configPath = resolve(io.cwd, positionals[0]!);
    let text: string;
    try {
      text = readFileSync(configPath, 'utf8');
    } catch (e) {
      throw new UsageError(`${positionals[0]}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'not found' : (e as Error).message}`);
    }
    // The same checks as the editor, at their lines, before any tensor is read.
    const doc = parseConfig(text);
    const diags = validateMergeConfig(doc, { configPath, cwd: io.cwd, fs: nodeMergeFs, requireRunnable: true });
    for (const d of diags) io.err(`${positionals[0]}:${d.range.start.line + 1}:${d.range.start.character + 1}: ${severityName(d.severity)} ${d.message} [${String(d.code)}]\n`);
    if (diags.some((d) => d.severity === 1)) return 1;
    const started = Date.now();
    let lastReport = 0;
    try {
      const r = runMerge({
        configPath,
        outDir: values.out,
        cwd: io.cwd,
        seed,
        maxShardBytes,
        overwrite: values.overwrite,
        onProgress(done, total, name, bytesDone, bytesTotal) {
          if (values.quiet || bytesTotal < 50e6) return;
          const now = Date.now();
          if (now - lastReport < 1000 && done < total) return;
          lastReport = now;
          io.err(`merge: ${done}/${total} tensors, ${(bytesDone / 1e6).toFixed(0)}/${(bytesTotal / 1e6).toFixed(0)} MB (${name})\n`);
        },
      });
      const secs = ((Date.now() - started) / 1000).toFixed(1);
      io.out(`merged ${r.tensors} tensors (${r.layers} layers, ${r.method}, ${r.dtype}, seed ${r.seed}) into ${values.out} in ${secs} s: ${r.files.join(', ')}\n`);
      return 0;
    } catch (e) {
      if (e instanceof MergeError) throw new UsageError(e.message);
      throw e;
    }
  },
};
