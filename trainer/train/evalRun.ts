/**
 * `tunelab eval`: validation loss and perplexity of a base model, or of a base model with an
 * adapter, on the config's validation split (the same records, split with the same seed, that
 * training evaluates on), plus greedy generations for a few validation prompts.
 */
import { resolve } from 'node:path';
import { alpacaPrompt, decode, encode, renderTemplate, resolveChatTemplate, type ChatModel } from '../../common/chat/index';
import { selectBackend, type BackendChoice } from '../backend/index';
import type { Example, ExampleSource } from '../data/batches';
import { generate } from '../generate/index';
import { loadModel } from '../io/index';
import { loadAdapterInto } from '../peft/index';
import { applyQuantization } from '../peft/quantized';
import type { CausalLM } from '../model/index';
import { mean, meanStderr, scoreGeneration } from '../../common/eval/metrics';
import type { MetricValue } from '../../common/eval/report';
import { evaluate } from './evaluate';
import { lossModel } from './modelPort';
import { prepareRun, type SetupProblem } from './setup';

export interface EvalRequest {
  configPath: string;
  cwd: string;
  /** A model directory instead of the config's base_model (e.g. a full fine-tune's output_dir). */
  model?: string;
  /** A PEFT adapter directory (a run's output or one of its checkpoints). */
  adapter?: string;
  backend?: BackendChoice;
  /** How many validation prompts to generate for (default 0). */
  samples?: number;
  maxNewTokens?: number;
}

export interface EvalSample {
  prompt: string;
  reference: string;
  generated: string;
}

export interface EvalReport {
  model: string;
  adapter: string | null;
  /** `validation` (the val_set_size split) or `train` when the config has no validation split. */
  split: 'validation' | 'train';
  records: number;
  tokens: number;
  eval_loss: number;
  perplexity: number;
  backend: string;
  samples: EvalSample[];
  /**
   * The generations scored against the references (with --samples): exact_match, normalized_match
   * (SQuAD normalisation), contains and rougeL (F1), each the mean over the samples with its stderr.
   */
  generation_metrics: Record<string, MetricValue> | null;
}

const GENERATION_METRICS = ['exact_match', 'normalized_match', 'contains', 'rougeL'] as const;

/** Mean and stderr of each generation metric over the samples (lm-eval's aggregation). */
export function generationMetrics(samples: readonly EvalSample[]): Record<string, MetricValue> | null {
  if (samples.length === 0) return null;
  const out: Record<string, MetricValue> = {};
  for (const metric of GENERATION_METRICS) {
    const xs = samples.map((s) => scoreGeneration({ metric, higher_is_better: true }, s.generated, [s.reference.trim()]));
    out[metric] = { value: mean(xs), stderr: meanStderr(xs) };
  }
  return out;
}

export type EvalOutcome = { ok: true; report: EvalReport } | { ok: false; problems: SetupProblem[] };

export async function runEval(req: EvalRequest): Promise<EvalOutcome> {
  const prepared = await prepareRun({ configPath: req.configPath, cwd: req.cwd, ...(req.model ? { baseModel: req.model } : {}) });
  if (!prepared.ok) return prepared;
  const s = prepared.setup;
  const split = s.eval.length > 0 ? 'validation' : 'train';
  const records = s.eval.length > 0 ? s.eval : s.train;
  let backend;
  try {
    backend = await selectBackend(req.backend ?? 'wasm');
  } catch (e) {
    return { ok: false, problems: [{ code: 'trainer-backend-unavailable', message: (e as Error).message }] };
  }
  let model: CausalLM;
  let adapterDir: string | null = null;
  try {
    model = loadModel(s.modelDir);
    // load_in_4bit / load_in_8bit: score on the same quantised base the adapter was trained on.
    applyQuantization(model, s.settings.quantization);
    if (req.adapter) {
      adapterDir = resolve(req.cwd, req.adapter);
      loadAdapterInto(model, adapterDir, { encode: (text) => encode(s.chat, text, true) });
    }
  } catch (e) {
    return { ok: false, problems: [{ code: 'trainer-model-invalid', message: (e as Error).message }] };
  }
  try {
    const settings = s.settings;
    const r = evaluate(lossModel(model), records, {
      batchSize: settings.evalBatchSize,
      seqLen: settings.sequenceLen,
      padId: s.chat.padTokenId ?? s.chat.eosTokenId ?? 0,
      packing: settings.evalSamplePacking,
    });
    const samples: EvalSample[] = [];
    for (const ex of records) {
      if (samples.length >= (req.samples ?? 0)) break;
      const p = promptOf(s.chat, ex);
      if (!p) continue;
      const out = generate(model, p.ids, { maxNewTokens: req.maxNewTokens ?? 48, stopIds: s.chat.stopTokenIds });
      samples.push({ prompt: p.display, reference: p.reference, generated: decode(s.chat, out.ids, true).trim() });
    }
    return {
      ok: true,
      report: { model: s.modelDir, adapter: adapterDir, split, records: records.length, tokens: r.tokens, eval_loss: r.loss, perplexity: r.perplexity, backend: backend.name, samples, generation_metrics: generationMetrics(samples) },
    };
  } finally {
    model.dispose();
  }
}

/** The prompt of a record (everything before the last answer), as ids, with the answer. */
export function promptOf(chat: ChatModel, ex: Example): { ids: number[]; display: string; reference: string } | null {
  const src: ExampleSource | undefined = ex.source;
  if (!src) return null;
  if (src.kind === 'alpaca') {
    const text = alpacaPrompt(src.record, src.options);
    const display = src.record.input ? `${src.record.instruction}\n${src.record.input}` : src.record.instruction;
    return { ids: encode(chat, text, true), display, reference: src.record.output };
  }
  const msgs = src.conversation.messages;
  const last = msgs.map((m) => m.role).lastIndexOf('assistant');
  if (last <= 0) return null;
  const template = resolveChatTemplate(chat, src.options);
  if (!template.ok) return null;
  const history = msgs.slice(0, last).map((m) => ({ ...m }));
  const text = renderTemplate(chat, template.value.source, history, { addGenerationPrompt: true });
  if (!text.ok) return null;
  const user = [...history].reverse().find((m) => m.role === 'user');
  return { ids: encode(chat, text.value), display: user?.content ?? '', reference: msgs[last]!.content };
}
