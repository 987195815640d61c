import { promises as fs } from 'node:fs';
import { basename, extname } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import type { Diagnostic } from 'vscode-languageserver-types';
import { conversationOf, DatasetValidator, normalizeRecord, readerForRecord, type DatasetEntry, type DatasetSummary, type NormalizedRecord } from '../../common/dataset';
import { QualityAnalyzer } from '../../common/dataset/quality/analyzer';
import type { DatasetStats, HostToInspector, InspectorFilter, RecordDetail, RecordMessage, RowSummary } from '../../common/protocol/webview';
import { indexFile, readRecords, RecordIndex, type IndexMode } from './recordIndex';

/** Diagnostics about the whole file rather than one record. */
const FILE_LEVEL = new Set(['dataset-empty-file', 'dataset-eos-never-trained', 'dataset-diagnostics-capped']);
/** Per-record diagnostics kept for filtering; past this the file-level counts still hold. */
const MAX_KEPT_DIAGNOSTICS = 200_000;
const PREVIEW_CHARS = 240;
const HISTOGRAM_BINS = 24;

/** What a session needs from its surroundings (the panel supplies VS Code-backed versions). */
export interface SessionHost {
  post(message: HostToInspector): void;
  /** The loss mask of record `index` (0-based): the language server's tunelab/lossMask, or a reason. */
  mask(index: number): Promise<RecordDetail['mask']>;
  /** Token lengths of some records, when a tokenizer is known (null: characters are used). */
  tokenLengths?(indexes: number[]): Promise<number[] | null>;
  trusted: boolean;
  sequenceLen: number | null;
  entry?: DatasetEntry;
}

interface RecordMarks {
  codes: string[];
  severity: number;
  diagnostics: { code: string; severity: number; message: string }[];
}

/**
 * One dataset file opened in the inspector. Indexes record byte offsets (so any window of the
 * list is one positioned read), then checks every record with the dataset core in a second
 * streaming pass. Filters produce a "view": the list of matching record indexes, which the
 * webview reads in windows. Nothing but the index, the per-record marks and the current view
 * stays in memory.
 */
export class DatasetSession {
  readonly index: RecordIndex;
  private handle: fs.FileHandle | undefined;
  private size = 0;
  private marks = new Map<number, RecordMarks>();
  private checked = false;
  private summary: DatasetSummary | null = null;
  private lengths: number[] = [];
  private viewId = 0;
  private filter: InspectorFilter = { search: '', codes: [] };
  /** Null: every record, in order. */
  private view: number[] | null = null;
  private viewComplete = false;
  private disposed = false;
  private lastPost = 0;

  constructor(
    readonly path: string,
    private readonly host: SessionHost,
  ) {
    this.index = new RecordIndex(modeOf(path));
  }

  /** Indexes the file (posting growing views as it goes), then checks it. */
  async open(): Promise<void> {
    this.handle = await fs.open(this.path, 'r');
    this.size = (await this.handle.stat()).size;
    this.host.post({ type: 'file', file: { path: this.path, name: basename(this.path), size: this.size, sequenceLen: this.host.sequenceLen, trusted: this.host.trusted } });
    this.postView();
    await indexFile(this.path, this.index.mode, {
      index: this.index,
      cancelled: () => this.disposed,
      progress: (ix, size) => {
        const now = Date.now();
        if (!ix.done && now - this.lastPost < 100 && ix.count > 0) return;
        this.lastPost = now;
        this.host.post({ type: 'progress', phase: 'index', done: ix.scanned, total: size, records: ix.count, finished: ix.done });
        if (this.filter.search === '' && this.filter.codes.length === 0) this.postView();
      },
    });
    if (this.disposed) return;
    this.viewComplete = this.view === null;
    this.postView();
    await this.check();
  }

  dispose(): void {
    this.disposed = true;
    void this.handle?.close();
    this.handle = undefined;
  }

  /** Applies a filter: builds the matching view (by scanning the file for a search) and posts it. */
  async setFilter(filter: InspectorFilter): Promise<void> {
    this.filter = { search: filter.search, codes: [...new Set(filter.codes)] };
    const id = ++this.viewId;
    if (this.filter.search === '' && this.filter.codes.length === 0) {
      this.view = null;
      this.viewComplete = this.index.done;
      this.postView();
      return;
    }
    this.view = [];
    this.viewComplete = false;
    this.postView();
    const byCode = this.filter.codes.length > 0 ? (i: number) => this.matchesCodes(i) : () => true;
    if (this.filter.search === '') {
      const out: number[] = [];
      for (let i = 0; i < this.index.count; i++) if (byCode(i)) out.push(i);
      if (id !== this.viewId) return;
      this.view = out;
    } else {
      await this.search(this.filter.search, id, byCode);
      if (id !== this.viewId) return;
    }
    // Codes are known only once the check pass is over; it re-applies the filter then.
    this.viewComplete = this.index.done && (this.filter.codes.length === 0 || this.checked);
    this.postView();
  }

  /** Posts rows [start, start + count) of view `viewId` (ignored when the view changed meanwhile). */
  async window(viewId: number, start: number, count: number): Promise<void> {
    if (viewId !== this.viewId || !this.handle) return;
    const total = this.view ? this.view.length : this.index.count;
    const indexes: number[] = [];
    for (let r = start; r < Math.min(total, start + count); r++) indexes.push(this.view ? this.view[r]! : r);
    const texts = await readRecords(this.handle, this.index, indexes, 4096);
    if (viewId !== this.viewId) return;
    const rows: RowSummary[] = indexes.map((i) => {
      const m = this.marks.get(i);
      return { index: i, line: this.index.lineOf(i), preview: previewOf(texts.get(i)?.text ?? ''), codes: m?.codes ?? [], severity: m?.severity ?? 0 };
    });
    this.host.post({ type: 'rows', viewId, start, rows });
  }

  /** Posts the full detail of record `index`: raw text, conversation, diagnostics and loss mask. */
  async select(index: number): Promise<void> {
    if (!this.handle || index >= this.index.count) return;
    const raw = (await readRecords(this.handle, this.index, [index], 256 * 1024)).get(index)!;
    let messages: RecordMessage[] | null = null;
    if (!raw.truncated) messages = messagesOf(raw.text, this.host.entry);
    const detail: RecordDetail = {
      index,
      line: this.index.lineOf(index),
      raw: raw.text,
      rawTruncated: raw.truncated,
      messages,
      diagnostics: this.marks.get(index)?.diagnostics ?? [],
      mask: { ok: false, reason: 'computing the loss mask…' },
    };
    this.host.post({ type: 'record', record: detail });
    const mask = this.host.trusted
      ? await this.host.mask(index).catch((e: Error) => ({ ok: false as const, reason: e.message }))
      : { ok: false as const, reason: 'The loss-mask view runs the model\'s chat template, so it is off in an untrusted workspace. Trust the folder to see trained and masked tokens.' };
    if (this.disposed) return;
    this.host.post({ type: 'record', record: { ...detail, mask } });
  }

  private matchesCodes(i: number): boolean {
    const m = this.marks.get(i);
    return this.filter.codes.some((c) => (c === 'ok' ? !m : m?.codes.includes(c) ?? false));
  }

  private postView(): void {
    this.host.post({ type: 'view', viewId: this.viewId, count: this.view ? this.view.length : this.index.count, complete: this.view ? this.viewComplete : this.index.done, filter: this.filter });
  }

  /** Finds records whose raw text contains `needle` (ASCII case-insensitive), reading the file in chunks. */
  private async search(needle: string, id: number, keep: (i: number) => boolean): Promise<void> {
    const want = Buffer.from(needle.toLowerCase(), 'utf8');
    const chunk = Buffer.alloc(8 << 20);
    const handle = await fs.open(this.path, 'r');
    try {
      let pos = 0;
      let lastPost = Date.now();
      while (pos < this.size) {
        const { bytesRead } = await handle.read(chunk, 0, chunk.length, pos);
        if (bytesRead === 0 || id !== this.viewId) break;
        const buf = chunk.subarray(0, bytesRead);
        lowerAscii(buf);
        let at = 0;
        let nextPos = pos + bytesRead;
        for (;;) {
          const hit = buf.indexOf(want, at);
          if (hit < 0) break;
          const rec = this.index.recordAtOffset(pos + hit);
          if (rec >= 0) {
            const [, end] = this.index.range(rec);
            if (keep(rec) && (this.view!.length === 0 || this.view![this.view!.length - 1]! < rec)) this.view!.push(rec);
            at = Math.max(hit + 1, end - pos);
          } else at = hit + 1;
        }
        // Re-read the overlap so a match that straddles two chunks is found.
        if (nextPos < this.size && want.length > 1) nextPos -= want.length - 1;
        pos = nextPos;
        if (Date.now() - lastPost > 150) {
          lastPost = Date.now();
          this.postView();
        }
        await new Promise<void>((r) => setImmediate(r));
      }
    } finally {
      await handle.close();
    }
  }

  /** The second pass: every record through the dataset core's validator, then marks and statistics. */
  private async check(): Promise<void> {
    const container = this.index.mode === 'lines' ? 'jsonl' : 'json';
    const lengths: number[] = [];
    // The Quality tab's report is built in the same pass (common/dataset/quality).
    const quality = new QualityAnalyzer();
    const validator = new DatasetValidator({
      container,
      entry: this.host.entry,
      maxDiagnostics: MAX_KEPT_DIAGNOSTICS,
      onRecord: (rec, loc) => {
        lengths[loc.index] = rec ? textLength(rec) : 0;
        quality.add(rec, loc);
      },
    });
    const decoder = new StringDecoder('utf8');
    const handle = await fs.open(this.path, 'r');
    const buf = Buffer.alloc(4 << 20);
    try {
      let pos = 0;
      let lastPost = 0;
      while (pos < this.size && !this.disposed) {
        const { bytesRead } = await handle.read(buf, 0, buf.length, pos);
        if (bytesRead === 0) break;
        validator.push(decoder.write(buf.subarray(0, bytesRead)));
        pos += bytesRead;
        if (Date.now() - lastPost > 150) {
          lastPost = Date.now();
          this.host.post({ type: 'progress', phase: 'check', done: pos, total: this.size, records: this.index.count, finished: false });
        }
        await new Promise<void>((r) => setImmediate(r));
      }
      if (this.disposed) return;
      validator.push(decoder.end());
    } finally {
      await handle.close();
    }
    const report = validator.end();
    this.summary = report.summary;
    this.lengths = lengths;
    const dupPairs: [number, number][] = [];
    for (const d of report.diagnostics) this.mark(d, dupPairs);
    this.checked = true;
    this.host.post({ type: 'progress', phase: 'check', done: this.size, total: this.size, records: this.index.count, finished: true });
    await this.postStats(dupPairs);
    if (this.filter.codes.length > 0) await this.setFilter(this.filter);
    else this.postView();
    await this.postQuality(quality);
  }

  /**
   * Confirms the near-duplicate candidates by exact Jaccard, reading the paired records by their
   * offsets (in index order, a batch at a time), then posts the quality report.
   */
  private async postQuality(quality: QualityAnalyzer): Promise<void> {
    const needed = quality.neededIndexes();
    for (let k = 0; k < needed.length && this.handle && !this.disposed; k += 256) {
      const batch = Array.from(needed.subarray(k, k + 256));
      const texts = await readRecords(this.handle, this.index, batch, 4 << 20);
      for (const i of batch) {
        const t = texts.get(i);
        quality.verify(i, t && !t.truncated ? recordOf(t.text, this.host.entry) : undefined);
      }
    }
    if (this.disposed) return;
    this.host.post({ type: 'quality', quality: quality.finish() });
  }

  private mark(d: Diagnostic, dupPairs: [number, number][]): void {
    const code = String(d.code ?? '');
    if (FILE_LEVEL.has(code)) return;
    const rec = this.index.recordAtLine(d.range.start.line);
    if (rec < 0) return;
    let m = this.marks.get(rec);
    if (!m) this.marks.set(rec, (m = { codes: [], severity: 0, diagnostics: [] }));
    const sev = d.severity ?? 1;
    if (!m.codes.includes(code)) m.codes.push(code);
    m.severity = m.severity === 0 ? sev : Math.min(m.severity, sev);
    m.diagnostics.push({ code, severity: sev, message: d.message });
    const data = d.data as { firstLine?: number } | undefined;
    if (code === 'dataset-duplicate' && typeof data?.firstLine === 'number' && dupPairs.length < 50) dupPairs.push([rec, this.index.recordAtLine(data.firstLine)]);
  }

  private async postStats(dupPairs: [number, number][]): Promise<void> {
    const s = this.summary!;
    let unit: DatasetStats['unit'] = 'characters';
    let values = this.lengths;
    if (this.host.tokenLengths && this.host.trusted) {
      const sample = sampleIndexes(this.index.count, 2000);
      const tokens = await this.host.tokenLengths(sample).catch(() => null);
      if (tokens && tokens.length > 0) {
        unit = 'tokens';
        values = tokens;
      }
    }
    const seq = unit === 'tokens' ? this.host.sequenceLen : null;
    const codes = Object.entries(s.byCode).map(([code, c]) => ({ code, severity: c.severity === 'error' ? 1 : c.severity === 'warning' ? 2 : c.severity === 'info' ? 3 : 4, count: c.count }));
    codes.sort((a, b) => a.severity - b.severity || b.count - a.count);
    this.host.post({
      type: 'stats',
      stats: {
        records: s.records,
        format: s.format ?? 'unknown',
        unit,
        histogram: histogram(values, HISTOGRAM_BINS, seq),
        sequenceLen: this.host.sequenceLen,
        overLength: seq === null ? 0 : values.filter((v) => v > seq).length,
        duplicates: { count: s.duplicates.exact, examples: dupPairs.slice(0, 20) },
        roles: s.roles,
        codes,
      },
    });
  }
}

function modeOf(path: string): IndexMode {
  return extname(path).toLowerCase() === '.json' ? 'json' : 'lines';
}

function lowerAscii(buf: Buffer): void {
  for (let i = 0; i < buf.length; i++) {
    const b = buf[i]!;
    if (b >= 0x41 && b <= 0x5a) buf[i] = b + 32;
  }
}

/** One line of at most {@link PREVIEW_CHARS} characters: the first messages of the record, else its raw start. */
export function previewOf(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > PREVIEW_CHARS ? `${flat.slice(0, PREVIEW_CHARS - 1)}…` : flat;
}

/** A record's raw text, normalised through the dataset core's readers (undefined when it is not one). */
function recordOf(text: string, entry?: DatasetEntry): NormalizedRecord | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const reader = readerForRecord(value as Record<string, unknown>, entry);
  return reader ? normalizeRecord(value, reader) : undefined;
}

/** The record as a conversation, through the dataset core's readers (null when it is not one). */
export function messagesOf(text: string, entry?: DatasetEntry): RecordMessage[] | null {
  const rec = recordOf(text, entry);
  if (!rec) return null;
  if (rec.kind === 'completion') return [{ role: 'text', content: rec.text }];
  const conv = conversationOf(rec);
  return conv ? conv.messages.map((m) => ({ role: m.role, content: m.content })) : null;
}

function textLength(rec: NormalizedRecord): number {
  if (rec.kind === 'completion') return rec.text.length;
  let n = 0;
  for (const m of rec.conversation.messages) n += m.content.length;
  return n;
}

/** Up to `n` record indexes spread evenly over `count` (all of them when there are few). */
export function sampleIndexes(count: number, n: number): number[] {
  if (count <= n) return Array.from({ length: count }, (_, i) => i);
  return Array.from({ length: n }, (_, k) => Math.floor((k * count) / n));
}

/**
 * Equal-width bins from 0 to the largest value (or to sequence_len when that is larger, so the
 * limit is on the axis).
 */
export function histogram(values: readonly number[], bins: number, limit: number | null): { edges: number[]; counts: number[] } {
  let max = limit ?? 0;
  for (const v of values) if (v !== undefined && v > max) max = v;
  if (max === 0) return { edges: [0, 1], counts: [values.length] };
  const width = Math.max(1, Math.ceil(max / bins));
  const n = Math.ceil((max + 1) / width);
  const counts = new Array<number>(n).fill(0);
  for (const v of values) {
    if (v === undefined) continue;
    const k = Math.min(n - 1, Math.floor(v / width));
    counts[k] = (counts[k] ?? 0) + 1;
  }
  return { edges: Array.from({ length: n + 1 }, (_, i) => i * width), counts };
}
