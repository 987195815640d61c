// `tunelab eval --tasks / --compare / CONFIG with eval_tasks`, in process (main() with captured output).
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { parseEvalReport, type EvalReport, type ForgettingReport } from '../../common/eval/report';
import { runCli } from './inProcess';

const root = fileURLToPath(new URL('../..', import.meta.url));
const tinyBase = join(root, 'examples', 'models', 'tiny-base');
const llamaTiny = join(root, 'trainer', 'test', 'fixtures', 'llama-tiny');
const evalDir = join(root, 'examples', 'eval');
const dir = mkdtempSync(join(tmpdir(), 'tunelab-eval-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const tunelab = (...args: string[]) => runCli(root, args);

test('--tasks: JSON on stdout, the same report in --out, Markdown in --markdown', async () => {
  const r = await tunelab('eval', '--model', tinyBase, '--tasks', 'mmlu,examples/eval/pirate_mc.yaml', '--data', 'examples/eval/data', '--limit', '2', '--format', 'json', '--out', join(dir, 'r.json'), '--markdown', join(dir, 'r.md'));
  assert.equal(r.code, 0, r.err);
  const report = parseEvalReport(JSON.parse(r.out)) as EvalReport;
  assert.deepEqual(report.tasks.map((t) => [t.task, t.n, t.primary_metric]), [['mmlu', 4, 'acc'], ['pirate_mc', 2, 'acc']]);
  assert.deepEqual(JSON.parse(readFileSync(join(dir, 'r.json'), 'utf8')), report);
  const md = readFileSync(join(dir, 'r.md'), 'utf8');
  assert.ok(md.startsWith('# Evaluation\n'));
  assert.match(md, /^\| pirate_mc \| 2 \| 0 \| acc \* \| (0\.0|50\.0|100\.0) \| /m);
  assert.equal(r.err, 'mmlu: 4/4\npirate_mc: 2/2\n');
});

test('MMLU from Parquet files in the Hugging Face layout (mmlu/all/test-00000-of-00001.parquet)', async () => {
  const all = join(dir, 'hf', 'mmlu', 'all');
  mkdirSync(all, { recursive: true });
  const rows = (qs: string[], subject: string) =>
    parquetWriteBuffer({
      columnData: [
        { name: 'question', data: qs, type: 'STRING' },
        { name: 'subject', data: qs.map(() => subject), type: 'STRING' },
        { name: 'choices', data: qs.map(() => ['one', 'two', 'three', 'four']) },
        { name: 'answer', data: qs.map((_, i) => BigInt(i % 4)), type: 'INT64' },
      ],
    });
  writeFileSync(join(all, 'test-00000-of-00001.parquet'), new Uint8Array(rows(['Q1?', 'Q2?', 'Q3?'], 'virology')));
  writeFileSync(join(all, 'dev-00000-of-00001.parquet'), new Uint8Array(rows(['D1?'], 'virology')));
  const r = await tunelab('eval', '--model', tinyBase, '--tasks', 'mmlu', '--data', join(dir, 'hf'), '--num-fewshot', '1', '--samples', '1', '--format', 'json');
  assert.equal(r.code, 0, r.err);
  const t = (JSON.parse(r.out) as EvalReport).tasks[0]!;
  assert.equal(t.n, 3);
  assert.equal(t.samples![0]!.prompt, 'The following are multiple choice questions (with answers) about virology.\n\nD1?\nA. one\nB. two\nC. three\nD. four\nAnswer: A\n\nQ1?\nA. one\nB. two\nC. three\nD. four\nAnswer:');
});

test('--compare BASE ADAPTER: a forgetting report with a delta per task', async () => {
  const r = await tunelab('eval', '--compare', llamaTiny, join(llamaTiny, 'adapter'), '--tasks', 'examples/eval/pirate_mc.yaml,examples/eval/corpus.txt', '--format', 'json', '--markdown', join(dir, 'f.md'));
  assert.equal(r.code, 0, r.err);
  const f = parseEvalReport(JSON.parse(r.out)) as ForgettingReport;
  assert.equal(f.kind, 'forgetting');
  assert.equal(f.base.adapter, null);
  assert.equal(f.tuned.adapter, join(llamaTiny, 'adapter'));
  assert.deepEqual(f.deltas.map((d) => [d.task, d.metric, d.paired]), [['pirate_mc', 'acc', true], ['corpus', 'bits_per_byte', true]]);
  assert.ok(readFileSync(join(dir, 'f.md'), 'utf8').startsWith(`# Forgetting report\n\n**${f.verdict}**\n`));
});

test('CONFIG with eval_tasks: tasks and base_model from the config', async () => {
  const cfg = join(dir, 'cfg.yml');
  writeFileSync(cfg, `base_model: ${tinyBase}\ndatasets:\n  - path: x.jsonl\n    type: alpaca\neval_tasks:\n  - task: pirate\n    data: ${join(evalDir, 'pirate_mc.yaml')}\n    limit: 3\n`);
  const r = await tunelab('eval', cfg, '--format', 'json');
  assert.equal(r.code, 0, r.err);
  const report = JSON.parse(r.out) as EvalReport;
  assert.equal(report.model, tinyBase);
  assert.deepEqual(report.tasks.map((t) => [t.task, t.n]), [['pirate', 3]]);
  // --validation: the config's validation split instead (here its dataset does not exist).
  const v = await tunelab('eval', cfg, '--validation');
  assert.equal(v.code, 2);
  assert.match(v.err, /config-dataset-path-missing: Local dataset 'x.jsonl' does not exist/);
});

test('problems: exit 2 with a located, coded line', async () => {
  const unknown = await tunelab('eval', '--model', tinyBase, '--tasks', 'nosuch');
  assert.equal(unknown.code, 2);
  assert.equal(unknown.err, "tunelab eval: eval-task-unknown: unknown task 'nosuch': use mmlu, hellaswag, arc_easy, arc_challenge, a task .yaml file, or a .txt/.jsonl/.parquet corpus for perplexity\n");
  const bad = join(dir, 'bad.yaml');
  writeFileSync(bad, 'task: t\noutput_type: multiple_choice\ndata_files: x.jsonl\ndoc_to_text: q\ndoc_to_target: a\n');
  const yaml = await tunelab('eval', '--model', tinyBase, '--tasks', bad);
  assert.equal(yaml.err, `tunelab eval: ${bad}:1: eval-task-invalid: doc_to_choice is required for multiple_choice\n`);
  const noData = await tunelab('eval', '--model', tinyBase, '--tasks', 'arc_challenge', '--data', join(dir, 'nothing'));
  assert.equal(noData.code, 2);
  assert.match(noData.err, /^tunelab eval: eval-data-missing: no test split for arc_challenge: .* Download allenai\/ai2_arc/);
  const usage = await tunelab('eval', '--compare', tinyBase, '--tasks', 'mmlu');
  assert.equal(usage.code, 2);
  assert.match(usage.err, /--compare needs BASE and TUNED/);
});

test('mistakes caught before any scoring: a missing TUNED, an adapter as BASE, --fail-on-forgetting alone, --out a folder', async () => {
  const args = ['--tasks', 'examples/eval/pirate_mc.yaml'];
  const missing = await tunelab('eval', '--compare', tinyBase, join(dir, 'no-such-run'), ...args);
  assert.equal(missing.code, 2);
  assert.equal(missing.err, `tunelab eval: eval-args-invalid: ${join(dir, 'no-such-run')}: model directory not found\n`);
  const neither = await tunelab('eval', '--compare', tinyBase, dir, ...args);
  assert.equal(neither.err, `tunelab eval: eval-args-invalid: ${dir}: neither a model folder (config.json) nor an adapter folder (adapter_config.json)\n`);
  const swapped = await tunelab('eval', '--compare', join(llamaTiny, 'adapter'), llamaTiny, ...args);
  assert.equal(swapped.code, 2);
  assert.equal(swapped.err, `tunelab eval: eval-args-invalid: ${join(llamaTiny, 'adapter')}: BASE is an adapter folder; give the model it was trained on as BASE and the adapter as TUNED\n`);
  const gate = await tunelab('eval', '--model', tinyBase, '--fail-on-forgetting', ...args);
  assert.deepEqual([gate.code, gate.out, gate.err], [2, '', 'tunelab eval: --fail-on-forgetting needs --compare BASE TUNED (a single model has nothing to forget against)\n']);
  const folder = await tunelab('eval', '--model', tinyBase, '--out', dir, ...args);
  assert.deepEqual([folder.code, folder.err], [2, `tunelab eval: --out ${dir} is a folder; give a file name (e.g. ${join(dir, 'report.json')})\n`]);
});

test('a corpus with nothing to score is an error, not n = 0 with NaN: empty, binary, records without text', async () => {
  writeFileSync(join(dir, 'empty.txt'), '\n\n');
  writeFileSync(join(dir, 'binary.txt'), Buffer.from([0x41, 0x00, 0x42, 0x0a]));
  writeFileSync(join(dir, 'alpaca.jsonl'), '{"instruction":"Say hi","input":"","output":"hi"}\n');
  const err = async (file: string) => {
    const r = await tunelab('eval', '--model', tinyBase, '--tasks', join(dir, file));
    return [r.code, r.out, r.err];
  };
  assert.deepEqual(await err('empty.txt'), [2, '', `tunelab eval: eval-data-missing: task empty: no documents in ${join(dir, 'empty.txt')}\n`]);
  assert.deepEqual(await err('binary.txt'), [2, '', `tunelab eval: ${join(dir, 'binary.txt')}: eval-data-invalid: the file holds NUL bytes: it is binary, not text, JSON Lines or JSON\n`]);
  assert.deepEqual(await err('alpaca.jsonl'), [2, '', `tunelab eval: ${join(dir, 'alpaca.jsonl')}: eval-data-invalid: a corpus record needs a string "text" field (this one has: instruction, input, output); for instruction data use a task YAML\n`]);
});
