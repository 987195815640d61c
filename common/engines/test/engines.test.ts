import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { parseConfig } from '../../config/index';
import { AXOLOTL_PLUGIN, checkHfSupport, deriveConfig, describeProbe, engineCommand, findPython, missingPieces, parseProbe, pythonFailure, type EnvProbe } from '../index';

const probe = (over: Partial<EnvProbe> = {}, packages: Record<string, string | null> = {}): EnvProbe => ({
  python: '3.11.9',
  executable: '/venv/bin/python',
  torch: { version: '2.5.1', cuda: '12.4', devices: [{ name: 'NVIDIA H100 80GB HBM3', memory: 85_045_231_616 }], mps: false },
  packages: { torch: '2.5.1', transformers: '4.46.3', peft: '0.13.2', accelerate: '1.1.1', axolotl: '0.5.2', deepspeed: null, datasets: '3.1.0', bitsandbytes: null, pyyaml: '6.0.2', ...packages },
  ...over,
});

describe('environment probe', () => {
  it('parses the marked line among other output', () => {
    const p = parseProbe('Warning: something\nTUNELAB_PROBE {"python":"3.10.12","executable":"/usr/bin/python3","torch":null,"packages":{"torch":null}}\n');
    assert.deepEqual(p, { python: '3.10.12', executable: '/usr/bin/python3', torch: null, packages: { torch: null } });
    assert.deepEqual(parseProbe('Traceback ...'), { error: 'the interpreter printed no probe result' });
    assert.match((parseProbe('TUNELAB_PROBE {oops') as { error: string }).error, /^unreadable probe result: /);
  });
  it('describes the environment in one line', () => {
    assert.equal(describeProbe(probe()), 'Python 3.11.9 (/venv/bin/python); torch 2.5.1 CUDA 12.4; NVIDIA H100 80GB HBM3 79 GiB; transformers 4.46.3, peft 0.13.2, accelerate 1.1.1, axolotl 0.5.2');
  });
  it('names each missing piece with the command that installs it', () => {
    const req = { engine: 'axolotl' as const, gpus: 1, deepspeed: true, quantized: true, hubDatasets: false };
    assert.deepEqual(missingPieces(probe(), req), [
      {
        code: 'engine-package-missing',
        message: 'deepspeed and bitsandbytes are not installed in /venv/bin/python (deepspeed: the config names a deepspeed: file; bitsandbytes: QLoRA and 4/8-bit loading need it)',
        install: '/venv/bin/python -m pip install deepspeed bitsandbytes',
      },
    ]);
    assert.deepEqual(missingPieces(probe({ torch: null }, { torch: null }), { ...req, deepspeed: false, quantized: false }), [
      { code: 'engine-package-missing', message: 'torch is not installed in /venv/bin/python (torch: every Python engine trains with PyTorch)', install: '/venv/bin/python -m pip install torch' },
    ]);
    const hf = { engine: 'hf' as const, gpus: 4, deepspeed: false, quantized: false, hubDatasets: true };
    assert.deepEqual(missingPieces(probe({}, { axolotl: null, datasets: null }), hf).map((m) => m.code + ':' + (m.install ?? m.message)), [
      'engine-package-missing:/venv/bin/python -m pip install datasets',
      'engine-gpus-unavailable:--gpus 4 asked for 4 CUDA devices; torch sees 1',
    ]);
    assert.deepEqual(missingPieces(probe({ python: '3.8.10' }), hf).map((m) => m.code), ['engine-python-too-old']);
    assert.deepEqual(missingPieces(probe({ torch: { error: 'libcudart.so.12: cannot open shared object file' } }), { ...hf, gpus: 1, hubDatasets: false }), [
      { code: 'engine-torch-broken', message: 'torch is installed but fails to import: libcudart.so.12: cannot open shared object file', install: '/venv/bin/python -m pip install --force-reinstall torch' },
    ]);
  });
});

describe('interpreter search', () => {
  const files = (...paths: string[]) => (p: string) => paths.includes(p);
  it('prefers the named interpreter, then a workspace venv, $VIRTUAL_ENV, $CONDA_PREFIX, conda envs, PATH', () => {
    const base = { folders: ['/ws'], env: {}, platform: 'linux' as const };
    assert.deepEqual(findPython({ ...base, explicit: ' /opt/py ', isFile: files() }), { command: '/opt/py', source: 'as configured' });
    assert.deepEqual(findPython({ ...base, isFile: files('/ws/venv/bin/python', '/ws/env/bin/python') }), { command: '/ws/venv/bin/python', source: 'the workspace environment /ws/venv' });
    assert.deepEqual(findPython({ ...base, env: { VIRTUAL_ENV: '/v', CONDA_PREFIX: '/c' }, isFile: files('/v/bin/python', '/c/bin/python') }), { command: '/v/bin/python', source: '$VIRTUAL_ENV' });
    assert.deepEqual(findPython({ ...base, env: { CONDA_PREFIX: '/c' }, isFile: files('/c/bin/python') }), { command: '/c/bin/python', source: '$CONDA_PREFIX' });
    assert.deepEqual(findPython({ ...base, condaEnvs: ['/home/u/miniconda3/envs/ax'], isFile: files('/home/u/miniconda3/envs/ax/bin/python') }), { command: '/home/u/miniconda3/envs/ax/bin/python', source: 'the conda environment /home/u/miniconda3/envs/ax' });
    assert.deepEqual(findPython({ ...base, isFile: files() }), { command: 'python3', source: 'PATH' });
    assert.deepEqual(findPython({ folders: ['C:\\ws'], env: {}, platform: 'win32', isFile: files(join('C:\\ws', '.venv', 'Scripts', 'python.exe')) }).source, `the workspace environment ${join('C:\\ws', '.venv')}`);
  });
});

describe('engine command line', () => {
  const base = { python: '/venv/bin/python', configPath: '/tmp/x/config.yml', packageDir: '/ext/python', runId: 'r1', eventsPath: '/o/events.jsonl', metaPath: '/tmp/x/run.json', env: { PYTHONPATH: '/mine', HOME: '/h' } };
  it('one process', () => {
    const a = engineCommand({ ...base, engine: 'axolotl', gpus: 1 });
    assert.equal(a.command, '/venv/bin/python');
    assert.deepEqual(a.args, ['-m', 'axolotl.cli.train', '/tmp/x/config.yml']);
    assert.equal(a.env.PYTHONPATH, ['/ext/python', '/mine'].join(process.platform === 'win32' ? ';' : ':'));
    assert.deepEqual([a.env.TUNELAB_RUN_ID, a.env.TUNELAB_EVENTS, a.env.TUNELAB_RUN_META, a.env.PYTHONUNBUFFERED, a.env.HOME], ['r1', '/o/events.jsonl', '/tmp/x/run.json', '1', '/h']);
    assert.deepEqual(engineCommand({ ...base, engine: 'hf', gpus: 1 }).args, ['-m', 'tunelab_engines.hf_runner', '/tmp/x/config.yml']);
  });
  it('several GPUs: accelerate launch (axolotl) and torchrun (hf)', () => {
    assert.deepEqual(engineCommand({ ...base, engine: 'axolotl', gpus: 8 }).args, ['-m', 'accelerate.commands.launch', '--num_processes', '8', '-m', 'axolotl.cli.train', '/tmp/x/config.yml']);
    assert.deepEqual(engineCommand({ ...base, engine: 'hf', gpus: 2 }).args, ['-m', 'torch.distributed.run', '--standalone', '--nproc_per_node', '2', '-m', 'tunelab_engines.hf_runner', '/tmp/x/config.yml']);
  });
});

describe('derived config', () => {
  const user = '# LoRA run\nbase_model: org/m   # the base\nplugins:\n  - axolotl.integrations.liger.LigerPlugin\noutput_dir: ./out\n';
  it('adds the plugin, an absolute output_dir, resume and max_steps; keeps comments and the rest', () => {
    const text = deriveConfig(user, { plugin: true, outputDir: '/w/out', resumeFrom: '/w/out/checkpoint-40', maxSteps: 50 });
    assert.deepEqual(parse(text), { base_model: 'org/m', plugins: ['axolotl.integrations.liger.LigerPlugin', AXOLOTL_PLUGIN], output_dir: '/w/out', resume_from_checkpoint: '/w/out/checkpoint-40', max_steps: 50 });
    assert.match(text, /^# LoRA run\nbase_model: org\/m # the base\n/);
    // idempotent on the plugin list
    assert.deepEqual(parse(deriveConfig(text, { plugin: true, outputDir: '/w/out' })).plugins, ['axolotl.integrations.liger.LigerPlugin', AXOLOTL_PLUGIN]);
  });
  it('creates plugins: when absent, and adds nothing for the hf engine', () => {
    assert.deepEqual(parse(deriveConfig('base_model: m\n', { plugin: true, outputDir: '/o' })), { base_model: 'm', plugins: [AXOLOTL_PLUGIN], output_dir: '/o' });
    assert.deepEqual(parse(deriveConfig('base_model: m\n', { plugin: false, outputDir: '/o' })), { base_model: 'm', output_dir: '/o' });
    assert.throws(() => deriveConfig('- a\n- b\n', { plugin: true, outputDir: '/o' }), /not a YAML mapping/);
  });
  it('makes paths relative to the config folder absolute, leaving Hub ids and absolute paths', () => {
    const local = new Set(['./models/tiny', 'data/a.jsonl', 'ds.json']);
    const resolveLocal = (p: string) => (local.has(p) ? `/cfg/${p.replace(/^\.\//, '')}` : null);
    const text = 'base_model: ./models/tiny\ntokenizer_config: org/tok\ndeepspeed: ds.json\ndatasets:\n  - path: data/a.jsonl # mine\n    type: alpaca\n  - path: tatsu-lab/alpaca\n    type: alpaca\ntest_datasets:\n  - path: /abs/b.jsonl\n';
    const out = deriveConfig(text, { plugin: false, outputDir: '/o', resolveLocal });
    assert.deepEqual(parse(out), {
      base_model: '/cfg/models/tiny',
      tokenizer_config: 'org/tok',
      deepspeed: '/cfg/ds.json',
      datasets: [{ path: '/cfg/data/a.jsonl', type: 'alpaca' }, { path: 'tatsu-lab/alpaca', type: 'alpaca' }],
      test_datasets: [{ path: '/abs/b.jsonl' }],
      output_dir: '/o',
    });
    assert.match(out, /path: \/cfg\/data\/a\.jsonl # mine/);
  });
});

describe('hf engine subset', () => {
  const codes = (text: string) => checkHfSupport(parseConfig(text)).map((d) => [d.code, d.range.start.line, d.range.start.character, d.severity]);
  it('accepts the supported keys and falsy extras', () => {
    assert.deepEqual(codes('base_model: m\nchat_template: chatml\n'), [['engine-hf-unsupported-value', 1, 15, 1]]);
    assert.deepEqual(codes('base_model: m\nadapter: qlora\nload_in_4bit: true\nsample_packing: false\nwandb_project: x\ndatasets:\n  - path: d.jsonl\n    type: chat_template\n    field_messages: conversations\n'), []);
  });
  it('refuses what it would not honour, located at the key or value', () => {
    assert.deepEqual(codes('base_model: m\nadapter: ia3\nsample_packing: true\nflash_attention: true\ndatasets:\n  - path: d\n    type: completion\n  - path: e\n    type: alpaca\n    shards: 4\n'), [
      ['engine-hf-unsupported-value', 1, 9, 1],
      ['engine-hf-unsupported-key', 2, 0, 1],
      ['engine-hf-ignored-key', 3, 0, 2],
      ['engine-hf-unsupported-value', 6, 10, 1],
      ['engine-hf-unsupported-key', 9, 4, 1],
    ].sort((a, b) => (a[1] as number) - (b[1] as number)));
  });
  it('reads attn_implementation and gradient_checkpointing_kwargs; refuses turn choices it would not honour', () => {
    assert.deepEqual(codes('base_model: m\nattn_implementation: sdpa\ngradient_checkpointing: true\ngradient_checkpointing_kwargs:\n  use_reentrant: false\ndatasets:\n  - path: d\n    type: chat_template\n    roles_to_train: [assistant]\n    train_on_eos: turn\n'), []);
    assert.deepEqual(codes('base_model: m\ndatasets:\n  - path: d\n    type: chat_template\n    roles_to_train: [user, assistant]\n    train_on_eos: last\n'), [
      ['engine-hf-unsupported-value', 4, 20, 1],
      ['engine-hf-unsupported-value', 5, 18, 1],
    ]);
  });
});

describe('Python failures', () => {
  it('the exception of the last traceback and its raising frame', () => {
    const err = [
      'Traceback (most recent call last):',
      '  File "/x/a.py", line 3, in <module>',
      '    main()',
      'RuntimeError: first',
      '',
      'During handling of the above exception, another exception occurred:',
      '',
      'Traceback (most recent call last):',
      '  File "/x/a.py", line 9, in main',
      '    f()',
      '  File "/x/b.py", line 12, in f',
      '    raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")',
      'torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB',
    ].join('\n');
    assert.deepEqual(pythonFailure(err), { message: 'torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB (at /x/b.py:12 in f)', frame: '/x/b.py:12 in f' });
    assert.equal(pythonFailure('Killed\n'), null);
  });
});
