/** Small helpers of the dataset features: record positions, containers, record summaries. */
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { extname } from 'node:path';
import type { MaskedExample, Outcome } from '../common/chat/index';
import type { NormalizedRecord } from '../common/dataset/index';
import { IntList } from '../common/dataset/hash';

/** Record start lines, in file order (the dataset core's growable int list, 4 bytes a record). */
export class Lines extends IntList {
  at(i: number): number | undefined {
    return i >= 0 && i < this.length ? this.get(i) : undefined;
  }
  /** Index of the last record starting at or before `line`. */
  indexAtLine(line: number): number {
    let lo = 0;
    let hi = this.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.get(mid) <= line) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  }
}

/** The first example of a record (a long completion text has several; the view shows the first). */
export function first(r: Outcome<MaskedExample[]>): Outcome<MaskedExample> {
  if (!r.ok) return r;
  const e = r.value[0];
  return e ? { ok: true, value: e } : { ok: false, error: { code: 'chat-record-invalid', message: 'the record renders to nothing' } };
}

export function container(doc: TextDocument): 'json' | 'jsonl' {
  return extname(doc.uri.replace(/[?#].*$/, '')).toLowerCase() === '.json' || doc.languageId === 'json' ? 'json' : 'jsonl';
}

export function messagesLine(r: NormalizedRecord): string {
  if (r.kind === 'completion') return ` · completion text, ${r.text.length.toLocaleString('en-US')} characters`;
  const roles = r.conversation.messages.map((m) => m.role);
  return ` · ${roles.length} message${roles.length === 1 ? '' : 's'} (${roles.join(' → ')})`;
}
