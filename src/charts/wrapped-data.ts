/**
 * Statsig Wrapped, the numbers: a year of experiments summed up from plain inputs (per
 * experiment: its status, groups, first exposures per day, and its analysed results). Pure: no
 * store, no IO; `src/charts/wrapped.ts` gathers the inputs and the card draws the result.
 *
 * Every rule the card states is one function here, and its text is in WRAPPED_RULES (the JSON
 * output and the README carry the same words):
 *
 *   experiments run   experiments with at least one first exposure in the year
 *   win               a variant with at least one metric significant in its good direction and
 *                     none significant in its bad direction (decision per scorecard: win / loss)
 *   shipped win       a win whose experiment shipped it: status decision_made and launchedGroupID
 *                     naming a winning variant (or no launchedGroupID and any winning variant)
 *   biggest lift      the largest |relative lift| among winning results
 *   units             distinct units with a first exposure in the year (over all experiments)
 *   metrics moved     distinct metrics with at least one significant result, either direction
 *   days saved        per experiment, with VR = its smallest variance reduction over its metrics
 *                     (every metric must reach the same precision) and D the days it ran: the
 *                     adjusted test has the variance of the unadjusted one times (1 - VR), so it
 *                     reaches the same precision (the same power) with (1 - VR) of the units; with
 *                     units arriving at a steady rate, as a power calculator's "days = units
 *                     needed / units per day" assumes, that is ceil(D (1 - VR)) days, and
 *                     D - ceil(D (1 - VR)) are saved. Summed over experiments.
 */
import type { Decision } from '../ask/scorecards.js';

export interface WrappedResultInput {
  metric: string;
  variant: string;
  significant: boolean;
  /** In the metric's direction: win (good), loss (bad) or neutral. */
  decision: Decision;
  rel_lift: number | null;
  /** Variance reduction of the adjustment (CUPED/CUPAC), 0..1; null when not adjusted. */
  variance_reduction: number | null;
}

export interface WrappedExperimentInput {
  name: string;
  status: string | null;
  /** The shipped group (Statsig's launchedGroupID: a group id or name); null when none. */
  launchedGroup: string | null;
  /** Group ids by name, to match a launchedGroupID that is an id. */
  groupIds: Record<string, string>;
  control: string | null;
  /** Groups including control. */
  groups: number;
  /** First and last day (YYYY-MM-DD, UTC) with a first exposure in the year. */
  firstDay: string;
  lastDay: string;
  /** Distinct units first exposed in the year. */
  units: number;
  results: WrappedResultInput[];
  /** Why the experiment could not be analysed (it still counts as run); null when it was. */
  analysisError: string | null;
}

export interface WrappedInput {
  year: number;
  project: string | null;
  /** Distinct units first exposed in the year, over all experiments. */
  units: number;
  experiments: WrappedExperimentInput[];
}

export interface WrappedLift {
  experiment: string;
  variant: string;
  metric: string;
  /** Null once redacted. */
  rel_lift: number | null;
}

export interface CupacSaving {
  experiment: string;
  /** The VR used (null once redacted). */
  variance_reduction: number | null;
  days_run: number;
  days_needed: number;
  days_saved: number;
}

export type AwardId = 'variance_cut' | 'most_variants' | 'longest_running' | 'biggest_audience';

export interface WrappedAward {
  id: AwardId;
  title: string;
  rule: string;
  experiment: string;
  /** The metric behind it (variance_cut only), else null. */
  metric: string | null;
  /** The figure that won it (null once redacted when it is a metric's value). */
  value: number | null;
  unit: 'share' | 'groups' | 'days' | 'units';
}

export interface WrappedExperimentSummary {
  name: string;
  status: string | null;
  groups: number;
  days: number;
  units: number;
  win: boolean;
  shipped_win: boolean;
  analyzed: boolean;
}

export interface WrappedData {
  year: number;
  project: string | null;
  redacted: boolean;
  experiments_run: number;
  experiments_analyzed: number;
  wins: number;
  shipped_wins: number;
  units: number;
  metrics_moved: number;
  biggest_lift: WrappedLift | null;
  cupac: { days_saved: number; experiments: CupacSaving[] };
  awards: WrappedAward[];
  experiments: WrappedExperimentSummary[];
  rules: typeof WRAPPED_RULES;
  notes: string[];
}

/** The rules in words: shown by --json and the README (keep them in step with the code below). */
export const WRAPPED_RULES = {
  experiments_run: 'experiments with at least one first exposure in the year',
  wins: 'experiments with a winning variant: at least one metric significant in its good direction and none significant in its bad direction',
  shipped_wins: 'wins that shipped: status decision_made and launchedGroupID naming a winning variant (any winning variant when launchedGroupID is empty)',
  biggest_lift: 'the largest |relative lift| among winning results (significant in the good direction)',
  units: 'distinct units with a first exposure in the year, over all experiments',
  metrics_moved: 'distinct metrics with at least one significant result, either direction',
  days_saved:
    'per experiment, VR = the smallest variance reduction among its metrics and D = the days it ran: the adjusted test reaches the power of the unadjusted one with (1 - VR) of the units, so at a steady rate of units in ceil(D x (1 - VR)) days; days saved = D - ceil(D x (1 - VR)), summed over experiments',
  variance_cut: 'Variance Slayer: the experiment and metric with the largest variance reduction from CUPED/CUPAC',
  most_variants: 'Crowded Room: the experiment with the most groups (control included); ties go to more units',
  longest_running: 'Marathon: the experiment with the most days from its first to its last first exposure in the year; ties go to more units',
  biggest_audience: 'Crowd Pleaser: the experiment with the most units exposed in the year',
} as const;

const byName = (a: { name: string }, b: { name: string }): number => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/** Days from firstDay to lastDay inclusive. */
export function daysRun(x: Pick<WrappedExperimentInput, 'firstDay' | 'lastDay'>): number {
  const ms = Date.parse(`${x.lastDay}T00:00:00Z`) - Date.parse(`${x.firstDay}T00:00:00Z`);
  return Math.max(1, Math.round(ms / 86_400_000) + 1);
}

/** The variants of an experiment that win: some result 'win' and none 'loss'. */
export function winningVariants(x: WrappedExperimentInput): string[] {
  const variants = [...new Set(x.results.map((r) => r.variant))];
  return variants.filter((v) => {
    const rs = x.results.filter((r) => r.variant === v);
    return rs.some((r) => r.decision === 'win') && !rs.some((r) => r.decision === 'loss');
  });
}

/** Whether the experiment shipped one of its winning variants (see WRAPPED_RULES.shipped_wins). */
export function isShippedWin(x: WrappedExperimentInput): boolean {
  if (x.status !== 'decision_made') return false;
  const winners = winningVariants(x);
  if (x.launchedGroup === null || x.launchedGroup === '') return winners.length > 0;
  return winners.some((v) => v === x.launchedGroup || x.groupIds[v] === x.launchedGroup);
}

/** Days an experiment that ran `days` days needs at the same power with variance reduction `vr`: ceil(days x (1 - vr)), at least 1. */
export function daysNeeded(days: number, vr: number): number {
  const v = Math.min(Math.max(vr, 0), 1);
  // The tolerance keeps float noise (28 x 0.75 = 21.000000000000004) from costing a day.
  return Math.max(1, Math.ceil(days * (1 - v) - 1e-9));
}

/** The VR an experiment's days saved rest on: its smallest variance reduction (negative counts as 0); null when none was adjusted. */
export function experimentVarianceReduction(x: WrappedExperimentInput): number | null {
  const vrs = x.results.map((r) => r.variance_reduction).filter((v): v is number => v !== null && Number.isFinite(v));
  return vrs.length === 0 ? null : Math.max(0, Math.min(...vrs));
}

export function cupacSaving(x: WrappedExperimentInput): CupacSaving {
  const vr = experimentVarianceReduction(x);
  const run = daysRun(x);
  const needed = vr === null ? run : Math.min(run, daysNeeded(run, vr));
  return { experiment: x.name, variance_reduction: vr, days_run: run, days_needed: needed, days_saved: run - needed };
}

export function biggestLift(experiments: readonly WrappedExperimentInput[]): WrappedLift | null {
  let best: WrappedLift | null = null;
  for (const x of [...experiments].sort(byName)) {
    for (const r of x.results) {
      if (r.decision !== 'win' || r.rel_lift === null || !Number.isFinite(r.rel_lift)) continue;
      if (best === null || Math.abs(r.rel_lift) > Math.abs(best.rel_lift as number)) best = { experiment: x.name, variant: r.variant, metric: r.metric, rel_lift: r.rel_lift };
    }
  }
  return best;
}

export function metricsMoved(experiments: readonly WrappedExperimentInput[]): string[] {
  return [...new Set(experiments.flatMap((x) => x.results.filter((r) => r.significant).map((r) => r.metric)))].sort();
}

/** The awards; an award nobody qualifies for (no adjusted metric, say) is left out. */
export function awards(experiments: readonly WrappedExperimentInput[]): WrappedAward[] {
  const xs = [...experiments].sort(byName);
  const out: WrappedAward[] = [];
  let cut: { x: WrappedExperimentInput; metric: string; vr: number } | null = null;
  for (const x of xs) {
    for (const r of x.results) {
      if (r.variance_reduction === null || !Number.isFinite(r.variance_reduction) || r.variance_reduction <= 0) continue;
      if (cut === null || r.variance_reduction > cut.vr) cut = { x, metric: r.metric, vr: r.variance_reduction };
    }
  }
  if (cut) out.push({ id: 'variance_cut', title: 'Variance Slayer', rule: WRAPPED_RULES.variance_cut, experiment: cut.x.name, metric: cut.metric, value: cut.vr, unit: 'share' });
  /** The first experiment by `key`, then by units, then by name (xs is sorted by name, and the sort is stable). */
  const top = (key: (x: WrappedExperimentInput) => number): WrappedExperimentInput | undefined => [...xs].sort((a, b) => key(b) - key(a) || b.units - a.units)[0];
  const variants = top((x) => x.groups);
  if (variants) out.push({ id: 'most_variants', title: 'Crowded Room', rule: WRAPPED_RULES.most_variants, experiment: variants.name, metric: null, value: variants.groups, unit: 'groups' });
  const longest = top(daysRun);
  if (longest) out.push({ id: 'longest_running', title: 'Marathon', rule: WRAPPED_RULES.longest_running, experiment: longest.name, metric: null, value: daysRun(longest), unit: 'days' });
  const audience = top((x) => x.units);
  if (audience) out.push({ id: 'biggest_audience', title: 'Crowd Pleaser', rule: WRAPPED_RULES.biggest_audience, experiment: audience.name, metric: null, value: audience.units, unit: 'units' });
  return out;
}

/** The year's numbers from its experiments (see the module comment for every rule). */
export function computeWrapped(input: WrappedInput): WrappedData {
  const xs = [...input.experiments].sort(byName);
  const savings = xs.map(cupacSaving);
  const notes = xs.filter((x) => x.analysisError !== null).map((x) => `${x.name} was not analysed: ${x.analysisError}`);
  return {
    year: input.year,
    project: input.project,
    redacted: false,
    experiments_run: xs.length,
    experiments_analyzed: xs.filter((x) => x.analysisError === null).length,
    wins: xs.filter((x) => winningVariants(x).length > 0).length,
    shipped_wins: xs.filter(isShippedWin).length,
    units: input.units,
    metrics_moved: metricsMoved(xs).length,
    biggest_lift: biggestLift(xs),
    cupac: { days_saved: savings.reduce((a, s) => a + s.days_saved, 0), experiments: savings },
    awards: awards(xs),
    experiments: xs.map((x) => ({
      name: x.name,
      status: x.status,
      groups: x.groups,
      days: daysRun(x),
      units: x.units,
      win: winningVariants(x).length > 0,
      shipped_win: isShippedWin(x),
      analyzed: x.analysisError === null,
    })),
    rules: WRAPPED_RULES,
    notes,
  };
}

/** Neutral labels: A, B, ..., Z, AA, AB, ... */
function letters(i: number): string {
  let s = '';
  for (let n = i + 1; n > 0; n = Math.floor((n - 1) / 26)) s = String.fromCharCode(65 + ((n - 1) % 26)) + s;
  return s;
}

/**
 * The same numbers with every name and metric value hidden: experiments become "Experiment 1..",
 * metrics "Metric A..", variants "Variant 1..", the project name goes, and the lifts and variance
 * reductions become null. Counts (experiments, units, days) stay. Notes (which quote names) go.
 */
export function redactWrapped(data: WrappedData): WrappedData {
  const expNames = new Map(data.experiments.map((x, i) => [x.name, `Experiment ${i + 1}`]));
  const metrics = [...new Set([...(data.biggest_lift ? [data.biggest_lift.metric] : []), ...data.awards.flatMap((a) => (a.metric ? [a.metric] : []))])].sort();
  const metricNames = new Map(metrics.map((m, i) => [m, `Metric ${letters(i)}`]));
  const exp = (name: string): string => expNames.get(name) ?? 'Experiment';
  const metric = (name: string): string => metricNames.get(name) ?? 'Metric';
  return {
    ...data,
    project: null,
    redacted: true,
    biggest_lift: data.biggest_lift ? { experiment: exp(data.biggest_lift.experiment), variant: 'Variant', metric: metric(data.biggest_lift.metric), rel_lift: null } : null,
    // Only the total: an experiment's days run and needed would give its variance cut back (needed = ceil(run (1 - VR))).
    cupac: { days_saved: data.cupac.days_saved, experiments: [] },
    awards: data.awards.map((a) => ({ ...a, experiment: exp(a.experiment), metric: a.metric === null ? null : metric(a.metric), value: a.unit === 'share' ? null : a.value })),
    experiments: data.experiments.map((x) => ({ ...x, name: exp(x.name) })),
    notes: data.notes.length > 0 ? [`${data.notes.length} experiment(s) could not be analysed (names hidden)`] : [],
  };
}
