import { basename, resolve } from 'node:path';
import { BackendError, GenerateError, startServer, type BackendChoice } from '../../trainer/index';
import { numberOption, parse } from '../args';
import { UsageError, type CliCommand } from '../command';

const BACKENDS: readonly BackendChoice[] = ['auto', 'wasm', 'webgpu', 'tensorflow'];

const USAGE = `Usage: tunelab serve --model DIR [--adapter NAME=DIR ...] [--host H] [--port P]
                     [--model-name NAME] [--api-key-env NAME] [--max-queue N] [--max-body-bytes N] [--backend B]

Serves a local Hugging Face model directory, and any number of LoRA adapters on it, with an
OpenAI-compatible HTTP API. The base model is loaded once and every adapter stays resident: the
request's "model" field picks the adapter (or the base model by its name) without reloading.

  --model DIR           the base model directory (config.json, safetensors, tokenizer.json)
  --adapter NAME=DIR    an adapter served as model NAME (repeat for more; DIR alone: NAME = its folder name)
  --model-name NAME     the base model's id (default: the model folder's name)
  --host H              address to bind (default 127.0.0.1: this machine only)
  --port P              port (default 8000; 0 = any free port)
  --api-key-env NAME    require "Authorization: Bearer <key>" with the key in that environment variable
  --max-queue N         requests that may wait for the running one (default 64; more get 503)
  --max-body-bytes N    largest request body (default 4194304; larger get 413)
  --backend B           auto, wasm (default), webgpu or tensorflow

Endpoints: GET /v1/models, POST /v1/chat/completions, POST /v1/completions (stream: true for
server-sent events), GET /health. Chat requests go through the model's chat template and stop at
its EOS / end-of-turn tokens; max_tokens, temperature, top_p, seed, stop and n = 1 are honoured.
One generation runs at a time, in arrival order; a client that disconnects cancels its own.
Ctrl-C / SIGTERM: stop accepting, finish what runs (10 s at most), exit 0.
Exit codes: 0 stopped by a signal, 2 usage error, unreadable model / adapter or a port in use.`;

/** `NAME=DIR` or `DIR` (named after its folder). */
export function parseAdapterSpec(spec: string): { name: string; dir: string } {
  const eq = spec.indexOf('=');
  // A path may contain '='; only a plain name before the first '=' counts as NAME.
  if (eq > 0 && !/[\\/]/.test(spec.slice(0, eq))) {
    const name = spec.slice(0, eq);
    const dir = spec.slice(eq + 1);
    if (dir === '') throw new UsageError(`--adapter ${spec}: no directory after '='`);
    return { name, dir };
  }
  const name = basename(spec.replace(/[\\/]+$/, ''));
  if (name === '') throw new UsageError(`--adapter ${spec}: give it a name, as NAME=DIR`);
  return { name, dir: spec };
}

export const serveCommand: CliCommand = {
  name: 'serve',
  summary: 'Serve a model and its adapters over an OpenAI-compatible HTTP API',
  usage: USAGE,
  async run(args, io) {
    const { values, positionals } = parse(args, {
      model: { type: 'string' },
      adapter: { type: 'string', multiple: true },
      'model-name': { type: 'string' },
      host: { type: 'string' },
      port: { type: 'string' },
      'max-queue': { type: 'string' },
      'max-body-bytes': { type: 'string' },
      'api-key-env': { type: 'string' },
      backend: { type: 'string' },
    });
    if (!values.model) throw new UsageError('--model DIR is required');
    if (positionals.length) throw new UsageError(`unexpected argument '${positionals[0]}'`);
    const backend = values.backend ?? 'wasm';
    if (!(BACKENDS as readonly string[]).includes(backend)) throw new UsageError(`--backend must be one of ${BACKENDS.join(', ')}, got '${backend}'`);
    const port = numberOption('port', values.port, { integer: true, min: 0 }) ?? 8000;
    if (port > 65535) throw new UsageError(`--port must be at most 65535, got ${port}`);
    const keyEnv = values['api-key-env'];
    const apiKey = keyEnv === undefined ? undefined : process.env[keyEnv];
    if (keyEnv !== undefined && !apiKey) throw new UsageError(`--api-key-env ${keyEnv}: that environment variable is not set or empty`);
    const host = values.host ?? '127.0.0.1';
    if (!apiKey && !['127.0.0.1', 'localhost', '::1'].includes(host)) io.err(`tunelab serve: warning: listening on ${host} without --api-key-env: anyone who can reach it can use it\n`);
    const adapters = (values.adapter ?? []).map((s) => {
      const a = parseAdapterSpec(s);
      return { name: a.name, dir: resolve(io.cwd, a.dir) };
    });
    let server;
    try {
      server = await startServer({
        modelDir: resolve(io.cwd, values.model),
        adapters,
        modelName: values['model-name'],
        backend: backend as BackendChoice,
        host,
        apiKey,
        port,
        maxQueue: numberOption('max-queue', values['max-queue'], { integer: true, min: 0 }),
        maxBodyBytes: numberOption('max-body-bytes', values['max-body-bytes'], { integer: true, min: 1 }),
        log: (line) => io.err(`${new Date().toISOString()} ${line}\n`),
      });
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      if (e instanceof GenerateError || e instanceof BackendError) throw new UsageError(e.message);
      if (err.code === 'EADDRINUSE' || err.code === 'EACCES' || err.code === 'EADDRNOTAVAIL') throw new UsageError(`cannot listen on ${values.host ?? '127.0.0.1'}:${port}: ${err.code}`);
      throw e;
    }
    const { engine } = server;
    const names = engine.adapterNames;
    io.err(
      `tunelab serve: ${engine.baseName}${names.length ? ` + ${names.length} adapter${names.length > 1 ? 's' : ''} (${names.join(', ')})` : ''} on ${engine.backend.detail}\n` +
        `listening on ${server.url}/v1 (Ctrl-C stops)\n`,
    );
    const running = server;
    await new Promise<void>((done) => {
      let stopping = false;
      const onSignal = (signal: NodeJS.Signals): void => {
        if (stopping) {
          io.err(`tunelab serve: ${signal} again, stopping now\n`);
          void running.close(0).then(done);
          return;
        }
        stopping = true;
        io.err(`tunelab serve: ${signal}: finishing running requests, then stopping\n`);
        void running.close(10_000).then(done);
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
    });
    io.err('tunelab serve: stopped\n');
    return 0;
  },
};
