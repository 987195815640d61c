/**
 * Code lenses at the top of a config: the memory and parameter estimate
 * ("≈ 9.8 GiB per GPU · LoRA · 4.2 M trainable (0.06 %)", or why there is none) and "Train". Their
 * commands are implemented by the client (common/protocol/lsp.ts `LspCommands`).
 */
import type { CodeLens } from 'vscode-languageserver-types';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import type { ConfigDocument } from '../../common/config/types';
import { LspCommands } from '../../common/protocol/lsp';
import type { ConfigEstimate } from './configEstimate';

/** The line the lenses go on: the first key of the document (after leading comments). */
function lensLine(doc: TextDocument, cfg: ConfigDocument): number {
  const root = cfg.yaml?.contents as { range?: [number, number, number] } | null | undefined;
  return root?.range ? doc.positionAt(root.range[0]).line : 0;
}

export function configCodeLenses(doc: TextDocument, cfg: ConfigDocument, estimate: ConfigEstimate): CodeLens[] {
  const line = lensLine(doc, cfg);
  const range = { start: { line, character: 0 }, end: { line, character: 0 } };
  const lenses: CodeLens[] = [];
  if (estimate.ok) {
    lenses.push({ range, command: { title: estimate.result.title, command: LspCommands.showEstimate, arguments: [doc.uri, estimate.result] } });
  } else if (estimate.reason) {
    lenses.push({ range, command: { title: `Estimate unavailable: ${estimate.reason}`, command: LspCommands.showEstimate, arguments: [doc.uri, { ok: false, reason: estimate.reason }] } });
  }
  lenses.push({ range, command: { title: '▷ Train', command: LspCommands.train, arguments: [doc.uri] } });
  return lenses;
}
