/**
 * The generation side of `tunelab serve` (and of `tunelab generate` with several adapters): the
 * base model loaded once with every adapter resident (`AdapterBank`), the model's own tokenizer,
 * chat template and stop tokens, and generation one token at a time so the caller can yield to
 * the event loop, stream and cancel between tokens.
 */
import { basename } from 'node:path';
import { decode, encode, loadChatModel, renderTemplate, resolveChatTemplate, type ChatModel } from '../../common/chat/index';
import { selectBackend, type BackendChoice, type BackendReport } from '../backend/index';
import { generateSteps } from '../generate/index';
import { GenerateError, stopIds } from '../generate/run';
import { loadModel } from '../io/index';
import type { CausalLM } from '../model/index';
import { AdapterBank, type ResidentAdapter } from './adapterBank';
import { StopTextStream } from './stopText';

/** What to load. */
export interface EngineOptions {
  modelDir: string;
  /** Adapters by the name requests use. */
  adapters: { name: string; dir: string }[];
  /** The base model's id in requests (default: the directory's name). */
  modelName?: string;
  backend: BackendChoice;
}

/** A prompt ready to run: token ids and the stop ids that go with how it was made. */
export interface PreparedPrompt {
  ids: number[];
  stopIds: number[];
}

/** One generation. */
export interface GenerationJob {
  prompt: PreparedPrompt;
  /** Adapter name, or undefined for the base model alone. */
  adapter?: string;
  /** New tokens at most (default: up to the context limit). */
  maxTokens?: number;
  temperature: number;
  topP: number;
  topK?: number;
  seed: number;
  stop: string[];
}

export interface GenerationResult {
  text: string;
  promptTokens: number;
  completionTokens: number;
  /** 'stop': EOS, end of turn or a stop string; 'length': max tokens or the context limit. */
  finishReason: 'stop' | 'length';
  /** True when the signal stopped it. */
  cancelled: boolean;
}

/** The prompt leaves no room to generate in the model's context (OpenAI's context_length_exceeded). */
export class PromptTooLongError extends GenerateError {}

const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** A base model with resident adapters. Create with `ServeEngine.load`; `dispose` when done. */
export class ServeEngine {
  private constructor(
    readonly chat: ChatModel,
    readonly model: CausalLM,
    readonly bank: AdapterBank,
    readonly baseName: string,
    readonly backend: BackendReport,
    private readonly template: string | undefined,
  ) {}

  /** Loads the tokenizer, the base model and every adapter. Throws `GenerateError` for bad input. */
  static async load(opts: EngineOptions): Promise<ServeEngine> {
    const loaded = await loadChatModel(opts.modelDir);
    if (!loaded.ok) throw new GenerateError(loaded.error.message);
    const chat = loaded.value;
    const resolved = resolveChatTemplate(chat, {});
    const template = resolved.ok ? resolved.value.source : undefined;
    const baseName = opts.modelName ?? basename(opts.modelDir.replace(/[\\/]+$/, ''));
    const names = new Set([baseName]);
    for (const a of opts.adapters) {
      if (names.has(a.name)) throw new GenerateError(`the name "${a.name}" is used twice (adapter names must differ from each other and from the base model's "${baseName}")`);
      names.add(a.name);
    }
    const backend = await selectBackend(opts.backend, { allowCpuFallback: true });
    let model: CausalLM | undefined;
    let bank: AdapterBank | undefined;
    try {
      model = loadModel(opts.modelDir);
      bank = new AdapterBank(model);
      for (const a of opts.adapters) bank.add(a.name, a.dir, { encode: (t) => encode(chat, t) });
    } catch (e) {
      bank?.dispose();
      model?.dispose();
      throw new GenerateError((e as Error).message);
    }
    return new ServeEngine(chat, model, bank, baseName, backend, template);
  }

  /** Adapter names, in load order. */
  get adapterNames(): string[] {
    return this.bank.adapters.map((a) => a.name);
  }

  adapter(name: string): ResidentAdapter | undefined {
    return this.bank.adapters.find((a) => a.name === name);
  }

  /** Whether `name` is the base model or a loaded adapter. */
  knows(name: string): boolean {
    return name === this.baseName || this.adapter(name) !== undefined;
  }

  /** Whether the tokenizer has a chat template (the chat endpoint needs one). */
  get hasChatTemplate(): boolean {
    return this.template !== undefined;
  }

  /** Messages through the model's chat template, with the generation prompt (as `generate --chat`). */
  prepareChat(messages: readonly { role: string; content: string }[], model?: string): PreparedPrompt {
    if (!this.template) {
      const resolved = resolveChatTemplate(this.chat, {});
      throw new GenerateError(resolved.ok ? 'no chat template' : resolved.error.message);
    }
    const rendered = renderTemplate(this.chat, this.template, messages as { role: 'user'; content: string }[], { addGenerationPrompt: true });
    if (!rendered.ok) throw new GenerateError(rendered.error.message);
    // A rendered template already holds its BOS text.
    return this.checked(encode(this.chat, rendered.value, false), stopIds(this.chat, this.template, this.model.config.eosTokenIds), model);
  }

  /** A raw prompt (text gets the tokenizer's special tokens, as `generate` without --chat). */
  prepareCompletion(prompt: string | readonly number[], model?: string): PreparedPrompt {
    const ids = typeof prompt === 'string' ? encode(this.chat, prompt, true) : [...prompt];
    return this.checked(ids, stopIds(this.chat, undefined, this.model.config.eosTokenIds), model);
  }

  /** `model`: the request's model; prefix and prompt adapters take positions before the prompt's. */
  private checked(ids: number[], stops: number[], model?: string): PreparedPrompt {
    if (ids.length === 0) throw new GenerateError('the prompt is empty (no tokens)');
    const vocab = this.model.config.vocabSize;
    const outside = ids.find((id) => id >= vocab);
    if (outside !== undefined) throw new GenerateError(`prompt token id ${outside} is outside the model's vocabulary (${vocab})`);
    const context = this.model.config.maxPositions;
    const reserved = this.model.reservedPositions(model === undefined ? undefined : this.adapter(model)?.hooks);
    const limit = context - reserved;
    if (ids.length >= limit) {
      const after = reserved ? ` (${limit} after the adapter's ${reserved} virtual tokens)` : '';
      throw new PromptTooLongError(`the prompt has ${ids.length} tokens; this model's context is ${context}${after}`);
    }
    return { ids, stopIds: stops };
  }

  /**
   * Runs one job, yielding to the event loop after every token; `onText` receives the text as it
   * grows (cut at stop strings). Stops early, with what it has, when `signal` aborts.
   */
  async run(job: GenerationJob, onText?: (delta: string) => void, signal?: AbortSignal): Promise<GenerationResult> {
    this.bank.activate(job.adapter);
    const steps = generateSteps(this.model, job.prompt.ids, {
      maxNewTokens: job.maxTokens ?? Number.MAX_SAFE_INTEGER,
      temperature: job.temperature,
      topP: job.topP,
      topK: job.topK ?? 0,
      seed: job.seed,
      stopIds: job.prompt.stopIds,
      hooks: this.bank.hooks(),
    });
    const text = new StopTextStream(job.stop);
    const ids: number[] = [];
    let finish: 'stop' | 'length' = 'length';
    let cancelled = false;
    try {
      for (;;) {
        if (signal?.aborted) {
          cancelled = true;
          break;
        }
        const step = steps.next();
        if (step.done) {
          finish = step.value.stopReason === 'stop' ? 'stop' : 'length';
          break;
        }
        ids.push(step.value);
        const delta = text.push(decode(this.chat, ids, true));
        if (delta) onText?.(delta);
        if (text.stopped) {
          finish = 'stop';
          break;
        }
        await yieldToEventLoop();
      }
    } finally {
      steps.return(undefined as never);
      this.bank.activate(undefined);
    }
    const rest = text.finish(decode(this.chat, ids, true));
    if (rest) onText?.(rest);
    if (text.stopped) finish = 'stop';
    return { text: text.text, promptTokens: job.prompt.ids.length, completionTokens: ids.length, finishReason: finish, cancelled };
  }

  dispose(): void {
    this.bank.dispose();
    this.model.dispose();
  }
}
