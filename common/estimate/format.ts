/**
 * Human-readable forms of an estimate: the one-line code lens, the markdown hover breakdown, and
 * the sizes inside them. Sizes are binary (GiB = 2^30 bytes), the unit nvidia-smi and GPU
 * datasheets effectively use ("24 GB" cards hold 24 GiB).
 */
import type { Estimate } from './config';

const GIB = 2 ** 30;
const MIB = 2 ** 20;

/** `9.8 GiB`, `512 MiB`, `121 GiB`: three significant digits at most. */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return 'unknown';
  if (bytes >= GIB) return `${sig(bytes / GIB)} GiB`;
  if (bytes >= MIB) return `${sig(bytes / MIB)} MiB`;
  if (bytes >= 1024) return `${sig(bytes / 1024)} KiB`;
  return `${Math.round(bytes)} B`;
}

function sig(x: number): string {
  if (x >= 100) return String(Math.round(x));
  if (x >= 10) return (Math.round(x * 10) / 10).toString();
  return (Math.round(x * 100) / 100).toString();
}

/** `4.2 M`, `6.74 B`, `81.9 K`, `614`. */
export function formatCount(n: number): string {
  if (!Number.isFinite(n)) return 'unknown';
  const abs = Math.abs(n);
  if (abs >= 1e9) return `${sig(n / 1e9)} B`;
  if (abs >= 1e6) return `${sig(n / 1e6)} M`;
  if (abs >= 1e3) return `${sig(n / 1e3)} K`;
  return String(n);
}

/** `0.06 %`, `100 %`, `<0.01 %`. */
export function formatPercent(part: number, whole: number): string {
  if (whole <= 0) return 'unknown';
  const p = (100 * part) / whole;
  if (p > 0 && p < 0.01) return '<0.01 %';
  if (p >= 99.995) return '100 %';
  return `${p < 10 ? p.toFixed(2) : p.toFixed(1)} %`;
}

/** The code lens line: `≈ 9.8 GiB per GPU · LoRA · 4.2 M trainable (0.06 %)`. */
export function formatLens(e: Estimate): string {
  return `≈ ${formatBytes(e.perGpu)} per GPU · ${METHOD_SHORT[e.methodLabel] ?? e.methodLabel} · ${formatCount(e.params.trainable)} trainable (${formatPercent(e.params.trainable, e.params.total)})`;
}

/** The method as the one-line lens names it (the hover says it in full). */
const METHOD_SHORT: Record<string, string> = {
  full: 'full fine-tuning',
  lora: 'LoRA',
  qlora: 'QLoRA',
  'lora-8bit': '8-bit LoRA',
  prefix: 'prefix tuning',
  prompt: 'prompt tuning',
  ia3: 'IA3',
  bottleneck: 'bottleneck adapters',
  'llama-adapter': 'LLaMA-Adapter',
};

const METHOD_NAMES: Record<string, string> = {
  full: 'full fine-tuning',
  lora: 'LoRA',
  qlora: 'QLoRA (NF4 base)',
  'lora-8bit': 'LoRA on an 8-bit base',
  prefix: 'prefix tuning',
  prompt: 'prompt tuning',
  ia3: 'IA3',
  bottleneck: 'bottleneck adapters',
  'llama-adapter': 'LLaMA-Adapter',
};

/** The method in words, e.g. `QLoRA (NF4 base)`. */
export const methodName = (label: string) => METHOD_NAMES[label] ?? label;

function shardingName(e: Estimate): string {
  const s = e.setup.sharding;
  const gpus = `${e.setup.gpus} GPU${e.setup.gpus === 1 ? '' : 's'}`;
  if (s.kind === 'zero') return `DeepSpeed ZeRO-${s.stage}${s.offloadOptimizer ? ', optimizer offloaded' : ''}${s.offloadParams ? ', parameters offloaded' : ''} over ${gpus}`;
  if (s.kind === 'fsdp') return `FSDP ${s.fullShard ? 'full shard' : 'shard grad/optimizer'}${s.offloadParams ? ', CPU offload' : ''} over ${gpus}`;
  return e.setup.gpus > 1 ? `data parallel over ${gpus}` : '1 GPU';
}

/** The rows of the breakdown: label, bytes. */
export function breakdownRows(e: Estimate): [string, number][] {
  const s = e.setup;
  const q = s.quantization === 'nf4' ? `NF4${s.doubleQuant ? ' + double quant' : ''} base` : s.quantization === 'int8' ? '8-bit base' : s.quantization === 'fp4' ? 'FP4 base' : `${s.precision} base`;
  const weights = e.methodLabel === 'full' ? `weights (${s.fullWeights === 'fp32' ? 'fp32' : s.precision})` : `weights (${q}, ${s.adapterBytes === 4 ? 'fp32' : '16-bit'} adapters)`;
  const tokens = `${s.microBatch} × ${s.seqLen.toLocaleString('en-US')} tokens`;
  return [
    [weights, e.memory.weights],
    ['gradients', e.memory.gradients],
    [`optimizer states (${s.optimizer}${e.methodLabel === 'full' && s.fullWeights === '16bit+master' ? ', with fp32 master weights' : ''})`, e.memory.optimizer],
    [`activations (${tokens}${s.gradientCheckpointing ? ', checkpointed' : ''}${s.attention === 'eager' ? ', eager attention' : ''})`, e.memory.activations],
    [s.fusedCrossEntropy ? 'logits (fused cross-entropy)' : 'logits and their gradient (fp32)', e.memory.logits],
    ['buffers (gathered layers, communication, dequantisation)', e.memory.buffers],
    ['framework overhead (CUDA context, allocator)', e.memory.overhead],
  ];
}

/** Markdown for a hover: the breakdown table, parameters, the fit, and the assumptions. */
export function formatBreakdown(e: Estimate): string {
  const lines = [
    `**≈ ${formatBytes(e.perGpu)} per GPU** — ${methodName(e.methodLabel)}, ${shardingName(e)}`,
    '',
    '| | memory |',
    '|---|---:|',
    ...breakdownRows(e)
      .filter(([, b]) => b > 0)
      .map(([label, b]) => `| ${label} | ${formatBytes(b)} |`),
    `| **total per GPU** | **${formatBytes(e.perGpu)}** |`,
    '',
    `Parameters: ${e.params.total.toLocaleString('en-US')} total, ${e.params.trainable.toLocaleString('en-US')} trainable (${formatPercent(e.params.trainable, e.params.total)}). ` +
      `Model facts: ${e.model.kind === 'builtin' ? `built-in table (${e.model.from})` : e.model.kind === 'hf-cache' ? `Hugging Face cache (${e.model.from})` : e.model.from}.`,
  ];
  if (e.gpuMemory) {
    const over = e.perGpu - e.gpuMemory.bytes;
    const src = e.gpuMemory.source === 'config' ? 'gpu_memory_limit' : 'GPU memory setting';
    lines.push('', over > 0 ? `Exceeds the ${formatBytes(e.gpuMemory.bytes)} ${src} by ${formatBytes(over)}.` : `Fits the ${formatBytes(e.gpuMemory.bytes)} ${src} with ${formatBytes(-over)} to spare.`);
  }
  if (e.notes.length > 0) lines.push('', 'Assumptions:', ...e.notes.map((n) => `- ${n}`));
  return lines.join('\n');
}

/** `NousResearch/Llama-2-7b-hf (built-in table: meta-llama/Llama-2-7b-hf)`, or the config.json read. */
function modelLine(e: Estimate): string {
  if (e.model.kind === 'local') return e.model.from;
  const where = e.model.kind === 'builtin' ? 'built-in table' : `Hugging Face cache: ${e.model.from}`;
  if (e.model.kind === 'builtin' && e.model.requested.toLowerCase() !== e.model.from.toLowerCase()) return `${e.model.requested} (${where}: ${e.model.from})`;
  return `${e.model.requested} (${where})`;
}

/**
 * The plain-text report `tunelab estimate` prints: the model and method, the parameters, the
 * breakdown as aligned columns, whether it fits `gpuMemoryBytes` and the assumptions.
 */
export function formatReport(e: Estimate, gpu: { bytes: number; source: string }, suggestions: { label: string; perGpu: number; fits: boolean; detail: string }[] = []): string {
  const rows = breakdownRows(e).filter(([, b]) => b > 0);
  const width = Math.max(...rows.map(([l]) => l.length), 'total per GPU'.length);
  const num = (b: number) => formatBytes(b).padStart(9);
  const lines = [
    `model       ${modelLine(e)}, ${e.shape.modelType}`,
    `method      ${methodName(e.methodLabel)}, ${shardingName(e)}`,
    `parameters  ${e.params.total.toLocaleString('en-US')} total, ${e.params.trainable.toLocaleString('en-US')} trainable (${formatPercent(e.params.trainable, e.params.total)})`,
    '',
    'memory per GPU',
    ...rows.map(([l, b]) => `  ${l.padEnd(width)}  ${num(b)}`),
    `  ${'total per GPU'.padEnd(width)}  ${num(e.perGpu)}`,
    '',
  ];
  const over = e.perGpu - gpu.bytes;
  lines.push(over > 0 ? `does not fit: ${formatBytes(gpu.bytes)} (${gpu.source}) is exceeded by ${formatBytes(over)}` : `fits: ${formatBytes(gpu.bytes)} (${gpu.source}) with ${formatBytes(-over)} to spare`);
  if (suggestions.length > 0) {
    lines.push('what would help:');
    for (const s of suggestions) lines.push(`  ${s.fits ? 'fits ' : 'still'}  ≈ ${formatBytes(s.perGpu).padStart(9)}  ${s.label}: ${s.detail}`);
  }
  if (e.notes.length > 0) lines.push('assumptions:', ...e.notes.map((n) => `  - ${n}`));
  return lines.join('\n') + '\n';
}
