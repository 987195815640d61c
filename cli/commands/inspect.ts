import { existsSync, readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { UsageError, type CliCommand, type CliIo } from '../command';
import { formatOption, numberOption, parse } from '../args';
import { parseConfig, resolveConfig } from '../../common/config/index';
import { findDatasetEntry, inspectDataset, type InspectOutput } from '../../common/dataset/inspect';
import { analyzeDatasetFile } from '../../common/dataset/quality/file';
import { formatQualityText } from '../../common/dataset/quality/format';
import { Severity } from '../../common/diagnostics';

const USAGE = `Usage: tunelab inspect DATASET [--config CONFIG] [--model DIR] [--record N] [--format text|json]
       tunelab inspect DATASET --quality [--threshold J] [--max-share X] [--min-share Y] [--config CONFIG] [--format text|json]

Dataset statistics and the loss-mask view of one record. DATASET is a .jsonl/.ndjson, .json or
.parquet file (Alpaca, ShareGPT, OpenAI chat, or chat messages read through a config's mappings).

  --config CONFIG  an Axolotl config: its datasets: entry for DATASET decides how records are read
                   (type, field_messages, message_property_mappings, roles), and train_on_inputs,
                   roles_to_train, train_on_eos, sequence_len and chat_template decide the mask.
                   A base_model (or tokenizer_config) that is a local folder is the model.
  --model DIR      a model folder with tokenizer.json (and tokenizer_config.json with its
                   chat_template): token statistics and the tokens of --record.
  --record N       render record N (1-based) with the model's chat template and show which
                   tokens are trained.
  --format F       text (default) or json:
                   {"format", "records", "stats": {...}, "record": {"text", "tokens": [{"id", "text", "trained"}]}}
                   (record only with --record; tokens need a model)
  --quality        the quality report instead (docs/dataset-quality.md): task-type mix, phrasing
                   diversity, length balance, languages, near-duplicates (MinHash + LSH, verified
                   by exact Jaccard), refusals, boilerplate, truncated answers, echoed prompts and
                   empty fields, with the line of each record; JSON: {"format", "records", "quality"}
  --threshold J    near-duplicate Jaccard threshold over 3-word shingles (default 0.8)
  --max-share X    a task type above this share is reported as dominant (default 0.5)
  --min-share Y    a task type present below this share is reported as rare (default 0.02)

Exit codes: 0 no errors in the dataset, 1 the dataset has errors, 2 usage or I/O error.`;

function fileArg(io: CliIo, p: string, what: string, dir = false): string {
  const abs = resolve(io.cwd, p);
  if (!existsSync(abs)) throw new UsageError(`no such ${what}: ${p}`);
  if (statSync(abs).isDirectory() !== dir) throw new UsageError(dir ? `${what} must be a folder: ${p}` : `${what} is a folder, not a file: ${p}`);
  return abs;
}

const ANSI = { trained: '\x1b[42;30m', off: '\x1b[0m' };

/** The human-readable report. Trained tokens are highlighted on a terminal and bracketed with ⟦ ⟧ otherwise. */
export function formatInspectText({ result: r, recordInfo: info }: InspectOutput, shown: string, tty: boolean): string {
  const s = r.stats;
  const lines = [`${shown}: ${r.records} record${r.records === 1 ? '' : 's'}, ${r.format ?? 'unknown format'}${s.formatReason ? ` (${s.formatReason})` : ''}`];
  lines.push(`  problems: ${s.errors} error${s.errors === 1 ? '' : 's'} in ${s.invalidRecords} record${s.invalidRecords === 1 ? '' : 's'}, ${s.warnings} warning${s.warnings === 1 ? '' : 's'}`);
  for (const [code, c] of Object.entries(s.byCode)) lines.push(`    ${c.severity.padEnd(7)} ${code}: ${c.count}`);
  if (Object.keys(s.roles).length) lines.push(`  roles: ${Object.entries(s.roles).map(([k, v]) => `${k} ${v}`).join(', ')}`);
  const dist = (name: string, d: { min: number; p50: number; mean: number; p95: number; max: number } | null) => {
    if (d) lines.push(`  ${name}: min ${d.min}, median ${d.p50}, mean ${d.mean}, p95 ${d.p95}, max ${d.max}`);
  };
  dist('messages per record', s.messagesPerRecord);
  dist('characters per record', s.charsPerRecord);
  if (s.duplicates.exact + s.duplicates.normalized > 0) lines.push(`  duplicates: ${s.duplicates.exact} exact, ${s.duplicates.normalized} differing only in whitespace`);
  if (s.tokens) {
    const t = s.tokens;
    dist('tokens per record', t);
    lines.push(`  tokens: ${t.total} in all, ${t.trained} trained (${t.total ? ((100 * t.trained) / t.total).toFixed(1) : '0'}%); ${t.allMasked} record${t.allMasked === 1 ? '' : 's'} with every label masked; EOS trained in ${t.eosTrained} of ${t.measured}`);
    if (t.sequenceLen !== undefined) lines.push(`  over sequence_len ${t.sequenceLen}: ${t.overSequenceLen}`);
  }
  if (r.record) {
    const rec = r.record;
    lines.push('', `record:${info?.template ? ` (template ${info.template})` : ''}${rec.tokens.length ? ` ${rec.tokens.length} tokens, ${rec.tokens.filter((t) => t.trained).length} trained${info?.truncated ? `, cut at sequence_len from ${info.fullLength}` : ''}` : ''}`);
    if (rec.tokens.length === 0) lines.push(rec.text);
    else {
      let out = '';
      let inTrained = false;
      for (const t of rec.tokens) {
        if (t.trained !== inTrained) {
          out += tty ? (t.trained ? ANSI.trained : ANSI.off) : t.trained ? '⟦' : '⟧';
          inTrained = t.trained;
        }
        out += t.text;
      }
      if (inTrained) out += tty ? ANSI.off : '⟧';
      lines.push(out);
      if (!tty) lines.push('', '(⟦ ⟧ mark the trained tokens)');
    }
  }
  return lines.join('\n') + '\n';
}

export const inspectCommand: CliCommand = {
  name: 'inspect',
  summary: 'Dataset statistics and the loss-mask view of one record',
  usage: USAGE,
  async run(args, io) {
    const { values, positionals } = parse(args, {
      config: { type: 'string' },
      model: { type: 'string' },
      record: { type: 'string' },
      format: { type: 'string' },
      quality: { type: 'boolean' },
      threshold: { type: 'string' },
      'max-share': { type: 'string' },
      'min-share': { type: 'string' },
    });
    const format = formatOption(values.format, ['text', 'json'] as const, 'text');
    if (positionals.length !== 1) throw new UsageError(`expected one DATASET, got ${positionals.length} (tunelab inspect --help)`);
    const path = fileArg(io, positionals[0]!, 'dataset');
    const record = numberOption('record', values.record, { integer: true, min: 1 });
    let config: Record<string, unknown> | undefined;
    let configPath: string | undefined;
    if (values.config !== undefined) {
      configPath = fileArg(io, values.config, 'config');
      const doc = parseConfig(readFileSync(configPath, 'utf8'));
      config = resolveConfig(doc) as Record<string, unknown>;
    }
    if (values.quality) {
      if (record !== undefined || values.model !== undefined) throw new UsageError('--quality takes no --record or --model');
      const share = (name: 'max-share' | 'min-share') => numberOption(name, values[name], { min: 0 });
      const threshold = numberOption('threshold', values.threshold, { min: 0 });
      if (threshold !== undefined && (threshold <= 0 || threshold > 1)) throw new UsageError(`--threshold must be in (0, 1], got '${values.threshold}'`);
      // Read by the config's entry when it lists the file, else by the records' own shape.
      const entry = config ? findDatasetEntry(config, configPath, path, io.cwd) : undefined;
      const maxShare = share('max-share');
      const minShare = share('min-share');
      const run = await analyzeDatasetFile(path, { ...(entry ? { entry } : {}), ...(threshold !== undefined ? { threshold } : {}), ...(maxShare !== undefined ? { maxShare } : {}), ...(minShare !== undefined ? { minShare } : {}) });
      const s = run.dataset.summary;
      if (format === 'json') io.out(JSON.stringify({ format: s.format, records: s.records, quality: run.report }) + '\n');
      else {
        // The first error is named here: an empty or binary file otherwise shows only an empty report.
        const first = run.dataset.diagnostics.find((d) => d.severity === Severity.Error);
        const named = first ? `line ${first.range.start.line + 1} ${String(first.code)}: ${first.message}` : 'see tunelab validate';
        const errors = !s.errors ? '' : s.errors === 1 ? ` (1 error: ${named})` : ` (${s.errors} errors; first: ${named}; tunelab validate lists them)`;
        io.out(formatQualityText(run.report, `${positionals[0]!}: ${s.records} record${s.records === 1 ? '' : 's'}, ${s.format ?? 'unknown format'}${errors}`));
      }
      return s.errors > 0 ? 1 : 0;
    }
    const modelDir = values.model !== undefined ? fileArg(io, values.model, 'model folder', true) : undefined;
    const outcome = await inspectDataset({
      path,
      cwd: io.cwd,
      ...(config ? { config, configPath } : {}),
      ...(modelDir ? { modelDir } : {}),
      ...(record !== undefined ? { record: record - 1 } : {}),
    });
    if (!outcome.ok) throw new UsageError(outcome.message);
    for (const n of outcome.notes) io.err(`tunelab inspect: note: ${n}\n`);
    const r = outcome.result;
    if (format === 'json') io.out(JSON.stringify(r) + '\n');
    else io.out(formatInspectText(outcome, positionals[0]!, io.isTty));
    return r.stats.errors > 0 ? 1 : 0;
  },
};
