/**
 * Which documents the server serves. A document selector plus a content check, never "every
 * YAML file": a YAML document is a config when it looks like one (decided by the config core,
 * common/config/detect.ts: a top-level `base_model` key, at least three Axolotl-only top-level keys
 * such as `datasets`, `adapter`, `micro_batch_size`, or a `# tunelab` marker; never a mergekit
 * config) or matches a `tunelab.configFiles` glob; a JSON
 * Lines / JSON document is a dataset when its content is dataset-shaped. Everything else gets
 * nothing from us (no diagnostics, no completion), so other YAML and JSON tooling is undisturbed.
 */
import { extensionOf, uriToPath } from './uri';
import { matchesAnyGlob } from './glob';

/** `merge`: a mergekit merge config (common/merge), served by server/mergeFeatures.ts. */
export type DocumentKind = 'config' | 'merge' | 'dataset' | 'none';

export interface SelectionInput {
  uri: string;
  languageId: string;
  text: string;
}

export interface SelectionContext {
  configFiles: readonly string[];
  roots: readonly string[];
  /** The config core's content check. */
  looksLikeConfig(text: string): boolean;
  /** The merge core's content check (mergekit configs); none: never `merge`. */
  looksLikeMergeConfig?(text: string): boolean;
}

const YAML_EXT = new Set(['.yml', '.yaml']);
const JSONL_EXT = new Set(['.jsonl', '.ndjson']);

/** Keys that make the first JSON object look like a dataset record rather than a settings file. */
const RECORD_KEYS = ['messages', 'conversations', 'conversation', 'instruction', 'output', 'text', 'prompt', 'completion', 'chosen', 'rejected', 'query', 'response'];

export function classify(doc: SelectionInput, ctx: SelectionContext): DocumentKind {
  const ext = extensionOf(doc.uri);
  const lang = doc.languageId;
  if (lang === 'dockercompose' || lang === 'github-actions-workflow') return 'none';
  if (lang === 'yaml' || YAML_EXT.has(ext)) {
    if (ctx.looksLikeMergeConfig?.(doc.text)) return 'merge';
    const path = uriToPath(doc.uri);
    if (path && matchesAnyGlob(path, ctx.configFiles, ctx.roots)) return 'config';
    return ctx.looksLikeConfig(doc.text) ? 'config' : 'none';
  }
  if (lang === 'jsonl' || JSONL_EXT.has(ext)) return looksLikeJsonLines(doc.text) ? 'dataset' : 'none';
  if (lang === 'json' || lang === 'jsonc' || ext === '.json') return looksLikeJsonArrayDataset(doc.text) ? 'dataset' : 'none';
  return 'none';
}

/** Leading whitespace and a UTF-8 BOM are skipped. */
function firstNonSpace(text: string, from = 0): number {
  let i = from;
  if (i === 0 && text.charCodeAt(0) === 0xfeff) i = 1;
  while (i < text.length && /\s/.test(text[i]!)) i++;
  return i;
}

/**
 * JSON Lines: the first non-blank line starts an object (or the file is empty, or the first line
 * is broken JSON that the checks will report). A JSONL file is data by definition; what we filter
 * out is only the odd file that holds something else entirely.
 */
function looksLikeJsonLines(text: string): boolean {
  const i = firstNonSpace(text);
  if (i >= text.length) return true;
  return text[i] === '{' || text[i] === '[';
}

/**
 * A `.json` file is a dataset only when it is an array whose first element is an object with a
 * record key (`messages`, `instruction`, ...): package.json, tsconfig.json and friends are not.
 * Only the first few KB are looked at.
 */
function looksLikeJsonArrayDataset(text: string): boolean {
  const i = firstNonSpace(text);
  if (text[i] !== '[') return false;
  const j = firstNonSpace(text, i + 1);
  if (text[j] !== '{') return false;
  const head = text.slice(j, j + 4096);
  return RECORD_KEYS.some((k) => head.includes(`"${k}"`));
}
