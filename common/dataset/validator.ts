/**
 * The streaming dataset validator: text goes in by chunks (the CLI reads a file from disk, the
 * language server feeds a document slice by slice between requests), records are cut, parsed with
 * the built-in JSON.parse, checked, counted and hashed for duplicates, and only the first
 * `maxDiagnostics` diagnostics are kept; the rest are counted by code. Memory stays bounded by
 * one record plus a few bytes per record (hashes and lengths).
 */
import type { Diagnostic, Range } from 'vscode-languageserver-types';
import { diagnostic, Severity } from '../diagnostics';
import { checkAlpaca, checkChat, checkCompletion, controlPrefilter, controlTokenPattern, type CheckContext, type Finding, type RecordFacts } from './checks';
import { DuplicateIndex, FloatList, IntList, RawText, RecordHasher, type Crc32, type CrcBytes } from './hash';
import { Tally, type DatasetSummary, type PartialTally } from './tally';
import { nodeAtPath, scanJson, type JsonNode } from './jsonScan';
import { normalizeRecord, readerFor, type RecordReader } from './normalize';
import { formatOfEntry, guessRecord, type RecordGuess } from './shapes';
import { RecordSplitter, type RecordSlice, type SplitIssue } from './splitter';
import type { DatasetEntry, DatasetFormat, NormalizedRecord, RecordLocation } from './types';

export * from './tally';

/** Token facts about one record, measured by the caller with the chat core (see ./tokens.ts). */
export interface RecordMeasure {
  tokens: number;
  trained: number;
  /** Whether an EOS / end-of-turn token is inside the trained span. */
  eosTrained?: boolean;
  /** Longer than sequence_len. */
  truncated?: boolean;
  /** The chat core's per-record findings (all labels masked, truncated, could not render). */
  findings?: { code: string; severity: 'error' | 'warning' | 'info'; message: string }[];
}

export interface ValidatorOptions {
  /** `jsonl` (one record per line) or `json` (an array, or objects one after another). Default `jsonl`. */
  /** `text`: plain text, each non-blank line a completion record (Axolotl `ds_type: text`). */
  container?: 'jsonl' | 'json' | 'text';
  /** The config's dataset entry for this file: its `type:` and mappings decide how records are read. */
  entry?: DatasetEntry;
  /** Published diagnostics are capped at this many (default 1000); the rest are counted. */
  maxDiagnostics?: number;
  /** A model's special tokens, added to the control-token check. */
  controlTokens?: readonly string[];
  /** Duplicate detection (default on). */
  duplicates?: boolean;
  /** A record longer than this many characters is skipped (default 64 Mi). */
  maxRecordChars?: number;
  /** The config's sequence_len (reported in the token statistics). */
  sequenceLen?: number;
  /** Token counts and masking of a record (the chat core, see ./tokens.ts); called only for records without errors. */
  measure?: (record: NormalizedRecord, loc: RecordLocation) => RecordMeasure | undefined;
  /**
   * A native CRC-32 over UTF-8 (Node's `zlib.crc32`) for duplicate detection; the Node readers
   * pass it, without it the same CRC runs in JavaScript (slower, same results).
   */
  crc32?: Crc32;
  /**
   * A native CRC-32 over bytes continued from an initial value (`zlib.crc32(bytes, init)`): with
   * it a record's fields are hashed in one native call. Takes precedence over `crc32`.
   */
  crc32Bytes?: CrcBytes;
  /** Each record, normalised (undefined when it has errors that make it unreadable). */
  onRecord?: (record: NormalizedRecord | undefined, loc: RecordLocation, hasErrors: boolean) => void;
}

export interface DatasetReport {
  diagnostics: Diagnostic[];
  summary: DatasetSummary;
}

const { Error: E, Warning: W, Information: I } = Severity;

/** A line/column position inside a record's text. */
function positionIn(slice: RecordSlice, offset: number): { line: number; character: number } {
  const text = slice.text;
  let line = slice.line;
  let lineStart = -1;
  for (let i = text.indexOf('\n'); i >= 0 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    lineStart = i;
  }
  return { line, character: lineStart < 0 ? slice.character + offset : offset - lineStart - 1 };
}

function sliceRange(slice: RecordSlice, start: number, end: number): Range {
  return { start: positionIn(slice, start), end: positionIn(slice, Math.max(start, end)) };
}

function firstLineRange(slice: RecordSlice): Range {
  const nl = slice.text.indexOf('\n');
  let end = nl < 0 ? slice.text.length : nl;
  if (end > 0 && slice.text.charCodeAt(end - 1) === 13) end--;
  return sliceRange(slice, 0, end);
}

/** The format a file was found to have (set ahead when another thread read the file's start). */
export interface FileFormat {
  format: DatasetFormat;
  reason: string;
  line: number;
  guess: RecordGuess;
}

export class DatasetValidator {
  private readonly splitter: RecordSplitter;
  readonly tally: Tally;
  private format: DatasetFormat | undefined;
  private formatReason = '';
  private formatLine = 0;
  private reader: RecordReader | undefined;
  private declared: DatasetFormat | undefined;
  /** The file does not fit the config entry: records are read by their own shape. */
  private entryMisfit = false;
  private readonly control: RegExp;
  private readonly mayHaveControl: (raw: string) => boolean;
  private readonly dups: DuplicateIndex | undefined;
  /** One hasher for the whole file, reset per record (duplicate detection on). */
  private readonly hasher: RecordHasher | undefined;
  private readonly log: { normalized: FloatList; exact: IntList; line: IntList; length: IntList; index: IntList } | undefined;
  private container: DatasetSummary['container'];

  constructor(
    private readonly options: ValidatorOptions = {},
    internal: { fileFormat?: FileFormat; logHashes?: boolean } = {},
  ) {
    this.tally = new Tally(options.maxDiagnostics ?? 1000);
    this.container = options.container ?? 'jsonl';
    this.declared = options.entry ? formatOfEntry(options.entry) : undefined;
    this.control = controlTokenPattern(options.controlTokens);
    this.mayHaveControl = controlPrefilter(options.controlTokens);
    const dupsOn = options.duplicates !== false;
    this.dups = dupsOn && !internal.logHashes ? new DuplicateIndex() : undefined;
    this.log = dupsOn && internal.logHashes ? { normalized: new FloatList(), exact: new IntList(), line: new IntList(), length: new IntList(), index: new IntList() } : undefined;
    this.hasher = dupsOn ? new RecordHasher(options.crc32Bytes ? { bytes: options.crc32Bytes } : options.crc32) : undefined;
    const ff = internal.fileFormat;
    if (ff && this.declared === undefined) {
      this.format = ff.format;
      this.formatReason = ff.reason;
      this.formatLine = ff.line;
      this.reader = readerFor(ff.format, options.entry, ff.guess);
    }
    const sink = { record: (s: RecordSlice) => this.onSlice(s), issue: (i: SplitIssue) => this.onIssue(i) };
    this.splitter = new RecordSplitter(sink, this.container === 'json' ? 'auto' : 'lines', { maxRecordChars: options.maxRecordChars });
  }

  /** Feeds the next piece of text. */
  push(text: string): void {
    this.splitter.push(text);
  }

  /** Checks one already-parsed record (Parquet rows); `line` is its row index. */
  pushValue(value: unknown, line: number): void {
    this.container = 'parquet';
    this.onValue(value, undefined, line);
  }

  /** Ends the input and returns the diagnostics and the summary. */
  end(): DatasetReport {
    this.splitter.end();
    this.tally.finish();
    return { diagnostics: this.tally.diagnostics, summary: this.summary() };
  }

  /** Ends the input and returns the raw tally (a worker thread's part of a file). */
  endPartial(): PartialTally {
    this.splitter.end();
    const p = this.tally.toPartial();
    if (this.log) {
      p.hashes = { normalized: this.log.normalized.toArray(), exact: this.log.exact.toArray(), line: this.log.line.toArray(), length: this.log.length.toArray(), index: this.log.index.toArray() };
    }
    return p;
  }

  /** The file's format as decided so far. */
  get fileFormat(): FileFormat | undefined {
    return this.format && this.reader ? { format: this.format, reason: this.formatReason, line: this.formatLine, guess: this.guessOfFormat } : undefined;
  }

  private guessOfFormat: RecordGuess = { format: undefined, reason: '' };

  /** The summary so far (the language server shows it while a large file is still being read). */
  summary(): DatasetSummary {
    return this.tally.summary(this.container, this.format, this.formatReason, this.options.sequenceLen);
  }

  private onIssue(i: SplitIssue): void {
    const range: Range = { start: { line: i.line, character: i.character }, end: { line: i.line, character: i.character + i.length } };
    this.tally.add(diagnostic(i.code, E, range, i.message));
    if (i.code === 'dataset-record-too-large') {
      this.tally.records++;
      this.tally.invalid++;
      this.tally.messages.push(0);
      this.tally.chars.push(0);
    }
  }

  private onSlice(slice: RecordSlice): void {
    if (this.container === 'text') {
      this.onValue({ text: slice.text }, slice, slice.line);
      return;
    }
    let value: unknown;
    try {
      value = JSON.parse(slice.text);
    } catch (e) {
      const t = this.tally;
      t.records++;
      t.invalid++;
      t.messages.push(0);
      t.chars.push(0);
      const scan = scanJson(slice.text);
      const offset = scan.error?.offset ?? 0;
      const message = scan.error?.message ?? (e as Error).message;
      // An error at the very end (a missing '}') underlines the last character.
      let start = offset >= slice.text.length ? Math.max(0, slice.text.length - 1) : offset;
      // ... and one at a line break, the character before it (a range over the break ends on the next line).
      const c = slice.text.charCodeAt(start);
      if ((c === 10 || c === 13) && start > 0) start--;
      t.add(diagnostic('dataset-invalid-json', E, sliceRange(slice, start, start + 1), `invalid JSON: ${message}`));
      this.options.onRecord?.(undefined, { index: t.records - 1, line: slice.line }, true);
      return;
    }
    this.onValue(value, slice, slice.line);
  }

  private decide(guess: RecordGuess, line: number): void {
    if (this.format !== undefined || guess.format === undefined) return;
    this.format = guess.format;
    this.formatLine = line;
    this.formatReason = `${guess.reason} (first record, line ${line + 1})`;
    this.guessOfFormat = guess;
    this.reader = readerFor(guess.format, this.entryMisfit ? undefined : this.options.entry, guess);
  }

  private onValue(value: unknown, slice: RecordSlice | undefined, line: number): void {
    const t = this.tally;
    const index = t.records++;
    const loc: RecordLocation = { index, line };
    const facts: RecordFacts = { findings: [], roles: t.roles, messages: 0, chars: 0 };
    const hasher = this.hasher;
    if (hasher) hasher.reset(slice && this.container !== 'text' ? rawTextOf(slice.text) : RawText.Unknown);
    let readable = true;
    if (!value || typeof value !== 'object' || Array.isArray(value)) {
      facts.findings.push({ code: 'dataset-not-object', severity: E, message: `a record must be a JSON object, found ${Array.isArray(value) ? 'a list' : value === null ? 'null' : typeof value}`, path: [], target: 'value' });
      readable = false;
    } else {
      const rec = value as Record<string, unknown>;
      const entry = this.options.entry;
      const guess = guessRecord(rec, entry?.field_messages);
      if (this.declared !== undefined && this.format === undefined) {
        const misfit = entry ? misfitOfEntry(rec, this.declared, entry, guess) : undefined;
        if (misfit) {
          // The config reads the file as another format: say so once, then check the records
          // for what they are (one error, not the same one on every record).
          facts.findings.push({ code: 'dataset-type-mismatch', severity: E, message: misfit, path: [], target: 'record' });
          this.declared = undefined;
          this.entryMisfit = true;
        } else {
          this.format = this.declared;
          this.formatReason = `type: ${String(entry?.type)} in the config`;
          this.reader = readerFor(this.declared, entry, guess);
        }
      }
      if (this.declared === undefined) this.decide(guess, line);
      const reader = this.reader;
      if (this.declared === undefined && guess.format === undefined) {
        facts.findings.push({
          code: 'dataset-unknown-format',
          severity: E,
          message: `not a record Tunelab can read: expected 'messages' (OpenAI chat), 'conversations' (ShareGPT), 'instruction'/'output' (Alpaca) or 'text'; found ${guess.reason}`,
          path: [],
          target: 'record',
        });
        readable = false;
      } else if (this.declared === undefined && guess.format !== this.format) {
        facts.findings.push({
          code: 'dataset-mixed-formats',
          severity: E,
          message: `this record is ${FORMAT_NAMES[guess.format!]} (${guess.reason}) but the file is ${FORMAT_NAMES[this.format!]} (line ${this.formatLine + 1}): one file must hold one format`,
          path: [],
          target: 'record',
          data: { format: guess.format, fileFormat: this.format },
        });
        readable = false;
      } else if (reader) {
        const ctx: CheckContext = { facts, hasher, preference: guess.preference };
        // Cheap pre-test on the raw text: most records have no control token at all.
        if (!slice || this.mayHaveControl(slice.text)) ctx.control = this.control;
        if (reader.format === 'alpaca') checkAlpaca(rec, ctx);
        else if (reader.format === 'completion') checkCompletion(rec, reader.textField, ctx);
        else if (reader.shape) checkChat(rec, reader.shape, reader.format, ctx);
        // Extra columns (tools, media) make records with the same text different.
        if (hasher) for (const k of EXTRA_HASHED) if (rec[k] !== undefined) hasher.add(typeof rec[k] === 'string' ? (rec[k] as string) : JSON.stringify(rec[k]));
      }
    }
    if (slice) {
      const bad = slice.text.indexOf('\uFFFD');
      if (bad >= 0) {
        facts.findings.push({ code: 'dataset-invalid-utf8', severity: W, message: 'U+FFFD replacement character: the file is not valid UTF-8 here, or was decoded lossily before', path: [], target: 'record', data: { offset: bad } });
      }
    }
    let hasErrors = false;
    for (const f of facts.findings) if (f.severity === E) hasErrors = true;
    t.messages.push(facts.messages);
    t.chars.push(facts.chars);
    let normalized: NormalizedRecord | undefined;
    if (readable && this.reader && (this.options.measure || this.options.onRecord)) normalized = normalizeRecord(value, this.reader);
    if (normalized && !hasErrors && this.options.measure) this.measure(normalized, loc, facts);
    for (const f of facts.findings) if (f.severity === E) hasErrors = true;
    if (hasErrors) t.invalid++;
    if (facts.findings.length) this.report(facts.findings, slice, line);
    if (hasher && readable && !hasErrors) {
      const norm = hasher.normalized();
      const exact = hasher.exact();
      if (this.log) {
        this.log.normalized.push(norm);
        this.log.exact.push(exact);
        this.log.line.push(line);
        this.log.length.push(slice ? firstLineRange(slice).end.character : 0);
        this.log.index.push(index);
      } else {
        const dup = this.dups!.check(norm, exact, line);
        const at: Range = { start: { line, character: 0 }, end: { line, character: 0 } };
        if (dup) t.add(t.duplicate(dup, slice ? firstLineRange(slice) : at, index, slice ? sliceRange(slice, 0, slice.text.length) : at));
      }
    }
    this.options.onRecord?.(normalized, loc, hasErrors);
  }

  private measure(record: NormalizedRecord, loc: RecordLocation, facts: RecordFacts): void {
    const m = this.options.measure!(record, loc);
    if (!m) return;
    const t = this.tally;
    t.tokens.push(m.tokens);
    t.trainedTotal += m.trained;
    if (m.eosTrained !== undefined) {
      t.eosKnown = true;
      if (m.eosTrained) t.eosTrained++;
    }
    if (m.trained === 0) t.allMasked++;
    if (m.truncated) t.overLen++;
    for (const f of m.findings ?? []) {
      facts.findings.push({ code: f.code, severity: f.severity === 'error' ? E : f.severity === 'warning' ? W : I, message: f.message, path: [], target: 'record' });
    }
  }

  private report(findings: Finding[], slice: RecordSlice | undefined, line: number): void {
    let root: JsonNode | undefined;
    let scanned = false;
    for (const f of findings) {
      let range: Range;
      if (!slice) {
        range = { start: { line, character: 0 }, end: { line, character: 0 } };
      } else if (f.target === 'record' || f.path.length === 0) {
        if (f.code === 'dataset-invalid-utf8') {
          const o = (f.data as { offset: number }).offset;
          range = sliceRange(slice, o, o + 1);
        } else range = f.target === 'value' ? sliceRange(slice, 0, slice.text.length) : firstLineRange(slice);
      } else {
        if (!scanned) {
          root = scanJson(slice.text).root;
          scanned = true;
        }
        if (!root) range = firstLineRange(slice);
        else {
          const { node } = nodeAtPath(root, f.path);
          range = f.target === 'key' && node.keyStart !== undefined ? sliceRange(slice, node.keyStart, node.keyEnd!) : sliceRange(slice, node.start, node.end);
        }
      }
      this.tally.add(diagnostic(f.code, f.severity, range, f.message, f.data));
    }
  }
}

/**
 * Why the first record does not fit the config entry's reading (a message for
 * `dataset-type-mismatch`), or undefined when it fits or the record's own shape is unknown.
 */
function misfitOfEntry(rec: Record<string, unknown>, declared: DatasetFormat, entry: DatasetEntry, guess: RecordGuess): string | undefined {
  if (!guess.format || guess.format === declared) return undefined;
  const fits =
    declared === 'alpaca' ? 'instruction' in rec || 'output' in rec : declared === 'completion' ? typeof rec[entry.field ?? 'text'] === 'string' : (entry.field_messages ?? 'messages') in rec;
  if (fits) return undefined;
  return `the config reads this file with type: ${String(entry.type)}, but its records are ${FORMAT_NAMES[guess.format]} (${guess.reason}); checked as ${FORMAT_NAMES[guess.format]} below (fix the entry's type and mappings)`;
}

/**
 * What a record's raw JSON text says about the whitespace in its strings: two native searches
 * per record instead of several per field (see RawText).
 */
function rawTextOf(json: string): RawText {
  if (json.indexOf('\\') >= 0) return RawText.Unknown;
  return json.indexOf('  ') >= 0 ? RawText.NoEscapes : RawText.NoRuns;
}

/** Record columns besides the text that take part in duplicate detection. */
const EXTRA_HASHED = ['tools', 'images', 'videos', 'audios', 'chosen', 'rejected'];

/** Human names of the formats, for messages. */
export const FORMAT_NAMES: Record<DatasetFormat, string> = {
  alpaca: 'Alpaca',
  sharegpt: 'ShareGPT',
  openai: 'OpenAI chat',
  chat_template: 'chat messages with custom keys',
  completion: 'completion text',
};

/** Validates a whole text at once (tests, small documents). */
export function validateDatasetText(text: string, options: ValidatorOptions = {}): DatasetReport {
  const v = new DatasetValidator(options);
  v.push(text);
  return v.end();
}

/**
 * Validates a document in slices, yielding to the event loop between them so that a language
 * server keeps answering while a 1 GB file is checked. `isCancelled` stops early (the result then
 * covers what was read).
 */
export async function validateDatasetTextAsync(
  text: string,
  options: ValidatorOptions = {},
  control: { sliceChars?: number; isCancelled?: () => boolean; yield?: () => Promise<void> } = {},
): Promise<DatasetReport & { cancelled: boolean }> {
  const v = new DatasetValidator(options);
  const size = control.sliceChars ?? 1 << 20;
  const pause = control.yield ?? (() => new Promise<void>((r) => setTimeout(r, 0)));
  for (let at = 0; at < text.length; at += size) {
    if (control.isCancelled?.()) return { ...v.end(), cancelled: true };
    v.push(text.slice(at, at + size));
    await pause();
  }
  return { ...v.end(), cancelled: false };
}
