/**
 * The config checker on real configs: over the in-scope Axolotl examples
 * (reference/axolotl-examples-index.md), how many errors land on configs Axolotl accepts (false
 * positives), how many configs Axolotl refuses are caught, and warnings per config. The peer is a
 * JSON-Schema validator (ajv, draft-07) run on the same files with the schema generated from the
 * same key table (schemas/axolotl-config.schema.json), which is what a user of yaml-language-server
 * or yamlValidation would get. Also the in-process cost of parse + validate of a 300-line config
 * against the parse alone (the ceiling: the yaml library's own time).
 *
 * Run: `npm run bench -- configCorpus`. Needs ../shared/corpus (skips with a message otherwise).
 */
import { existsSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Ajv from 'ajv';
import { parseDocument } from 'yaml';
import { configJsonSchema, parseConfig, validateConfig } from '../common/config/index';
import { config300 } from './lsp/config300';

const root = fileURLToPath(new URL('..', import.meta.url));
const corpus = join(root, '..', 'shared', 'corpus', 'axolotl-examples');
const index = join(root, '..', 'shared', 'reference', 'axolotl-examples-index.md');

/**
 * Configs Axolotl refuses, read from its validators (see common/test/config/corpus.test.ts for the
 * reason of each). Everything else in scope is accepted by Axolotl.
 */
const REFUSED = new Set([
  'archived/falcon/config-7b-qlora.yml',
  'archived/xgen-7b/xgen-7b-8k-qlora.yml',
  'archived/jeopardy-bot/config.yml',
  'archived/mpt-7b/config.yml',
  'archived/redpajama/config-3b.yml',
  'archived/pythia-12b/config.yml',
  'archived/stablelm-2/1.6b/fft.yml',
  'archived/stablelm-2/1.6b/lora.yml',
  'expert_parallel/qwen3_30ba3b_ep_fft_4gpu.yaml',
  'expert_parallel/qwen3_30ba3b_ep_fsdp_fft_4gpu.yaml',
  'expert_parallel/qwen3_30ba3b_ep_lora_4gpu.yaml',
  'llama-3/diffusion/sft-1b.yaml',
  'mistral4/fft-text.yml',
]);

function stats(samples: number[]) {
  const s = [...samples].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
  return { p50: at(0.5), p95: at(0.95) };
}

function main(): void {
  if (!existsSync(corpus) || !existsSync(index)) {
    console.log(`skipped: corpus not found at ${corpus}`);
    return;
  }
  const files = [...readFileSync(index, 'utf8').matchAll(/^\| ([^|]+?) \| [^|]+? \| ([^|]+?) \|/gm)].filter((m) => m[2]!.trim() === 'in-scope').map((m) => m[1]!);
  const ajv = new Ajv({ allErrors: true }); // ajv 6: unknown keywords (deprecationMessage) are ignored
  const peerValidate = ajv.compile(configJsonSchema());

  const ours = { fp: 0, fpFiles: 0, caught: 0, warnings: 0, ms: 0 };
  const peer = { fp: 0, fpFiles: 0, caught: 0, ms: 0 };
  const warnByCode = new Map<string, number>();
  for (const f of files) {
    const path = join(corpus, f);
    const text = readFileSync(path, 'utf8');
    let t0 = performance.now();
    const ds = validateConfig(parseConfig(text), { configPath: path, fileExists: () => false });
    ours.ms += performance.now() - t0;
    const errors = ds.filter((d) => d.severity === 1).length;
    ours.warnings += ds.filter((d) => d.severity === 2).length;
    for (const d of ds) if (d.severity === 2) warnByCode.set(String(d.code), (warnByCode.get(String(d.code)) ?? 0) + 1);
    t0 = performance.now();
    const ok = peerValidate(parseDocument(text, { version: '1.1' }).toJS({ maxAliasCount: 100 }));
    peer.ms += performance.now() - t0;
    const peerErrors = ok ? 0 : (peerValidate.errors ?? []).length;
    if (REFUSED.has(f)) {
      if (errors > 0) ours.caught++;
      if (peerErrors > 0) peer.caught++;
    } else {
      ours.fp += errors;
      if (errors > 0) ours.fpFiles++;
      peer.fp += peerErrors;
      if (peerErrors > 0) peer.fpFiles++;
    }
  }

  // In-process latency on the benchmark's 300-line config: parse + validate vs parse alone.
  const text = config300('data/train.jsonl');
  const env = { configPath: join(root, 'config.yml'), fileExists: () => true };
  for (let i = 0; i < 100; i++) validateConfig(parseConfig(text), env);
  const full: number[] = [];
  const parseOnly: number[] = [];
  for (let i = 0; i < 400; i++) {
    let t0 = performance.now();
    parseDocument(text, { version: '1.1' });
    parseOnly.push(performance.now() - t0);
    t0 = performance.now();
    validateConfig(parseConfig(text), env);
    full.push(performance.now() - t0);
  }
  const f = stats(full);
  const p = stats(parseOnly);
  const accepted = files.length - REFUSED.size;
  const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}`;
  console.log(`machine: ${machine}; ${files.length} in-scope configs (${accepted} accepted by Axolotl, ${REFUSED.size} refused)\n`);
  console.log('| checker | errors on accepted configs (files) | refused configs caught | warnings / config | total time |');
  console.log('|---|---|---|---|---|');
  console.log(`| Tunelab validateConfig | ${ours.fp} (${ours.fpFiles}) | ${ours.caught} / ${REFUSED.size} | ${(ours.warnings / files.length).toFixed(2)} | ${ours.ms.toFixed(0)} ms |`);
  console.log(`| JSON Schema (ajv, same key table) | ${peer.fp} (${peer.fpFiles}) | ${peer.caught} / ${REFUSED.size} | — | ${peer.ms.toFixed(0)} ms |`);
  console.log(`\nwarnings by code: ${[...warnByCode].sort((a, b) => b[1] - a[1]).map(([c, n]) => `${c} ${n}`).join(', ')}`);
  console.log(`\n300-line config, in process, after warm-up (n=400): parse+validate p50 ${f.p50.toFixed(2)} ms, p95 ${f.p95.toFixed(2)} ms; yaml parse alone p50 ${p.p50.toFixed(2)} ms, p95 ${p.p95.toFixed(2)} ms (ratio p50 ${(f.p50 / p.p50).toFixed(2)}x)`);
  console.log(JSON.stringify({ bench: 'configCorpus', files: files.length, accepted, refused: REFUSED.size, ours, peer, latency: { full: f, parseOnly: p } }));
}

main();
