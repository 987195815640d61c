/**
 * The engine launch path end to end with a fake interpreter (fixtures/fake-python.mjs, a Node
 * script that answers the probe and writes events as the Tunelab callback would): command line,
 * derived config, events forwarded in order, SIGINT to the process group → checkpoint + stopped,
 * resume from the newest checkpoint with the same run id, a Python traceback → one error event.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parseEvent, type TrainerEvent } from '../../../common/protocol/events';
import { runEngine, type EngineStop } from '../launch';

const FAKE = fileURLToPath(new URL('./fixtures/fake-python.mjs', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'tunelab-engine-test-'));
after(() => rmSync(work, { recursive: true, force: true }));

function setup(name: string, extra = ''): { dir: string; config: string } {
  const dir = join(work, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'data.jsonl'), '{"instruction":"a","input":"","output":"b"}\n');
  const config = join(dir, 'config.yml');
  writeFileSync(config, `# my config\nbase_model: org/some-model\ndatasets:\n  - path: data.jsonl\n    type: alpaca\nadapter: lora\nlora_r: 8\nlora_alpha: 16\nlora_target_linear: true\nlearning_rate: 0.0002\nmicro_batch_size: 1\ngradient_accumulation_steps: 1\nmax_steps: 10\nsave_steps: 5\noutput_dir: ./out\n${extra}`);
  return { dir, config };
}

function collector() {
  const lines: string[] = [];
  let err = '';
  return {
    out: { stdout: (t: string) => lines.push(...t.split('\n').filter(Boolean)), stderr: (t: string) => (err += t), json: true },
    events: () => lines.map((l) => parseEvent(l)).filter((e): e is TrainerEvent => !('error' in e)),
    lines,
    err: () => err,
  };
}

const noStop: EngineStop = { onStop: () => undefined };

describe('tunelab train --engine (fake interpreter)', () => {
  it('launches hf with the derived config, forwards every event, leaves the user config alone', async () => {
    const { dir, config } = setup('hf');
    const before = readFileSync(config, 'utf8');
    const argvFile = join(dir, 'argv.json');
    const c = collector();
    const code = await runEngine({ engine: 'hf', configPath: 'config.yml', cwd: dir, python: FAKE, gpus: 1, resume: false, packageDir: '/opt/tunelab/python', env: { ...process.env, FAKE_PYTHON_ARGV: argvFile, STEP_MS: '5' } }, c.out, noStop);
    assert.equal(code, 0, c.err());
    assert.equal(readFileSync(config, 'utf8'), before);
    const ev = c.events();
    assert.deepEqual(
      ev.map((e) => e.type),
      ['log', 'log', 'run_start', ...Array(5).fill('step'), 'checkpoint', ...Array(5).fill('step'), 'checkpoint', 'done'],
    );
    assert.match((ev[0] as Extract<TrainerEvent, { type: 'log' }>).message, /^engine hf: Python 3\.11\.9 .*torch 2\.5\.0 CUDA 12\.4; Fake GPU 80 GiB; transformers 1\.0\.0, peft 1\.0\.0, accelerate 1\.0\.0, axolotl 1\.0\.0 \(interpreter as configured\)$/);
    const runIds = new Set(ev.map((e) => e.run_id));
    assert.equal(runIds.size, 1);
    const { argv, pythonpath } = JSON.parse(readFileSync(argvFile, 'utf8')) as { argv: string[]; pythonpath: string };
    assert.deepEqual(argv.slice(0, 2), ['-m', 'tunelab_engines.hf_runner']);
    assert.equal(pythonpath.split(':')[0], '/opt/tunelab/python');
    const done = ev.at(-1) as Extract<TrainerEvent, { type: 'done' }>;
    assert.equal(done.status, 'completed');
    assert.equal(done.step, 10);
    // The events file holds exactly what stdout carried.
    const file = readFileSync(join(dir, 'out', 'events.jsonl'), 'utf8').trim().split('\n');
    assert.deepEqual(file, c.lines);
    const start = ev.find((e) => e.type === 'run_start') as Extract<TrainerEvent, { type: 'run_start' }>;
    assert.equal(start.config_path, config);
    assert.equal(start.output_dir, join(dir, 'out'));
    assert.equal(start.method, 'lora');
  });

  it('axolotl on 2 GPUs goes through accelerate with the plugin in the derived config', async () => {
    const { dir } = setup('axo', 'plugins:\n  - axolotl.integrations.liger.LigerPlugin\n');
    const argvFile = join(dir, 'argv.json');
    // Keep the derived config: the fake interpreter copies it before the launcher removes it.
    const c = collector();
    const code = await runEngine({ engine: 'axolotl', configPath: 'config.yml', cwd: dir, python: FAKE, gpus: 2, resume: false, maxSteps: 3, env: { ...process.env, FAKE_PYTHON_ARGV: argvFile, FAKE_PYTHON_GPUS: '2', STEP_MS: '5' } }, c.out, noStop);
    assert.equal(code, 0, c.err());
    const { argv } = JSON.parse(readFileSync(argvFile, 'utf8')) as { argv: string[] };
    assert.deepEqual(argv.slice(0, 6), ['-m', 'accelerate.commands.launch', '--num_processes', '2', '-m', 'axolotl.cli.train']);
    assert.equal((c.events().at(-1) as Extract<TrainerEvent, { type: 'done' }>).step, 3);
    assert.ok(!existsSync(argv.at(-1)!), 'the temporary derived config is removed after the run');
  });

  it('SIGINT to the group stops with a checkpoint; --resume continues the same run', async () => {
    const { dir } = setup('stop', '');
    const c = collector();
    let fire: ((n: number) => void) | null = null;
    const stop: EngineStop = { onStop: (l) => (fire = l) };
    const pending = runEngine({ engine: 'hf', configPath: 'config.yml', cwd: dir, python: FAKE, gpus: 1, resume: false, env: { ...process.env, STEP_MS: '60' } }, c.out, stop);
    // Wait for the third step, then ask for a stop as Ctrl-C would.
    for (let i = 0; i < 500 && !c.events().some((e) => e.type === 'step' && e.step === 3); i++) await new Promise((r) => setTimeout(r, 20));
    fire!(1);
    assert.equal(await pending, 0, c.err());
    const ev = c.events();
    const done = ev.at(-1) as Extract<TrainerEvent, { type: 'done' }>;
    assert.equal(done.status, 'stopped');
    assert.ok(done.step >= 3 && done.step < 10, `stopped at ${done.step}`);
    assert.ok(ev.some((e) => e.type === 'log' && e.message.startsWith('stop requested')));
    const stoppedAt = done.step;
    assert.ok(existsSync(join(dir, 'out', `checkpoint-${stoppedAt}`)));

    const r = collector();
    assert.equal(await runEngine({ engine: 'hf', configPath: 'config.yml', cwd: dir, python: FAKE, gpus: 1, resume: true, env: { ...process.env, STEP_MS: '5' } }, r.out, noStop), 0, r.err());
    const rev = r.events();
    const start = rev.find((e) => e.type === 'run_start') as Extract<TrainerEvent, { type: 'run_start' }>;
    assert.deepEqual(start.resumed_from, { checkpoint: join(dir, 'out', `checkpoint-${stoppedAt}`), step: stoppedAt });
    assert.equal(start.run_id, done.run_id);
    const steps = rev.filter((e) => e.type === 'step').map((e) => (e as { step: number }).step);
    assert.equal(steps[0], stoppedAt + 1);
    assert.equal((rev.at(-1) as Extract<TrainerEvent, { type: 'done' }>).status, 'completed');
  });

  it('a stop before the engine starts launches nothing', async () => {
    const { dir } = setup('early');
    const argvFile = join(dir, 'argv.json');
    const c = collector();
    const early: EngineStop = { onStop: (l) => l(1) };
    assert.equal(await runEngine({ engine: 'hf', configPath: 'config.yml', cwd: dir, python: FAKE, gpus: 1, resume: false, env: { ...process.env, FAKE_PYTHON_ARGV: argvFile } }, c.out, early), 0);
    assert.deepEqual(JSON.parse(readFileSync(argvFile, 'utf8')).argv[0], '-c', 'only the probe ran');
    const done = c.events().at(-1) as Extract<TrainerEvent, { type: 'done' }>;
    assert.deepEqual([done.type, done.status], ['done', 'stopped']);
  });

  it('a Python traceback becomes one error event naming the raising frame; exit 1', async () => {
    const { dir } = setup('fail');
    const c = collector();
    const code = await runEngine({ engine: 'axolotl', configPath: 'config.yml', cwd: dir, python: FAKE, gpus: 1, resume: false, env: { ...process.env, FAKE_PYTHON_FAIL: '1' } }, c.out, noStop);
    assert.equal(code, 1);
    const ev = c.events();
    const err = ev.find((e) => e.type === 'error') as Extract<TrainerEvent, { type: 'error' }>;
    assert.equal(err.code, 'engine-failed');
    assert.equal(err.message, 'ValueError: unhandled prompt tokenization strategy: alpacca (at /env/lib/python3.11/site-packages/axolotl/utils/data/sft.py:212 in load_tokenized_prepared_datasets)');
    assert.equal((ev.at(-1) as Extract<TrainerEvent, { type: 'done' }>).status, 'failed');
  });

  it('refuses before launch: a missing library (with its install command), a config the hf engine cannot honour, no interpreter', async () => {
    const { dir, config } = setup('refuse');
    const a = collector();
    assert.equal(await runEngine({ engine: 'axolotl', configPath: 'config.yml', cwd: dir, python: FAKE, gpus: 1, resume: false, env: { ...process.env, FAKE_PYTHON_MISSING: 'axolotl' } }, a.out, noStop), 2);
    const missing = a.events().filter((e) => e.type === 'error') as Extract<TrainerEvent, { type: 'error' }>[];
    assert.deepEqual(missing.map((e) => e.code), ['engine-package-missing']);
    assert.equal(missing[0]!.message, `axolotl is not installed in ${FAKE} (axolotl: --engine axolotl runs Axolotl itself). Install with: ${FAKE} -m pip install 'axolotl[flash-attn,deepspeed]'`);
    // A bare interpreter: one message, one command (torch first), nothing launched, exit 2.
    const bare = collector();
    assert.equal(await runEngine({ engine: 'axolotl', configPath: 'config.yml', cwd: dir, python: FAKE, gpus: 2, resume: false, env: { ...process.env, FAKE_PYTHON_MISSING: 'torch,axolotl,transformers,peft,accelerate' } }, bare.out, noStop), 2);
    const bareErrors = bare.events().filter((e) => e.type === 'error') as Extract<TrainerEvent, { type: 'error' }>[];
    assert.equal(bareErrors.length, 1);
    assert.equal(
      bareErrors[0]!.message,
      `torch, axolotl, transformers, peft and accelerate are not installed in ${FAKE} (torch: every Python engine trains with PyTorch; axolotl: --engine axolotl runs Axolotl itself; transformers: the Trainer and the Tunelab callback need it; peft: LoRA and QLoRA adapters need it; accelerate: the Trainer and multi-GPU launches need it). Install with: ${FAKE} -m pip install torch && ${FAKE} -m pip install 'axolotl[flash-attn,deepspeed]' transformers peft accelerate`,
    );
    assert.equal(bare.events().some((e) => e.type === 'run_start' || e.type === 'done'), false);

    const { dir: d2 } = setup('refuse-hf', 'sample_packing: true\nneftune_noise_alpha: 5\n');
    const b = collector();
    assert.equal(await runEngine({ engine: 'hf', configPath: 'config.yml', cwd: d2, python: FAKE, gpus: 1, resume: false }, b.out, noStop), 2);
    const errs = b.events().filter((e) => e.type === 'error') as Extract<TrainerEvent, { type: 'error' }>[];
    assert.deepEqual(errs.map((e) => [e.code, e.location?.range.start.line]), [['engine-hf-unsupported-key', 15], ['engine-hf-unsupported-key', 16]]);
    // The refusal is recorded in the output_dir the config names, as the built-in trainer does ...
    assert.deepEqual(readFileSync(join(d2, 'out', 'events.jsonl'), 'utf8').trim().split('\n'), b.lines);
    // ... but a file that is no training config (here a dataset) leaves no ./model-out behind.
    const stray = collector();
    assert.equal(await runEngine({ engine: 'hf', configPath: 'data.jsonl', cwd: d2, python: FAKE, gpus: 1, resume: false }, stray.out, noStop), 2);
    assert.ok(stray.events().some((e) => e.type === 'error'));
    assert.equal(existsSync(join(d2, 'model-out')), false);

    const c = collector();
    assert.equal(await runEngine({ engine: 'hf', configPath: 'config.yml', cwd: dir, python: join(dir, 'no-such-python'), gpus: 1, resume: false }, c.out, noStop), 2);
    const e = c.events().find((x) => x.type === 'error') as Extract<TrainerEvent, { type: 'error' }>;
    assert.equal(e.code, 'engine-python-unavailable');
    assert.match(e.message, /^no Python interpreter at '.*no-such-python' \(set tunelab\.python or pass --python\)/);

    // --python at a folder, a data file, and a program that is not Python: one located sentence each, exit 2.
    const notPython = join(dir, 'not-python.sh');
    writeFileSync(notPython, '#!/bin/sh\necho hello\n', { mode: 0o755 });
    const cases: [string, string][] = [
      [dir, `'${dir}' is a folder, not a Python interpreter (point --python / tunelab.python at its bin/python) (interpreter as configured)`],
      [config, `'${config}' is not executable: not a Python interpreter (interpreter as configured)`],
      [notPython, `'${notPython}' did not answer as a Python interpreter: the interpreter printed no probe result (exit 0) (interpreter as configured)`],
    ];
    for (const [python, message] of cases) {
      const d = collector();
      assert.equal(await runEngine({ engine: 'hf', configPath: 'config.yml', cwd: dir, python, gpus: 1, resume: false }, d.out, noStop), 2);
      assert.deepEqual(d.events().filter((x) => x.type === 'error').map((x) => [x.code, (x as Extract<TrainerEvent, { type: 'error' }>).message]), [['engine-python-unavailable', message]]);
    }
  });
});
