/** Helpers for service tests: `|` cursor fixtures and applying edits. */
import { TextDocument } from 'vscode-languageserver-textdocument';
import type { Position, TextEdit, WorkspaceEdit } from 'vscode-languageserver-types';

/** A document from text with one `|` marking the cursor; returns the document and the position. */
export function withCursor(marked: string, uri = 'file:///work/config.yml', languageId = 'yaml'): { doc: TextDocument; position: Position; text: string } {
  const at = marked.indexOf('|');
  if (at < 0 || marked.indexOf('|', at + 1) >= 0) throw new Error('a fixture needs exactly one | cursor');
  const text = marked.slice(0, at) + marked.slice(at + 1);
  const doc = TextDocument.create(uri, languageId, 1, text);
  return { doc, position: doc.positionAt(at), text };
}

export const docOf = (text: string, uri = 'file:///work/config.yml', languageId = 'yaml') => TextDocument.create(uri, languageId, 1, text);

/** The text after applying edits. */
export function applyEdits(doc: TextDocument, edits: TextEdit[]): string {
  return TextDocument.applyEdits(doc, edits);
}

/** The text after applying a workspace edit's changes for this document. */
export function applyWorkspaceEdit(doc: TextDocument, edit: WorkspaceEdit | undefined): string {
  return applyEdits(doc, edit?.changes?.[doc.uri] ?? []);
}
