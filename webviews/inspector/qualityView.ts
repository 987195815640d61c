import type { Distribution, QualityReport, RecordRef } from '../../common/dataset/quality/types';
import { h } from '../shared/dom';

/** Record navigation from the report: show the record here, or open the file at its line. */
export interface RecordLinks {
  select(index: number): void;
  reveal(index: number): void;
}

const pct = (x: number) => `${(100 * x).toFixed(1)} %`;

/** A record link: its line (1-based, as the editor shows it); a second link opens the file there. */
function recordLink(r: RecordRef, go: RecordLinks): HTMLElement {
  return h(
    'span',
    { class: 'reclink' },
    h('button', { class: 'link', attrs: { 'data-record': String(r.index), title: `show record ${r.index + 1}` }, on: { click: () => go.select(r.index) } }, `line ${r.line + 1}`),
    h('button', { class: 'link open', attrs: { title: 'open the file at this record' }, on: { click: () => go.reveal(r.index) } }, '↗'),
  );
}

function bar(share: number): HTMLElement {
  const b = h('div', { class: 'qbar' });
  b.style.width = `${Math.max(0.5, Math.min(100, share * 100))}%`;
  return b;
}

function distributionView(name: string, d: Distribution | null, unit: string): HTMLElement | null {
  if (!d) return null;
  const max = Math.max(1, ...d.histogram.counts);
  const { edges } = d.histogram;
  const hist = h(
    'div',
    { class: 'hist small' },
    ...d.histogram.counts.map((c, i) => {
      const el = h('div', { class: 'bar', title: `${edges[i]}–${edges[i + 1]! - 1} ${unit}: ${c}` });
      el.style.height = `${(100 * c) / max}%`;
      return el;
    }),
  );
  return h(
    'div',
    { class: 'qdist', attrs: { 'data-dist': name } },
    h('div', null, h('strong', null, name), ` · median ${d.p50} ${unit} · p10 ${d.p10} · p90 ${d.p90} · p99 ${d.p99} · max ${d.max} · mean ${d.mean}`),
    hist,
    h('div', { class: 'row muted' }, h('span', null, String(edges[0])), h('span', { class: 'grow' }), h('span', null, `${edges[edges.length - 1]} ${unit} (log scale)`)),
  );
}

/** The Quality tab. */
export function qualityView(q: QualityReport, go: RecordLinks): (HTMLElement | null)[] {
  const n = q.taskTypes.reduce((s, t) => s + t.count, 0);
  const nd = q.nearDuplicates;
  return [
    h('h2', null, 'Quality'),
    h('div', { attrs: { id: 'quality-summary' } }, `${q.analysed.toLocaleString()} of ${q.records.toLocaleString()} records analysed · ${n.toLocaleString()} instructions`),
    q.fileFindings.length
      ? h('div', { attrs: { id: 'quality-balance' } }, ...q.fileFindings.map((f) => h('div', { class: `diag ${f.severity === 'warning' ? 'warning' : 'muted'}`, attrs: { 'data-code': f.code } }, f.message)))
      : null,
    h('h3', null, 'Findings'),
    q.findings.length === 0
      ? h('div', { class: 'muted' }, 'No refusals, boilerplate, truncated answers, echoed prompts, empty fields or duplicates found.')
      : h(
          'div',
          { attrs: { id: 'quality-findings' } },
          ...q.findings.map((g) =>
            h(
              'details',
              { attrs: { 'data-code': g.code } },
              h('summary', null, h('span', { class: g.severity === 'warning' ? 'warning' : 'muted' }, g.title), ` · ${g.count.toLocaleString()} record${g.count === 1 ? '' : 's'} `, h('span', { class: 'muted mono' }, g.code)),
              ...g.examples.map((e) => h('div', { class: 'qfinding' }, recordLink(e, go), ' ', e.detail, e.of ? h('span', { class: 'muted' }, ' · first: ', recordLink(e.of, go)) : null)),
              g.count > g.examples.length ? h('div', { class: 'muted' }, `… ${g.count - g.examples.length} more (tunelab filter --report lists them all)`) : null,
            ),
          ),
        ),
    h('h3', null, 'Near-duplicates'),
    h(
      'div',
      { attrs: { id: 'quality-near' } },
      `${nd.records} record${nd.records === 1 ? '' : 's'} in ${nd.clusterCount} cluster${nd.clusterCount === 1 ? '' : 's'} at Jaccard ≥ ${nd.threshold} over ${nd.shingle}-word shingles (MinHash LSH ${nd.bands} × ${nd.rows}; ${nd.candidates} candidate pair${nd.candidates === 1 ? '' : 's'}, ${nd.verified ? 'verified exactly' : 'not all verified'}).`,
      ...nd.clusters.map((c) => h('div', { class: 'qcluster' }, recordLink(c.first, go), ' ← ', ...c.members.flatMap((m, i) => [i ? ', ' : '', recordLink(m, go), ` (${m.verified ? '' : '~'}${m.jaccard.toFixed(2)})`]))),
    ),
    h('h3', null, 'Task types'),
    h(
      'table',
      { attrs: { id: 'quality-tasks' } },
      ...q.taskTypes.map((t) => h('tr', null, h('td', null, t.type), h('td', { class: 'num' }, t.count.toLocaleString()), h('td', { class: 'num' }, pct(t.share)), h('td', { class: 'wide' }, bar(t.share)), h('td', null, t.example ? recordLink(t.example, go) : null))),
    ),
    h('h3', null, 'Phrasing'),
    h(
      'div',
      { attrs: { id: 'quality-phrasing' } },
      h('div', null, `Distinct openings: ${q.phrasing.leading.map((l) => `${l.words} word${l.words === 1 ? '' : 's'} ${l.estimated ? '≈' : ''}${l.distinct.toLocaleString()}`).join(' · ')}`),
      h('div', null, `MATTR (window ${q.phrasing.mattrWindow} words): ${q.phrasing.mattr ?? 'n/a'}`),
      q.phrasing.topVerbs.length ? h('div', null, `Leading verbs: ${q.phrasing.topVerbs.map((v) => `${v.verb} ${v.count}`).join(', ')}`) : null,
      h('table', null, ...(q.phrasing.leading[2]?.top ?? []).map((t) => h('tr', null, h('td', null, `“${t.text} …”`), h('td', { class: 'num' }, t.count.toLocaleString()), h('td', { class: 'wide' }, bar(n ? t.count / n : 0))))),
    ),
    h('h3', null, 'Lengths'),
    h('div', { attrs: { id: 'quality-lengths' } }, distributionView('instruction', q.lengths.instruction, 'chars'), distributionView('response', q.lengths.response, 'chars'), distributionView('user turns', q.lengths.turns, 'turns')),
    h('h3', null, 'Languages'),
    h('table', { attrs: { id: 'quality-languages' } }, ...q.languages.map((l) => h('tr', null, h('td', null, l.name), h('td', { class: 'num' }, l.count.toLocaleString()), h('td', { class: 'num' }, pct(l.share)), h('td', { class: 'wide' }, bar(l.share))))),
  ];
}
