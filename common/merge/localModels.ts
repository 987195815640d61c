/**
 * Checks of the local model folders a merge config names, through `MergeEnv.fs`: the folder exists
 * (for spellings that can only be local), holds a model (config.json) or a LoRA adapter, and every
 * model agrees with the reference (base_model, else the first) on architecture and hidden size,
 * which a tensor-by-tensor merge needs (another vocabulary is a warning: embeddings merge on the
 * common rows); `models:` entries also on the layer count, and slice `layer_range`s stay inside
 * their model.
 */
import { dirname, join } from 'node:path';
import { Severity } from '../diagnostics';
import { resolveLocalPath } from '../paths';
import type { NodePath } from '../config/types';
import type { ModelRef } from './config';
import type { MergeEnv } from './types';
import type { Reporter } from './validate';

/** A model reference and where the config names it. */
export interface ModelUse {
  ref: ModelRef;
  path: NodePath;
}

const REMOTE = /^(s3|gs|gcs|https?|hf|az|abfs|abfss|file):\/\//i;
/** Spellings that can only mean a local folder (a bare `org/name` may be a Hub id). */
const EXPLICITLY_LOCAL = /^(\/|\.\.?[\\/]|~\/|[A-Za-z]:[\\/])/;

interface Found {
  use: ModelUse;
  config: Record<string, unknown>;
}

const obj = (v: unknown): Record<string, unknown> | undefined => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined);

export function checkLocalModels(rep: Reporter, uses: readonly ModelUse[], root: Record<string, unknown>, base: ModelRef | undefined, env: MergeEnv): void {
  const fs = env.fs!;
  const bases = { configDir: env.configPath ? dirname(env.configPath) : undefined, workspaceRoots: env.workspaceRoots, cwd: env.cwd };
  const locate = (p: string, path: NodePath, what: string): string | undefined => {
    if (REMOTE.test(p)) return undefined;
    const r = resolveLocalPath(p, bases, (x) => fs.exists(x));
    if (r.exists) return r.path;
    if (EXPLICITLY_LOCAL.test(p)) {
      const where = r.candidates.length ? ` (looked for ${r.candidates.map((c) => `'${c}'`).join(', ')})` : '';
      rep.report('merge-model-path-missing', Severity.Warning, path, 'value', `Local ${what} '${p}' does not exist here${where}.`);
    }
    return undefined;
  };
  const found: Found[] = [];
  const seen = new Set<string>();
  for (const use of uses) {
    const key = `${use.path.join('.')}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const dir = locate(use.ref.path, use.path, 'model');
    if (use.ref.lora) {
      const ad = locate(use.ref.lora.path, use.path, 'LoRA adapter');
      if (ad && fs.readJson(join(ad, 'adapter_config.json')) === undefined) rep.report('merge-lora-missing', Severity.Warning, use.path, 'value', `'${use.ref.lora.path}' has no adapter_config.json (the part after '+' is a PEFT LoRA adapter folder).`);
    }
    if (!dir) continue;
    let config = obj(fs.readJson(join(dir, 'config.json')));
    if (!config) {
      const adapter = obj(fs.readJson(join(dir, 'adapter_config.json')));
      if (!adapter) {
        rep.report('merge-model-not-model', Severity.Warning, use.path, 'value', `'${use.ref.path}' has no config.json: not a Hugging Face model folder (nor a LoRA adapter).`);
        continue;
      }
      // An adapter folder: compare its base model when that is local too.
      const recorded = adapter.base_model_name_or_path;
      if (typeof recorded !== 'string') continue;
      const r = resolveLocalPath(recorded, { ...bases, workspaceRoots: [...(bases.workspaceRoots ?? []), dirname(dir)] }, (x) => fs.exists(x));
      config = r.exists ? obj(fs.readJson(join(r.path, 'config.json'))) : undefined;
      if (!config) continue;
    }
    found.push({ use, config });
  }
  if (found.length === 0) return;
  const ref = found.find((f) => base && f.use.ref.key === base.key) ?? found[0];
  const describe = (c: Record<string, unknown>): string => `${String(c.model_type ?? (Array.isArray(c.architectures) ? c.architectures[0] : '?'))}, hidden ${String(c.hidden_size ?? c.n_embd ?? '?')}, vocabulary ${String(c.vocab_size ?? '?')}`;
  const layers = (c: Record<string, unknown>): number | undefined => {
    const n = c.num_hidden_layers ?? c.n_layer;
    return typeof n === 'number' ? n : undefined;
  };
  for (const f of found) {
    if (f === ref) continue;
    const a = f.config;
    const b = ref.config;
    const differs = (k: string, alt?: string): boolean => {
      const x = a[k] ?? (alt ? a[alt] : undefined);
      const y = b[k] ?? (alt ? b[alt] : undefined);
      return x !== undefined && y !== undefined && x !== y;
    };
    if (differs('model_type') || differs('hidden_size', 'n_embd')) {
      rep.report('merge-model-mismatch', Severity.Error, f.use.path, 'value', `'${f.use.ref.key}' (${describe(a)}) does not match '${ref.use.ref.key}' (${describe(b)}); merged models need the same architecture.`);
    } else if (differs('vocab_size')) {
      rep.report('merge-vocab-mismatch', Severity.Warning, f.use.path, 'value', `'${f.use.ref.key}' has a vocabulary of ${String(a.vocab_size)} but '${ref.use.ref.key}' has ${String(b.vocab_size)}: embeddings merge on the common rows (the base's with a base model), so tokens beyond them are dropped; use the same tokenizer, or tokenizer_source to pick one.`);
    } else if (root.models && (f.use.path[0] === 'models' || f.use.path[0] === 'base_model') && (ref.use.path[0] === 'models' || ref.use.path[0] === 'base_model') && layers(a) !== undefined && layers(b) !== undefined && layers(a) !== layers(b)) {
      rep.report('merge-model-mismatch', Severity.Error, f.use.path, 'value', `'${f.use.ref.key}' has ${layers(a)} layers but '${ref.use.ref.key}' has ${layers(b)}; with \`models:\` every model must have the same number of layers (use \`slices:\` to pick ranges).`);
    }
  }
  // Slice layer ranges inside their model.
  for (const f of found) {
    if (f.use.path[0] !== 'slices' || f.use.path[2] !== 'sources') continue;
    const src = obj((obj((root.slices as unknown[])[f.use.path[1] as number])?.sources as unknown[])?.[f.use.path[3] as number]);
    const lr = src?.layer_range;
    const n = layers(f.config);
    if (Array.isArray(lr) && typeof lr[1] === 'number' && n !== undefined && lr[1] > n) {
      rep.report('merge-layer-range', Severity.Error, [...f.use.path.slice(0, -1), 'layer_range'], 'value', `layer_range ends at ${lr[1]} but '${f.use.ref.key}' has ${n} layers.`);
    }
  }
}
