/**
 * Quantised bases (QLoRA's NF4, FP4, LLM.int8) in the tfjs trainer:
 *
 * 1. Memory. A SmolLM2-135M-shaped model (random weights) is loaded in float32, then its decoder
 *    linears are quantised: bytes of the linears (packed host data vs float32), the whole loaded
 *    model (backend tensors + packed host data) vs float32, each against its ceiling (bitsandbytes'
 *    bits per weight: 4 + 8/64 + 32/(64·256) for NF4 with double quantisation, 4.5 without, 8 + a
 *    row scale for int8). Also the forward time of one 1 × 128 batch, quantised vs float32 (the
 *    per-layer dequantisation is the difference).
 * 2. Loss. The demo task (examples/demo.yml: its model, data, LoRA settings and schedule) trained
 *    as LoRA (the peer) and as QLoRA, 8-bit LoRA, DoRA and IA3: the final train and eval losses,
 *    and each one's ratio to LoRA's. Trainable-parameter counts are printed too.
 *
 *   npm run bench -- quantized
 *   QUANT_BENCH=memory npm run bench -- quantized     only part 1
 *   QUANT_BENCH=loss QUANT_BENCH_STEPS=40 npm run bench -- quantized   part 2, 40 steps per run
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { selectBackend, tf } from '../trainer/backend/index';
import { runTraining } from '../trainer/index';
import { buildModel, parseModelConfig, randomWeights } from '../trainer/model/index';
import { quantizeBase, type QuantizeOptions } from '../trainer/model/quantLinear';

const root = join(fileURLToPath(import.meta.url), '..', '..');
const part = process.env.QUANT_BENCH ?? 'all';

const SMOLLM135M = {
  architectures: ['LlamaForCausalLM'], hidden_size: 576, intermediate_size: 1536, num_attention_heads: 9, num_key_value_heads: 3,
  num_hidden_layers: 30, vocab_size: 49152, tie_word_embeddings: true, rms_norm_eps: 1e-5,
};

const MIB = 2 ** 20;
const fmt = (b: number) => `${(b / MIB).toFixed(1)} MiB`;

function forwardSeconds(model: ReturnType<typeof buildModel>): number {
  const n = 128;
  const input = { batch: 1, seqLen: n, inputIds: Int32Array.from({ length: n }, (_, i) => (i * 7919) % 49152) };
  model.logits(input).dispose(); // warm-up
  const c0 = process.cpuUsage();
  const reps = 2;
  for (let i = 0; i < reps; i++) model.logits(input).dispose();
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1e6 / reps;
}

async function memory(): Promise<void> {
  await selectBackend('wasm');
  const config = parseModelConfig(SMOLLM135M);
  const weights = randomWeights(config, 0);
  const cases: { name: string; opts: QuantizeOptions; ceilingBits: (rows: number, params: number) => number }[] = [
    { name: 'NF4 + double quant', opts: { bits: 4, quantType: 'nf4', doubleQuant: true }, ceilingBits: () => 4 + 8 / 64 + 32 / (64 * 256) },
    { name: 'NF4', opts: { bits: 4, quantType: 'nf4', doubleQuant: false }, ceilingBits: () => 4.5 },
    { name: 'FP4', opts: { bits: 4, quantType: 'fp4', doubleQuant: false }, ceilingBits: () => 4.5 },
    { name: 'int8', opts: { bits: 8 }, ceilingBits: (rows, params) => 8 + (32 * rows) / params },
  ];
  const fp32 = buildModel(config, weights);
  const fp32Bytes = tf.memory().numBytes;
  const fp32Forward = forwardSeconds(fp32);
  const rows = [...fp32.linears.values()].reduce((s, l) => s + (l.name === 'lm_head' ? 0 : l.outFeatures), 0);
  fp32.dispose();
  console.log(`SmolLM2-135M shape (${config.numLayers} layers, hidden ${config.hiddenSize}), float32 model ${fmt(fp32Bytes)}, forward 1×128: ${fp32Forward.toFixed(2)} CPU-s`);
  console.log('| base | linears quantised | float32 linears | ratio | ceiling ratio | measured/ceiling | whole model | vs float32 model | forward CPU-s | vs float32 |');
  console.log('|---|---|---|---|---|---|---|---|---|---|');
  for (const c of cases) {
    const model = buildModel(config, weights);
    const c0 = process.cpuUsage();
    const r = quantizeBase(model, c.opts);
    const cpu = process.cpuUsage(c0);
    const quantS = (cpu.user + cpu.system) / 1e6;
    const whole = tf.memory().numBytes + r.bytes;
    const ratio = r.bytes / r.float32Bytes;
    const ceiling = c.ceilingBits(rows, r.params) / 32;
    const fwd = forwardSeconds(model);
    console.log(`| ${c.name} | ${fmt(r.bytes)} | ${fmt(r.float32Bytes)} | 1/${(1 / ratio).toFixed(2)} | 1/${(1 / ceiling).toFixed(2)} | ${(ratio / ceiling).toFixed(4)} | ${fmt(whole)} | ${(whole / fp32Bytes).toFixed(3)} | ${fwd.toFixed(2)} | ${(fwd / fp32Forward).toFixed(2)}x |`);
    console.error(`  (${c.name}: quantised ${r.modules.length} linears in ${quantS.toFixed(1)} CPU-s, ${((quantS * 1e9) / r.params).toFixed(1)} ns per weight)`);
    model.dispose();
  }
}

interface RunResult {
  trainLoss: number | null;
  evalLoss: number | null;
  trainable: number;
  seconds: number;
}

async function train(name: string, overrides: Record<string, unknown>, dir: string, maxSteps: number | undefined): Promise<RunResult> {
  const demo = parse(readFileSync(join(root, 'examples', 'demo.yml'), 'utf8')) as Record<string, unknown>;
  const cfg: Record<string, unknown> = { ...demo, ...overrides, base_model: join(root, 'examples', 'models', 'tiny-base'), output_dir: join(dir, name) };
  cfg.datasets = (demo.datasets as Record<string, unknown>[]).map((d) => ({ ...d, path: join(root, 'examples', String(d.path)) }));
  for (const [k, v] of Object.entries(overrides)) if (v === undefined) delete cfg[k];
  const path = join(dir, `${name}.yml`);
  writeFileSync(path, JSON.stringify(cfg)); // JSON is YAML
  const events: Record<string, unknown>[] = [];
  const t0 = performance.now();
  const code = await runTraining(
    { configPath: path, cwd: dir, ...(maxSteps ? { maxSteps } : {}) },
    { stdout: (line) => events.push(...line.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>)), stderr: () => {}, json: true, isTty: false },
    { requested: () => false },
  );
  if (code !== 0) throw new Error(`${name}: exit ${code}: ${JSON.stringify(events.filter((e) => e.type === 'error'))}`);
  const start = events.find((e) => e.type === 'run_start') as { params: { trainable: number } };
  const done = events.find((e) => e.type === 'done') as { metrics: { train_loss: number | null; eval_loss: number | null } };
  return { trainLoss: done.metrics.train_loss, evalLoss: done.metrics.eval_loss, trainable: start.params.trainable, seconds: (performance.now() - t0) / 1000 };
}

async function loss(): Promise<void> {
  const steps = Number(process.env.QUANT_BENCH_STEPS) || undefined;
  const dir = mkdtempSync(join(tmpdir(), 'tunelab-bench-quant-'));
  try {
    const runs: [string, Record<string, unknown>][] = [
      ['LoRA (peer)', {}],
      ['QLoRA NF4 + DQ', { adapter: 'qlora', load_in_4bit: true }],
      ['QLoRA FP4', { adapter: 'qlora', load_in_4bit: true, bnb_config_kwargs: { bnb_4bit_quant_type: 'fp4', bnb_4bit_use_double_quant: false } }],
      ['8-bit LoRA', { load_in_8bit: true }],
      ['DoRA', { peft_use_dora: true }],
      ['QLoRA + DoRA', { adapter: 'qlora', load_in_4bit: true, peft_use_dora: true }],
      ['IA3', { adapter: 'ia3', lora_r: undefined, lora_alpha: undefined, lora_dropout: undefined, lora_target_linear: undefined, learning_rate: 0.01 }],
    ];
    console.log(`\nDemo task (examples/demo.yml: tiny-base, pirate chat data, seed 42${steps ? `, ${steps} steps` : ', 5 epochs'}):`);
    console.log('| run | trainable | final train loss | eval loss | eval loss vs LoRA | wall s |');
    console.log('|---|---|---|---|---|---|');
    let peer: number | null = null;
    for (const [name, o] of runs) {
      const r = await train(name.replace(/\W+/g, '-'), o, dir, steps);
      peer ??= r.evalLoss;
      const vs = r.evalLoss !== null && peer ? (r.evalLoss / peer).toFixed(4) : '–';
      console.log(`| ${name} | ${r.trainable.toLocaleString('en-US')} | ${r.trainLoss?.toFixed(4) ?? '–'} | ${r.evalLoss?.toFixed(4) ?? '–'} | ${vs} | ${r.seconds.toFixed(0)} |`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (part === 'all' || part === 'memory') await memory();
if (part === 'all' || part === 'loss') await loss();
