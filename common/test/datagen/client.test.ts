// The chat client against a real local HTTP server (a fixture inside the test that answers with
// recorded statuses): retries, Retry-After, backoff with jitter, the rpm limit, usage.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApiRequestError, chatCompletionsUrl, costOf, HttpChatClient, retryAfterMs } from '../../datagen/client';

/** Each request takes the next scripted answer. */
let script: { status: number; headers?: Record<string, string>; body: unknown }[] = [];
const seen: { auth?: string; body: Record<string, unknown> }[] = [];
let server: Server;
let url = '';

const ok = (text: string, usage = true) => ({ status: 200, body: { id: 'x', object: 'chat.completion', created: 0, model: 'm', choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' }], ...(usage ? { usage: { prompt_tokens: 10, completion_tokens: 3, total_tokens: 13 } } : {}) } });

before(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      seen.push({ auth: req.headers.authorization, body: JSON.parse(body) as Record<string, unknown> });
      const next = script.shift() ?? { status: 500, body: { error: { message: 'script exhausted' } } };
      res.writeHead(next.status, { 'content-type': 'application/json', ...next.headers });
      res.end(JSON.stringify(next.body));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
});
after(() => server.close());

function client(extra: Partial<ConstructorParameters<typeof HttpChatClient>[0]> = {}) {
  const waits: number[] = [];
  let clock = 1_000_000;
  const c = new HttpChatClient({
    endpoint: url,
    model: 'm',
    fetch: globalThis.fetch,
    sleep: async (ms) => {
      waits.push(ms);
      clock += ms;
    },
    now: () => clock,
    random: () => 0.5,
    ...extra,
  });
  return { c, waits };
}

test('endpoint forms', () => {
  assert.equal(chatCompletionsUrl('http://h:1'), 'http://h:1/v1/chat/completions');
  assert.equal(chatCompletionsUrl('http://h:1/v1/'), 'http://h:1/v1/chat/completions');
  assert.equal(chatCompletionsUrl('https://api.x.com/openai/v1'), 'https://api.x.com/openai/v1/chat/completions');
  assert.equal(chatCompletionsUrl('http://h/v1/chat/completions'), 'http://h/v1/chat/completions');
});

test('Retry-After in seconds, as a date and as retry-after-ms', () => {
  assert.equal(retryAfterMs(new Headers({ 'retry-after': '3' }), 0), 3000);
  assert.equal(retryAfterMs(new Headers({ 'retry-after-ms': '250', 'retry-after': '3' }), 0), 250);
  assert.equal(retryAfterMs(new Headers({ 'retry-after': new Date(10_000).toUTCString() }), 4000), 6000);
  assert.equal(retryAfterMs(new Headers({}), 0), undefined);
  assert.equal(retryAfterMs(new Headers({ 'retry-after': 'soon' }), 0), undefined);
});

test('429 waits what Retry-After says; 5xx backs off exponentially with full jitter; usage is summed', async () => {
  seen.length = 0;
  script = [{ status: 429, headers: { 'retry-after': '2' }, body: { error: { message: 'slow down' } } }, { status: 503, body: { error: { message: 'busy' } } }, { status: 500, body: 'oops' }, ok('hello')];
  const retries: string[] = [];
  const { c, waits } = client({ apiKey: 'sk-test', onRetry: (i) => retries.push(`${i.attempt}:${i.reason}`), baseDelayMs: 1000 });
  const r = await c.chat([{ role: 'user', content: 'hi' }], { temperature: 0.5, maxTokens: 7, stop: ['\n'], seed: 3 });
  assert.deepEqual(r, { text: 'hello', finishReason: 'stop', promptTokens: 10, completionTokens: 3 });
  // 2 s from the header; then random 0.5 × 1000·2^1 and 0.5 × 1000·2^2.
  assert.deepEqual(waits, [2000, 1000, 2000]);
  assert.deepEqual(retries, ['1:429 slow down', '2:503 busy', '3:500 Internal Server Error']);
  assert.deepEqual(c.stats, { requests: 4, retries: 3, promptTokens: 10, completionTokens: 3, missingUsage: 0 });
  assert.equal(seen[0]!.auth, 'Bearer sk-test');
  assert.deepEqual(seen[0]!.body, { model: 'm', messages: [{ role: 'user', content: 'hi' }], temperature: 0.5, max_tokens: 7, stop: ['\n'], seed: 3 });
});

test('a 400 is not retried; exhausted retries and unreachable endpoints give up with the reason', async () => {
  script = [{ status: 400, body: { error: { message: 'bad model', type: 'invalid_request_error', param: 'model', code: null } } }];
  const { c } = client();
  await assert.rejects(c.chat([{ role: 'user', content: 'x' }]), (e: unknown) => e instanceof ApiRequestError && e.status === 400 && !e.retryable && /answered 400: bad model$/.test(e.message));
  assert.equal(c.stats.requests, 1);

  script = [{ status: 502, body: {} }, { status: 502, body: {} }, { status: 502, body: {} }];
  const two = client({ maxRetries: 2 });
  await assert.rejects(two.c.chat([{ role: 'user', content: 'x' }]), /giving up after 3 attempts: 502/);
  assert.equal(two.waits.length, 2);

  // A port nobody listens on: one that was just closed.
  const closed = createServer();
  await new Promise<void>((r) => closed.listen(0, '127.0.0.1', () => r()));
  const port = (closed.address() as AddressInfo).port;
  await new Promise<void>((r) => closed.close(() => r()));
  const dead = new HttpChatClient({ endpoint: `http://127.0.0.1:${port}/v1`, model: 'm', fetch: globalThis.fetch, maxRetries: 1, sleep: async () => {} });
  await assert.rejects(dead.chat([{ role: 'user', content: 'x' }]), /giving up after 2 attempts: fetch failed \(ECONNREFUSED\)/);
});

test('--rpm spaces request starts 60/rpm seconds apart; a missing usage is counted as such', async () => {
  script = [ok('a', false), ok('b'), ok('c')];
  const { c, waits } = client({ rpm: 120 });
  for (let i = 0; i < 3; i++) await c.chat([{ role: 'user', content: 'x' }]);
  assert.deepEqual(waits, [500, 500]);
  assert.equal(c.stats.missingUsage, 1);
  assert.equal(c.stats.promptTokens, 20);
  assert.equal(costOf({ promptTokens: 2_000_000, completionTokens: 500_000 }, 0.15, 0.6), 0.6);
});
