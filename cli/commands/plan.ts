import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { UsageError, type CliCommand, type CliIo } from '../command';
import { formatOption, numberOption, parse } from '../args';
import { DEFAULT_PLAN_INPUTS, plan, type PlanInputs } from '../../common/estimate/plan';
import { formatPlanText } from '../../common/estimate/planFormat';
import { parseEvent } from '../../common/protocol/events';
import { resolveLocalPath } from '../../common/paths';
import { validateDatasetFile } from '../../common/dataset/file';

const USAGE = `Usage: tunelab plan [options]

Fine-tune or prompt? A recommendation following the decision framework, with the reasons, the
break-even query volume and the monthly cost of both options. Prices are yours to give: Tunelab
keeps no price list.

Task:
  --task-complexity low|medium|high   default medium
  --examples N                        labelled examples you have (default 0, or counted from --config)
  --requirements stable|changing      default stable
  --consistency strict|normal         default normal
Per query:
  --prompt-tokens N         system prompt + few-shot tokens fine-tuning removes (default 1000)
  --query-tokens N          the user's own input tokens (default 200)
  --output-tokens N         generated tokens (default 200)
  --queries-per-month N     default 10000
  --input-price USD         per million input tokens
  --output-price USD        per million output tokens
  --ft-input-price USD      the fine-tuned model's prices, when they differ
  --ft-output-price USD
Training:
  --train-tokens N          dataset tokens × epochs
  --config CONFIG           infer examples and training tokens from the config's local datasets
                            (≈ 4 characters per token) × num_epochs, and tokens/s from a previous
                            run's <output_dir>/events.jsonl
  --tokens-per-s N          training throughput of the whole job
  --gpu-price USD           per GPU-hour
  --gpus N                  GPUs the job uses (default 1)
  --amortize-months N       months the training cost is spread over (default 12)
  --hosting-per-month USD   fixed cost of serving the fine-tuned model yourself (default 0)
  --format text|json`;

const OPTIONS = {
  'task-complexity': { type: 'string' },
  examples: { type: 'string' },
  requirements: { type: 'string' },
  consistency: { type: 'string' },
  'prompt-tokens': { type: 'string' },
  'query-tokens': { type: 'string' },
  'output-tokens': { type: 'string' },
  'queries-per-month': { type: 'string' },
  'input-price': { type: 'string' },
  'output-price': { type: 'string' },
  'ft-input-price': { type: 'string' },
  'ft-output-price': { type: 'string' },
  'train-tokens': { type: 'string' },
  config: { type: 'string' },
  'tokens-per-s': { type: 'string' },
  'gpu-price': { type: 'string' },
  gpus: { type: 'string' },
  'amortize-months': { type: 'string' },
  'hosting-per-month': { type: 'string' },
  format: { type: 'string' },
} as const;

function choice<T extends string>(name: string, v: string | undefined, allowed: readonly T[]): T | undefined {
  if (v === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(v)) throw new UsageError(`--${name} must be one of ${allowed.join(', ')}, got '${v}'`);
  return v as T;
}

/** What a config tells the plan: examples, training tokens, measured throughput. */
export interface ConfigFacts {
  examples?: number;
  trainTokens?: number;
  tokensPerSecond?: number;
  notes: string[];
}

/** Reads the config's local datasets through the dataset checks, and a previous run's events. */
export async function factsFromConfig(configPath: string, io: CliIo): Promise<ConfigFacts> {
  const cfg = parseYaml(readFileSync(configPath, 'utf8')) as unknown;
  if (typeof cfg !== 'object' || cfg === null || Array.isArray(cfg)) throw new UsageError(`${configPath}: not a config (expected a mapping)`);
  const c = cfg as Record<string, unknown>;
  const facts: ConfigFacts = { notes: [] };
  const bases = { configDir: dirname(configPath), cwd: io.cwd };
  const datasets = Array.isArray(c.datasets) ? c.datasets : [];
  let records = 0;
  let chars = 0;
  let counted = 0;
  for (const d of datasets) {
    if (typeof d !== 'object' || d === null) continue;
    const entry = d as Record<string, unknown>;
    const p = typeof entry.path === 'string' ? entry.path : undefined;
    if (!p) continue;
    const local = resolveLocalPath(p, bases);
    if (!local.exists || !statSync(local.path).isFile()) {
      facts.notes.push(`dataset ${p} is not a local file; not counted`);
      continue;
    }
    const report = await validateDatasetFile(local.path, { entry: entry as never, duplicates: false, maxDiagnostics: 0 });
    records += report.summary.records - report.summary.invalidRecords;
    chars += report.summary.charsPerRecord?.total ?? 0;
    counted++;
  }
  if (counted > 0) {
    const epochs = typeof c.num_epochs === 'number' && c.num_epochs > 0 ? c.num_epochs : 1;
    facts.examples = records;
    facts.trainTokens = Math.max(1, Math.round((chars / 4) * epochs));
    facts.notes.push(`${records.toLocaleString('en-US')} examples and ≈ ${facts.trainTokens.toLocaleString('en-US')} training tokens from ${counted} local dataset file${counted === 1 ? '' : 's'} (≈ 4 characters per token × ${epochs} epoch${epochs === 1 ? '' : 's'})`);
  }
  const out = typeof c.output_dir === 'string' ? resolve(dirname(configPath), c.output_dir) : undefined;
  const events = out ? join(out, 'events.jsonl') : undefined;
  if (events && existsSync(events)) {
    const rates: number[] = [];
    for (const line of readFileSync(events, 'utf8').split('\n')) {
      if (!line.trim()) continue;
      const e = parseEvent(line);
      if ('type' in e && e.type === 'step' && typeof e.tokens_per_s === 'number' && e.tokens_per_s > 0) rates.push(e.tokens_per_s);
    }
    if (rates.length > 0) {
      rates.sort((a, b) => a - b);
      facts.tokensPerSecond = rates[Math.floor(rates.length / 2)]!;
      facts.notes.push(`throughput ${Math.round(facts.tokensPerSecond).toLocaleString('en-US')} tokens/s: the median of ${rates.length} steps in ${events}`);
    }
  }
  return facts;
}

export const planCommand: CliCommand = {
  name: 'plan',
  summary: 'Fine-tune or prompt? A recommendation with a cost comparison',
  usage: USAGE,
  async run(args, io) {
    const { values: v, positionals } = parse(args, OPTIONS);
    if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}' (plan takes options only; see --help)`);
    const format = formatOption(v.format, ['text', 'json'] as const, 'text');
    if (v['train-tokens'] !== undefined && v.config !== undefined) throw new UsageError('give --train-tokens or --config, not both');
    const n = (name: keyof typeof OPTIONS, opts: { integer?: boolean; min?: number } = {}) => numberOption(name, v[name], { min: 0, ...opts });
    const facts: ConfigFacts = v.config ? await factsFromConfig(resolve(io.cwd, v.config), io) : { notes: [] };
    const inputs: PlanInputs = { ...DEFAULT_PLAN_INPUTS };
    const set = <K extends keyof PlanInputs>(k: K, x: PlanInputs[K] | undefined) => {
      if (x !== undefined) inputs[k] = x;
    };
    set('examples', facts.examples);
    set('trainTokens', facts.trainTokens);
    set('tokensPerSecond', facts.tokensPerSecond);
    set('taskComplexity', choice('task-complexity', v['task-complexity'], ['low', 'medium', 'high'] as const));
    set('examples', n('examples', { integer: true }));
    set('requirements', choice('requirements', v.requirements, ['stable', 'changing'] as const));
    set('consistency', choice('consistency', v.consistency, ['strict', 'normal'] as const));
    set('promptTokens', n('prompt-tokens', { integer: true }));
    set('queryTokens', n('query-tokens', { integer: true }));
    set('outputTokens', n('output-tokens', { integer: true }));
    set('queriesPerMonth', n('queries-per-month'));
    set('inputPrice', n('input-price'));
    set('outputPrice', n('output-price'));
    set('fineTunedInputPrice', n('ft-input-price'));
    set('fineTunedOutputPrice', n('ft-output-price'));
    set('trainTokens', n('train-tokens', { min: 1 }));
    set('tokensPerSecond', n('tokens-per-s'));
    set('gpuPricePerHour', n('gpu-price'));
    set('gpus', n('gpus', { integer: true, min: 1 }));
    set('amortizeMonths', n('amortize-months', { min: 1 }));
    set('hostingPerMonth', n('hosting-per-month'));
    const result = plan(inputs);
    if ('errors' in result) throw new UsageError(result.errors.map((e) => e.message).join('; '));
    result.assumptions.unshift(...facts.notes);
    if (format === 'json') io.out(JSON.stringify({ inputs, ...result }) + '\n');
    else io.out(formatPlanText(inputs, result));
    return 0;
  },
};
