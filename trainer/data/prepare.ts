/**
 * From a config's `datasets:` to tokenised, masked examples: each local file is read with the
 * dataset core (common/dataset, the same reader `tunelab validate` uses) and each record rendered
 * and masked with the chat core (common/chat, the same code as the loss-mask view). Any error is
 * returned as a located problem before a single step runs.
 */
import type { Diagnostic } from 'vscode-languageserver-types';
import { buildExamples, exampleOptionsFromConfig, type ChatModel, type ExampleOptions, type MaskedExample, type Outcome } from '../../common/chat/index';
import type { DatasetEntry, NormalizedRecord } from '../../common/dataset/index';
import { readDatasetRecords } from '../../common/dataset/file';
import { resolveLocalPath, type PathBases } from '../../common/paths';
import type { Example } from './batches';

/** A problem that stops the run before compute: the code and message of a diagnostic or chat error. */
export interface DataProblem {
  code: string;
  message: string;
  path?: string;
  range?: Diagnostic['range'];
}

export interface PreparedDataset {
  path: string;
  records: number;
  examples: number;
  /** `weight:` of the entry (data mixing, ./mix.ts), null when unset. */
  weight: number | null;
  /** `loss_weight:` of the entry, 1 when unset. */
  lossWeight: number;
}

export interface PreparedData {
  examples: Example[];
  datasets: PreparedDataset[];
  /** Records the dataset core reported as broken (never reached: broken data stops the run). */
  problems: DataProblem[];
}

type Raw = Record<string, unknown>;

/**
 * The builder options of one dataset entry: exactly what the loss-mask view uses
 * (`exampleOptionsFromConfig`, the same call as `tunelab inspect`), except where records are cut.
 * Chat and Alpaca examples are built whole so that `excess_length_strategy` (drop by default, as in
 * Axolotl) can see their full length; `fitToLength` then cuts them exactly as the view does
 * (the first `sequence_len` ids and labels). Completion text is split into `sequence_len` pieces
 * here, as the view splits it.
 */
export function trainerExampleOptions(cfg: Readonly<Raw>, entry: Readonly<Raw>, sequenceLen: number): ExampleOptions {
  const o = exampleOptionsFromConfig(cfg, entry);
  const mask = { ...o.mask };
  const alpaca = { ...o.alpaca };
  delete mask.sequenceLen;
  delete alpaca.sequenceLen;
  const out: ExampleOptions = { type: o.type, mask, alpaca };
  if (o.type.kind === 'completion') out.sequenceLen = sequenceLen;
  return out;
}

const toExample = (m: MaskedExample): Example => ({ ids: m.ids, trained: m.trained });
/** A number from the config (the config core has checked its range), or null. */
const finite = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v)) ? Number(v) : null);

/** The trainer's examples of one record: the chat core's `buildExamples`, plus the record kept for evaluation prompts. */
export function recordExamples(chat: ChatModel, rec: NormalizedRecord, options: ExampleOptions): Outcome<Example[]> {
  const r = buildExamples(chat, rec, options);
  if (!r.ok) return r;
  if (options.type.kind === 'alpaca' && rec.kind === 'alpaca') return { ok: true, value: r.value.map((m) => ({ ...toExample(m), source: { kind: 'alpaca', record: rec.alpaca, options: options.alpaca } })) };
  if (options.type.kind === 'chat_template' && rec.kind !== 'completion')
    return { ok: true, value: r.value.map((m) => ({ ...toExample(m), source: { kind: 'chat', conversation: rec.conversation, options: options.mask } })) };
  return { ok: true, value: r.value.map(toExample) };
}

/**
 * Reads every dataset entry of the config. `bases` locate relative paths (common/paths rule);
 * `sequenceLen` cuts completion texts into pieces as Axolotl does.
 */
export async function prepareExamples(cfg: Raw, chat: ChatModel, bases: PathBases, sequenceLen: number): Promise<PreparedData> {
  const entries = Array.isArray(cfg.datasets) ? (cfg.datasets as Raw[]) : [];
  const out: PreparedData = { examples: [], datasets: [], problems: [] };
  if (entries.length === 0) {
    out.problems.push({ code: 'trainer-no-datasets', message: 'the config has no datasets to train on' });
    return out;
  }
  for (const [i, entry] of entries.entries()) {
    const p = typeof entry.path === 'string' ? entry.path : '';
    const where = resolveLocalPath(p, bases);
    if (!p || !where.exists) {
      out.problems.push({
        code: 'trainer-dataset-not-local',
        message: `datasets[${i}].path ${JSON.stringify(p)} is not a local file (tried ${where.candidates.join(', ') || 'nothing'}); Tunelab trains from local files: download the dataset and point path at it`,
      });
      continue;
    }
    const options = trainerExampleOptions(cfg, entry, sequenceLen);
    if (options.type.kind === 'unsupported') {
      out.problems.push({
        code: 'trainer-dataset-type-unsupported',
        message: `datasets[${i}].type ${JSON.stringify(options.type.type)} is not one Tunelab can train on: use chat_template, alpaca (alpaca:chat, alpaca:chatml, alpaca:phi), alpaca_w_system, completion, or a user-defined type object`,
      });
      continue;
    }
    const it = readDatasetRecords(where.path, entry as DatasetEntry, { maxDiagnostics: 20 });
    let records = 0;
    let made = 0;
    for (;;) {
      const n = await it.next();
      if (n.done) {
        for (const d of n.value.diagnostics) {
          if (d.severity === 1) out.problems.push({ code: String(d.code ?? 'dataset-error'), message: d.message, path: where.path, range: d.range });
        }
        break;
      }
      records++;
      const rec = n.value.record;
      if (n.value.hasErrors || !rec) continue;
      const built = recordExamples(chat, rec, options);
      if (!built.ok) {
        out.problems.push({ code: built.error.code, message: `record ${n.value.loc.index + 1}: ${built.error.message}`, path: built.error.path ?? where.path, range: { start: { line: n.value.loc.line, character: 0 }, end: { line: n.value.loc.line, character: 0 } } });
        if (out.problems.length >= 20) break;
        continue;
      }
      for (const e of built.value) out.examples.push({ ...e, dataset: i });
      made += built.value.length;
    }
    out.datasets.push({ path: where.path, records, examples: made, weight: finite(entry.weight), lossWeight: finite(entry.loss_weight) ?? 1 });
  }
  return out;
}
