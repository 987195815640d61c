/**
 * Hover in a config: what a key does, its type, default, allowed values and the practical advice;
 * on an enumeration value, that value's own documentation first. On `base_model`, the memory and
 * parameter estimate breakdown when one is available (passed in, computed by the caller).
 */
import type { Hover, Position } from 'vscode-languageserver-types';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { keySpec, nodeAt } from '../../common/config/index';
import type { ConfigDocument } from '../../common/config/types';
import { code, keyMarkdown } from './markdown';

export interface HoverExtras {
  /** Markdown appended to the hover of `base_model` (the estimate breakdown). */
  estimateMarkdown?: string;
}

export function configHover(doc: TextDocument, cfg: ConfigDocument, position: Position, extras: HoverExtras = {}): Hover | null {
  const offset = doc.offsetAt(position);
  const loc = nodeAt(cfg, offset);
  if (!loc.node || loc.range[0] === loc.range[1]) return null;
  const spec = keySpec(loc.path);
  if (!spec) return null;
  const parts: string[] = [];
  if (loc.kind === 'value') {
    const v = spec.values?.find((x) => x.value === loc.text);
    if (v) parts.push(`${code(`${spec.key}: ${v.value}`)}${v.doc ? ` — ${v.doc}` : ''}${v.deprecated ? `\n\n⚠️ Deprecated: ${v.deprecated}` : ''}`, '---');
  }
  parts.push(keyMarkdown(spec));
  if (extras.estimateMarkdown && loc.path.length === 1 && (loc.path[0] === 'base_model' || loc.path[0] === 'base_model_config')) {
    parts.push('---', extras.estimateMarkdown);
  }
  return {
    contents: { kind: 'markdown', value: parts.join('\n\n') },
    range: { start: doc.positionAt(loc.range[0]), end: doc.positionAt(loc.range[1]) },
  };
}
