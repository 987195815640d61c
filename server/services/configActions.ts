/**
 * Quick fixes for config diagnostics. They dispatch on the diagnostic's `data`, which the config
 * core (and the estimate) fill with what a fix needs:
 * - `{replaceKeyWith: name}`: rename a misspelt or deprecated key;
 * - `{replaceValueWith: value, addKeys?: [{key, value}]}`: replace a value (a near-miss enum value,
 *   a removed dataset type), adding the sibling keys its replacement needs;
 * - `{replacePairWith: {key, value}}`: replace the whole `key: value` pair (legacy flags), or set
 *   `key` when the diagnostic is on another key's value (`adapter: qlora` → `load_in_4bit: true`);
 * - `{addPlugin: 'dotted.Class'}`: list a plugin under `plugins:`;
 * - `{renameKeys: [{path, to}]}`: rename several keys at once;
 * - `{addKey: {key, value}}`: add a missing top-level key (e.g. `load_in_4bit: true` for QLoRA);
 * - `{setKeys: {...}}` / an array of fit suggestions (`memory-exceeds-gpu`): set top-level keys,
 *   `null` removing one.
 * Diagnostics from other sources are ignored. A diagnostic with several fixes yields several actions;
 * the first is marked preferred.
 */
import type { CodeAction, Diagnostic, TextEdit } from 'vscode-languageserver-types';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import type { ConfigDocument, NodePath } from '../../common/config/types';
import { SOURCE } from '../../common/diagnostics';
import { addSiblingKeys, pairAt, removeTopLevelKey, replacePair, setTopLevelKey, yamlText } from './yamlEdits';
import { pairAtPath } from '../../common/config/index';

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

/**
 * `replacePairWith`: when the diagnostic sits on a key (`flash_attention: true`), that pair becomes
 * `key: value` (or, when `key` is already set, the old pair goes and the existing one is set); when
 * it sits on a value (`adapter: qlora` needing `load_in_4bit: true`), `key` is set where it is, or
 * added next to the pair.
 */
function replacePairEdits(doc: TextDocument, cfg: ConfigDocument, d: Diagnostic, key: string, value: unknown): TextEdit[] {
  const at = doc.offsetAt(d.range.start);
  const pair = pairAt(cfg, at);
  const kr = (pair?.key as { range?: [number, number, number] } | null | undefined)?.range;
  const onKey = kr !== undefined && at >= kr[0] && at <= kr[1];
  const exists = isRecord(cfg.value) && Object.prototype.hasOwnProperty.call(cfg.value, key);
  const pairKey = isRecord(pair?.key) && 'value' in (pair!.key as object) ? String((pair!.key as { value: unknown }).value) : undefined;
  if (onKey && pairKey !== key && exists) return [...removeTopLevelKey(doc, cfg, pairKey ?? ''), ...setTopLevelKey(doc, cfg, key, value, at)];
  if (onKey) return replacePair(doc, cfg, at, key, value);
  return setTopLevelKey(doc, cfg, key, value, at);
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
      out.push(action(`Replace with '${key}: ${short(value)}'`, doc, replacePairEdits(doc, cfg, d, key, value), d));
    }
    if (typeof data.addPlugin === 'string') {
      const plugin = data.addPlugin;
      const listed = isRecord(cfg.value) && Array.isArray(cfg.value.plugins) ? cfg.value.plugins : [];
      if (!listed.includes(plugin)) out.push(action(`Add plugin ${plugin.slice(plugin.lastIndexOf('.') + 1)}`, doc, setTopLevelKey(doc, cfg, 'plugins', [...listed, plugin], at), d));
    }
    if (Array.isArray(data.renameKeys)) {
      const edits: TextEdit[] = [];
      const names: string[] = [];
      for (const r of data.renameKeys) {
        if (!isRecord(r) || !Array.isArray(r.path) || typeof r.to !== 'string') continue;
        const pair = pairAtPath(cfg, r.path as NodePath);
        const kr = (pair?.key as { range?: [number, number, number] } | null | undefined)?.range;
        if (!kr) continue;
        edits.push({ range: { start: doc.positionAt(kr[0]), end: doc.positionAt(kr[1]) }, newText: r.to });
        names.push(r.to);
      }
      if (edits.length) out.push(action(`Rename to ${names.map((n) => `'${n}'`).join(', ')}`, doc, edits, d));
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
