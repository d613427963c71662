/**
 * Store mode of analyze: builds the unit-level table of one experiment from the project
 * store (exposures + events after first exposure, the same metrics over the pre-period
 * as covariates, user properties) inside DuckDB, then runs the common analysis on it.
 */
import { didYouMean, UserError } from '../core/errors.js';
import { addToMetricHint } from '../core/options.js';
import { attributeJobs } from '../store/observer.js';
import type { Store } from '../store/store.js';
import { componentSql, experimentMetrics, isRatioMetric, metricComponents, MetricMappingError, resolveMetricRef, type MetricComponent, type MetricDef } from '../store/metrics.js';
import { analyze, type AnalysisMetric, type AnalyzeResult, type Method, type NullPolicy, type TestSettings } from './analyze.js';
import { asEngine, type Engine } from './engine.js';
import { daySpanSql, storeUnitsSql, type UnitColumn } from './experiment-store-units.js';
import type { EngineTables } from './open.js';
import { unitsWithoutCtes } from './experiment-units.js';

export interface ExperimentAnalyzeOptions extends TestSettings {
  experiment: string;
  /** Metric names; empty = the experiment's primary and secondary metrics. */
  metrics: string[];
  ratios: AnalysisMetric[];
  covariates: string[];
  preDays: number;
  nulls?: NullPolicy | undefined;
  /**
   * The unit-level query on DuckDB: 'auto' (default) the DuckDB shape of experiment-store-units.ts,
   * 'portable' the query warehouses run (tests and the bench compare the two).
   */
  unitSql?: 'auto' | 'portable' | undefined;
}

const USER_PROPERTIES = ['country', 'platform', 'plan', 'channel', 'tenure_days'];

const maybe = (word: string, names: readonly string[]): string => {
  const close = didYouMean(word, names);
  return close ? ` (did you mean "${close}"?)` : '';
};

/**
 * Store mode: --segments are user properties and --percentile metrics are the analysed metrics;
 * the unit-level relation's internal columns (m0_v_post, group_name, ...) are never offered.
 */
export function checkStoreNames(experiment: string, segments: readonly string[], percentiles: readonly string[], analysed: readonly string[], known: readonly string[]): void {
  for (const d of segments) {
    if (d.toLowerCase() === 'group_name' || d.toLowerCase() === 'group' || d.toLowerCase() === 'unit_id') {
      throw new UserError(`--segments ${d} is the experiment's ${d.toLowerCase() === 'unit_id' ? 'unit id' : 'assignment arm'}, not a segment`, { hint: `segment by a user property: ${USER_PROPERTIES.join(', ')}`, code: 'USAGE', exitCode: 2 });
    }
    if (!USER_PROPERTIES.some((p) => p.toLowerCase() === d.toLowerCase())) {
      throw new UserError(`segment "${d}" is not a user property of experiment ${experiment}${maybe(d, USER_PROPERTIES)}`, { hint: `user properties: ${USER_PROPERTIES.join(', ')}`, code: 'UNKNOWN_COLUMN', exitCode: 2 });
    }
  }
  for (const m of percentiles) {
    if (analysed.includes(m)) continue;
    const isKnown = known.includes(m);
    throw new UserError(`percentile metric "${m}" is ${isKnown ? 'not analysed in' : 'not a metric of'} experiment ${experiment}${isKnown ? '' : maybe(m, [...new Set([...analysed, ...known])])}`, {
      hint: isKnown ? addToMetricHint(analysed, [m]) : `metrics analysed: ${analysed.join(', ') || '(none)'}`,
      code: 'UNKNOWN_METRIC',
      exitCode: 2,
    });
  }
}

interface ExperimentSpec {
  primaryMetrics?: { name: string; type?: string }[];
  secondaryMetrics?: { name: string; type?: string }[];
  groups?: { name: string; size: number }[];
  controlGroupID?: string;
}

/**
 * @param on where the data lives when not in the store: an engine and its table names (the
 *           experiment and metric definitions still come from the project store).
 */
export async function analyzeExperiment(store: Store, opts: ExperimentAnalyzeOptions, on?: { engine: Engine; tables: EngineTables }): Promise<AnalyzeResult> {
  const data = on?.engine ?? asEngine(store);
  const sql = data.dialect;
  const t = {
    events: on ? sql.table(on.tables.events) : 'events',
    exposures: on ? sql.table(on.tables.exposures) : 'exposures',
    users: on ? sql.table(on.tables.users) : 'users',
  };
  const rows = await store.all<{ spec: string }>("SELECT spec FROM entities WHERE kind = 'experiments' AND name = $1", [opts.experiment]);
  const exposed = await data.all<{ n: number }>(`SELECT count(*) AS n FROM ${t.exposures} WHERE experiment = ${sql.literal(opts.experiment)}`);
  if (rows.length === 0 && Number(exposed[0]?.n ?? 0) === 0) {
    const known = on
      ? (await data.all<{ name: string }>(`SELECT DISTINCT experiment AS name FROM ${t.exposures} ORDER BY name`)).map((r) => ({ name: String(r.name) }))
      : await store.all<{ name: string }>("SELECT DISTINCT name FROM (SELECT name FROM entities WHERE kind = 'experiments' UNION SELECT experiment AS name FROM exposures) ORDER BY 1");
    throw new UserError(`no experiment named "${opts.experiment}" in the project store${maybe(opts.experiment, known.map((k) => String(k.name)))}`, {
      hint: known.length > 0 ? `experiments: ${known.map((k) => k.name).join(', ')}` : 'run `statsig-hack seed` or import exposures first',
      code: 'UNKNOWN_EXPERIMENT',
      exitCode: 2,
    });
  }
  const spec = rows[0] ? (JSON.parse(String(rows[0].spec)) as ExperimentSpec) : {};

  const metricRows = await store.all<{ name: string; spec: unknown }>("SELECT name, spec FROM entities WHERE kind = 'metrics' ORDER BY name");
  const custom = new Map<string, unknown>(metricRows.map((r) => [r.name, typeof r.spec === 'string' ? (JSON.parse(r.spec) as unknown) : r.spec]));
  const events = (await data.all<{ event: string }>(`SELECT DISTINCT event FROM ${t.events} ORDER BY event`)).map((e) => String(e.event));
  let defs: MetricDef[];
  try {
    if (opts.metrics.length > 0) {
      defs = opts.metrics.map((name) => {
        const [event, type] = name.split(':');
        if (custom.has(name)) return resolveMetricRef({ name }, custom);
        if (type === 'event_count' || type === 'event_dau') return resolveMetricRef({ name: event as string, type }, custom);
        if (events.includes(name)) return resolveMetricRef({ name, type: 'event_count' }, custom);
        throw new UserError(`unknown metric "${name}" for experiment ${opts.experiment}${maybe(name, [...custom.keys(), ...events])}`, {
          hint: `metrics: ${[...custom.keys()].join(', ') || '(none)'}; or an event (${events.join(', ') || 'none'}) as <event>:event_count or <event>:event_dau`,
          code: 'UNKNOWN_METRIC',
          exitCode: 2,
        });
      });
    } else {
      const listed = await experimentMetrics(store, opts.experiment);
      defs = listed ? [...listed.primary, ...listed.secondary] : [];
    }
  } catch (error) {
    if (error instanceof MetricMappingError) throw new UserError(error.message, { hint: 'check the metric definitions in the project (statsig-hack query "SELECT spec FROM entities WHERE kind = \'metrics\'")', code: 'METRIC_MAPPING' });
    throw error;
  }
  defs = defs.filter((d, i) => defs.findIndex((x) => x.key === d.key) === i);
  if (defs.length === 0 && opts.ratios.length === 0) {
    throw new UserError(`experiment ${opts.experiment} lists no metrics`, { hint: 'pass --metric <name>[,<name>...]', code: 'NO_METRIC', exitCode: 2 });
  }
  const names = defs.map((d) => d.key);
  // The job log: the queries from here on compute these metrics (`jobs --by metric`).
  attributeJobs({ metrics: [...names, ...opts.ratios.map((r) => r.name)] });
  checkStoreNames(opts.experiment, opts.segments ?? [], (opts.percentiles ?? []).map((p) => p.metric), names, [...custom.keys()]);
  // The default CUPAC covariates are the pre-period values of every metric the experiment lists,
  // whichever metrics are analysed: `power --metric X` and `analyze` then measure the same
  // adjustment (one definition of the variance cut), not one that depends on the metric list.
  const autoCupac = opts.covariates.length === 0 && opts.method !== 'none' && opts.method !== 'cuped';
  let covOnly: MetricDef[] = [];
  if (autoCupac && opts.metrics.length > 0) {
    const listed = await experimentMetrics(store, opts.experiment).catch(() => null);
    covOnly = (listed ? [...listed.primary, ...listed.secondary] : []).filter((d, i, all) => !names.includes(d.key) && all.findIndex((x) => x.key === d.key) === i);
  }
  const allDefs = [...defs, ...covOnly];

  // Per-unit aggregates after first exposure (metric) and in the pre-period (covariate).
  const aggs: string[] = [];
  const metrics: AnalysisMetric[] = [];
  const aliases: string[] = [];
  const unitCols: UnitColumn[] = [];
  const preCols: string[] = [];
  const percentiles: { metric: string; p: number; column: string }[] = [];
  // A pre-period aggregate computed twice (revenue, and the numerator of revenue per order) is one
  // covariate: the copy would only be dropped as collinear by construction.
  const preByExpr = new Map<string, string>();
  allDefs.forEach((d, i) => {
    const col = (part: string, post: boolean): string => `m${i}_${part}_${post ? 'post' : 'pre'}`;
    const add = (alias: string, expr: string, post: boolean, component: MetricComponent): string => {
      const same = post ? undefined : preByExpr.get(expr);
      if (same !== undefined) return same;
      if (!post) preByExpr.set(expr, alias);
      aggs.push(`${expr} AS ${sql.ident(alias)}`);
      aliases.push(sql.ident(alias));
      unitCols.push({ alias, component, post });
      return alias;
    };
    const { numerator, denominator } = metricComponents(d);
    const pre: string[] = [];
    const analysed = i < defs.length;
    for (const post of analysed ? [true, false] : [false]) {
      const cols = { event: `(CASE WHEN ${post ? 'post' : 'NOT post'} THEN event END)` };
      const parts: [string, typeof numerator][] = denominator ? [['num', numerator], ['den', denominator]] : [['v', numerator]];
      for (const [part, component] of parts) {
        const alias = add(col(part, post), sql.double(componentSql(component, cols, sql)), post, component);
        if (!post) pre.push(alias);
      }
    }
    if (!analysed) {
      // A listed metric not analysed here: only its pre-period values, as covariates.
    } else if (d.percentile !== undefined) {
      // A percentile metric: the quantile of the per-unit value, not its mean.
      percentiles.push({ metric: d.key, p: d.percentile, column: col('v', true) });
    } else if (isRatioMetric(d)) {
      metrics.push({ name: d.key, kind: 'ratio', num: col('num', true), den: col('den', true), covariates: pre });
    } else {
      metrics.push({ name: d.key, kind: 'value', column: col('v', true), nulls: 'zero', covariates: pre });
    }
    for (const c of pre) if (!preCols.includes(c)) preCols.push(c);
  });
  const usedEvents = [
    ...new Set(
      allDefs.flatMap((d) => {
        const c = metricComponents(d);
        return [c.numerator.event, ...(c.denominator ? [c.denominator.event] : [])];
      }),
    ),
  ];

  // One unit-level relation (a temp table in the store; a subquery on a read-only warehouse).
  // DuckDB gets its faster one-pass shape; an engine without CTEs (ClickHouse 18.16) gets the
  // portable rows from nested subqueries; the others the portable WITH form.
  const duck = data.name === 'duckdb' && (opts.unitSql ?? 'auto') === 'auto' && unitCols.length > 0;
  const plan = { tables: t, experiment: opts.experiment, preDays: opts.preDays, columns: unitCols, properties: USER_PROPERTIES };
  const daySpan = duck && unitCols.some((c) => c.component.agg === 'days') ? Number((await data.all<{ span: unknown }>(daySpanSql(plan, sql)))[0]?.span ?? Number.NaN) : null;
  const parts = { tables: t, experiment: opts.experiment, events: usedEvents, preDays: opts.preDays, aggs, aliases, properties: USER_PROPERTIES };
  opts.onStep?.('building units');
  const relation = await data.materialize(
    '__exp',
    duck
      ? storeUnitsSql({ ...plan, daySpan: daySpan !== null && Number.isFinite(daySpan) ? daySpan : null }, sql)
      : !sql.ctes
        ? unitsWithoutCtes(sql, parts)
        : `WITH x AS (SELECT unit_id, group_name, first_exposure FROM ${t.exposures} WHERE experiment = ${sql.literal(opts.experiment)}),
    e AS (
      SELECT ev.unit_id, ev.event, coalesce(ev.value, 0) AS value, ev.ts, ev.ts >= x.first_exposure AS post
      FROM ${t.events} ev JOIN x ON ev.unit_id = x.unit_id
      WHERE ev.event IN (${usedEvents.map((e) => sql.literal(e)).join(', ')})
        AND ev.ts >= x.first_exposure - ${sql.days(opts.preDays)}
    ),
    agg AS (SELECT unit_id, ${aggs.join(', ')} FROM e GROUP BY unit_id)
    SELECT x.unit_id, x.group_name, ${aliases.map((c) => `coalesce(agg.${c}, 0) AS ${c}`).join(', ')},
      ${USER_PROPERTIES.map((p) => `u.${p}`).join(', ')}
    FROM x LEFT JOIN agg ON agg.unit_id = x.unit_id LEFT JOIN ${t.users} u ON u.unit_id = x.unit_id`,
  );

  // Covariates: explicit ones, or (CUPAC default) every pre-period metric plus the user properties that have data.
  // A named covariate may be a metric (or pre_<metric>): its pre-period value; else a user property.
  let covariates = opts.covariates.flatMap((c) => {
    const key = names.includes(c) ? c : c.startsWith('pre_') && names.includes(c.slice(4)) ? c.slice(4) : null;
    return key === null ? [c] : (metrics.find((m) => m.name === key)?.covariates ?? [c]);
  });
  if (covariates.length === 0 && autoCupac) {
    // User properties that vary (a constant or empty one carries no signal).
    const distinct = await data.all(`SELECT ${USER_PROPERTIES.map((p) => `count(DISTINCT ${p}) AS ${p}`).join(', ')} FROM ${relation}`);
    const withData = USER_PROPERTIES.filter((p) => Number(distinct[0]?.[p] ?? 0) > 1);
    covariates = [...preCols, ...withData];
  }
  const method: Method = opts.method ?? 'cupac';
  const weights = opts.weights ?? (spec.groups && spec.groups.length > 0 ? Object.fromEntries(spec.groups.map((g) => [g.name, g.size])) : undefined);
  const result = await analyze(data, {
    relation,
    source: `experiment ${opts.experiment}`,
    experiment: opts.experiment,
    unit: 'unit_id',
    group: 'group_name',
    control: opts.control ?? (spec.controlGroupID && spec.groups?.some((g) => g.name === spec.controlGroupID) ? spec.controlGroupID : undefined),
    // CUPED pairs each metric with its own pre-period value unless a covariate was named.
    metrics: method === 'cuped' ? metrics : metrics.map((m) => ({ ...m, covariates: [] })),
    covariates,
    method,
    alpha: opts.alpha,
    tails: opts.tails,
    winsorize: opts.winsorize,
    correction: opts.correction,
    weights,
    nonFinite: opts.nonFinite,
    dedupe: opts.dedupe,
    segments: opts.segments,
    percentiles: [...(opts.percentiles ?? []), ...percentiles],
    defaultNulls: opts.nulls ?? 'zero',
    // Chosen here (every pre-period metric and user property), so a redundant one is no news to the user.
    expectedDrops: opts.covariates.length === 0,
  });
  const pretty = (c: string): string => prettyCovariate(c, allDefs);
  // For decisions and time-to-power: each metric's good direction and primary flag, and the exposure rate.
  const listedInfo = await experimentMetrics(store, opts.experiment).catch(() => null);
  const primaryKeys = new Set((listedInfo?.primary ?? []).map((d) => d.key));
  const metricInfo = Object.fromEntries(defs.map((d) => [d.key, { direction: d.direction, primary: primaryKeys.has(d.key) }]));
  const [exp0] = await store.all<{ n: number; first: unknown; last: unknown; days: number }>(
    'SELECT count(*) AS n, strftime(min(first_exposure), \'%Y-%m-%d\') AS first, strftime(max(first_exposure), \'%Y-%m-%d\') AS last, count(DISTINCT CAST(first_exposure AS DATE)) AS days FROM exposures WHERE experiment = $1',
    [opts.experiment],
  );
  const exposure = exp0 && Number(exp0.n) > 0 ? { units: Number(exp0.n), first: String(exp0.first), last: String(exp0.last), days: Number(exp0.days) } : null;
  const userNames = (text: string): string => text.replace(/\bm\d+_(?:v|num|den)_pre\w*/g, pretty);
  const prettyKeys = (o: Record<string, number>): Record<string, number> => Object.fromEntries(Object.entries(o).map(([k, v]) => [pretty(k), v]));
  return {
    ...result,
    results: result.results.map((r) => ({ ...r, covariates: r.covariates.map(pretty), theta: prettyKeys(r.theta), covariate_shares: prettyKeys(r.covariate_shares) })),
    // Warnings speak the user's names: pre_revenue, not the internal m0_v_pre.
    warnings: result.warnings.map(userNames),
    notes: result.notes.map(userNames),
    metric_info: metricInfo,
    exposure,
    project_metrics: { metrics: [...custom.keys()], events },
  };
}

/** m0_v_pre -> pre_revenue, m1_num_pre -> pre_aov:num, ratio(m1_num_pre,m1_den_pre) -> pre_aov (the linearised pre-period ratio). */
function prettyCovariate(name: string, defs: MetricDef[]): string {
  // The linearised pre-period ratio CUPED builds from m<i>_num_pre and m<i>_den_pre.
  const r = /^ratio\(m(\d+)_num_pre,m\1_den_pre\)$/.exec(name);
  if (r) return `pre_${defs[Number(r[1])]?.key ?? name}`;
  const m = /^m(\d+)_(v|num|den)_pre(.*)$/.exec(name);
  if (!m) return name;
  const d = defs[Number(m[1])];
  if (!d) return name;
  return `pre_${d.key}${m[2] === 'v' ? '' : `:${m[2]}`}${m[3] ?? ''}`;
}
