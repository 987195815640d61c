import type { Diagnostic } from 'vscode-languageserver-types';
import type { Document, Node, ParsedNode } from 'yaml';
import type { LineIndex } from '../text/lineIndex';

/** Path of a node from the document root, e.g. ['datasets', 0, 'type']. */
export type NodePath = (string | number)[];

/**
 * A value type in the schema, parsed once from the compact notation used in the data files
 * (`'bool | "auto"'`, `'str | str[]'`, `'int[]'`, `'dict'`, ...).
 */
export type ValueType =
  | { kind: 'str' }
  | { kind: 'int' }
  | { kind: 'float' }
  | { kind: 'bool' }
  | { kind: 'literal'; value: string }
  | { kind: 'any' }
  | { kind: 'dict'; values?: ValueType }
  | { kind: 'object'; keys: string }
  | { kind: 'list'; items: ValueType }
  | { kind: 'union'; of: ValueType[] };

/** One allowed value of an enumeration, with its own documentation for completion and hover. */
export interface ValueDoc {
  value: string;
  doc?: string;
  /** Set when the value still works but has a modern replacement. */
  deprecated?: string;
  /** A value only Tunelab's built-in trainer accepts (e.g. `adapter: prefix`); Axolotl refuses it. */
  tunelab?: boolean;
}

/** How a value outside `values` is reported: Axolotl refuses it (error), it may still work (warning), or the values are only suggestions (none). */
export type EnumStrictness = 'error' | 'warning' | 'none';

/** Deprecation or removal, with the replacement named. */
export interface Deprecation {
  /** `removed`: Axolotl refuses the config when the key is set (error); `deprecated`: still works (warning). */
  status: 'deprecated' | 'removed';
  message: string;
  /** The key that replaces it, when there is one (quick fix: rename). */
  replacement?: string;
  /** Axolotl only refuses/warns when the value is truthy (most checks) or whenever it is present. */
  when?: 'truthy' | 'present';
}

/** Everything Tunelab knows about one config key, for validation, completion and hover. */
export interface KeySpec {
  key: string;
  /** The type as written (shown in hover). */
  typeText: string;
  type: ValueType;
  /** Category for grouping in docs and outlines, e.g. 'adapter', 'datasets'. */
  category: string;
  /** One paragraph: what the key does. */
  doc: string;
  /** Practical advice from fine-tuning practice (hover, completion detail). */
  advice?: string;
  /** Axolotl's schema default (undefined: unset). */
  default?: unknown;
  /** How an unset value is derived at runtime, when that differs from a plain default. */
  derived?: string;
  /** Allowed values (enumerations). */
  values?: readonly ValueDoc[];
  /** How a value outside `values` is reported; default 'error'. */
  strict?: EnumStrictness;
  /** Numeric bounds [min, max] (inclusive) and how a violation is reported. */
  range?: { min?: number; max?: number; exclusiveMin?: boolean; severity: EnumStrictness };
  deprecated?: Deprecation;
  /** Dotted class path of the plugin that owns the key: valid only when listed under `plugins:`. */
  plugin?: string;
  /** Alternative spelling accepted by Axolotl (e.g. `model_type` for field `type_of_model`). */
  aliasOf?: string;
  required?: boolean;
  /** Valid, but not offered by completion (internal fields, the field names behind aliases). */
  hidden?: boolean;
  /** Snippet (LSP snippet syntax) inserted by completion for nested blocks. */
  snippet?: string;
  /** Only meaningful in some modes (shown in hover), e.g. 'rl', 'multimodal'. */
  scope?: string;
  /** For `object` types and lists of objects: the keys of the nested object. */
  children?: ReadonlyMap<string, KeySpec>;
  /**
   * A Tunelab key: read by Tunelab's built-in trainer (and its eval), ignored by Axolotl and the
   * Hugging Face runner. Hover says so; the config check reports it as information (a warning with
   * `tunelab_engine: axolotl`).
   */
  tunelab?: boolean;
}

/** A parsed config: the yaml library's document with offsets, plus Tunelab's own bad-input diagnostics. */
export interface ConfigDocument {
  text: string;
  lines: LineIndex;
  /** null when the input was refused before parsing (too large, binary, too deep). */
  yaml: Document.Parsed | null;
  /** The root node when it is a mapping (a config is a mapping), else null. */
  root: ParsedNode | null;
  /** Plain JavaScript value (aliases resolved, bounded); undefined when it could not be built. */
  value: unknown;
  /** Syntax and bad-input diagnostics found while parsing (validateConfig includes them). */
  parseDiagnostics: Diagnostic[];
}

/** What `nodeAt` reports about a cursor position. */
export interface NodeLocation {
  /** Path of the key or value under the cursor; for a key position, the path of the key itself. */
  path: NodePath;
  /**
   * 'key': on a key or where a new key would be typed (path = parentPath + the partial key text,
   * '' on an empty line); 'value': on a value. A new or partial item of a list of mappings
   * (`datasets:` then `- |` or `- pa|`) is a key position with parentPath [list, index]; items
   * of other lists (`lora_target_modules`) are values at [list, index].
   */
  kind: 'key' | 'value';
  /** Offsets [start, end) of the token under the cursor (the text a completion replaces). */
  range: [number, number];
  /** The text of the token under the cursor ('' when empty). */
  text: string;
  /** Path of the mapping that contains the key (for key completion). */
  parentPath: NodePath;
  /** The node under the cursor, when there is one. */
  node?: Node;
}

/** One entry of the document outline. */
export interface ConfigSymbol {
  name: string;
  /** Short value text or type (e.g. 'lora', '3 entries'). */
  detail: string;
  /** Offsets of the whole key/value pair and of the key. */
  range: [number, number];
  selectionRange: [number, number];
  /** 'key' for scalars, 'object' for mappings, 'array' for sequences. */
  kind: 'key' | 'object' | 'array';
  children: ConfigSymbol[];
}

/** A finding of the dataset checks, placed by the config core. */
export interface DatasetFileFinding {
  code: string;
  severity: 1 | 2 | 3 | 4;
  message: string;
}

/** A finding of the model-aware checks (`ConfigEnv.checkModel`), placed by the config core. */
export interface ModelFinding {
  code: string;
  severity: 1 | 2 | 3 | 4;
  message: string;
  /**
   * Where it belongs, most specific first (e.g. `{ path: ['datasets', 0, 'train_on_eos'], on:
   * 'value' }`, then `{ path: ['chat_template'], on: 'value' }`); the `base_model:` value when none
   * of them is in the document.
   */
  at?: { path: NodePath; on?: 'key' | 'value' }[];
  /** Quick-fix data (`diagnostic.data`), in the shapes listed in common/config/index.ts. */
  data?: unknown;
}

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
   * entry's `type:` line by the config core, or at `path:` when there is no `type:`).
   */
  checkDatasetFile?(absPath: string, entry: Record<string, unknown>): DatasetFileFinding[];
  /**
   * Hook for the model-aware checks, called once when `base_model` names an existing local
   * directory (resolved like dataset paths; Hub ids are never passed): given that directory and the
   * plain config, returns findings the config core places at the first of their `at` anchors that
   * exists in the document, else at the `base_model:` value. `common/config/modelCheck.ts`
   * (`ConfigModelCheck`) implements it with the chat core.
   */
  checkModel?(absModelDir: string, config: Readonly<Record<string, unknown>>): ModelFinding[];
  /** Skip the local-path checks entirely (e.g. a config shown without a file system). */
  skipPathChecks?: boolean;
}

export type { Diagnostic };
