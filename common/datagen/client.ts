/**
 * A chat client for any OpenAI-compatible endpoint (OpenAI, vLLM, Ollama, `tunelab serve`, ...):
 * `POST {endpoint}/chat/completions`, with a requests-per-minute limit and retries with
 * exponential backoff and full jitter on 429, 408/409, 5xx, timeouts and network errors, waiting
 * what `Retry-After` / `retry-after-ms` asks instead when the server says. Token usage is summed
 * from the responses. The I/O (fetch, clock, sleep, randomness) is injected, so the logic is
 * pure and tests drive it with a real local server.
 */
import type { ChatCompletion, OpenAiErrorBody } from '../protocol/openai';

/** One message sent to the model. */
export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/** Sampling settings of one request. */
export interface ChatOptions {
  temperature?: number;
  topP?: number;
  maxTokens?: number;
  stop?: string[];
  seed?: number;
}

/** The model's answer and what it cost. */
export interface ChatReply {
  text: string;
  /** 'length' means the answer was cut by max_tokens. */
  finishReason: string | null;
  promptTokens: number;
  completionTokens: number;
}

/** What the generation pipelines need from a model. */
export interface ChatClient {
  chat(messages: ChatMessage[], opts?: ChatOptions): Promise<ChatReply>;
}

/** A request that failed for good (a 4xx other than 408/409/429, or retries exhausted). */
export class ApiRequestError extends Error {
  constructor(
    message: string,
    readonly status: number | undefined,
    readonly retryable: boolean,
  ) {
    super(message);
  }
}

/** Counters a run reports. */
export interface ClientStats {
  requests: number;
  retries: number;
  promptTokens: number;
  completionTokens: number;
  /** Responses that carried no `usage` (their tokens are not counted). */
  missingUsage: number;
}

export interface HttpChatClientOptions {
  /** Base URL (`http://localhost:11434/v1`), a bare host (`/v1` is added) or the full `.../chat/completions` URL. */
  endpoint: string;
  model: string;
  /** Sent as `Authorization: Bearer ...` when set. */
  apiKey?: string;
  /** Requests started per minute at most (retries count); undefined = no limit. */
  rpm?: number;
  /** Retries after the first attempt (default 6). */
  maxRetries?: number;
  /** First backoff ceiling (default 1000 ms), doubled per retry up to `maxDelayMs` (default 60 s). */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Per-attempt timeout (default 180 s). */
  timeoutMs?: number;
  fetch: typeof fetch;
  sleep?(ms: number): Promise<void>;
  now?(): number;
  random?(): number;
  /** Told before each wait for a retry. */
  onRetry?(info: { attempt: number; delayMs: number; reason: string }): void;
}

/** The chat completions URL for an endpoint as users write it. */
export function chatCompletionsUrl(endpoint: string): string {
  const url = new URL(endpoint);
  const path = url.pathname.replace(/\/+$/, '');
  if (path.endsWith('/chat/completions')) return url.toString();
  url.pathname = `${path === '' ? '/v1' : path}/chat/completions`;
  return url.toString();
}

const RETRY_STATUS = new Set([408, 409, 429]);

/** Milliseconds a response asks to wait (`retry-after-ms`, `Retry-After` seconds or date), if any. */
export function retryAfterMs(headers: Headers, now: number): number | undefined {
  const ms = Number(headers.get('retry-after-ms'));
  if (headers.get('retry-after-ms') !== null && Number.isFinite(ms) && ms >= 0) return ms;
  const v = headers.get('retry-after');
  if (v === null) return undefined;
  const secs = Number(v);
  if (v.trim() !== '' && Number.isFinite(secs)) return Math.max(0, secs * 1000);
  const date = Date.parse(v);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

export class HttpChatClient implements ChatClient {
  readonly stats: ClientStats = { requests: 0, retries: 0, promptTokens: 0, completionTokens: 0, missingUsage: 0 };
  private readonly url: string;
  private nextStart = 0;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly now: () => number;
  private readonly random: () => number;

  constructor(private readonly opts: HttpChatClientOptions) {
    this.url = chatCompletionsUrl(opts.endpoint);
    this.sleep = opts.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    this.now = opts.now ?? Date.now;
    this.random = opts.random ?? Math.random;
  }

  async chat(messages: ChatMessage[], o: ChatOptions = {}): Promise<ChatReply> {
    const body: Record<string, unknown> = { model: this.opts.model, messages };
    if (o.temperature !== undefined) body.temperature = o.temperature;
    if (o.topP !== undefined) body.top_p = o.topP;
    if (o.maxTokens !== undefined) body.max_tokens = o.maxTokens;
    if (o.stop?.length) body.stop = o.stop;
    if (o.seed !== undefined) body.seed = o.seed;
    const maxRetries = this.opts.maxRetries ?? 6;
    for (let attempt = 0; ; attempt++) {
      await this.throttle();
      this.stats.requests++;
      let reason: string;
      let wait: number | undefined;
      try {
        const res = await this.opts.fetch(this.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...(this.opts.apiKey ? { authorization: `Bearer ${this.opts.apiKey}` } : {}) },
          body: JSON.stringify(body),
          signal: AbortSignal.timeout(this.opts.timeoutMs ?? 180_000),
        });
        const text = await res.text();
        if (res.ok) return this.reply(text);
        const message = errorMessage(text) ?? res.statusText;
        if (!RETRY_STATUS.has(res.status) && res.status < 500) throw new ApiRequestError(`${this.url} answered ${res.status}: ${message}`, res.status, false);
        reason = `${res.status} ${message}`;
        wait = retryAfterMs(res.headers, this.now());
      } catch (e) {
        if (e instanceof ApiRequestError) throw e;
        // fetch says "fetch failed"; the cause says why (ECONNREFUSED, ENOTFOUND, ...).
        const err = e as Error & { cause?: { code?: string; message?: string } };
        const why = err.cause?.code ?? err.cause?.message;
        reason = err.name === 'TimeoutError' ? 'timed out' : `${err.message}${why ? ` (${why})` : ''}`;
      }
      if (attempt >= maxRetries) throw new ApiRequestError(`${this.url}: giving up after ${attempt + 1} attempts: ${reason}`, undefined, true);
      // Full jitter: uniform in [0, min(cap, base·2^attempt)], unless the server said how long.
      const delay = wait ?? this.random() * Math.min(this.opts.maxDelayMs ?? 60_000, (this.opts.baseDelayMs ?? 1000) * 2 ** attempt);
      this.stats.retries++;
      this.opts.onRetry?.({ attempt: attempt + 1, delayMs: delay, reason });
      await this.sleep(delay);
    }
  }

  private reply(text: string): ChatReply {
    let body: ChatCompletion;
    try {
      body = JSON.parse(text) as ChatCompletion;
    } catch {
      throw new ApiRequestError(`${this.url} answered 200 with a body that is not JSON: ${text.slice(0, 120)}`, 200, false);
    }
    const choice = body.choices?.[0];
    const content = choice?.message?.content;
    if (typeof content !== 'string') throw new ApiRequestError(`${this.url} answered without choices[0].message.content`, 200, false);
    const usage = body.usage;
    if (usage && typeof usage.prompt_tokens === 'number') {
      this.stats.promptTokens += usage.prompt_tokens;
      this.stats.completionTokens += usage.completion_tokens ?? 0;
    } else this.stats.missingUsage++;
    return { text: content, finishReason: choice?.finish_reason ?? null, promptTokens: usage?.prompt_tokens ?? 0, completionTokens: usage?.completion_tokens ?? 0 };
  }

  /** Spaces request starts 60/rpm seconds apart. */
  private async throttle(): Promise<void> {
    if (!this.opts.rpm) return;
    const interval = 60_000 / this.opts.rpm;
    const now = this.now();
    const start = Math.max(now, this.nextStart);
    this.nextStart = start + interval;
    if (start > now) await this.sleep(start - now);
  }
}

function errorMessage(text: string): string | undefined {
  try {
    const body = JSON.parse(text) as Partial<OpenAiErrorBody>;
    return typeof body.error?.message === 'string' ? body.error.message : undefined;
  } catch {
    return text.trim() ? text.trim().slice(0, 200) : undefined;
  }
}

/** Dollars for the tokens at per-million prices. */
export const costOf = (stats: Pick<ClientStats, 'promptTokens' | 'completionTokens'>, priceIn: number, priceOut: number): number => (stats.promptTokens * priceIn + stats.completionTokens * priceOut) / 1e6;
