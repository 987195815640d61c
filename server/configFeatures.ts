/**
 * Everything the server does for one config document, composed from the pure services: the
 * environment the checks need (paths, file system, settings) is built here, once per request,
 * from the document's location and the workspace.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import type { CodeAction, CodeLens, CompletionList, Diagnostic, DocumentSymbol, Hover, Position, SymbolInformation } from 'vscode-languageserver-types';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { validateConfig } from '../common/config/index';
import type { ConfigDocument, ConfigEnv } from '../common/config/types';
import type { EstimateEnv } from '../common/estimate/index';
import type { ServerSettings } from './settings';
import { configCodeActions } from './services/configActions';
import { configCompletion } from './services/configCompletion';
import { configEstimate, type ConfigEstimate } from './services/configEstimate';
import { configHover } from './services/configHover';
import { configCodeLenses } from './services/configLenses';
import { configDocumentSymbols } from './services/configSymbols';
import type { DirEntry } from './services/pathCompletion';
import { uriToPath } from './uri';
import { VersionedCache } from './parseCache';

export interface ConfigContext {
  settings: ServerSettings;
  roots: readonly string[];
  snippets: boolean;
  hierarchicalSymbols: boolean;
  /** The dataset hook of the config checks (content vs `type:`), when the dataset core offers one. */
  checkDatasetFile?: ConfigEnv['checkDatasetFile'];
  /** The model-aware checks of a local base_model folder (tokenizer, template, loss-mask setup). */
  checkModel?: ConfigEnv['checkModel'];
}

const MAX_MODEL_FILE = 8 * 1024 * 1024;

/** Reads a small text file (a model's config.json); undefined when absent, unreadable or huge. */
function readSmallText(p: string): string | undefined {
  try {
    const st = statSync(p);
    if (!st.isFile() || st.size > MAX_MODEL_FILE) return undefined;
    return readFileSync(p, 'utf8');
  } catch {
    return undefined;
  }
}

function listDir(dir: string): DirEntry[] | null {
  try {
    return readdirSync(dir, { withFileTypes: true }).map((e) => ({ name: e.name, isDirectory: e.isDirectory() || (e.isSymbolicLink() && isDir(`${dir}/${e.name}`)) }));
  } catch {
    return null;
  }
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

export class ConfigFeatures {
  /** Estimates by uri + version + settings: the lens, hover and diagnostics share one. */
  private readonly estimates = new VersionedCache<{ key: string; value: ConfigEstimate }>();

  configEnv(doc: TextDocument, ctx: ConfigContext): ConfigEnv {
    const path = uriToPath(doc.uri);
    const env: ConfigEnv = { workspaceRoots: ctx.roots, fileExists: existsSync };
    if (path) env.configPath = path;
    if (ctx.checkDatasetFile) env.checkDatasetFile = ctx.checkDatasetFile;
    if (ctx.checkModel) env.checkModel = ctx.checkModel;
    return env;
  }

  estimateEnv(doc: TextDocument, ctx: ConfigContext): EstimateEnv {
    const path = uriToPath(doc.uri);
    const env: EstimateEnv = { workspaceRoots: ctx.roots, readTextFile: readSmallText, gpus: ctx.settings.gpus };
    if (path) env.configDir = dirname(path);
    // "GB" as GPUs are sold: a 24 GB card has 24 GiB (the CLI reads --gpu-memory the same way).
    if (ctx.settings.gpuMemoryGb > 0) env.gpuMemoryBytes = Math.round(ctx.settings.gpuMemoryGb * 2 ** 30);
    if (process.env.HF_HUB_CACHE) env.hfCacheDir = process.env.HF_HUB_CACHE;
    return env;
  }

  estimate(doc: TextDocument, cfg: ConfigDocument, ctx: ConfigContext): ConfigEstimate {
    const key = `${ctx.settings.gpus}|${ctx.settings.gpuMemoryGb}`;
    const hit = this.estimates.peek(doc.uri, doc.version);
    if (hit && hit.key === key) return hit.value;
    const value = configEstimate(doc, cfg, this.estimateEnv(doc, ctx));
    this.estimates.delete(doc.uri);
    return this.estimates.get(doc.uri, doc.version, () => ({ key, value })).value;
  }

  diagnostics(doc: TextDocument, cfg: ConfigDocument, ctx: ConfigContext): Diagnostic[] {
    const ds = validateConfig(cfg, this.configEnv(doc, ctx));
    // A config that does not parse has no estimate worth warning about.
    if (cfg.root) ds.push(...this.estimate(doc, cfg, ctx).diagnostics);
    return ds;
  }

  completion(doc: TextDocument, cfg: ConfigDocument, position: Position, ctx: ConfigContext): CompletionList {
    const path = uriToPath(doc.uri);
    return configCompletion(doc, cfg, position, {
      snippets: ctx.snippets,
      workspaceRoots: ctx.roots,
      listDir,
      ...(path ? { configDir: dirname(path) } : {}),
    });
  }

  hover(doc: TextDocument, cfg: ConfigDocument, position: Position, ctx: ConfigContext): Hover | null {
    const e = this.estimate(doc, cfg, ctx);
    return configHover(doc, cfg, position, e.ok ? { estimateMarkdown: e.result.markdown } : e.reason ? { estimateMarkdown: `Estimate unavailable: ${e.reason}` } : {});
  }

  codeActions(doc: TextDocument, cfg: ConfigDocument, diagnostics: readonly Diagnostic[]): CodeAction[] {
    return configCodeActions(doc, cfg, diagnostics);
  }

  symbols(doc: TextDocument, cfg: ConfigDocument, ctx: ConfigContext): DocumentSymbol[] | SymbolInformation[] {
    return configDocumentSymbols(doc, cfg, ctx.hierarchicalSymbols);
  }

  codeLenses(doc: TextDocument, cfg: ConfigDocument, ctx: ConfigContext): CodeLens[] {
    if (!cfg.root) return [];
    return configCodeLenses(doc, cfg, this.estimate(doc, cfg, ctx));
  }

  forget(uri: string): void {
    this.estimates.delete(uri);
  }
}
