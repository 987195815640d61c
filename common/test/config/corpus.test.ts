import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseConfig, validateConfig } from '../../config/index';

/**
 * The in-scope real Axolotl configs (reference/axolotl-examples-index.md): no error on a config
 * Axolotl accepts, and every real mistake found. Skips when ../shared is absent (a fresh clone).
 */
const shared = fileURLToPath(new URL('../../../../shared/', import.meta.url));
const corpus = join(shared, 'corpus/axolotl-examples');
const index = join(shared, 'reference/axolotl-examples-index.md');
const skip = !existsSync(corpus) || !existsSync(index) ? `corpus not found at ${corpus}` : false;

/** file → scope, from the index table. */
function scopes(): Map<string, string> {
  const rows = readFileSync(index, 'utf8').matchAll(/^\| ([^|]+?) \| [^|]+? \| ([^|]+?) \|/gm);
  return new Map([...rows].filter((m) => m[1] !== 'file' && !m[1]!.startsWith('-')).map((m) => [m[1]!, m[2]!.trim()]));
}

function errorsOf(file: string): string[] {
  const path = join(corpus, file);
  // fileExists: () => false — the corpus has no dataset files; local-path checks are covered by unit tests.
  const ds = validateConfig(parseConfig(readFileSync(path, 'utf8')), { configPath: path, fileExists: () => false });
  return ds.filter((d) => d.severity === 1).map((d) => `${file}:${d.range.start.line + 1} ${String(d.code)}`);
}

/**
 * Configs in scope that Axolotl itself refuses (read from its validators), each with the reason.
 * The first two are the index's known mistakes; the rest were found by this checker.
 */
const REFUSED_BY_AXOLOTL: Record<string, string[]> = {
  'archived/falcon/config-7b-qlora.yml': ['archived/falcon/config-7b-qlora.yml:72 config-early-stopping-steps'],
  'archived/xgen-7b/xgen-7b-8k-qlora.yml': ['archived/xgen-7b/xgen-7b-8k-qlora.yml:70 config-early-stopping-steps'],
  // `tokens:` written as a mapping (old special-token style); the field is list[str].
  'archived/jeopardy-bot/config.yml': ['archived/jeopardy-bot/config.yml:48 config-type-mismatch'],
  'archived/mpt-7b/config.yml': ['archived/mpt-7b/config.yml:49 config-type-mismatch'],
  'archived/redpajama/config-3b.yml': ['archived/redpajama/config-3b.yml:50 config-type-mismatch'],
  // Removed keys whose validators raise when truthy.
  'archived/pythia-12b/config.yml': ['archived/pythia-12b/config.yml:18 config-removed-key'],
  'archived/stablelm-2/1.6b/fft.yml': ['archived/stablelm-2/1.6b/fft.yml:49 config-removed-key'],
  'archived/stablelm-2/1.6b/lora.yml': ['archived/stablelm-2/1.6b/lora.yml:52 config-removed-key'],
  // warmup_steps is `int | None`; pydantic refuses 0.1 (a fraction meant for warmup_ratio).
  'expert_parallel/qwen3_30ba3b_ep_fft_4gpu.yaml': ['expert_parallel/qwen3_30ba3b_ep_fft_4gpu.yaml:26 config-type-mismatch'],
  'expert_parallel/qwen3_30ba3b_ep_fsdp_fft_4gpu.yaml': ['expert_parallel/qwen3_30ba3b_ep_fsdp_fft_4gpu.yaml:28 config-type-mismatch'],
  'expert_parallel/qwen3_30ba3b_ep_lora_4gpu.yaml': ['expert_parallel/qwen3_30ba3b_ep_lora_4gpu.yaml:48 config-type-mismatch'],
  // warmup_steps 0.1, and save_strategy: best without metric_for_best_model.
  'llama-3/diffusion/sft-1b.yaml': ['llama-3/diffusion/sft-1b.yaml:33 config-type-mismatch', 'llama-3/diffusion/sft-1b.yaml:47 config-save-best-metric'],
  // FSDP2 with adamw_bnb_8bit (check_fsdp2_w_8bit_optimizer).
  'mistral4/fft-text.yml': ['mistral4/fft-text.yml:35 config-fsdp2-bnb-optimizer'],
};

test('corpus: zero errors on the in-scope configs Axolotl accepts; the refused ones exactly', { skip }, () => {
  const inScope = [...scopes()].filter(([, s]) => s === 'in-scope').map(([f]) => f);
  assert.equal(inScope.length, 182);
  const found: Record<string, string[]> = {};
  for (const f of inScope) {
    const errs = errorsOf(f);
    if (errs.length > 0) found[f] = errs;
  }
  assert.deepEqual(found, REFUSED_BY_AXOLOTL);
});

test('corpus: the typo context_parapllel_size is found with its fix', { skip }, () => {
  const path = join(corpus, 'falcon-h1/falcon-h1-1b-qlora-cp.yaml');
  const ds = validateConfig(parseConfig(readFileSync(path, 'utf8')), { configPath: path, fileExists: () => false });
  const typo = ds.find((d) => d.code === 'config-unknown-key');
  assert.deepEqual(typo, {
    range: { start: { line: 41, character: 0 }, end: { line: 41, character: 22 } },
    severity: 2,
    code: 'config-unknown-key',
    source: 'tunelab',
    message: "Unknown key 'context_parapllel_size': did you mean 'context_parallel_size'? Axolotl ignores unknown keys silently.",
    data: { replaceKeyWith: 'context_parallel_size' },
  });
});

test('corpus: configs outside the first scope (RL, multimodal, QAT, pretraining) never crash the checker', { skip }, () => {
  for (const [f] of scopes()) {
    const text = readFileSync(join(corpus, f), 'utf8');
    const ds = validateConfig(parseConfig(text), {});
    assert.ok(ds.every((d) => d.source === 'tunelab'));
  }
});
