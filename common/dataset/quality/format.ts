/** The quality report as text, for `tunelab inspect --quality` (pure: a report in, lines out). */
import type { Distribution, QualityReport } from './types';

const pct = (x: number) => `${(100 * x).toFixed(1)} %`;
const BARS = '▁▂▃▄▅▆▇█';

/** Counts as a one-line sparkline (empty bins are a space). */
export function sparkline(counts: readonly number[]): string {
  const max = Math.max(1, ...counts);
  return counts.map((c) => (c === 0 ? ' ' : BARS[Math.min(7, Math.floor((c / max) * 7.999))]!)).join('');
}

function dist(name: string, d: Distribution | null, unit: string): string[] {
  if (!d) return [];
  const { edges, counts } = d.histogram;
  return [
    `  ${name}: min ${d.min}, p10 ${d.p10}, p25 ${d.p25}, median ${d.p50}, p75 ${d.p75}, p90 ${d.p90}, p99 ${d.p99}, max ${d.max}, mean ${d.mean} ${unit}`,
    `    ${edges[0]} ${sparkline(counts)} ${edges[edges.length - 1]} (log2 bins)`,
  ];
}

/** Where a record is, for people: its line (1-based) in the file. */
const at = (r: { line: number }) => `line ${r.line + 1}`;

/** The readable report; `examples` record links per finding. */
export function formatQualityText(q: QualityReport, heading: string, examples = 5): string {
  const out = [heading, `  ${q.analysed} of ${q.records} record${q.records === 1 ? '' : 's'} analysed`];
  out.push('', 'Task types');
  const width = Math.max(0, ...q.taskTypes.map((t) => t.type.length));
  for (const t of q.taskTypes) out.push(`  ${t.type.padEnd(width)} ${String(t.count).padStart(7)}  ${pct(t.share).padStart(7)}  ${'█'.repeat(Math.round(t.share * 30))}`);
  if (q.taskTypes.length === 0) out.push('  (no instructions)');
  out.push('', 'Phrasing');
  const n = q.taskTypes.reduce((s, t) => s + t.count, 0);
  out.push(`  distinct openings of ${n} instruction${n === 1 ? '' : 's'}: ${q.phrasing.leading.map((l) => `${l.words} word${l.words === 1 ? '' : 's'} ${l.estimated ? '~' : ''}${l.distinct}`).join(', ')}`);
  const top3 = q.phrasing.leading[2]?.top ?? [];
  if (top3.length) out.push(`  most common openings: ${top3.slice(0, 5).map((t) => `"${t.text}" ${t.count}`).join(', ')}`);
  if (q.phrasing.topVerbs.length) out.push(`  leading verbs: ${q.phrasing.topVerbs.map((v) => `${v.verb} ${v.count}`).join(', ')}`);
  out.push(`  MATTR (window ${q.phrasing.mattrWindow} words): ${q.phrasing.mattr ?? 'n/a (too few words)'}`);
  out.push('', 'Lengths');
  out.push(...dist('instruction', q.lengths.instruction, 'characters'), ...dist('response', q.lengths.response, 'characters'), ...dist('user turns', q.lengths.turns, 'per record'));
  out.push('', `Languages: ${q.languages.map((l) => `${l.name} ${pct(l.share)}`).join(', ') || 'none'}`);
  const nd = q.nearDuplicates;
  out.push(
    '',
    `Near-duplicates (Jaccard >= ${nd.threshold} over ${nd.shingle}-word shingles; MinHash LSH ${nd.bands} bands x ${nd.rows} rows): ${nd.records} record${nd.records === 1 ? '' : 's'} in ${nd.clusterCount} cluster${nd.clusterCount === 1 ? '' : 's'} (${nd.candidates} candidate pair${nd.candidates === 1 ? '' : 's'}, ${nd.verified ? 'verified by exact Jaccard' : 'not all verified'})`,
  );
  for (const c of nd.clusters.slice(0, examples)) out.push(`  ${at(c.first)} <- ${c.members.map((m) => `${at(m)} (${m.verified ? '' : '~'}${m.jaccard.toFixed(2)})`).join(', ')}`);
  if (nd.clusterCount > examples) out.push(`  ... ${nd.clusterCount - examples} more`);
  out.push('', 'Findings');
  if (q.findings.length === 0) out.push('  none');
  for (const g of q.findings) {
    out.push(`  ${g.severity.padEnd(7)} ${g.code}: ${g.count} (${g.title})`);
    for (const e of g.examples.slice(0, examples)) out.push(`    ${at(e)}: ${e.detail}`);
    if (g.count > examples) out.push(`    ... ${g.count - examples} more`);
  }
  if (q.fileFindings.length) {
    out.push('', 'Balance');
    for (const f of q.fileFindings) out.push(`  ${f.severity.padEnd(7)} ${f.code}: ${f.message}`);
  }
  return out.join('\n') + '\n';
}
