/** Small Markdown helpers shared by hover and completion documentation. */
import type { KeySpec, ValueDoc } from '../../common/config/types';

/** Inline code that survives backticks in the value. */
export function code(text: string): string {
  const ticks = text.includes('`') ? '``' : '`';
  const pad = text.startsWith('`') || text.endsWith('`') ? ' ' : '';
  return `${ticks}${pad}${text}${pad}${ticks}`;
}

/** Escapes Markdown's special characters in plain text. */
export const escapeMarkdown = (text: string): string => text.replace(/([\\`*_{}[\]<>#|])/g, '\\$1');

/** How a YAML value is written, for defaults. */
export function yamlValue(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v === 'string') return v === '' ? '""' : v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  try {
    return JSON.stringify(v);
  } catch {
    return String(v);
  }
}

function valueLine(v: ValueDoc): string {
  const deprecated = v.deprecated ? ` *(deprecated: ${v.deprecated})*` : '';
  const tunelab = v.tunelab ? ' *(Tunelab only)*' : '';
  return `- ${code(v.value)}${tunelab}${v.doc ? ` — ${v.doc}` : ''}${deprecated}`;
}

/**
 * The full documentation of a key: what it does, its type, default, allowed values, the practical
 * advice and any deprecation. Used by hover and by completion items.
 */
export function keyMarkdown(spec: KeySpec, options: { title?: boolean; maxValues?: number } = {}): string {
  const out: string[] = [];
  if (options.title !== false) out.push(`**${spec.key}** · ${code(spec.typeText)}${spec.required ? ' · required' : ''}`);
  if (spec.deprecated) {
    const verb = spec.deprecated.status === 'removed' ? 'Removed' : 'Deprecated';
    const repl = spec.deprecated.replacement ? ` Use ${code(spec.deprecated.replacement)} instead.` : '';
    out.push(`⚠️ **${verb}:** ${spec.deprecated.message}${repl}`);
  }
  if (spec.doc) out.push(spec.doc);
  const facts: string[] = [];
  if (spec.default !== undefined) facts.push(`Default: ${code(yamlValue(spec.default))}`);
  if (spec.derived) facts.push(`When unset: ${spec.derived}`);
  if (spec.range) {
    const lo = spec.range.min !== undefined ? `${spec.range.exclusiveMin ? '>' : '≥'} ${spec.range.min}` : '';
    const hi = spec.range.max !== undefined ? `≤ ${spec.range.max}` : '';
    facts.push(`Range: ${[lo, hi].filter(Boolean).join(', ')}`);
  }
  if (spec.plugin) facts.push(`Plugin: ${code(spec.plugin)} (list it under ${code('plugins:')})`);
  if (spec.tunelab) facts.push("Tunelab key: read by Tunelab's built-in trainer, ignored by Axolotl");
  if (spec.aliasOf) facts.push(`Alias of ${code(spec.aliasOf)}`);
  if (spec.scope) facts.push(`Only for: ${spec.scope}`);
  if (facts.length) out.push(facts.join('  \n'));
  if (spec.values?.length) {
    const max = options.maxValues ?? 40;
    const shown = spec.values.slice(0, max).map(valueLine);
    if (spec.values.length > max) shown.push(`- … and ${spec.values.length - max} more`);
    out.push(`Allowed values${spec.strict === 'warning' ? ' (others may still work)' : ''}:\n${shown.join('\n')}`);
  }
  if (spec.advice) out.push(`> 💡 ${spec.advice}`);
  return out.join('\n\n');
}
