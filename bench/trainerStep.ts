/**
 * Training-step throughput of the tfjs trainer vs PyTorch on the CPU, same model, batch and step.
 *
 * For each case (model shape × method), a fresh Node process runs warm-up + timed steps of
 * forward → masked cross-entropy → backward → AdamW on the wasm backend and reports tokens/s and
 * peak RSS; then bench/trainerStep_torch.py runs the same case in PyTorch (Debian python3-torch,
 * 1 thread like tfjs-wasm, and all threads). Model FLOPs per token give the achieved GFLOP/s and
 * the % of this machine's matmul ceiling (1024³ matmul, measured in the same process).
 *
 *   npm run bench -- trainerStep            all cases
 *   TRAINER_BENCH=tiny npm run bench -- trainerStep   only cases whose name contains "tiny"
 *   TRAINER_BENCH=smollm135m-full TRAINER_BENCH_LAYERS=20 npm run bench -- trainerStep
 *       memory probe: the shape with fewer layers, tfjs side only (no PyTorch peer of that shape)
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { selectBackend, tf } from '../trainer/backend/index';
import { applyLora, buildModel, parseModelConfig, randomWeights, shiftTargets, type ModelConfig } from '../trainer/model/index';
import { AdamW } from '../trainer/train/adamw';

interface Shape {
  vocab: number;
  hidden: number;
  layers: number;
  heads: number;
  kv: number;
  inter: number;
}

const SHAPES: Record<string, Shape> = {
  tiny: { vocab: 256, hidden: 128, layers: 2, heads: 4, kv: 2, inter: 384 },
  // SmolLM2-135M: hidden 576, 30 layers, 9 heads / 3 kv heads, intermediate 1536, vocab 49152, tied.
  smollm135m: { vocab: 49152, hidden: 576, layers: 30, heads: 9, kv: 3, inter: 1536 },
};

interface Case {
  name: string;
  shape: keyof typeof SHAPES;
  method: 'full' | 'lora';
  batch: number;
  seq: number;
  warmup: number;
  steps: number;
}

const CASES: Case[] = [
  { name: 'tiny-full', shape: 'tiny', method: 'full', batch: 8, seq: 128, warmup: 2, steps: 5 },
  { name: 'tiny-lora', shape: 'tiny', method: 'lora', batch: 8, seq: 128, warmup: 2, steps: 5 },
  { name: 'smollm135m-lora', shape: 'smollm135m', method: 'lora', batch: 1, seq: 128, warmup: 1, steps: 2 },
  { name: 'smollm135m-full', shape: 'smollm135m', method: 'full', batch: 1, seq: 128, warmup: 1, steps: 2 },
];

const LORA = { r: 16, alpha: 32, dropout: 0, targetLinear: true };

function configOf(s: Shape): ModelConfig {
  return parseModelConfig({
    architectures: ['LlamaForCausalLM'], hidden_size: s.hidden, intermediate_size: s.inter, num_attention_heads: s.heads,
    num_key_value_heads: s.kv, num_hidden_layers: s.layers, vocab_size: s.vocab, tie_word_embeddings: true, rms_norm_eps: 1e-5,
  });
}

/** Matmul FLOPs per token of one forward: linears + tied head + dense attention (QKᵀ and PV). */
function forwardFlopsPerToken(s: Shape, seq: number): number {
  const d = s.hidden / s.heads;
  const linear = s.layers * (s.hidden * s.heads * d * 2 + s.hidden * s.kv * d * 2 + 3 * s.hidden * s.inter);
  return 2 * (linear + s.vocab * s.hidden) + s.layers * 4 * seq * s.heads * d;
}

/** Training FLOPs per token: full = 3× forward (dX and dW); LoRA ≈ 2× (dX only; adapters are small). */
const trainFlopsPerToken = (c: Case) => forwardFlopsPerToken(SHAPES[c.shape], c.seq) * (c.method === 'full' ? 3 : 2);

function matmulGflops(): number {
  const a = tf.randomNormal([1024, 1024]);
  tf.matMul(a, a).dispose();
  // Per CPU-second: the machine is shared, wall time would measure the neighbours.
  const c0 = process.cpuUsage();
  for (let i = 0; i < 10; i++) tf.matMul(a, a).dataSync();
  const c = process.cpuUsage(c0);
  const s = (c.user + c.system) / 1e6;
  a.dispose();
  return (2 * 1024 ** 3 * 10) / s / 1e9;
}

/** Size of the wasm heap: it only grows, so this is the high-water mark the 4 GiB cap applies to. */
function wasmHeapMb(): number {
  const backend = tf.backend() as unknown as { wasm?: { HEAPU8: Uint8Array } };
  return backend.wasm ? backend.wasm.HEAPU8.length / 2 ** 20 : NaN;
}

/** One case in this process: prints a JSON line. */
async function runCase(c: Case): Promise<void> {
  await selectBackend('wasm');
  const layers = Number(process.env.TRAINER_BENCH_LAYERS);
  const shape = layers > 0 ? { ...SHAPES[c.shape], layers } : SHAPES[c.shape];
  const config = configOf(shape);
  const model = buildModel(config, randomWeights(config, 0));
  if (c.method === 'lora') applyLora(model, LORA);
  const params = model.parameters().filter((p) => p.variable.trainable).map((p) => ({ name: p.name, variable: p.variable, decay: p.decay }));
  const opt = new AdamW(params, { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01 });
  const n = c.batch * c.seq;
  let seed = 1;
  const ids = Int32Array.from({ length: n }, () => (seed = (seed * 48271) % 2147483647) % shape.vocab);
  // Loss on the second half of each row, as an instruction mask would.
  const labels = Int32Array.from(ids, (v, i) => (i % c.seq < c.seq / 2 ? -100 : v));
  const targets = shiftTargets(labels, undefined, c.batch, c.seq);
  const input = { batch: c.batch, seqLen: c.seq, inputIds: ids };
  const byVar = new Map(params.map((p) => [p.variable.name, p.name]));
  let adamwCpuS = 0;
  const step = () => {
    const { value, grads } = tf.variableGrads(() => model.loss(input, targets, { training: true, seed: 1 }).loss, params.map((p) => p.variable));
    const named = new Map(Object.entries(grads).map(([k, g]) => [byVar.get(k)!, g]));
    const a0 = process.cpuUsage();
    opt.step(named, 1e-4);
    const a = process.cpuUsage(a0);
    adamwCpuS += (a.user + a.system) / 1e6;
    const loss = value.dataSync()[0];
    value.dispose();
    for (const g of Object.values(grads)) g.dispose();
    return loss;
  };
  for (let i = 0; i < c.warmup; i++) step();
  adamwCpuS = 0;
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  for (let i = 0; i < c.steps; i++) step();
  const stepS = (performance.now() - t0) / 1000 / c.steps;
  const cpu = process.cpuUsage(c0);
  const cpuS = (cpu.user + cpu.system) / 1e6 / c.steps;
  const gflops = matmulGflops();
  const counts = model.parameterCounts();
  console.log(JSON.stringify({ tokens_per_s: n / stepS, tokens_per_cpu_s: n / cpuS, step_s: stepS, cpu_s: cpuS, adamw_cpu_s: adamwCpuS / c.steps, peak_rss_mb: process.resourceUsage().maxRSS / 1024, wasm_heap_mb: wasmHeapMb(), matmul_gflops: gflops, params: counts.total, trainable: counts.trainable }));
}

function runChild(cmd: string, args: string[]): Record<string, number> | string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 20 });
  const line = r.stdout.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(line) as Record<string, number>;
  } catch {
    // The wasm runtime prints its whole minified source on a crash; keep the readable lines.
    const lines = (r.stderr || r.stdout).split('\n').filter((l) => l.trim() && l.length < 300 && !/^\s+at /.test(l));
    return `failed (exit ${r.status}): ${lines.slice(-2).join(' | ')}`;
  }
}

async function main(): Promise<void> {
  if (process.argv[2] === '--case') return runCase(CASES.find((c) => c.name === process.argv[3])!);
  const only = process.env.TRAINER_BENCH;
  const here = fileURLToPath(import.meta.url);
  const python = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
  const rows: string[] = [];
  console.log('| case | tokens/step | tfjs-wasm tok/s (per CPU-s) | PyTorch 1 thread tok/s (per CPU-s) | ratio wall (CPU) | PyTorch 2 threads tok/s | tfjs GFLOP/s per CPU-s (% of wasm matmul / of torch 1-thread matmul) | peak RSS tfjs / torch MB | AdamW share of tfjs CPU time |');
  console.log('|---|---|---|---|---|---|---|---|---|');
  for (const c of CASES) {
    if (only && !c.name.includes(only)) continue;
    const ours = runChild(process.execPath, ['--import', 'tsx', here, '--case', c.name]);
    const peerArgs = [join(here, '..', 'trainerStep_torch.py'), '--shape', c.shape, '--method', c.method, '--batch', String(c.batch), '--seq', String(c.seq), '--warmup', String(c.warmup), '--steps', String(c.steps)];
    if (Number(process.env.TRAINER_BENCH_LAYERS) > 0) {
      const x = ours;
      const row = typeof x === 'string' ? x : `${x.tokens_per_s.toFixed(1)} tok/s (${x.tokens_per_cpu_s.toFixed(1)} per CPU-s), wasm heap ${x.wasm_heap_mb.toFixed(0)} MB, peak RSS ${x.peak_rss_mb.toFixed(0)} MB, AdamW ${((100 * x.adamw_cpu_s) / x.cpu_s).toFixed(0)} % of CPU`;
      rows.push(`| ${c.name}, ${process.env.TRAINER_BENCH_LAYERS} layers (tfjs only) | ${c.batch}×${c.seq} | ${row} | - | - | - | - | - | - |`);
      console.log(rows[rows.length - 1]);
      continue;
    }
    const torch1 = runChild(python, [...peerArgs, '--threads', '1']);
    // Two threads only on the small model: on a loaded 2-core machine OpenMP's spinning threads
    // mostly measure the neighbours, and the large cases already take minutes.
    const torch2 = c.shape === 'tiny' ? runChild(python, [...peerArgs, '--threads', '2']) : { tokens_per_s: NaN };
    if (typeof ours === 'string' || typeof torch1 === 'string' || typeof torch2 === 'string') {
      const show = (x: Record<string, number> | string) => (typeof x === 'string' ? x : `${x.tokens_per_s.toFixed(0)} (${x.tokens_per_cpu_s.toFixed(0)}), peak ${x.peak_rss_mb.toFixed(0)} MB`);
      rows.push(`| ${c.name} | ${c.batch}×${c.seq} | ${show(ours)} | ${show(torch1)} | - | - | - | - | - |`);
      console.log(rows[rows.length - 1]);
      continue;
    }
    const achieved = (ours.tokens_per_cpu_s * trainFlopsPerToken(c)) / 1e9;
    const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}×`;
    const row = `| ${c.name} | ${c.batch}×${c.seq} | ${ours.tokens_per_s.toFixed(0)} (${ours.tokens_per_cpu_s.toFixed(0)}) | ${torch1.tokens_per_s.toFixed(0)} (${torch1.tokens_per_cpu_s.toFixed(0)}) | ${ratio(ours.tokens_per_s, torch1.tokens_per_s)} (${ratio(ours.tokens_per_cpu_s, torch1.tokens_per_cpu_s)}) | ${Number.isNaN(torch2.tokens_per_s) ? '-' : torch2.tokens_per_s.toFixed(0)} | ${achieved.toFixed(1)} (${((100 * achieved) / ours.matmul_gflops).toFixed(0)}% of ${ours.matmul_gflops.toFixed(1)} / ${((100 * achieved) / torch1.matmul_gflops).toFixed(0)}% of ${torch1.matmul_gflops.toFixed(1)}) | ${ours.peak_rss_mb.toFixed(0)} (heap ${ours.wasm_heap_mb.toFixed(0)}) / ${torch1.peak_rss_mb.toFixed(0)} | ${((100 * ours.adamw_cpu_s) / ours.cpu_s).toFixed(0)} % |`;
    rows.push(row);
    console.log(row);
  }
}

await main();
