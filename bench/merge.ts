/**
 * `tunelab merge` throughput and memory: three Llama-shaped BF16 models (a base and two
 * "fine-tunes", ~28M parameters each) merged with passthrough (the ceiling: read, decode, encode,
 * write, no maths), linear, ties, dare_ties and slerp, each in its own process (peak RSS is per
 * merge); the peer is the same per-tensor maths in PyTorch as mergekit runs it
 * (bench/merge_torch.py, Debian's python3-torch), streamed over the same files, measured in the same run.
 * CPU seconds are the figure to compare on a shared machine.
 *
 * Run: `npm run bench -- merge`   (MERGE_BENCH_LAYERS=N changes the depth)
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mulberry32 } from '../common/random';
import { runMerge } from '../trainer/merge/run';
import { saveModelDir } from '../trainer/io/index';
import { parseModelConfig, type HostTensor } from '../trainer/model/index';

const METHODS = ['passthrough', 'linear', 'ties', 'dare_ties', 'slerp'] as const;
type Method = (typeof METHODS)[number];

/** Child mode: one merge, then one JSON line with its own CPU time and peak RSS. */
if (process.argv[2] === '--child') {
  const [, , , configPath, outDir] = process.argv;
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  // Resident memory sampled after every tensor (maxRSS would include the parent's, inherited at fork).
  let peak = process.memoryUsage().rss;
  const r = runMerge({ configPath: configPath!, outDir: outDir!, cwd: process.cwd(), overwrite: true, onProgress: () => (peak = Math.max(peak, process.memoryUsage().rss)) });
  const c = process.cpuUsage(c0);
  console.log(JSON.stringify({ wall_s: (performance.now() - t0) / 1000, cpu_s: (c.user + c.system) / 1e6, peak_rss_mb: peak / 2 ** 20, bytes_out: r.bytes }));
  process.exit(0);
}

const layers = Number(process.env.MERGE_BENCH_LAYERS ?? 8);
const shape = { hidden: 512, inter: 1408, heads: 8, kv: 4, vocab: 8192 };
const raw = {
  architectures: ['LlamaForCausalLM'], model_type: 'llama', hidden_size: shape.hidden, intermediate_size: shape.inter,
  num_attention_heads: shape.heads, num_key_value_heads: shape.kv, num_hidden_layers: layers, vocab_size: shape.vocab,
  rms_norm_eps: 1e-5, rope_theta: 10000, max_position_embeddings: 512, tie_word_embeddings: true, torch_dtype: 'bfloat16',
};
const dir = mkdtempSync(join(tmpdir(), 'tunelab-bench-merge-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

function model(name: string, seed: number, base?: Map<string, HostTensor>): Map<string, HostTensor> {
  const r = mulberry32(seed);
  const hd = shape.hidden / shape.heads;
  const shapes: [string, number[]][] = [['model.embed_tokens.weight', [shape.vocab, shape.hidden]], ['model.norm.weight', [shape.hidden]]];
  for (let l = 0; l < layers; l++) {
    const p = `model.layers.${l}.`;
    shapes.push(
      [`${p}input_layernorm.weight`, [shape.hidden]], [`${p}post_attention_layernorm.weight`, [shape.hidden]],
      [`${p}self_attn.q_proj.weight`, [shape.hidden, shape.hidden]], [`${p}self_attn.k_proj.weight`, [shape.kv * hd, shape.hidden]],
      [`${p}self_attn.v_proj.weight`, [shape.kv * hd, shape.hidden]], [`${p}self_attn.o_proj.weight`, [shape.hidden, shape.hidden]],
      [`${p}mlp.gate_proj.weight`, [shape.inter, shape.hidden]], [`${p}mlp.up_proj.weight`, [shape.inter, shape.hidden]], [`${p}mlp.down_proj.weight`, [shape.hidden, shape.inter]],
    );
  }
  const out = new Map<string, HostTensor>();
  for (const [n, s] of shapes) {
    const size = s.reduce((a, b) => a * b, 1);
    const b = base?.get(n)?.data;
    const data = new Float32Array(size);
    for (let i = 0; i < size; i++) data[i] = (b ? b[i] : 0) + (b ? 0.002 : 0.02) * (r() * 2 - 1);
    out.set(n, { shape: s, data });
  }
  saveModelDir(join(dir, name), parseModelConfig(raw), out, { dtype: 'BF16' });
  return out;
}

const base = model('base', 1);
model('ft1', 2, base);
model('ft2', 3, base);
const modelBytes = statSync(join(dir, 'base', 'model.safetensors')).size;

const CONFIGS: Record<Method, string> = {
  passthrough: `merge_method: passthrough\nslices:\n  - sources:\n      - model: ./base\n        layer_range: [0, ${layers}]\ndtype: bfloat16\n`,
  linear: 'merge_method: linear\nmodels:\n  - model: ./base\n    parameters: {weight: 0.5}\n  - model: ./ft1\n    parameters: {weight: 0.5}\n  - model: ./ft2\n    parameters: {weight: 0.5}\ndtype: bfloat16\n',
  ties: 'merge_method: ties\nbase_model: ./base\nmodels:\n  - model: ./ft1\n    parameters: {weight: 0.6, density: 0.5}\n  - model: ./ft2\n    parameters: {weight: 0.6, density: 0.5}\ndtype: bfloat16\n',
  dare_ties: 'merge_method: dare_ties\nbase_model: ./base\nmodels:\n  - model: ./ft1\n    parameters: {weight: 0.6, density: 0.5}\n  - model: ./ft2\n    parameters: {weight: 0.6, density: 0.5}\ndtype: bfloat16\n',
  slerp: 'merge_method: slerp\nbase_model: ./base\nmodels:\n  - model: ./ft1\nparameters: {t: 0.5}\ndtype: bfloat16\n',
};
const PEER_MODELS: Record<Method, string[]> = { passthrough: [], linear: ['ft1', 'ft2'], ties: ['ft1', 'ft2'], dare_ties: ['ft1', 'ft2'], slerp: ['ft1'] };

interface Run {
  wall_s: number;
  cpu_s: number;
  peak_rss_mb: number;
}

const torchOk = existsSync('/usr/bin/python3') && spawnSync('/usr/bin/python3', ['-c', 'import torch'], { encoding: 'utf8' }).status === 0;
console.log(`models: 3 x ${(modelBytes / 1e6).toFixed(1)} MB BF16 (${layers} layers, hidden ${shape.hidden}, vocab ${shape.vocab}); largest tensor ${(shape.vocab * shape.hidden * 4 / 1e6).toFixed(1)} MB as float32`);
console.log(`peer: ${torchOk ? 'PyTorch (/usr/bin/python3) with mergekit\'s tensor ops' : 'none (no python3-torch)'}\n`);
console.log('| method | inputs MB | tunelab CPU s | MB/CPU-s | vs ceiling | peak RSS MB | torch CPU s | tunelab/torch speed | torch peak RSS MB |');
console.log('|---|---|---|---|---|---|---|---|---|');
let ceiling = 0;
for (const m of METHODS) {
  const cfg = join(dir, `${m}.yml`);
  writeFileSync(cfg, CONFIGS[m]);
  const inputs = m === 'passthrough' ? 1 : m === 'slerp' ? 2 : 3;
  const mb = (inputs * modelBytes) / 1e6;
  const child = spawnSync(process.execPath, ['--import', 'tsx', 'bench/merge.ts', '--child', cfg, join(dir, `out-${m}`)], { cwd: process.cwd(), encoding: 'utf8', env: { ...process.env } });
  if (child.status !== 0) throw new Error(`tunelab merge ${m} failed: ${child.stderr}`);
  const ours = JSON.parse(child.stdout.trim().split('\n').pop()!) as Run;
  const rate = mb / ours.cpu_s;
  if (m === 'passthrough') ceiling = rate;
  let peer: Run | undefined;
  if (torchOk) {
    const args = ['bench/merge_torch.py', '--method', m, '--base', join(dir, 'base'), '--models', ...(PEER_MODELS[m].length ? PEER_MODELS[m] : ['base']).map((x) => join(dir, x)), '--out', join(dir, `peer-${m}.safetensors`)];
    if (m === 'passthrough') args.splice(args.indexOf('--models'), 2);
    const p = spawnSync('/usr/bin/python3', m === 'passthrough' ? [...args.slice(0, 5), '--models', join(dir, 'base'), ...args.slice(5)] : args, { encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: '1' } });
    if (p.status === 0) peer = JSON.parse(p.stdout.trim().split('\n').pop()!) as Run;
    else console.error(`peer ${m} failed: ${p.stderr.slice(-400)}`);
  }
  console.log(`| ${m} | ${mb.toFixed(0)} | ${ours.cpu_s.toFixed(2)} | ${rate.toFixed(0)} | ${(rate / ceiling).toFixed(2)} | ${ours.peak_rss_mb.toFixed(0)} | ${peer ? peer.cpu_s.toFixed(2) : '-'} | ${peer ? (peer.cpu_s / ours.cpu_s).toFixed(2) : '-'} | ${peer ? peer.peak_rss_mb.toFixed(0) : '-'} |`);
}
console.log('\nspeed ratio > 1: tunelab used fewer CPU-seconds than the peer for the same merge. Peer threads: 1 (OMP_NUM_THREADS=1), as tunelab.');
