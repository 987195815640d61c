// `tunelab serve` with a real HTTP client (Node's fetch) on 127.0.0.1 and a random port: two
// LoRA adapters trained here on a tiny generated model, served together on one base; answers
// equal `tunelab generate --adapter` for the same adapter and seed; SSE chunks; every error
// status; queueing, cancellation and the CLI process with SIGTERM.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { main } from '../../../cli/main';
import type { CliIo } from '../../../cli/command';
import { runCli } from '../../../cli/test/inProcess';
import { HttpChatClient } from '../../../common/datagen/client';
import { generateText } from '../../generate/run';
import { startServer, type RunningServer } from '../../serve/index';
import { writeConfig, writeTestModel } from '../train/modelDir';

let dir = '';
let model = '';
const adapters: Record<string, string> = {};
let server: RunningServer;
const logs: string[] = [];

let trainErr = '';
const quiet: CliIo = { cwd: '/', out: () => {}, err: (t) => void (trainErr += t), isTty: false };

/** Two small chat datasets that teach different answers. */
function writeData(path: string, answer: (i: number) => string): void {
  const rows = Array.from({ length: 12 }, (_, i) => ({ messages: [{ role: 'user', content: `Question ${i}?` }, { role: 'assistant', content: answer(i) }] }));
  writeFileSync(path, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tunelab-serve-'));
  model = join(dir, 'model');
  writeTestModel(model);
  for (const [name, answer] of [['alpha', (i: number) => `The answer is ${i}.`], ['beta', (i: number) => `No idea about ${i}, sorry.`]] as const) {
    const data = join(dir, `${name}.jsonl`);
    writeData(data, answer);
    const cfg = join(dir, `${name}.yml`);
    adapters[name] = join(dir, `out-${name}`);
    writeConfig(cfg, model, data, adapters[name]!);
    const code = await main(['train', cfg], quiet);
    assert.equal(code, 0, `training ${name} failed: ${trainErr}`);
  }
  // A third adapter of another method (prefix tuning: per-forward hooks instead of linears).
  const cfg = join(dir, 'gamma.yml');
  adapters.gamma = join(dir, 'out-gamma');
  writeData(join(dir, 'gamma.jsonl'), (i) => `Prefix says ${i * 2}.`);
  writeConfig(cfg, model, join(dir, 'gamma.jsonl'), adapters.gamma);
  writeFileSync(cfg, readFileSync(cfg, 'utf8').replace(/^adapter: lora\n(?:lora_.*\n)+/m, 'adapter: prefix\npeft_num_virtual_tokens: 4\n'));
  assert.equal(await main(['train', cfg], quiet), 0, `training gamma failed: ${trainErr}`);
  server = await startServer({ modelDir: model, adapters: Object.entries(adapters).map(([name, d]) => ({ name, dir: d })), modelName: 'tiny', backend: 'wasm', port: 0, maxQueue: 8, log: (l) => logs.push(l) });
});
after(async () => {
  await server?.close(0);
  rmSync(dir, { recursive: true, force: true });
});

const post = (path: string, body: unknown, init: RequestInit = {}): Promise<Response> =>
  fetch(server.url + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body), ...init });

/**
 * POSTs `size` bytes from another process, written in 64 KiB chunks as they drain (a client still
 * sending when the answer comes, as curl does); resolves to what that client saw: "413
 * request_too_large", or the socket error ("error EPIPE") when the server reset the connection.
 */
function streamedPost(path: string, size: number): Promise<string> {
  const client = `
    const req = require('node:http').request(process.argv[1], { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': ${size} } });
    req.on('response', (res) => { let t = ''; res.on('data', (c) => (t += c)); res.on('end', () => { console.log(res.statusCode + ' ' + JSON.parse(t).error.code); process.exit(0); }); });
    req.on('error', (e) => { console.log('error ' + e.code); process.exit(0); });
    const chunk = Buffer.alloc(65536, 97);
    let sent = 0;
    const pump = () => { while (sent < ${size}) { const n = Math.min(65536, ${size} - sent); sent += n; if (!req.write(chunk.subarray(0, n))) return void req.once('drain', pump); } req.end(); };
    pump();`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', client, server.url + path], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.on('error', reject);
    child.on('close', () => resolve(out.trim()));
  });
}

/** What `tunelab generate --chat --adapter DIR` prints for the same settings. */
async function reference(adapter: string | undefined, prompt: string, seed: number, maxNewTokens: number, temperature: number): Promise<string> {
  const out = await generateText({ modelDir: model, adapterDir: adapter ? adapters[adapter] : undefined, prompt, chat: true, maxNewTokens, temperature, topP: 0.9, topK: 0, seed, backend: 'wasm' });
  return out.text;
}

/** Parses an SSE body into its `data:` payloads. */
function sseData(text: string): string[] {
  assert.ok(text.endsWith('\n\n'), 'every event ends with a blank line');
  return text
    .split('\n\n')
    .filter(Boolean)
    .map((e) => {
      assert.ok(e.startsWith('data: '), `event ${JSON.stringify(e)}`);
      return e.slice(6);
    });
}

describe('serving LoRA and prefix adapters on one base', () => {
  it('lists the base and every adapter', async () => {
    const r = await fetch(`${server.url}/v1/models`);
    assert.equal(r.status, 200);
    const body = (await r.json()) as { object: string; data: { id: string; object: string; owned_by: string; parent: string | null }[] };
    assert.deepEqual(server.engine.bank.adapters.map((a) => [a.name, a.method, a.hooks !== undefined, a.modules.length > 0]), [['alpha', 'lora', false, true], ['beta', 'lora', false, true], ['gamma', 'prefix', true, false]]);
    assert.equal(body.object, 'list');
    assert.deepEqual(
      body.data.map((m) => [m.id, m.object, m.owned_by, m.parent]),
      [['tiny', 'model', 'tunelab', null], ['alpha', 'model', 'tunelab', 'tiny'], ['beta', 'model', 'tunelab', 'tiny'], ['gamma', 'model', 'tunelab', 'tiny']],
    );
    const one = await fetch(`${server.url}/v1/models/beta`);
    assert.equal(((await one.json()) as { id: string }).id, 'beta');
  });

  it('concurrent requests for both adapters and the base: each equals `tunelab generate` with that adapter and seed', async () => {
    const cases = [
      { model: 'alpha', adapter: 'alpha', seed: 1 },
      { model: 'beta', adapter: 'beta', seed: 2 },
      { model: 'tiny', adapter: undefined, seed: 3 },
      { model: 'alpha', adapter: 'alpha', seed: 4 },
      { model: 'gamma', adapter: 'gamma', seed: 5 },
    ];
    const answers = await Promise.all(
      cases.map(async (c) => {
        const r = await post('/v1/chat/completions', { model: c.model, messages: [{ role: 'user', content: 'Question 3?' }], max_tokens: 12, temperature: 0.7, top_p: 0.9, seed: c.seed });
        assert.equal(r.status, 200);
        return (await r.json()) as { object: string; model: string; choices: { index: number; message: { role: string; content: string }; finish_reason: string }[]; usage: Record<string, number> };
      }),
    );
    const texts: string[] = [];
    for (const [i, c] of cases.entries()) {
      const want = await reference(c.adapter, 'Question 3?', c.seed, 12, 0.7);
      const got = answers[i]!;
      assert.equal(got.object, 'chat.completion');
      assert.equal(got.model, c.model);
      assert.equal(got.choices[0]!.message.role, 'assistant');
      assert.equal(got.choices[0]!.message.content, want, `${c.model} seed ${c.seed}`);
      assert.equal(got.usage.total_tokens, got.usage.prompt_tokens + got.usage.completion_tokens);
      texts.push(want);
    }
    // The adapters differ from each other and from the base (the switch is real).
    assert.equal(new Set([...texts.slice(0, 3), texts[4]]).size, 4, JSON.stringify(texts));
  });

  it('greedy answers of each adapter equal generate, finish_reason and usage as OpenAI reports them', async () => {
    for (const name of ['alpha', 'beta', 'gamma']) {
      const r = await post('/v1/chat/completions', { model: name, messages: [{ role: 'user', content: 'Question 5?' }], max_tokens: 40, temperature: 0 });
      const body = (await r.json()) as { choices: { message: { content: string }; finish_reason: string }[]; usage: { prompt_tokens: number; completion_tokens: number } };
      const ref = await generateText({ modelDir: model, adapterDir: adapters[name], prompt: 'Question 5?', chat: true, maxNewTokens: 40, temperature: 0, topP: 1, topK: 0, seed: 0, backend: 'wasm' });
      assert.equal(body.choices[0]!.message.content, ref.text);
      assert.equal(body.choices[0]!.finish_reason, ref.stopReason === 'stop' ? 'stop' : 'length');
      assert.deepEqual(body.usage, { prompt_tokens: ref.promptTokens, completion_tokens: ref.newTokens, total_tokens: ref.promptTokens + ref.newTokens });
    }
  });

  it('streams SSE chunks: a role chunk, content deltas that add up to the answer, a finish chunk, usage, [DONE]', async () => {
    const request = { model: 'beta', messages: [{ role: 'user', content: 'Question 7?' }], max_tokens: 10, temperature: 0 };
    const whole = (await (await post('/v1/chat/completions', request)).json()) as { choices: { message: { content: string } }[] };
    const r = await post('/v1/chat/completions', { ...request, stream: true, stream_options: { include_usage: true } });
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('content-type'), 'text/event-stream; charset=utf-8');
    const data = sseData(await r.text());
    assert.equal(data.at(-1), '[DONE]');
    const chunks = data.slice(0, -1).map((d) => JSON.parse(d) as { id: string; object: string; model: string; choices: { index: number; delta: { role?: string; content?: string }; finish_reason: string | null }[]; usage?: Record<string, number> });
    assert.ok(chunks.every((c) => c.object === 'chat.completion.chunk' && c.model === 'beta' && c.id === chunks[0]!.id));
    assert.deepEqual(chunks[0]!.choices[0]!.delta, { role: 'assistant', content: '' });
    const finish = chunks.at(-2)!;
    assert.deepEqual(finish.choices[0]!.delta, {});
    assert.equal(finish.choices[0]!.finish_reason, 'length');
    const usage = chunks.at(-1)!;
    assert.deepEqual(usage.choices, []);
    assert.equal(usage.usage!.completion_tokens, 10);
    const content = chunks.slice(1, -2).map((c) => {
      assert.equal(c.choices[0]!.finish_reason, null);
      return c.choices[0]!.delta.content!;
    });
    assert.equal(content.join(''), whole.choices[0]!.message.content);

    // /v1/completions streams text_completion chunks.
    const t = await post('/v1/completions', { model: 'tiny', prompt: 'Question', max_tokens: 4, temperature: 0, stream: true });
    const tc = sseData(await t.text());
    assert.equal(tc.at(-1), '[DONE]');
    const parsed = tc.slice(0, -1).map((d) => JSON.parse(d) as { object: string; choices: { text: string; finish_reason: string | null }[] });
    assert.ok(parsed.every((c) => c.object === 'text_completion'));
    assert.equal(parsed.at(-1)!.choices[0]!.finish_reason, 'length');
    const plain = (await (await post('/v1/completions', { model: 'tiny', prompt: 'Question', max_tokens: 4, temperature: 0 })).json()) as { choices: { text: string }[] };
    assert.equal(parsed.map((c) => c.choices[0]!.text).join(''), plain.choices[0]!.text);
  });

  it("generate-data's client talks to tunelab serve (bare host URL, usage counted)", async () => {
    const client = new HttpChatClient({ endpoint: server.url, model: 'beta', fetch: globalThis.fetch });
    const reply = await client.chat([{ role: 'user', content: 'Question 5?' }], { temperature: 0, maxTokens: 12 });
    const ref = await generateText({ modelDir: model, adapterDir: adapters.beta, prompt: 'Question 5?', chat: true, maxNewTokens: 12, temperature: 0, topP: 1, topK: 0, seed: 0, backend: 'wasm' });
    assert.deepEqual(reply, { text: ref.text, finishReason: ref.stopReason === 'stop' ? 'stop' : 'length', promptTokens: ref.promptTokens, completionTokens: ref.newTokens });
    assert.deepEqual(client.stats, { requests: 1, retries: 0, promptTokens: ref.promptTokens, completionTokens: ref.newTokens, missingUsage: 0 });
  });

  it('stop strings cut the answer before the stop text', async () => {
    const full = (await (await post('/v1/completions', { model: 'alpha', prompt: 'Question 2?', max_tokens: 24, temperature: 0 })).json()) as { choices: { text: string }[] };
    const text = full.choices[0]!.text;
    assert.ok(text.length >= 4, `answer too short to test stop: ${JSON.stringify(text)}`);
    const stop = text.slice(2, 4);
    const cut = (await (await post('/v1/completions', { model: 'alpha', prompt: 'Question 2?', max_tokens: 24, temperature: 0, stop: [stop] })).json()) as { choices: { text: string; finish_reason: string }[] };
    assert.equal(cut.choices[0]!.text, text.slice(0, text.indexOf(stop)));
    assert.equal(cut.choices[0]!.finish_reason, 'stop');
  });
});

describe('tunelab generate with several adapters', () => {
  const cli = (args: string[]) => runCli(dir, args);

  it('answers once per adapter (base loaded once), each as generate --adapter DIR does; --use picks one', async () => {
    const args = ['generate', '--model', model, '--adapter', `alpha=${adapters.alpha}`, '--adapter', `gamma=${adapters.gamma}`, '--chat', '--max-new-tokens', '12', '--temperature', '0.8', '--seed', '9', '--top-p', '0.9'];
    const r = await cli([...args, '--json', 'Question 4?']);
    assert.equal(r.code, 0, r.err);
    const rows = r.out.trim().split('\n').map((l) => JSON.parse(l) as { adapter: string; text: string; new_tokens: number });
    assert.deepEqual(rows.map((x) => x.adapter), ['alpha', 'gamma']);
    for (const row of rows) assert.equal(row.text, await reference(row.adapter, 'Question 4?', 9, 12, 0.8));
    const text = await cli([...args, 'Question 4?']);
    assert.equal(text.out, `=== alpha ===\n${rows[0]!.text}\n=== gamma ===\n${rows[1]!.text}\n`);
    const one = await cli([...args, '--use', 'gamma', '--json', 'Question 4?']);
    assert.deepEqual(one.out.trim().split('\n').map((l) => (JSON.parse(l) as { adapter: string }).adapter), ['gamma']);
    const bad = await cli([...args, '--use', 'zeta', 'Question 4?']);
    assert.equal(bad.code, 2);
    assert.match(bad.err, /--use zeta: no such adapter; loaded: model, alpha, gamma/);
  });
});

describe('errors are OpenAI-shaped', () => {
  const expectError = async (r: Response, status: number, param: string | null, code: string | null): Promise<string> => {
    assert.equal(r.status, status);
    const body = (await r.json()) as { error: { message: string; type: string; param: string | null; code: string | null } };
    assert.deepEqual(Object.keys(body.error).sort(), ['code', 'message', 'param', 'type']);
    assert.equal(body.error.param, param);
    assert.equal(body.error.code, code);
    return body.error.message;
  };

  it('400 for invalid JSON, missing messages, bad parameter ranges, n > 1', async () => {
    assert.match(await expectError(await post('/v1/chat/completions', '{"model": "alpha",'), 400, null, 'invalid_json'), /not valid JSON/);
    await expectError(await post('/v1/chat/completions', { model: 'alpha' }), 400, 'messages', 'missing_required_parameter');
    await expectError(await post('/v1/chat/completions', { model: 'alpha', messages: [] }), 400, 'messages', 'missing_required_parameter');
    await expectError(await post('/v1/chat/completions', { model: 'alpha', messages: [{ role: 'wizard', content: 'x' }] }), 400, 'messages[0].role', 'invalid_value');
    assert.equal(await expectError(await post('/v1/chat/completions', { model: 'alpha', messages: [{ role: 'user', content: 'x' }], temperature: 3 }), 400, 'temperature', 'invalid_value'), "'temperature' must be >= 0 and <= 2, got 3");
    await expectError(await post('/v1/chat/completions', { model: 'alpha', messages: [{ role: 'user', content: 'x' }], top_p: 0 }), 400, 'top_p', 'invalid_value');
    await expectError(await post('/v1/chat/completions', { model: 'alpha', messages: [{ role: 'user', content: 'x' }], max_tokens: 0 }), 400, 'max_tokens', 'invalid_value');
    await expectError(await post('/v1/chat/completions', { model: 'alpha', messages: [{ role: 'user', content: 'x' }], max_tokens: 'many' }), 400, 'max_tokens', 'invalid_type');
    await expectError(await post('/v1/chat/completions', { model: 'alpha', messages: [{ role: 'user', content: 'x' }], n: 2 }), 400, 'n', 'unsupported_value');
    await expectError(await post('/v1/chat/completions', { model: 'alpha', messages: [{ role: 'user', content: 'x' }], response_format: { type: 'json_object' } }), 400, 'response_format', 'unsupported_value');
    await expectError(await post('/v1/completions', { model: 'alpha' }), 400, 'prompt', 'missing_required_parameter');
    await expectError(await post('/v1/completions', { model: 'alpha', prompt: [999999] }), 400, 'prompt', null);
    assert.match(await expectError(await post('/v1/chat/completions', { model: 'alpha', messages: [{ role: 'user', content: 'Question '.repeat(300) }] }), 400, 'messages', 'context_length_exceeded'), /^the prompt has \d+ tokens; this model's context is 256$/);
    await expectError(await post('/v1/chat/completions', { messages: [{ role: 'user', content: 'x' }] }), 400, 'model', 'missing_required_parameter');
    // A prefix adapter's virtual tokens come before the prompt: 253 ids fit the base's 256 positions, not gamma's 252.
    const ids = Array.from({ length: 253 }, () => 5);
    assert.equal((await post('/v1/completions', { model: 'alpha', prompt: ids, max_tokens: 1 })).status, 200);
    assert.equal(await expectError(await post('/v1/completions', { model: 'gamma', prompt: ids, max_tokens: 1 }), 400, 'prompt', 'context_length_exceeded'), "the prompt has 253 tokens; this model's context is 256 (252 after the adapter's 4 virtual tokens)");
  });

  it('404 for an unknown model or route, 405 for a wrong method, 413 for an oversized body', async () => {
    assert.match(await expectError(await post('/v1/chat/completions', { model: 'delta', messages: [{ role: 'user', content: 'x' }] }), 404, 'model', 'model_not_found'), /tiny, alpha, beta, gamma/);
    await expectError(await fetch(`${server.url}/v1/models/delta`), 404, 'model', 'model_not_found');
    await expectError(await fetch(`${server.url}/v2/anything`), 404, null, 'not_found');
    const r = await fetch(`${server.url}/v1/chat/completions`);
    assert.equal(r.headers.get('allow'), 'POST');
    await expectError(r, 405, null, 'method_not_allowed');
    await expectError(await post('/v1/chat/completions', { model: 'alpha', messages: [{ role: 'user', content: 'x'.repeat(5 * 1024 * 1024) }] }), 413, null, 'request_too_large');
    // A client that streams its body (as curl does) still gets the 413, not a reset connection.
    // (A reset is a race the client usually loses; four tries make a pass by luck unlikely.)
    for (let i = 0; i < 4; i++) assert.equal(await streamedPost('/v1/completions', 5 * 1024 * 1024), '413 request_too_large');
  });
});

describe('queueing and cancellation', () => {
  it('an API key is required when set (401); a full queue answers 503 with Retry-After; a disconnected client cancels its generation', async () => {
    const small = await startServer({ modelDir: model, adapters: [{ name: 'alpha', dir: adapters.alpha! }], backend: 'wasm', port: 0, maxQueue: 1, apiKey: 'sk-local', log: (l) => logs.push(l) });
    const auth = { authorization: 'Bearer sk-local' };
    try {
      // With a key, /v1 needs it (401 otherwise); /health does not.
      const denied = await fetch(`${small.url}/v1/models`, { headers: { authorization: 'Bearer sk-wrong' } });
      assert.equal(denied.status, 401);
      assert.equal(((await denied.json()) as { error: { code: string } }).error.code, 'invalid_api_key');
      assert.equal((await fetch(`${small.url}/v1/models`)).status, 401);
      assert.equal((await fetch(`${small.url}/health`)).status, 200);
      const long = { model: 'alpha', prompt: 'Question', max_tokens: 100000, temperature: 1, seed: 1, stream: true, stop: [] };
      const abort = new AbortController();
      const first = await fetch(`${small.url}/v1/completions`, { method: 'POST', headers: auth, body: JSON.stringify(long), signal: abort.signal });
      const reader = first.body!.getReader();
      await reader.read(); // generation has started
      // One may wait; the next is refused.
      const waiting = fetch(`${small.url}/v1/completions`, { method: 'POST', headers: auth, body: JSON.stringify({ model: 'alpha', prompt: 'Question', max_tokens: 2, temperature: 0 }) });
      await new Promise((r) => setTimeout(r, 100));
      const refused = await fetch(`${small.url}/v1/completions`, { method: 'POST', headers: auth, body: JSON.stringify({ model: 'alpha', prompt: 'Question', max_tokens: 2 }) });
      assert.equal(refused.status, 503);
      assert.equal(refused.headers.get('retry-after'), '1');
      assert.equal(((await refused.json()) as { error: { code: string } }).error.code, 'queue_full');
      // Disconnect the first client: its generation stops and the waiting request runs.
      abort.abort();
      const second = await waiting;
      assert.equal(second.status, 200);
      assert.equal(((await second.json()) as { usage: { completion_tokens: number } }).usage.completion_tokens, 2);
      assert.ok(logs.some((l) => /POST \/v1\/completions cancelled after \d+ tokens/.test(l)), logs.join('\n'));
    } finally {
      await small.close(0);
    }
  });

  it('the CLI process serves on a random port and exits 0 on SIGTERM after finishing', async () => {
    const cli = join(import.meta.dirname, '..', 'train', 'runCli.ts');
    const child = spawn(process.execPath, ['--import', 'tsx', cli, 'serve', '--model', model, '--adapter', `alpha=${adapters.alpha}`, '--adapter', adapters.beta!, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    const url = await new Promise<string>((resolve, reject) => {
      child.stderr.on('data', (d: Buffer) => {
        err += d.toString();
        const m = /listening on (http:\/\/127\.0\.0\.1:\d+)\/v1/.exec(err);
        if (m) resolve(m[1]!);
      });
      child.on('exit', () => reject(new Error(`exited early: ${err}`)));
    });
    const models = (await (await fetch(`${url}/v1/models`)).json()) as { data: { id: string }[] };
    assert.deepEqual(models.data.map((m) => m.id), ['model', 'alpha', 'out-beta']);
    // A streamed request: its first chunk says the server has it; then SIGTERM.
    const r = await fetch(`${url}/v1/chat/completions`, { method: 'POST', body: JSON.stringify({ model: 'out-beta', messages: [{ role: 'user', content: 'Question 1?' }], max_tokens: 30, temperature: 0, stream: true }) });
    assert.equal(r.status, 200);
    const reader = r.body!.getReader();
    let streamed = new TextDecoder().decode((await reader.read()).value);
    child.kill('SIGTERM');
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      streamed += new TextDecoder().decode(value);
    }
    assert.ok(streamed.endsWith('data: [DONE]\n\n'), 'the running request finishes');
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    assert.equal(code, 0, err);
    assert.match(err, /SIGTERM: finishing running requests, then stopping\n[\s\S]*stopped\n$/);
  });
});
