/**
 * What a dataset document needs from its surroundings: the config entry that points at it (its
 * `type:`, mappings, roles_to_train), the model whose tokenizer and chat template count and mask
 * its tokens (the config's `base_model` when it is a local or cached model folder, else the
 * `tunelab.model` setting), and the masking options Axolotl would use.
 */
import { existsSync, readdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { buildExamples, exampleOptionsFromConfig, type ChatModel, type MaskedExample, type Outcome } from '../common/chat/index';
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

/**
 * The masked examples of one record as the trainer would build them (common/chat), with the
 * config's keys and the entry's type; without a config, the record's own kind decides.
 */
export function examplesOf(model: ChatModel, record: NormalizedRecord, link: DatasetLink | null): Outcome<MaskedExample[]> {
  const entry: DatasetEntry = link?.entry ?? (record.kind === 'alpaca' ? { type: 'alpaca' } : record.kind === 'completion' ? { type: 'completion' } : {});
  return buildExamples(model, record, exampleOptionsFromConfig(link?.config ?? {}, entry));
}
