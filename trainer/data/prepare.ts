/**
 * From a config's `datasets:` to tokenised, masked examples: each local file is read with the
 * dataset core (common/dataset, the same reader `tunelab validate` uses) and each record rendered
 * and masked with the chat core (common/chat, the same code as the loss-mask view). Any error is
 * returned as a located problem before a single step runs.
 */
import type { Diagnostic } from 'vscode-languageserver-types';
import { buildAlpacaExample, buildCompletionExamples, buildExample, type AlpacaOptions, type ChatModel, type MaskOptions, type MaskedExample, type Outcome } from '../../common/chat/index';
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
}

export interface PreparedData {
  examples: Example[];
  datasets: PreparedDataset[];
  /** Records the dataset core reported as broken (never reached: broken data stops the run). */
  problems: DataProblem[];
}

type Raw = Record<string, unknown>;

const alpacaStyle = (type: string): AlpacaOptions => {
  const [base, variant] = type.split(':');
  const style = variant === 'chat' || variant === 'chatml' || variant === 'phi' ? variant : base === 'alpaca_chat' ? 'chat' : 'instruct';
  return { style, system: base === 'alpaca_w_system' ? 'record' : 'default' };
};

/** Axolotl's masking keys of one dataset entry, falling back to the top level of the config. */
function maskOptions(entry: Raw, cfg: Raw): MaskOptions {
  const pick = <T>(key: string): T | undefined => (entry[key] ?? cfg[key]) as T | undefined;
  const o: MaskOptions = {};
  const ct = pick<string>('chat_template');
  if (typeof ct === 'string') o.chatTemplate = ct;
  const jinja = pick<string>('chat_template_jinja');
  if (typeof jinja === 'string') o.chatTemplateJinja = jinja;
  const toi = pick<boolean>('train_on_inputs');
  if (typeof toi === 'boolean') o.trainOnInputs = toi;
  const roles = pick<string[]>('roles_to_train');
  if (Array.isArray(roles)) o.rolesToTrain = roles.map(String);
  const eos = pick<MaskOptions['trainOnEos']>('train_on_eos');
  if (typeof eos === 'string') o.trainOnEos = eos;
  const eot = pick<MaskOptions['trainOnEot']>('train_on_eot');
  if (typeof eot === 'string') o.trainOnEot = eot;
  const eotTokens = cfg.eot_tokens;
  if (Array.isArray(eotTokens)) o.eotTokens = eotTokens.map(String);
  const kwargs = cfg.chat_template_kwargs;
  if (kwargs && typeof kwargs === 'object' && !Array.isArray(kwargs)) o.chatTemplateKwargs = kwargs as Record<string, unknown>;
  if (entry.drop_system_message === true) o.dropSystemMessage = true;
  return o;
}

const toExample = (m: MaskedExample): Example => ({ ids: m.ids, trained: m.trained });

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
    const type = typeof entry.type === 'string' ? entry.type : typeof entry.type === 'object' ? 'alpaca' : 'chat_template';
    const base = type.split(/[:.]/)[0]!;
    const build = (rec: NormalizedRecord): Outcome<Example[]> => {
      if (rec.kind === 'completion') {
        const r = buildCompletionExamples(chat, rec.text, { sequenceLen });
        return r.ok ? { ok: true, value: r.value.map(toExample) } : r;
      }
      if (rec.kind === 'alpaca' && base.startsWith('alpaca')) {
        const options = { ...alpacaStyle(type), trainOnInputs: cfg.train_on_inputs === true };
        const r = buildAlpacaExample(chat, rec.alpaca, options);
        return r.ok ? { ok: true, value: [{ ...toExample(r.value), source: { kind: 'alpaca', record: rec.alpaca, options } }] } : r;
      }
      const options = maskOptions(entry, cfg);
      const r = buildExample(chat, rec.conversation, options);
      return r.ok ? { ok: true, value: [{ ...toExample(r.value), source: { kind: 'chat', conversation: rec.conversation, options } }] } : r;
    };
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
      const built = build(rec);
      if (!built.ok) {
        out.problems.push({ code: built.error.code, message: `record ${n.value.loc.index + 1}: ${built.error.message}`, path: built.error.path ?? where.path, range: { start: { line: n.value.loc.line, character: 0 }, end: { line: n.value.loc.line, character: 0 } } });
        if (out.problems.length >= 20) break;
        continue;
      }
      out.examples.push(...built.value);
      made += built.value.length;
    }
    out.datasets.push({ path: where.path, records, examples: made });
  }
  return out;
}
