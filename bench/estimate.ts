/**
 * The estimator: (1) its cost per config, which the language server pays on every edit, against
 * the `yaml` parse of the same text (the ceiling: the server parses anyway); (2) fit suggestions
 * and the plan (the webview re-plans on every keystroke); (3) its numbers against published figures.
 *
 * Run: `npm run bench -- estimate` (the corpus part needs ../shared/corpus).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parse } from 'yaml';
import { estimateConfig, estimateMemory, fitSuggestions, lookupBuiltinModel, shapeFromConfig, type Estimate, type TrainingSetup } from '../common/estimate/index';
import { DEFAULT_PLAN_INPUTS, plan } from '../common/estimate/plan';
import { chartModel } from '../webviews/plan/chart';
import { filesUnder, YAML_FILE } from '../common/test/corpus';

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * (xs.length - 1) + 0.5))]!;
const ms = (x: number) => `${x.toFixed(3)} ms`;
function time(fn: () => void, n: number, warm = 50): number[] {
  for (let i = 0; i < warm; i++) fn();
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    fn();
    out.push(performance.now() - t);
  }
  return out;
}

// 1. Per-config cost on the real Axolotl examples.
const corpus = join(process.cwd(), '..', 'shared', 'corpus', 'axolotl-examples');
if (existsSync(corpus)) {
  const files = filesUnder(corpus, YAML_FILE);
  const texts = files.map((f) => readFileSync(f, 'utf8'));
  const objects = texts.map((t) => {
    try {
      return parse(t) as unknown;
    } catch {
      return undefined;
    }
  });
  const estimable = objects.filter((o) => o !== undefined && !('unknown' in estimateConfig(o)));
  const est = time(() => estimable.forEach((o) => estimateConfig(o)), 100).map((t) => t / estimable.length);
  const yamlTimes = time(() => texts.forEach((t) => parse(t)), 100).map((t) => t / texts.length);
  console.log(`corpus: ${files.length} configs, ${estimable.length} estimable offline (built-in table), the rest say which model is missing`);
  console.log(`estimateConfig per config   p50 ${ms(pct(est, 0.5))}  p95 ${ms(pct(est, 0.95))}`);
  console.log(`yaml parse per config       p50 ${ms(pct(yamlTimes, 0.5))}  p95 ${ms(pct(yamlTimes, 0.95))}  (ceiling)`);
  console.log(`ratio estimate / parse at p50: ${(pct(est, 0.5) / pct(yamlTimes, 0.5)).toFixed(2)}`);
} else {
  console.log(`corpus part skipped: no ${corpus}`);
}

// 2. Fit suggestions (each re-runs the memory model) and the plan with its chart.
const big = estimateConfig({ base_model: 'meta-llama/Llama-2-7b-hf', sequence_len: 4096, micro_batch_size: 4, optimizer: 'adamw_torch', bf16: true }) as Estimate;
const fit = time(() => fitSuggestions(big, 24 * 2 ** 30), 300);
console.log(`fitSuggestions (7B full FT over 24 GiB, ${fitSuggestions(big, 24 * 2 ** 30).length} suggestions)  p50 ${ms(pct(fit, 0.5))}  p95 ${ms(pct(fit, 0.95))}`);
const inputs = { ...DEFAULT_PLAN_INPUTS, examples: 800, inputPrice: 3, outputPrice: 15, trainTokens: 2e7, tokensPerSecond: 3000, gpuPricePerHour: 2.5 };
const planT = time(() => {
  const r = plan(inputs);
  if (!('errors' in r) && r.costs.curve) chartModel(r.costs.curve, inputs.queriesPerMonth, r.costs.breakEvenQueriesPerMonth);
}, 1000);
console.log(`plan + chart model (one keystroke in the panel)  p50 ${ms(pct(planT, 0.5))}  p95 ${ms(pct(planT, 0.95))}  (frame budget 16.7 ms)`);

// 3. Against published figures.
const GB = 1e9;
const GIB = 2 ** 30;
const shape = (id: string) => {
  const s = shapeFromConfig(lookupBuiltinModel(id)!.config);
  if ('unknown' in s) throw new Error(s.unknown);
  return s;
};
const base: TrainingSetup = {
  method: { kind: 'full' },
  precision: 'bf16',
  fullWeights: '16bit',
  quantization: 'none',
  doubleQuant: true,
  nonQuantizedBytes: 2,
  adapterBytes: 4,
  optimizer: 'adamw_torch',
  microBatch: 1,
  seqLen: 2048,
  gradientCheckpointing: true,
  activationOffloading: false,
  attention: 'flash',
  loraDropout: 0,
  gpus: 1,
  sharding: { kind: 'none' },
  fusedCrossEntropy: false,
};
const mem = (id: string, over: Partial<TrainingSetup>) => {
  const m = estimateMemory(shape(id), { ...base, ...over });
  if ('unknown' in m) throw new Error(m.unknown);
  return m.memory;
};
const states = (m: ReturnType<typeof mem>) => m.weights + m.gradients + m.optimizer;
const qlora = { method: { kind: 'lora', r: 16, targets: 'all-linear' }, quantization: 'nf4', optimizer: 'adamw_8bit' } as const;
const lora16 = { method: { kind: 'lora', r: 16, targets: 'all-linear' }, optimizer: 'adamw_8bit' } as const;
const rows: [string, string, string][] = [
  ['Llama-2-7B full FT, model states, DeepSpeed mixed precision AdamW', `${(states(mem('meta-llama/Llama-2-7b-hf', { fullWeights: '16bit+master' })) / GB).toFixed(1)} GB`, '112-120 GB (16-18 B/param)'],
  ['Llama-2-7B full FT, model states, bf16 HF Trainer AdamW', `${(states(mem('meta-llama/Llama-2-7b-hf', {})) / GB).toFixed(1)} GB`, 'accelerate estimate-memory, float16 training: 53.9 GB (8P)'],
  ['Llama-2-7B QLoRA weights (NF4 + DQ, 16-bit rest, plus 40 M fp32 LoRA parameters)', `${(mem('meta-llama/Llama-2-7b-hf', qlora).weights / GB).toFixed(2)} GB`, '3.87 GB (reference §1.8), "~4 GB"'],
  ['LLaMA-65B QLoRA r=64 all linear, paged AdamW, s=512, total', `${(mem('huggyllama/llama-65b', { ...qlora, method: { kind: 'lora', r: 64, targets: 'all-linear' }, optimizer: 'paged_adamw_32bit', seqLen: 512 }).total / GIB).toFixed(1)} GiB`, 'fits one 48 GB GPU (QLoRA paper)'],
  ['Llama-2-7B QLoRA r=16, s=2048, total', `${(mem('meta-llama/Llama-2-7b-hf', qlora).total / GIB).toFixed(1)} GiB`, 'Unsloth minimum 5 GB; LLaMA-Factory 6 GB'],
  ['Llama-3-8B QLoRA r=16, s=2048, total', `${(mem('meta-llama/Meta-Llama-3-8B', qlora).total / GIB).toFixed(1)} GiB`, 'Unsloth minimum 6 GB'],
  ['Llama-2-7B LoRA 16-bit r=16, s=2048, total', `${(mem('meta-llama/Llama-2-7b-hf', lora16).total / GIB).toFixed(1)} GiB`, 'Unsloth minimum 19 GB; LLaMA-Factory 16 GB'],
  ['Llama-2-70B QLoRA r=16, s=2048, total', `${(mem('meta-llama/Llama-2-70b-hf', qlora).total / GIB).toFixed(1)} GiB`, 'Unsloth minimum 41 GB; LLaMA-Factory 48 GB (65B)'],
];
console.log('\n| case | Tunelab | published |\n|---|---|---|');
for (const [c, t, p] of rows) console.log(`| ${c} | ${t} | ${p} |`);
