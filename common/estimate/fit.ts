/**
 * What would make a config fit a GPU: each change re-run through the same memory model, with the
 * config keys to set. Ordered from the least to the most invasive change, fitting ones first.
 */
import { estimateSetup, type Estimate } from './config';
import { formatBytes } from './format';
import type { TrainingSetup } from './memory';
import { optimizerInfo } from './memory';

/** One change, its config keys, and the estimate with it applied. */
export interface FitSuggestion {
  /** Short name: `gradient checkpointing`, `QLoRA`, `micro_batch_size 2`, ... */
  label: string;
  /** One sentence: what to set and what it costs. */
  detail: string;
  /** Config keys and values to set (null: remove the key). */
  patch: Record<string, unknown>;
  perGpu: number;
  fits: boolean;
}

type Change = { label: string; detail: string; patch: Record<string, unknown>; setup: TrainingSetup; methodLabel?: string };

/** DeepSpeed trains 16-bit weights through an fp32 master copy. */
const deepspeedWeights = (s: TrainingSetup): TrainingSetup['fullWeights'] => (s.precision === 'fp32' ? 'fp32' : '16bit+master');

function candidates(e: Estimate): Change[] {
  const s = e.setup;
  const out: Change[] = [];
  if (!s.gradientCheckpointing) {
    out.push({ label: 'gradient checkpointing', detail: 'set gradient_checkpointing: true (about 20-30 % slower: each layer is recomputed in the backward pass)', patch: { gradient_checkpointing: true }, setup: { ...s, gradientCheckpointing: true } });
  }
  if (s.microBatch > 1) {
    for (let mb = Math.floor(s.microBatch / 2); mb >= 1; mb = Math.floor(mb / 2)) {
      const k = s.microBatch / mb;
      out.push({
        label: `micro_batch_size ${mb}`,
        detail: `set micro_batch_size: ${mb} and multiply gradient_accumulation_steps by ${Number.isInteger(k) ? k : k.toFixed(2)} to keep the effective batch`,
        patch: { micro_batch_size: mb },
        setup: { ...s, microBatch: mb },
      });
      if (mb === 1) break;
    }
  }
  const opt = optimizerInfo(s.optimizer);
  if (opt.bytesPerParam >= 8 && e.params.trainable > 1e8) {
    out.push({ label: '8-bit optimizer', detail: 'set optimizer: paged_adamw_8bit (8-bit AdamW states, paged to CPU under pressure)', patch: { optimizer: 'paged_adamw_8bit' }, setup: { ...s, optimizer: 'paged_adamw_8bit' } });
  }
  if (!s.fusedCrossEntropy && e.memory.logits > 2 ** 30) {
    out.push({
      label: 'cut cross-entropy',
      detail: 'enable the CutCrossEntropyPlugin (plugins + cut_cross_entropy: true) so the full logits are never materialised',
      patch: { plugins: ['axolotl.integrations.cut_cross_entropy.CutCrossEntropyPlugin'], cut_cross_entropy: true },
      setup: { ...s, fusedCrossEntropy: true },
    });
  }
  const z3 = (s.sharding.kind === 'zero' && s.sharding.stage === 3) || (s.sharding.kind === 'fsdp' && s.sharding.fullShard);
  if (!z3 && s.gpus > 1) {
    out.push({
      label: 'ZeRO-3',
      detail: `shard weights, gradients and optimizer states over the ${s.gpus} GPUs: deepspeed: deepspeed_configs/zero3_bf16.json`,
      patch: { deepspeed: 'deepspeed_configs/zero3_bf16.json' },
      setup: { ...s, fullWeights: deepspeedWeights(s), sharding: { kind: 'zero', stage: 3, offloadOptimizer: false, offloadParams: false } },
    });
  }
  if (s.quantization !== 'nf4' && (s.method.kind === 'full' || s.method.kind === 'lora')) {
    const r = s.method.kind === 'lora' ? s.method.r : 16;
    const targets = s.method.kind === 'lora' ? s.method.targets : 'all-linear';
    const patch: Record<string, unknown> = { adapter: 'qlora', load_in_4bit: true, load_in_8bit: false };
    if (s.method.kind === 'full') Object.assign(patch, { lora_r: 16, lora_alpha: 32, lora_dropout: 0.05, lora_target_linear: true });
    out.push({
      label: 'QLoRA',
      detail: `train LoRA adapters on a 4-bit NF4 base: ${Object.entries(patch).map(([k, v]) => `${k}: ${v}`).join(', ')}`,
      patch,
      setup: { ...s, method: { ...(s.method.kind === 'lora' ? s.method : {}), kind: 'lora', r, targets }, quantization: 'nf4', doubleQuant: true, loraDropout: s.method.kind === 'lora' ? s.loraDropout : 0.05 },
      methodLabel: 'qlora',
    });
  }
  if (!(s.sharding.kind === 'zero' && s.sharding.offloadOptimizer) && s.gpus === 1 && (e.methodLabel === 'full' || e.memory.optimizer > 2 ** 30)) {
    out.push({
      label: 'ZeRO-3 with CPU offload',
      detail: 'move optimizer states and parameters to CPU memory: deepspeed: deepspeed_configs/zero3_bf16_cpuoffload_all.json (needs ample CPU RAM; much slower)',
      patch: { deepspeed: 'deepspeed_configs/zero3_bf16_cpuoffload_all.json' },
      setup: { ...s, fullWeights: deepspeedWeights(s), sharding: { kind: 'zero', stage: 3, offloadOptimizer: true, offloadParams: true } },
    });
  }
  return out;
}

/**
 * Suggestions to fit `gpuMemoryBytes` per GPU, each with its own estimate. Fitting suggestions
 * come first (least invasive first); when no single change fits, a last entry adds changes in
 * that order until the estimate fits (or all are used).
 * Empty when the estimate already fits.
 */
export function fitSuggestions(e: Estimate, gpuMemoryBytes: number): FitSuggestion[] {
  if (e.perGpu <= gpuMemoryBytes) return [];
  const all = candidates(e);
  const results: (FitSuggestion & { order: number })[] = [];
  all.forEach((c, order) => {
    const r = estimateSetup(e.shape, c.setup, e.model, c.methodLabel ?? e.methodLabel, e.gpuMemory);
    if ('unknown' in r) return;
    results.push({ label: c.label, detail: c.detail, patch: c.patch, perGpu: r.perGpu, fits: r.perGpu <= gpuMemoryBytes, order });
  });
  // Of the micro-batch options keep the largest that fits, or the smallest if none does.
  const mbs = results.filter((r) => r.label.startsWith('micro_batch_size'));
  const keepMb = mbs.find((r) => r.fits) ?? mbs[mbs.length - 1];
  const kept = results.filter((r) => !r.label.startsWith('micro_batch_size') || r === keepMb);
  kept.sort((a, b) => Number(b.fits) - Number(a.fits) || a.order - b.order);
  if (kept.length > 1 && !kept.some((r) => r.fits)) {
    // No single change fits: add changes in order (smallest micro-batch) until the estimate fits,
    // then drop any that the rest do not need.
    const pool = all.filter((c) => !c.label.startsWith('micro_batch_size') || c.setup.microBatch === 1);
    const applied: Change[] = [];
    let best = combine(e, applied, gpuMemoryBytes);
    for (const c of pool) {
      applied.push(c);
      best = combine(e, applied, gpuMemoryBytes);
      if (!best || best.fits) break;
    }
    if (best?.fits) {
      for (let i = applied.length - 2; i >= 0; i--) {
        const without = applied.filter((_, j) => j !== i);
        const r = combine(e, without, gpuMemoryBytes);
        if (r?.fits) {
          applied.splice(i, 1);
          best = r;
        }
      }
    }
    if (best && applied.length > 1) {
      const labels = applied.map((c) => c.label);
      kept.push({ label: labels.join(' + '), detail: `combine ${labels.join(', ')}`, patch: Object.assign({}, ...applied.map((c) => c.patch)), perGpu: best.perGpu, fits: best.fits, order: all.length });
      kept.sort((a, b) => Number(b.fits) - Number(a.fits) || a.order - b.order);
    }
  }
  return kept.map(({ order: _order, ...rest }) => rest);
}

/** The estimate with several changes applied together. */
function combine(e: Estimate, changes: Change[], gpuMemoryBytes: number): { perGpu: number; fits: boolean } | undefined {
  let setup = e.setup;
  let methodLabel = e.methodLabel;
  for (const c of changes) {
    setup = merge(setup, c.setup, e.setup);
    if (c.methodLabel) methodLabel = c.methodLabel;
  }
  const r = estimateSetup(e.shape, setup, e.model, methodLabel, e.gpuMemory);
  return 'unknown' in r ? undefined : { perGpu: r.perGpu, fits: r.perGpu <= gpuMemoryBytes };
}

/** Applies the fields `changed` differs from `original` in onto `acc`. */
function merge(acc: TrainingSetup, changed: TrainingSetup, original: TrainingSetup): TrainingSetup {
  const out: Record<string, unknown> = { ...acc };
  for (const k of Object.keys(changed) as (keyof TrainingSetup)[]) if (changed[k] !== original[k]) out[k] = changed[k];
  return out as unknown as TrainingSetup;
}

/** The warning text for a config that does not fit, naming what would. */
export function formatFitWarning(e: Estimate, gpuMemoryBytes: number, suggestions: FitSuggestion[] = fitSuggestions(e, gpuMemoryBytes)): string {
  const head = `Estimated ${formatBytes(e.perGpu)} per GPU exceeds ${formatBytes(gpuMemoryBytes)}.`;
  const fitting = suggestions.filter((s) => s.fits);
  if (fitting.length === 0) {
    const best = [...suggestions].sort((a, b) => a.perGpu - b.perGpu)[0];
    return best ? `${head} Even ${best.label} only gets to ${formatBytes(best.perGpu)}; use more GPUs or a smaller model.` : `${head} Use more GPUs or a smaller model.`;
  }
  return `${head} Would fit: ${fitting.map((s) => `${s.label} (≈ ${formatBytes(s.perGpu)})`).join('; ')}.`;
}
