// The dataset commands through the CLI entry point (cli/main.ts), as a user runs them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../../cli/test/inProcess';
import { chatFixture } from './helpers';

const dir = mkdtempSync(join(tmpdir(), 'tunelab-dataset-cli-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

const run = (...argv: string[]) => runCli(dir, argv);

const lines = (...recs: unknown[]) => recs.map((r) => JSON.stringify(r)).join('\n') + '\n';
const oa = (q: string, a: string, extra: Record<string, unknown> = {}) => ({ messages: [{ role: 'user', content: q }, { role: 'assistant', content: a, ...extra }] });

test('inspect --format json: exactly the contract keys; tokens with a model', async () => {
  writeFileSync(join(dir, 'd.jsonl'), lines(oa('hi', 'hello'), oa('yo', 'hey')));
  const plain = await run('inspect', 'd.jsonl', '--format', 'json');
  assert.equal(plain.code, 0);
  const j = JSON.parse(plain.out) as Record<string, unknown>;
  assert.deepEqual(Object.keys(j), ['format', 'records', 'stats']);
  assert.deepEqual([j.format, j.records], ['openai', 2]);
  const withModel = await run('inspect', 'd.jsonl', '--model', chatFixture('chatml'), '--record', '2', '--format', 'json');
  assert.equal(withModel.code, 0, withModel.err);
  const r = JSON.parse(withModel.out) as { record: { text: string; tokens: { id: number; text: string; trained: boolean }[] }; stats: { tokens: { measured: number } } };
  assert.deepEqual(Object.keys(r), ['format', 'records', 'stats', 'record']);
  assert.deepEqual(Object.keys(r.record), ['text', 'tokens']);
  assert.equal(r.record.text, '<|im_start|>user\nyo<|im_end|>\n<|im_start|>assistant\nhey<|im_end|>\n');
  for (const t of r.record.tokens) assert.deepEqual(Object.keys(t), ['id', 'text', 'trained']);
  assert.equal(r.record.tokens.filter((t) => t.trained).map((t) => t.text).join(''), 'hey<|im_end|>');
  assert.equal(r.stats.tokens.measured, 2);
  const text = await run('inspect', 'd.jsonl', '--model', chatFixture('chatml'), '--record', '1');
  assert.match(text.out, /⟦hello<\|im_end\|>⟧/);
});

test('inspect: usage and I/O errors exit 2 with one line', async () => {
  assert.deepEqual(await run('inspect', 'missing.jsonl'), { code: 2, out: '', err: 'tunelab inspect: no such dataset: missing.jsonl\n' });
  writeFileSync(join(dir, 'one.jsonl'), lines(oa('a', 'b')));
  assert.deepEqual(await run('inspect', 'one.jsonl', '--record', '0'), { code: 2, out: '', err: "tunelab inspect: --record must be an integer >= 1, got '0'\n" });
  assert.deepEqual(await run('inspect', 'one.jsonl', '--record', '5'), { code: 2, out: '', err: 'tunelab inspect: record 5 is out of range: the file has 1 record\n' });
  const badModel = await run('inspect', 'one.jsonl', '--model', dir);
  assert.equal(badModel.code, 2);
  assert.match(badModel.err, /^tunelab inspect: no tokenizer\.json in /);
});

test('convert writes a new file atomically and never touches the source', async () => {
  const src = join(dir, 'src.jsonl');
  const content = lines(oa('Q1', 'A1'), oa('Q2', 'A2', { weight: 0 }));
  writeFileSync(src, content);
  const ok = await run('convert', 'src.jsonl', '--to', 'sharegpt', '--out', 'out.jsonl');
  // weight 0 cannot be said in ShareGPT: refused, nothing written, no temp file left.
  assert.deepEqual(ok, {
    code: 1,
    out: '',
    err: "tunelab convert: refused, nothing written: converting OpenAI chat to sharegpt would\n  - lose per-message training weights ('weight') in 1 record (first at line 2) [weights]\nPass --allow-lossy to convert anyway.\n",
  });
  assert.equal(existsSync(join(dir, 'out.jsonl')), false);
  assert.deepEqual(readdirSync(dir).filter((f) => f.includes('.tmp')), []);
  const lossy = await run('convert', 'src.jsonl', '--to', 'sharegpt', '--out', 'out.jsonl', '--allow-lossy');
  assert.deepEqual(lossy, { code: 0, out: '', err: 'tunelab convert: wrote 2 records as sharegpt to out.jsonl (lossy: weights in 1)\n' });
  assert.equal(
    readFileSync(join(dir, 'out.jsonl'), 'utf8'),
    lines({ conversations: [{ from: 'human', value: 'Q1' }, { from: 'gpt', value: 'A1' }] }, { conversations: [{ from: 'human', value: 'Q2' }, { from: 'gpt', value: 'A2' }] }),
  );
  assert.equal(readFileSync(src, 'utf8'), content);
  assert.deepEqual(await run('convert', 'src.jsonl', '--to', 'sharegpt', '--out', 'out.jsonl'), { code: 2, out: '', err: 'tunelab convert: out.jsonl exists (pass --force to replace it)\n' });
  assert.deepEqual(await run('convert', 'src.jsonl', '--to', 'openai', '--out', 'src.jsonl', '--force'), { code: 2, out: '', err: 'tunelab convert: --out is the input file: write the conversion to a new file\n' });
  assert.deepEqual(await run('convert', 'src.jsonl', '--to', 'csv', '--out', 'x'), { code: 2, out: '', err: "tunelab convert: --to must be one of alpaca, sharegpt, openai, got 'csv'\n" });
  writeFileSync(join(dir, 'bad.jsonl'), lines({ messages: [] }));
  assert.deepEqual(await run('convert', 'bad.jsonl', '--to', 'sharegpt', '--out', 'none.jsonl', '--skip-invalid'), {
    code: 1,
    out: '',
    err: 'tunelab convert: nothing written: none of the 1 record could be converted (1 with errors, 0 the format cannot hold)\n',
  });
  assert.equal(existsSync(join(dir, 'none.jsonl')), false);
  const arr = await run('convert', 'out.jsonl', '--to', 'alpaca', '--out', 'out.json');
  assert.equal(arr.code, 0);
  assert.deepEqual(JSON.parse(readFileSync(join(dir, 'out.json'), 'utf8')), [
    { instruction: 'Q1', input: '', output: 'A1' },
    { instruction: 'Q2', input: '', output: 'A2' },
  ]);
});

test('validate: datasets are checked, with the mappings of a config given in the same run', async () => {
  writeFileSync(join(dir, 'talk.jsonl'), lines({ dialog: [{ who: 'me', text: 'hi' }, { who: 'bot', text: 'hey' }] }));
  const alone = await run('validate', 'talk.jsonl');
  assert.deepEqual([alone.code, alone.out.split('\n')[0]], [1, "talk.jsonl:1:1: error dataset-unknown-format: not a record Tunelab can read: expected 'messages' (OpenAI chat), 'conversations' (ShareGPT), 'instruction'/'output' (Alpaca) or 'text'; found keys `dialog`"]);
  const config = ['base_model: ./none', 'datasets:', '  - path: talk.jsonl', '    type: chat_template', '    field_messages: dialog', '    message_property_mappings:', '      role: who', '      content: text', '    roles:', '      user: [me]', '      assistant: [bot]', 'micro_batch_size: 1', 'gradient_accumulation_steps: 1', 'learning_rate: 0.0002', ''].join('\n');
  writeFileSync(join(dir, 'talk.yml'), config);
  const both = await run('validate', '--format', 'json', 'talk.yml', 'talk.jsonl');
  const files = (JSON.parse(both.out) as { files: { path: string; kind: string; diagnostics: { code: string }[]; summary?: { format: string; records: number } }[] }).files;
  const ds = files.find((f) => f.path === 'talk.jsonl')!;
  assert.deepEqual([ds.kind, ds.diagnostics, ds.summary?.format, ds.summary?.records], ['dataset', [], 'chat_template', 1]);
  assert.deepEqual(files.find((f) => f.path === 'talk.yml')!.diagnostics.filter((d) => d.code.startsWith('dataset-')), []);
});

test('validate a folder: a model config.json or tokenizer.json is not taken for a dataset', async () => {
  const { mkdirSync } = await import('node:fs');
  const folder = join(dir, 'model');
  mkdirSync(folder);
  writeFileSync(join(folder, 'config.json'), JSON.stringify({ model_type: 'llama', hidden_size: 64 }, null, 2));
  writeFileSync(join(folder, 'train.jsonl'), lines(oa('Q', 'A'), { messages: [{ role: 'user', content: 'Q' }] }));
  const r = await run('validate', '--format', 'json', 'model');
  const files = (JSON.parse(r.out) as { files: { path: string; kind: string; diagnostics: { code: string }[] }[] }).files;
  assert.deepEqual(
    files.map((f) => [f.path, f.kind, f.diagnostics.map((d) => d.code)]),
    [
      [join('model', 'config.json'), 'other', []],
      [join('model', 'train.jsonl'), 'dataset', ['dataset-no-assistant']],
    ],
  );
  assert.equal(r.code, 1);
});
