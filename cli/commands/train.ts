import { processStopSignal, runTraining, type BackendChoice } from '../../trainer/index';
import { numberOption, parse } from '../args';
import { UsageError, type CliCommand } from '../command';
import { runEngine } from '../engines/launch';
import { engineStopSignal, selectEngine } from '../engines/select';

const BACKENDS: readonly BackendChoice[] = ['auto', 'wasm', 'webgpu', 'tensorflow'];

export const trainCommand: CliCommand = {
  name: 'train',
  summary: 'Fine-tune a model from a config',
  usage: [
    'Usage: tunelab train CONFIG [--engine builtin|axolotl|hf] [--max-steps N] [--output DIR] [--backend auto|wasm|webgpu|tensorflow] [--json] [--resume]',
    '                            [--python PATH] [--gpus N]',
    '',
    'Trains as the config says (full fine-tuning, or LoRA with adapter: lora) on local data and a local',
    'Hugging Face model directory. Events go to <output_dir>/events.jsonl and, with --json, to stdout',
    '(one JSON object per line, nothing else); otherwise a progress bar on stderr.',
    '',
    '  --max-steps N   stop after N optimizer steps (overrides num_epochs / max_steps)',
    '  --output DIR    output directory (overrides output_dir)',
    '  --backend B     compute backend (default wasm; auto picks the fastest that loads)',
    '  --json          events as JSON lines on stdout',
    '  --resume        continue from the newest checkpoint in the output directory',
    '  --engine E      builtin (TensorFlow.js), axolotl (your Axolotl install) or hf (Transformers Trainer +',
    '                  PEFT); default: the config\'s tunelab_engine, else $TUNELAB_ENGINE, else builtin',
    '  --python PATH   the interpreter for axolotl / hf (default: $TUNELAB_PYTHON, a workspace .venv/venv/env,',
    '                  $VIRTUAL_ENV, $CONDA_PREFIX, conda environments, python3 on PATH)',
    '  --gpus N        axolotl / hf: processes to launch (accelerate launch / torchrun); default $TUNELAB_GPUS or 1',
    '',
    'Ctrl-C / SIGTERM: the step finishes, a checkpoint is written, the run ends as "stopped" (exit 0).',
    'Exit codes: 0 completed or stopped, 1 the run failed, 2 bad config, data or arguments (error event).',
  ].join('\n'),
  async run(args, io) {
    const { values, positionals } = parse(args, {
      'max-steps': { type: 'string' },
      output: { type: 'string' },
      backend: { type: 'string' },
      json: { type: 'boolean', default: false },
      resume: { type: 'boolean', default: false },
      engine: { type: 'string' },
      python: { type: 'string' },
      gpus: { type: 'string' },
    });
    if (positionals.length !== 1) throw new UsageError('expected exactly one CONFIG path');
    const engine = selectEngine(values.engine, positionals[0]!, io.cwd, process.env);
    if (engine === 'builtin' && (values.python !== undefined || values.gpus !== undefined)) {
      throw new UsageError('--python and --gpus apply to --engine axolotl or hf; the built-in trainer runs in this process');
    }
    if (engine !== 'builtin') {
      const envGpus = process.env.TUNELAB_GPUS;
      // The editor passes tunelab.gpus as $TUNELAB_GPUS: a bad value there is not a bad --gpus.
      if (values.gpus === undefined && envGpus !== undefined && !/^[1-9]\d*$/.test(envGpus.trim())) {
        throw new UsageError(`$TUNELAB_GPUS must be an integer >= 1, got '${envGpus}'`);
      }
      const gpus = numberOption('gpus', values.gpus ?? envGpus, { integer: true, min: 1 }) ?? 1;
      const stopSignal = engineStopSignal((signal) => {
        if (!values.json) io.err(`\ntunelab train: ${signal}: the engine saves a checkpoint and stops (again to kill it now)\n`);
      });
      try {
        return await runEngine(
          {
            engine,
            configPath: positionals[0]!,
            cwd: io.cwd,
            python: values.python,
            gpus,
            resume: values.resume ?? false,
            maxSteps: numberOption('max-steps', values['max-steps'], { integer: true, min: 1 }),
            outputDir: values.output,
          },
          { stdout: io.out, stderr: io.err, json: values.json ?? false },
          stopSignal,
        );
      } finally {
        stopSignal.dispose();
      }
    }
    const backend = values.backend ?? 'wasm';
    if (!(BACKENDS as readonly string[]).includes(backend)) throw new UsageError(`--backend must be one of ${BACKENDS.join(', ')}, got '${backend}'`);
    const stop = processStopSignal((signal) => {
      if (!values.json) io.err(`\ntunelab train: ${signal}: finishing the step and writing a checkpoint (Ctrl-C again to quit now)\n`);
    });
    try {
      return await runTraining(
        {
          configPath: positionals[0]!,
          cwd: io.cwd,
          maxSteps: numberOption('max-steps', values['max-steps'], { integer: true, min: 1 }),
          outputDir: values.output,
          backend: backend as BackendChoice,
          resume: values.resume,
        },
        { stdout: io.out, stderr: io.err, json: values.json ?? false, isTty: Boolean(process.stderr.isTTY) },
        stop,
      );
    } finally {
      stop.dispose();
    }
  },
};
