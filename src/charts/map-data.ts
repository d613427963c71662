/**
 * The numbers behind a map, from the project store. One SQL aggregation returns sufficient
 * statistics per place code (events, value sums, active unit-days; or per experiment arm the
 * shifted sums and cross-products of each unit's metric); no unit or event rows reach
 * JavaScript. Codes are then joined to the map's shapes (map.ts matchCode), codes that name the
 * same shape merged, and the value per shape computed:
 *
 * A stored metric of type sum, mean or event_count_custom maps to its event and aggregation.
 *
 *   agg     value per place                                   metric
 *   count   events                                            an event name
 *   sum     Σ value of the events                             an event name
 *   mean    Σ value / events with a value                     an event name
 *   dau     active units per day, averaged over the days      `dau` (every event)
 *           with data
 *
 * With an experiment: the relative lift of the variant over control per place (src/stats:
 * Welch on per-unit means, the delta method for mean = Σ value / Σ events), with its CI and
 * p-value; each unit's metric counts its events from its first exposure on.
 */
import { UsageError, UserError, didYouMean, errorMessage } from '../core/errors.js';
import { metricFromSpec } from '../store/metrics.js';
import { quoteLiteral, type Store } from '../store/store.js';
import { productEventSql } from '../store/tool-events.js';
import { inPeriodSql, describePeriod, type Period } from '../stats/whatchanged/period.js';
import { StatsInputError, mergeMoments, type Moments } from '../stats/moments.js';
import { analyzeMean, analyzeRatio, type Comparison } from '../stats/cuped.js';
import { pValue } from '../stats/ttest.js';
import { countryCode, countrySpellings, type Geography, type Unmatched } from './map-join.js';
import { matchCode } from './map.js';

export type MapAgg = 'count' | 'sum' | 'mean';
export const MAP_AGGS: readonly MapAgg[] = ['count', 'sum', 'mean'];

export interface MapQuery {
  /** An event name, a stored metric (sum, mean or event_count_custom), or `dau` (distinct active units over every event). */
  metric: string;
  /** Default count, or the stored metric's own (for `dau`: not used). */
  agg?: MapAgg | undefined;
  /** Places: countries (world map), or regions of `country` (US states). */
  by: 'country' | 'region';
  /** With by region: the country whose regions are drawn (only US has a map). */
  country?: string | undefined;
  /** Only events in this period. */
  period?: Period | undefined;
  /** Map the lift of `variant` over control in this experiment. */
  experiment?: string | undefined;
  variant?: string | undefined;
  /** The control group (default: the experiment's control, else the group named control). */
  control?: string | undefined;
  /** Significance level for the lift (default 0.05). */
  alpha?: number | undefined;
}

export interface MapRegionResult {
  /** Shape key: ISO alpha-2 or US postal code. */
  key: string;
  name: string;
  /** The codes in the data that joined to this shape. */
  codes: string[];
  /** The mapped value (the relative lift for an experiment); null when it cannot be computed. */
  value: number | null;
  /** Events (values), or exposed units in both arms (experiment). */
  n: number;
  /** Experiment only. */
  ci?: [number | null, number | null];
  p_value?: number | null;
  significant?: boolean;
  control_mean?: number;
  test_mean?: number;
  n_control?: number;
  n_test?: number;
  /** Why value is null. */
  note?: string;
}

export interface MapData {
  metric: string;
  agg: MapAgg | 'dau';
  by: 'country' | 'region';
  geography: Geography;
  /** With by region: the country (alpha-2). */
  country: string | null;
  /** Where the places come from, e.g. users.country or users.attributes.region. */
  column: string;
  period: { from: string; to: string; label: string } | null;
  experiment: { name: string; control: string; variant: string; alpha: number } | null;
  /** What the value means, e.g. "events" or "relative lift". */
  value_label: string;
  regions: MapRegionResult[];
  /** Codes in the data that join to no shape, with their events (or units). */
  unmatched: (Unmatched & { n: number })[];
  /** Events (or units) with no place at all (NULL country or region, or no users row). */
  missing: number;
  notes: string[];
}

/** A map's result: what was asked and where the places come from, then its regions, largest value first. */
function mapResult(q: MapQuery, metric: MetricChoice, place: PlaceChoice, body: Pick<MapData, 'experiment' | 'value_label' | 'regions' | 'unmatched' | 'missing' | 'notes'>): MapData {
  const regions = [...body.regions].sort((a, b) => (b.value ?? -Infinity) - (a.value ?? -Infinity) || a.key.localeCompare(b.key));
  return { metric: q.metric, agg: metric.agg, by: q.by, geography: place.geography, country: place.country, column: place.column, period: periodInfo(q.period), ...body, regions };
}

/** Both ends of a period as ISO strings, and its label. */
function periodInfo(p: Period | undefined): MapData['period'] {
  return p ? { from: p.from.toISOString(), to: p.to.toISOString(), label: describePeriod(p) } : null;
}

interface MetricChoice {
  /** SQL condition on events aliased e. */
  where: string;
  agg: MapAgg | 'dau';
}

async function chooseMetric(store: Store, q: MapQuery): Promise<MetricChoice> {
  const metric = q.metric.trim();
  if (!metric) throw new UsageError('map needs --metric <event|dau>', { hint: 'e.g. --metric purchase, or --metric dau for daily active units' });
  const total = await store.all<{ n: number; named: number }>('SELECT count(*) AS n, count(*) FILTER (WHERE event = $1) AS named FROM events', [metric]);
  if (Number(total[0]?.n ?? 0) === 0) {
    throw new UserError('the project store has no events', {
      hint: "import events with `statsig-hack import events.csv --into events`, or try the demo's store: `statsig-hack demo`, then --db .statsig-hack/demo.duckdb",
      code: 'MAP_NO_DATA',
    });
  }
  if (Number(total[0]?.named ?? 0) > 0) return { where: `e.event = ${quoteLiteral(metric)}`, agg: q.agg ?? 'count' };
  const stored = await store.all<{ spec: unknown }>("SELECT spec FROM entities WHERE kind = 'metrics' AND name = $1", [metric]);
  if (stored[0]) {
    let def;
    try {
      def = metricFromSpec(typeof stored[0].spec === 'string' ? JSON.parse(stored[0].spec) : stored[0].spec);
    } catch (error) {
      throw new UserError(`cannot map metric "${metric}": ${errorMessage(error)}`, { hint: 'map its event instead: --metric <event> --agg count|sum|mean', code: 'MAP_UNSUPPORTED_METRIC' });
    }
    if (def.kind !== 'count' && def.kind !== 'sum' && def.kind !== 'mean') {
      throw new UserError(`metric "${metric}" is a ${def.type} metric; a map shows count, sum and mean metrics`, {
        hint: `map its event instead: --metric ${def.event} --agg count|sum|mean`,
        code: 'MAP_UNSUPPORTED_METRIC',
      });
    }
    return { where: `e.event = ${quoteLiteral(def.event)}`, agg: q.agg ?? def.kind };
  }
  if (metric.toLowerCase() === 'dau') {
    if (q.agg !== undefined) throw new UsageError(`--agg ${q.agg} does not apply to --metric dau (daily active units over every event)`, { hint: 'leave out --agg, or name an event: --metric purchase --agg sum' });
    // Over product events: profile runs' cpu_sample / cpu_time are not active units.
    return { where: productEventSql('e.event'), agg: 'dau' };
  }
  const top = await store.all<{ event: string }>('SELECT event FROM events GROUP BY event ORDER BY count(*) DESC, event LIMIT 8');
  const metrics = await store.all<{ name: string }>("SELECT name FROM entities WHERE kind = 'metrics' ORDER BY name LIMIT 8");
  const names = (await store.all<{ n: string }>("SELECT DISTINCT event AS n FROM events UNION SELECT name AS n FROM entities WHERE kind = 'metrics'")).map((r) => r.n);
  const close = didYouMean(metric, names);
  throw new UserError(`unknown metric "${metric}": no event or metric of that name in the project store`, {
    hint: `${close ? `did you mean "${close}"? ` : ''}events: ${top.map((r) => r.event).join(', ')}${metrics.length > 0 ? `; metrics: ${metrics.map((r) => r.name).join(', ')}` : ''} (or --metric dau for daily active units)`,
    code: 'MAP_UNKNOWN_METRIC',
  });
}

interface PlaceChoice {
  geography: Geography;
  /** SQL over users aliased u. */
  expr: string;
  column: string;
  /** SQL condition on u (the country of a region map), or TRUE. */
  filter: string;
  country: string | null;
}

async function choosePlace(store: Store, q: MapQuery): Promise<PlaceChoice> {
  const cols = (await store.all<{ column_name: string }>(`SELECT column_name FROM information_schema.columns WHERE table_name = 'users' AND table_schema = 'main'`)).map((r) => r.column_name);
  if (q.by === 'country') {
    if (q.country !== undefined) throw new UsageError('--country only applies with --by region', { hint: 'e.g. --by region --country US' });
    if (!cols.includes('country')) {
      throw new UserError('the users table has no country column', { hint: 'import users with a country column (ISO codes or English names): `statsig-hack import users.csv --into users`', code: 'MAP_NO_COUNTRY' });
    }
    return { geography: 'world', expr: 'u.country', column: 'users.country', filter: 'TRUE', country: null };
  }
  const raw = q.country ?? 'US';
  const country = countryCode(raw);
  if (country !== 'US') {
    throw new UsageError(`--by region draws the regions of the US only, not "${raw}"`, { hint: 'use --by region --country US, or --by country for the world map' });
  }
  if (!cols.includes('country')) throw new UserError('the users table has no country column, so the US users cannot be picked out', { hint: 'import users with a country column', code: 'MAP_NO_COUNTRY' });
  const filter = `lower(trim(CAST(u.country AS VARCHAR))) IN (${countrySpellings(country).map(quoteLiteral).join(', ')})`;
  for (const c of ['region', 'state']) if (cols.includes(c)) return { geography: 'us-states', expr: `u.${c}`, column: `users.${c}`, filter, country };
  if (cols.includes('attributes')) {
    const keys = await store.all<{ region: number; state: number }>(
      `SELECT count(*) FILTER (WHERE json_extract_string(attributes, '$.region') IS NOT NULL) AS region,
              count(*) FILTER (WHERE json_extract_string(attributes, '$.state') IS NOT NULL) AS state FROM users u WHERE ${filter}`,
    );
    for (const k of ['region', 'state'] as const) {
      if (Number(keys[0]?.[k] ?? 0) > 0) return { geography: 'us-states', expr: `json_extract_string(u.attributes, '$.${k}')`, column: `users.attributes.${k}`, filter, country };
    }
  }
  throw new UserError('no region for the US users: the users table has no region or state column, and no region or state attribute', {
    hint: 'import users with a region column (state names, postal codes or FIPS codes), or map --by country',
    code: 'MAP_NO_REGION',
  });
}

function label(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
}

/** Joins raw place codes to shapes; `merge` folds the statistics of codes that name the same shape. */
function joinCodes<T>(geography: Geography, rows: { code: string | null; stats: T; n: number }[], merge: (a: T, b: T) => T) {
  const shapes = new Map<string, { name: string; codes: string[]; stats: T; n: number }>();
  const unmatched = new Map<string, Unmatched & { n: number }>();
  let missing = 0;
  for (const r of rows) {
    if (r.code === null || r.code.trim() === '') {
      missing += r.n;
      continue;
    }
    const m = matchCode(geography, r.code);
    if ('reason' in m) {
      const u = unmatched.get(r.code) ?? { code: r.code, reason: m.reason, n: 0 };
      u.n += r.n;
      unmatched.set(r.code, u);
      continue;
    }
    const s = shapes.get(m.key);
    if (s) {
      if (!s.codes.includes(r.code)) s.codes.push(r.code);
      s.stats = merge(s.stats, r.stats);
      s.n += r.n;
    } else shapes.set(m.key, { name: m.name, codes: [r.code], stats: r.stats, n: r.n });
  }
  return { shapes, unmatched: [...unmatched.values()].sort((a, b) => b.n - a.n || a.code.localeCompare(b.code)), missing };
}

interface ValueStats {
  n: number;
  s: number;
  nv: number;
  unitDays: number;
}

async function valueMap(store: Store, q: MapQuery, metric: MetricChoice, place: PlaceChoice): Promise<MapData> {
  const conds = [metric.where, place.filter];
  if (q.period) conds.push(inPeriodSql('e.ts', q.period));
  const rows = await store.all<{ k: unknown; n: number; s: number | null; nv: number; unit_days: number; days: number }>(
    `WITH ev AS (
       SELECT e.unit_id, e.ts, CASE WHEN isfinite(e.value) THEN e.value END AS value, CAST(${place.expr} AS VARCHAR) AS k
       FROM events e LEFT JOIN users u ON u.unit_id = e.unit_id
       WHERE ${conds.join(' AND ')})
     SELECT k, count(*) AS n, sum(value) AS s, count(value) AS nv,
            count(DISTINCT unit_id || '|' || CAST(CAST(ts AS DATE) AS VARCHAR)) AS unit_days,
            (SELECT count(DISTINCT CAST(ts AS DATE)) FROM ev) AS days
     FROM ev GROUP BY k ORDER BY k`,
  );
  if (rows.length === 0) {
    throw new UserError(`no ${metric.agg === 'dau' ? '' : `"${q.metric}" `}events${q.period ? ` in ${q.period.label}` : ''}${place.country ? ` from ${place.country} users` : ''}`, {
      hint: q.period ? 'widen --period, or leave it out for all the data' : 'check --metric',
      code: 'MAP_NO_DATA',
    });
  }
  const days = Number(rows[0]?.days ?? 0);
  const joined = joinCodes<ValueStats>(
    place.geography,
    rows.map((r) => ({ code: label(r.k), n: Number(r.n), stats: { n: Number(r.n), s: Number(r.s ?? 0), nv: Number(r.nv), unitDays: Number(r.unit_days) } })),
    (a, b) => ({ n: a.n + b.n, s: a.s + b.s, nv: a.nv + b.nv, unitDays: a.unitDays + b.unitDays }),
  );
  if ((metric.agg === 'sum' || metric.agg === 'mean') && rows.every((r) => Number(r.nv) === 0)) {
    throw new UserError(`--agg ${metric.agg}: the "${q.metric}" events have no value`, { hint: 'use --agg count for events without values', code: 'MAP_NO_VALUES' });
  }
  const valueOf = (st: ValueStats): number | null => {
    if (metric.agg === 'count') return st.n;
    if (metric.agg === 'sum') return st.s;
    if (metric.agg === 'mean') return st.nv > 0 ? st.s / st.nv : null;
    return days > 0 ? st.unitDays / days : null;
  };
  const regions: MapRegionResult[] = [...joined.shapes.entries()].map(([key, s]) => {
    const value = valueOf(s.stats);
    return { key, name: s.name, codes: s.codes, value, n: s.n, ...(value === null ? { note: 'no event with a value' } : {}) };
  });
  const valueLabel = { count: 'events', sum: `sum of ${q.metric} values`, mean: `mean ${q.metric} value per event`, dau: `average daily active units (${days} day${days === 1 ? '' : 's'})` }[metric.agg];
  return mapResult(q, metric, place, { experiment: null, value_label: valueLabel, regions, unmatched: joined.unmatched, missing: joined.missing, notes: [] });
}

interface ExperimentSpec {
  controlGroupID?: string;
  groups?: { name?: string }[];
}

async function experimentArms(store: Store, q: MapQuery): Promise<{ control: string; variant: string }> {
  const name = q.experiment as string;
  const groups = (await store.all<{ g: string }>('SELECT DISTINCT group_name AS g FROM exposures WHERE experiment = $1 ORDER BY 1', [name])).map((r) => r.g);
  if (groups.length === 0) {
    const known = await store.all<{ name: string }>('SELECT DISTINCT experiment AS name FROM exposures ORDER BY 1 LIMIT 20');
    throw new UserError(`no exposures for experiment "${name}" in the project store`, {
      hint: known.length > 0 ? `experiments with exposures: ${known.map((k) => k.name).join(', ')}` : 'import exposures or run `statsig-hack seed` first',
      code: 'MAP_UNKNOWN_EXPERIMENT',
    });
  }
  const rows = await store.all<{ spec: unknown }>("SELECT spec FROM entities WHERE kind = 'experiments' AND name = $1", [name]);
  const spec = (typeof rows[0]?.spec === 'string' ? JSON.parse(rows[0].spec) : (rows[0]?.spec ?? {})) as ExperimentSpec;
  const control = q.control ?? (spec.controlGroupID && groups.includes(spec.controlGroupID) ? spec.controlGroupID : groups.includes('control') ? 'control' : undefined);
  if (control === undefined || !groups.includes(control)) {
    throw new UsageError(`experiment ${name} has no control group${q.control ? ` named "${q.control}"` : ''}`, { hint: `pass --control <group>; groups: ${groups.join(', ')}` });
  }
  const others = groups.filter((g) => g !== control);
  const variant = q.variant ?? (others.length === 1 ? others[0] : undefined);
  if (variant === undefined) throw new UsageError(`experiment ${name} has several variants: pick one with --variant`, { hint: `variants: ${others.join(', ')}` });
  if (variant === control || !groups.includes(variant)) {
    throw new UsageError(`experiment ${name} has no variant "${variant}"`, { hint: `variants: ${others.join(', ') || '(none)'}` });
  }
  return { control, variant };
}

const ZERO = 1e-300;

/** Sufficient statistics of one arm in one place: y = the unit's metric (numerator), d = its denominator (mean). */
function armMoments(r: { n: number; my: number; md: number; sy: number; sd: number; syy: number; sdd: number; syd: number }): Moments {
  return {
    n: Number(r.n),
    names: ['y', 'd'],
    shift: [Number(r.my), Number(r.md)],
    sums: [Number(r.sy), Number(r.sd)],
    cross: [
      [Number(r.syy), Number(r.syd)],
      [Number(r.syd), Number(r.sdd)],
    ],
  };
}

/**
 * The map shows the relative lift and its (delta-method) CI: its p-value and the hatching come
 * from that same test, so a CI that includes 0 is never called significant (the absolute
 * difference's p can be below alpha while the relative CI still includes 0).
 */
export function liftSignificance(cmp: Comparison, alpha: number): { p: number | null; significant: boolean } {
  const p = cmp.rel_lift !== null && cmp.rel_se !== null && cmp.rel_se > 0 && cmp.df !== null ? pValue(cmp.rel_lift / cmp.rel_se, cmp.df, 'two') : null;
  return { p, significant: p !== null && p < alpha };
}

async function liftMap(store: Store, q: MapQuery, metric: MetricChoice, place: PlaceChoice): Promise<MapData> {
  const { control, variant } = await experimentArms(store, q);
  const alpha = q.alpha ?? 0.05;
  const on = ['e.unit_id = x.unit_id', 'e.ts >= x.first_exposure', metric.where];
  if (q.period) on.push(inPeriodSql('e.ts', q.period));
  const finite = 'CASE WHEN isfinite(e.value) THEN e.value END';
  const y = { count: 'count(e.unit_id)', sum: `coalesce(sum(${finite}), 0)`, mean: `coalesce(sum(${finite}), 0)`, dau: 'count(DISTINCT CAST(e.ts AS DATE))' }[metric.agg];
  const d = metric.agg === 'mean' ? `count(${finite})` : '1';
  const rows = await store.all<{ k: unknown; g: string; n: number; my: number; md: number; sy: number; sd: number; syy: number; sdd: number; syd: number }>(
    `WITH x AS (SELECT unit_id, group_name AS g, first_exposure FROM exposures WHERE experiment = $1 AND group_name IN ($2, $3)),
     pu AS (SELECT x.unit_id, x.g, CAST(${y} AS DOUBLE) AS y, CAST(${d} AS DOUBLE) AS d
            FROM x LEFT JOIN events e ON ${on.join(' AND ')} GROUP BY x.unit_id, x.g),
     pk AS (SELECT pu.g, pu.y, pu.d, CAST(${place.expr} AS VARCHAR) AS k FROM pu LEFT JOIN users u ON u.unit_id = pu.unit_id WHERE ${place.filter}),
     sh AS (SELECT avg(y) AS my, avg(d) AS md FROM pk)
     SELECT k, g, count(*) AS n, any_value(my) AS my, any_value(md) AS md,
            sum(y - my) AS sy, sum(d - md) AS sd, sum((y - my) * (y - my)) AS syy, sum((d - md) * (d - md)) AS sdd, sum((y - my) * (d - md)) AS syd
     FROM pk CROSS JOIN sh GROUP BY k, g ORDER BY k, g`,
    [q.experiment as string, control, variant],
  );
  if (rows.length === 0) throw new UserError(`no exposed units in experiment ${q.experiment}${place.country ? ` from ${place.country}` : ''}`, { hint: 'check --experiment and --country', code: 'MAP_NO_DATA' });
  interface Arms {
    c: Moments | null;
    t: Moments | null;
  }
  const merge = (a: Moments | null, b: Moments | null): Moments | null => (a && b ? mergeMoments(a, b) : (a ?? b));
  const joined = joinCodes<Arms>(
    place.geography,
    rows.map((r) => ({ code: label(r.k), n: Number(r.n), stats: r.g === control ? { c: armMoments(r), t: null } : { c: null, t: armMoments(r) } })),
    (a, b) => ({ c: merge(a.c, b.c), t: merge(a.t, b.t) }),
  );
  const notes: string[] = [];
  const regions: MapRegionResult[] = [...joined.shapes.entries()].map(([key, s]) => {
    const base = { key, name: s.name, codes: s.codes, n: s.n, n_control: s.stats.c?.n ?? 0, n_test: s.stats.t?.n ?? 0 };
    if (!s.stats.c || !s.stats.t || s.stats.c.n < 2 || s.stats.t.n < 2) return { ...base, value: null, note: 'fewer than 2 units in an arm' };
    let cmp: Comparison;
    try {
      cmp =
        metric.agg === 'mean'
          ? analyzeRatio(s.stats.c, s.stats.t, { numerator: 'y', denominator: 'd', metric: q.metric, alpha })
          : analyzeMean(s.stats.c, s.stats.t, { metric: 'y', alpha });
    } catch (error) {
      if (error instanceof StatsInputError) return { ...base, value: null, note: error.message };
      throw error;
    }
    if (cmp.rel_lift === null || Math.abs(cmp.control_mean) < ZERO) return { ...base, value: null, note: 'the control value is 0, so the relative lift is undefined' };
    const { p, significant } = liftSignificance(cmp, alpha);
    return { ...base, value: cmp.rel_lift, ci: cmp.rel_ci, p_value: p, significant, control_mean: cmp.control_mean, test_mean: cmp.test_mean };
  });
  const skipped = regions.filter((r) => r.value === null).sort((a, b) => a.key.localeCompare(b.key));
  if (skipped.length > 0) notes.push(`no lift for ${skipped.length} place${skipped.length === 1 ? '' : 's'} (${skipped.slice(0, 8).map((r) => r.key).join(', ')}${skipped.length > 8 ? ', ...' : ''}): too few units or a control of 0`);
  const what = { count: `${q.metric} events per unit`, sum: `${q.metric} value per unit`, mean: `mean ${q.metric} value per event`, dau: 'active days per unit' }[metric.agg];
  return mapResult(q, metric, place, {
    experiment: { name: q.experiment as string, control, variant, alpha },
    value_label: `relative lift in ${what}, ${variant} vs ${control}`,
    regions,
    unmatched: joined.unmatched,
    missing: joined.missing,
    notes,
  });
}

/** The map's numbers from the store (see the module comment). Throws UserError for bad input. */
export async function mapData(store: Store, q: MapQuery): Promise<MapData> {
  if (q.variant !== undefined && q.experiment === undefined) throw new UsageError('--variant needs --experiment', { hint: 'e.g. --experiment checkout_redesign --variant treatment' });
  if (q.control !== undefined && q.experiment === undefined) throw new UsageError('--control needs --experiment', { hint: 'e.g. --experiment checkout_redesign --control control' });
  const metric = await chooseMetric(store, q);
  const place = await choosePlace(store, q);
  const data = q.experiment === undefined ? await valueMap(store, q, metric, place) : await liftMap(store, q, metric, place);
  if (data.regions.length === 0 && data.unmatched.length === 0) {
    throw new UserError(`no ${q.by} for any of the ${data.experiment ? 'exposed units' : 'events'}: ${place.column} is empty for them`, {
      hint: q.by === 'country' ? 'import users with a country column (ISO codes or English names): `statsig-hack import users.csv --into users`' : 'import users with a region column (state names, postal codes or FIPS)',
      code: q.by === 'country' ? 'MAP_NO_COUNTRY' : 'MAP_NO_REGION',
    });
  }
  return data;
}
