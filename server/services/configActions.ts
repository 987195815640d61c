/**
 * Quick fixes for config diagnostics. They dispatch on the diagnostic's `data`, which the config
 * core (and the estimate) fill with what a fix needs:
 * - `{replaceKeyWith: name}`: rename a misspelt or deprecated key;
 * - `{replaceValueWith: value, addKeys?: [{key, value}]}`: replace a value (a near-miss enum value,
 *   a removed dataset type), adding the sibling keys its replacement needs;
 * - `{replacePairWith: {key, value}}`: replace the whole `key: value` pair (legacy flags);
 * - `{addKey: {key, value}}`: add a missing top-level key (e.g. `load_in_4bit: true` for QLoRA);
 * - `{setKeys: {...}}` / an array of fit suggestions (`memory-exceeds-gpu`): set top-level keys,
 *   `null` removing one.
 * Diagnostics from other sources are ignored. A diagnostic with several fixes yields several actions;
 * the first is marked preferred.
 */
import type { CodeAction, Diagnostic, TextEdit } from 'vscode-languageserver-types';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import type { ConfigDocument } from '../../common/config/types';
import { SOURCE } from '../../common/diagnostics';
import { addSiblingKeys, removeTopLevelKey, replacePair, setTopLevelKey, yamlText } from './yamlEdits';

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

const short = (v: unknown): string => {
  const t = yamlText(v, 0).trim();
  return t.length > 40 ? `${t.slice(0, 37)}…` : t || 'null';
};

function action(title: string, doc: TextDocument, edits: TextEdit[], diagnostic: Diagnostic): CodeAction | undefined {
  if (edits.length === 0) return undefined;
  return { title, kind: 'quickfix', diagnostics: [diagnostic], edit: { changes: { [doc.uri]: edits } } };
}

/** Edits that set several top-level keys at once (null removes a key). */
function setKeysEdits(doc: TextDocument, cfg: ConfigDocument, patch: Record<string, unknown>, near: number): TextEdit[] {
  const edits: TextEdit[] = [];
  for (const [k, v] of Object.entries(patch)) edits.push(...(v === null ? removeTopLevelKey(doc, cfg, k) : setTopLevelKey(doc, cfg, k, v, near)));
  // Two insertions at the same point would interleave unpredictably; merge them in patch order.
  const merged: TextEdit[] = [];
  for (const e of edits) {
    const same = merged.find((m) => m.range.start.line === e.range.start.line && m.range.start.character === e.range.start.character && m.range.end.line === e.range.end.line && m.range.end.character === e.range.end.character && m.range.start.line === m.range.end.line && m.range.start.character === m.range.end.character);
    if (same) same.newText += e.newText;
    else merged.push({ ...e });
  }
  return merged;
}

function fixesFor(doc: TextDocument, cfg: ConfigDocument, d: Diagnostic): CodeAction[] {
  const data = d.data;
  const at = doc.offsetAt(d.range.start);
  const out: (CodeAction | undefined)[] = [];
  if (isRecord(data)) {
    if (typeof data.replaceKeyWith === 'string') {
      const name = data.replaceKeyWith;
      out.push(action(`Rename to '${name}'`, doc, [{ range: d.range, newText: name }], d));
    }
    if (data.replaceValueWith !== undefined) {
      const v = data.replaceValueWith;
      const edits: TextEdit[] = [{ range: d.range, newText: typeof v === 'string' ? yamlText(v, 0).trim() : yamlText(v, doc.positionAt(at).character).trimStart() }];
      // A removed dataset type comes with the mapping keys its modern form needs: one fix for both.
      const extra = Array.isArray(data.addKeys) ? data.addKeys.filter((x): x is { key: string; value: unknown } => isRecord(x) && typeof x.key === 'string') : [];
      const added = extra.length ? addSiblingKeys(doc, cfg, at, extra) : [];
      const also = added.length ? ` and add ${extra.map((x) => x.key).join(', ')}` : '';
      out.push(action(`Replace with '${short(v)}'${also}`, doc, [...edits, ...added], d));
    }
    if (isRecord(data.replacePairWith) && typeof data.replacePairWith.key === 'string') {
      const { key, value } = data.replacePairWith;
      out.push(action(`Replace with '${key}: ${short(value)}'`, doc, replacePair(doc, cfg, at, key, value), d));
    }
    if (isRecord(data.addKey) && typeof data.addKey.key === 'string') {
      const { key, value } = data.addKey;
      const title = value === '' || value === null || value === undefined ? `Add '${key}:'` : `Add '${key}: ${short(value)}'`;
      out.push(action(title, doc, setTopLevelKey(doc, cfg, key, value === '' ? null : value, at), d));
    }
    if (isRecord(data.setKeys)) {
      const patch = data.setKeys;
      out.push(action(`Set ${Object.entries(patch).map(([k, v]) => `${k}: ${short(v)}`).join(', ')}`, doc, setKeysEdits(doc, cfg, patch, at), d));
    }
  }
  // memory-exceeds-gpu carries the estimate's fit suggestions: one action per suggestion that fits.
  const suggestions = Array.isArray(data) ? data : isRecord(data) && Array.isArray(data.suggestions) ? data.suggestions : [];
  for (const s of suggestions) {
    if (!isRecord(s) || !isRecord(s.patch) || s.fits === false) continue;
    const gb = typeof s.perGpu === 'number' ? ` (≈ ${(s.perGpu / 2 ** 30).toFixed(1)} GiB per GPU)` : '';
    out.push(action(`Make it fit: ${String(s.label ?? 'apply')}${gb}`, doc, setKeysEdits(doc, cfg, s.patch, at), d));
  }
  const actions = out.filter((a): a is CodeAction => a !== undefined);
  if (actions.length > 0) actions[0]!.isPreferred = true;
  return actions;
}

/** Quick fixes for the Tunelab diagnostics in `diagnostics` (what the client sends as context). */
export function configCodeActions(doc: TextDocument, cfg: ConfigDocument, diagnostics: readonly Diagnostic[]): CodeAction[] {
  const out: CodeAction[] = [];
  for (const d of diagnostics) {
    if (d.source !== SOURCE) continue;
    out.push(...fixesFor(doc, cfg, d));
  }
  return out;
}
