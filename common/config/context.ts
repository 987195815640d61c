import type { Diagnostic, DiagnosticSeverity, Range } from 'vscode-languageserver-types';
import { isScalar, type Node } from 'yaml';
import { diagnostic } from '../diagnostics';
import { nodeAtPath, nodeRange, pairAtPath } from './nodes';
import { PLUGIN_CLASSES } from './schema/index';
import type { ConfigDocument, ConfigEnv, NodePath } from './types';

/**
 * Python truthiness, as Axolotl's `data.get(k)` checks see it: None, false, 0, "", [] and {}
 * count as "not set".
 */
export function truthy(v: unknown): boolean {
  if (v === null || v === undefined || v === false || v === 0 || v === '') return false;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === 'object') return Object.keys(v as object).length > 0;
  return true;
}

export const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Where a diagnostic goes: on the key of a path, or on its value. */
export type Anchor = { path: NodePath; on?: 'key' | 'value' };

/**
 * What cross-field rules and advice see: the plain config values (aliases resolved) and the
 * positions of their keys and values, plus a sink for diagnostics.
 */
export class RuleContext {
  readonly cfg: Record<string, unknown>;
  readonly diagnostics: Diagnostic[] = [];
  /** Diagnostics per code so far: one code never floods the list (a file of 10,000 typos). */
  private readonly perCode = new Map<string, number>();
  static readonly MAX_PER_CODE = 100;
  /** Short class names of the plugins listed under `plugins:`. */
  readonly plugins: ReadonlySet<string>;
  /**
   * Set when `base_model` is a local directory that `env.checkModel` looked at: its own files
   * (config.json `model_type`) then decide whether the chat template fits, not the folder's name.
   */
  localModelChecked = false;

  constructor(
    readonly doc: ConfigDocument,
    readonly env: ConfigEnv,
  ) {
    this.cfg = isPlainObject(doc.value) ? doc.value : {};
    const listed = Array.isArray(this.cfg.plugins) ? this.cfg.plugins : [];
    this.plugins = new Set(listed.filter((p): p is string => typeof p === 'string').map((p) => p.slice(p.lastIndexOf('.') + 1).trim()));
  }

  get(key: string): unknown {
    return this.cfg[key];
  }

  /** Set to something truthy in the YAML (Axolotl's `data.get(key)`). */
  on(key: string): boolean {
    return truthy(this.cfg[key]);
  }

  /** Present and not null (Axolotl's `data.get(key) is not None`). */
  has(key: string): boolean {
    return this.cfg[key] !== undefined && this.cfg[key] !== null;
  }

  str(key: string): string | undefined {
    const v = this.cfg[key];
    return typeof v === 'string' ? v : undefined;
  }

  num(key: string): number | undefined {
    const v = this.cfg[key];
    if (typeof v === 'number') return v;
    if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
    return undefined;
  }

  pluginEnabled(pluginPath: string): boolean {
    return this.plugins.has(pluginPath.slice(pluginPath.lastIndexOf('.') + 1));
  }

  /** Whether the plugin owning a key is listed; keys of no plugin are always active. */
  keyActive(pluginPath: string | undefined): boolean {
    return pluginPath === undefined || this.pluginEnabled(pluginPath);
  }

  /** The LSP range of a key (or its value); the document start when the path is absent. */
  rangeOf(anchor: Anchor): Range | undefined {
    const { path, on = 'key' } = anchor;
    if (path.length === 0) return this.doc.lines.range(0, 0);
    let r: [number, number] | undefined;
    if (on === 'value') {
      const n = nodeAtPath(this.doc, path);
      r = nodeRange(n as Node | undefined);
      if (r && r[0] === r[1]) r = undefined; // empty value: fall back to the key
    }
    if (!r) {
      const last = path[path.length - 1];
      if (typeof last === 'number') r = nodeRange(nodeAtPath(this.doc, path) as Node | undefined);
      else r = nodeRange(pairAtPath(this.doc, path)?.key as Node | undefined);
    }
    return r ? this.doc.lines.range(r[0], r[1]) : undefined;
  }

  /**
   * Reports at the first anchor that exists in the document (rules name the key that causes the
   * problem first, then fallbacks). Nothing is reported when no anchor exists, except for the
   * document start when `orStart` is set (e.g. a missing required key).
   */
  report(code: string, severity: DiagnosticSeverity, anchors: Anchor | Anchor[], message: string, data?: unknown, orStart = false): void {
    if (this.saturated(code)) return;
    this.perCode.set(code, (this.perCode.get(code) ?? 0) + 1);
    const list = Array.isArray(anchors) ? anchors : [anchors];
    for (const a of list) {
      const r = this.rangeOf(a);
      if (r) {
        this.diagnostics.push(diagnostic(code, severity, r, message, data));
        return;
      }
    }
    if (orStart) this.diagnostics.push(diagnostic(code, severity, this.doc.lines.range(0, 0), message, data));
  }

  /** Whether `code` has reached its cap (callers skip expensive work, e.g. did-you-mean). */
  saturated(code: string): boolean {
    return (this.perCode.get(code) ?? 0) >= RuleContext.MAX_PER_CODE;
  }

  /** The scalar text of a value node, for messages. */
  valueText(path: NodePath): string | undefined {
    const n = nodeAtPath(this.doc, path);
    return isScalar(n) ? String(n.value) : undefined;
  }
}

/** Plugin class names known to own keys (short name → dotted path). */
export const KNOWN_PLUGIN_CLASSES = PLUGIN_CLASSES;
