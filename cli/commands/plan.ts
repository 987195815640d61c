import { resolve } from 'node:path';
import { UsageError, type CliCommand } from '../command';
import { formatOption, numberOption, parse } from '../args';
import { DEFAULT_PLAN_INPUTS, plan, type PlanInputs } from '../../common/estimate/plan';
import { formatPlanText } from '../../common/estimate/planFormat';
import { factsFromConfig, type ConfigFacts } from '../../common/estimate/planFacts';

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
                            × num_epochs (tokenised as training will when the base model is a local
                            folder with tokenizer.json, else ≈ 4 characters per token), and tokens/s
                            from a previous run's <output_dir>/events.jsonl
  --tokens-per-s N          training throughput of the whole job
  --gpu-price USD           per GPU-hour
  --train-price USD         hosted fine-tuning priced per million training tokens (replaces
                            --gpu-price × time)
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
  'train-price': { type: 'string' },
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

/** factsFromConfig with its failures as usage errors (exit 2, one line). */
async function configFacts(path: string, cwd: string): Promise<ConfigFacts> {
  const f = await factsFromConfig(path, cwd);
  if ('error' in f) throw new UsageError(f.error);
  return f;
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
    const facts: ConfigFacts = v.config ? await configFacts(resolve(io.cwd, v.config), io.cwd) : { notes: [] };
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
    set('trainPricePerMTok', n('train-price'));
    set('gpus', n('gpus', { integer: true, min: 1 }));
    set('amortizeMonths', n('amortize-months', { min: 1 }));
    set('hostingPerMonth', n('hosting-per-month'));
    const result = plan(inputs);
    if ('errors' in result) throw new UsageError(result.errors.map((e) => e.message).join('; '));
    if (facts.examples !== undefined && v.examples !== undefined) facts.notes.push(`--examples ${v.examples} used instead of the ${facts.examples.toLocaleString('en-US')} counted in the config's datasets`);
    result.assumptions.unshift(...facts.notes);
    if (format === 'json') io.out(JSON.stringify({ inputs, ...result }) + '\n');
    else io.out(formatPlanText(inputs, result));
    return 0;
  },
};
