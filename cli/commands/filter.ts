import { closeSync, existsSync, openSync, readFileSync, readSync, realpathSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { UsageError, type CliCommand, type CliIo } from '../command';
import { formatOption, numberOption, parse } from '../args';
import { parseConfig, resolveConfig } from '../../common/config/index';
import { RecordSplitter } from '../../common/dataset/index';
import { readParquetRows, sniff, readPrefix } from '../../common/dataset/file';
import { findDatasetEntry } from '../../common/dataset/inspect';
import { writeFileAtomic } from '../../common/fsAtomic';
import { analyzeDatasetFile, type QualityRun } from '../../common/dataset/quality/file';
import type { RecordFinding } from '../../common/dataset/quality/analyzer';
import type { RecordFindingCode } from '../../common/dataset/quality/types';

/** What `--drop` accepts, and the finding code behind each (invalid: the validator's errors). */
const DROPS = {
  duplicates: 'dataset-duplicate',
  'near-duplicates': 'quality-near-duplicate',
  empty: 'quality-empty-field',
  refusals: 'quality-refusal',
  boilerplate: 'quality-boilerplate',
  truncated: 'quality-truncated',
  echoes: 'quality-echo',
  invalid: null,
} as const satisfies Record<string, RecordFindingCode | null>;
type Drop = keyof typeof DROPS;
const DROP_NAMES = Object.keys(DROPS) as Drop[];

const USAGE = `Usage: tunelab filter DATASET --drop KINDS --out FILE [--threshold J] [--report FILE] [--config CONFIG] [--force] [--format text|json]

Writes a cleaned copy of DATASET without the records of the kinds named, and says what was dropped
and why, by record line. The first record of each duplicate or near-duplicate cluster is kept.
DATASET is never changed: FILE must be another file; it is written to a temporary name and
renamed into place. JSON Lines records are copied byte for byte (a line too large to read is
copied as it is); records of a JSON array are written as an array (FILE ending in .json) or one
per line; Parquet rows are written as JSON Lines.

  --drop KINDS     comma-separated, or all: ${DROP_NAMES.join(', ')}
                   (docs/dataset-quality.md says what each matches)
  --out FILE       the cleaned dataset (refused when it exists, unless --force; never DATASET)
  --threshold J    near-duplicate Jaccard threshold over 3-word shingles (default 0.8)
  --report FILE    also write the report as JSON: every dropped record with its line, reasons and
                   details ({"input", "output", "records", "kept", "dropped", "byReason", "droppedRecords"})
  --config CONFIG  read DATASET through the config's datasets: entry for it (type, mappings)
  --format F       text (default): a readable summary on stdout; json: the report on stdout

Exit codes: 0 written, 1 nothing left to write (every record dropped; nothing written), 2 usage or I/O error.`;

/** One dropped record in the report; `record` and `line` are 1-based, as editors show them. */
interface Dropped {
  record: number;
  line: number;
  reasons: Drop[];
  details: string[];
  /** The earlier record it duplicates (the one kept). */
  of?: { record: number; line: number };
}

function parseDrops(value: string | undefined): Drop[] {
  if (!value) throw new UsageError(`--drop KINDS is required: ${DROP_NAMES.join(', ')} (or all)`);
  const kinds = value.split(',').map((s) => s.trim()).filter(Boolean);
  if (kinds.includes('all')) return [...DROP_NAMES];
  for (const k of kinds) if (!(k in DROPS)) throw new UsageError(`--drop: unknown kind '${k}'; expected ${DROP_NAMES.join(', ')} or all`);
  return [...new Set(kinds as Drop[])];
}

/** True when the two paths are the same file (same path, a link to it, or a hard link). */
function sameFile(a: string, b: string): boolean {
  if (resolve(a) === resolve(b)) return true;
  if (!existsSync(b)) return false;
  if (realpathSync(a) === realpathSync(b)) return true;
  const sa = statSync(a);
  const sb = statSync(b);
  return sa.ino === sb.ino && sa.dev === sb.dev;
}

/** A temporary name beside `path` (same folder: the rename is atomic). */
const tempFor = (path: string) => join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);

/** Buffered writes to a file descriptor. */
class Out {
  private parts: (string | Buffer)[] = [];
  private size = 0;
  constructor(private readonly fd: number) {}
  write(s: string | Buffer): void {
    this.parts.push(s);
    this.size += s.length;
    if (this.size > 1 << 20) this.flush();
  }
  flush(): void {
    for (const p of this.parts) {
      if (typeof p === 'string') writeSync(this.fd, p);
      else writeSync(this.fd, p);
    }
    this.parts = [];
    this.size = 0;
  }
}

/**
 * Copies the lines of the kept records byte for byte (JSON Lines). `keepLine`: 1 keep, 2 drop,
 * 0 not a record the analysis saw: blank lines are left out, any other (a record too large to
 * read) is copied as it is, so nothing is lost silently.
 */
function copyLines(input: string, out: Out, keepLine: Uint8Array, bom: boolean): void {
  const keep = (line: Buffer) => {
    for (const b of line) if (b !== 32 && b !== 9 && b !== 10 && b !== 13) return true;
    return false;
  };
  const fd = openSync(input, 'r');
  try {
    const buf = Buffer.allocUnsafe(4 << 20);
    let carry: Buffer = Buffer.alloc(0);
    let line = 0;
    let pos = 0;
    if (bom) out.write(Buffer.from([0xef, 0xbb, 0xbf]));
    let first = true;
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, pos);
      pos += n;
      let chunk = n === 0 ? carry : carry.length ? Buffer.concat([carry, buf.subarray(0, n)]) : buf.subarray(0, n);
      if (first && bom) chunk = chunk.subarray(3);
      first = false;
      let start = 0;
      for (let nl = chunk.indexOf(10, start); nl >= 0; nl = chunk.indexOf(10, start)) {
        const k = keepLine[line] ?? 0;
        if (k === 1 || (k === 0 && keep(chunk.subarray(start, nl + 1)))) out.write(Buffer.from(chunk.subarray(start, nl + 1)));
        line++;
        start = nl + 1;
      }
      if (n === 0) {
        // The last line, without a line break.
        const k = keepLine[line] ?? 0;
        if (start < chunk.length && (k === 1 || (k === 0 && keep(chunk.subarray(start))))) out.write(Buffer.from(chunk.subarray(start)));
        return;
      }
      carry = Buffer.from(chunk.subarray(start));
    }
  } finally {
    closeSync(fd);
  }
}

/** Writes the kept records of a JSON file (array or concatenated objects), in order. */
function copyJsonRecords(input: string, out: Out, keep: (index: number) => boolean, asArray: boolean): number {
  let index = 0;
  let written = 0;
  const emit = (text: string) => {
    if (asArray) out.write(`${written ? ',' : ''}\n${text}`);
    else out.write(`${JSON.stringify(JSON.parse(text))}\n`);
    written++;
  };
  const splitter = new RecordSplitter(
    {
      record: (s) => {
        if (keep(index++)) emit(s.text);
      },
      issue: (i) => {
        // A record too large to hold counts as a record (as in the validator); it is never written.
        if (i.code === 'dataset-record-too-large') index++;
      },
    },
    'auto',
  );
  const fd = openSync(input, 'r');
  const decoder = new StringDecoder('utf8');
  try {
    const buf = Buffer.allocUnsafe(4 << 20);
    let pos = 0;
    if (asArray) out.write('[');
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, pos);
      if (n === 0) break;
      let text = decoder.write(buf.subarray(0, n));
      if (pos === 0 && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      pos += n;
      splitter.push(text);
    }
    splitter.push(decoder.end());
    splitter.end();
    if (asArray) out.write(written ? '\n]\n' : ']\n');
  } finally {
    closeSync(fd);
  }
  return written;
}

/** The dropped records, each once with every reason, in file order. */
function droppedRecords(run: QualityRun, drops: Drop[]): Dropped[] {
  const byIndex = new Map<number, Dropped>();
  const add = (index: number, line: number, reason: Drop, detail: string, of?: { index: number; line: number }) => {
    let d = byIndex.get(index);
    if (!d) byIndex.set(index, (d = { record: index + 1, line: line + 1, reasons: [], details: [] }));
    if (!d.reasons.includes(reason)) d.reasons.push(reason);
    d.details.push(detail);
    if (of && !d.of) d.of = { record: of.index + 1, line: of.line + 1 };
  };
  const codes = drops.map((d) => DROPS[d]).filter((c): c is RecordFindingCode => c !== null);
  const reasonOf = new Map(drops.map((d) => [DROPS[d], d] as const));
  for (const f of run.analyzer.findings(codes) as RecordFinding[]) {
    add(f.index, f.line, reasonOf.get(f.code)!, f.message, f.data ? { index: f.data.index, line: f.data.firstLine } : undefined);
  }
  if (drops.includes('invalid')) {
    const firstError = new Map<number, string>();
    for (const d of run.dataset.diagnostics) if (d.severity === 1 && !firstError.has(d.range.start.line)) firstError.set(d.range.start.line, `${String(d.code)}: ${d.message}`);
    const inv = run.invalid.toArray();
    for (const index of inv) {
      const line = run.analyzer.lineOf(index);
      add(index, line, 'invalid', firstError.get(line) ?? 'the record has errors (see tunelab validate)');
    }
  }
  return [...byIndex.values()].sort((a, b) => a.record - b.record);
}

function summaryText(report: FilterReport, shown: string, out: string, examples = 10): string {
  const lines = [`${shown}: ${report.records} record${report.records === 1 ? '' : 's'}; kept ${report.kept}, dropped ${report.dropped} -> ${out}`];
  for (const [reason, n] of Object.entries(report.byReason)) lines.push(`  ${reason}: ${n}`);
  const list = report.droppedRecords;
  for (const d of list.slice(0, examples)) lines.push(`    line ${d.line}: ${d.reasons.join(', ')}: ${d.details[0]}`);
  if (list.length > examples) lines.push(`    ... ${list.length - examples} more${report.reportPath ? ` (all in ${report.reportPath})` : ' (--report FILE lists them all)'}`);
  return lines.join('\n') + '\n';
}

/** The JSON report (`--report`, `--format json`). */
interface FilterReport {
  input: string;
  output: string;
  reportPath: string | null;
  drop: Drop[];
  threshold: number;
  records: number;
  kept: number;
  dropped: number;
  byReason: Partial<Record<Drop, number>>;
  droppedRecords: Dropped[];
}

function fileArg(io: CliIo, p: string, what: string): string {
  const abs = resolve(io.cwd, p);
  if (!existsSync(abs)) throw new UsageError(`no such ${what}: ${p}`);
  if (statSync(abs).isDirectory()) throw new UsageError(`${what} is a folder, not a file: ${p}`);
  return abs;
}

function outArg(io: CliIo, p: string, input: string, force: boolean, flag: string): string {
  const abs = resolve(io.cwd, p);
  if (sameFile(input, abs)) throw new UsageError(`${flag} is the input file: the dataset is never filtered in place; write to a new file`);
  if (!existsSync(dirname(abs))) throw new UsageError(`no such folder: ${dirname(p)}`);
  if (existsSync(abs) && statSync(abs).isDirectory()) throw new UsageError(`${flag} is a folder: ${p}`);
  if (existsSync(abs) && !force) throw new UsageError(`${p} exists (pass --force to replace it)`);
  return abs;
}

export const filterCommand: CliCommand = {
  name: 'filter',
  summary: 'Write a cleaned dataset without duplicates, near-duplicates, refusals, truncated answers, ...',
  usage: USAGE,
  async run(args, io) {
    const { values, positionals } = parse(args, {
      drop: { type: 'string' },
      out: { type: 'string' },
      threshold: { type: 'string' },
      report: { type: 'string' },
      config: { type: 'string' },
      force: { type: 'boolean' },
      format: { type: 'string' },
    });
    const format = formatOption(values.format, ['text', 'json'] as const, 'text');
    if (positionals.length !== 1) throw new UsageError(`expected one DATASET, got ${positionals.length} (tunelab filter --help)`);
    const drops = parseDrops(values.drop);
    if (!values.out) throw new UsageError('--out FILE is required (the dataset is never filtered in place)');
    const input = fileArg(io, positionals[0]!, 'dataset');
    const force = values.force === true;
    const output = outArg(io, values.out, input, force, '--out');
    const reportPath = values.report !== undefined ? outArg(io, values.report, input, force, '--report') : undefined;
    if (reportPath && reportPath === output) throw new UsageError('--report and --out are the same file');
    const threshold = numberOption('threshold', values.threshold, { min: 0 }) ?? 0.8;
    if (threshold <= 0 || threshold > 1) throw new UsageError(`--threshold must be in (0, 1], got '${values.threshold}'`);
    let entry;
    if (values.config !== undefined) {
      const configPath = fileArg(io, values.config, 'config');
      const config = resolveConfig(parseConfig(readFileSync(configPath, 'utf8'))) as Record<string, unknown>;
      entry = findDatasetEntry(config, configPath, input, io.cwd);
      if (!entry) io.err(`tunelab filter: note: the config has no dataset entry whose path is ${positionals[0]}; reading the file by its content\n`);
    }

    const run = await analyzeDatasetFile(input, { threshold, nearDuplicates: drops.includes('near-duplicates'), ...(entry ? { entry } : {}) });
    const summary = run.dataset.summary;
    if (summary.records === 0) {
      const d = run.dataset.diagnostics[0];
      throw new UsageError(`cannot read ${positionals[0]}${d ? `: line ${d.range.start.line + 1}: ${d.message}` : ': no records'}`);
    }
    const dropped = droppedRecords(run, drops);
    // Records the analysis saw; the validator also counts records too large to read (copied as they are).
    const total = run.analyzer.recordCount;
    const records = Math.max(total, summary.records);
    const droppedSet = new Uint8Array(total);
    for (const d of dropped) droppedSet[d.record - 1] = 1;
    const byReason: Partial<Record<Drop, number>> = {};
    for (const k of drops) byReason[k] = 0;
    for (const d of dropped) for (const r of d.reasons) byReason[r] = (byReason[r] ?? 0) + 1;
    const report: FilterReport = {
      input: positionals[0]!,
      output: values.out,
      reportPath: values.report ?? null,
      drop: drops,
      threshold,
      records,
      kept: records - dropped.length,
      dropped: dropped.length,
      byReason,
      droppedRecords: dropped,
    };
    if (report.kept === 0) {
      io.err(`tunelab filter: nothing written: all ${records} record${records === 1 ? '' : 's'} would be dropped\n`);
      if (format === 'json') io.out(JSON.stringify(report) + '\n');
      return 1;
    }

    const s = sniff(input, readPrefix(input));
    const tmp = tempFor(output);
    const fd = openSync(tmp, 'w');
    const out = new Out(fd);
    try {
      if (s.kind === 'parquet') {
        await readParquetRows(input, (value, i) => {
          if (!droppedSet[i]) out.write(`${JSON.stringify(value)}\n`);
        });
      } else if (s.kind === 'text' && s.container === 'json') {
        copyJsonRecords(input, out, (i) => i < total && !droppedSet[i], extname(output).toLowerCase() === '.json');
      } else {
        // JSON Lines (and plain text): one record per line, copied byte for byte.
        let lines = 0;
        for (let i = 0; i < total; i++) lines = Math.max(lines, run.analyzer.lineOf(i) + 1);
        const keepLine = new Uint8Array(lines + 1);
        for (let i = 0; i < total; i++) {
          const line = run.analyzer.lineOf(i);
          if (line >= 0) keepLine[line] = droppedSet[i] ? 2 : 1;
        }
        copyLines(input, out, keepLine, s.kind === 'text' && s.bom);
      }
      out.flush();
      closeSync(fd);
    } catch (e) {
      closeSync(fd);
      rmSync(tmp, { force: true });
      throw e;
    }
    renameSync(tmp, output);
    if (reportPath) writeFileAtomic(reportPath, JSON.stringify(report, null, 2) + '\n');
    if (format === 'json') io.out(JSON.stringify(report) + '\n');
    else io.out(summaryText(report, positionals[0]!, values.out));
    return 0;
  },
};
