/**
 * What a dataset document needs from its surroundings: the config entry that points at it (its
 * `type:`, mappings, roles_to_train), the model whose tokenizer and chat template count and mask
 * its tokens (the config's `base_model` when it is a local or cached model folder, else the
 * `tunelab.model` setting), and the masking options Axolotl would use.
 */
import { existsSync, readdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { buildAlpacaExample, buildCompletionExamples, buildExample, fail, type AlpacaOptions, type ChatModel, type MaskOptions, type MaskedExample, type Outcome, type TrainOnEos } from '../common/chat/index';
import type { ConfigDocument } from '../common/config/types';
import type { DatasetEntry, NormalizedRecord } from '../common/dataset/index';
import { resolveLocalPath } from '../common/paths';

/** A config that lists the dataset, and the entry that does. */
export interface DatasetLink {
  configUri: string;
  configDir: string | null;
  config: Record<string, unknown>;
  entry: DatasetEntry;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export interface OpenConfig {
  uri: string;
  path: string | null;
  config: ConfigDocument;
}

/** The first open config with a `datasets:` (or `test_datasets:`) entry whose path is this file. */
export function findLink(datasetPath: string, configs: readonly OpenConfig[], roots: readonly string[]): DatasetLink | null {
  for (const c of configs) {
    const value = c.config.value;
    if (!isRecord(value)) continue;
    const configDir = c.path ? dirname(c.path) : null;
    for (const listKey of ['datasets', 'test_datasets']) {
      const list = value[listKey];
      if (!Array.isArray(list)) continue;
      for (const e of list) {
        if (!isRecord(e) || typeof e.path !== 'string' || !e.path) continue;
        const r = resolveLocalPath(e.path, { ...(configDir ? { configDir } : {}), workspaceRoots: roots });
        if (r.candidates.includes(datasetPath)) return { configUri: c.uri, configDir, config: value, entry: e as DatasetEntry };
      }
    }
  }
  return null;
}

const hasTokenizer = (dir: string) => existsSync(join(dir, 'tokenizer.json'));

/** A hub id's newest snapshot in the Hugging Face cache, when it was downloaded there. */
function hfCacheDir(id: string): string | undefined {
  if (!/^[\w.-]+\/[\w.-]+$/.test(id)) return undefined;
  const hub = process.env.HF_HUB_CACHE ?? join(process.env.HF_HOME ?? join(homedir(), '.cache', 'huggingface'), 'hub');
  const snapshots = join(hub, `models--${id.replace('/', '--')}`, 'snapshots');
  try {
    for (const s of readdirSync(snapshots)) if (hasTokenizer(join(snapshots, s))) return join(snapshots, s);
  } catch {
    /* not cached */
  }
  return undefined;
}

/**
 * The model folder to tokenise with, and what was tried: the config's `tokenizer_config` or
 * `base_model` (local folder, then the Hugging Face cache), then the `tunelab.model` setting.
 */
export function modelDirFor(link: DatasetLink | null, settingModel: string, roots: readonly string[]): { dir: string | null; tried: string[] } {
  const tried: string[] = [];
  const candidates: { id: string; base: string | null }[] = [];
  if (link) {
    for (const k of ['tokenizer_config', 'base_model']) {
      const v = link.config[k];
      if (typeof v === 'string' && v.trim()) candidates.push({ id: v.trim(), base: link.configDir });
    }
  }
  if (settingModel) candidates.push({ id: settingModel, base: roots[0] ?? null });
  for (const c of candidates) {
    tried.push(c.id);
    const local = resolveLocalPath(c.id, { ...(c.base ? { configDir: c.base } : {}), workspaceRoots: roots });
    if (local.exists && hasTokenizer(local.path)) return { dir: local.path, tried };
    const cached = hfCacheDir(c.id);
    if (cached) return { dir: cached, tried };
  }
  return { dir: null, tried };
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const eosValue = (v: unknown): TrainOnEos | undefined => (v === 'all' || v === 'turn' || v === 'last' || v === 'none' ? v : undefined);

/** Axolotl's masking keys for this dataset: the entry's own, then the config's top level. */
export function maskOptionsOf(link: DatasetLink | null): MaskOptions {
  const o: MaskOptions = {};
  if (!link) return o;
  const c = link.config;
  const e = link.entry as Record<string, unknown>;
  if (c.train_on_inputs === true) o.trainOnInputs = true;
  if (Array.isArray(e.roles_to_train)) o.rolesToTrain = e.roles_to_train.map(String);
  const eos = eosValue(e.train_on_eos) ?? eosValue(c.train_on_eos);
  if (eos) o.trainOnEos = eos;
  const eot = eosValue(e.train_on_eot) ?? eosValue(c.train_on_eot);
  if (eot) o.trainOnEot = eot;
  if (Array.isArray(c.eot_tokens)) o.eotTokens = c.eot_tokens.map(String);
  const template = str(e.chat_template) ?? str(c.chat_template);
  if (template) o.chatTemplate = template;
  const jinja = str(e.chat_template_jinja) ?? str(c.chat_template_jinja);
  if (jinja) o.chatTemplateJinja = jinja;
  if (typeof c.sequence_len === 'number' && c.sequence_len > 0) o.sequenceLen = c.sequence_len;
  if (e.drop_system_message === true) o.dropSystemMessage = true;
  if (isRecord(c.chat_template_kwargs)) o.chatTemplateKwargs = c.chat_template_kwargs;
  return o;
}

/** Alpaca prompt options from the entry's `type:` (`alpaca`, `alpaca:chat`, `alpaca_w_system...`). */
function alpacaOptionsOf(link: DatasetLink | null, mask: MaskOptions): AlpacaOptions {
  const o: AlpacaOptions = {};
  const type = typeof link?.entry.type === 'string' ? link.entry.type : '';
  const style = type.split(':')[1];
  if (style === 'chat' || style === 'chatml' || style === 'phi' || style === 'instruct') o.style = style;
  if (type.startsWith('alpaca_w_system')) o.system = 'record';
  if (mask.trainOnInputs) o.trainOnInputs = true;
  if (mask.sequenceLen) o.sequenceLen = mask.sequenceLen;
  return o;
}

/** The masked example of one record, as the trainer would build it. */
export function exampleOf(model: ChatModel, record: NormalizedRecord, link: DatasetLink | null): Outcome<MaskedExample> {
  const mask = maskOptionsOf(link);
  if (record.kind === 'alpaca' && !(typeof link?.entry.type === 'string' && link.entry.type === 'chat_template')) {
    return buildAlpacaExample(model, record.alpaca, alpacaOptionsOf(link, mask));
  }
  if (record.kind === 'completion') {
    const r = buildCompletionExamples(model, record.text, mask.sequenceLen ? { sequenceLen: mask.sequenceLen } : {});
    if (!r.ok) return r;
    const first = r.value[0];
    return first ? { ok: true, value: first } : fail('chat-record-invalid', 'the completion text is empty');
  }
  return buildExample(model, record.conversation, mask);
}
