import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCli } from './inProcess';

/** Runs `tunelab validate ...` in-process in `cwd`, capturing stdout/stderr. */
const validate = (cwd: string, ...args: string[]) => runCli(cwd, ['validate', ...args]);

function workspace(): string {
  const dir = mkdtempSync(join(tmpdir(), 'tunelab-validate-'));
  mkdirSync(join(dir, 'configs', 'nested'), { recursive: true });
  mkdirSync(join(dir, 'node_modules', 'pkg'), { recursive: true });
  mkdirSync(join(dir, 'data'));
  writeFileSync(join(dir, 'data', 'train.jsonl'), '{"text": "hello"}\n');
  const good = 'base_model: gpt2\ndatasets:\n  - path: data/train.jsonl\n    type: completion\nmicro_batch_size: 1\ngradient_accumulation_steps: 1\nlearning_rate: 1e-5\n';
  writeFileSync(join(dir, 'configs', 'good.yml'), good.replace('data/train.jsonl', '../data/train.jsonl'));
  writeFileSync(join(dir, 'configs', 'nested', 'warn.yaml'), good.replace('data/train.jsonl', '../../data/train.jsonl') + 'lora_rnak: 8\n');
  writeFileSync(join(dir, 'configs', 'ci.yml'), 'on: push\njobs: {}\n');
  writeFileSync(join(dir, 'node_modules', 'pkg', 'bad.yml'), 'base_model: x\n');
  writeFileSync(join(dir, 'bad.yml'), 'base_model: gpt2\nadapter: qlora\ndatasets:\n  - path: ./missing.jsonl\n    type: completion\nmicro_batch_size: 1\ngradient_accumulation_steps: 1\nlearning_rate: 2e-4\n');
  return dir;
}

test('text format: path:line:col: severity code: message, 1-based; warnings alone exit 0', async () => {
  const dir = workspace();
  try {
    const r = await validate(dir, 'configs');
    assert.equal(r.code, 0);
    assert.equal(r.err, '');
    assert.equal(
      r.out,
      "configs/nested/warn.yaml:8:1: warning config-unknown-key: Unknown key 'lora_rnak': did you mean 'lora_r'? Axolotl ignores unknown keys silently.\n" +
        '2 files checked: 0 errors, 1 warning\n',
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('json format: one object with files, kinds and LSP diagnostics; errors exit 1', async () => {
  const dir = workspace();
  try {
    const r = await validate(dir, '--format', 'json', 'bad.yml', 'data/train.jsonl');
    assert.equal(r.code, 1);
    const parsed = JSON.parse(r.out) as { files: { path: string; kind: string; diagnostics: { code: string; severity: number; range: unknown; source: string }[] }[] };
    assert.deepEqual(
      parsed.files.map((f) => ({ path: f.path, kind: f.kind, codes: f.diagnostics.map((d) => `${d.severity} ${d.code}`) })),
      [
        { path: 'bad.yml', kind: 'config', codes: ['1 config-qlora-needs-4bit', '2 config-lora-no-targets', '1 config-dataset-path-missing'] },
        { path: 'data/train.jsonl', kind: 'dataset', codes: [] },
      ],
    );
    assert.deepEqual(parsed.files[0]!.diagnostics[0]!.range, { start: { line: 1, character: 9 }, end: { line: 1, character: 14 } });
    assert.equal(parsed.files[0]!.diagnostics[0]!.source, 'tunelab');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('usage and I/O errors exit 2 with one line on stderr', async () => {
  const dir = workspace();
  try {
    const missing = await validate(dir, 'nope.yml');
    assert.deepEqual([missing.code, missing.out, missing.err], [2, '', 'tunelab validate: no such file or folder: nope.yml\n']);
    const none = await validate(dir);
    assert.deepEqual([none.code, none.err], [2, 'tunelab validate: give at least one file or folder (tunelab validate --help)\n']);
    const fmt = await validate(dir, '--format', 'xml', 'bad.yml');
    assert.deepEqual([fmt.code, fmt.err], [2, "tunelab validate: --format must be one of text, json, got 'xml'\n"]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a huge file is reported as too large without being read whole', async () => {
  const dir = workspace();
  try {
    writeFileSync(join(dir, 'huge.yaml'), 'base_model: x\n' + '#'.repeat(3 * 1024 * 1024));
    const r = await validate(dir, 'huge.yaml');
    assert.equal(r.code, 1);
    assert.equal(r.out, 'huge.yaml:1:1: error config-too-large: The file is 3.0 MB, above the 1.0 MB limit for a config; it was not parsed.\n1 file checked: 1 error, 0 warnings\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a local base_model folder is loaded and checked: a base tokenizer under ChatML never learns to end its turn', async () => {
  const dir = workspace();
  try {
    const fixture = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'common', 'test', 'fixtures', 'chat', 'chatml');
    cpSync(fixture, join(dir, 'models', 'base'), { recursive: true });
    const tc = join(dir, 'models', 'base', 'tokenizer_config.json');
    writeFileSync(tc, JSON.stringify({ ...(JSON.parse(readFileSync(tc, 'utf8')) as object), eos_token: '<|endoftext|>' }));
    writeFileSync(join(dir, 'data', 'chat.jsonl'), '{"messages":[{"role":"user","content":"Hi"},{"role":"assistant","content":"Hello"}]}\n');
    writeFileSync(join(dir, 'chat.yml'), 'base_model: ./models/base\nlearning_rate: 1e-5\nmicro_batch_size: 1\ngradient_accumulation_steps: 1\ndatasets:\n  - path: data/chat.jsonl\n    type: chat_template\n    chat_template: chatml\n');
    const r = await validate(dir, 'chat.yml');
    assert.equal(r.code, 0);
    assert.equal(
      r.out,
      [
        `chat.yml:8:20: warning mask-eos-not-in-template: With the model './models/base': the EOS token "<|endoftext|>" never appears in the chat template (chatml): check that the template and the tokenizer belong together.`,
        `chat.yml:8:20: warning mask-turn-end-not-trained: With the model './models/base': turns end with "<|im_end|>" but the EOS token is "<|endoftext|>" and eot_tokens does not list "<|im_end|>": the model never learns to end its turn (set eot_tokens: ["<|im_end|>"], or use a tokenizer whose eos_token is "<|im_end|>").`,
        '1 file checked: 0 errors, 2 warnings',
        '',
      ].join('\n'),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a YAML named on the command line is a config even without base_model; mergekit YAML gets the merge checks instead', async () => {
  const dir = workspace();
  try {
    // Issue 11: an Axolotl config that forgot base_model and learning_rate used to pass with "0 errors".
    writeFileSync(join(dir, 'forgot.yml'), 'datasets:\n  - path: data/train.jsonl\n    type: completion\nsequence_len: 512\nmicro_batch_size: 1\ngradient_accumulation_steps: 1\n');
    writeFileSync(join(dir, 'nodata.yml'), 'base_model: gpt2\nmicro_batch_size: 1\ngradient_accumulation_steps: 1\nlearning_rate: 1e-5\n');
    writeFileSync(join(dir, 'merge.yml'), 'merge_method: ties\nbase_model: a\nmodels:\n  - model: b\n');
    const r = await validate(dir, 'forgot.yml', 'nodata.yml', 'configs/ci.yml', 'merge.yml');
    assert.equal(r.code, 1);
    assert.equal(
      r.out,
      "forgot.yml:1:1: error config-missing-key: Missing required key 'base_model': the model to fine-tune (a Hub id or a local folder).\n" +
        "forgot.yml:1:1: error config-missing-key: Missing required key 'learning_rate' (e.g. 2e-4 for LoRA, 1e-5 for full fine-tuning).\n" +
        'nodata.yml:1:1: error config-missing-datasets: Either datasets or pretraining_dataset is required (and must not be empty).\n' +
        "configs/ci.yml:1:1: error config-batch-size-fields: At least two of micro_batch_size, gradient_accumulation_steps and batch_size must be set (missing or zero: micro_batch_size, gradient_accumulation_steps, batch_size).\n" +
        'configs/ci.yml:1:1: error config-missing-datasets: Either datasets or pretraining_dataset is required (and must not be empty).\n' +
        "configs/ci.yml:1:1: error config-missing-key: Missing required key 'base_model': the model to fine-tune (a Hub id or a local folder).\n" +
        "configs/ci.yml:1:1: error config-missing-key: Missing required key 'learning_rate' (e.g. 2e-4 for LoRA, 1e-5 for full fine-tuning).\n" +
        // PyYAML (YAML 1.1), which Axolotl uses, reads the key `on` as the boolean true.
        "configs/ci.yml:1:1: warning config-unknown-key: Unknown key 'true': did you mean 'trl'? Axolotl ignores unknown keys silently.\n" +
        "configs/ci.yml:2:1: warning config-unknown-key: Unknown key 'jobs': Axolotl ignores it silently.\n" +
        "merge.yml:4:12: error merge-param-missing: Missing required parameter 'weight' for b (ties needs it per model).\n" +
        '4 files checked: 8 errors, 2 warnings\n',
    );
    // In a folder, the config that forgot base_model is found by its Axolotl keys; CI YAML is not a config.
    mkdirSync(join(dir, 'more'));
    writeFileSync(join(dir, 'more', 'forgot.yaml'), readFileSync(join(dir, 'forgot.yml'), 'utf8'));
    writeFileSync(join(dir, 'more', 'ci.yml'), 'on: push\njobs: {}\n');
    const f = await validate(dir, '--format', 'json', 'more');
    assert.equal(f.code, 1);
    const files = (JSON.parse(f.out) as { files: { path: string; kind: string; diagnostics: { code: string }[] }[] }).files;
    assert.deepEqual(files.map((x) => [x.path, x.kind, x.diagnostics.map((d) => d.code)]), [['more/forgot.yaml', 'config', ['config-missing-key', 'config-missing-key']]]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('in a folder, data no record of which is a training record is not a dataset; named, or listed by a config, it is refused', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tunelab-validate-'));
  try {
    mkdirSync(join(dir, 'eval'));
    // Benchmark items (MMLU's shape) beside the training data, and one broken training file.
    writeFileSync(join(dir, 'eval', 'mmlu.jsonl'), '{"question": "2+2?", "subject": "math", "choices": ["3", "4"], "answer": 1}\n{"question": "3+3?", "subject": "math", "choices": ["6", "7"], "answer": 0}\n');
    writeFileSync(join(dir, 'train.jsonl'), '{"instruction": "Say hi", "output": "hi"}\n{"question": "stray"}\n');
    const folder = await validate(dir, '.', '--format', 'json');
    const files = (JSON.parse(folder.out) as { files: { path: string; kind: string; diagnostics: { code: string; range: { start: { line: number } } }[] }[] }).files;
    assert.deepEqual(
      files.map((f) => [f.path, f.kind, f.diagnostics.map((d) => `${d.range.start.line + 1} ${d.code}`)]),
      [
        ['eval/mmlu.jsonl', 'other', []],
        ['train.jsonl', 'dataset', ['2 dataset-unknown-format']],
      ],
    );
    assert.equal(folder.code, 1);
    const named = await validate(dir, 'eval/mmlu.jsonl');
    assert.equal(named.code, 1);
    assert.match(named.out, /^eval\/mmlu\.jsonl:1:1: error dataset-unknown-format: .*\neval\/mmlu\.jsonl:2:1: error dataset-unknown-format: .*\n1 file checked: 2 errors, 0 warnings\n$/);
    // A config that trains on it makes it a dataset again, found in the folder or not.
    writeFileSync(join(dir, 'cfg.yml'), 'base_model: gpt2\ndatasets:\n  - path: eval/mmlu.jsonl\n    type: alpaca\nmicro_batch_size: 1\ngradient_accumulation_steps: 1\nlearning_rate: 1e-5\n');
    const listed = JSON.parse((await validate(dir, '.', '--format', 'json')).out) as { files: { path: string; kind: string; diagnostics: { code: string; range: { start: { line: number } } }[] }[] };
    const mmlu = listed.files.find((f) => f.path === 'eval/mmlu.jsonl')!;
    assert.equal(mmlu.kind, 'dataset');
    assert.deepEqual(
      mmlu.diagnostics.map((d) => `${d.range.start.line + 1} ${d.code}`),
      ['1 dataset-alpaca-missing-field', '1 dataset-alpaca-missing-field', '2 dataset-alpaca-missing-field', '2 dataset-alpaca-missing-field'],
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
