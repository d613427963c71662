/**
 * Scorecards: the saved results of `analyze` in store mode (one row per experiment, metric and
 * variant; a new analysis replaces the old rows of that experiment). The knowledge bank answers
 * questions about outcomes from them, and checks every number a model quotes against them.
 */
import type { AnalyzeResult } from '../engines/analyze.js';
import { experimentMetrics } from '../store/metrics.js';
import { Store } from '../store/store.js';

export type Decision = 'win' | 'loss' | 'neutral';

export interface Scorecard {
  experiment: string;
  metric: string;
  variant: string;
  control: string | null;
  estimate: number | null;
  ci_low: number | null;
  ci_high: number | null;
  rel_lift: number | null;
  p_value: number | null;
  significant: boolean;
  method: string | null;
  alpha: number | null;
  decision: Decision;
  n_control: number | null;
  n_test: number | null;
  analyzed_at: string;
}

/** win: significant in the metric's good direction; loss: significant the other way; else neutral. */
export function decide(significant: boolean, diff: number | null, direction: 'increase' | 'decrease'): Decision {
  if (!significant || diff === null || diff === 0) return 'neutral';
  const up = diff > 0;
  return up === (direction === 'increase') ? 'win' : 'loss';
}

export function scorecardsOf(result: AnalyzeResult, directions: ReadonlyMap<string, 'increase' | 'decrease'>, analyzedAt: string): Scorecard[] {
  const experiment = result.experiment;
  if (!experiment) return [];
  return result.results.map((r) => ({
    experiment,
    metric: r.metric,
    variant: r.variant,
    control: result.control,
    estimate: r.diff,
    ci_low: r.diff_ci[0],
    ci_high: r.diff_ci[1],
    rel_lift: r.rel_lift,
    p_value: r.p_value_adjusted ?? r.p_value,
    significant: r.significant,
    method: r.method,
    alpha: result.alpha,
    decision: decide(r.significant, r.diff, directions.get(r.metric) ?? 'increase'),
    n_control: r.n_control,
    n_test: r.n_test,
    analyzed_at: analyzedAt,
  }));
}

const finite = (x: number | null): number | null => (x === null || !Number.isFinite(x) ? null : x);

/** Replaces the experiment's scorecards with this result's. Returns the rows written. */
export async function saveScorecards(store: Store, result: AnalyzeResult, now: Date = new Date()): Promise<Scorecard[]> {
  if (!result.experiment) return [];
  const metrics = await experimentMetrics(store, result.experiment).catch(() => null);
  const directions = new Map<string, 'increase' | 'decrease'>();
  for (const m of [...(metrics?.primary ?? []), ...(metrics?.secondary ?? [])]) directions.set(m.key, m.direction);
  const rows = scorecardsOf(result, directions, now.toISOString());
  await store.transaction(async () => {
    await store.run('DELETE FROM scorecards WHERE experiment = $1', [result.experiment]);
    for (const r of rows) {
      await store.run(
        `INSERT INTO scorecards (experiment, metric, variant, control, estimate, ci_low, ci_high, rel_lift, p_value, significant, method, alpha, decision, n_control, n_test, analyzed_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, CAST($16 AS TIMESTAMP))`,
        [r.experiment, r.metric, r.variant, r.control, finite(r.estimate), finite(r.ci_low), finite(r.ci_high), finite(r.rel_lift), finite(r.p_value), r.significant, r.method, r.alpha, r.decision, r.n_control, r.n_test, r.analyzed_at.replace('T', ' ').replace('Z', '')],
      );
    }
  });
  return rows;
}

/** Opens the store read-write just long enough to save the scorecards of one analysis. */
export async function saveScorecardsTo(db: string, result: AnalyzeResult): Promise<number> {
  const store = await Store.open(db);
  try {
    return (await saveScorecards(store, result)).length;
  } finally {
    store.close();
  }
}

export async function loadScorecards(store: Store, experiment?: string): Promise<Scorecard[]> {
  const hasTable = await store.all("SELECT 1 FROM information_schema.tables WHERE table_name = 'scorecards' AND table_schema = 'main'");
  if (hasTable.length === 0) return [];
  const rows = await store.all<Omit<Scorecard, 'analyzed_at' | 'decision'> & { analyzed_at: Date | string; decision: string }>(
    `SELECT * FROM scorecards ${experiment ? 'WHERE experiment = $1' : ''} ORDER BY experiment, metric, variant`,
    experiment ? [experiment] : undefined,
  );
  return rows.map((r) => ({
    ...r,
    significant: Boolean(r.significant),
    decision: (r.decision === 'win' || r.decision === 'loss' ? r.decision : 'neutral'),
    analyzed_at: r.analyzed_at instanceof Date ? r.analyzed_at.toISOString() : String(r.analyzed_at),
  }));
}
