/** The config outline (document symbols), from the config core's symbol tree. */
import type { DocumentSymbol, SymbolInformation } from 'vscode-languageserver-types';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { configSymbols } from '../../common/config/index';
import type { ConfigDocument, ConfigSymbol } from '../../common/config/types';

const KIND = { key: 7 /* Property */, object: 19 /* Object */, array: 18 /* Array */ } as const;

function toSymbol(doc: TextDocument, s: ConfigSymbol): DocumentSymbol {
  const range = { start: doc.positionAt(s.range[0]), end: doc.positionAt(s.range[1]) };
  let selectionRange = { start: doc.positionAt(s.selectionRange[0]), end: doc.positionAt(s.selectionRange[1]) };
  // LSP requires the selection inside the range; guard against odd nodes rather than be rejected.
  if (s.selectionRange[0] < s.range[0] || s.selectionRange[1] > s.range[1]) selectionRange = range;
  const out: DocumentSymbol = { name: s.name || '(empty)', kind: KIND[s.kind], range, selectionRange, children: s.children.map((c) => toSymbol(doc, c)) };
  if (s.detail) out.detail = s.detail;
  return out;
}

/** Hierarchical symbols, or flat ones for clients without hierarchy support. */
export function configDocumentSymbols(doc: TextDocument, cfg: ConfigDocument, hierarchical: boolean): DocumentSymbol[] | SymbolInformation[] {
  const tree = configSymbols(cfg).map((s) => toSymbol(doc, s));
  if (hierarchical) return tree;
  const flat: SymbolInformation[] = [];
  const walk = (ss: DocumentSymbol[], container?: string) => {
    for (const s of ss) {
      const info: SymbolInformation = { name: s.name, kind: s.kind, location: { uri: doc.uri, range: s.range } };
      if (container) info.containerName = container;
      flat.push(info);
      if (s.children) walk(s.children, s.name);
    }
  };
  walk(tree);
  return flat;
}
