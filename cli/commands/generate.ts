import { resolve } from 'node:path';
import { BackendError, GenerateError, generateText, ServeEngine, type BackendChoice, type QuantizeOptions } from '../../trainer/index';
import { numberOption, parse } from '../args';
import { UsageError, type CliCommand, type CliIo } from '../command';
import { parseAdapterSpec } from './serve';

const BACKENDS: readonly BackendChoice[] = ['auto', 'wasm', 'webgpu', 'tensorflow'];

const USAGE = `Usage: tunelab generate --model DIR [--adapter [NAME=]DIR ...] [--use NAME] [--chat] [--max-new-tokens N]
                        [--temperature T] [--top-p P] [--top-k K] [--seed S] [--backend B] [--json]
                        [--load-in-4bit [--bnb-4bit-quant-type nf4|fp4] [--no-double-quant] | --load-in-8bit] PROMPT

Generates a continuation of PROMPT with a local Hugging Face model directory (config.json,
safetensors weights, tokenizer.json), optionally with an adapter on top (LoRA, DoRA, IA3, prefix
tuning, prompt tuning or bottleneck adapters, as tunelab train saves them or PEFT writes them).

  --model DIR         the base model directory
  --adapter DIR       a PEFT adapter (adapter_config.json + adapter_model.safetensors)
  --adapter NAME=DIR  several adapters: the base loads once, every adapter stays resident, and
                      PROMPT is answered once per adapter (a header line names each), or only by
                      --use NAME (an adapter's NAME, or the model folder's name for the base alone)
  --chat              send PROMPT as a user turn through the model's chat template
  --max-new-tokens N  at most N new tokens (default 128)
  --temperature T     0 = greedy (default); > 0 samples
  --top-p P           nucleus sampling mass, 0 < P <= 1 (default 1)
  --top-k K           sample among the K most likely tokens (default 0 = all)
  --seed S            sampling seed (default 0): the same seed gives the same text
  --backend B         auto, wasm (default), webgpu or tensorflow
  --json              print one JSON object {text, prompt_tokens, new_tokens, stop_reason, backend, seconds}
                      (with named adapters: one per line, with "adapter")
  --load-in-4bit      quantise the base as a QLoRA run did (NF4 with double quantisation unless
                      --bnb-4bit-quant-type fp4 / --no-double-quant), before the adapter
  --load-in-8bit      quantise the base to int8 (LLM.int8 vector-wise), as an 8-bit LoRA run did

Generation stops at the model's EOS / end-of-turn token, after N tokens, or at its context limit.
Exit codes: 0 ok, 2 usage error or unreadable model / adapter.`;

export const generateCommand: CliCommand = {
  name: 'generate',
  summary: 'Generate text from a model (and adapter)',
  usage: USAGE,
  async run(args, io) {
    const { values, positionals } = parse(args, {
      model: { type: 'string' },
      adapter: { type: 'string', multiple: true },
      use: { type: 'string' },
      chat: { type: 'boolean', default: false },
      'max-new-tokens': { type: 'string' },
      temperature: { type: 'string' },
      'top-p': { type: 'string' },
      'top-k': { type: 'string' },
      seed: { type: 'string' },
      backend: { type: 'string' },
      json: { type: 'boolean', default: false },
      'load-in-4bit': { type: 'boolean', default: false },
      'load-in-8bit': { type: 'boolean', default: false },
      'bnb-4bit-quant-type': { type: 'string' },
      'no-double-quant': { type: 'boolean', default: false },
    });
    if (!values.model) throw new UsageError('--model DIR is required');
    const quantize = quantizeOption(values);
    if (positionals.length !== 1) throw new UsageError(`expected one PROMPT (quote it), got ${positionals.length}`);
    const backend = values.backend ?? 'wasm';
    if (!(BACKENDS as readonly string[]).includes(backend)) throw new UsageError(`--backend must be one of ${BACKENDS.join(', ')}, got '${backend}'`);
    const topP = numberOption('top-p', values['top-p']) ?? 1;
    if (!(topP > 0 && topP <= 1)) throw new UsageError(`--top-p must be in (0, 1], got '${values['top-p']}'`);
    const json = values.json ?? false;
    const specs = values.adapter ?? [];
    const sampling = {
      maxNewTokens: numberOption('max-new-tokens', values['max-new-tokens'], { integer: true, min: 1 }) ?? 128,
      temperature: numberOption('temperature', values.temperature, { min: 0 }) ?? 0,
      topP,
      topK: numberOption('top-k', values['top-k'], { integer: true, min: 0 }) ?? 0,
      seed: numberOption('seed', values.seed, { integer: true, min: 0 }) ?? 0,
    };
    // Several adapters, named ones or --use: one resident engine (as `tunelab serve`).
    if (specs.length > 1 || specs.some((s) => parseAdapterSpec(s).dir !== s) || values.use !== undefined) {
      if (quantize) throw new UsageError('--load-in-4bit / --load-in-8bit work with one adapter (several adapters share a float base)');
      const adapters = specs.map((s) => {
        const a = parseAdapterSpec(s);
        return { name: a.name, dir: resolve(io.cwd, a.dir) };
      });
      return generateWithAdapters(io, { modelDir: resolve(io.cwd, values.model), adapters, use: values.use, prompt: positionals[0]!, chat: values.chat ?? false, json, backend: backend as BackendChoice, ...sampling });
    }
    try {
      const result = await generateText({
        modelDir: resolve(io.cwd, values.model),
        adapterDir: specs[0] === undefined ? undefined : resolve(io.cwd, specs[0]),
        prompt: positionals[0]!,
        chat: values.chat ?? false,
        ...sampling,
        backend: backend as BackendChoice,
        ...(quantize ? { quantize } : {}),
        onText: json ? undefined : (delta) => io.out(delta),
      });
      if (json) {
        io.out(`${JSON.stringify({ text: result.text, prompt_tokens: result.promptTokens, new_tokens: result.newTokens, stop_reason: result.stopReason, backend: result.backend.name, seconds: result.seconds })}\n`);
      } else {
        io.out('\n');
        const rate = result.seconds > 0 ? (result.newTokens / result.seconds).toFixed(1) : '-';
        io.err(`[${result.newTokens} tokens, ${rate} tokens/s on ${result.backend.detail}; stopped: ${result.stopReason}]\n`);
      }
      return 0;
    } catch (e) {
      if (e instanceof GenerateError || e instanceof BackendError) throw new UsageError(e.message);
      throw e;
    }
  },
};

/** Generation with several resident adapters: once per adapter, or only the one --use names. */
async function generateWithAdapters(
  io: CliIo,
  req: { modelDir: string; adapters: { name: string; dir: string }[]; use?: string; prompt: string; chat: boolean; json: boolean; backend: BackendChoice; maxNewTokens: number; temperature: number; topP: number; topK: number; seed: number },
): Promise<number> {
  let engine: ServeEngine;
  try {
    engine = await ServeEngine.load({ modelDir: req.modelDir, adapters: req.adapters, backend: req.backend });
  } catch (e) {
    if (e instanceof GenerateError || e instanceof BackendError) throw new UsageError(e.message);
    throw e;
  }
  try {
    if (req.use !== undefined && !engine.knows(req.use)) throw new UsageError(`--use ${req.use}: no such adapter; loaded: ${[engine.baseName, ...engine.adapterNames].join(', ')}`);
    const targets = req.use !== undefined ? [req.use] : engine.adapterNames.length ? engine.adapterNames : [engine.baseName];
    let prompt;
    try {
      prompt = req.chat ? engine.prepareChat([{ role: 'user', content: req.prompt }]) : engine.prepareCompletion(req.prompt);
    } catch (e) {
      if (e instanceof GenerateError) throw new UsageError(e.message);
      throw e;
    }
    for (const name of targets) {
      if (!req.json && targets.length > 1) io.out(`=== ${name} ===\n`);
      const started = Date.now();
      const result = await engine.run(
        { prompt, adapter: name === engine.baseName ? undefined : name, maxTokens: req.maxNewTokens, temperature: req.temperature, topP: req.topP, topK: req.topK, seed: req.seed, stop: [] },
        req.json ? undefined : (delta) => io.out(delta),
      );
      const seconds = (Date.now() - started) / 1000;
      if (req.json) {
        io.out(`${JSON.stringify({ adapter: name, text: result.text, prompt_tokens: result.promptTokens, new_tokens: result.completionTokens, stop_reason: result.finishReason, backend: engine.backend.name, seconds })}\n`);
      } else {
        io.out('\n');
        const rate = seconds > 0 ? (result.completionTokens / seconds).toFixed(1) : '-';
        io.err(`[${name}: ${result.completionTokens} tokens, ${rate} tokens/s on ${engine.backend.detail}; stopped: ${result.finishReason}]\n`);
      }
    }
    return 0;
  } finally {
    engine.dispose();
  }
}

/** --load-in-4bit / --load-in-8bit (and the 4-bit options) as the trainer's quantisation settings. */
function quantizeOption(values: { 'load-in-4bit'?: boolean; 'load-in-8bit'?: boolean; 'bnb-4bit-quant-type'?: string; 'no-double-quant'?: boolean }): QuantizeOptions | undefined {
  const in4 = values['load-in-4bit'] === true;
  if (in4 && values['load-in-8bit']) throw new UsageError('--load-in-4bit and --load-in-8bit cannot both be given');
  const type = values['bnb-4bit-quant-type'];
  if (!in4 && (type !== undefined || values['no-double-quant'])) throw new UsageError('--bnb-4bit-quant-type and --no-double-quant need --load-in-4bit');
  if (type !== undefined && type !== 'nf4' && type !== 'fp4') throw new UsageError(`--bnb-4bit-quant-type must be nf4 or fp4, got '${type}'`);
  if (in4) return { bits: 4, quantType: (type ?? 'nf4') as 'nf4' | 'fp4', doubleQuant: values['no-double-quant'] !== true };
  return values['load-in-8bit'] ? { bits: 8 } : undefined;
}
