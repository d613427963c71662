/**
 * SQL for segment analysis: the per-(group, segment value) grouping key that the one-pass
 * moments query groups by (string concatenation and COALESCE: standard SQL; the separator is
 * the ASCII unit separator, written as a literal so no dialect function is needed), and a
 * cardinality check per dimension (COUNT(DISTINCT)); and the runner that feeds the analysis'
 * own comparison with each segment's statistics.
 */
import { UserError } from '../core/errors.js';
import { DIALECTS, type Dialect } from './dialect.js';
import type { Engine } from './engine.js';
import type { Comparison } from '../stats/cuped.js';
import { StatsInputError, type Moments } from '../stats/moments.js';
import { SEGMENT_SEPARATOR, splitSegmentKey, type SegmentInput } from '../stats/segments.js';
import { buildMomentsQuery, type MomentRequest } from './sql.js';

/** Label of units whose segment value is NULL. */
export const NO_SEGMENT = '(none)';

/** Grouping expression "group<US>segment value" for buildMomentsQuery's group expression (`||` concatenates on every engine). */
export function segmentGroupExpr(group: string, dimension: string, d: Dialect = DIALECTS.duckdb): string {
  return `(${d.text(d.ident(group))} || ${d.literal(SEGMENT_SEPARATOR)} || COALESCE(${d.text(d.ident(dimension))}, ${d.literal(NO_SEGMENT)}))`;
}

/** Distinct values per dimension, in one scan: SELECT COUNT(DISTINCT d1) AS d0, ... */
export function segmentCardinalityQuery(relation: string, dimensions: readonly string[], d: Dialect = DIALECTS.duckdb): string {
  return `SELECT ${dimensions.map((x, i) => `COUNT(DISTINCT ${d.ident(x)}) AS d${i}`).join(', ')} FROM ${relation}`;
}

/** More distinct values than this in a segment dimension is an id or a number, not a segment. */
export const MAX_SEGMENT_VALUES = 50;

export interface SegmentRunArgs {
  relation: string;
  source: string;
  group: string;
  dimensions: readonly string[];
  /** The analysis' own moment requests (metric + covariate columns), grouped here by segment too. */
  requests: MomentRequest[];
  cellKeys: string[];
  control: string;
  variants: readonly string[];
  metrics: readonly string[];
  /** The analysis' comparison of one metric between two arms (CUPED/CUPAC as configured). */
  compare: (metric: string, control: Moments, test: Moments) => Comparison;
}

/**
 * The per-segment comparisons: one moments query per dimension, grouped by (group, segment value),
 * with the same columns (so CUPED/CUPAC is refitted inside each segment).
 */
export async function segmentComparisons(store: Pick<Engine, 'all' | 'dialect'>, a: SegmentRunArgs): Promise<SegmentInput[]> {
  const d = store.dialect;
  const [row] = await store.all(segmentCardinalityQuery(a.relation, a.dimensions, d));
  a.dimensions.forEach((d, i) => {
    const n = Number(row?.[`d${i}`] ?? 0);
    if (n > MAX_SEGMENT_VALUES) {
      throw new UserError(`segment column ${d} of ${a.source} has ${n.toLocaleString('en-US')} distinct values (at most ${MAX_SEGMENT_VALUES})`, {
        hint: 'segment by a categorical column (country, platform, plan), not an id or a continuous number',
        code: 'TOO_MANY_SEGMENTS',
        exitCode: 2,
      });
    }
  });
  const out: SegmentInput[] = [];
  for (const dimension of a.dimensions) {
    const query = buildMomentsQuery(a.relation, segmentGroupExpr(a.group, dimension, d), a.requests, {}, a.cellKeys, d);
    const moments = query.decode(await store.all(query.sql));
    for (const metric of a.metrics) {
      const byKey = moments.get(metric) ?? new Map<string, Moments>();
      const values = [...new Set([...byKey.keys()].map((k) => splitSegmentKey(k).value))].sort();
      for (const variant of a.variants) {
        for (const value of values) {
          const mc = byKey.get(`${a.control}${SEGMENT_SEPARATOR}${value}`);
          const mt = byKey.get(`${variant}${SEGMENT_SEPARATOR}${value}`);
          const base = { dimension, value, metric, variant, n_control: mc?.n ?? 0, n_test: mt?.n ?? 0 };
          if (!mc || !mt || mc.n < 2 || mt.n < 2) {
            out.push({ ...base, comparison: null, skipped: 'fewer than 2 units in an arm' });
            continue;
          }
          try {
            const c = a.compare(metric, mc, mt);
            out.push(Number.isFinite(c.diff) ? { ...base, comparison: c } : { ...base, comparison: null, skipped: 'no finite estimate (zero denominators?)' });
          } catch (error) {
            if (!(error instanceof StatsInputError) && !(error instanceof UserError)) throw error;
            out.push({ ...base, comparison: null, skipped: error.message });
          }
        }
      }
    }
  }
  return out;
}
