/**
 * Completion of local dataset paths in a config (`datasets[].path`, ...): names from the file
 * system, relative to the config's folder and then each workspace root, the order in which
 * Tunelab resolves them (common/paths.ts). Only folders and files a dataset can be are offered.
 * The directory listing is injected so the service stays pure.
 */
import { isAbsolute, resolve } from 'node:path';
import type { CompletionItem, Range } from 'vscode-languageserver-types';

export interface DirEntry {
  name: string;
  isDirectory: boolean;
}

export interface PathCompletionEnv {
  configDir?: string;
  workspaceRoots: readonly string[];
  /** Entries of a folder; null when it cannot be read. */
  listDir(absDir: string): DirEntry[] | null;
}

/** Extensions Axolotl loads as local datasets (`ds_type` json, parquet, csv, arrow, text). */
export const DATASET_EXTENSIONS = ['.jsonl', '.ndjson', '.json', '.parquet', '.csv', '.tsv', '.arrow', '.txt', '.jsonl.gz', '.json.gz'];

const isDatasetFile = (name: string) => DATASET_EXTENSIONS.some((e) => name.toLowerCase().endsWith(e));

const MAX_ITEMS = 500;

/**
 * Items for a path being typed. `typed` is the text of the value so far and `range` the range of
 * the whole value token: each item replaces only the last path segment, so the editor filters by
 * what follows the last `/`.
 */
export function pathCompletions(typed: string, range: Range, env: PathCompletionEnv): CompletionItem[] {
  const raw = typed.replace(/^['"]/, '');
  const quoted = typed.length > raw.length;
  const slash = raw.lastIndexOf('/');
  const dirPart = slash >= 0 ? raw.slice(0, slash + 1) : '';
  if (dirPart.startsWith('~') || /^[a-z][\w+.-]*:\/\//i.test(raw)) return [];
  const bases = isAbsolute(dirPart) ? [dirPart] : [env.configDir, ...env.workspaceRoots].filter((b): b is string => !!b).map((b) => resolve(b, dirPart || '.'));
  const seen = new Set<string>();
  const items: CompletionItem[] = [];
  const segmentStart = { line: range.start.line, character: range.start.character + (quoted ? 1 : 0) + dirPart.length };
  const editRange: Range = { start: segmentStart, end: range.end };
  for (const dir of [...new Set(bases)]) {
    const entries = env.listDir(dir);
    if (!entries) continue;
    for (const e of entries) {
      if (items.length >= MAX_ITEMS) break;
      if (seen.has(e.name) || e.name === 'node_modules' || (e.name.startsWith('.') && !raw.slice(dirPart.length).startsWith('.'))) continue;
      if (!e.isDirectory && !isDatasetFile(e.name)) continue;
      seen.add(e.name);
      const label = e.isDirectory ? `${e.name}/` : e.name;
      items.push({
        label,
        kind: e.isDirectory ? 19 /* Folder */ : 17 /* File */,
        detail: e.isDirectory ? 'folder' : 'local dataset file',
        sortText: `${e.isDirectory ? '1' : '0'}${e.name}`,
        textEdit: { range: editRange, newText: label },
        // Typing on into a folder: ask for its entries at once.
        ...(e.isDirectory ? { command: { title: 'list folder', command: 'editor.action.triggerSuggest' } } : {}),
      });
    }
  }
  return items;
}
