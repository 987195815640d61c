import type { DatasetStats, RecordDetail, RecordMessage } from '../../common/protocol/webview';
import { h } from '../shared/dom';

/** The conversation, one block per message; content is text, never markup. */
export function messagesView(messages: RecordMessage[]): HTMLElement {
  return h(
    'div',
    { attrs: { id: 'messages' } },
    ...messages.map((m) => h('div', { class: `message ${/^[a-z]+$/.test(m.role) ? m.role : 'other'}` }, h('div', { class: 'role' }, m.role), h('div', { class: 'content' }, m.content))),
  );
}

/** Trained tokens highlighted, masked tokens dimmed; whitespace kept visible. */
export function maskView(mask: RecordDetail['mask']): HTMLElement {
  if (!mask.ok) return h('p', { class: 'muted', attrs: { id: 'mask-unavailable' } }, mask.reason);
  const masked = mask.tokens.length - mask.trained;
  return h(
    'div',
    { attrs: { id: 'mask' } },
    h(
      'div',
      { class: 'legend muted' },
      h('span', { class: 'tok trained' }, `trained ${mask.trained}`),
      h('span', { class: 'tok masked' }, `masked ${masked}`),
      `of ${mask.tokens.length} tokens · ${mask.model}`,
      mask.truncated > 0 ? h('span', { class: 'warning' }, ` · ${mask.truncated} more tokens past sequence_len are cut`) : null,
    ),
    h(
      'div',
      { class: 'mask' },
      ...mask.tokens.map((t) => h('span', { class: `tok ${t.trained ? 'trained' : 'masked'}`, title: t.trained ? 'trained' : 'masked' }, t.text)),
    ),
  );
}

/** Bars of record lengths, with sequence_len marked and the bins past it in red. */
export function histogramView(stats: DatasetStats): HTMLElement {
  const { edges, counts } = stats.histogram;
  const max = Math.max(1, ...counts);
  const top = edges[edges.length - 1] ?? 1;
  const seq = stats.unit === 'tokens' ? stats.sequenceLen : null;
  const bars = counts.map((c, i) => {
    const bar = h('div', { class: `bar${seq !== null && edges[i]! >= seq ? ' over' : ''}`, title: `${edges[i]}–${edges[i + 1]} ${stats.unit}: ${c} records` });
    bar.style.height = `${(100 * c) / max}%`;
    return bar;
  });
  const hist = h('div', { class: 'hist', attrs: { id: 'histogram' } }, ...bars);
  if (seq !== null && top > 0) {
    const limit = h('div', { class: 'limit', title: `sequence_len ${seq}` });
    limit.style.left = `${Math.min(100, (100 * seq) / top)}%`;
    hist.appendChild(limit);
  }
  return h('div', null, hist, h('div', { class: 'row muted' }, h('span', null, '0'), h('span', { class: 'grow' }), h('span', null, `${top.toLocaleString()} ${stats.unit}`)));
}

/** File statistics: lengths, duplicates, roles, diagnostics by code. */
export function statsView(stats: DatasetStats, select: (index: number) => void, histogram: (s: DatasetStats) => HTMLElement): HTMLElement[] {
  const lengthNote =
    stats.unit === 'tokens'
      ? stats.sequenceLen !== null
        ? `${stats.overLength} records longer than sequence_len ${stats.sequenceLen} (cut at training time)`
        : 'no sequence_len known (no config in the workspace trains on this file)'
      : 'lengths in characters of message text: a tokenizer is needed for tokens (set tunelab.model or point a config at this file)';
  return [
    h('h2', null, 'Statistics'),
    h('div', { attrs: { id: 'stats-summary' } }, `${stats.records.toLocaleString()} records · format ${stats.format}`),
    h('h3', null, `Length (${stats.unit})`),
    histogram(stats),
    h('div', { class: 'muted' }, lengthNote),
    h('h3', null, 'Duplicates'),
    h(
      'div',
      { attrs: { id: 'duplicates' } },
      stats.duplicates.count === 0 ? 'No exact duplicates.' : `${stats.duplicates.count} exact duplicate record${stats.duplicates.count === 1 ? '' : 's'}: `,
      ...stats.duplicates.examples.flatMap(([dup, first], i) => [
        i ? ', ' : '',
        h('button', { class: 'link', on: { click: () => select(dup) } }, `${dup + 1}`),
        ` (= ${first + 1})`,
      ]),
    ),
    h('h3', null, 'Messages by role'),
    h('table', { attrs: { id: 'roles' } }, ...Object.entries(stats.roles).sort((a, b) => b[1] - a[1]).map(([role, n]) => h('tr', null, h('td', null, role), h('td', null, n.toLocaleString())))),
    h('h3', null, 'Problems by code'),
    stats.codes.length === 0
      ? h('div', { class: 'muted' }, 'None.')
      : h('table', { attrs: { id: 'problem-codes' } }, ...stats.codes.map((c) => h('tr', null, h('td', { class: c.severity === 1 ? 'error' : c.severity === 2 ? 'warning' : 'muted' }, c.code), h('td', null, c.count.toLocaleString())))),
  ];
}
