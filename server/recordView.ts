/**
 * The hover of a dataset record: the record rendered with the model's chat template, trained
 * spans marked, and the token counts. With clients that allow `<span style>` in Markdown (VS Code
 * with supportHtml) trained text is highlighted; elsewhere it is wrapped in ⟦ ⟧ inside a code
 * block, which reads the same in Neovim, Helix or Emacs.
 */
import type { MaskedExample } from '../common/chat/index';

/** Most characters of rendered text shown in a hover; the rest is summarised. */
const MAX_CHARS = 6000;

interface Segment {
  text: string;
  trained: boolean;
}

/** Contiguous runs of trained / masked text; characters no token covers count as masked. */
export function segmentsOf(example: Pick<MaskedExample, 'text' | 'offsets' | 'trained'>, limit = MAX_CHARS): { segments: Segment[]; cut: number } {
  const text = example.text;
  const n = Math.min(text.length, limit);
  const trainedAt = new Uint8Array(n);
  example.offsets.forEach(([s, e], i) => {
    if (!example.trained[i]) return;
    for (let c = Math.max(0, s); c < Math.min(e, n); c++) trainedAt[c] = 1;
  });
  const segments: Segment[] = [];
  let start = 0;
  for (let c = 1; c <= n; c++) {
    if (c === n || trainedAt[c] !== trainedAt[start]) {
      segments.push({ text: text.slice(start, c), trained: trainedAt[start] === 1 });
      start = c;
    }
  }
  return { segments, cut: text.length - n };
}

const escapeHtml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** The rendered text with trained spans marked, as Markdown. */
export function renderMasked(example: Pick<MaskedExample, 'text' | 'offsets' | 'trained'>, html: boolean): string {
  const { segments, cut } = segmentsOf(example);
  const more = cut > 0 ? `\n\n… ${cut.toLocaleString('en-US')} more characters not shown` : '';
  if (html) {
    const body = segments.map((s) => (s.trained ? `<span style="background-color:#2e7d32;color:#ffffff;">${escapeHtml(s.text)}</span>` : escapeHtml(s.text))).join('');
    return `<pre>${body}</pre>${more}`;
  }
  const body = segments.map((s) => (s.trained ? `⟦${s.text}⟧` : s.text)).join('');
  // A fence longer than any backtick run in the text keeps it one block.
  const longest = Math.max(2, ...(body.match(/`+/g) ?? []).map((m) => m.length));
  const fence = '`'.repeat(longest + 1);
  return `${fence}text\n${body}\n${fence}${more}`;
}

export interface RecordHoverFacts {
  /** The heading, e.g. `**Record 12**`. */
  title: string;
  model: string;
  example: MaskedExample;
  html: boolean;
}

const pct = (a: number, b: number) => (b === 0 ? '0 %' : `${((100 * a) / b).toFixed(a * 1000 < b ? 2 : 1)} %`);

/** Header, warnings and the masked text of one record. */
export function recordHoverMarkdown(f: RecordHoverFacts): string {
  const e = f.example;
  const head = `${f.title} · ${e.fullLength.toLocaleString('en-US')} tokens · ${e.trainedCount.toLocaleString('en-US')} trained (${pct(e.trainedCount, e.ids.length)})${e.template ? ` · template ${e.template}` : ''} · ${f.model}`;
  const notes: string[] = [];
  if (e.trainedCount === 0) notes.push('⚠️ Every label is masked: this record teaches the model nothing.');
  else if (!e.eosInTrainedSpan) notes.push('⚠️ No end-of-turn / EOS token is trained: a model trained on this may not learn to stop.');
  if (e.truncated) notes.push(`⚠️ Longer than sequence_len: ${(e.fullLength - e.ids.length).toLocaleString('en-US')} tokens are cut at training time.`);
  const legend = f.html ? 'Highlighted text is trained (loss computed); the rest is masked.' : '⟦…⟧ is trained (loss computed); the rest is masked.';
  return [head, ...notes, legend, renderMasked(e, f.html)].join('\n\n');
}
