/**
 * JSONL validation on worker threads, for large files read from disk (the CLI's `validate`; the
 * language server can use it off its main thread too). The main thread reads the file in 1 MiB
 * pieces cut at line ends and hands them round-robin to the workers, which parse and check them
 * with the same DatasetValidator; the main thread merges the parts in file order, shifts their
 * lines, and finds duplicates across the whole file from the hashes the workers return. The
 * result is the same as the sequential validator's, at up to one core's speed per worker.
 */
import { createReadStream } from 'node:fs';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { StringDecoder } from 'node:string_decoder';
import * as zlib from 'node:zlib';
import { DuplicateIndex } from './hash';
import { guessRecord } from './shapes';
import { DatasetValidator, Tally, type DatasetReport, type FileFormat, type PartialTally, type ValidatorOptions } from './validator';

/** Options that can cross to a worker (no callbacks). */
export type ParallelOptions = Omit<ValidatorOptions, 'measure' | 'onRecord' | 'container'>;

interface Job {
  seq: number;
  bytes: Uint8Array;
}

interface Done {
  seq: number;
  lines: number;
  partial: PartialTally;
}

interface WorkerInit {
  tunelabDatasetWorker: true;
  options: ParallelOptions;
  fileFormat?: FileFormat;
}

const PIECE = 1 << 20;

// The same native CRC as ./file (a worker must find it itself: functions do not cross threads).
const nativeCrc32Bytes =
  typeof (zlib as { crc32?: unknown }).crc32 === 'function' ? (data: Uint8Array, init: number) => (zlib as unknown as { crc32(d: Uint8Array, v: number): number }).crc32(data, init) : undefined;
const nativeCrc32 = typeof (zlib as { crc32?: unknown }).crc32 === 'function' ? (s: string) => (zlib as unknown as { crc32(s: string): number }).crc32(s) : undefined;

/** Runs inside a worker: validates each piece it is sent and posts the partial tally back. */
function serveWorker(init: WorkerInit): void {
  const port = parentPort!;
  const decoder = new TextDecoder('utf-8');
  port.on('message', (job: Job) => {
    const text = decoder.decode(job.bytes);
    const v = new DatasetValidator({ crc32: nativeCrc32, crc32Bytes: nativeCrc32Bytes, ...init.options, container: 'jsonl' }, { fileFormat: init.fileFormat, logHashes: true });
    v.push(text);
    const partial = v.endPartial();
    let lines = 0;
    for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) lines++;
    const done: Done = { seq: job.seq, lines, partial };
    const h = partial.hashes;
    port.postMessage(done, h ? ([h.normalized.buffer, h.exact.buffer, h.line.buffer, h.length.buffer, h.index.buffer] as ArrayBuffer[]) : []);
  });
}

if (!isMainThread && (workerData as WorkerInit | undefined)?.tunelabDatasetWorker) serveWorker(workerData as WorkerInit);

/**
 * A worker running the module at `url`. Bundles are plain JavaScript; under tsx (tests, benchmarks)
 * the TypeScript source needs tsx's loader, which workers do not inherit, so it is registered first.
 */
function spawnWorker(url: URL, init: WorkerInit): Worker {
  if (!url.pathname.endsWith('.ts')) return new Worker(url, { workerData: init });
  const boot = `import('tsx/esm/api').then((api) => { api.register(); return import(${JSON.stringify(url.href)}); })`;
  return new Worker(boot, { eval: true, workerData: init });
}

/** The file's format, from its first records (the sequential validator decides the same way). */
function formatFromStart(text: string, options: ParallelOptions): FileFormat | undefined {
  const v = new DatasetValidator({ ...options, container: 'jsonl', duplicates: false, maxDiagnostics: 0 });
  let line = 0;
  for (let pos = 0; pos < text.length && line < 1000; line++) {
    let nl = text.indexOf('\n', pos);
    if (nl < 0) nl = text.length;
    const s = text.slice(pos, nl).trim();
    pos = nl + 1;
    if (!s) continue;
    try {
      const rec = JSON.parse(s) as unknown;
      if (rec && typeof rec === 'object' && !Array.isArray(rec) && guessRecord(rec as Record<string, unknown>, options.entry?.field_messages).format) {
        v.push(s + '\n');
        const ff = v.fileFormat;
        if (ff) return { ...ff, line, reason: ff.reason.replace(/line \d+\)$/, `line ${line + 1})`) };
      }
    } catch {
      /* not this line */
    }
  }
  return undefined;
}

/**
 * Validates a JSONL file on `workers` threads. `moduleUrl` is the URL of the module that holds
 * this file's code (import.meta.url of the caller's bundle, or of this file under tsx).
 */
export async function validateJsonlParallel(path: string, options: ParallelOptions, workers: number, moduleUrl: string | URL, start = 0): Promise<DatasetReport> {
  const max = options.maxDiagnostics ?? 1000;
  const tally = new Tally(max);
  const dups = options.duplicates === false ? undefined : new DuplicateIndex();
  let fileFormat: FileFormat | undefined;
  let pool: Worker[] = [];
  const pending = new Map<number, Done>();
  let nextToMerge = 0;
  let lineOffset = 0;
  let sent = 0;
  let failure: Error | undefined;
  let wake: (() => void) | undefined;
  const merge = () => {
    for (let d = pending.get(nextToMerge); d; d = pending.get(nextToMerge)) {
      pending.delete(nextToMerge);
      const p = d.partial;
      const extra = [];
      if (dups && p.hashes) {
        const h = p.hashes;
        for (let i = 0; i < h.normalized.length; i++) {
          const line = h.line[i]! + lineOffset;
          const dup = dups.check(h.normalized[i]!, h.exact[i]!, line);
          // JSONL: the record is its line, so the first-line range is the whole record.
          if (dup) extra.push(tally.duplicate(dup, { start: { line: h.line[i]!, character: 0 }, end: { line: h.line[i]!, character: h.length[i]! } }, h.index[i]! + tally.records));
        }
      }
      if (extra.length) {
        // Keep file order: a record's duplicate warning follows its other findings.
        p.diagnostics = [...p.diagnostics, ...extra].sort((a, b) => a.range.start.line - b.range.start.line);
        for (const x of extra) {
          const c = p.counts.find((e) => e[0] === x.code);
          if (c) c[2]++;
          else p.counts.push([String(x.code), x.severity!, 1]);
        }
        // Counted by the part's cap: trim what is beyond the part's own limit.
        if (p.diagnostics.length > max) {
          p.omitted += p.diagnostics.length - max;
          p.diagnostics.length = max;
        }
      }
      tally.merge(p, lineOffset);
      lineOffset += d.lines;
      nextToMerge++;
    }
  };
  try {
    const decoder = new StringDecoder('utf8');
    let carry: Buffer | undefined;
    let queued = 0;
    const send = (bytes: Buffer) => {
      if (!fileFormat) fileFormat = formatFromStart(decoder.write(bytes), options);
      if (pool.length === 0) {
        const init: WorkerInit = { tunelabDatasetWorker: true, options, ...(fileFormat ? { fileFormat } : {}) };
        pool = Array.from({ length: workers }, () => {
          const w = spawnWorker(new URL(moduleUrl), init);
          w.on('message', (d: Done) => {
            pending.set(d.seq, d);
            queued--;
            merge();
            wake?.();
          });
          w.on('error', (e) => {
            failure = e;
            wake?.();
          });
          return w;
        });
      }
      const copy = new Uint8Array(bytes.length);
      copy.set(bytes);
      pool[sent % workers]!.postMessage({ seq: sent, bytes: copy } satisfies Job, [copy.buffer]);
      sent++;
      queued++;
    };
    for await (const chunk of createReadStream(path, { highWaterMark: PIECE, start })) {
      let buf = chunk as Buffer;
      if (carry) buf = Buffer.concat([carry, buf]);
      const cut = buf.lastIndexOf(10);
      if (cut < 0) {
        carry = buf;
        continue;
      }
      carry = cut + 1 < buf.length ? buf.subarray(cut + 1) : undefined;
      send(buf.subarray(0, cut + 1));
      // Bounded memory: at most two pieces in flight per worker.
      while (queued >= workers * 2 && !failure) await new Promise<void>((r) => (wake = r));
      if (failure) throw failure;
    }
    if (carry && carry.length) send(carry);
    while (nextToMerge < sent && !failure) await new Promise<void>((r) => (wake = r));
    if (failure) throw failure;
  } finally {
    await Promise.all(pool.map((w) => w.terminate()));
  }
  tally.finish();
  return { diagnostics: tally.diagnostics, summary: tally.summary('jsonl', fileFormat?.format, fileFormat?.reason ?? '', options.sequenceLen) };
}
