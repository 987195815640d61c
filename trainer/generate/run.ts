/**
 * `tunelab generate`: load a model directory (and optionally an adapter of any method), tokenise the prompt
 * with the model's own tokenizer (through the chat template with --chat), generate, and stream the
 * decoded text.
 */
import { CONTROL_TOKENS, decode, encode, loadChatModel, renderTemplate, resolveChatTemplate, templateFamilyOfSource, type ChatModel } from '../../common/chat/index';
import { selectBackend, type BackendChoice, type BackendReport } from '../backend/index';
import { loadModel } from '../io/index';
import type { QuantizeOptions } from '../model/quantLinear';
import { loadAdapterInto } from '../peft/index';
import { applyQuantization } from '../peft/quantized';
import { generate } from './index';

/** What `tunelab generate` asks for. */
export interface GenerateRequest {
  modelDir: string;
  adapterDir?: string;
  prompt: string;
  /** Wrap the prompt as a user turn with the model's chat template (generation prompt added). */
  chat: boolean;
  maxNewTokens: number;
  temperature: number;
  topP: number;
  topK: number;
  seed: number;
  backend: BackendChoice;
  /** Quantise the base before the adapter (as it was trained with load_in_4bit / load_in_8bit). */
  quantize?: QuantizeOptions;
  /** Receives decoded text as it grows (streaming). */
  onText?(delta: string): void;
}

export interface GenerateOutput {
  text: string;
  promptTokens: number;
  newTokens: number;
  stopReason: 'stop' | 'length' | 'context';
  backend: BackendReport;
  seconds: number;
}

/** A problem with the request (missing files, no chat template): a one-line message. */
export class GenerateError extends Error {}

// Tokens that end an assistant turn, by template family: generation stops there too.
const END_OF_TURN = new Set(['<|im_end|>', '<|eot_id|>', '<|eom_id|>', '<end_of_turn>', '<|end|>', '<|END_OF_TURN_TOKEN|>', '<｜end▁of▁sentence｜>', '</s>', '<|endoftext|>']);

/** Token ids that end generation: the tokenizer's stop tokens, the model's EOS and the template family's end-of-turn tokens. */
export function stopIds(chat: ChatModel, template: string | undefined, eos: readonly number[]): number[] {
  const ids = new Set<number>([...chat.stopTokenIds, ...eos]);
  const family = template ? templateFamilyOfSource(template) : undefined;
  for (const tok of family ? CONTROL_TOKENS[family] : []) {
    if (!END_OF_TURN.has(tok)) continue;
    const id = chat.tokenizer.token_to_id(tok);
    if (id !== undefined) ids.add(id);
  }
  return [...ids];
}

/** Runs one generation. Throws `GenerateError` for bad input, before any compute. */
export async function generateText(req: GenerateRequest): Promise<GenerateOutput> {
  const loaded = await loadChatModel(req.modelDir);
  if (!loaded.ok) throw new GenerateError(loaded.error.message);
  const chat = loaded.value;
  let text = req.prompt;
  let template: string | undefined;
  if (req.chat) {
    const resolved = resolveChatTemplate(chat, {});
    if (!resolved.ok) throw new GenerateError(resolved.error.message);
    template = resolved.value.source;
    const rendered = renderTemplate(chat, template, [{ role: 'user', content: req.prompt }], { addGenerationPrompt: true });
    if (!rendered.ok) throw new GenerateError(rendered.error.message);
    text = rendered.value;
  }
  // A rendered template already holds its BOS text; a raw prompt gets the tokenizer's specials.
  const promptIds = encode(chat, text, !req.chat);
  if (promptIds.length === 0) throw new GenerateError('the prompt is empty');

  const backend = await selectBackend(req.backend, { allowCpuFallback: true });
  const started = Date.now();
  let model;
  try {
    model = loadModel(req.modelDir);
    if (req.quantize) applyQuantization(model, req.quantize);
    if (req.adapterDir) loadAdapterInto(model, req.adapterDir, { encode: (t) => encode(chat, t, true) });
  } catch (e) {
    model?.dispose();
    throw new GenerateError((e as Error).message);
  }
  if (model.config.vocabSize < chat.tokenizer.get_vocab(true).size) {
    // Tokens past the embedding table cannot be fed; say so rather than fail in the middle.
    const tooBig = promptIds.find((id) => id >= model.config.vocabSize);
    if (tooBig !== undefined) {
      model.dispose();
      throw new GenerateError(`prompt token id ${tooBig} is outside the model's vocabulary (${model.config.vocabSize})`);
    }
  }
  const produced: number[] = [];
  let shown = '';
  try {
    const result = generate(model, promptIds, {
      maxNewTokens: req.maxNewTokens,
      temperature: req.temperature,
      topP: req.topP,
      topK: req.topK,
      seed: req.seed,
      stopIds: stopIds(chat, template, model.config.eosTokenIds),
      onToken: (id) => {
        produced.push(id);
        // Hold back a trailing replacement character: the next token may complete a UTF-8 sequence.
        const now = decode(chat, produced, true).replace(/\uFFFD+$/, '');
        if (now.startsWith(shown) && now.length > shown.length) {
          req.onText?.(now.slice(shown.length));
          shown = now;
        }
      },
    });
    const final = decode(chat, result.ids, true);
    if (final.startsWith(shown) && final.length > shown.length) req.onText?.(final.slice(shown.length));
    return { text: final, promptTokens: promptIds.length, newTokens: result.ids.length, stopReason: result.stopReason, backend, seconds: (Date.now() - started) / 1000 };
  } finally {
    model.dispose();
  }
}
