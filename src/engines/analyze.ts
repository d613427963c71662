/**
 * The analysis service: from a unit-level relation in DuckDB (a file loaded into a temp
 * table, a store table, or an experiment's exposures + events) to experiment results with
 * CUPED / CUPAC. SQL returns sufficient statistics; the math lives in the pure modules.
 */
import { didYouMean, UserError } from '../core/errors.js';
import { stripControl } from '../core/sanitize.js';
import { addToMetricHint } from '../core/options.js';
import type { Store } from '../store/store.js';
import { asEngine, type Engine } from './engine.js';
import { buildMomentsQuery, type ColumnExpr, type MomentRequest, type RawCellKey } from './sql.js';
import { MAX_LEVELS, describeRelation, levelKey, levelOf, levelsFromCounts, profileRelation, requireColumn, winsorCaps, type ColumnInfo, type Levels } from './profile.js';
import { analyzeMean, analyzeRatio, type Comparison } from '../stats/cuped.js';
import { srmTest } from '../stats/srm.js';
import { adjustPValues, correctedAlphas } from '../stats/corrections.js';
import { criticalValue, interval, pValue } from '../stats/ttest.js';
import { StatsInputError, type Moments } from '../stats/moments.js';
import { segmentReport, type SegmentReport } from '../stats/segments.js';
import { segmentComparisons } from './segments-query.js';
import { percentileComparisons, type PercentileResult } from '../engines/percentile-query.js';
import { bayesianReadouts, type BayesianReadout, type GaussianPrior } from '../stats/bayesian.js';
import { sequentialReadouts, type SequentialReadout } from '../stats/sequential.js';
import { timeSaved, type TimeSaved } from '../stats/timesaved.js';
import { decide, type Decision, type Guardrail } from '../stats/decision.js';

export type Method = 'none' | 'cuped' | 'cupac';
export type Tails = 'two' | 'greater' | 'less';
export type Correction = 'none' | 'holm' | 'bh';
export type NullPolicy = 'zero' | 'drop';
/** NaN and ±Infinity in a numeric column: refuse (default), or treat them as missing (NULL). */
export type NonFinitePolicy = 'error' | 'null';

export type AnalysisMetric =
  | { name: string; kind: 'value'; column: string; nulls?: NullPolicy; covariates?: string[] }
  | { name: string; kind: 'ratio'; num: string; den: string; covariates?: string[] };

/** How to test: shared by every way into an analysis (file, store table, experiment). */
export interface TestSettings {
  control?: string | undefined;
  method?: Method | undefined;
  alpha: number;
  tails: Tails;
  winsorize?: number | undefined;
  correction: Correction;
  /** Expected split by group name (default equal). */
  weights?: Record<string, number> | undefined;
  /** NaN / ±Infinity in metric and covariate columns (default: error). */
  nonFinite?: NonFinitePolicy | undefined;
  /**
   * Units with several rows (duplicates, or seen in several arms): counted in a warning by
   * default; 'first' keeps each unit's first row (so its first arm), 'exclude' drops such units.
   */
  dedupe?: DedupePolicy | undefined;
  /** Segment columns (--segments): the effect per segment value, Cochran's Q per column, BH across cells. */
  segments?: string[] | undefined;
  /** Percentile metrics (--percentile revenue:0.9): the quantile difference with a density-based CI. */
  percentiles?: { metric: string; p: number; column?: string }[] | undefined;
  /** Progress hook: called with the name of each long step as it starts ("computing moments", "segments"). */
  onStep?: ((step: string) => void) | undefined;
}

export type DedupePolicy = 'first' | 'exclude';

export interface AnalyzeOptions extends TestSettings {
  /** SQL relation with one row per unit: a table name or a parenthesised subquery. */
  relation: string;
  /** How to name the source in error messages. */
  source: string;
  experiment: string | null;
  unit: string;
  group: string;
  metrics: AnalysisMetric[];
  /** Covariates for every metric (CUPAC); per-metric ones are added from AnalysisMetric.covariates. */
  covariates: string[];
  /** Default NULL policy for value metrics that do not say. */
  defaultNulls: NullPolicy;
  /** The covariates were chosen by the tool, not named by the user: a constant or redundant one is expected, a note rather than a warning. */
  expectedDrops?: boolean;
  /**
   * What the caller already knows about `relation` (file mode), so the profile asks less: its
   * columns, its row count, and a relation of its first PROFILE_HEAD_ROWS rows in order that reads
   * less than a LIMIT (a Parquet file's first row group by file_row_number).
   */
  known?: { columns?: ColumnInfo[]; rows?: number; head?: string; nullGroups?: { column: string; rows: number } } | undefined;
}

export interface MetricResult {
  metric: string;
  variant: string;
  n_control: number;
  n_test: number;
  control_mean: number | null;
  test_mean: number | null;
  diff: number | null;
  diff_se: number | null;
  diff_ci: [number | null, number | null];
  rel_lift: number | null;
  rel_ci: [number | null, number | null];
  p_value: number | null;
  p_value_adjusted: number | null;
  /** Alpha the CIs are computed at: the nominal one, or the correction's per-comparison alpha. */
  ci_alpha: number;
  /** Welch-Satterthwaite degrees of freedom of the (adjusted) difference; null without variance. */
  df: number | null;
  /** Standard error of rel_lift (delta method). */
  rel_se: number | null;
  /**
   * The relative lift's own test (t = rel_lift / rel_se, the test rel_ci inverts), raw and after the
   * correction. `p_value` and `significant` stay the difference test's (scipy's Welch/CUPED test);
   * near the margin the two can disagree, because rel_se also carries the control mean's noise.
   */
  rel_p_value: number | null;
  rel_p_value_adjusted: number | null;
  significant: boolean;
  method: Method;
  covariates: string[];
  theta: Record<string, number>;
  variance_reduction: number | null;
  equivalent_sample_saved: number | null;
  covariate_shares: Record<string, number>;
  nulls: { policy: NullPolicy; count: number } | null;
  unadjusted: { diff: number | null; diff_se: number | null; diff_ci: [number | null, number | null]; p_value: number | null; control_mean: number | null; test_mean: number | null };
  /** --bayesian: GrowthBook's Gaussian model on rel_lift (null without a relative lift). */
  bayesian?: BayesianReadout | null;
  /** --sequential: the peeking-safe (always-valid) intervals and p-value, next to the fixed-horizon ones. */
  sequential?: SequentialReadout | null;
  /** Store mode: days to 80% power at alpha 0.05 with and without the adjustment, at the exposure rate. */
  time_saved?: TimeSaved | null;
  /** Why time_saved is null. */
  time_saved_reason?: string | null;
}

/** The optional read-outs on top of the fixed-horizon analysis (addReadouts). */
export interface ReadoutOptions {
  bayesian?: { prior: GaussianPrior } | undefined;
  sequential?: { tuning: number } | undefined;
  /** Relative MDE for the time-to-power figures (default: the observed lift). */
  mde?: number | undefined;
  /** A ship / do not ship / keep running verdict, with these guardrails. */
  decide?: { guardrails: Guardrail[] } | undefined;
}

export interface AnalyzeResult {
  experiment: string | null;
  control: string;
  variants: string[];
  alpha: number;
  tails: Tails;
  correction: Correction;
  /** How the CIs were adjusted for the correction; null without one. */
  ci_adjustment: string | null;
  method: Method;
  srm: { chi2: number; p_value: number; counts: Record<string, number>; expected: Record<string, number>; mismatch: boolean };
  results: MetricResult[];
  warnings: string[];
  /** What the user need not act on (covariates left out because they add nothing); shown with --debug and in --json. */
  notes: string[];
  /** Per-segment effects and heterogeneity tests (with --segments). */
  segments?: SegmentReport;
  /** Quantile differences (with --percentile); not part of the --correction family. */
  percentiles?: PercentileResult[];
  /** --bayesian: the prior on the relative lift (proper false = flat). */
  bayesian?: { prior: GaussianPrior };
  /** --sequential: the tuning parameter N* (units at which the sequence is tightest). */
  sequential?: { tuning: number };
  /** Store mode: each metric's good direction and whether the experiment lists it as primary. */
  metric_info?: Record<string, { direction: 'increase' | 'decrease'; primary: boolean }>;
  /** Store mode: exposures (units, first and last exposure day) for the time-to-power figures. */
  exposure?: { units: number; first: string; last: string; days: number } | null;
  /** Store mode: the project's metric names and events (an unknown guardrail is named as such). */
  project_metrics?: { metrics: string[]; events: string[] };
  /** --guardrails / --fail-on / --decide: the verdict and its reasons. */
  decision?: Decision;
}

/**
 * The verdict: primary metrics are those the experiment lists as primary (store mode), else every
 * analysed metric that is not a guardrail; directions come from the store's metric definitions
 * (a guardrail's own direction wins), else "increase".
 */
function decisionFor(res: AnalyzeResult, seq: (SequentialReadout | null)[] | null, guardrails: Guardrail[], tuning: number | undefined): Decision {
  const analysed = [...new Set(res.results.map((r) => r.metric))];
  const missing = guardrails.filter((g) => !analysed.includes(g.metric));
  const project = res.project_metrics;
  if (project) {
    // Store mode: a guardrail that is no metric of the project is a typo, not a metric to add.
    const known = [...project.metrics, ...project.events.flatMap((e) => [e, `${e}:event_count`, `${e}:event_dau`])];
    const unknown = missing.find((g) => !known.includes(g.metric));
    if (unknown) {
      const close = didYouMean(unknown.metric, [...analysed, ...project.metrics]);
      throw new UserError(`guardrail metric ${unknown.metric} is not a metric of the project${close ? ` (did you mean "${close}"?)` : ''}`, {
        hint: `metrics: ${project.metrics.join(', ') || '(none)'}; or an event as <event>:event_count or <event>:event_dau`,
        code: 'UNKNOWN_GUARDRAIL',
        exitCode: 2,
      });
    }
  }
  if (missing.length > 0) {
    throw new UserError(`guardrail metric${missing.length > 1 ? 's' : ''} ${missing.map((g) => g.metric).join(', ')} ${missing.length > 1 ? 'were' : 'was'} not analysed`, {
      hint: addToMetricHint(analysed, missing.map((g) => g.metric)),
      code: 'UNKNOWN_GUARDRAIL',
      exitCode: 2,
    });
  }
  const guarded = new Set(guardrails.map((g) => g.metric));
  const listedPrimary = analysed.filter((m) => res.metric_info?.[m]?.primary && !guarded.has(m));
  const primary = listedPrimary.length > 0 ? listedPrimary : analysed.filter((m) => !guarded.has(m));
  const directions = Object.fromEntries(Object.entries(res.metric_info ?? {}).map(([k, v]) => [k, v.direction]));
  return decide({
    alpha: res.alpha,
    srm: res.srm,
    results: res.results.map((r, i) => ({ ...r, sequential: seq ? (seq[i] ?? null) : null })),
    variants: res.variants,
    primary,
    directions,
    guardrails,
    sequentialTuning: tuning,
  });
}

/**
 * Adds the Bayesian and sequential read-outs to a finished analysis (pure: from each comparison's
 * adjusted estimate and standard error). A metric whose good direction is "decrease" gets
 * gbstats' inverse treatment in the Bayesian read-out (chance to win = P(lift < 0)).
 */
export function addReadouts(res: AnalyzeResult, opts: ReadoutOptions): AnalyzeResult {
  const exposure = res.exposure;
  const perDay = exposure && exposure.days > 0 ? exposure.units / exposure.days : 0;
  const saved = exposure
    ? res.results.map((r) =>
        timeSaved(
          { n_control: r.n_control, n_test: r.n_test, raw_diff_se: r.unadjusted.diff_se, control_mean: r.unadjusted.control_mean, variance_reduction: r.method === 'none' ? 0 : r.variance_reduction, rel_lift: r.rel_lift },
          { unitsPerDay: perDay, arms: res.variants.length + 1, mde: opts.mde, alpha: 0.05, power: 0.8, daysRun: exposure.days },
        ),
      )
    : null;
  if (!opts.bayesian && !opts.sequential && !saved && !opts.decide) return res;
  const bayes = opts.bayesian
    ? bayesianReadouts(res.results.map((r) => ({ ...r, inverse: res.metric_info?.[r.metric]?.direction === 'decrease' })), { alpha: res.alpha, prior: opts.bayesian.prior })
    : null;
  const seq = opts.sequential ? sequentialReadouts(res.results, { alpha: res.alpha, tails: res.tails, tuning: opts.sequential.tuning, correction: res.correction }) : null;
  return {
    ...res,
    ...(opts.bayesian ? { bayesian: { prior: opts.bayesian.prior } } : {}),
    ...(opts.sequential ? { sequential: { tuning: opts.sequential.tuning } } : {}),
    ...(opts.decide ? { decision: decisionFor(res, seq, opts.decide.guardrails, opts.sequential?.tuning) } : {}),
    results: res.results.map((r, i) => ({
      ...r,
      ...(bayes ? { bayesian: bayes[i] ?? null } : {}),
      ...(seq ? { sequential: seq[i] ?? null } : {}),
      ...(saved ? { time_saved: saved[i]?.value ?? null, time_saved_reason: saved[i]?.reason ?? null } : {}),
    })),
  };
}

interface CovariateColumn {
  /** Covariate name as the user gave it. */
  source: string;
  /** Encoded numeric columns (one for numeric, one per kept level for categoricals). */
  columns: ColumnExpr[];
}

const SRM_THRESHOLD = 0.001;

/** A column is centred in the moments pass when |mean| > CENTRE_RATIO x its spread (see centreOf). */
export const CENTRE_RATIO = 3;

export async function analyze(source: Store | Engine, opts: AnalyzeOptions): Promise<AnalyzeResult> {
  const store = asEngine(source);
  const d = store.dialect;
  const quoteIdent = d.ident;
  const warnings: string[] = [];
  const notes: string[] = [];
  const columns = opts.known?.columns ?? (await describeRelation(store, opts.relation));
  const unit = requireColumn(columns, opts.unit, 'unit', opts.source).name;
  const group = requireColumn(columns, opts.group, 'group', opts.source).name;
  if (opts.metrics.length === 0 && (opts.percentiles ?? []).length === 0) throw new UserError('no metric to analyze', { hint: 'pass --metric <column>[,<column>...] or --ratio num/den', code: 'NO_METRIC', exitCode: 2 });

  const metricCols = new Set<string>();
  const metrics = opts.metrics.map((m) => {
    if (m.kind === 'value') {
      const c = numericColumn(columns, m.column, 'metric', opts.source);
      metricCols.add(c);
      return { ...m, column: c };
    }
    const num = numericColumn(columns, m.num, 'ratio numerator', opts.source);
    const den = numericColumn(columns, m.den, 'ratio denominator', opts.source);
    metricCols.add(num);
    metricCols.add(den);
    return { ...m, num, den };
  });
  // A percentile of a column that is not also analysed as a metric: checked and cleaned like one.
  for (const ps of opts.percentiles ?? []) if (!metrics.some((m) => m.name === ps.metric)) metricCols.add(numericColumn(columns, ps.column ?? ps.metric, 'percentile metric', opts.source));
  const method: Method = opts.method ?? (opts.covariates.length > 0 || metrics.some((m) => (m.covariates ?? []).length > 0) ? 'cupac' : 'none');
  if (method === 'cuped' && opts.covariates.length > 1) {
    throw new UserError(`CUPED takes one covariate, got ${opts.covariates.length} (${opts.covariates.join(', ')})`, {
      hint: 'use --method cupac for several covariates',
      code: 'USAGE',
      exitCode: 2,
    });
  }
  const covNames = method === 'none' ? [] : [...new Set([...opts.covariates, ...metrics.flatMap((m) => m.covariates ?? [])])];
  const covInfos = covNames.map((c) => requireColumn(columns, c, 'covariate', opts.source));
  // A covariate named in another case than the column's (pre_revenue for PRE_REVENUE) is that column.
  const covColumn = new Map(covNames.map((c, i) => [c, covInfos[i]?.name ?? c]));
  const asColumns = (names: string[]): string[] => names.map((n) => covColumn.get(n) ?? n);
  const self = covInfos.find((c) => metricCols.has(c.name));
  if (self) {
    throw new UserError(`covariate ${self.name} is also a metric: a metric cannot adjust itself`, {
      hint: `use its pre-experiment value (e.g. pre_${self.name}) as the covariate, or drop ${self.name} from --covariates`,
      code: 'COVARIATE_IS_METRIC',
      exitCode: 2,
    });
  }
  if (method === 'cuped' || method === 'cupac') {
    const missing = metrics.filter((m) => opts.covariates.length === 0 && (m.covariates ?? []).length === 0);
    if (missing.length > 0 && covInfos.length === 0) {
      throw new UserError(`--method ${method} needs a covariate, and none was given or found for ${missing.map((m) => m.name).join(', ')}`, {
        hint: 'pass --covariates pre_<metric>, or add a pre_<metric> column, or use --method none',
        code: 'NO_COVARIATE',
        exitCode: 2,
      });
    }
  }

  const numericCovs = covInfos.filter((c) => c.numeric).map((c) => c.name);
  const checked = [...new Set([...metricCols, ...numericCovs])];
  // NaN / Infinity / huge values: a pass of its own only when the values must be cleaned before use
  // (--non-finite null, --winsorize's quantiles) or off DuckDB; otherwise they show in the moments
  // pass's sums, and the exact count (and its error) runs only when those are not clean.
  const finiteFirst = (opts.nonFinite ?? 'error') === 'null' || opts.winsorize !== undefined || store.name !== 'duckdb';
  const nullGroupRows = opts.known?.nullGroups?.column === group ? opts.known.nullGroups.rows : undefined;
  const grouped = await withoutNullGroup(store, finiteFirst ? await finiteRelation(store, opts, checked, columns, warnings) : opts.relation, group, warnings, nullGroupRows);
  const cleaned = grouped.relation;
  const relation = opts.dedupe === undefined ? cleaned : await deduplicated(store, cleaned, unit, group, opts.dedupe, warnings);
  // The row count is still known when only NULL-group rows were left out (--non-finite null keeps
  // every row); the cheaper head reads the file itself, so only for the relation as given.
  const knownRows = opts.known?.rows;
  opts.onStep?.('profiling columns');
  const profile = await profileRelation(store, relation, {
    unit,
    numeric: [...new Set([...metricCols, ...numericCovs])],
    categorical: covInfos.filter((c) => !c.numeric).map((c) => c.name),
    rows: knownRows !== undefined && relation === cleaned ? knownRows - grouped.dropped : undefined,
    head: relation === opts.relation ? opts.known?.head : undefined,
  });
  if (profile.rows === 0) throw new UserError(`${opts.source} has no rows`, { hint: 'check the file or the experiment name', code: 'EMPTY' });
  for (const c of covInfos.filter((x) => !x.numeric)) await refuseMostlyNumericText(store, opts.relation, c.name, opts.source, profile.levels.get(c.name)?.numbers, profile.sampleRows === profile.rows);
  if (profile.sampleUnits < profile.sampleRows && opts.dedupe === undefined) {
    const d = await duplicateUnits(store, relation, unit, group);
    warnings.push(
      `${opts.source} has ${d.rows.toLocaleString('en-US')} duplicate unit rows (${d.units.toLocaleString('en-US')} units with several rows, ${d.crossArm.toLocaleString('en-US')} of them in several groups): analyze expects one row per unit; pass --dedupe first or --dedupe exclude`,
    );
  }
  // A centring constant (any is exact); a NaN mean of a column with NaNs is not one.
  const shiftOf = (name: string): number => {
    const v = profile.means.get(name) ?? 0;
    return Number.isFinite(v) ? v : 0;
  };
  // The moments pass subtracts that constant from a column only where it matters: a column whose
  // mean is large against its spread (mean 1e9, sd 1) would lose every digit to cancellation in
  // its raw sums of squares. Where |mean| <= 3 sd on the profiled rows, raw sums lose at most
  // log10(1 + 3^2) = 1 of 16 digits, and the pass saves a subtraction per value (~10% of its CPU).
  const centreOf = (name: string): number => {
    const m = shiftOf(name);
    const s = profile.spreads.get(name);
    return s !== undefined && Math.abs(m) <= CENTRE_RATIO * s ? 0 : m;
  };
  const caps = opts.winsorize !== undefined ? await winsorCaps(store, relation, [...new Set(metrics.flatMap((m) => (m.kind === 'value' ? [m.column] : [m.num, m.den])))], opts.winsorize) : new Map<string, number>();

  // Covariates: numeric columns imputed with their mean; categoricals one-hot with rare levels pooled.
  const covariates: CovariateColumn[] = [];
  const cellKeys: string[] = [];
  // The moments pass groups by a categorical's raw value (as a plain GROUP BY over the file, no text
  // expression per row) when the profile saw few distinct values; the levels are mapped per cell.
  const scanKeys: (string | RawCellKey)[] = [];
  // Categoricals whose levels come from the moments pass's own cells (profile.cellLevels): the pass
  // groups by the stored value, each cell keyed by its text; once the exact counts give the levels,
  // the cells are relabelled (kept level or "__other") and folded. Their SQL does not depend on the
  // levels, so the query planned before and after is the same.
  const fromCells = new Map<string, { key: number; levels?: Levels }>(profile.cellLevels.map((c) => [c, { key: -1 }]));
  const levelWarning = (c: string, levels: Levels): void => {
    if (levels.pooled > 0) warnings.push(`covariate ${c}: rare levels pooled with "${levels.reference}"`);
    if (levels.kept.length === 0) (opts.expectedDrops ? notes : warnings).push(`covariate ${c} left out: it has a single frequent level`);
  };
  const planCovariates = (first: boolean): void => {
    covariates.length = 0;
    cellKeys.length = 0;
    scanKeys.length = 0;
    for (const c of covInfos) {
      if (c.numeric) {
        covariates.push({ source: c.name, columns: [{ name: c.name, expr: `coalesce(${d.double(quoteIdent(c.name))}, ${shiftOf(c.name)})` }] });
        continue;
      }
      const cells = fromCells.get(c.name);
      const levels = cells ? cells.levels : (profile.levels.get(c.name) as Levels);
      if (first && levels) levelWarning(c.name, levels);
      const kept = levels?.kept ?? [];
      if (!cells && kept.length === 0) continue;
      // Indicators are folded from per-cell statistics: the moments query groups by this key.
      const key = cellKeys.length;
      if (cells) cells.key = key;
      cellKeys.push(kept.length > 0 ? levelKey(c.name, kept, d) : d.literal('__other'));
      if (cells) scanKeys.push({ raw: quoteIdent(c.name), label: (cell) => `coalesce(${d.text(cell)}, ${d.literal('(null)')})` });
      else scanKeys.push(store.name === 'duckdb' && (levels as Levels).seen <= MAX_LEVELS ? { raw: quoteIdent(c.name), label: (cell) => levelOf(cell, kept, d) } : levelKey(c.name, kept, d));
      covariates.push({ source: c.name, columns: kept.map((l) => ({ name: `${c.name}=${l}`, expr: '', indicator: { key, level: l } })) });
    }
  };
  planCovariates(true);
  const covFor = (m: AnalysisMetric): CovariateColumn[] => {
    if (method === 'none') return [];
    // CUPED on a ratio with its pre-period numerator and denominator: one covariate, the
    // linearised pre-period ratio (pre_num - R_pre pre_den) / mean(pre_den) with the pooled R_pre
    // (as gbstats' regression-adjusted ratio), not the pre-period numerator alone.
    const pre = asColumns(m.covariates ?? []);
    if (method === 'cuped' && m.kind === 'ratio' && opts.covariates.length === 0 && pre.length === 2 && pre.every((c) => numericCovs.includes(c))) {
      const [pn, pd] = pre as [string, string];
      const dbar = shiftOf(pd);
      if (dbar !== 0) {
        const value = (c: string): string => `coalesce(${d.double(quoteIdent(c))}, ${shiftOf(c)})`;
        const r = shiftOf(pn) / dbar;
        return [{ source: `ratio(${pn},${pd})`, columns: [{ name: `ratio(${pn},${pd})`, expr: `(${value(pn)} - ${r} * ${value(pd)}) / ${dbar}` }] }];
      }
    }
    const names = asColumns(method === 'cuped' ? (opts.covariates.length > 0 ? opts.covariates : (m.covariates ?? []).slice(0, 1)) : [...opts.covariates, ...(m.covariates ?? [])]);
    return covariates.filter((c) => names.includes(c.source));
  };

  // One moments request per metric; NULL counts ride along in the same pass.
  const requests: MomentRequest[] = [];
  const policies = new Map<string, NullPolicy>();
  const planRequests = (): void => {
    requests.length = 0;
    for (const m of metrics) {
      const covCols = covFor(m).flatMap((c) => c.columns);
      const covShift = covCols.map((c) => (c.name.includes('=') ? 0 : centreOf(c.name)));
      if (m.kind === 'value') {
        const policy = m.nulls ?? opts.defaultNulls;
        policies.set(m.name, policy);
        let y = d.double(quoteIdent(m.column));
        if (policy === 'zero') y = `coalesce(${y}, 0)`;
        y = capped(y, caps.get(m.column));
        requests.push({
          key: m.name,
          ...(policy === 'drop' ? { filter: `${quoteIdent(m.column)} IS NOT NULL` } : {}),
          columns: [{ name: m.name, expr: y }, ...covCols],
          shift: [centreOf(m.column), ...covShift],
        });
      } else {
        requests.push({
          key: m.name,
          columns: [
            { name: `${m.name}:num`, expr: capped(`coalesce(${d.double(quoteIdent(m.num))}, 0)`, caps.get(m.num)) },
            { name: `${m.name}:den`, expr: capped(`coalesce(${d.double(quoteIdent(m.den))}, 0)`, caps.get(m.den)) },
            ...covCols,
          ],
          shift: [centreOf(m.num), centreOf(m.den), ...covShift],
        });
      }
    }
  };
  planRequests();
  const counted = [...new Set([...metricCols, ...numericCovs])];
  const extra: Record<string, string> = { __rows: 'COUNT(*)' };
  counted.forEach((c) => (extra[`nn:${c}`] = `COUNT(${quoteIdent(c)})`));
  // A checked column that no moment reads (a percentile-only column, say) gets its sum of squares here.
  const read = requests.flatMap((r) => [...r.columns.map((c) => c.expr), r.filter ?? '']).join(' ');
  if (!finiteFirst) for (const c of checked.filter((x) => !read.includes(quoteIdent(x)))) extra[`sq:${c}`] = `SUM(${d.double(quoteIdent(c))} * ${d.double(quoteIdent(c))})`;
  // Zero denominators are counted, not inferred from a float mean (rounding leaves it a hair off 0).
  for (const m of metrics) if (m.kind === 'ratio') extra[`nz:${m.name}`] = d.count(`coalesce(${d.double(quoteIdent(m.den))}, 0) <> 0`);
  let query = buildMomentsQuery(relation, quoteIdent(group), requests, extra, scanKeys, d);
  opts.onStep?.('computing moments');
  const rows = await store.all(query.sql);
  // NaN or Infinity in a column makes its sums NaN or infinite, a value beyond 1e150 its sum of squares
  // at least 1e300: only then the exact count runs (it throws the error naming column and rows).
  if (!finiteFirst && rows.some((row) => Object.values(row).some((v) => typeof v === 'number' && !(Math.abs(v) < 1e300)))) await finiteRelation(store, opts, checked, columns, warnings);
  if (fromCells.size > 0) {
    // Exact levels (and the numbers screen) from the cells, then the cells relabelled and the
    // requests planned with the indicators of the kept levels.
    const cellRows = (row: Record<string, unknown>): number => query.extras([row]).get('__rows')?.values().next().value ?? 0;
    for (const [c, cells] of fromCells) {
      const counts = new Map<string, number>();
      for (const row of rows) counts.set(String(row[`__k${cells.key}`]), (counts.get(String(row[`__k${cells.key}`])) ?? 0) + cellRows(row));
      await refuseNumericCells(store, c, opts.source, counts);
      cells.levels = levelsFromCounts([...counts].map(([level, n]) => ({ level, n })), profile.rows);
      levelWarning(c, cells.levels);
    }
    planCovariates(false);
    planRequests();
    const labelled = buildMomentsQuery(relation, quoteIdent(group), requests, extra, scanKeys, d);
    if (labelled.sql !== query.sql) throw new Error('internal: the moments query changed once the levels were known');
    query = labelled;
    for (const row of rows) {
      for (const cells of fromCells.values()) {
        const label = String(row[`__k${cells.key}`]);
        row[`__k${cells.key}`] = cells.levels?.kept.includes(label) ? label : '__other';
      }
    }
  }
  const moments = query.decode(rows);
  const extras = query.extras(rows);
  const groups = extras.get('__rows') as Map<string, number>;
  const nulls = (c: string): number => profile.rows - [...(extras.get(`nn:${c}`)?.values() ?? [])].reduce((x, y) => x + y, 0);

  const { control, variants } = chooseGroups(groups, opts.control);
  for (const m of metrics) {
    if (m.kind !== 'ratio') continue;
    const nz = extras.get(`nz:${m.name}`) as Map<string, number>;
    const zero = [control, ...variants].filter((g) => (nz.get(g) ?? 0) === 0);
    if (zero.length > 0) {
      throw new UserError(`ratio ${m.name}: every denominator (${m.den}) is 0 or NULL in group${zero.length > 1 ? 's' : ''} ${zero.join(', ')}, so the ratio is undefined`, {
        hint: 'pick a denominator that is positive for some units in every group (e.g. sessions)',
        code: 'ZERO_DENOMINATOR',
      });
    }
  }
  const srm = srmFor(groups, control, variants, opts.weights);
  if (srm.mismatch) warnings.push(`sample ratio mismatch: p = ${srm.p_value.toExponential(2)} < ${SRM_THRESHOLD}; the split differs from the expected one, results may be biased`);
  for (const c of numericCovs) {
    const n = nulls(c);
    if (n > 0 && covariates.some((x) => x.source === c)) warnings.push(`covariate ${c}: ${n} NULL values filled with its mean`);
  }
  const nullInfo = new Map<string, { policy: NullPolicy; count: number }>();
  for (const m of metrics) {
    if (m.kind !== 'value') continue;
    const policy = policies.get(m.name) as NullPolicy;
    const count = nulls(m.column);
    nullInfo.set(m.name, { policy, count });
    if (count > 0) warnings.push(`metric ${m.name}: ${count} NULL values ${policy === 'zero' ? 'counted as 0' : 'dropped'} (--nulls zero|drop)`);
  }

  const compare = (m: (typeof metrics)[number], mc: Moments, mt: Moments): Comparison => {
    const covs = covFor(m);
    const covCols = covs.flatMap((c) => c.columns.map((x) => x.name));
    const covariateGroups = Object.fromEntries(covs.flatMap((c) => c.columns.map((x) => [x.name, c.source] as const)));
    const common = { alpha: opts.alpha, tails: opts.tails, covariates: covCols, covariateGroups, method };
    return asUserError(() =>
      m.kind === 'value'
        ? analyzeMean(mc, mt, { ...common, metric: m.name })
        : analyzeRatio(mc, mt, { ...common, metric: m.name, numerator: `${m.name}:num`, denominator: `${m.name}:den` }),
    );
  };
  const results: MetricResult[] = [];
  // One line per dropped covariate, naming the metrics it was dropped for (not one per metric).
  const dropped = new Map<string, string[]>();
  for (const m of metrics) {
    const byGroup = moments.get(m.name) as Map<string, Moments>;
    for (const v of variants) {
      const mc = byGroup.get(control);
      const mt = byGroup.get(v);
      if (!mc || !mt) continue;
      const cmp: Comparison = compare(m, mc, mt);
      for (const w of cmp.warnings) warnings.push(`${m.name} (${v}): ${w}`);
      for (const n of cmp.notes) dropped.set(n, [...(dropped.get(n) ?? []), variants.length > 1 ? `${m.name} (${v})` : m.name]);
      results.push(toResult(m.name, v, method, cmp, nullInfo.get(m.name) ?? null));
    }
  }
  for (const [n, where] of dropped) (opts.expectedDrops ? notes : warnings).push(`${n} (${where.length === results.length ? 'every metric' : where.join(', ')})`);
  const raw = results.map((r) => r.p_value);
  const adjusted = adjustPValues(raw, opts.correction);
  const ciAlphas = correctedAlphas(raw, adjusted, opts.alpha, opts.correction);
  const relAdjusted = adjustPValues(results.map((r) => r.rel_p_value), opts.correction);
  results.forEach((r, i) => {
    r.p_value_adjusted = r.p_value === null ? null : (adjusted[i] ?? null);
    r.rel_p_value_adjusted = r.rel_p_value === null ? null : (relAdjusted[i] ?? null);
    r.significant = r.p_value_adjusted !== null && r.p_value_adjusted < opts.alpha;
    // Intervals at the corrected alpha, so a CI excludes 0 exactly when the adjusted p < alpha.
    const a = ciAlphas[i] ?? opts.alpha;
    r.ci_alpha = a;
    if (a !== opts.alpha && r.df !== null && r.diff !== null && r.diff_se !== null) {
      const q = criticalValue(r.df, a, opts.tails);
      r.diff_ci = interval(r.diff, r.diff_se, q, opts.tails);
      if (r.rel_lift !== null && r.rel_se !== null) r.rel_ci = interval(r.rel_lift, r.rel_se, q, opts.tails);
    }
  });
  let segments: SegmentReport | undefined;
  if (opts.segments && opts.segments.length > 0) {
    // The same requests grouped by (group, segment value): CUPED/CUPAC refitted inside each segment.
    const dims = [...new Set(opts.segments.map((d) => requireColumn(columns, d, 'segment', opts.source).name))];
    if (dims.includes(group)) throw new UserError(`--segments ${group} is the assignment arm (the group column), not a segment`, { hint: 'segment by a property of the units, e.g. country or platform', code: 'USAGE', exitCode: 2 });
    const byName = new Map(metrics.map((m) => [m.name, m]));
    opts.onStep?.('segments');
    const inputs = await segmentComparisons(store, {
      relation,
      source: opts.source,
      group,
      dimensions: dims,
      requests,
      cellKeys,
      control,
      variants,
      metrics: metrics.map((m) => m.name),
      compare: (name, mc, mt) => compare(byName.get(name) as (typeof metrics)[number], mc, mt),
    });
    segments = segmentReport(inputs, opts.alpha);
  }
  let percentiles: PercentileResult[] | undefined;
  if (opts.percentiles && opts.percentiles.length > 0) {
    const specs = opts.percentiles.map((ps) => {
      const m = metrics.find((x) => x.name === ps.metric);
      if (m && m.kind === 'ratio') throw new UserError(`--percentile ${ps.metric}: a ratio metric has no per-unit value to take a percentile of`, { hint: 'take the percentile of a value metric (e.g. revenue:0.9)', code: 'USAGE', exitCode: 2 });
      const column = m && m.kind === 'value' ? m.column : numericColumn(columns, ps.column ?? ps.metric, 'percentile metric', opts.source);
      const x = d.double(quoteIdent(column));
      const policy = m ? (policies.get(m.name) ?? opts.defaultNulls) : opts.defaultNulls;
      return { name: `${ps.metric} p${Number((ps.p * 100).toPrecision(6))}`, metric: ps.metric, expr: policy === 'zero' ? `coalesce(${x}, 0)` : x, p: ps.p };
    });
    opts.onStep?.('percentiles');
    const out = await percentileComparisons(store, { relation, group, control, variants, specs, alpha: opts.alpha, tails: opts.tails });
    percentiles = out.results;
    warnings.push(...out.warnings);
  }
  const ciNote = opts.correction === 'none' ? null : `confidence intervals use the ${opts.correction === 'holm' ? 'Holm step-down (Bonferroni alpha/m when not rejected)' : 'Benjamini-Yekutieli false-coverage (alpha * rejections / m)'} adjusted alpha, so they agree with the adjusted p-values`;
  return { experiment: opts.experiment, control, variants, alpha: opts.alpha, tails: opts.tails, correction: opts.correction, ci_adjustment: ciNote, method, srm, results, warnings: [...new Set(warnings)], notes, ...(segments ? { segments } : {}), ...(percentiles ? { percentiles } : {}) };
}

/**
 * Counts NaN and ±Infinity in the numeric columns in use (one scan). With the default policy any
 * is an error naming the column, the count and the fix; with 'null' the relation is returned with
 * those values as NULL (the NULL policy then applies) and a warning says how many.
 */
async function finiteRelation(store: Engine, opts: AnalyzeOptions, columns: string[], all: ColumnInfo[], warnings: string[]): Promise<string> {
  if (columns.length === 0) return opts.relation;
  const d = store.dialect;
  const asDouble = (c: string): string => d.double(d.ident(c));
  const [row] = await store.all(`SELECT ${columns.flatMap((c, i) => [`${d.count(`NOT ${d.isFinite(asDouble(c))}`)} AS n${i}`, `${d.count(`${d.isFinite(asDouble(c))} AND abs(${asDouble(c)}) > 1e150`)} AS h${i}`]).join(', ')} FROM ${opts.relation}`);
  const huge = columns.map((c, i) => ({ c, n: Number(row?.[`h${i}`] ?? 0) })).find((x) => x.n > 0);
  if (huge) {
    throw new UserError(`column ${huge.c} of ${opts.source} has values beyond 1e150 in ${huge.n.toLocaleString('en-US')} row${huge.n === 1 ? '' : 's'}: their squares overflow`, {
      hint: 'rescale the column (e.g. to thousands) or fix those values',
      code: 'VALUE_TOO_LARGE',
    });
  }
  const bad = columns.map((c, i) => ({ c, n: Number(row?.[`n${i}`] ?? 0) })).filter((x) => x.n > 0);
  const first = bad[0];
  if (!first) return opts.relation;
  const rows = (n: number): string => `${n.toLocaleString('en-US')} row${n === 1 ? '' : 's'}`;
  if ((opts.nonFinite ?? 'error') === 'error') {
    const more = bad.length > 1 ? ` (also ${bad.slice(1).map((x) => `${x.c}: ${rows(x.n)}`).join(', ')})` : '';
    throw new UserError(`column ${first.c} of ${opts.source} has NaN or Infinity in ${rows(first.n)}${more}`, {
      hint: 'fix the data, or pass --non-finite null to treat them as missing (with --nulls drop to drop those rows)',
      code: 'NON_FINITE',
    });
  }
  for (const x of bad) warnings.push(`column ${x.c}: NaN or Infinity in ${rows(x.n)} treated as missing (--non-finite null)`);
  // Every column listed (no engine-specific `* REPLACE`), the non-finite ones as NULL.
  const badCols = new Set(bad.map((x) => x.c));
  const list = all.map((c) => (badCols.has(c.name) ? `CASE WHEN ${d.isFinite(asDouble(c.name))} THEN ${d.ident(c.name)} END AS ${d.ident(c.name)}` : d.ident(c.name)));
  return `(SELECT ${list.join(', ')} FROM ${opts.relation}) AS __finite`;
}

/** --winsorize: the value capped at its column's quantile (ratio numerators and denominators each at their own). */
function capped(expr: string, cap: number | undefined): string {
  return cap === undefined ? expr : `least(${expr}, ${cap})`;
}

/** Bad input found by the pure statistics becomes one clear line, not an "unexpected error". */
function asUserError<T>(f: () => T): T {
  try {
    return f();
  } catch (error) {
    if (error instanceof StatsInputError) throw new UserError(error.message, { hint: 'check the data and the flags (see statsig-hack analyze --help)', code: error.code });
    throw error;
  }
}

/**
 * A text covariate whose values are nearly all numbers has a few bad values (e.g. "abc" or
 * "n/a" in a numeric column): treating it as categorical would silently pool and drop it.
 */
async function refuseMostlyNumericText(store: Engine, relation: string, column: string, source: string, screen: Levels['numbers'], whole: boolean): Promise<void> {
  // TRY_CAST and any_value are DuckDB's; a warehouse skips this guard (its columns are typed).
  if (store.name !== 'duckdb' || !screen) return;
  const c = store.dialect.ident(column);
  // The profile's levels pass screened the values (on a block sample of a large relation): a column
  // that is not even half numbers there cannot be 90% numbers overall, and the exact pass (TRY_CAST
  // of every value, slower than the moments pass itself) is skipped; on a relation profiled whole
  // the screen is exact and the pass runs only to name the values.
  const { values, bad: seenBad } = screen;
  if (whole ? !(seenBad > 0 && values - seenBad >= 0.9 * values) : values > 0 && values - seenBad < 0.5 * values) return;
  const [row] = await store.all(
    `SELECT count(${c}) AS n, count(*) FILTER (WHERE ${c} IS NOT NULL AND TRY_CAST(${c} AS DOUBLE) IS NULL) AS bad, any_value(${c}) FILTER (WHERE ${c} IS NOT NULL AND TRY_CAST(${c} AS DOUBLE) IS NULL) AS example FROM ${relation}`,
  );
  const n = Number(row?.n ?? 0);
  const bad = Number(row?.bad ?? 0);
  if (!(bad > 0 && n - bad >= 0.9 * n)) return;
  throw new UserError(`covariate ${column} of ${source} is numeric except for ${bad.toLocaleString('en-US')} value${bad === 1 ? '' : 's'} that ${bad === 1 ? 'is' : 'are'} not a number (e.g. "${typeof row?.example === 'string' ? stripControl(row.example).slice(0, 40) : ''}")`, {
    hint: 'fix or blank those values (a blank is filled with the mean); a text column would be treated as categorical',
    code: 'NOT_NUMERIC',
  });
}

/**
 * The numbers screen of refuseMostlyNumericText on exact counts per value (the moments pass's cells
 * of a categorical, NULL as "(null)"): values that TRY_CAST cannot read as a number are asked of
 * DuckDB only when some value has a digit (else none is a number and the column is plain text).
 */
async function refuseNumericCells(store: Engine, column: string, source: string, counts: Map<string, number>): Promise<void> {
  const values = [...counts].filter(([v]) => v !== '(null)');
  if (!values.some(([v]) => /[0-9]/.test(v))) return;
  const d = store.dialect;
  const found = await store.all<{ v: string }>(`SELECT v FROM (VALUES ${values.map(([v]) => `(${d.literal(v)})`).join(', ')}) AS t(v) WHERE TRY_CAST(v AS DOUBLE) IS NULL`);
  const badValues = new Set(found.map((r) => String(r.v)));
  const n = values.reduce((a, [, k]) => a + k, 0);
  const bad = values.filter(([v]) => badValues.has(v)).reduce((a, [, k]) => a + k, 0);
  if (!(bad > 0 && n - bad >= 0.9 * n)) return;
  const example = values.find(([v]) => badValues.has(v))?.[0] ?? '';
  throw new UserError(`covariate ${column} of ${source} is numeric except for ${bad.toLocaleString('en-US')} value${bad === 1 ? '' : 's'} that ${bad === 1 ? 'is' : 'are'} not a number (e.g. "${stripControl(example).slice(0, 40)}")`, {
    hint: 'fix or blank those values (a blank is filled with the mean); a text column would be treated as categorical',
    code: 'NOT_NUMERIC',
  });
}

/** Rows beyond the first per unit, units with several rows, and units seen in several groups (one GROUP BY unit pass). */
async function duplicateUnits(store: Engine, relation: string, unit: string, group: string): Promise<{ rows: number; units: number; crossArm: number }> {
  const d = store.dialect;
  const [row] = await store.all(
    `SELECT coalesce(sum(n - 1), 0) AS ${d.ident('rows')}, ${d.count('n > 1')} AS units, ${d.count('g > 1')} AS cross_arm
     FROM (SELECT count(*) AS n, count(DISTINCT ${d.ident(group)}) AS g FROM ${relation} GROUP BY ${d.ident(unit)}) AS __units`,
  );
  return { rows: Number(row?.rows ?? 0), units: Number(row?.units ?? 0), crossArm: Number(row?.cross_arm ?? 0) };
}

/**
 * --dedupe: 'first' keeps each unit's first row in the source's order (a unit seen in several
 * groups stays in its first one); 'exclude' drops every unit with more than one row. Says how many.
 */
async function deduplicated(store: Engine, relation: string, unit: string, group: string, policy: DedupePolicy, warnings: string[]): Promise<string> {
  const d = await duplicateUnits(store, relation, unit, group);
  if (d.units === 0) return relation;
  const u = store.dialect.ident(unit);
  if (policy === 'first' && store.name !== 'duckdb') {
    throw new UserError(`--dedupe first needs the rows' order, which ${store.name} does not keep`, { hint: 'use --dedupe exclude, or deduplicate the table in the warehouse', code: 'USAGE', exitCode: 2 });
  }
  const numbered = `(SELECT *, row_number() OVER () AS __row FROM ${relation})`;
  const units = `${d.units.toLocaleString('en-US')} unit${d.units === 1 ? '' : 's'} with several rows (${d.crossArm.toLocaleString('en-US')} in several groups)`;
  if (policy === 'first') {
    warnings.push(`${units}: kept each one's first row, ${d.rows.toLocaleString('en-US')} rows dropped (--dedupe first)`);
    return `(SELECT * EXCLUDE (__row) FROM ${numbered} QUALIFY row_number() OVER (PARTITION BY ${u} ORDER BY __row) = 1) AS __deduped`;
  }
  warnings.push(`${units}: excluded, ${(d.rows + d.units).toLocaleString('en-US')} rows dropped (--dedupe exclude)`);
  return `(SELECT * FROM ${relation} WHERE ${u} NOT IN (SELECT ${u} FROM ${relation} GROUP BY ${u} HAVING count(*) > 1)) AS __deduped`;
}

/** Rows with a NULL group belong to no arm: they are left out and counted in a warning (not a group named "null"). */
async function withoutNullGroup(store: Engine, relation: string, group: string, warnings: string[], counted?: number): Promise<{ relation: string; dropped: number }> {
  const quoteIdent = store.dialect.ident;
  // `counted`: the caller counted them already (file mode, with the row count); --non-finite null keeps the rows.
  const n = counted ?? Number((await store.all(`SELECT count(*) AS n FROM ${relation} WHERE ${quoteIdent(group)} IS NULL`))[0]?.n ?? 0);
  if (n === 0) return { relation, dropped: 0 };
  warnings.push(`${n.toLocaleString('en-US')} row${n === 1 ? '' : 's'} with no ${group} (NULL) left out: they belong to no group`);
  return { relation: `(SELECT * FROM ${relation} WHERE ${quoteIdent(group)} IS NOT NULL) AS __grouped`, dropped: n };
}

function numericColumn(columns: ColumnInfo[], name: string, role: string, source: string): string {
  const c = requireColumn(columns, name, role, source);
  if (!c.numeric) {
    throw new UserError(`${role} column "${c.name}" is ${c.type}, not numeric`, {
      hint: 'analyze needs a number per unit; convert the column or pick another',
      code: 'NOT_NUMERIC',
    });
  }
  return c.name;
}

function chooseGroups(groups: Map<string, number>, wanted: string | undefined): { control: string; variants: string[] } {
  const names = [...groups.keys()];
  if (names.length < 2) {
    throw new UserError(`only one group (${names[0] ?? 'none'}) in the data: nothing to compare`, {
      hint: 'check the --group column, or that the experiment has exposures in at least two groups',
      code: 'SINGLE_GROUP',
    });
  }
  let control: string | undefined;
  if (wanted !== undefined) {
    control = names.find((n) => n === wanted) ?? names.find((n) => n.toLowerCase() === wanted.toLowerCase());
    if (!control) throw new UserError(`control group "${wanted}" is not in the data`, { hint: `the groups are: ${names.join(', ')}`, code: 'UNKNOWN_CONTROL', exitCode: 2 });
  } else {
    control = names.find((n) => n.toLowerCase() === 'control');
    if (!control) throw new UserError('no group is named "control"', { hint: `pass --control with one of: ${names.join(', ')}`, code: 'UNKNOWN_CONTROL', exitCode: 2 });
  }
  const small = names.filter((n) => (groups.get(n) ?? 0) < 2);
  if (small.length > 0) {
    throw new UserError(`group${small.length > 1 ? 's' : ''} ${small.join(', ')} ha${small.length > 1 ? 've' : 's'} fewer than 2 units`, {
      hint: 'a variance needs at least two units per group; wait for more data or drop the group',
      code: 'TOO_FEW_UNITS',
    });
  }
  return { control, variants: names.filter((n) => n !== control) };
}

function srmFor(groups: Map<string, number>, control: string, variants: string[], weights: Record<string, number> | undefined): AnalyzeResult['srm'] {
  const names = [control, ...variants];
  const counts = names.map((n) => groups.get(n) ?? 0);
  const w = names.map((n) => (weights ? (weights[n] ?? 0) : 1));
  if (weights && w.some((x) => !(x > 0))) {
    throw new UserError(`--weights must give a positive weight to every group (${names.join(', ')})`, { code: 'USAGE', exitCode: 2 });
  }
  const total = counts.reduce((a, b) => a + b, 0);
  const wsum = w.reduce((a, b) => a + b, 0);
  const test = srmTest(counts, w);
  return {
    chi2: test.chi2,
    p_value: test.pValue,
    counts: Object.fromEntries(names.map((n, i) => [n, counts[i] ?? 0])),
    expected: Object.fromEntries(names.map((n, i) => [n, (total * (w[i] ?? 0)) / wsum])),
    mismatch: test.pValue < SRM_THRESHOLD,
  };
}

function toResult(metric: string, variant: string, method: Method, c: Comparison, nulls: MetricResult['nulls']): MetricResult {
  return {
    metric,
    variant,
    n_control: c.n_control,
    n_test: c.n_test,
    control_mean: c.control_mean,
    test_mean: c.test_mean,
    diff: c.diff,
    diff_se: c.diff_se,
    diff_ci: c.diff_ci,
    rel_lift: c.rel_lift,
    rel_ci: c.rel_ci,
    p_value: c.p_value,
    p_value_adjusted: null,
    ci_alpha: c.alpha,
    df: c.df,
    rel_se: c.rel_se,
    rel_p_value: c.rel_lift !== null && c.rel_se !== null && c.rel_se > 0 && c.df !== null ? pValue(c.rel_lift / c.rel_se, c.df, c.tails) : null,
    rel_p_value_adjusted: null,
    significant: false,
    method: c.covariates.length > 0 ? method : 'none',
    covariates: c.covariates,
    theta: c.theta,
    variance_reduction: c.variance_reduction,
    equivalent_sample_saved: c.equivalent_sample_saved,
    covariate_shares: c.covariate_shares,
    nulls,
    unadjusted: c.unadjusted,
  };
}
