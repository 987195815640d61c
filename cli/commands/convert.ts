import { closeSync, existsSync, openSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { UsageError, type CliCommand } from '../command';
import { parse } from '../args';
import { CONVERT_TARGETS, convertRecord, type ConvertTarget } from '../../common/dataset/index';
import { readDatasetRecords } from '../../common/dataset/file';
import { FORMAT_NAMES } from '../../common/dataset/validator';

const USAGE = `Usage: tunelab convert INPUT --to alpaca|sharegpt|openai --out OUTPUT [--allow-lossy] [--skip-invalid] [--force]

Converts a dataset between Alpaca, ShareGPT and OpenAI chat. INPUT may be JSONL, JSON or Parquet in
any format Tunelab reads; OUTPUT is written as JSONL (or a JSON array when it ends in .json) to a
temporary file that is renamed into place at the end. INPUT is never changed.

  --to FORMAT       alpaca, sharegpt or openai
  --out OUTPUT      the new file (refused when it exists, unless --force; never INPUT itself)
  --allow-lossy     write even when something cannot be carried over (per-message weights into
                    ShareGPT, multi-turn or tool conversations into Alpaca, ...); without it the
                    conversion stops and says what would be lost, in how many records
  --skip-invalid    leave out records with errors (see tunelab validate) instead of stopping

Exit codes: 0 written, 1 refused (lossy or invalid records; nothing written), 2 usage or I/O error.`;

/** Buffered writes to a file descriptor (records are small; the output is streamed). */
class Out {
  private parts: string[] = [];
  private size = 0;
  constructor(private readonly fd: number) {}
  write(s: string): void {
    this.parts.push(s);
    this.size += s.length;
    if (this.size > 1 << 20) this.flush();
  }
  flush(): void {
    if (this.parts.length) writeSync(this.fd, this.parts.join(''));
    this.parts = [];
    this.size = 0;
  }
}

export const convertCommand: CliCommand = {
  name: 'convert',
  summary: 'Convert a dataset between Alpaca, ShareGPT and OpenAI chat',
  usage: USAGE,
  async run(args, io) {
    const { values, positionals } = parse(args, {
      to: { type: 'string' },
      out: { type: 'string' },
      'allow-lossy': { type: 'boolean' },
      'skip-invalid': { type: 'boolean' },
      force: { type: 'boolean' },
    });
    if (positionals.length !== 1) throw new UsageError(`expected one INPUT, got ${positionals.length} (tunelab convert --help)`);
    const to = values.to as ConvertTarget | undefined;
    if (!to || !CONVERT_TARGETS.includes(to)) throw new UsageError(`--to must be one of ${CONVERT_TARGETS.join(', ')}${to ? `, got '${to}'` : ''}`);
    if (!values.out) throw new UsageError('--out OUTPUT is required (the input is never changed in place)');
    const input = resolve(io.cwd, positionals[0]!);
    const output = resolve(io.cwd, values.out);
    if (!existsSync(input)) throw new UsageError(`no such file: ${positionals[0]}`);
    if (statSync(input).isDirectory()) throw new UsageError(`INPUT is a folder, not a file: ${positionals[0]}`);
    if (output === input) throw new UsageError('--out is the input file: write the conversion to a new file');
    if (existsSync(output) && !values.force) throw new UsageError(`${values.out} exists (pass --force to replace it)`);
    if (!existsSync(dirname(output))) throw new UsageError(`no such folder: ${dirname(values.out)}`);
    const asArray = extname(output).toLowerCase() === '.json';
    const allowLossy = values['allow-lossy'] === true;
    const skipInvalid = values['skip-invalid'] === true;

    const tmp = join(dirname(output), `.${basename(output)}.${process.pid}.tmp`);
    const fd = openSync(tmp, 'w');
    const out = new Out(fd);
    let written = 0;
    let skipped = 0;
    let dropped = 0;
    let invalid = 0;
    let firstInvalid: number | undefined;
    const losses = new Map<string, { message: string; count: number; firstLine: number }>();
    let refused = false;
    let format: string | null = null;
    try {
      if (asArray) out.write('[');
      const it = readDatasetRecords(input, undefined, { duplicates: false, maxDiagnostics: 20 });
      let n = await it.next();
      while (!n.done) {
        const { record, loc, hasErrors } = n.value;
        n = await it.next();
        if (hasErrors || !record) {
          invalid++;
          firstInvalid ??= loc.line;
          if (!skipInvalid) refused = true;
          skipped++;
          continue;
        }
        const c = convertRecord(record, to);
        for (const l of c.losses) {
          const e = losses.get(l.kind);
          if (e) e.count++;
          else losses.set(l.kind, { message: l.message, count: 1, firstLine: loc.line });
        }
        if (!c.value) {
          // A record the target cannot hold at all: dropped with --allow-lossy, else a refusal.
          if (allowLossy) dropped++;
          else refused = true;
          continue;
        }
        if (c.losses.length > 0 && !allowLossy) {
          refused = true;
          continue;
        }
        // Once refused, keep reading to report every loss, but write nothing more.
        if (refused) continue;
        out.write(asArray ? `${written ? ',' : ''}\n${JSON.stringify(c.value)}` : `${JSON.stringify(c.value)}\n`);
        written++;
      }
      format = n.value.summary.format;
      if (n.value.summary.records === 0 || (format === null && written === 0)) {
        const d = n.value.diagnostics[0];
        throw new UsageError(`cannot read ${positionals[0]}${d ? `: line ${d.range.start.line + 1}: ${d.message}` : ': no records'}`);
      }
      if (asArray) out.write(written ? '\n]\n' : ']\n');
      out.flush();
    } catch (e) {
      closeSync(fd);
      rmSync(tmp, { force: true });
      throw e;
    }
    closeSync(fd);
    const from = format ? FORMAT_NAMES[format as keyof typeof FORMAT_NAMES] : 'the input';
    if (refused) {
      rmSync(tmp, { force: true });
      const lines = [`tunelab convert: refused, nothing written: converting ${from} to ${to} would`];
      if (invalid && !skipInvalid) lines.push(`  - stop at ${invalid} record${invalid === 1 ? '' : 's'} with errors (first at line ${firstInvalid! + 1}; run tunelab validate, or pass --skip-invalid)`);
      for (const [kind, l] of losses) {
        if (allowLossy) continue;
        lines.push(`  - lose ${l.message} in ${l.count} record${l.count === 1 ? '' : 's'} (first at line ${l.firstLine + 1}) [${kind}]`);
      }
      if (!allowLossy && losses.size) lines.push('Pass --allow-lossy to convert anyway.');
      io.err(lines.join('\n') + '\n');
      return 1;
    }
    if (written === 0) {
      rmSync(tmp, { force: true });
      io.err(`tunelab convert: nothing written: none of the ${skipped + dropped} record${skipped + dropped === 1 ? '' : 's'} could be converted (${skipped} with errors, ${dropped} the format cannot hold)\n`);
      return 1;
    }
    renameSync(tmp, output);
    const lossNote = losses.size ? ` (lossy: ${[...losses].map(([k, l]) => `${k} in ${l.count}`).join(', ')})` : '';
    io.err(`tunelab convert: wrote ${written} record${written === 1 ? '' : 's'} as ${to} to ${values.out}${skipped ? `, skipped ${skipped} invalid` : ''}${dropped ? `, dropped ${dropped} the format cannot hold` : ''}${lossNote}\n`);
    return 0;
  },
};
