// `tunelab train` and `tunelab eval` end to end on a tiny generated model: refusals before
// compute (exit 2 with the language server's own diagnostics), the events stream and file,
// outputs, --resume continuing the same trajectory, and SIGTERM in a real subprocess.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli } from '../../../cli/test/inProcess';
import { parseConfig, validateConfig } from '../../../common/config/index';
import { withModelCheck } from '../../../common/config/modelCheck';
import { checkDatasetAgainstEntry } from '../../../common/dataset/configHook';
import { parseEvent, type TrainerEvent } from '../../../common/protocol/events';
import { writeChatData, writeConfig, writeTestModel } from './modelDir';

let dir = '';
let model = '';
let data = '';

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'tunelab-train-cli-'));
  model = join(dir, 'model');
  data = join(dir, 'data.jsonl');
  writeTestModel(model);
  writeChatData(data, 16);
});
after(() => rmSync(dir, { recursive: true, force: true }));

const run = (args: string[]) => runCli(dir, args);

const events = (text: string): TrainerEvent[] =>
  text
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const e = parseEvent(l);
      assert.ok(!('error' in e), `not an event: ${l}`);
      return e as TrainerEvent;
    });

describe('refusals before compute', () => {
  it('a config error: exit 2, error events equal to validateConfig diagnostics, also appended to <output_dir>/events.jsonl', async () => {
    const cfg = join(dir, 'bad.yml');
    writeConfig(cfg, model, data, join(dir, 'out-bad'), ['micro_batch_size: lots']);
    const text = readFileSync(cfg, 'utf8');
    const doc = parseConfig(text);
    const env = await withModelCheck(doc, { configPath: cfg, cwd: dir, fileExists: existsSync, checkDatasetFile: checkDatasetAgainstEntry });
    const expected = validateConfig(doc, env).filter((d) => d.severity === 1);
    assert.ok(expected.length > 0);
    const r = await run(['train', cfg, '--json']);
    assert.equal(r.code, 2);
    const ev = events(r.out);
    assert.deepEqual(
      ev.map((e) => (e.type === 'error' ? { code: e.code, message: e.message, location: e.location } : e.type)),
      expected.map((d) => ({ code: String(d.code), message: d.message, location: { path: cfg, range: d.range } })),
    );
    // The run's record: the same lines as stdout, in the output folder the config names.
    assert.equal(readFileSync(join(dir, 'out-bad', 'events.jsonl'), 'utf8'), r.out);
    assert.deepEqual(readdirSync(join(dir, 'out-bad')), ['events.jsonl']);
  });

  it('dataset content that does not fit type: exit 2 with the diagnostics `tunelab validate` gives, before compute', async () => {
    const cfg = join(dir, 'mismatch.yml');
    writeConfig(cfg, model, data, join(dir, 'out-mismatch'));
    writeFileSync(cfg, readFileSync(cfg, 'utf8').replace('    type: chat_template', '    type: alpaca'));
    const v = await run(['validate', cfg, '--format', 'json']);
    assert.equal(v.code, 1);
    const validated = (JSON.parse(v.out) as { files: { diagnostics: { code: string; severity: number; message: string; range: unknown }[] }[] }).files[0]!.diagnostics.filter((d) => d.severity === 1);
    assert.deepEqual(
      validated.map((d) => d.code),
      ['dataset-type-mismatch'],
    );
    const r = await run(['train', cfg, '--json']);
    assert.equal(r.code, 2);
    const ev = events(r.out);
    assert.deepEqual(
      ev.map((e) => (e.type === 'error' ? { code: e.code, message: e.message, location: e.location } : e.type)),
      validated.map((d) => ({ code: d.code, message: d.message, location: { path: cfg, range: d.range } })),
    );
    assert.equal(readFileSync(join(dir, 'out-mismatch', 'events.jsonl'), 'utf8'), r.out);
  });

  it('a model-aware config error (a model without a chat template under type: chat_template): the same diagnostics as validate', async () => {
    const bare = join(dir, 'model-no-template');
    cpSync(model, bare, { recursive: true });
    const tc = JSON.parse(readFileSync(join(bare, 'tokenizer_config.json'), 'utf8')) as Record<string, unknown>;
    delete tc.chat_template;
    writeFileSync(join(bare, 'tokenizer_config.json'), JSON.stringify(tc));
    const cfg = join(dir, 'notemplate.yml');
    writeConfig(cfg, bare, data, join(dir, 'out-notemplate'));
    const v = await run(['validate', cfg, '--format', 'json']);
    assert.equal(v.code, 1);
    const validated = (JSON.parse(v.out) as { files: { diagnostics: { code: string; severity: number; message: string; range: unknown }[] }[] }).files[0]!.diagnostics.filter((d) => d.severity === 1);
    assert.deepEqual(
      validated.map((d) => d.code),
      ['config-model-no-chat-template'],
    );
    const r = await run(['train', cfg, '--json']);
    assert.equal(r.code, 2);
    assert.deepEqual(
      events(r.out).map((e) => (e.type === 'error' ? { code: e.code, message: e.message, location: e.location } : e.type)),
      validated.map((d) => ({ code: d.code, message: d.message, location: { path: cfg, range: d.range } })),
    );
  });

  it('refusals are appended to --output/events.jsonl; with no known output folder they go to stdout only', async () => {
    const missing = join(dir, 'no-such-config.yml');
    const withOut = await run(['train', missing, '--json', '--output', join(dir, 'out-missing')]);
    assert.equal(withOut.code, 2);
    assert.deepEqual(
      events(withOut.out).map((e) => e.type === 'error' && e.code),
      ['trainer-config-unreadable'],
    );
    assert.equal(readFileSync(join(dir, 'out-missing', 'events.jsonl'), 'utf8'), withOut.out);
    const before = readdirSync(dir).sort();
    const without = await run(['train', missing, '--json']);
    assert.equal(without.code, 2);
    assert.deepEqual(
      events(without.out).map((e) => e.type === 'error' && e.code),
      ['trainer-config-unreadable'],
    );
    assert.deepEqual(readdirSync(dir).sort(), before);
    // A config without output_dir refused before its settings are read: stdout only as well.
    const bare = join(dir, 'bare.yml');
    writeFileSync(bare, `base_model: ${model}\nmicro_batch_size: lots\n`);
    const b = await run(['train', bare, '--json']);
    assert.equal(b.code, 2);
    assert.ok(events(b.out).every((e) => e.type === 'error'));
    assert.deepEqual(readdirSync(dir).sort(), [...before, 'bare.yml'].sort());
  });

  it('a broken dataset record: exit 2 and an error event located in the data file', async () => {
    const bad = join(dir, 'broken.jsonl');
    writeFileSync(bad, readFileSync(data, 'utf8') + '{"messages": [{"role": "user", "content": "unterminated\n');
    const cfg = join(dir, 'baddata.yml');
    writeConfig(cfg, model, bad, join(dir, 'out-baddata'));
    const r = await run(['train', cfg, '--json']);
    assert.equal(r.code, 2);
    const ev = events(r.out);
    assert.ok(ev.length > 0 && ev.every((e) => e.type === 'error'));
    const first = ev[0]! as Extract<TrainerEvent, { type: 'error' }>;
    assert.equal(first.location?.path, bad);
    assert.equal(first.location?.range.start.line, 16);
    assert.equal(readFileSync(join(dir, 'out-baddata', 'events.jsonl'), 'utf8'), r.out);
  });

  it('a base_model that is not a local directory: exit 2, trainer-model-not-local', async () => {
    const cfg = join(dir, 'nomodel.yml');
    writeConfig(cfg, join(dir, 'no-such-model'), data, join(dir, 'out-nomodel'));
    const r = await run(['train', cfg, '--json']);
    assert.equal(r.code, 2);
    const ev = events(r.out);
    assert.equal(ev.length, 1);
    assert.equal(ev[0]!.type === 'error' && ev[0]!.code, 'trainer-model-not-local');
  });
});

describe('a run', () => {
  it("records the base model's resolved folder in adapter_config.json, not the config's relative path", async () => {
    const out = join(dir, 'out-relative');
    const cfg = join(dir, 'relative.yml');
    writeConfig(cfg, './model', data, out);
    const r = await run(['train', cfg, '--json', '--max-steps', '1']);
    assert.equal(r.code, 0, r.err);
    assert.equal(JSON.parse(readFileSync(join(out, 'adapter_config.json'), 'utf8')).base_model_name_or_path, model);
  });

  it('--json: stdout is exactly the events file; run_start, steps, evals, checkpoints, done; the adapter is written', async () => {
    const out = join(dir, 'out-run');
    const cfg = join(dir, 'run.yml');
    writeConfig(cfg, model, data, out, ['save_steps: 3', 'eval_steps: 3']);
    const r = await run(['train', cfg, '--json']);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.err, '');
    assert.equal(readFileSync(join(out, 'events.jsonl'), 'utf8'), r.out);
    const ev = events(r.out);
    // 12 train records, micro-batch 2, accumulation 2: 6 micro-batches, 3 steps per epoch, 2 epochs.
    assert.deepEqual(
      ev.map((e) => e.type + (e.type === 'step' || e.type === 'eval' || e.type === 'checkpoint' ? `:${e.step}` : '')),
      ['log', 'run_start', 'step:1', 'step:2', 'step:3', 'eval:3', 'checkpoint:3', 'step:4', 'step:5', 'step:6', 'eval:6', 'checkpoint:6', 'done'],
    );
    const start = ev[1] as Extract<TrainerEvent, { type: 'run_start' }>;
    assert.equal(start.method, 'lora');
    assert.deepEqual(start.dataset, { train_records: 12, eval_records: 4, train_tokens: start.dataset.train_tokens });
    assert.equal(start.total_steps, 6);
    assert.ok(start.params.trainable < start.params.total);
    const done = ev.at(-1) as Extract<TrainerEvent, { type: 'done' }>;
    assert.equal(done.status, 'completed');
    assert.deepEqual(done.outputs, { events: join(out, 'events.jsonl'), checkpoint: join(out, 'checkpoint-6'), adapter: out });
    assert.deepEqual(readdirSync(out).sort(), ['adapter_config.json', 'adapter_model.safetensors', 'checkpoint-3', 'checkpoint-6', 'events.jsonl']);
    assert.deepEqual(readdirSync(join(out, 'checkpoint-3')).sort(), ['adapter_config.json', 'adapter_model.safetensors', 'optimizer.safetensors', 'trainer_state.json', 'weights.safetensors']);

    // eval with the adapter reproduces the last eval event.
    const e = await run(['eval', cfg, '--adapter', out, '--json']);
    assert.equal(e.code, 0, e.err);
    const report = JSON.parse(e.out);
    const lastEval = ev.filter((x) => x.type === 'eval').at(-1) as Extract<TrainerEvent, { type: 'eval' }>;
    assert.ok(Math.abs(report.eval_loss - lastEval.eval_loss) < 1e-5, `${report.eval_loss} vs ${lastEval.eval_loss}`);
    assert.equal(report.records, 4);

    // --resume from checkpoint-3 (copied into a fresh folder; the next epoch starts there) gives
    // the losses of steps 4-6 again.
    const resumed = join(dir, 'out-resumed');
    cpSync(join(out, 'checkpoint-3'), join(resumed, 'checkpoint-3'), { recursive: true });
    const r2 = await run(['train', cfg, '--json', '--resume', '--output', resumed]);
    assert.equal(r2.code, 0, r2.err);
    const ev2 = events(r2.out);
    const start2 = ev2.find((x) => x.type === 'run_start') as Extract<TrainerEvent, { type: 'run_start' }>;
    assert.deepEqual(start2.resumed_from, { checkpoint: join(resumed, 'checkpoint-3'), step: 3 });
    assert.equal(start2.run_id, start.run_id);
    const losses = (list: TrainerEvent[]) => list.flatMap((x) => (x.type === 'step' && x.step > 3 ? [x.loss] : []));
    assert.equal(losses(ev2).length, 3);
    losses(ev2).forEach((l, i) => assert.ok(Math.abs(l - losses(ev)[i]!) <= 1e-6, `step ${4 + i}: ${l} vs ${losses(ev)[i]}`));
  });

  it('full fine-tuning writes a model directory that eval --model scores as the run last did', async () => {
    const out = join(dir, 'out-full');
    const cfg = join(dir, 'full.yml');
    writeConfig(cfg, model, data, out);
    writeFileSync(cfg, readFileSync(cfg, 'utf8').replace(/^(adapter|lora_\w+):.*\n/gm, ''));
    const r = await run(['train', cfg, '--json', '--max-steps', '2']);
    assert.equal(r.code, 0, r.out);
    const ev = events(r.out);
    const start = ev.find((e) => e.type === 'run_start') as Extract<TrainerEvent, { type: 'run_start' }>;
    assert.equal(start.method, 'full');
    assert.equal(start.params.trainable, start.params.total);
    const done = ev.at(-1) as Extract<TrainerEvent, { type: 'done' }>;
    assert.equal(done.outputs.model, out);
    assert.deepEqual(readdirSync(out).filter((f) => !f.startsWith('checkpoint-')).sort(), ['config.json', 'events.jsonl', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json']);
    const e = await run(['eval', cfg, '--model', out, '--json']);
    assert.equal(e.code, 0, e.err);
    const lastEval = ev.filter((x) => x.type === 'eval').at(-1) as Extract<TrainerEvent, { type: 'eval' }>;
    assert.ok(Math.abs(JSON.parse(e.out).eval_loss - lastEval.eval_loss) < 1e-5);
  });

  it('test_datasets: a separate evaluation file instead of a val_set_size split', async () => {
    const testData = join(dir, 'test.jsonl');
    writeChatData(testData, 3);
    const cfg = join(dir, 'testds.yml');
    writeConfig(cfg, model, data, join(dir, 'out-testds'), ['test_datasets:', `  - path: ${testData}`, '    type: chat_template']);
    writeFileSync(cfg, readFileSync(cfg, 'utf8').replace('val_set_size: 4\n', ''));
    const r = await run(['train', cfg, '--json', '--max-steps', '1']);
    assert.equal(r.code, 0, r.out);
    const start = events(r.out).find((e) => e.type === 'run_start') as Extract<TrainerEvent, { type: 'run_start' }>;
    assert.deepEqual([start.dataset.train_records, start.dataset.eval_records], [16, 3]);
    assert.ok(events(r.out).some((e) => e.type === 'eval'));
  });

  it('SIGTERM in a real process: the step finishes, a checkpoint is written, done "stopped", exit 0', async () => {
    const out = join(dir, 'out-sigterm');
    const cfg = join(dir, 'sigterm.yml');
    writeConfig(cfg, model, data, out, ['max_steps: 100000', 'save_steps: 100000']);
    const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'runCli.ts'), 'train', cfg, '--json'], { cwd: join(import.meta.dirname, '..', '..', '..'), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let signalled = false;
    child.stderr.on('data', (c: Buffer) => void (stderr += c.toString()));
    const code = await new Promise<number | null>((resolve) => {
      child.stdout.on('data', (c: Buffer) => {
        stdout += c.toString();
        if (!signalled && stdout.includes('"type":"step"')) {
          signalled = true;
          child.kill('SIGTERM');
        }
      });
      child.on('exit', (c) => resolve(c));
    });
    assert.equal(code, 0, stderr);
    const ev = events(stdout);
    const done = ev.at(-1) as Extract<TrainerEvent, { type: 'done' }>;
    assert.equal(done.status, 'stopped');
    assert.ok(done.step >= 1 && done.step < 100000);
    const ckpt = ev.at(-2) as Extract<TrainerEvent, { type: 'checkpoint' }>;
    assert.equal(ckpt.type, 'checkpoint');
    assert.equal(ckpt.step, done.step);
    assert.equal(done.outputs.checkpoint, join(out, `checkpoint-${done.step}`));
    assert.equal(JSON.parse(readFileSync(join(out, `checkpoint-${done.step}`, 'trainer_state.json'), 'utf8')).step, done.step);
    assert.equal(done.outputs.adapter, undefined);
    assert.equal(readFileSync(join(out, 'events.jsonl'), 'utf8'), stdout);
  });
});
