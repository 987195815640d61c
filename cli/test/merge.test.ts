import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCli } from './inProcess';

const fixtures = fileURLToPath(new URL('../../trainer/test/fixtures', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'tunelab-cli-merge-'));
cpSync(join(fixtures, 'llama-tiny'), join(dir, 'llama-tiny'), { recursive: true });
after(() => rmSync(dir, { recursive: true, force: true }));

const run = (...args: string[]) => runCli(dir, args);

test('tunelab merge: a LoRA merged in by task arithmetic, written as a Hugging Face folder', async () => {
  writeFileSync(join(dir, 'ta.yml'), 'merge_method: task_arithmetic\nbase_model: ./llama-tiny\nmodels:\n  - model: ./llama-tiny+./llama-tiny/adapter\n    parameters:\n      weight: 0.5\nparameters:\n  lambda: 2\ndtype: bfloat16\n');
  const r = await run('merge', 'ta.yml', '--out', 'merged', '--seed', '3');
  assert.equal(r.code, 0, r.err);
  assert.equal(r.err, '');
  assert.match(r.out, /^merged 20 tensors \(2 layers, task_arithmetic, BF16, seed 3\) into merged in \d+\.\d s: model\.safetensors, config\.json, tokenizer\.json, tokenizer_config\.json, mergekit_config\.yml, README\.md\n$/);
  assert.deepEqual(readdirSync(join(dir, 'merged')).sort(), ['README.md', 'config.json', 'mergekit_config.yml', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json']);
});

test('tunelab merge: config errors are listed at their lines (exit 1) before anything is read', async () => {
  writeFileSync(join(dir, 'bad.yml'), 'merge_method: ties\nbase_model: ./llama-tiny\nmodels:\n  - model: ./llama-tiny/adapter\n    parameters:\n      density: 0\n');
  const r = await run('merge', 'bad.yml', '--out', 'nothing');
  assert.equal(r.code, 1);
  assert.equal(r.err, [
    "bad.yml:4:12: error Missing required parameter 'weight' for ./llama-tiny/adapter (ties needs it per model). [merge-param-missing]",
    'bad.yml:6:16: error density is the fraction of entries kept and must be in (0, 1]; got 0. [merge-param-range]',
    '',
  ].join('\n'));
  assert.equal(existsSync(join(dir, 'nothing')), false);
});

test('tunelab merge: usage errors exit 2', async () => {
  assert.equal((await run('merge', 'ta.yml')).code, 2);
  const r = await run('merge', 'ta.yml', '--out', 'x', '--max-shard-size', 'lots');
  assert.equal(r.code, 2);
  assert.match(r.err, /--max-shard-size must be bytes or a size such as 500M or 5G, got 'lots'/);
  writeFileSync(join(dir, 'hub.yml'), 'merge_method: linear\nmodels:\n  - model: org/not-here\n    parameters:\n      weight: 1\n');
  const hub = await run('merge', 'hub.yml', '--out', 'x');
  assert.equal(hub.code, 2);
  assert.match(hub.err, /model 'org\/not-here' is not a local folder .*huggingface-cli download org\/not-here/);
});

test('tunelab validate: merge configs get the merge checks', async () => {
  writeFileSync(join(dir, 'slerp.yml'), 'merge_method: slerp\nbase_model: ./llama-tiny\nmodels:\n  - model: ./llama-tiny\n  - model: ./llama-tiny/adapter\n');
  const r = await run('validate', 'slerp.yml');
  assert.equal(r.code, 1);
  assert.equal(r.out, "slerp.yml:1:15: error merge-param-missing: slerp needs parameter 't' (under top-level or slice `parameters`).\n1 file checked: 1 error, 0 warnings\n");
});
