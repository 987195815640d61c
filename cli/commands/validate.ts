import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, extname, relative, resolve, join } from 'node:path';
import type { Diagnostic } from 'vscode-languageserver-types';
import { UsageError, type CliCommand } from '../command';
import { formatOption, parse } from '../args';
import { diagnostic, Severity, severityName } from '../../common/diagnostics';
import { LIMITS, looksLikeConfig, looksLikeMergekit, parseConfig, validateConfig, type ConfigEnv } from '../../common/config/index';
import { ConfigModelCheck } from '../../common/config/modelCheck';
import { validateDatasetFile as validateDatasetOnDisk } from '../../common/dataset/file';
import { checkDatasetAgainstEntry } from '../../common/dataset/configHook';
import { entryFromConfigFiles } from '../../common/dataset/inspect';
import type { DatasetSummary } from '../../common/dataset/validator';
import { looksLikeMergeConfig, validateMergeConfig } from '../../common/merge/index';
import { nodeMergeFs } from '../../common/merge/nodeFs';

/** What `tunelab validate` reports for one file. */
export interface FileResult {
  /** As given on the command line, or relative to the folder given. */
  path: string;
  kind: 'config' | 'merge' | 'dataset' | 'other';
  diagnostics: Diagnostic[];
  /** Datasets: record count, format, problems by kind, roles, lengths (common/dataset). */
  summary?: DatasetSummary;
}

const YAML_EXT = new Set(['.yml', '.yaml']);
const DATASET_EXT = new Set(['.jsonl', '.ndjson', '.json', '.parquet']);
const SKIP_DIRS = new Set(['node_modules', '.git']);

/** A file found on the command line (explicit) or inside a folder (implicit). */
interface Target {
  abs: string;
  shown: string;
  explicit: boolean;
}

function collect(args: string[], cwd: string): Target[] {
  const out: Target[] = [];
  for (const arg of args) {
    const abs = resolve(cwd, arg);
    if (!existsSync(abs)) throw new UsageError(`no such file or folder: ${arg}`);
    if (statSync(abs).isDirectory()) {
      const walk = (dir: string) => {
        for (const name of readdirSync(dir).sort()) {
          if (SKIP_DIRS.has(name)) continue;
          const p = join(dir, name);
          let st;
          try {
            st = statSync(p);
          } catch {
            continue; // a dangling link inside a folder is not the user's target
          }
          if (st.isDirectory()) walk(p);
          else if (YAML_EXT.has(extname(name).toLowerCase()) || DATASET_EXT.has(extname(name).toLowerCase())) {
            out.push({ abs: p, shown: join(arg, relative(abs, p)), explicit: false });
          }
        }
      };
      walk(abs);
    } else out.push({ abs, shown: arg, explicit: true });
  }
  return out;
}

function readText(abs: string, shown: string): string {
  try {
    return readFileSync(abs, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read ${shown}: ${(e as Error).message}`);
  }
}

/** Configs are small: a file above the parser's limit is reported without reading it. */
function tooLarge(t: Target, size: number): FileResult {
  const range = { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };
  const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`;
  return {
    path: t.shown,
    kind: 'config',
    diagnostics: [diagnostic('config-too-large', Severity.Error, range, `The file is ${mb(size)}, above the ${mb(LIMITS.maxChars)} limit for a config; it was not parsed.`)],
  };
}

/** Validates one config file; a local base_model is loaded first so that its checks run (common/config/modelCheck). */
async function validateConfigFile(t: Target, text: string, cwd: string, models: ConfigModelCheck): Promise<FileResult> {
  const doc = parseConfig(text);
  const env: ConfigEnv = { configPath: t.abs, cwd, fileExists: existsSync, checkDatasetFile: checkDatasetAgainstEntry, checkModel: models.check };
  await models.prepare(doc, env);
  const diagnostics = validateConfig(doc, env);
  return { path: t.shown, kind: 'config', diagnostics };
}

/**
 * DATASET VALIDATION PLUGS IN HERE (dataset issue): return the dataset's diagnostics. Until the
 * dataset core lands, a dataset file is reported with kind "dataset" and no diagnostics.
 */
function validateDatasetFile(t: Target): FileResult {
  return { path: t.shown, kind: 'dataset', diagnostics: [] };
}

/**
 * Datasets are read from disk as a stream (common/dataset), with the `datasets:` entry of a config
 * checked in the same run when one points at the file (its type and mappings decide the reading).
 */
async function fillDatasetResults(results: FileResult[], cwd: string, foundInFolders: ReadonlySet<string>): Promise<void> {
  const configs = results.filter((r) => r.kind === 'config').map((r) => resolve(cwd, r.path));
  for (const r of results) {
    if (r.kind !== 'dataset') continue;
    const abs = resolve(cwd, r.path);
    // LLaMA-Factory's dataset registry sits next to the data; it is not a dataset itself.
    if (basename(abs) === 'dataset_info.json') {
      r.kind = 'other';
      continue;
    }
    const entry = entryFromConfigFiles(abs, configs, cwd);
    const report = await validateDatasetOnDisk(abs, entry ? { entry } : {});
    // One JSON object that is no record (a model's config.json, tokenizer.json, package.json
    // found in a folder) is not a dataset.
    const s = report.summary;
    if (!entry && s.container === 'json' && s.records === 1 && s.byCode['dataset-unknown-format']) {
      r.kind = 'other';
      continue;
    }
    // Found in a folder, not a single record Tunelab trains on, and no config lists it: data of
    // another kind (benchmark items, a metrics log, a tokenizer), not a broken training set. Named
    // on the command line, or listed by a config, it is checked as a dataset and refused.
    if (!entry && foundInFolders.has(r.path) && s.records > 0 && s.byCode['dataset-unknown-format']?.count === s.records) {
      r.kind = 'other';
      continue;
    }
    r.diagnostics = report.diagnostics;
    r.summary = s;
  }
}

/** Dispatch on file kind: config YAML, dataset, or other (skipped unless named explicitly). */
export async function validateTargets(targets: Target[], cwd: string): Promise<FileResult[]> {
  const results: FileResult[] = [];
  // One model cache for the run: configs in a folder usually share their base model.
  const models = new ConfigModelCheck();
  for (const t of targets) {
    const ext = extname(t.abs).toLowerCase();
    if (DATASET_EXT.has(ext)) {
      results.push(validateDatasetFile(t));
      continue;
    }
    if (!YAML_EXT.has(ext) && !t.explicit) continue;
    const size = statSync(t.abs).size;
    if (size > LIMITS.maxChars) {
      results.push(tooLarge(t, size));
      continue;
    }
    const text = readText(t.abs, t.shown);
    if (looksLikeMergeConfig(text)) {
      // A mergekit merge config: the merge core's checks (common/merge), local model folders included.
      results.push({ path: t.shown, kind: 'merge', diagnostics: validateMergeConfig(parseConfig(text), { configPath: t.abs, cwd, fs: nodeMergeFs }) });
      continue;
    }
    {
      // A YAML named on the command line is a config whatever its keys (a config that forgot
      // base_model must get "missing base_model", not "0 errors"), except a mergekit config; in
      // folders only YAML that looks like a config is checked (CI files, mergekit configs are not).
      if (looksLikeConfig(text) || (t.explicit && YAML_EXT.has(ext) && !looksLikeMergekit(text))) {
        results.push(await validateConfigFile(t, text, cwd, models));
      } else if (t.explicit) {
        results.push({ path: t.shown, kind: 'other', diagnostics: [] });
      }
    }
  }
  return results;
}

export function formatText(results: FileResult[]): string {
  const lines: string[] = [];
  for (const r of results) {
    for (const d of r.diagnostics) {
      lines.push(`${r.path}:${d.range.start.line + 1}:${d.range.start.character + 1}: ${severityName(d.severity)} ${String(d.code)}: ${d.message}`);
    }
  }
  const count = (s: number) => results.reduce((n, r) => n + r.diagnostics.filter((d) => d.severity === s).length, 0);
  const e = count(1);
  const w = count(2);
  lines.push(`${results.length} file${results.length === 1 ? '' : 's'} checked: ${e} error${e === 1 ? '' : 's'}, ${w} warning${w === 1 ? '' : 's'}`);
  return lines.join('\n') + '\n';
}

export const validateCommand: CliCommand = {
  name: 'validate',
  summary: 'Check fine-tuning configs and datasets (files or folders)',
  usage: [
    'Usage: tunelab validate [--format text|json] PATH...',
    '',
    'Checks Axolotl-style YAML configs (and datasets) in the given files and folders (recursively,',
    'skipping node_modules and .git). mergekit merge configs (a top-level merge_method) get the merge',
    'checks (methods, parameters, ranges, local models). A YAML file named on the command line is a',
    'config (unless it is a mergekit file); YAML files in folders count as configs when they have a top-level base_model',
    'key, at least three Axolotl-only top-level keys (datasets, adapter, micro_batch_size, ...) or a',
    '`# tunelab` marker.',
    '',
    'Options:',
    '  --format text|json   text: path:line:col: severity code: message (default);',
    '                       json: {"files":[{"path","kind","diagnostics":[LSP Diagnostic]}]}',
    '',
    'Exit codes: 0 no errors (warnings allowed), 1 errors found, 2 usage or I/O error.',
  ].join('\n'),
  async run(args, io) {
    const { values, positionals } = parse(args, { format: { type: 'string' } });
    const format = formatOption(values.format, ['text', 'json'] as const, 'text');
    if (positionals.length === 0) throw new UsageError('give at least one file or folder (tunelab validate --help)');
    const targets = collect(positionals, io.cwd);
    const results = await validateTargets(targets, io.cwd);
    await fillDatasetResults(results, io.cwd, new Set(targets.filter((t) => !t.explicit).map((t) => t.shown)));
    if (format === 'json') io.out(JSON.stringify({ files: results }) + '\n');
    else io.out(formatText(results));
    return results.some((r) => r.diagnostics.some((d) => d.severity === 1)) ? 1 : 0;
  },
};
