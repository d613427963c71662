/**
 * Whether a group may be promoted, from an analysis of the experiment (pure): not when the
 * sample ratio is off, nor when a metric is significantly worse, in its own direction, for it.
 */
import type { AnalyzeResult } from '../engines/analyze.js';

export type Direction = 'increase' | 'decrease';

export function promotionBlockers(result: AnalyzeResult, group: string, directions: Readonly<Record<string, Direction>>): string[] {
  const out: string[] = [];
  if (result.srm.mismatch) {
    const counts = Object.entries(result.srm.counts).map(([g, n]) => `${g} ${n}`).join(', ');
    out.push(`sample ratio mismatch (chi2 p = ${result.srm.p_value.toExponential(2)}; units: ${counts}): the assignment is broken, the results cannot be trusted`);
  }
  for (const r of result.results) {
    if (r.variant !== group || !r.significant || r.diff === null) continue;
    const direction = directions[r.metric] ?? directions[r.metric.split(':')[0] as string] ?? 'increase';
    const worse = direction === 'increase' ? r.diff < 0 : r.diff > 0;
    if (!worse) continue;
    const lift = r.rel_lift === null ? `${r.diff.toPrecision(3)}` : `${(r.rel_lift * 100).toFixed(1)}%`;
    out.push(`${r.metric} is significantly worse for ${group} (${lift}, p = ${r.p_value === null ? '?' : r.p_value.toPrecision(2)}; ${direction} is good)`);
  }
  return out;
}
