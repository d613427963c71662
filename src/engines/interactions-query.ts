/**
 * The interactions service: finds every pair of experiments with units exposed to both, and per
 * pair one aggregation of the metrics over the shared units grouped by (A's group, B's group).
 *
 * SQL (standard aggregates; a warehouse can run it): the overlap is COUNT(*) over a self-join of
 * exposures; per pair, a per-unit sub-select (exposures of A JOIN exposures of B, LEFT JOIN events
 * after the later of the two first exposures, GROUP BY unit with the metric's COUNT/SUM FILTER
 * aggregates) feeds the moments query (COUNT, SUM, SUM of products) grouped by the cell key
 * A's group || US || B's group. The math on the cell statistics is in interactions.ts.
 */
import { didYouMean, UserError } from '../core/errors.js';
import { quoteIdent, quoteLiteral, type Store } from '../store/store.js';
import { componentSql, experimentMetrics, isRatioMetric, metricComponents, MetricMappingError, type MetricDef } from '../store/metrics.js';
import { cellEstimate, controlFdr, interactionTest, type InteractionTest } from '../stats/interactions.js';
import type { Moments } from '../stats/moments.js';
import { SEGMENT_SEPARATOR } from '../stats/segments.js';
import { buildMomentsQuery, type MomentRequest } from './sql.js';

export interface InteractionOptions {
  /** Only pairs that include this experiment. */
  experiment?: string | undefined;
  /** Only these metrics (names as the experiments list them); default: every metric either experiment lists. */
  metrics?: string[] | undefined;
  alpha: number;
  /** Pairs sharing fewer units than this are listed but not tested. */
  minOverlap: number;
  /** Progress hook: called with the name of each long step as it starts ("overlaps", "a x b (1/3)"). */
  onStep?: ((step: string) => void) | undefined;
}

export interface InteractionPair {
  a: string;
  b: string;
  overlap_units: number;
  control_a: string | null;
  control_b: string | null;
  metrics: string[];
  /** Why the pair was not tested, else null. */
  skipped: string | null;
}

export interface InteractionsResult {
  experiment: string | null;
  alpha: number;
  correction: 'bh';
  pairs: InteractionPair[];
  tests: InteractionTest[];
  warnings: string[];
}

/** Pairs of experiments with shared units (a < b by name), optionally those including one experiment. */
export function overlapQuery(experiment?: string): string {
  const only = experiment === undefined ? '' : `WHERE x.experiment = ${quoteLiteral(experiment)} OR y.experiment = ${quoteLiteral(experiment)}`;
  return `SELECT x.experiment AS a, y.experiment AS b, COUNT(*) AS n
    FROM exposures x JOIN exposures y ON x.unit_id = y.unit_id AND x.experiment < y.experiment
    ${only}
    GROUP BY x.experiment, y.experiment ORDER BY x.experiment, y.experiment`;
}

/** One row per unit exposed to both a and b: both groups and each metric component after both exposures. */
export function pairUnitsRelation(a: string, b: string, defs: MetricDef[]): { relation: string; columns: Map<string, { num: string; den: string | null }> } {
  const columns = new Map<string, { num: string; den: string | null }>();
  const aggs: string[] = [];
  const events = new Set<string>();
  defs.forEach((d, i) => {
    const { numerator, denominator } = metricComponents(d);
    events.add(numerator.event);
    const cols = { event: 'ev.event', value: 'ev.value', ts: 'ev.ts' };
    aggs.push(`COALESCE(CAST(${componentSql(numerator, cols)} AS DOUBLE), 0) AS m${i}_num`);
    let den: string | null = null;
    if (denominator && isRatioMetric(d)) {
      events.add(denominator.event);
      aggs.push(`COALESCE(CAST(${componentSql(denominator, cols)} AS DOUBLE), 0) AS m${i}_den`);
      den = `m${i}_den`;
    }
    columns.set(d.key, { num: `m${i}_num`, den });
  });
  const relation = `(SELECT u.unit_id, u.ga, u.gb, ${aggs.join(', ')}
    FROM (SELECT x.unit_id, x.group_name AS ga, y.group_name AS gb, GREATEST(x.first_exposure, y.first_exposure) AS t0
          FROM exposures x JOIN exposures y ON x.unit_id = y.unit_id
          WHERE x.experiment = ${quoteLiteral(a)} AND y.experiment = ${quoteLiteral(b)}) u
    LEFT JOIN events ev ON ev.unit_id = u.unit_id AND ev.ts >= u.t0 AND ev.event IN (${[...events].map(quoteLiteral).join(', ')})
    GROUP BY u.unit_id, u.ga, u.gb)`;
  return { relation, columns };
}

interface ExperimentInfo {
  groups: string[];
  control: string | null;
  metrics: MetricDef[];
}

async function experimentInfo(store: Store, name: string): Promise<ExperimentInfo> {
  const groups = (await store.all<{ g: string }>('SELECT DISTINCT group_name AS g FROM exposures WHERE experiment = $1 ORDER BY 1', [name])).map((r) => String(r.g));
  const rows = await store.all<{ spec: unknown }>("SELECT spec FROM entities WHERE kind = 'experiments' AND name = $1", [name]);
  const spec = (rows[0] ? (typeof rows[0].spec === 'string' ? JSON.parse(rows[0].spec) : rows[0].spec) : {}) as { controlGroupID?: string };
  const control = (spec.controlGroupID && groups.includes(spec.controlGroupID) ? spec.controlGroupID : groups.find((g) => g.toLowerCase() === 'control')) ?? null;
  let metrics: MetricDef[] = [];
  try {
    const listed = await experimentMetrics(store, name);
    metrics = listed ? [...listed.primary, ...listed.secondary] : [];
  } catch (error) {
    if (!(error instanceof MetricMappingError)) throw error;
  }
  return { groups, control, metrics };
}

export async function findInteractions(store: Store, opts: InteractionOptions): Promise<InteractionsResult> {
  const warnings: string[] = [];
  if (opts.experiment !== undefined) {
    const [row] = await store.all<{ n: number }>('SELECT COUNT(*) AS n FROM exposures WHERE experiment = $1', [opts.experiment]);
    if (Number(row?.n ?? 0) === 0) {
      const known = (await store.all<{ e: string }>('SELECT DISTINCT experiment AS e FROM exposures ORDER BY 1')).map((r) => r.e);
      throw new UserError(`no exposures for experiment "${opts.experiment}" in the project store`, {
        hint: known.length > 0 ? `experiments: ${known.join(', ')}` : 'run `statsig-hack seed` or import exposures first',
        code: 'UNKNOWN_EXPERIMENT',
      });
    }
  }
  opts.onStep?.('finding overlapping experiments');
  const overlaps = await store.all<{ a: string; b: string; n: number }>(overlapQuery(opts.experiment));
  const infos = new Map<string, ExperimentInfo>();
  const info = async (name: string): Promise<ExperimentInfo> => {
    let i = infos.get(name);
    if (!i) {
      i = await experimentInfo(store, name);
      infos.set(name, i);
    }
    return i;
  };
  if (opts.metrics && opts.metrics.length > 0) {
    // --metric names what the experiments list: an unknown one is an error, not "0 tests".
    const experiments = (await store.all<{ e: string }>('SELECT DISTINCT experiment AS e FROM exposures ORDER BY 1')).map((r) => String(r.e));
    const listed: string[] = [];
    for (const e of experiments) for (const d of (await info(e)).metrics) if (!listed.includes(d.key)) listed.push(d.key);
    const unknown = opts.metrics.find((m) => !listed.includes(m));
    if (unknown !== undefined) {
      const close = didYouMean(unknown, listed);
      throw new UserError(`unknown metric "${unknown}"${close ? ` (did you mean "${close}"?)` : ''}: no experiment lists it`, {
        hint: `metrics: ${listed.join(', ') || '(none)'}`,
        code: 'UNKNOWN_METRIC',
        exitCode: 2,
      });
    }
  }
  const pairs: InteractionPair[] = [];
  let tests: InteractionTest[] = [];
  for (const [index, o] of overlaps.entries()) {
    const a = String(o.a);
    const b = String(o.b);
    const ia = await info(a);
    const ib = await info(b);
    const defs = [...ia.metrics, ...ib.metrics].filter((d, i, all) => all.findIndex((x) => x.key === d.key) === i).filter((d) => !opts.metrics || opts.metrics.length === 0 || opts.metrics.includes(d.key));
    const pair: InteractionPair = { a, b, overlap_units: Number(o.n), control_a: ia.control, control_b: ib.control, metrics: defs.map((d) => d.key), skipped: null };
    pairs.push(pair);
    if (!ia.control || !ib.control) pair.skipped = `no control group in ${!ia.control ? a : b} (a group named "control" or the spec's controlGroupID)`;
    else if (defs.length === 0) pair.skipped = 'neither experiment lists a metric (or --metric matched none)';
    else if (pair.overlap_units < opts.minOverlap) pair.skipped = `only ${pair.overlap_units} shared units (at least ${opts.minOverlap})`;
    if (pair.skipped) continue;
    const { relation, columns } = pairUnitsRelation(a, b, defs);
    const requests: MomentRequest[] = defs.map((d) => {
      const c = columns.get(d.key) as { num: string; den: string | null };
      const cols = [{ name: 'num', expr: quoteIdent(c.num) }, ...(c.den ? [{ name: 'den', expr: quoteIdent(c.den) }] : [])];
      return { key: d.key, columns: cols, shift: cols.map(() => 0) };
    });
    const key = `(CAST(ga AS VARCHAR) || ${quoteLiteral(SEGMENT_SEPARATOR)} || CAST(gb AS VARCHAR))`;
    const query = buildMomentsQuery(relation, key, requests);
    opts.onStep?.(`${a} x ${b} (pair ${index + 1} of ${overlaps.length})`);
    const moments = query.decode(await store.all(query.sql));
    const ca = ia.control as string;
    const cb = ib.control as string;
    for (const d of defs) {
      const byCell = moments.get(d.key) ?? new Map<string, Moments>();
      const den = columns.get(d.key)?.den ? 'den' : undefined;
      const cell = (ga: string, gb: string) => {
        const m = byCell.get(`${ga}${SEGMENT_SEPARATOR}${gb}`);
        return m ? cellEstimate(m, 'num', den) : null;
      };
      for (const va of ia.groups.filter((g) => g !== ca)) {
        for (const vb of ib.groups.filter((g) => g !== cb)) {
          tests.push(
            interactionTest(
              { a, b, metric: d.key, variant_a: va, control_a: ca, variant_b: vb, control_b: cb },
              { a0b0: cell(ca, cb), ab0: cell(va, cb), a0b: cell(ca, vb), ab: cell(va, vb) },
              opts.alpha,
            ),
          );
        }
      }
    }
  }
  tests = controlFdr(tests, opts.alpha);
  const untested = tests.filter((t) => t.p_value === null).length;
  if (untested > 0) warnings.push(`${untested} test${untested === 1 ? '' : 's'} not run: a cell had fewer than 2 units or no variance`);
  return { experiment: opts.experiment ?? null, alpha: opts.alpha, correction: 'bh', pairs, tests, warnings };
}
