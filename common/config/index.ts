/**
 * The config language service core (Axolotl's YAML dialect). Pure: no file system except through
 * `ConfigEnv`, no LSP connection. Used by server/ (diagnostics, completion, hover, code actions),
 * cli/ (`tunelab validate`) and trainer/ (refuses a bad config before any compute).
 *
 * CONTRACT (owned by the config core; server/ and trainer/ build on these names):
 * - parseConfig(text) -> ConfigDocument            (yaml CST/AST with offsets, never throws)
 * - validateConfig(doc, env) -> Diagnostic[]       (every diagnostic coded, source "tunelab")
 * - looksLikeConfig(text) -> boolean               (base_model key or a `# tunelab` marker)
 * - schema lookups for completion and hover: keySpec(path), keysAt(path)
 * - resolveConfig(doc) -> normalised plain object with defaults (what the trainer runs)
 */
import type { Diagnostic } from 'vscode-languageserver-types';

/** Path of a node from the document root, e.g. ['datasets', 0, 'type']. */
export type NodePath = (string | number)[];

/** Injected I/O and context for checks that look outside the text. */
export interface ConfigEnv {
  /** Absolute path of the config file, when it has one. */
  configPath?: string;
  workspaceRoots?: readonly string[];
  /** The CLI and trainer pass the working directory; the server does not. */
  cwd?: string;
  fileExists?(absPath: string): boolean;
  /**
   * Hook for the dataset checks: given a local dataset file and its config entry, returns
   * diagnostics-to-be about the match between the file's content and `type:` (placed at the
   * entry's `type:` line by the config core).
   */
  checkDatasetFile?(absPath: string, entry: Record<string, unknown>): { code: string; severity: 1 | 2 | 3 | 4; message: string }[];
}

export {};
export type { Diagnostic };
