/**
 * What a config tells the fine-tune-or-prompt plan: the number of examples and training tokens
 * (through the dataset checks, on the config's local dataset files, ≈ 4 characters per token ×
 * num_epochs) and the measured throughput of a previous run (the median tokens_per_s of the step
 * events in <output_dir>/events.jsonl). Reads files: used by the CLI and the extension host, not
 * by the webview (which imports plan.ts only).
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { validateDatasetFile } from '../dataset/file';
import { resolveLocalPath } from '../paths';
import { buildExamples, exampleOptionsFromConfig, loadChatModel, type ChatModel } from '../chat/index';
import type { NormalizedRecord } from '../dataset/index';
import { parseEvent } from '../protocol/events';
import { estimateConfig } from './config';
import { formatLens } from './format';
import { DEFAULT_PLAN_INPUTS, type PlanInputs } from './plan';

/** What a config tells the plan: examples, training tokens, measured throughput. */
export interface ConfigFacts {
  examples?: number;
  trainTokens?: number;
  tokensPerSecond?: number;
  notes: string[];
}

/** Reads the config's local datasets through the dataset checks, and a previous run's events. */
export async function factsFromConfig(configPath: string, cwd: string): Promise<ConfigFacts | { error: string }> {
  let cfg: unknown;
  try {
    cfg = parseYaml(readFileSync(configPath, 'utf8'));
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    return { error: err.code === 'ENOENT' ? `no such file: ${configPath}` : `${configPath}: ${err.message.split('\n')[0]}` };
  }
  if (typeof cfg !== 'object' || cfg === null || Array.isArray(cfg)) return { error: `${configPath}: not a config (expected a mapping)` };
  const c = cfg as Record<string, unknown>;
  const facts: ConfigFacts = { notes: [] };
  const bases = { configDir: dirname(configPath), cwd };
  const datasets = Array.isArray(c.datasets) ? c.datasets : [];
  let records = 0;
  let chars = 0;
  let counted = 0;
  // Exact token counts when the base model and its tokenizer are local (the chat core renders each
  // record as training will); otherwise about four characters per token.
  const model = await localChatModel(c, bases);
  let tokens = 0;
  let measuredAll = model !== undefined;
  const seq = typeof c.sequence_len === 'number' && c.sequence_len > 0 ? c.sequence_len : undefined;
  for (const d of datasets) {
    if (typeof d !== 'object' || d === null) continue;
    const entry = d as Record<string, unknown>;
    const p = typeof entry.path === 'string' ? entry.path : undefined;
    if (!p) continue;
    const local = resolveLocalPath(p, bases);
    if (!local.exists || !statSync(local.path).isFile()) {
      facts.notes.push(`dataset ${p} is not a local file; not counted`);
      continue;
    }
    const options = model ? exampleOptionsFromConfig(c, entry) : undefined;
    const measure = model && options
      ? (record: NormalizedRecord) => {
          const r = buildExamples(model, record, options);
          if (!r.ok) return undefined;
          const n = r.value.reduce((t, e) => t + (seq ? Math.min(seq, e.fullLength) : e.fullLength), 0);
          return { tokens: n, trained: r.value.reduce((t, e) => t + e.trainedCount, 0) };
        }
      : undefined;
    const report = await validateDatasetFile(local.path, { entry: entry as never, duplicates: false, maxDiagnostics: 0, ...(measure ? { measure } : {}) });
    const valid = report.summary.records - report.summary.invalidRecords;
    records += valid;
    chars += report.summary.charsPerRecord?.total ?? 0;
    const t = report.summary.tokens;
    if (t && t.measured === valid) tokens += t.total;
    else measuredAll = false;
    counted++;
  }
  if (counted > 0) {
    const epochs = typeof c.num_epochs === 'number' && c.num_epochs > 0 ? c.num_epochs : 1;
    facts.examples = records;
    const files = `${counted} local dataset file${counted === 1 ? '' : 's'}`;
    const times = `× ${epochs} epoch${epochs === 1 ? '' : 's'}`;
    if (measuredAll && tokens > 0) {
      facts.trainTokens = Math.round(tokens * epochs);
      facts.notes.push(`${records.toLocaleString('en-US')} examples and ${facts.trainTokens.toLocaleString('en-US')} training tokens from ${files} (rendered and tokenised with ${model!.dir ?? 'the base model'} ${times})`);
    } else {
      facts.trainTokens = Math.max(1, Math.round((chars / 4) * epochs));
      facts.notes.push(`${records.toLocaleString('en-US')} examples and ≈ ${facts.trainTokens.toLocaleString('en-US')} training tokens from ${files} (≈ 4 characters per token ${times})`);
    }
  }
  // output_dir is relative to the working directory (as in Axolotl); the config's folder is tried too.
  const out = typeof c.output_dir === 'string' ? resolveLocalPath(c.output_dir, { cwd, configDir: dirname(configPath) }, (p) => existsSync(join(p, 'events.jsonl'))) : undefined;
  const events = out?.exists ? join(out.path, 'events.jsonl') : undefined;
  if (events) {
    const rates: number[] = [];
    for (const line of readFileSync(events, 'utf8').split('\n')) {
      if (!line.trim()) continue;
      const e = parseEvent(line);
      if ('type' in e && e.type === 'step' && typeof e.tokens_per_s === 'number' && e.tokens_per_s > 0) rates.push(e.tokens_per_s);
    }
    if (rates.length > 0) {
      rates.sort((a, b) => a - b);
      facts.tokensPerSecond = rates[Math.floor(rates.length / 2)]!;
      facts.notes.push(`throughput ${Math.round(facts.tokensPerSecond).toLocaleString('en-US')} tokens/s: the median of ${rates.length} steps in ${events}`);
    }
  }
  return facts;
}

/**
 * The starting point of the plan panel for a config (the host sends it in `init`): the default
 * inputs with what the config tells filled in, the notes saying how, and the config's memory
 * estimate line. Never throws: an unreadable config gives the defaults and a note.
 */
export async function planStartFromConfig(configPath: string, cwd: string): Promise<{ inputs: PlanInputs; notes: string[]; estimate: string | null }> {
  const inputs: PlanInputs = { ...DEFAULT_PLAN_INPUTS };
  const facts = await factsFromConfig(configPath, cwd);
  if ('error' in facts) return { inputs, notes: [facts.error], estimate: null };
  if (facts.examples !== undefined) inputs.examples = facts.examples;
  if (facts.trainTokens !== undefined) inputs.trainTokens = facts.trainTokens;
  if (facts.tokensPerSecond !== undefined) inputs.tokensPerSecond = facts.tokensPerSecond;
  let estimate: string | null = null;
  try {
    const e = estimateConfig(parseYaml(readFileSync(configPath, 'utf8')), {
      configDir: dirname(configPath),
      cwd,
      readTextFile: (p) => (existsSync(p) && statSync(p).isFile() ? readFileSync(p, 'utf8') : undefined),
    });
    estimate = 'unknown' in e ? null : formatLens(e);
  } catch {
    estimate = null;
  }
  return { inputs, notes: facts.notes, estimate };
}

/** The base model's chat model when it is a local folder with a tokenizer, else undefined. */
async function localChatModel(c: Record<string, unknown>, bases: { configDir: string; cwd: string }): Promise<ChatModel | undefined> {
  const id = typeof c.tokenizer_config === 'string' && c.tokenizer_config ? c.tokenizer_config : c.base_model;
  if (typeof id !== 'string' || !id) return undefined;
  const dir = resolveLocalPath(id, bases, (p) => existsSync(join(p, 'tokenizer.json')));
  if (!dir.exists) return undefined;
  const m = await loadChatModel(dir.path);
  return m.ok ? m.value : undefined;
}
