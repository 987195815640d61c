import { closeSync, existsSync, openSync, readFileSync, statSync, truncateSync, appendFileSync, readSync } from 'node:fs';
import { resolve } from 'node:path';
import { ApiRequestError, costOf, HttpChatClient } from '../../common/datagen/client';
import { type DropReason } from '../../common/datagen/filters';
import { initialState, parseState, runPipeline, type DatagenMethod, type DatagenState, type PipelineOptions } from '../../common/datagen/pipeline';
import { evolSeedInstruction, formatRecord, readSeeds, type OutputFormat } from '../../common/datagen/records';
import { writeFileAtomic } from '../../common/fsAtomic';
import { formatOption, numberOption, parse } from '../args';
import { UsageError, type CliCommand, type CliIo } from '../command';

const METHODS: readonly DatagenMethod[] = ['self-instruct', 'evol-instruct'];
const FORMATS: readonly OutputFormat[] = ['alpaca', 'sharegpt', 'openai'];

const USAGE = `Usage: tunelab generate-data --method self-instruct|evol-instruct --seed-data FILE
                             --endpoint URL --model NAME --count N --out FILE [options]

Generates instruction data with a model behind any OpenAI-compatible endpoint (OpenAI, vLLM,
Ollama, \`tunelab serve\`, ...).

  self-instruct   Wang et al. 2022: new instructions from 8 examples (6 seed, 2 generated), a
                  classification check, instances (input first; label first for classification),
                  filtered by the paper's heuristics and ROUGE-L < 0.7 against every instruction kept
  evol-instruct   Xu et al. 2023 (WizardLM): each seed instruction evolves in depth (constraints,
                  deepening, concretising, reasoning steps, complicated input) or in breadth; failed
                  evolutions (no information gain, "sorry" answers, stop-word answers, leaked prompt
                  words) are eliminated and the instruction stays as it was

  --seed-data FILE     seeds: self-instruct seed_tasks.jsonl, Alpaca, ShareGPT or OpenAI chat JSONL
  --endpoint URL       e.g. http://127.0.0.1:8000/v1 (a bare host gets /v1)
  --model NAME         the model id to send
  --count N            records wanted in --out in total
  --out FILE           JSONL output, appended to; progress is kept in FILE.state.json, so running
                       the same command again resumes where it stopped
  --format F           alpaca (default), sharegpt or openai
  --api-key-env NAME   environment variable holding the API key (default OPENAI_API_KEY; unset = none)
  --rpm N              at most N requests per minute
  --concurrency N      steps in flight at once (default 1); with a hosted API, raise it and cap
                       the request rate with --rpm
  --max-retries N      retries per request on 429 / 5xx / network errors (default 6; exponential
                       backoff with jitter, or what Retry-After says)
  --price-in P         dollars per 1M prompt tokens, for the cost line (default 0)
  --price-out P        dollars per 1M completion tokens (default 0)
  --seed S             seed for every random choice (default 0)
  --epochs N           evol-instruct: evolution rounds over the seeds (default 4)
  --max-rouge R        self-instruct: drop instructions with ROUGE-L >= R to the pool (default 0.7)
  --timeout S          seconds per request attempt (default 180)
  --json               print the final summary as one JSON object on stdout

A progress bar goes to stderr. Ctrl-C stops after the current request; run again to resume.
Exit codes: 0 --count records written, 1 stopped early (interrupted, seeds exhausted, or nothing
kept for many steps), 2 usage error, unreadable seeds, or an endpoint error that retries cannot fix.`;

/** Cuts a half-written last line (a run killed inside a write) and counts the complete records. */
function repairOutput(path: string): number {
  if (!existsSync(path)) return 0;
  const size = statSync(path).size;
  if (size === 0) return 0;
  const text = readFileSync(path, 'utf8');
  const end = text.lastIndexOf('\n') + 1;
  if (end < text.length) truncateSync(path, Buffer.byteLength(text.slice(0, end)));
  return text.slice(0, end).split('\n').filter((l) => l.trim() !== '').length;
}

/** Whether the file ends with a newline (a file we append to must). */
function endsWithNewline(path: string): boolean {
  const size = statSync(path).size;
  if (size === 0) return true;
  const fd = openSync(path, 'r');
  try {
    const b = Buffer.alloc(1);
    readSync(fd, b, 0, 1, size - 1);
    return b[0] === 10;
  } finally {
    closeSync(fd);
  }
}

class ProgressBar {
  private lastLine = 0;
  constructor(
    private readonly io: CliIo,
    private readonly tty: boolean,
    private readonly count: number,
    private readonly price: { in: number; out: number },
    private readonly retries: () => number,
  ) {}

  line(s: DatagenState): string {
    const width = 24;
    const done = Math.min(width, Math.round((s.written / this.count) * width));
    const cost = costOf(s, this.price.in, this.price.out);
    const tokens = s.promptTokens + s.completionTokens;
    const tk = tokens >= 1e6 ? `${(tokens / 1e6).toFixed(2)}M` : tokens >= 1e3 ? `${(tokens / 1e3).toFixed(1)}k` : String(tokens);
    return `[${'#'.repeat(done)}${'-'.repeat(width - done)}] ${s.written}/${this.count} records | ${s.requests} requests | ${tk} tokens${this.price.in || this.price.out ? ` | $${cost.toFixed(4)}` : ''} | ${this.retries()} retries`;
  }

  update(s: DatagenState, force = false): void {
    if (this.tty) this.io.err(`\r${this.line(s)}\u001b[K`);
    else if (force || Date.now() - this.lastLine > 5000) {
      this.lastLine = Date.now();
      this.io.err(`${this.line(s)}\n`);
    }
  }

  end(s: DatagenState): void {
    if (this.tty) this.io.err(`\r${this.line(s)}\u001b[K\n`);
    else this.update(s, true);
  }
}

/**
 * An http(s) URL. 'localhost:8000' parses as a URL whose scheme is 'localhost:', which fetch would
 * only refuse after every retry; say what to write instead, at once.
 */
function checkEndpoint(endpoint: string): void {
  let url: URL | undefined;
  try {
    url = new URL(endpoint);
  } catch {
    url = undefined;
  }
  if (url && (url.protocol === 'http:' || url.protocol === 'https:')) return;
  const hint = /^[\w.-]+:\d+(\/|$)/.test(endpoint) ? `http://${endpoint}` : 'http://127.0.0.1:8000/v1';
  throw new UsageError(`--endpoint must be an http:// or https:// URL such as ${hint}, got '${endpoint}'`);
}

export const generateDataCommand: CliCommand = {
  name: 'generate-data',
  summary: 'Generate instruction data with self-instruct or evol-instruct from an OpenAI-compatible endpoint',
  usage: USAGE,
  async run(args, io) {
    const { values, positionals } = parse(args, {
      method: { type: 'string' },
      'seed-data': { type: 'string' },
      endpoint: { type: 'string' },
      model: { type: 'string' },
      count: { type: 'string' },
      out: { type: 'string' },
      format: { type: 'string' },
      'api-key-env': { type: 'string' },
      rpm: { type: 'string' },
      concurrency: { type: 'string' },
      'max-retries': { type: 'string' },
      'price-in': { type: 'string' },
      'price-out': { type: 'string' },
      seed: { type: 'string' },
      epochs: { type: 'string' },
      'max-rouge': { type: 'string' },
      timeout: { type: 'string' },
      json: { type: 'boolean', default: false },
    });
    if (positionals.length) throw new UsageError(`unexpected argument '${positionals[0]}'`);
    const method = values.method as DatagenMethod | undefined;
    if (!method || !METHODS.includes(method)) throw new UsageError(`--method must be one of ${METHODS.join(', ')}${values.method ? `, got '${values.method}'` : ''}`);
    for (const key of ['seed-data', 'endpoint', 'model', 'count', 'out'] as const) if (!values[key]) throw new UsageError(`--${key} is required`);
    const count = numberOption('count', values.count, { integer: true, min: 1 })!;
    const format = formatOption(values.format, FORMATS, 'alpaca');
    checkEndpoint(values.endpoint!);
    const maxRouge = numberOption('max-rouge', values['max-rouge'], { min: 0 }) ?? 0.7;
    if (maxRouge > 1) throw new UsageError(`--max-rouge must be in [0, 1], got ${maxRouge}`);
    const price = { in: numberOption('price-in', values['price-in'], { min: 0 }) ?? 0, out: numberOption('price-out', values['price-out'], { min: 0 }) ?? 0 };
    const keyEnv = values['api-key-env'] ?? 'OPENAI_API_KEY';
    if (values['api-key-env'] && process.env[keyEnv] === undefined) throw new UsageError(`--api-key-env ${keyEnv}: that environment variable is not set`);

    const seedPath = resolve(io.cwd, values['seed-data']!);
    const seedText = readFileSync(seedPath, 'utf8');
    // A binary file would otherwise print its bytes in a 'not valid JSON' line per chunk.
    if (seedText.includes('\0')) throw new UsageError(`${seedPath}: the file holds NUL bytes: it is binary, not JSON Lines seed data`);
    const { seeds: rawSeeds, problems, digest } = readSeeds(seedText);
    for (const p of problems.slice(0, 20)) io.err(`${seedPath}:${p.line}: ${p.message}\n`);
    if (problems.length > 20) io.err(`... and ${problems.length - 20} more seed problems\n`);
    if (rawSeeds.length === 0) throw new UsageError(`${seedPath}: no usable seed records`);
    const seeds = method === 'evol-instruct' ? rawSeeds.map((s) => ({ ...s, instruction: evolSeedInstruction(s) })) : rawSeeds;

    const out = resolve(io.cwd, values.out!);
    const statePath = `${out}.state.json`;
    const seed = numberOption('seed', values.seed, { integer: true, min: 0 }) ?? 0;
    const opts: PipelineOptions = { method, seeds, count, seed, seedDigest: digest, epochs: numberOption('epochs', values.epochs, { integer: true, min: 1 }) ?? 4, filter: { maxRougeL: maxRouge }, concurrency: numberOption('concurrency', values.concurrency, { integer: true, min: 1 }) ?? 1 };
    let state: DatagenState;
    if (existsSync(statePath)) {
      let raw: unknown;
      try {
        raw = JSON.parse(readFileSync(statePath, 'utf8'));
      } catch (e) {
        throw new UsageError(`${statePath}: not valid JSON (${(e as Error).message}); delete it to start over`);
      }
      const parsed = parseState(raw);
      if (!parsed) throw new UsageError(`${statePath}: not a generate-data state file; delete it to start over`);
      if (parsed.method !== method) throw new UsageError(`${out} was started with --method ${parsed.method}; use that method to resume, or another --out`);
      if (parsed.seedDigest !== digest) throw new UsageError(`${out} was started with different seed data; use the same --seed-data to resume, or another --out`);
      if (parsed.seed !== seed) throw new UsageError(`${out} was started with --seed ${parsed.seed}; use it to resume, or another --out`);
      state = parsed;
      state.written = repairOutput(out);
      io.err(`resuming ${out}: ${state.written} records, ${state.requests} requests so far\n`);
    } else {
      if (existsSync(out) && statSync(out).size > 0) throw new UsageError(`${out} exists and has no ${statePath}: it was not written by generate-data; choose another --out`);
      state = initialState(opts);
    }
    if (existsSync(out) && !endsWithNewline(out)) appendFileSync(out, '\n');

    const client = new HttpChatClient({
      endpoint: values.endpoint!,
      model: values.model!,
      apiKey: process.env[keyEnv] || undefined,
      rpm: numberOption('rpm', values.rpm, { min: 0 }) || undefined,
      maxRetries: numberOption('max-retries', values['max-retries'], { integer: true, min: 0 }) ?? 6,
      timeoutMs: (numberOption('timeout', values.timeout, { min: 0.001 }) ?? 180) * 1000,
      fetch: globalThis.fetch,
      onRetry: ({ attempt, delayMs, reason }) => {
        if (process.stderr.isTTY) io.err('\n');
        io.err(`retry ${attempt} in ${(delayMs / 1000).toFixed(1)} s: ${reason}\n`);
      },
    });
    const bar = new ProgressBar(io, Boolean(process.stderr.isTTY) && !values.json, count, price, () => client.stats.retries);
    const abort = new AbortController();
    const onSignal = (): void => abort.abort();
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    let result;
    try {
      result = await runPipeline(
        opts,
        {
          client,
          signal: abort.signal,
          progress: (s) => bar.update(s),
          commit: async (s, records) => {
            // State first: a crash before the append loses these records, never duplicates them.
            writeFileAtomic(statePath, `${JSON.stringify(s)}\n`);
            if (records.length) appendFileSync(out, records.map((r) => `${formatRecord(r, format)}\n`).join(''));
          },
        },
        state,
      );
    } catch (e) {
      bar.end(state);
      if (e instanceof ApiRequestError) throw new UsageError(`${e.message} (${state.written} record${state.written === 1 ? '' : 's'} kept; run again to resume)`);
      throw e;
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
    writeFileAtomic(statePath, `${JSON.stringify(result.state)}\n`);
    bar.end(result.state);
    const s = result.state;
    const cost = costOf(s, price.in, price.out);
    const drops = Object.entries(s.drops).sort((a, b) => b[1] - a[1]) as [DropReason, number][];
    const why: Record<typeof result.stop, string> = {
      done: 'done',
      interrupted: 'interrupted; run the same command to resume',
      stalled: 'stopped: nothing was kept for many steps in a row (is the model following the prompts?)',
      exhausted: 'stopped: every seed has evolved --epochs times; raise --epochs or add seeds',
    };
    io.err(
      `${why[result.stop]}: ${s.written}/${count} records in ${out}\n` +
        `${s.requests} requests (${client.stats.retries} retries), ${s.promptTokens} prompt + ${s.completionTokens} completion tokens` +
        `${price.in || price.out ? `, $${cost.toFixed(4)}` : ''}${client.stats.missingUsage ? ` (${client.stats.missingUsage} responses had no usage)` : ''}\n` +
        (Object.keys(s.made).length ? `made: ${Object.entries(s.made).map(([k, v]) => `${k} ${v}`).join(', ')}\n` : '') +
        (drops.length ? `dropped: ${drops.map(([k, v]) => `${k} ${v}`).join(', ')}\n` : ''),
    );
    if (values.json) {
      io.out(`${JSON.stringify({ status: result.stop, records: s.written, count, out, requests: s.requests, retries: client.stats.retries, prompt_tokens: s.promptTokens, completion_tokens: s.completionTokens, cost, made: s.made, dropped: s.drops })}\n`);
    }
    return result.stop === 'done' ? 0 : 1;
  },
};
