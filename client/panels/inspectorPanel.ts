import { promises as fs } from 'node:fs';
import { basename, dirname } from 'node:path';
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { parse as parseYaml } from 'yaml';
import type { DatasetEntry } from '../../common/dataset';
import { resolveLocalPath } from '../../common/paths';
import { LspRequests, type LossMaskParams, type LossMaskResult } from '../../common/protocol/lsp';
import { parseInspectorToHost, type HostToInspector, type InspectorToHost, type RecordDetail } from '../../common/protocol/webview';
import { DatasetSession } from '../dataset/session';
import { PanelHost, panelOptions, type PanelSpec } from './panel';

const spec: PanelSpec<InspectorToHost> = { kind: 'inspector', title: 'Dataset Inspector', parseIncoming: parseInspectorToHost };
export const INSPECTOR_VIEW_TYPE = 'tunelab.inspector';
/** Records whose token lengths are measured for the histogram (through the language server). */
const TOKEN_SAMPLE = 300;
/** Editors hand extensions documents up to 50 MB; larger datasets are inspected without the server. */
const MAX_OPEN_BYTES = 50 * 1024 * 1024;

/** The config that trains on a dataset: its sequence_len and the dataset's entry (mappings). */
export interface DatasetConfig {
  configPath: string;
  sequenceLen: number | null;
  entry: DatasetEntry | undefined;
}

/**
 * Dataset inspector panels, one per file. Each panel owns a {@link DatasetSession}; the loss mask
 * comes from the language server (`tunelab/lossMask`), the one place that renders templates.
 */
export class InspectorController implements vscode.Disposable {
  private readonly open = new Map<string, PanelHost<InspectorToHost, HostToInspector>>();

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly client: () => LanguageClient | undefined,
    private readonly log: (line: string) => void,
  ) {}

  /** Opens a dataset (or reveals its panel), optionally selecting a record. */
  show(file: vscode.Uri, record?: number): void {
    const existing = this.open.get(file.fsPath);
    if (existing) {
      existing.panel.reveal();
      return;
    }
    const panel = vscode.window.createWebviewPanel(INSPECTOR_VIEW_TYPE, `Inspect ${basename(file.fsPath)}`, vscode.ViewColumn.Active, panelOptions(this.extensionUri, spec));
    this.attach(panel, file, record);
  }

  /** After a window reload: the webview saved its file path in its state. */
  revive(panel: vscode.WebviewPanel, state: unknown): void {
    const path = typeof state === 'object' && state !== null && typeof (state as { path?: unknown }).path === 'string' ? (state as { path: string }).path : undefined;
    if (!path) {
      panel.dispose();
      return;
    }
    this.attach(panel, vscode.Uri.file(path));
  }

  dispose(): void {
    for (const p of this.open.values()) p.dispose();
  }

  private attach(panel: vscode.WebviewPanel, file: vscode.Uri, record?: number): void {
    const host = new PanelHost<InspectorToHost, HostToInspector>(panel, this.extensionUri, spec, this.log);
    this.open.set(file.fsPath, host);
    let session: DatasetSession | undefined;
    const subs = [
      host.onReady(async () => {
        session?.dispose();
        const config = await findConfigFor(file.fsPath).catch(() => undefined);
        const s = new DatasetSession(file.fsPath, {
          post: (m) => host.post(m),
          trusted: vscode.workspace.isTrusted,
          sequenceLen: config?.sequenceLen ?? null,
          entry: config?.entry,
          mask: (index) => this.mask(file, index),
          tokenLengths: (indexes) => this.tokenLengths(file, indexes),
        });
        session = s;
        try {
          await s.open();
          if (record !== undefined && session === s) await s.select(record);
        } catch (e) {
          host.post({ type: 'error', message: `Could not read ${file.fsPath}: ${(e as Error).message}` });
        }
      }),
      host.onMessage(async (m) => {
        if (!session) return;
        switch (m.type) {
          case 'filter':
            return session.setFilter(m.filter);
          case 'window':
            return session.window(m.viewId, m.start, m.count);
          case 'select':
            return session.select(m.index);
          case 'reveal': {
            if (m.index >= session.index.count) return;
            const line = session.index.lineOf(m.index);
            const pos = new vscode.Position(line, 0);
            await vscode.window.showTextDocument(file, { selection: new vscode.Range(pos, pos), viewColumn: vscode.ViewColumn.Beside });
            return;
          }
        }
      }),
    ];
    host.onDidDispose(() => {
      session?.dispose();
      for (const s of subs) s.dispose();
      if (this.open.get(file.fsPath) === host) this.open.delete(file.fsPath);
    });
  }

  private async mask(file: vscode.Uri, index: number): Promise<RecordDetail['mask']> {
    const client = this.client();
    if (!client?.isRunning()) return { ok: false, reason: 'The Tunelab language server is not running: the loss mask comes from it.' };
    const size = (await fs.stat(file.fsPath)).size;
    if (size > MAX_OPEN_BYTES) {
      return { ok: false, reason: `The loss-mask view works on files up to ${MAX_OPEN_BYTES / 1024 / 1024} MB (the language server reads them as open documents). For this one run: tunelab inspect "${file.fsPath}" --record ${index + 1} --model DIR` };
    }
    // The server masks open documents: open it (without showing it) so that it has this file.
    await vscode.workspace.openTextDocument(file);
    const params: LossMaskParams = { uri: file.toString(), record: index };
    const r = await client.sendRequest<LossMaskResult>(LspRequests.lossMask, params);
    if (!r) return { ok: false, reason: 'The language server gave no loss mask for this file.' };
    if (!r.ok) return { ok: false, reason: r.reason };
    return { ok: true, model: r.model, tokens: r.tokens.map((t) => ({ text: t.text, trained: t.trained })), trained: r.trained, truncated: r.truncated };
  }

  private async tokenLengths(file: vscode.Uri, indexes: number[]): Promise<number[] | null> {
    const client = this.client();
    if (!client?.isRunning() || (await fs.stat(file.fsPath)).size > MAX_OPEN_BYTES) return null;
    await vscode.workspace.openTextDocument(file);
    const step = Math.max(1, Math.ceil(indexes.length / TOKEN_SAMPLE));
    const out: number[] = [];
    for (let k = 0; k < indexes.length; k += step) {
      const r = await client.sendRequest<LossMaskResult>(LspRequests.lossMask, { uri: file.toString(), record: indexes[k]! } satisfies LossMaskParams);
      if (!r) return null;
      if (!r.ok) {
        if (out.length === 0) return null; // no model known: characters instead
        continue;
      }
      out.push(r.tokens.length + r.truncated);
    }
    return out;
  }
}

/**
 * The config in the workspace whose `datasets:` points at this file (resolved with the same rule
 * as the trainer), for sequence_len and the entry's mappings.
 */
export async function findConfigFor(datasetPath: string): Promise<DatasetConfig | undefined> {
  const roots = (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath);
  const files = await vscode.workspace.findFiles('**/*.{yml,yaml}', '{**/node_modules/**,**/.git/**}', 300);
  const name = basename(datasetPath);
  for (const f of files) {
    const text = await fs.readFile(f.fsPath, 'utf8').catch(() => '');
    if (!text.includes(name)) continue;
    let doc: unknown;
    try {
      doc = parseYaml(text, { maxAliasCount: 100 });
    } catch {
      continue;
    }
    if (!doc || typeof doc !== 'object') continue;
    const d = doc as Record<string, unknown>;
    const datasets = Array.isArray(d.datasets) ? d.datasets : [];
    for (const e of datasets) {
      if (!e || typeof e !== 'object' || typeof (e as { path?: unknown }).path !== 'string') continue;
      const r = resolveLocalPath((e as { path: string }).path, { configDir: dirname(f.fsPath), workspaceRoots: roots });
      if (r.path === datasetPath) {
        const seq = typeof d.sequence_len === 'number' && d.sequence_len > 0 ? Math.floor(d.sequence_len) : null;
        return { configPath: f.fsPath, sequenceLen: seq, entry: e as DatasetEntry };
      }
    }
  }
  return undefined;
}
