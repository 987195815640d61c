import { dirname, isAbsolute } from 'node:path';
import { Severity } from '../diagnostics';
import { resolveLocalPath, type ResolvedPath } from '../paths';
import type { Anchor, RuleContext } from './context';
import type { ConfigEnv } from './types';

/** URLs and Hub-style references that are never local folders. */
const REMOTE = /^(s3|gs|gcs|https?|hf|az|abfs|abfss|file):\/\//i;
/** Spellings that can only mean a local folder (a bare `org/name` may be a Hub id). */
const EXPLICITLY_LOCAL = /^(\/|\.\.?[\\/]|~\/|[A-Za-z]:[\\/])/;

/**
 * The model-aware checks: when `base_model` names an existing local directory (resolved against the
 * config's folder, the workspace roots, then the working directory, as dataset paths are), the
 * injected `env.checkModel` looks inside it (tokenizer, chat template, masking setup, model type)
 * and its findings are placed here. A `./`, `../`, `/` or `~/` path that exists nowhere is a
 * warning (not an error: configs are often checked on a laptop and run on a cluster). Hub ids
 * are left alone. The core stays pure: every file access goes through `ConfigEnv`.
 */
export function checkLocalModel(ctx: RuleContext): void {
  const env = ctx.env;
  const base = ctx.str('base_model')?.trim() ?? '';
  const found = resolveBaseModel(ctx.cfg, env);
  if (!found) return;
  const at: Anchor = { path: ['base_model'], on: 'value' };
  if (!found.exists) {
    if (!EXPLICITLY_LOCAL.test(base)) return; // a Hub id such as org/name
    const where = found.candidates.length > 0 ? ` (looked for ${found.candidates.map((c) => `'${c}'`).join(', ')})` : '';
    ctx.report('config-model-path-missing', Severity.Warning, at, `Local model '${base}' does not exist here${where}; Axolotl would take it for a Hub id and fail to download it. Relative paths resolve against the config's folder, the workspace, then the working directory.`);
    return;
  }
  if (!env.checkModel) return;
  ctx.localModelChecked = true;
  let findings: ReturnType<NonNullable<typeof env.checkModel>>;
  try {
    findings = env.checkModel(found.path, ctx.cfg);
  } catch (e) {
    findings = [{ code: 'config-model-check-failed', severity: 2, message: `The model in '${base}' could not be checked: ${(e as Error).message}` }];
  }
  for (const f of findings) ctx.report(f.code, f.severity, [...(f.at ?? []), at], f.message, f.data);
}

/**
 * Where a config's `base_model` points on this machine: `undefined` when it is unset, a URL, or
 * path checks are off; else the first existing candidate (`exists: true`) or every place looked
 * at. A bare `org/name` that exists nowhere is a Hub id: callers tell it apart by its spelling.
 */
export function resolveBaseModel(cfg: Readonly<Record<string, unknown>>, env: ConfigEnv): ResolvedPath | undefined {
  const base = typeof cfg.base_model === 'string' ? cfg.base_model.trim() : '';
  if (!base || env.skipPathChecks || !env.fileExists || REMOTE.test(base)) return undefined;
  const bases = { configDir: env.configPath ? dirname(env.configPath) : undefined, workspaceRoots: env.workspaceRoots, cwd: env.cwd };
  const hasBase = Boolean(bases.configDir || bases.cwd || (bases.workspaceRoots && bases.workspaceRoots.length > 0));
  if (!hasBase && !isAbsolute(base) && !base.startsWith('~/')) return undefined;
  return resolveLocalPath(base, bases, env.fileExists);
}
