/**
 * Datasets in the language server. A dataset document is checked by the streaming validator of
 * common/dataset, fed slice by slice: about 8 ms of work, then the event loop is given back, so a
 * huge JSONL never blocks completion, hover or another document. A newer version (or closing the
 * document) stops a run at its next slice. Diagnostics are published early (after ~300 ms) and at
 * the end, capped by `tunelab.maxDiagnostics` with one summary for the rest; progress goes to the
 * client as `tunelab/datasetProgress`. Token counts and the hover's loss mask use the model of the
 * config that lists the file (or `tunelab.model`), through common/chat.
 */
import { statSync } from 'node:fs';
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { CancellationToken } from 'vscode-languageserver/node';
import type { CodeLens, Diagnostic, Hover, Position } from 'vscode-languageserver-types';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { ChatModelCache, tokenViews, type ChatModel } from '../common/chat/index';
import type { ConfigEnv } from '../common/config/types';
import { diagnostic, Severity, sortDiagnostics } from '../common/diagnostics';
import { checkDatasetAgainstEntry } from '../common/dataset/configHook';
import { QualityAnalyzer, type RecordFinding } from '../common/dataset/quality/analyzer';
import { findingDiagnostic } from '../common/dataset/quality/diagnostics';
import type { RecordFindingCode } from '../common/dataset/quality/types';
import { DatasetValidator, normalizeRecord, readerFor, type DatasetReport, type NormalizedRecord, type RecordLocation } from '../common/dataset/index';
import { LspCommands, LspNotifications, type DatasetProgress, type DatasetSummary, type LossMaskParams, type LossMaskResult } from '../common/protocol/lsp';
import { examplesOf, findLink, modelDirFor, type DatasetLink, type OpenConfig } from './datasetModel';
import { recordHoverMarkdown } from './recordView';
import { container, first, Lines, messagesLine } from './datasetRecords';
import type { Logger } from './safe';
import type { ServerSettings } from './settings';
import { uriToPath } from './uri';

export interface DatasetHost {
  log: Logger;
  /** `capped`: the list is already within tunelab.maxDiagnostics (with its own summary). */
  publish(uri: string, version: number, diagnostics: Diagnostic[], capped?: boolean): boolean;
  versionOf(uri: string): number | undefined;
  notify(method: string, params: unknown): void;
  settings(): ServerSettings;
  roots(): readonly string[];
  openConfigs(): OpenConfig[];
  /** Asks the client to re-request code lenses (the summary lens changes when a run ends). */
  refreshLenses?(): void;
}

/** Work per slice before the event loop is given back. */
const SLICE_MS = 8;
/** Characters fed to the validator at a time. */
const CHUNK = 64 * 1024;
/** Publish what has been found so far after this long, so a big file shows its first problems early. */
const EARLY_PUBLISH_MS = 300;
const PROGRESS_MS = 200;
/** Token counting (real tokenizer) stops after this much time or this many records per run: a sample. */
const MEASURE_BUDGET_MS = 3000;
const MEASURE_MAX_RECORDS = 20000;
/**
 * Quality findings shown in the editor (information / warning on the record's first line). Exact
 * duplicates and empty fields are the validator's own codes already (dataset-duplicate,
 * dataset-empty-content), so they are not repeated here.
 */
const QUALITY_CODES: RecordFindingCode[] = ['quality-near-duplicate', 'quality-refusal', 'quality-boilerplate', 'quality-truncated', 'quality-echo'];

interface Run {
  uri: string;
  version: number;
  validator: DatasetValidator;
  lines: Lines;
  checked: number;
  total: number;
  done: boolean;
  stopped: boolean;
  report: DatasetReport | null;
  link: DatasetLink | null;
  model: ChatModel | null;
  modelLabel: string;
  modelProblem: string;
  /** Diagnostics that are not the validator's (binary content). */
  extra: Diagnostic[];
  /** Token counting stopped at its budget: the token statistics are from a sample. */
  sampled: boolean;
}

const BINARY_PROBE = 64 * 1024;

export class DatasetFeatures {
  private readonly runs = new Map<string, Run>();
  private readonly models = new ChatModelCache(4);

  /**
   * False in a workspace the user has not trusted (VS Code's Workspace Trust): a model's chat
   * template is code we would run, so token counts, the hover's loss mask and `tunelab/lossMask`
   * are off; the structural checks still run.
   */
  trusted = true;

  constructor(private readonly host: DatasetHost) {}

  /** Findings of the config <-> dataset check, by file and entry, while the file is unchanged. */
  private readonly entryChecks = new Map<string, { stamp: string; findings: ReturnType<typeof checkDatasetAgainstEntry> }>();

  /**
   * The config core's hook for "does this file's content match `type:`": the dataset core reads a
   * bounded prefix of the file; the answer is kept until the file changes on disk, so typing in a
   * config re-reads nothing.
   */
  checkDatasetFileHook(): ConfigEnv['checkDatasetFile'] {
    return (absPath, entry) => {
      let stamp: string;
      try {
        const st = statSync(absPath);
        if (!st.isFile()) return [];
        stamp = `${st.size}:${st.mtimeMs}`;
      } catch {
        return [];
      }
      const key = `${absPath}\u0000${JSON.stringify(entry)}`;
      const hit = this.entryChecks.get(key);
      if (hit && hit.stamp === stamp) return hit.findings;
      const findings = checkDatasetAgainstEntry(absPath, entry);
      if (this.entryChecks.size > 256) this.entryChecks.clear();
      this.entryChecks.set(key, { stamp, findings });
      return findings;
    };
  }

  cancel(uri: string): void {
    const r = this.runs.get(uri);
    if (r) r.stopped = true;
  }

  forget(uri: string): void {
    this.cancel(uri);
    this.runs.delete(uri);
  }

  /** The config the current check of `uri` used, if any. */
  linkedConfig(uri: string): string | null {
    return this.runs.get(uri)?.link?.configUri ?? null;
  }

  /** Forgets the current run so that the next validation starts afresh (the config it uses changed). */
  restart(uri: string, schedule: () => void): void {
    const r = this.runs.get(uri);
    if (!r) return;
    r.stopped = true;
    this.runs.delete(uri);
    schedule();
  }

  /** New settings (model, cap): every dataset is checked again from the start. */
  settingsChanged(): void {
    for (const r of this.runs.values()) r.stopped = true;
    this.runs.clear();
    this.models.clear();
  }

  /** Starts (or restarts) the checks of the document's current version. */
  validate(doc: TextDocument): void {
    const old = this.runs.get(doc.uri);
    if (old && old.version === doc.version && !old.stopped) return;
    if (old) old.stopped = true;
    const path = uriToPath(doc.uri);
    const link = path ? findLink(path, this.host.openConfigs(), this.host.roots()) : null;
    const settings = this.host.settings();
    const run: Run = {
      uri: doc.uri,
      version: doc.version,
      lines: new Lines(),
      checked: 0,
      total: doc.getText().length,
      done: false,
      stopped: false,
      report: null,
      link,
      model: null,
      modelLabel: '',
      modelProblem: '',
      extra: [],
      sampled: false,
      validator: undefined as unknown as DatasetValidator,
    };
    this.runs.set(doc.uri, run);
    void this.execute(doc, run, container(doc), settings).catch((e) => {
      this.host.log.error(`tunelab: checking ${doc.uri} failed: ${(e as Error)?.stack ?? String(e)}`);
      run.done = true;
    });
  }

  private stale(run: Run): boolean {
    return run.stopped || this.host.versionOf(run.uri) !== run.version;
  }

  private async loadModel(run: Run, settings: ServerSettings): Promise<void> {
    if (!this.trusted) {
      run.modelProblem = "this workspace is not trusted, and counting tokens runs the model's chat template";
      return;
    }
    const { dir, tried } = modelDirFor(run.link, settings.model, this.host.roots());
    if (!dir) {
      run.modelProblem = tried.length
        ? `no local tokenizer for ${tried.join(' or ')}: download the model, or set tunelab.model to a model folder`
        : 'no model known: open the config that lists this file, or set tunelab.model to a model folder';
      return;
    }
    const m = await this.models.get(dir);
    if (m.ok) {
      run.model = m.value;
      run.modelLabel = dir;
    } else run.modelProblem = m.error.message;
  }

  private async execute(doc: TextDocument, run: Run, container: 'json' | 'jsonl', settings: ServerSettings): Promise<void> {
    const text = doc.getText();
    const nul = text.slice(0, BINARY_PROBE).indexOf('\u0000');
    if (nul >= 0) {
      run.extra.push(diagnostic('dataset-binary', Severity.Error, { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, 'This file holds binary data (a NUL byte near the start), not JSON Lines or JSON text: it cannot be checked as a dataset.'));
      // Only that one diagnostic: an empty validator gives the summary (0 records) and no findings.
      run.validator = new DatasetValidator({ container, maxDiagnostics: 0 });
      run.report = { ...run.validator.end(), diagnostics: [] };
      run.done = true;
      this.finish(run);
      return;
    }
    await this.loadModel(run, settings);
    if (this.stale(run)) return;
    const mask = run.model;
    let measureSpent = 0;
    let measured = 0;
    const measure = mask
      ? (record: NormalizedRecord) => {
          if (measureSpent > MEASURE_BUDGET_MS || measured >= MEASURE_MAX_RECORDS) {
            run.sampled = true;
            return undefined;
          }
          const t0 = performance.now();
          const r = examplesOf(mask, record, run.link);
          measureSpent += performance.now() - t0;
          measured++;
          if (!r.ok || r.value.length === 0) return undefined;
          // A long completion text is several examples; the record counts all of them.
          const ex = r.value;
          return { tokens: ex.reduce((n, e) => n + e.fullLength, 0), trained: ex.reduce((n, e) => n + e.trainedCount, 0), eosTrained: ex.some((e) => e.eosInTrainedSpan) };
        }
      : undefined;
    const seq = run.link && typeof run.link.config.sequence_len === 'number' ? run.link.config.sequence_len : undefined;
    const quality = new QualityAnalyzer({ maxDetails: settings.maxDiagnostics });
    run.validator = new DatasetValidator({
      container,
      maxDiagnostics: settings.maxDiagnostics,
      ...(run.link ? { entry: run.link.entry } : {}),
      ...(seq ? { sequenceLen: seq } : {}),
      ...(measure ? { measure } : {}),
      onRecord: (r: NormalizedRecord | undefined, loc: RecordLocation) => {
        run.lines.push(loc.line);
        quality.add(r, loc);
      },
    });
    const started = performance.now();
    let lastProgress = started;
    let publishedEarly = false;
    let sliceStart = performance.now();
    // A BOM is not part of the first record.
    let pos = text.charCodeAt(0) === 0xfeff ? 1 : 0;
    while (pos < text.length) {
      const end = Math.min(text.length, pos + CHUNK);
      run.validator.push(text.slice(pos, end));
      pos = end;
      run.checked = pos;
      const now = performance.now();
      if (now - sliceStart < SLICE_MS) continue;
      if (now - lastProgress > PROGRESS_MS) {
        lastProgress = now;
        this.progress(run, false);
      }
      if (!publishedEarly && now - started > EARLY_PUBLISH_MS) {
        publishedEarly = true;
        this.host.publish(run.uri, run.version, this.diagnosticsOf(run), true);
      }
      await nextTurn();
      if (this.stale(run)) return;
      sliceStart = performance.now();
    }
    run.report = run.validator.end();
    await this.qualityFindings(doc, run, quality, settings.maxDiagnostics - run.report.diagnostics.length);
    if (this.stale(run)) return;
    run.done = true;
    this.finish(run);
  }

  /**
   * Near-duplicates (verified on the records of this document), refusals, boilerplate, truncated
   * answers and echoed prompts as diagnostics on each record's first line, within the room the
   * validator's own diagnostics leave under tunelab.maxDiagnostics.
   */
  private async qualityFindings(doc: TextDocument, run: Run, quality: QualityAnalyzer, room: number): Promise<void> {
    if (room <= 0) return;
    let sliceStart = performance.now();
    for (const i of quality.neededIndexes()) {
      const rec = this.recordText(doc, run, i);
      quality.verify(i, rec ? this.normalised(run, rec.text) : undefined);
      if (performance.now() - sliceStart > SLICE_MS) {
        await nextTurn();
        if (this.stale(run)) return;
        sliceStart = performance.now();
      }
    }
    const findings: RecordFinding[] = quality.findings(QUALITY_CODES).slice(0, room);
    for (const f of findings) {
      const text = doc.getText({ start: { line: f.line, character: 0 }, end: { line: f.line + 1, character: 0 } });
      const end = text.endsWith('\r\n') ? text.length - 2 : text.endsWith('\n') ? text.length - 1 : text.length;
      run.extra.push(findingDiagnostic(f, { start: { line: f.line, character: 0 }, end: { line: f.line, character: end } }));
    }
  }

  private finish(run: Run): void {
    if (this.stale(run)) return;
    this.host.publish(run.uri, run.version, this.diagnosticsOf(run), true);
    this.progress(run, true);
    this.host.refreshLenses?.();
  }

  private progress(run: Run, done: boolean): void {
    const p: DatasetProgress = { uri: run.uri, version: run.version, checked: run.checked, total: run.total, records: run.validator?.tally.records ?? 0, done };
    this.host.notify(LspNotifications.datasetProgress, p);
  }

  /**
   * The validator's diagnostics: already capped at tunelab.maxDiagnostics, with its own summary of
   * the rest (`dataset-diagnostics-capped`) once the file is done.
   */
  private diagnosticsOf(run: Run): Diagnostic[] {
    const kept = run.report ? run.report.diagnostics : (run.validator?.tally.diagnostics ?? []);
    return sortDiagnostics([...run.extra, ...kept]);
  }

  private current(doc: TextDocument): Run | undefined {
    const r = this.runs.get(doc.uri);
    return r && r.version === doc.version ? r : undefined;
  }

  /** The file-level summary for `tunelab/datasetSummary` and the lens. */
  summary(doc: TextDocument): DatasetSummary | null {
    const run = this.current(doc);
    if (!run?.validator) return null;
    const s = run.report?.summary ?? run.validator.summary();
    const byCode = Object.entries(s.byCode)
      .map(([code, v]) => ({ code, severity: (v.severity === 'error' ? 1 : v.severity === 'warning' ? 2 : v.severity === 'info' ? 3 : 4) as 1 | 2 | 3 | 4, count: v.count }))
      .sort((a, b) => b.count - a.count || a.code.localeCompare(b.code));
    const t = s.tokens;
    return {
      uri: doc.uri,
      version: doc.version,
      format: s.format ?? 'unknown',
      formatReason: s.formatReason,
      records: s.records,
      errors: s.errors,
      warnings: s.warnings,
      byCode,
      tokens:
        t && run.model
          ? { model: run.modelLabel, records: t.measured, total: t.total, mean: t.mean, max: t.max, trained: t.trained, overSequenceLen: t.overSequenceLen, sampled: run.sampled }
          : null,
      configUri: run.link?.configUri ?? null,
      done: run.done,
    };
  }

  codeLenses(doc: TextDocument): CodeLens[] {
    const s = this.summary(doc);
    const range = { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };
    const n = (x: number) => x.toLocaleString('en-US');
    if (!s) return [{ range, command: { title: 'Checking dataset…', command: LspCommands.inspectDataset, arguments: [doc.uri] } }];
    const run = this.current(doc);
    const parts: string[] = [];
    const pct = run && run.total > 0 ? Math.floor((100 * run.checked) / run.total) : 100;
    parts.push(s.done ? `${n(s.records)} record${s.records === 1 ? '' : 's'}` : `checking ${pct} % · ${n(s.records)} records so far`);
    parts.push(s.format === 'unknown' ? 'format unknown' : s.format);
    const problems = [s.errors ? `${n(s.errors)} error${s.errors === 1 ? '' : 's'}` : '', s.warnings ? `${n(s.warnings)} warning${s.warnings === 1 ? '' : 's'}` : ''].filter(Boolean);
    if (problems.length) {
      const top = s.byCode.filter((c) => c.severity <= 2).slice(0, 3).map((c) => `${c.code.replace(/^dataset-/, '')} ×${n(c.count)}`);
      parts.push(`${problems.join(', ')} (${top.join(', ')})`);
    } else if (s.done) parts.push('no problems');
    if (s.tokens) parts.push(`${n(s.tokens.total)} tokens${s.tokens.sampled ? ` in ${n(s.tokens.records)} sampled` : ''} · mean ${n(Math.round(s.tokens.mean))} · max ${n(s.tokens.max)}`);
    else if (run?.modelProblem && s.done) parts.push('tokens: no model');
    return [{ range, command: { title: parts.join(' · '), command: LspCommands.inspectDataset, arguments: [doc.uri] } }];
  }

  /** The text and 0-based line of record `index`, when known. */
  private recordText(doc: TextDocument, run: Run, index: number): { text: string; line: number } | undefined {
    const line = run.lines.at(index);
    if (line === undefined) return undefined;
    if (container(doc) === 'jsonl') return { text: doc.getText({ start: { line, character: 0 }, end: { line: line + 1, character: 0 } }).trim(), line };
    const next = run.lines.at(index + 1);
    const start = doc.offsetAt({ line, character: 0 });
    const end = next !== undefined && next > line ? doc.offsetAt({ line: next, character: 0 }) : doc.getText().length;
    // JSON arrays: strip the array's brackets and the separating comma around one record.
    const text = doc.getText().slice(start, end).trim().replace(/^\[\s*/, '').replace(/\]\s*$/, '').trim().replace(/,$/, '').trim();
    return { text, line };
  }

  private normalised(run: Run, text: string): NormalizedRecord | undefined {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      return undefined;
    }
    const ff = run.validator.fileFormat;
    if (!ff) return undefined;
    return normalizeRecord(value, readerFor(ff.format, run.link?.entry, ff.guess));
  }

  async hover(doc: TextDocument, position: Position, token: CancellationToken, html: boolean): Promise<Hover | null> {
    const run = this.current(doc);
    if (!run?.validator) return null;
    let index = run.lines.indexAtLine(position.line);
    let rec = index >= 0 ? this.recordText(doc, run, index) : undefined;
    const next = index >= 0 ? run.lines.at(index + 1) : undefined;
    // Only on the record's own lines: the next record starts a new hover.
    const outside = !rec || (container(doc) === 'jsonl' && position.line !== rec.line) || (next !== undefined && position.line >= next);
    if (outside) {
      // A large JSON Lines file still being checked: the line is the record, its number not yet known.
      if (run.done || container(doc) !== 'jsonl' || !run.validator.fileFormat) return null;
      const text = doc.getText({ start: { line: position.line, character: 0 }, end: { line: position.line + 1, character: 0 } }).trim();
      if (!text) return null;
      rec = { text, line: position.line };
      index = -1;
    }
    const record = this.normalised(run, rec!.text);
    if (!record) return null;
    if (token.isCancellationRequested) return null;
    const title = index >= 0 ? `**Record ${index + 1}**` : `**Record on line ${position.line + 1}**`;
    if (!run.model) {
      return { contents: { kind: 'markdown', value: `${title}${messagesLine(record)}\n\nNo token counts or loss mask: ${run.modelProblem || 'no model known'}.` } };
    }
    const ex = first(examplesOf(run.model, record, run.link));
    if (!ex.ok) return { contents: { kind: 'markdown', value: `${title}${messagesLine(record)}\n\nCould not render it: ${ex.error.message}` } };
    return { contents: { kind: 'markdown', value: recordHoverMarkdown({ title, model: run.modelLabel, example: ex.value, html }) } };
  }

  async lossMask(doc: TextDocument, p: LossMaskParams, token: CancellationToken): Promise<LossMaskResult> {
    const run = this.current(doc);
    if (!run?.validator) return { ok: false, record: p.record, reason: 'the dataset has not been checked yet' };
    const rec = this.recordText(doc, run, p.record);
    if (!rec) return { ok: false, record: p.record, reason: run.done ? `no record ${p.record + 1}: the file has ${run.lines.length}` : `record ${p.record + 1} has not been read yet` };
    const record = this.normalised(run, rec.text);
    if (!record) return { ok: false, record: p.record, reason: `record ${p.record + 1} has errors (see the diagnostics)` };
    let model = run.model;
    let label = run.modelLabel;
    if (p.model && !this.trusted) return { ok: false, record: p.record, reason: run.modelProblem };
    if (p.model) {
      const { dir } = modelDirFor(null, p.model, this.host.roots());
      const m = dir ? await this.models.get(dir) : null;
      if (!m || !m.ok) return { ok: false, record: p.record, reason: m && !m.ok ? m.error.message : `no local tokenizer for ${p.model}` };
      model = m.value;
      label = dir!;
    }
    if (token.isCancellationRequested) return { ok: false, record: p.record, reason: 'cancelled' };
    if (!model) return { ok: false, record: p.record, reason: run.modelProblem || 'no model known' };
    const ex = first(examplesOf(model, record, run.link));
    if (!ex.ok) return { ok: false, record: p.record, reason: ex.error.message };
    const e = ex.value;
    return {
      ok: true,
      record: p.record,
      line: rec.line,
      model: label,
      text: e.text,
      tokens: tokenViews(e),
      trained: e.trainedCount,
      truncated: e.fullLength - e.ids.length,
    };
  }
}
