import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

// Runs the built bundle (npm test builds first), as a user would.
const root = fileURLToPath(new URL('../..', import.meta.url));
const tunelab = (...args: string[]) => spawnSync(process.execPath, ['bin/tunelab.js', ...args], { cwd: root, encoding: 'utf8', env: { ...process.env, HF_HUB_CACHE: join(tmpdir(), 'tunelab-no-hf-cache') } });
const dir = mkdtempSync(join(tmpdir(), 'tunelab-estimate-cli-'));
const write = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};
const GIB = 2 ** 30;

const qlora = write(
  'qlora.yml',
  `base_model: NousResearch/Llama-2-7b-hf
adapter: qlora
load_in_4bit: true
lora_r: 8
lora_target_modules: [q_proj, v_proj]
sequence_len: 2048
micro_batch_size: 1
gradient_checkpointing: true
optimizer: paged_adamw_8bit
bf16: true
`,
);

test('--format json prints exactly the documented keys, in bytes; memory sums to per_gpu', () => {
  const r = tunelab('estimate', qlora, '--format', 'json', '--gpu-memory', '24');
  assert.equal(r.stderr, '');
  assert.equal(r.status, 0);
  const j = JSON.parse(r.stdout);
  assert.deepEqual(Object.keys(j), ['params', 'memory', 'per_gpu', 'fits']);
  assert.deepEqual(j.params, { total: 6_742_609_920, trainable: 4_194_304 });
  assert.deepEqual(Object.keys(j.memory), ['weights', 'gradients', 'optimizer', 'activations', 'other', 'total']);
  const { total, ...parts } = j.memory as Record<string, number>;
  assert.equal(Object.values(parts).reduce((a, b) => a + b, 0), total);
  assert.equal(j.per_gpu, total);
  assert.equal(j.fits, true);
  // Frozen 4-bit base: gradients and states only for the fp32 LoRA parameters (paged 8-bit AdamW).
  assert.equal(j.memory.gradients, 4 * 4_194_304);
  assert.equal(j.memory.optimizer, Math.round(2.03125 * 4_194_304));
  assert.ok(j.per_gpu > 4 * GIB && j.per_gpu < 8 * GIB, String(j.per_gpu));
});

test('does not fit: exit 1, fits false; text names what would fit', () => {
  const full = write('full.yml', 'base_model: meta-llama/Llama-2-7b-hf\nsequence_len: 2048\nmicro_batch_size: 1\ngradient_checkpointing: true\nbf16: true\ngpu_memory_limit: 24\n');
  const j = tunelab('estimate', full, '--format', 'json');
  assert.equal(j.status, 1);
  assert.equal(JSON.parse(j.stdout).fits, false);
  // --gpu-memory overrides gpu_memory_limit; 8 GPUs with ZeRO-3 from the file name shard the states.
  assert.equal(tunelab('estimate', full, '--format', 'json', '--gpu-memory', '141').status, 0);
  const t = tunelab('estimate', full);
  assert.equal(t.status, 1);
  assert.match(t.stdout, /^model {7}meta-llama\/Llama-2-7b-hf \(built-in table\), llama\nmethod {6}full fine-tuning, 1 GPU\nparameters {2}6,738,415,616 total, 6,738,415,616 trainable \(100 %\)\n/);
  assert.match(t.stdout, /\ndoes not fit: 24 GiB \(gpu_memory_limit\) is exceeded by [\d.]+ GiB\nwhat would help:\n {2}fits +≈ +[\d.]+ GiB {2}QLoRA: /);
  const z3 = write('z3.yml', 'base_model: meta-llama/Llama-2-7b-hf\nsequence_len: 2048\ngradient_checkpointing: true\nbf16: true\ndeepspeed: deepspeed_configs/zero3_bf16.json\n');
  const one = JSON.parse(tunelab('estimate', z3, '--format', 'json').stdout);
  const eight = JSON.parse(tunelab('estimate', z3, '--format', 'json', '--gpus', '8').stdout);
  assert.ok(Math.abs(eight.memory.optimizer - one.memory.optimizer / 8) <= 1);
});

test('without any limit, fits answers for an 80 GB card', () => {
  const r = tunelab('estimate', qlora);
  assert.equal(r.status, 0);
  assert.match(r.stdout, /\nfits: 80 GiB \(default 80 GB card\) with [\d.]+ GiB to spare\n/);
  assert.match(r.stdout, /^model {7}NousResearch\/Llama-2-7b-hf \(built-in table: meta-llama\/Llama-2-7b-hf\), llama\nmethod {6}QLoRA \(NF4 base\), 1 GPU\n/);
});

test('what cannot be estimated: exit 2, one located line on stderr, nothing on stdout', () => {
  const cases: [string, string, RegExp][] = [
    ['neg.yml', 'base_model: meta-llama/Llama-2-7b-hf\nmicro_batch_size: -2\n', /^tunelab estimate: .*neg\.yml:2:1: cannot estimate: micro_batch_size is -2; it must be at least 1\n$/],
    ['huge.yml', 'base_model: meta-llama/Llama-2-7b-hf\nsequence_len: 1000000000000\n', /^tunelab estimate: .*huge\.yml:2:1: cannot estimate: sequence_len is 1000000000000, beyond anything that can be estimated \(at most 16,777,216\)\n$/],
    ['local.yml', 'base_model: ./no-such-model\n', /^tunelab estimate: .*local\.yml:1:1: cannot estimate: no config\.json found for the local model '\.\/no-such-model' \(looked in .*no-such-model.*\)\n$/],
    ['bad.yml', 'base_model: [unclosed\n', /^tunelab estimate: .*bad\.yml:\d+:\d+: not valid YAML: /],
  ];
  for (const [name, text, re] of cases) {
    const r = tunelab('estimate', write(name, text), '--format', 'json');
    assert.equal(r.status, 2, name);
    assert.equal(r.stdout, '', name);
    assert.match(r.stderr, re, name);
  }
  const missing = tunelab('estimate', join(dir, 'absent.yml'));
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /^tunelab estimate: no such file: .*absent\.yml\n$/);
  assert.equal(tunelab('estimate', qlora, '--gpus', '0').status, 2);
  assert.equal(tunelab('estimate', qlora, '--gpu-memory', '-3').status, 2);
  assert.equal(tunelab('estimate', qlora, '--format', 'xml').status, 2);
});
