/**
 * The plain-text form of a plan (`tunelab plan`): the recommendation, its reasons, the cost
 * comparison and an ASCII table of the monthly cost curves. Browser-safe like plan.ts.
 */
import type { PlanInputs, PlanResult } from './plan';

/** `$1,234.56`, `$0.0081` (small amounts keep significant digits). */
export function formatUsd(x: number | null): string {
  if (x === null) return 'unknown';
  if (x !== 0 && Math.abs(x) < 0.01) return `$${x.toPrecision(2)}`;
  return `$${x.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
}

const count = (n: number) => Math.round(n).toLocaleString('en-US');

/** `45 s`, `12 min`, `0.67 h` → `40 min`, `3.5 h`, `52 h`. */
export function formatDuration(hours: number): string {
  const s = hours * 3600;
  if (s < 90) return `${Math.max(1, Math.round(s))} s`;
  if (s < 90 * 60) return `${Math.round(s / 60)} min`;
  return `${hours < 10 ? hours.toFixed(1) : Math.round(hours)} h`;
}

/** `training pays for itself in 11 days at this volume`, or why not. */
export function paybackText(months: number | null, known: boolean): string {
  if (months === null) return known ? 'never at this volume: the savings do not cover the hosting' : 'unknown';
  const days = months * 30.44;
  const span = days < 1 ? 'under a day' : days < 60 ? `${Math.round(days)} day${Math.round(days) === 1 ? '' : 's'}` : months < 24 ? `${months.toFixed(1)} months` : `${(months / 12).toFixed(1)} years`;
  return `training pays for itself in ${span} at this volume`;
}

/** The report, ending with a newline. */
export function formatPlanText(inputs: PlanInputs, r: PlanResult): string {
  const mark = (f: string) => (f === 'fine-tune' ? '→ fine-tune' : f === 'prompt' ? '→ prompt   ' : '  neutral  ');
  const c = r.costs;
  const lines = [
    `recommendation: ${r.recommendation}`,
    `  ${r.summary}`,
    '',
    'reasons:',
    ...r.reasons.map((x) => `  ${mark(x.favours)}  ${x.factor.padEnd(12)} ${x.text}`),
    '',
    'costs:',
    `  per query          prompt ${formatUsd(c.promptPerQuery)}, fine-tuned ${formatUsd(c.fineTunedPerQuery)} (${count(inputs.promptTokens)} prompt tokens removed)`,
    inputs.trainPricePerMTok !== null
      ? `  training           ${inputs.trainTokens === null ? 'unknown' : count(inputs.trainTokens)} tokens at ${formatUsd(inputs.trainPricePerMTok)} per million = ${formatUsd(c.trainingCost)}`
      : `  training           ${c.trainingHours === null ? 'unknown' : formatDuration(c.trainingHours)} × ${inputs.gpus} GPU${inputs.gpus === 1 ? '' : 's'} = ${formatUsd(c.trainingCost)}`,
    `  monthly at ${count(inputs.queriesPerMonth)} queries   prompt ${formatUsd(c.monthlyPrompt)}, fine-tune ${formatUsd(c.monthlyFineTune)}`,
    `  break-even         ${c.breakEvenNote}`,
    `  payback            ${paybackText(c.paybackMonths, c.trainingCost !== null && c.promptPerQuery !== null && c.fineTunedPerQuery !== null)}`,
  ];
  if (c.curve) {
    lines.push('', 'monthly cost by volume (fine-tune includes training spread over ' + `${inputs.amortizeMonths} months):`);
    const w = [16, 16, 16];
    lines.push(`  ${'queries/month'.padStart(w[0]!)}${'prompt'.padStart(w[1]!)}${'fine-tune'.padStart(w[2]!)}  cheaper`);
    // One row per decade, plus the user's volume and the break-even.
    const rows = c.curve.queries.map((q, k) => ({ q, p: c.curve!.prompt[k]!, f: c.curve!.fineTune[k]!, tag: '' })).filter((_, k) => k % 4 === 0);
    const per = (q: number) => ({ p: q * (c.promptPerQuery ?? 0), f: q * (c.fineTunedPerQuery ?? 0) + ((c.trainingCost ?? 0) / inputs.amortizeMonths + inputs.hostingPerMonth) });
    rows.push({ q: inputs.queriesPerMonth, ...per(inputs.queriesPerMonth), tag: '  ← your volume' });
    if (c.breakEvenQueriesPerMonth !== null) rows.push({ q: c.breakEvenQueriesPerMonth, ...per(c.breakEvenQueriesPerMonth), tag: '  ← break-even' });
    // A decade row at exactly a tagged volume is the same row: keep the tagged one.
    const tagged = new Set(rows.filter((x) => x.tag).map((x) => x.q));
    const shown = rows.filter((x) => x.tag || !tagged.has(x.q)).sort((a, b) => a.q - b.q || a.tag.length - b.tag.length);
    for (const x of shown) {
      const cheaper = x.p < x.f ? 'prompt' : x.f < x.p ? 'fine-tune' : 'equal';
      lines.push(`  ${count(x.q).padStart(w[0]!)}${formatUsd(x.p).padStart(w[1]!)}${formatUsd(x.f).padStart(w[2]!)}  ${cheaper}${x.tag}`);
    }
  }
  if (r.missing.length > 0) lines.push('', `to compare costs, give: ${r.missing.join('; ')}`);
  if (r.assumptions.length > 0) lines.push('', 'assumptions:', ...r.assumptions.map((a) => `  - ${a}`));
  return lines.join('\n') + '\n';
}
