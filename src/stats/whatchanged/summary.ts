/**
 * The short plain-language summary of a whatchanged result, e.g.
 * "purchases fell 18.2% (12,000 → 9,816), beyond normal day-to-day noise (p = 0.002). 81% of the
 * drop came from BR (country) / android (platform): mostly fewer units with purchases, not fewer
 * purchases per unit."
 */
import type { Agg } from './math.js';

export interface SummaryDriver {
  /** [dimension, value] pairs: one for a segment, two for a cell. */
  where: [string, string][];
  contribution: number;
  /** The driver's part of the change in metric units. */
  impact: number;
  mix: number;
  rate: number;
  baseline_share: number | null;
  current_share: number | null;
  baseline_rate: number | null;
  current_rate: number | null;
  significant: boolean;
}

/** A segment whose part of the change falls far short of its size (a planted outage, a segment left out of a launch). */
export interface SummaryLaggard {
  where: [string, string][];
  /** Its baseline share of the metric. */
  share: number;
  /** Its share of the change. */
  contribution: number;
  /** Its own relative change. */
  rel_delta: number | null;
}

export interface SummaryInput {
  metric: string;
  agg: Agg;
  baseline: number | null;
  current: number | null;
  delta: number | null;
  rel_delta: number | null;
  /** p-value of the day-to-day noise check; null when it could not be done. */
  noise_p: number | null;
  alpha: number;
  driver: SummaryDriver | null;
  /** Whether any segment changed significantly. */
  any_significant: boolean;
  /** No segment's contribution is far from its baseline share of the metric, either way: a broad change. */
  broad: boolean;
  /** The segment whose contribution falls furthest short of its share, when that exceeds every segment's excess; else null. */
  laggard?: SummaryLaggard | null;
}

export function fmt(x: number | null): string {
  if (x === null || !Number.isFinite(x)) return 'n/a';
  const abs = Math.abs(x);
  if (abs >= 1000) return Math.round(x).toLocaleString('en-US');
  if (abs >= 100) return x.toFixed(1).replace(/\.0$/, '');
  if (abs >= 1) return Number(x.toPrecision(4)).toString();
  if (abs === 0) return '0';
  return Number(x.toPrecision(3)).toString();
}

export function pct(x: number | null, digits = 1): string {
  if (x === null || !Number.isFinite(x)) return 'n/a';
  // Every share in one run to the same precision: "+7.0%" beside "-0.8%", never "+7%".
  return `${(x * 100).toFixed(digits)}%`;
}

function fmtP(p: number): string {
  if (p < 0.001) return 'p < 0.001';
  return `p = ${p.toFixed(3)}`;
}

function describeWhere(where: [string, string][]): string {
  return where.map(([d, v]) => `${v} (${d})`).join(' / ');
}

function mixRatePhrase(d: SummaryDriver, agg: Agg, metric: string, falling: boolean): string {
  const total = Math.abs(d.mix) + Math.abs(d.rate);
  if (!(total > 0)) return '';
  const mixShare = Math.abs(d.mix) / total;
  let mixText: string;
  let rateText: string;
  let notMix: string;
  let notRate: string;
  if (agg === 'mean') {
    const sh = d.baseline_share !== null && d.current_share !== null ? ` (its share of events went from ${pct(d.baseline_share)} to ${pct(d.current_share)})` : '';
    mixText = `a shift in mix${sh}`;
    notMix = 'a shift in mix';
    const dir = d.rate < 0 ? 'lower' : 'higher';
    const rt = d.baseline_rate !== null && d.current_rate !== null ? ` (${fmt(d.baseline_rate)} → ${fmt(d.current_rate)})` : '';
    rateText = `a ${dir} average ${metric} within the segment${rt}`;
    notRate = 'a change within the segment';
  } else {
    const fewer = d.mix < 0;
    mixText = `${fewer ? 'fewer' : 'more'} units with ${metric}`;
    notMix = `${falling ? 'fewer' : 'more'} units`;
    const less = d.rate < 0;
    const word = agg === 'count' ? (less ? 'fewer' : 'more') : less ? 'less' : 'more';
    const rt = d.baseline_rate !== null && d.current_rate !== null ? ` (${fmt(d.baseline_rate)} → ${fmt(d.current_rate)})` : '';
    rateText = `${word} ${metric} per unit${rt}`;
    notRate = `${agg === 'count' ? (falling ? 'fewer' : 'more') : falling ? 'less' : 'more'} per unit`;
  }
  if (mixShare >= 2 / 3) return `mostly ${mixText}, not ${notRate}`;
  if (mixShare <= 1 / 3) return `mostly ${rateText}, not ${notMix}`;
  return `both ${mixText} and ${rateText}`;
}

export function summarize(s: SummaryInput): string {
  const parts: string[] = [];
  if (s.delta === null || s.baseline === null || s.current === null) {
    return `${s.metric}: not enough data in one of the periods to compare.`;
  }
  if (s.delta === 0) {
    parts.push(`${s.metric} did not change (${fmt(s.baseline)} in both periods).`);
  } else {
    const falling = s.delta < 0;
    const rel = s.rel_delta !== null ? ` ${pct(Math.abs(s.rel_delta))}` : '';
    let noise: string;
    if (s.noise_p === null) noise = 'too few days to compare with day-to-day noise';
    else if (s.noise_p < s.alpha) noise = `beyond normal day-to-day noise (${fmtP(s.noise_p)})`;
    else noise = `within normal day-to-day noise (${fmtP(s.noise_p)})`;
    parts.push(`${s.metric} ${falling ? 'fell' : 'rose'}${rel} (${fmt(s.baseline)} → ${fmt(s.current)}), ${noise}.`);
    const quiet = s.noise_p !== null && s.noise_p >= s.alpha && !s.any_significant;
    const word = falling ? 'drop' : 'rise';
    if (quiet) {
      parts.push('No segment changed significantly: probably nothing to explain.');
    } else if (s.laggard) {
      const l = s.laggard;
      const own = l.rel_delta !== null && s.rel_delta !== null ? ` (${signedPct(l.rel_delta)} against ${signedPct(s.rel_delta)} overall)` : '';
      parts.push(`The ${word} is spread across the other segments; ${describeWhere(l.where)} falls far short of its size: ${pct(l.share)} of the baseline but ${pct(l.contribution)} of the ${word}${own}.`);
    } else if (s.driver && s.broad) {
      parts.push(`The ${falling ? 'drop' : 'rise'} is spread across segments in proportion to their size; no segment stands out.`);
    } else if (s.driver) {
      const d = s.driver;
      const share = Math.round(d.contribution * 100);
      const mr = mixRatePhrase(d, s.agg, s.metric, falling);
      // For means the segment test covers the change within the segment, not a shift in mix.
      const mostlyMix = Math.abs(d.mix) >= 2 * Math.abs(d.rate);
      const sig = d.significant || (s.agg === 'mean' && mostlyMix) ? '' : ' (not significant on its own)';
      const lead =
        d.contribution > 1.05
          ? `${describeWhere(d.where)} alone ${falling ? 'fell' : 'rose'} by ${fmt(Math.abs(d.impact))}, more than the whole ${word} (other segments moved the other way)`
          : `${share}% of the ${word} came from ${describeWhere(d.where)}`;
      parts.push(`${lead}${sig}${mr ? `: ${mr}` : ''}.`);
    }
  }
  if (s.noise_p !== null && s.noise_p >= s.alpha && s.any_significant) {
    // The two tests measure different things; say so rather than leave them contradicting each other.
    parts.push(
      'The segment tests (* in the tables) compare units between the two periods and do not see swings from day to day, so a segment can be significant while the total stays within day-to-day noise.',
    );
  }
  return parts.join(' ');
}

function signedPct(x: number): string {
  return `${x >= 0 ? '+' : '-'}${pct(Math.abs(x))}`;
}
