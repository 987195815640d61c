/**
 * `tunelab serve`: an OpenAI-compatible HTTP server (node:http) over one `ServeEngine`.
 *   GET  /v1/models, /v1/models/{id}     the base model and every adapter
 *   POST /v1/chat/completions            chat template + stop tokens of the model; SSE with stream
 *   POST /v1/completions                 raw prompt (text or token ids)
 *   GET  /health                         200 when ready
 * The request's `model` picks the adapter (or the base by its name). Generations run one at a
 * time in arrival order (`JobQueue`); a closed connection cancels its generation or its place in
 * the queue. Errors are OpenAI-shaped bodies with 400 / 401 / 404 / 405 / 413 / 503 statuses.
 */
import { randomInt, randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  apiError,
  errorBody,
  parseChatRequest,
  parseCompletionRequest,
  type ApiError,
  type ChatCompletion,
  type ChatCompletionChunk,
  type ModelCard,
  type SamplingRequest,
  type TextCompletion,
  type Usage,
} from '../../common/protocol/openai';
import { GenerateError } from '../generate/run';
import { PromptTooLongError, ServeEngine, type EngineOptions, type GenerationResult, type PreparedPrompt } from './engine';
import { CancelledError, JobQueue, QueueFullError } from './queue';

/** How to serve. */
export interface ServeOptions extends EngineOptions {
  /** Default 127.0.0.1: only this machine can connect unless asked otherwise. */
  host?: string;
  /** 0 = any free port. */
  port: number;
  /** Requests that may wait behind the running one (default 64). */
  maxQueue?: number;
  /** Largest request body in bytes (default 4 MiB). */
  maxBodyBytes?: number;
  /** When set, /v1 requests must send `Authorization: Bearer <apiKey>` (401 otherwise), as vLLM's --api-key. */
  apiKey?: string;
  /** One line per request and the server's own messages (stderr in the CLI). */
  log?(line: string): void;
}

/** A listening server. */
export interface RunningServer {
  url: string;
  port: number;
  engine: ServeEngine;
  /**
   * Stops accepting requests, lets the running and queued generations finish for up to
   * `graceMs` (then cancels them), closes every connection and frees the model.
   */
  close(graceMs?: number): Promise<void>;
}

const ROUTES: Record<string, string[]> = {
  '/v1/models': ['GET'],
  '/v1/chat/completions': ['POST'],
  '/v1/completions': ['POST'],
  '/health': ['GET'],
};

class BodyError extends Error {
  constructor(readonly error: ApiError) {
    super(error.message);
  }
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

const sendError = (res: ServerResponse, e: ApiError, headers: Record<string, string> = {}): void => sendJson(res, e.status, errorBody(e), headers);

function readBody(req: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const tooLarge = (): BodyError => new BodyError(apiError(413, `the request body is larger than ${limit} bytes`, null, 'request_too_large'));
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) return reject(tooLarge());
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        reject(tooLarge());
        req.removeAllListeners('data');
        req.resume();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** Reads and discards the rest of a request body (10 s at most, then the request is dropped). */
function drained(req: IncomingMessage): Promise<void> {
  return new Promise((resolve) => {
    if (req.complete || req.destroyed) return resolve();
    const timer = setTimeout(() => {
      req.destroy();
      resolve();
    }, 10_000);
    timer.unref();
    const done = (): void => {
      clearTimeout(timer);
      resolve();
    };
    req.once('end', done);
    req.once('close', done);
    req.resume();
  });
}

/** Compares the bearer token in constant time (no early exit that times the key). */
function authorized(header: string | undefined, key: string): boolean {
  const given = Buffer.from(/^Bearer\s+(.+)$/i.exec(header ?? '')?.[1]?.trim() ?? '');
  const want = Buffer.from(key);
  return given.length === want.length && timingSafeEqual(given, want);
}

/** Loads the model and adapters, then listens. */
export async function startServer(opts: ServeOptions): Promise<RunningServer> {
  const engine = await ServeEngine.load(opts);
  const queue = new JobQueue(opts.maxQueue ?? 64);
  const limit = opts.maxBodyBytes ?? 4 * 1024 * 1024;
  const log = opts.log ?? (() => {});
  const created = Math.floor(Date.now() / 1000);
  const active = new Set<AbortController>();
  let closing = false;

  const cards = (): ModelCard[] => [
    { id: engine.baseName, object: 'model', created, owned_by: 'tunelab', parent: null },
    ...engine.adapterNames.map((id): ModelCard => ({ id, object: 'model', created, owned_by: 'tunelab', parent: engine.baseName })),
  ];

  async function generateRoute(req: IncomingMessage, res: ServerResponse, kind: 'chat' | 'completion'): Promise<string> {
    let body: unknown;
    const raw = await readBody(req, limit);
    try {
      body = JSON.parse(raw);
    } catch (e) {
      throw new BodyError(apiError(400, `the request body is not valid JSON: ${(e as Error).message}`, null, 'invalid_json'));
    }
    const parsed = kind === 'chat' ? parseChatRequest(body) : parseCompletionRequest(body);
    if (!parsed.ok) throw new BodyError(parsed.error);
    const request: SamplingRequest = parsed.value;
    if (!engine.knows(request.model)) {
      throw new BodyError(apiError(404, `the model '${request.model}' does not exist; this server has: ${cards().map((c) => c.id).join(', ')}`, 'model', 'model_not_found'));
    }
    let prompt: PreparedPrompt;
    try {
      prompt = 'messages' in parsed.value ? engine.prepareChat(parsed.value.messages, request.model) : engine.prepareCompletion((parsed.value as { prompt: string | number[] }).prompt, request.model);
    } catch (e) {
      if (e instanceof GenerateError) throw new BodyError(apiError(400, e.message, kind === 'chat' ? 'messages' : 'prompt', e instanceof PromptTooLongError ? 'context_length_exceeded' : null));
      throw e;
    }
    if (closing) throw new BodyError(apiError(503, 'the server is shutting down', null, 'shutting_down', 'server_error'));
    if (queue.full) throw new BodyError({ ...apiError(503, `the server is busy: ${queue.pending} requests are waiting; retry later`, null, 'queue_full', 'server_error') });

    const controller = new AbortController();
    active.add(controller);
    // A client that goes away cancels its generation (or its place in the queue).
    res.on('close', () => {
      if (!res.writableFinished) controller.abort();
    });
    const id = `${kind === 'chat' ? 'chatcmpl' : 'cmpl'}-${randomUUID().replace(/-/g, '')}`;
    const stamp = Math.floor(Date.now() / 1000);
    const job = {
      prompt: request.ignoreEos ? { ...prompt, stopIds: [] } : prompt,
      adapter: request.model === engine.baseName ? undefined : request.model,
      maxTokens: request.maxTokens,
      temperature: request.temperature,
      topP: request.topP,
      seed: request.seed ?? randomInt(2 ** 31),
      stop: request.stop,
    };
    const usage = (r: GenerationResult): Usage => ({ prompt_tokens: r.promptTokens, completion_tokens: r.completionTokens, total_tokens: r.promptTokens + r.completionTokens });
    const sse = (data: unknown): void => {
      if (!res.writableEnded && !res.destroyed) res.write(`data: ${JSON.stringify(data)}\n\n`);
    };
    const chunk = (content: { role?: 'assistant'; content?: string }, finish: 'stop' | 'length' | null): ChatCompletionChunk | TextCompletion =>
      kind === 'chat'
        ? { id, object: 'chat.completion.chunk', created: stamp, model: request.model, choices: [{ index: 0, delta: content, finish_reason: finish, logprobs: null }] }
        : { id, object: 'text_completion', created: stamp, model: request.model, choices: [{ index: 0, text: content.content ?? '', finish_reason: finish, logprobs: null }] };

    try {
      if (request.stream) {
        res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive' });
        res.flushHeaders();
        if (kind === 'chat') sse(chunk({ role: 'assistant', content: '' }, null));
      }
      const result = await queue.run(() => engine.run(job, request.stream ? (delta) => sse(chunk({ content: delta }, null)) : undefined, controller.signal), controller.signal);
      if (result.cancelled) return `cancelled after ${result.completionTokens} tokens`;
      if (request.stream) {
        sse(chunk(kind === 'chat' ? {} : { content: '' }, result.finishReason));
        if (request.streamUsage) sse({ ...chunk({}, null), choices: [], usage: usage(result) });
        res.end('data: [DONE]\n\n');
      } else if (kind === 'chat') {
        const answer: ChatCompletion = {
          id,
          object: 'chat.completion',
          created: stamp,
          model: request.model,
          choices: [{ index: 0, message: { role: 'assistant', content: result.text }, finish_reason: result.finishReason, logprobs: null }],
          usage: usage(result),
        };
        sendJson(res, 200, answer);
      } else {
        const answer: TextCompletion = { id, object: 'text_completion', created: stamp, model: request.model, choices: [{ index: 0, text: result.text, finish_reason: result.finishReason, logprobs: null }], usage: usage(result) };
        sendJson(res, 200, answer);
      }
      return `200 ${request.model} ${result.promptTokens}+${result.completionTokens} tokens ${result.finishReason}`;
    } catch (e) {
      if (e instanceof CancelledError) return 'cancelled while queued';
      if (e instanceof QueueFullError) throw new BodyError(apiError(503, `the server is busy: ${e.message}; retry later`, null, 'queue_full', 'server_error'));
      throw e;
    } finally {
      active.delete(controller);
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = Date.now();
    const path = (req.url ?? '/').split('?')[0]!.replace(/\/+$/, '') || '/';
    let outcome = '';
    try {
      const modelMatch = /^\/v1\/models\/(.+)$/.exec(path);
      const allowed = modelMatch ? ['GET'] : ROUTES[path];
      if (!allowed) throw new BodyError(apiError(404, `no route ${req.method} ${path}; this server answers ${Object.keys(ROUTES).join(', ')}`, null, 'not_found'));
      if (!allowed.includes(req.method ?? '')) {
        req.resume();
        sendError(res, apiError(405, `${req.method} is not allowed on ${path}; use ${allowed.join(', ')}`, null, 'method_not_allowed'), { allow: allowed.join(', ') });
        outcome = '405';
        return;
      }
      if (path === '/health') return sendJson(res, closing ? 503 : 200, { status: closing ? 'shutting_down' : 'ok' });
      if (opts.apiKey !== undefined && !authorized(req.headers.authorization, opts.apiKey)) {
        req.resume();
        throw new BodyError(apiError(401, 'missing or wrong API key (send Authorization: Bearer <key>)', null, 'invalid_api_key'));
      }
      if (path === '/v1/models') return sendJson(res, 200, { object: 'list', data: cards() });
      if (modelMatch) {
        const card = cards().find((c) => c.id === decodeURIComponent(modelMatch[1]!));
        if (!card) throw new BodyError(apiError(404, `the model '${decodeURIComponent(modelMatch[1]!)}' does not exist`, 'model', 'model_not_found'));
        return sendJson(res, 200, card);
      }
      outcome = await generateRoute(req, res, path === '/v1/chat/completions' ? 'chat' : 'completion');
    } catch (e) {
      if (e instanceof BodyError) {
        const headers: Record<string, string> = e.error.status === 503 ? { 'retry-after': '1' } : e.error.status === 413 ? { connection: 'close' } : {};
        // 413 closes the connection; closing it while the client still writes resets it before
        // the client reads the answer (curl: "Empty reply"), so the rest of the body is read first.
        if (e.error.status === 413) await drained(req);
        sendError(res, e.error, headers);
        outcome = `${e.error.status} ${e.error.code ?? ''}`;
      } else {
        log(`internal error on ${req.method} ${path}: ${(e as Error).stack ?? e}`);
        if (res.headersSent) res.end();
        else sendError(res, apiError(500, `internal error: ${(e as Error).message}`, null, 'internal_error', 'server_error'));
        outcome = '500';
      }
    } finally {
      if (outcome) log(`${req.method} ${path} ${outcome} ${Date.now() - started} ms`);
    }
  }

  const server = createServer((req, res) => void handle(req, res));
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e) => {
      engine.dispose();
      reject(e);
    });
    server.listen(opts.port, opts.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;

  let closed: Promise<void> | undefined;
  const close = (graceMs = 10_000): Promise<void> =>
    (closed ??= (async () => {
      closing = true;
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const deadline = new Promise<void>((resolve) => setTimeout(resolve, graceMs).unref());
      await Promise.race([queue.idle(), deadline]);
      for (const c of active) c.abort();
      await queue.idle();
      server.closeAllConnections();
      await stopped;
      engine.dispose();
    })());
  return { url: `http://${host}:${address.port}`, port: address.port, engine, close };
}
