/**
 * Completion lists compacted with LSP 3.17 `itemDefaults` when the client supports them: a
 * top-level key list has ~300 items that all replace the same range, so sending the range once
 * (and the common insert format once) halves the answer, and with it the time to encode, send and
 * decode it on every keystroke.
 */
import type { CompletionItem, CompletionList, Range } from 'vscode-languageserver-types';

const sameRange = (a: Range, b: Range) => a.start.line === b.start.line && a.start.character === b.start.character && a.end.line === b.end.line && a.end.character === b.end.character;

/** `supported`: the client's `completionList.itemDefaults` capability. */
export function compactCompletionList(list: CompletionList, supported: readonly string[]): CompletionList {
  const items = list.items;
  if (items.length < 2) return list;
  const out: CompletionList = { isIncomplete: list.isIncomplete, items };
  if (supported.includes('editRange')) {
    const first = items[0]!.textEdit;
    const range = first && 'range' in first ? first.range : undefined;
    if (range && items.every((i) => i.textEdit && 'range' in i.textEdit && sameRange(i.textEdit.range, range))) {
      out.itemDefaults = { editRange: range };
      out.items = items.map((i) => {
        const { textEdit, ...rest } = i;
        return { ...rest, textEditText: textEdit!.newText } as CompletionItem;
      });
    }
  }
  if (supported.includes('insertTextFormat')) {
    const snippet = out.items.filter((i) => i.insertTextFormat === 2).length;
    if (snippet * 2 > out.items.length) {
      // Plain items must read the same as snippets: they carry no `$`, `}` or `\`.
      const plainSafe = out.items.every((i) => i.insertTextFormat === 2 || !/[$}\\]/.test(i.textEditText ?? (i.textEdit?.newText ?? i.label)));
      if (plainSafe) {
        out.itemDefaults = { ...out.itemDefaults, insertTextFormat: 2 };
        out.items = out.items.map((i) => {
          const { insertTextFormat: _f, ...rest } = i;
          return rest;
        });
      }
    }
  }
  return out;
}
