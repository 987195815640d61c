/**
 * Everything the server does for one mergekit merge config, composed from the pure core
 * common/merge: the environment (config path, workspace roots, a file-system hook that reads the
 * models' config.json) is built here per request; positions become offsets at this edge.
 */
import type { CompletionList, Diagnostic, Hover, Position } from 'vscode-languageserver-types';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import type { ConfigDocument } from '../common/config/types';
import { mergeCompletion, mergeHover, validateMergeConfig, type MergeEnv } from '../common/merge/index';
import { nodeMergeFs } from '../common/merge/nodeFs';
import { uriToPath } from './uri';

export class MergeFeatures {
  env(doc: TextDocument, roots: readonly string[]): MergeEnv {
    const path = uriToPath(doc.uri);
    const env: MergeEnv = { workspaceRoots: roots, fs: nodeMergeFs };
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
