/**
 * Metric definitions for analysis: turns a stored metric spec (entities.kind = 'metrics', a
 * Statsig Console API metric body) or a built-in metric reference into what the analysis SQL needs.
 *
 * Per unit, a metric is computed from that unit's events with ts >= its first exposure (and before
 * the end of the data), as one or two unit-level components:
 *
 *   component  per-unit value                                         SQL (see componentSql)
 *   count      number of matching events                              count(*) FILTER (WHERE event = e)
 *   sum        sum of the events' value                               coalesce(sum(value) FILTER (...), 0)
 *   any        1 if the unit had at least one matching event, else 0  max(CASE WHEN event = e THEN 1 ELSE 0 END)
 *   days       number of distinct days with a matching event          count(DISTINCT CASE WHEN event = e THEN ts::DATE END)
 *
 *   kind   components                       group statistic
 *   count  count(event)                     mean over units
 *   sum    sum(event)                       mean over units
 *   any    any(event)                       mean over units (share of units)
 *   days   days(event)                      mean over units
 *   mean   sum(event) / count(event)        ratio of group sums: Σ sum / Σ count (delta method)
 *   ratio  numerator / denominator          ratio of group sums: Σ num / Σ den over all exposed units
 *
 * Mapping from Statsig metric types:
 *   sum                 -> sum of metricEvents[0]
 *   mean                -> mean: sum(value) / count of metricEvents[0]
 *   event_count_custom  -> count of metricEvents[0]
 *   event_user          -> any of metricEvents[0]
 *   ratio               -> metricEvents[0] / metricEvents[1]; each side aggregates by its type:
 *                          value -> sum, count_distinct -> any, count / null -> count
 *   funnel              -> ratio any(last step) / any(first step) (conversion of units who started)
 *   built-in event_count (ref {name: event, type: 'event_count'}) -> count of the event
 *   built-in event_dau   (ref {name: event, type: 'event_dau'})   -> days with the event
 *   percentile          -> the `percentile` (0..1, e.g. 0.9) quantile across units of the per-unit
 *                          sum of metricEvents[0]'s values (count when the event has type count);
 *                          analyze reports the quantile difference (stats/percentile.ts)
 * Metrics with criteria (filters) are not mapped (seed never creates them).
 *
 * The key a metric is reported under (and true_effects.metric holds): the custom metric's name, or
 * `${event}:${type}` for a built-in (e.g. `purchase:event_count`).
 */
import type { Store } from './store.js';

export type MetricKind = 'count' | 'sum' | 'any' | 'days' | 'mean' | 'ratio';
export type ComponentAgg = 'count' | 'sum' | 'any' | 'days';
export type Direction = 'increase' | 'decrease';

export interface MetricComponent {
  agg: ComponentAgg;
  event: string;
}

export interface MetricDef {
  /** The name analysis reports it under and true_effects.metric holds. */
  key: string;
  /** The metric's name (the event name for built-ins). */
  name: string;
  /** The Statsig type: sum, mean, ratio, event_count_custom, event_user, funnel, event_count, event_dau. */
  type: string;
  kind: MetricKind;
  /** The main event (the numerator's for ratio and mean). */
  event: string;
  numeratorEvent?: string;
  numeratorAgg?: ComponentAgg;
  denominatorEvent?: string;
  denominatorAgg?: ComponentAgg;
  direction: Direction;
  /** A percentile metric: this quantile (0..1) of the per-unit value across units, not its mean. */
  percentile?: number;
}

export const BUILTIN_METRIC_TYPES = ['event_count', 'event_dau'] as const;
export type BuiltinMetricType = (typeof BUILTIN_METRIC_TYPES)[number];

export class MetricMappingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MetricMappingError';
  }
}

/** The key for a metric reference {name, type} of an experiment. */
export function metricKey(ref: { name: string; type?: string | null }): string {
  return ref.type && (BUILTIN_METRIC_TYPES as readonly string[]).includes(ref.type) ? `${ref.name}:${ref.type}` : ref.name;
}

/** The built-in metrics Statsig derives from every logged event. */
export function builtinMetrics(event: string): MetricDef[] {
  return BUILTIN_METRIC_TYPES.map((t) => builtinMetric(event, t));
}

export function builtinMetric(event: string, type: BuiltinMetricType, direction: Direction = 'increase'): MetricDef {
  return {
    key: `${event}:${type}`,
    name: event,
    type,
    kind: type === 'event_count' ? 'count' : 'days',
    event,
    direction,
  };
}

interface MetricEventLike {
  name?: unknown;
  type?: unknown;
  criteria?: unknown;
}

function eventsOf(spec: Record<string, unknown>): MetricEventLike[] {
  const list = spec.metricEvents;
  return Array.isArray(list) ? (list as MetricEventLike[]) : [];
}

function eventName(e: MetricEventLike | undefined, metric: string, what: string): string {
  if (!e || typeof e.name !== 'string' || e.name.length === 0) throw new MetricMappingError(`metric ${metric}: ${what} event is missing`);
  if (Array.isArray(e.criteria) && e.criteria.length > 0) throw new MetricMappingError(`metric ${metric}: event criteria (filters) are not supported`);
  return e.name;
}

function ratioAgg(e: MetricEventLike): ComponentAgg {
  if (e.type === 'value') return 'sum';
  if (e.type === 'count_distinct') return 'any';
  return 'count';
}

/** Maps a stored metric spec (a Console API metric body) to its definition. Throws MetricMappingError. */
export function metricFromSpec(spec: unknown, direction?: Direction): MetricDef {
  if (spec === null || typeof spec !== 'object') throw new MetricMappingError('metric spec is not an object');
  const s = spec as Record<string, unknown>;
  const name = typeof s.name === 'string' ? s.name : '';
  if (!name) throw new MetricMappingError('metric spec has no name');
  const type = typeof s.type === 'string' ? s.type : '';
  const dir: Direction = direction ?? (s.directionality === 'decrease' ? 'decrease' : 'increase');
  const base = { key: name, name, type, direction: dir };
  const events = eventsOf(s);
  switch (type) {
    case 'sum':
      return { ...base, kind: 'sum', event: eventName(events[0], name, 'the') };
    case 'event_count_custom':
      return { ...base, kind: 'count', event: eventName(events[0], name, 'the') };
    case 'event_user':
      return { ...base, kind: 'any', event: eventName(events[0], name, 'the') };
    case 'mean': {
      const e = eventName(events[0], name, 'the');
      return { ...base, kind: 'mean', event: e, numeratorEvent: e, numeratorAgg: 'sum', denominatorEvent: e, denominatorAgg: 'count' };
    }
    case 'ratio': {
      if (events.length !== 2) throw new MetricMappingError(`metric ${name}: a ratio needs exactly two metricEvents (numerator, denominator)`);
      const num = eventName(events[0], name, 'the numerator');
      const den = eventName(events[1], name, 'the denominator');
      return {
        ...base,
        kind: 'ratio',
        event: num,
        numeratorEvent: num,
        numeratorAgg: ratioAgg(events[0] as MetricEventLike),
        denominatorEvent: den,
        denominatorAgg: ratioAgg(events[1] as MetricEventLike),
      };
    }
    case 'funnel': {
      const steps = Array.isArray(s.funnelEventList) ? (s.funnelEventList as MetricEventLike[]) : [];
      if (steps.length < 2) throw new MetricMappingError(`metric ${name}: a funnel needs at least two steps`);
      const first = eventName(steps[0], name, 'the first step');
      const last = eventName(steps[steps.length - 1], name, 'the last step');
      return { ...base, kind: 'ratio', event: last, numeratorEvent: last, numeratorAgg: 'any', denominatorEvent: first, denominatorAgg: 'any' };
    }
    case 'percentile': {
      const p = Number(s.percentile);
      if (!(p > 0 && p < 1)) throw new MetricMappingError(`metric ${name}: a percentile metric needs "percentile" between 0 and 1 (e.g. 0.9), got ${JSON.stringify(s.percentile ?? null)}`);
      const e = events[0];
      return { ...base, kind: e?.type === 'count' ? 'count' : 'sum', event: eventName(e, name, 'the'), percentile: p };
    }
    default:
      throw new MetricMappingError(`metric ${name}: type "${type}" is not supported for analysis`);
  }
}

/** Numerator and (for mean/ratio) denominator components of a metric. */
export function metricComponents(def: MetricDef): { numerator: MetricComponent; denominator: MetricComponent | null } {
  if (def.kind === 'mean' || def.kind === 'ratio') {
    return {
      numerator: { agg: def.numeratorAgg ?? 'count', event: def.numeratorEvent ?? def.event },
      denominator: { agg: def.denominatorAgg ?? 'count', event: def.denominatorEvent ?? def.event },
    };
  }
  return { numerator: { agg: def.kind, event: def.event }, denominator: null };
}

/** Whether a metric is analysed as a ratio of group sums (delta method) rather than a mean over units. */
export function isRatioMetric(def: MetricDef): boolean {
  return def.kind === 'mean' || def.kind === 'ratio';
}

function sqlString(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

/**
 * SQL aggregate for one component over a unit's event rows (use in a GROUP BY unit query; the
 * rows may come from a LEFT JOIN, NULL event rows count as nothing). Columns: event, value, ts.
 */
export function componentSql(c: MetricComponent, cols: { event?: string; value?: string; ts?: string } = {}, dialect?: { literal: (s: string) => string; count: (f?: string) => string; sum: (e: string, f?: string) => string }): string {
  const ev = cols.event ?? 'event';
  const val = cols.value ?? 'value';
  const ts = cols.ts ?? 'ts';
  const match = `${ev} = ${dialect ? dialect.literal(c.event) : sqlString(c.event)}`;
  switch (c.agg) {
    case 'count':
      return dialect ? dialect.count(match) : `count(*) FILTER (WHERE ${match})`;
    case 'sum':
      return `coalesce(${dialect ? dialect.sum(val, match) : `sum(${val}) FILTER (WHERE ${match})`}, 0)`;
    case 'any':
      return `coalesce(max(CASE WHEN ${match} THEN 1 ELSE 0 END), 0)`;
    case 'days':
      return `count(DISTINCT CASE WHEN ${match} THEN CAST(${ts} AS DATE) END)`;
  }
}

/** Resolves an experiment's metric reference against the project's custom metrics. Throws MetricMappingError. */
export function resolveMetricRef(
  ref: { name: string; type?: string | null; direction?: string | null },
  customMetrics: ReadonlyMap<string, unknown>,
): MetricDef {
  const direction: Direction | undefined = ref.direction === 'decrease' ? 'decrease' : ref.direction === 'increase' ? 'increase' : undefined;
  if (ref.type === 'event_count' || ref.type === 'event_dau') return builtinMetric(ref.name, ref.type, direction ?? 'increase');
  const spec = customMetrics.get(ref.name);
  if (spec === undefined) throw new MetricMappingError(`metric ${ref.name} is not defined in the project`);
  return metricFromSpec(spec, direction);
}

export interface ExperimentMetrics {
  primary: MetricDef[];
  secondary: MetricDef[];
}

function parseJson(value: unknown): unknown {
  return typeof value === 'string' ? (JSON.parse(value) as unknown) : value;
}

/** Reads an experiment's primary and secondary metrics from the store, mapped for analysis. */
export async function experimentMetrics(store: Store, experiment: string): Promise<ExperimentMetrics | null> {
  const rows = await store.all<{ spec: unknown }>(`SELECT spec FROM entities WHERE kind = 'experiments' AND name = $1`, [experiment]);
  if (!rows[0]) return null;
  const spec = parseJson(rows[0].spec) as { primaryMetrics?: unknown; secondaryMetrics?: unknown };
  const metricRows = await store.all<{ name: string; spec: unknown }>(`SELECT name, spec FROM entities WHERE kind = 'metrics'`);
  const custom = new Map<string, unknown>(metricRows.map((r) => [r.name, parseJson(r.spec)]));
  const refs = (list: unknown): MetricDef[] =>
    (Array.isArray(list) ? (list as { name: string; type?: string; direction?: string }[]) : []).map((r) => resolveMetricRef(r, custom));
  return { primary: refs(spec.primaryMetrics), secondary: refs(spec.secondaryMetrics) };
}
