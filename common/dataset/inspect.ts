/**
 * `tunelab inspect` and the dataset inspector: a dataset's summary (format, record count, errors
 * by kind, roles, lengths, token statistics with the real tokenizer) and the loss-mask view of one
 * record, read the way the config says when a config points at the file. Node only (reads files).
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, extname, resolve } from 'node:path';
import { decode, loadChatModel, exampleOptionsFromConfig, type ChatModel, type ExampleOptions } from '../chat/index';
import { DEFAULT_CONTROL_TOKENS } from './checks';
import { resolveLocalPath } from '../paths';
import { parseConfig, resolveConfig } from '../config/index';
import { sampleRecords } from './configHook';
import { readRecordAt, validateDatasetFile } from './file';
import { guessRecord } from './shapes';
import { measureWith, recordView, type RecordView } from './tokens';
import type { DatasetEntry, DatasetFormat, NormalizedRecord } from './types';
import type { DatasetSummary } from './validator';

/** The `datasets:` / `test_datasets:` entry of a config whose local path is `datasetPath`. */
export function findDatasetEntry(config: Readonly<Record<string, unknown>>, configPath: string | undefined, datasetPath: string, cwd?: string): DatasetEntry | undefined {
  const target = resolve(datasetPath);
  const bases = { configDir: configPath ? dirname(configPath) : undefined, cwd };
  for (const list of ['datasets', 'test_datasets']) {
    const entries = config[list];
    if (!Array.isArray(entries)) continue;
    for (const e of entries) {
      if (!e || typeof e !== 'object' || typeof (e as DatasetEntry).path !== 'string') continue;
      const r = resolveLocalPath((e as DatasetEntry).path!, bases);
      if (r.candidates.some((c) => resolve(c) === target)) return e as DatasetEntry;
      // A folder entry (data_files inside it) also matches the files it holds.
      if (r.exists && statSync(r.path).isDirectory() && target.startsWith(resolve(r.path) + '/')) return e as DatasetEntry;
    }
  }
  return undefined;
}

/** The local tokenizer folder a config names (`tokenizer_config`, else `base_model`), when it exists. */
export function modelDirFromConfig(config: Readonly<Record<string, unknown>>, configPath: string | undefined, cwd?: string): string | undefined {
  const bases = { configDir: configPath ? dirname(configPath) : undefined, cwd };
  for (const key of ['tokenizer_config', 'base_model']) {
    const v = config[key];
    if (typeof v !== 'string' || v.trim() === '') continue;
    const r = resolveLocalPath(v, bases);
    if (r.exists && statSync(r.path).isDirectory() && existsSync(resolve(r.path, 'tokenizer.json'))) return r.path;
  }
  return undefined;
}

/** The entry to read a file with when no config entry points at it: its type from its content. */
export function entryFromContent(path: string): DatasetEntry | undefined {
  if (extname(path).toLowerCase() === '.txt') return { type: 'completion' };
  let first: Record<string, unknown> | undefined;
  try {
    first = sampleRecords(path, 256 * 1024, 1)[0];
  } catch {
    return undefined;
  }
  if (!first) return undefined;
  const g = guessRecord(first);
  const byFormat: Partial<Record<DatasetFormat, DatasetEntry>> = {
    alpaca: { type: 'alpaca' },
    completion: { type: 'completion' },
    openai: { type: 'chat_template', field_messages: 'messages' },
    sharegpt: { type: 'chat_template', field_messages: 'conversations', message_property_mappings: { role: 'from', content: 'value' }, roles: { user: ['human', 'user'], assistant: ['gpt', 'assistant', 'function_call'], system: ['system'], tool: ['observation', 'tool'] } },
    chat_template: { type: 'chat_template', field_messages: g.field ?? 'messages', message_property_mappings: { role: g.roleKey ?? 'role', content: g.contentKey ?? 'content' } },
  };
  return g.format ? byFormat[g.format] : undefined;
}

export interface InspectRequest {
  path: string;
  /** The parsed config (resolveConfig's plain object) and its path, when given. */
  config?: Readonly<Record<string, unknown>>;
  configPath?: string;
  cwd?: string;
  /** A tokenizer folder; else the config's local base_model / tokenizer_config. */
  modelDir?: string;
  /** 0-based record to render. */
  record?: number;
}

/** What `tunelab inspect --format json` prints. */
export interface InspectResult {
  format: DatasetFormat | null;
  records: number;
  stats: Omit<DatasetSummary, 'format' | 'records'>;
  record?: { text: string; tokens: RecordView['tokens'] };
}

/** The JSON of the CLI contract, and what the text report adds about the record. */
export interface InspectOutput {
  result: InspectResult;
  /** Template, truncation and counts of the rendered record (not part of the JSON contract). */
  recordInfo?: Omit<RecordView, 'text' | 'tokens'>;
}

export type InspectOutcome = ({ ok: true; notes: string[] } & InspectOutput) | { ok: false; message: string };

/** Plain text of a record without a model: one `role: content` block per message. */
export function plainText(r: NormalizedRecord): string {
  if (r.kind === 'completion') return r.text;
  return r.conversation.messages.map((m) => `${m.role}: ${m.content}`).join('\n\n');
}

/** Runs the inspection. Errors a user must fix (bad model folder, record out of range) come back as `ok: false`. */
export async function inspectDataset(req: InspectRequest): Promise<InspectOutcome> {
  const notes: string[] = [];
  const config = req.config ?? {};
  let entry = req.config ? findDatasetEntry(config, req.configPath, req.path, req.cwd) : undefined;
  if (req.config && !entry) notes.push(`the config has no dataset entry whose path is ${req.path}; reading the file by its content`);
  const declaredEntry = entry;
  entry ??= entryFromContent(req.path);
  const modelDir = req.modelDir ?? (req.config ? modelDirFromConfig(config, req.configPath, req.cwd) : undefined);
  let model: ChatModel | undefined;
  if (modelDir) {
    const loaded = await loadChatModel(modelDir);
    if (!loaded.ok) return { ok: false, message: loaded.error.message };
    model = loaded.value;
  } else if (req.config && typeof config.base_model === 'string') {
    notes.push(`base_model '${config.base_model}' is not a local folder with tokenizer.json: no token statistics (give --model DIR)`);
  }
  const options: ExampleOptions = exampleOptionsFromConfig(config, entry ?? {});
  const seq = typeof config.sequence_len === 'number' ? config.sequence_len : undefined;
  const report = await validateDatasetFile(req.path, {
    ...(declaredEntry ? { entry: declaredEntry } : {}),
    ...(model ? { measure: measureWith(model, options), controlTokens: specialTokensOf(model) } : {}),
    ...(seq !== undefined ? { sequenceLen: seq } : {}),
  });
  const { format, records, ...stats } = report.summary;
  const result: InspectResult = { format, records, stats };
  let recordInfo: InspectOutput['recordInfo'];
  if (req.record !== undefined) {
    if (req.record >= records) return { ok: false, message: `record ${req.record + 1} is out of range: the file has ${records} record${records === 1 ? '' : 's'}` };
    const read = await readRecordAt(req.path, req.record, declaredEntry);
    if (!read?.record) {
      const line = read?.loc.line;
      const d = line !== undefined ? report.diagnostics.find((x) => x.range.start.line === line && x.severity === 1) : undefined;
      return { ok: false, message: `record ${req.record + 1}${line !== undefined ? ` (line ${line + 1})` : ''} cannot be read${d ? `: ${d.message}` : ''}` };
    }
    if (model) {
      const v = recordView(model, read.record, options);
      if (!v.ok) return { ok: false, message: `record ${req.record + 1} cannot be rendered: ${v.message}` };
      const { text, tokens, ...info } = v.view;
      result.record = { text, tokens };
      recordInfo = info;
    } else {
      result.record = { text: plainText(read.record), tokens: [] };
      notes.push('no model: the record is shown as plain text without tokens (give --model DIR, or a config whose base_model is a local folder)');
    }
  }
  return { ok: true, result, notes, ...(recordInfo ? { recordInfo } : {}) };
}

/**
 * The model's special tokens that look like template markers, beyond the `<|...|>` forms the
 * default pattern already catches (so `</s>` counts in a Llama 2 / Mistral dataset).
 */
export function specialTokensOf(model: ChatModel): string[] {
  const out = new Set<string>();
  for (const id of model.addedTokenIds) {
    const t = decode(model, [id]);
    if (t.length >= 3 && /^[<[]/.test(t) && !DEFAULT_CONTROL_TOKENS.test(t)) out.add(t);
  }
  for (const t of [model.bosToken, model.eosToken]) if (t && t.length >= 3 && /^[<[]/.test(t) && !DEFAULT_CONTROL_TOKENS.test(t)) out.add(t);
  return [...out].slice(0, 64);
}

/**
 * The dataset entry for `datasetPath` in any of the given config files (the first that has one),
 * so that `tunelab validate config.yml data.jsonl` reads the data with the config's mappings.
 */
export function entryFromConfigFiles(datasetPath: string, configPaths: readonly string[], cwd?: string): DatasetEntry | undefined {
  for (const p of configPaths) {
    let text: string;
    try {
      text = readFileSync(p, 'utf8');
    } catch {
      continue;
    }
    const config = resolveConfig(parseConfig(text)) as Record<string, unknown>;
    const e = findDatasetEntry(config, p, datasetPath, cwd);
    if (e) return e;
  }
  return undefined;
}
