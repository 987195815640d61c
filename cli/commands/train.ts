import { processStopSignal, runTraining, type BackendChoice } from '../../trainer/index';
import { numberOption, parse } from '../args';
import { UsageError, type CliCommand } from '../command';

const BACKENDS: readonly BackendChoice[] = ['auto', 'wasm', 'webgpu', 'tensorflow'];

export const trainCommand: CliCommand = {
  name: 'train',
  summary: 'Fine-tune a model from a config',
  usage: [
    'Usage: tunelab train CONFIG [--max-steps N] [--output DIR] [--backend auto|wasm|webgpu|tensorflow] [--json] [--resume]',
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
    });
    if (positionals.length !== 1) throw new UsageError('expected exactly one CONFIG path');
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
