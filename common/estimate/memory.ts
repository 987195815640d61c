/**
 * GPU memory per device for one training setup, with its breakdown.
 *
 * The model (see docs in ../shared/reference/estimators-evals.md §1):
 * - Weights: 4 B (fp32) or 2 B (bf16/fp16) per parameter; 8-bit linear layers 1 B plus an fp32
 *   scale per output row; NF4 4.5 bits, or 4.127 with double quantisation. Parameters that are not
 *   quantised (embeddings, head, norms) stay at `nonQuantizedBytes` (PEFT's
 *   prepare_model_for_kbit_training casts them to fp32). Adapters at `adapterBytes` (fp32 by PEFT's
 *   autocast_adapter_dtype).
 * - Full fine-tuning, by `fullWeights`: `fp32` 4 + 4 + 8 B/param (AdamW); `16bit`, what the HF
 *   Trainer does with a model loaded in bf16 (Axolotl's default without DeepSpeed): 16-bit weights,
 *   gradients and, for PyTorch's own optimizers, 16-bit states (2 + 2 + 4 = accelerate's 8P "float16
 *   training" figure); `16bit+master`, DeepSpeed's mixed precision as in the ZeRO paper: 16-bit
 *   weights and gradients, an fp32 master copy and fp32 states (2 + 2 + 12 = 16 B/param).
 *   bitsandbytes optimizers keep their own state dtype (8-bit, or fp32 for the 32-bit ones).
 * - Activations per micro-batch b and sequence length s, per layer, 16-bit: for gated-MLP blocks
 *   2sb(5h + 2·q_dim + 2·kv_dim + 4·i·k) with k active experts (FlashAttention/SDPA: no s² term;
 *   eager attention adds 6·heads·s²·b); GPT-2 blocks follow Korthikanti et al. (34sbh + 5as²b with
 *   eager attention). Gradient checkpointing keeps each layer's input (2sbh) plus one layer's
 *   working set. LoRA adds r-wide intermediates and, with dropout, a dropped copy of each targeted
 *   input and its mask.
 * - Logits: b·s·V·8 bytes (fp32 logits and their gradient) unless a fused cross-entropy is used.
 * - Overhead: a fixed CUDA context and allocator reserve.
 * - Sharding over N GPUs: ZeRO-1 optimizer/N; ZeRO-2 also gradients/N; ZeRO-3 and FSDP full-shard
 *   everything/N plus two gathered layers; CPU offload removes what it moves off the GPU.
 */
import { baseParams, trainableParams, type Method } from './params';
import type { ModelShape } from './shape';

export type Precision = 'fp32' | 'bf16' | 'fp16';
export type Quantization = 'none' | 'int8' | 'nf4' | 'fp4';

/** How state is split across GPUs. */
export type Sharding =
  | { kind: 'none' }
  | { kind: 'zero'; stage: 0 | 1 | 2 | 3; offloadOptimizer: boolean; offloadParams: boolean }
  | { kind: 'fsdp'; fullShard: boolean; offloadParams: boolean };

/** Everything the memory model needs besides the shape. */
export interface TrainingSetup {
  method: Method;
  /** Compute dtype: activations (fp32: 4 bytes, else 2) and a LoRA base's unquantised weights. */
  precision: Precision;
  /** Full fine-tuning only: how the trainable weights are kept (see the module comment). */
  fullWeights: 'fp32' | '16bit' | '16bit+master';
  quantization: Quantization;
  /** NF4/FP4 double quantisation of the block constants (QLoRA: true). */
  doubleQuant: boolean;
  /** Bytes per non-quantised base parameter when the base is quantised (4: PEFT casts to fp32). */
  nonQuantizedBytes: 2 | 4;
  /** Bytes per adapter parameter (4: PEFT's autocast_adapter_dtype). */
  adapterBytes: 2 | 4;
  /** Optimizer name as in Axolotl / transformers (adamw_torch, paged_adamw_8bit, ...). */
  optimizer: string;
  microBatch: number;
  seqLen: number;
  gradientCheckpointing: boolean;
  /** Checkpointed layer inputs moved to CPU (Axolotl's activation_offloading). */
  activationOffloading: boolean;
  /** 'flash' covers FlashAttention and SDPA's fused kernels (no s² matrix); 'eager' materialises it. */
  attention: 'flash' | 'eager';
  loraDropout: number;
  gpus: number;
  sharding: Sharding;
  /** Cut cross-entropy / Liger fused linear cross-entropy: the full logits are never materialised. */
  fusedCrossEntropy: boolean;
}

/** Bytes on one GPU. `total` is their sum. */
export interface MemoryBreakdown {
  weights: number;
  gradients: number;
  optimizer: number;
  activations: number;
  /** Logits and their gradient for the loss. */
  logits: number;
  /** Gathered layers (ZeRO-3/FSDP), communication buckets, DDP gradient buckets, dequantisation buffers. */
  buffers: number;
  /** CUDA context, cuBLAS workspaces and the allocator's reserve. */
  overhead: number;
  total: number;
}

/** Optimizer state bytes per trainable parameter (not counting an fp32 master copy). */
export interface OptimizerInfo {
  /** With fp32 parameters (or a master copy). */
  bytesPerParam: number;
  /** PyTorch-native optimizers keep states in the parameters' dtype (halved for 16-bit parameters). */
  followsParamDtype: boolean;
  paged: boolean;
  /** False when the name is not one we know; the estimate then assumes AdamW and says so. */
  known: boolean;
  /** The optimizer keeps no full gradient (LOMO-style fused updates). */
  fusedUpdate: boolean;
}

/** 8-bit states: two 1-byte states plus an fp32 absmax per 256-element block each (bitsandbytes). */
const ADAM_8BIT = 2 + (2 * 4) / 256;

/** State bytes per trainable parameter for an optimizer name. */
export function optimizerInfo(name: string): OptimizerInfo {
  const n = name.toLowerCase();
  const paged = n.startsWith('paged_');
  // bitsandbytes (and other library) optimizers fix their state dtype; PyTorch's follow the parameters.
  const library = paged || /bnb|8bit|4bit|32bit|galore|apollo|came|muon|dion|flash_|q_galore|lomo|ademamix|grokadamw/.test(n);
  const r = (bytesPerParam: number, known = true, fusedUpdate = false): OptimizerInfo => ({ bytesPerParam, followsParamDtype: known && !library, paged, known, fusedUpdate });
  if (n === 'sgd') return r(0);
  if (n === 'lomo' || n === 'adalomo') return r(n === 'adalomo' ? 0.1 : 0, true, true);
  if (n.includes('ademamix')) return r(n.includes('8bit') ? 3 * (1 + 4 / 256) : 12);
  if (n.includes('lion')) return r(n.includes('8bit') ? 1 + 4 / 256 : 4);
  if (n.includes('adafactor') || n === 'came_pytorch') return r(0.1);
  if (n.startsWith('rmsprop') || n === 'adagrad') return r(n.includes('8bit') ? 1 + 4 / 256 : 4);
  if (n.includes('4bit')) return r(1 + 8 / 128);
  if (n.includes('8bit') || n === 'q_galore_adamw8bit') return r(ADAM_8BIT);
  if (n === 'muon' || n === 'dion' || n === 'sinkgd' || n === 'flash_sgd' || n === 'flash_sgdw') return r(4);
  if (n.includes('adam') || n === 'optimi_adamw' || n === 'schedule_free_radam' || n === 'flash_lion') return r(n === 'flash_lion' ? 4 : 8);
  return r(8, false);
}

const NF4_DQ_BITS = 4 + 8 / 64 + 32 / (64 * 256);
const NF4_BITS = 4 + 32 / 64;
const GIB = 2 ** 30;
/** CUDA context, cuBLAS/cuDNN workspaces and allocator reserve (300 MiB - 2 GiB in practice). */
export const FRAMEWORK_OVERHEAD = 1 * GIB;

/** A memory estimate and the parameter counts it used. */
export interface MemoryEstimate {
  params: { total: number; trainable: number; base: number };
  memory: MemoryBreakdown;
  /** Assumptions worth showing to the user, in plain sentences. */
  notes: string[];
}

const finite = (...xs: number[]) => xs.every((x) => Number.isFinite(x) && x >= 0);

/**
 * Per-GPU memory for a setup. Returns `{ unknown }` when the method does not apply to the model
 * or a number comes out non-finite; never NaN.
 */
export function estimateMemory(shape: ModelShape, setup: TrainingSetup): MemoryEstimate | { unknown: string } {
  const base = baseParams(shape);
  const tp = trainableParams(shape, setup.method);
  if ('unknown' in tp) return tp;
  const notes: string[] = [];
  const full = setup.method.kind === 'full';
  const half = setup.precision === 'fp32' ? 4 : 2;
  const fullBytes = setup.fullWeights === 'fp32' ? 4 : 2;
  const P = base.total;
  const T = tp.trainable;
  const h = shape.hidden;
  const s = setup.seqLen;
  const b = setup.microBatch;
  const N = Math.max(1, setup.gpus);

  // Weights.
  let weights: number;
  let dequantBuffer = 0;
  if (full) {
    weights = fullBytes * P;
  } else if (setup.quantization === 'none') {
    weights = half * P + setup.adapterBytes * tp.added;
  } else {
    const other = P - base.linear;
    let linearBytes: number;
    if (setup.quantization === 'int8') {
      const rows = shape.layers * shape.modules.reduce((t, m) => t + m.copies * m.out, 0);
      linearBytes = base.linear + 4 * rows;
    } else {
      linearBytes = (base.linear * (setup.doubleQuant ? NF4_DQ_BITS : NF4_BITS)) / 8;
    }
    weights = linearBytes + setup.nonQuantizedBytes * other + setup.adapterBytes * tp.added;
    const largest = Math.max(...shape.modules.map((m) => m.in * m.out));
    dequantBuffer = 2 * largest;
  }

  // Gradients and optimizer states (trainable parameters only).
  const opt = optimizerInfo(setup.optimizer);
  if (!opt.known) notes.push(`optimizer '${setup.optimizer}' is not modelled; assumed AdamW's 8 bytes of state per trainable parameter`);
  if (opt.paged) notes.push('paged optimizer: its states can move to CPU memory when the GPU runs short, at a cost in speed');
  const gradBytes = full ? fullBytes : setup.adapterBytes;
  let gradients = opt.fusedUpdate ? 0 : gradBytes * T;
  // DeepSpeed's mixed precision keeps an fp32 master copy of the 16-bit weights with the optimizer,
  // which then steps in fp32; otherwise PyTorch's optimizers keep states in the weights' dtype.
  const master = full && setup.fullWeights === '16bit+master' ? 4 : 0;
  const trainable16 = full ? setup.fullWeights === '16bit' : setup.adapterBytes === 2;
  const stateBytes = opt.followsParamDtype && trainable16 ? opt.bytesPerParam / 2 : opt.bytesPerParam;
  if (master) notes.push('mixed precision (DeepSpeed): 16-bit weights and gradients, an fp32 master copy and fp32 optimizer states (16 bytes per parameter with AdamW)');
  else if (full && setup.fullWeights === '16bit') notes.push(`16-bit training: weights${opt.followsParamDtype ? ', gradients and optimizer states' : ' and gradients'} in ${setup.precision}, no fp32 master copy (the HF Trainer with the model loaded in ${setup.precision})`);
  let optimizer = (stateBytes + master) * T;

  // Activations.
  const L = shape.layers;
  const qDim = shape.heads * shape.headDim;
  const kvDim = shape.kvHeads * shape.headDim;
  const eager = setup.attention === 'eager';
  let perLayer: number;
  if (shape.family === 'gpt2') {
    perLayer = s * b * (11 * h + 3 * h + 4 * shape.intermediate + 4 * h) + (eager ? 5 * shape.heads * s * s * b : 0);
  } else {
    const iActive = shape.intermediate * shape.expertsPerToken;
    perLayer = 2 * s * b * (5 * h + 2 * qDim + 2 * kvDim + 4 * iActive) + (eager ? 6 * shape.heads * s * s * b : 4 * shape.heads * s * b);
  }
  if (setup.method.kind === 'lora') {
    const r = setup.method.r;
    for (const m of tp.targetedModules) perLayer += m.copies * (2 * s * b * r + (setup.loraDropout > 0 ? 3 * s * b * m.in : 0));
  }
  // The formulas count 16-bit activations; fp32 training stores twice the bytes.
  if (setup.precision === 'fp32') perLayer *= 2;
  let activations: number;
  if (setup.gradientCheckpointing) {
    const kept = setup.activationOffloading ? 0 : L * half * s * b * h;
    activations = kept + perLayer;
  } else {
    activations = L * perLayer;
  }
  // The embedding output and the final norm's input are alive as well.
  activations += 2 * half * s * b * h;
  const logits = setup.fusedCrossEntropy ? 4 * s * b * h : 8 * s * b * shape.vocab;
  if (setup.method.kind === 'prefix' || setup.method.kind === 'prompt') {
    const extra = setup.method.virtualTokens;
    activations *= (s + extra) / s;
  }

  // Sharding.
  let buffers = dequantBuffer;
  const sh = setup.sharding;
  if (sh.kind === 'zero') {
    if (sh.stage >= 1) optimizer /= N;
    if (sh.stage >= 2) gradients /= N;
    if (sh.stage >= 3) {
      weights /= N;
      buffers += 2 * 2 * base.perLayer;
    }
    if (sh.offloadOptimizer) {
      optimizer = 0;
      if (sh.stage >= 2) gradients = 0;
    }
    if (sh.offloadParams && sh.stage >= 3) weights = 0;
    buffers += 2 * 2 * h * h;
  } else if (sh.kind === 'fsdp') {
    optimizer /= N;
    gradients /= N;
    if (sh.fullShard) {
      weights /= N;
      buffers += 2 * 2 * base.perLayer;
    }
    if (sh.offloadParams) {
      weights = 0;
      gradients = 0;
      optimizer = 0;
    }
  } else if (N > 1) {
    // Plain DDP keeps a bucketed copy of the gradients for all-reduce.
    buffers += gradients;
  }

  const overhead = FRAMEWORK_OVERHEAD;
  const total = weights + gradients + optimizer + activations + logits + buffers + overhead;
  if (!finite(weights, gradients, optimizer, activations, logits, buffers, total)) return { unknown: 'the estimate overflowed; check the sizes in the config' };
  const round = (x: number) => Math.round(x);
  const memory: MemoryBreakdown = {
    weights: round(weights),
    gradients: round(gradients),
    optimizer: round(optimizer),
    activations: round(activations),
    logits: round(logits),
    buffers: round(buffers),
    overhead,
    total: 0,
  };
  memory.total = memory.weights + memory.gradients + memory.optimizer + memory.activations + memory.logits + memory.buffers + memory.overhead;
  return { params: { total: tp.total, trainable: T, base: P }, memory, notes };
}
