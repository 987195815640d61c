/**
 * Everything the server does for one mergekit merge config, composed from the pure core
 * common/merge: the environment (config path, workspace roots, a file-system hook that reads the
 * models' config.json) is built here per request; positions become offsets at this edge.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import type { CompletionList, Diagnostic, Hover, Position } from 'vscode-languageserver-types';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import type { ConfigDocument } from '../common/config/types';
import { mergeCompletion, mergeHover, validateMergeConfig, type MergeEnv, type MergeFileSystem } from '../common/merge/index';
import { uriToPath } from './uri';

const MAX_JSON = 8 * 1024 * 1024;

/** Reads models' config.json / adapter_config.json (small files only; undefined when absent or broken). */
const fileSystem: MergeFileSystem = {
  exists: (p) => existsSync(p),
  readJson(p) {
    try {
      const st = statSync(p);
      if (!st.isFile() || st.size > MAX_JSON) return undefined;
      return JSON.parse(readFileSync(p, 'utf8')) as unknown;
    } catch {
      return undefined;
    }
  },
};

export class MergeFeatures {
  env(doc: TextDocument, roots: readonly string[]): MergeEnv {
    const path = uriToPath(doc.uri);
    const env: MergeEnv = { workspaceRoots: roots, fs: fileSystem };
    if (path) env.configPath = path;
    return env;
  }

  diagnostics(doc: TextDocument, merge: ConfigDocument, roots: readonly string[]): Diagnostic[] {
    return validateMergeConfig(merge, this.env(doc, roots));
  }

  completion(merge: ConfigDocument, position: Position, snippets: boolean): CompletionList {
    return { isIncomplete: false, items: mergeCompletion(merge, merge.lines.offsetAt(position), { snippets }) };
  }

  hover(merge: ConfigDocument, position: Position): Hover | null {
    return mergeHover(merge, merge.lines.offsetAt(position));
  }
}
