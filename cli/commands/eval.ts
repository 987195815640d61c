import { runEval, type BackendChoice, type EvalReport } from '../../trainer/index';
import { numberOption, parse } from '../args';
import { UsageError, type CliCommand, type CliIo } from '../command';

const BACKENDS: readonly BackendChoice[] = ['auto', 'wasm', 'webgpu', 'tensorflow'];

export const evalCommand: CliCommand = {
  name: 'eval',
  summary: 'Validation loss and perplexity of a model or adapter',
  usage: [
    'Usage: tunelab eval CONFIG [--model DIR] [--adapter DIR] [--samples N] [--max-new-tokens N] [--backend B] [--json]',
    '',
    "Scores the config's base model (with --adapter: plus that PEFT adapter, e.g. a run's output_dir or",
    'one of its checkpoints) on the validation split: the records val_set_size holds out, split with the',
    "config's seed exactly as training splits them (all records when there is no split).",
    '',
    "  --model DIR          a model directory instead of the config's base_model (a full fine-tune's output)",
    '  --adapter DIR        a LoRA adapter directory (adapter_config.json + adapter_model.safetensors)',
    '  --samples N          also generate greedily for the first N validation prompts (default 0)',
    '  --max-new-tokens N   generation length limit (default 48)',
    '  --backend B          compute backend (default wasm)',
    '  --json               one JSON object on stdout',
    '',
    'Exit codes: 0 ok, 2 bad config, data, model or arguments.',
  ].join('\n'),
  async run(args, io) {
    const { values, positionals } = parse(args, {
      model: { type: 'string' },
      adapter: { type: 'string' },
      samples: { type: 'string' },
      'max-new-tokens': { type: 'string' },
      backend: { type: 'string' },
      json: { type: 'boolean', default: false },
    });
    if (positionals.length !== 1) throw new UsageError('expected exactly one CONFIG path');
    const backend = values.backend ?? 'wasm';
    if (!(BACKENDS as readonly string[]).includes(backend)) throw new UsageError(`--backend must be one of ${BACKENDS.join(', ')}, got '${backend}'`);
    const result = await runEval({
      configPath: positionals[0]!,
      cwd: io.cwd,
      model: values.model,
      adapter: values.adapter,
      backend: backend as BackendChoice,
      samples: numberOption('samples', values.samples, { integer: true, min: 0 }),
      maxNewTokens: numberOption('max-new-tokens', values['max-new-tokens'], { integer: true, min: 1 }),
    });
    if (!result.ok) {
      for (const p of result.problems) {
        const where = p.location ? `${p.location.path}:${p.location.range.start.line + 1}:${p.location.range.start.character + 1}: ` : '';
        io.err(`tunelab eval: ${where}${p.code}: ${p.message}\n`);
      }
      return 2;
    }
    if (values.json) io.out(JSON.stringify(result.report) + '\n');
    else printReport(result.report, io);
    return 0;
  },
};

function printReport(r: EvalReport, io: CliIo): void {
  io.out(`model: ${r.model}${r.adapter ? ` + adapter ${r.adapter}` : ''} (${r.backend})\n`);
  io.out(`${r.split} split: ${r.records} records, ${r.tokens} trained tokens\n`);
  io.out(`loss ${r.eval_loss.toFixed(4)}  perplexity ${r.perplexity.toFixed(2)}\n`);
  r.samples.forEach((s, i) => {
    io.out(`\n[${i + 1}] ${s.prompt.replace(/\n/g, ' / ')}\n    reference: ${s.reference}\n    generated: ${s.generated}\n`);
  });
}
