/**
 * The analysis service: from a unit-level relation in DuckDB (a file loaded into a temp
 * table, a store table, or an experiment's exposures + events) to experiment results with
 * CUPED / CUPAC. SQL returns sufficient statistics; the math lives in the pure modules.
 */
import { UserError } from '../core/errors.js';
import { quoteIdent, type Store } from '../store/store.js';
import { buildMomentsQuery, type ColumnExpr, type MomentRequest } from './sql.js';
import { categoricalLevels, describeRelation, levelIndicator, profileRelation, requireColumn, type ColumnInfo, type Profile } from './profile.js';
import { analyzeMean, analyzeRatio, type Comparison } from './cuped.js';
import { srmTest } from './srm.js';
import { adjustPValues } from './corrections.js';
import type { Moments } from './moments.js';

export type Method = 'none' | 'cuped' | 'cupac';
export type Tails = 'two' | 'greater' | 'less';
export type Correction = 'none' | 'holm' | 'bh';
export type NullPolicy = 'zero' | 'drop';

export type AnalysisMetric =
  | { name: string; kind: 'value'; column: string; nulls?: NullPolicy; covariates?: string[] }
  | { name: string; kind: 'ratio'; num: string; den: string; covariates?: string[] };

export interface AnalyzeOptions {
  /** SQL relation with one row per unit: a table name or a parenthesised subquery. */
  relation: string;
  /** How to name the source in error messages. */
  source: string;
  experiment: string | null;
  unit: string;
  group: string;
  control?: string | undefined;
  metrics: AnalysisMetric[];
  /** Covariates for every metric (CUPAC); per-metric ones are added from AnalysisMetric.covariates. */
  covariates: string[];
  method?: Method | undefined;
  alpha: number;
  tails: Tails;
  winsorize?: number | undefined;
  correction: Correction;
  /** Expected split by group name (default equal). */
  weights?: Record<string, number> | undefined;
  /** Default NULL policy for value metrics that do not say. */
  defaultNulls: NullPolicy;
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
  significant: boolean;
  method: Method;
  covariates: string[];
  theta: Record<string, number>;
  variance_reduction: number | null;
  equivalent_sample_saved: number | null;
  covariate_shares: Record<string, number>;
  nulls: { policy: NullPolicy; count: number } | null;
  unadjusted: { diff: number | null; diff_se: number | null; diff_ci: [number | null, number | null]; p_value: number | null; control_mean: number | null; test_mean: number | null };
}

export interface AnalyzeResult {
  experiment: string | null;
  control: string;
  variants: string[];
  alpha: number;
  tails: Tails;
  correction: Correction;
  method: Method;
  srm: { chi2: number; p_value: number; counts: Record<string, number>; expected: Record<string, number>; mismatch: boolean };
  results: MetricResult[];
  warnings: string[];
}

interface CovariateColumn {
  /** Covariate name as the user gave it. */
  source: string;
  /** Encoded numeric columns (one for numeric, one per kept level for categoricals). */
  columns: ColumnExpr[];
}

const SRM_THRESHOLD = 0.001;

export async function analyze(store: Store, opts: AnalyzeOptions): Promise<AnalyzeResult> {
  const warnings: string[] = [];
  const columns = await describeRelation(store, opts.relation);
  const unit = requireColumn(columns, opts.unit, 'unit', opts.source).name;
  const group = requireColumn(columns, opts.group, 'group', opts.source).name;
  if (opts.metrics.length === 0) throw new UserError('no metric to analyze', { hint: 'pass --metric <column>[,<column>...] or --ratio num/den', code: 'NO_METRIC', exitCode: 2 });

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

  const numericForProfile = [...new Set([...metricCols, ...covInfos.filter((c) => c.numeric).map((c) => c.name)])];
  const winsorCols = opts.winsorize !== undefined ? metrics.filter((m) => m.kind === 'value').map((m) => (m as { column: string }).column) : [];
  const profile = await profileRelation(store, opts.relation, {
    unit,
    group,
    numeric: numericForProfile,
    ...(opts.winsorize !== undefined ? { winsorize: { columns: winsorCols, quantile: opts.winsorize } } : {}),
  });
  if (profile.rows === 0) throw new UserError(`${opts.source} has no rows`, { hint: 'check the file or the experiment name', code: 'EMPTY' });
  if (profile.approxDistinctUnits < profile.rows * 0.97) {
    warnings.push(`${opts.source} has about ${profile.approxDistinctUnits} distinct units in ${profile.rows} rows: analyze expects one row per unit`);
  }

  const { control, variants } = chooseGroups(profile, opts.control);
  const srm = srmFor(profile, control, variants, opts.weights);
  if (srm.mismatch) warnings.push(`sample ratio mismatch: p = ${srm.p_value.toExponential(2)} < ${SRM_THRESHOLD}; the split differs from the expected one, results may be biased`);

  // Covariates: numeric columns imputed with their mean; categoricals one-hot with rare levels pooled.
  const covariates: CovariateColumn[] = [];
  for (const c of covInfos) {
    if (c.numeric) {
      const st = profile.stats.get(c.name);
      const nulls = profile.rows - (st?.nonNull ?? 0);
      if (nulls > 0) warnings.push(`covariate ${c.name}: ${nulls} NULL values filled with its mean`);
      covariates.push({ source: c.name, columns: [{ name: c.name, expr: `coalesce(CAST(${quoteIdent(c.name)} AS DOUBLE), ${Number(st?.mean ?? 0)})` }] });
    } else {
      const levels = await categoricalLevels(store, opts.relation, c.name, profile.rows);
      if (levels.pooled > 0) warnings.push(`covariate ${c.name}: rare levels pooled with "${levels.reference}"`);
      if (levels.kept.length === 0) {
        warnings.push(`covariate ${c.name} has a single frequent level and was dropped`);
        continue;
      }
      covariates.push({ source: c.name, columns: levels.kept.map((l) => ({ name: `${c.name}=${l}`, expr: levelIndicator(c.name, l) })) });
    }
  }
  const covFor = (m: { covariates?: string[] }): CovariateColumn[] => {
    if (method === 'none') return [];
    const names = method === 'cuped' ? (opts.covariates.length > 0 ? opts.covariates : (m.covariates ?? []).slice(0, 1)) : [...opts.covariates, ...(m.covariates ?? [])];
    return covariates.filter((c) => names.includes(c.source));
  };

  // One moments request per metric.
  const requests: MomentRequest[] = [];
  const nullInfo = new Map<string, { policy: NullPolicy; count: number }>();
  for (const m of metrics) {
    const covCols = covFor(m).flatMap((c) => c.columns);
    const covShift = covCols.map((c) => shiftOf(profile, c.name));
    if (m.kind === 'value') {
      const st = profile.stats.get(m.column);
      const nulls = profile.rows - (st?.nonNull ?? 0);
      const policy = m.nulls ?? opts.defaultNulls;
      nullInfo.set(m.name, { policy, count: nulls });
      if (nulls > 0) warnings.push(`metric ${m.name}: ${nulls} NULL values ${policy === 'zero' ? 'counted as 0' : 'dropped'} (--nulls zero|drop)`);
      let y = `CAST(${quoteIdent(m.column)} AS DOUBLE)`;
      if (policy === 'zero') y = `coalesce(${y}, 0)`;
      const cap = profile.caps.get(m.column);
      if (cap !== undefined) y = `LEAST(${y}, ${cap})`;
      requests.push({
        key: m.name,
        ...(policy === 'drop' && nulls > 0 ? { filter: `${quoteIdent(m.column)} IS NOT NULL` } : {}),
        columns: [{ name: m.name, expr: y }, ...covCols],
        shift: [st?.mean ?? 0, ...covShift],
      });
    } else {
      const sn = profile.stats.get(m.num);
      const sd = profile.stats.get(m.den);
      requests.push({
        key: m.name,
        columns: [
          { name: `${m.name}:num`, expr: `coalesce(CAST(${quoteIdent(m.num)} AS DOUBLE), 0)` },
          { name: `${m.name}:den`, expr: `coalesce(CAST(${quoteIdent(m.den)} AS DOUBLE), 0)` },
          ...covCols,
        ],
        shift: [sn?.mean ?? 0, sd?.mean ?? 0, ...covShift],
      });
    }
  }
  const query = buildMomentsQuery(opts.relation, quoteIdent(group), requests);
  const moments = query.decode(await store.all(query.sql));

  const results: MetricResult[] = [];
  for (const m of metrics) {
    const byGroup = moments.get(m.name) as Map<string, Moments>;
    const covs = covFor(m);
    const covCols = covs.flatMap((c) => c.columns.map((x) => x.name));
    const covariateGroups = Object.fromEntries(covs.flatMap((c) => c.columns.map((x) => [x.name, c.source] as const)));
    for (const v of variants) {
      const mc = byGroup.get(control);
      const mt = byGroup.get(v);
      if (!mc || !mt) continue;
      const common = { alpha: opts.alpha, tails: opts.tails, covariates: covCols, covariateGroups, method };
      const cmp: Comparison =
        m.kind === 'value'
          ? analyzeMean(mc, mt, { ...common, metric: m.name })
          : analyzeRatio(mc, mt, { ...common, metric: m.name, numerator: `${m.name}:num`, denominator: `${m.name}:den` });
      for (const w of cmp.warnings) warnings.push(`${m.name} (${v}): ${w}`);
      results.push(toResult(m.name, v, method, cmp, nullInfo.get(m.name) ?? null));
    }
  }
  const adjusted = adjustPValues(results.map((r) => r.p_value), opts.correction);
  results.forEach((r, i) => {
    r.p_value_adjusted = r.p_value === null ? null : (adjusted[i] ?? null);
    r.significant = r.p_value_adjusted !== null && r.p_value_adjusted < opts.alpha;
  });
  return { experiment: opts.experiment, control, variants, alpha: opts.alpha, tails: opts.tails, correction: opts.correction, method, srm, results, warnings: [...new Set(warnings)] };
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

function shiftOf(profile: Profile, name: string): number {
  return profile.stats.get(name)?.mean ?? 0;
}

function chooseGroups(profile: Profile, wanted: string | undefined): { control: string; variants: string[] } {
  const names = [...profile.groups.keys()];
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
  const small = names.filter((n) => (profile.groups.get(n) ?? 0) < 2);
  if (small.length > 0) {
    throw new UserError(`group${small.length > 1 ? 's' : ''} ${small.join(', ')} ha${small.length > 1 ? 've' : 's'} fewer than 2 units`, {
      hint: 'a variance needs at least two units per group; wait for more data or drop the group',
      code: 'TOO_FEW_UNITS',
    });
  }
  return { control, variants: names.filter((n) => n !== control) };
}

function srmFor(profile: Profile, control: string, variants: string[], weights: Record<string, number> | undefined): AnalyzeResult['srm'] {
  const names = [control, ...variants];
  const counts = names.map((n) => profile.groups.get(n) ?? 0);
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
