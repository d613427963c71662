import { describe, expect, it } from 'vitest';
import {
  awards,
  biggestLift,
  computeWrapped,
  cupacSaving,
  daysNeeded,
  isShippedWin,
  redactWrapped,
  winningVariants,
  type WrappedExperimentInput,
  type WrappedResultInput,
} from '../../src/charts/wrapped-data.js';
import { wrappedText } from '../../src/charts/wrapped-card.js';

const res = (metric: string, variant: string, decision: WrappedResultInput['decision'], rel_lift: number | null, vr: number | null = null): WrappedResultInput => ({
  metric,
  variant,
  significant: decision !== 'neutral',
  decision,
  rel_lift,
  variance_reduction: vr,
});

function exp(name: string, over: Partial<WrappedExperimentInput> = {}): WrappedExperimentInput {
  return {
    name,
    status: 'active',
    launchedGroup: null,
    groupIds: {},
    control: 'control',
    groups: 2,
    firstDay: '2026-03-01',
    lastDay: '2026-03-04',
    units: 100,
    results: [],
    analysisError: null,
    ...over,
  };
}

describe('wrapped numbers (pure)', () => {
  it('days needed at the same power: ceil(days x (1 - VR)), at least one', () => {
    expect(daysNeeded(28, 0)).toBe(28);
    expect(daysNeeded(28, 0.5)).toBe(14);
    expect(daysNeeded(28, 0.75)).toBe(7); // 28 x 0.25 = 7 exactly: float noise must not cost a day
    expect(daysNeeded(28, 0.26)).toBe(21); // 20.72 -> 21
    expect(daysNeeded(28, 0.01)).toBe(28); // 27.72 -> 28: a 1% cut saves no whole day
    expect(daysNeeded(4, 0.99)).toBe(1);
    expect(daysNeeded(10, -0.3)).toBe(10); // an adjustment that made things worse counts as none
  });

  it('days saved: the smallest VR among the experiment\'s metrics', () => {
    const x = exp('a', { firstDay: '2026-03-01', lastDay: '2026-03-10', results: [res('m1', 't', 'win', 0.1, 0.7), res('m2', 't', 'neutral', 0, 0.3)] });
    // VR 0.3 (m2 must reach the same power too): 7 of 10 days.
    expect(cupacSaving(x)).toEqual({ experiment: 'a', variance_reduction: 0.3, days_run: 10, days_needed: 7, days_saved: 3 });
    const y = exp('b', { ...x, name: 'b', results: [res('m1', 't', 'win', 0.1, 0.7)] });
    expect(cupacSaving(y)).toMatchObject({ variance_reduction: 0.7, days_needed: 3, days_saved: 7 });
    // Not adjusted (method none) or made worse: nothing saved.
    expect(cupacSaving(exp('c', { results: [res('m', 't', 'neutral', 0, null)] })).days_saved).toBe(0);
    expect(cupacSaving(exp('d', { results: [res('m', 't', 'neutral', 0, -0.2)] })).days_saved).toBe(0);
  });

  it('wins need a good move and no bad one; shipped wins need the decision and the launched group', () => {
    const x = exp('a', { results: [res('rev', 'b1', 'win', 0.1), res('churn', 'b1', 'loss', 0.05), res('rev', 'b2', 'win', 0.04), res('churn', 'b2', 'neutral', 0)] });
    expect(winningVariants(x)).toEqual(['b2']);
    expect(isShippedWin(x)).toBe(false); // still active
    expect(isShippedWin({ ...x, status: 'decision_made' })).toBe(true);
    expect(isShippedWin({ ...x, status: 'decision_made', launchedGroup: 'b1' })).toBe(false); // shipped the variant that also lost
    expect(isShippedWin({ ...x, status: 'decision_made', launchedGroup: 'gid2', groupIds: { b2: 'gid2' } })).toBe(true);
    expect(isShippedWin({ ...x, status: 'decision_made', launchedGroup: 'control' })).toBe(false);
  });

  it('the biggest lift is the largest |lift| among wins (a decrease metric wins downwards)', () => {
    const xs = [
      exp('a', { results: [res('rev', 't', 'win', 0.08), res('clicks', 't', 'loss', 0.5)] }),
      exp('b', { results: [res('latency', 't', 'win', -0.12)] }),
      exp('c', { results: [res('rev', 't', 'neutral', 0.3)] }),
    ];
    expect(biggestLift(xs)).toEqual({ experiment: 'b', variant: 't', metric: 'latency', rel_lift: -0.12 });
    expect(biggestLift([xs[2]!])).toBeNull();
  });

  it('awards follow their stated rules, ties broken by units then name', () => {
    const xs = [
      exp('zeta', { groups: 4, units: 50, results: [res('rev', 't', 'neutral', 0, 0.35)] }),
      exp('alpha', { groups: 4, units: 80, lastDay: '2026-03-20', results: [res('rev', 't', 'neutral', 0, 0.6), res('aov', 't', 'neutral', 0, 0.61)] }),
      exp('beta', { groups: 2, units: 900, lastDay: '2026-03-20' }),
    ];
    const byId = Object.fromEntries(awards(xs).map((a) => [a.id, a]));
    expect(byId.variance_cut).toMatchObject({ experiment: 'alpha', metric: 'aov', value: 0.61 });
    expect(byId.most_variants).toMatchObject({ experiment: 'alpha', value: 4 }); // 4 groups each: alpha has more units
    expect(byId.longest_running).toMatchObject({ experiment: 'beta', value: 20 }); // 20 days each: beta has more units
    expect(byId.biggest_audience).toMatchObject({ experiment: 'beta', value: 900 });
    // No adjusted metric anywhere: no Variance Slayer.
    expect(awards([exp('x')]).map((a) => a.id)).not.toContain('variance_cut');
  });

  it('sums up a year and redacts every name and metric value', () => {
    const xs = [
      exp('checkout_redesign', { status: 'decision_made', units: 300, results: [res('revenue_per_user', 'fast_path', 'win', 0.1234, 0.42)] }),
      exp('search_ranking', { groups: 3, units: 200, results: [res('search_clicks', 'ranker_v2', 'loss', -0.05, 0.1), res('revenue_per_user', 'ranker_v2', 'neutral', 0.01, 0.2)] }),
      exp('broken', { units: 10, results: [], analysisError: 'experiment broken lists no metrics' }),
    ];
    const d = computeWrapped({ year: 2026, project: 'Acme Shop', units: 420, experiments: xs });
    expect(d).toMatchObject({ experiments_run: 3, experiments_analyzed: 2, wins: 1, shipped_wins: 1, units: 420, metrics_moved: 2 });
    expect(d.biggest_lift).toEqual({ experiment: 'checkout_redesign', variant: 'fast_path', metric: 'revenue_per_user', rel_lift: 0.1234 });
    expect(d.notes).toEqual(['broken was not analysed: experiment broken lists no metrics']);
    const shown = wrappedText(d).join('\n');
    expect(shown).toContain('revenue_per_user');
    expect(shown).toContain('+12.3%');

    const r = redactWrapped(d);
    const text = `${JSON.stringify(r)}\n${wrappedText(r).join('\n')}`;
    for (const secret of ['checkout_redesign', 'search_ranking', 'broken', 'revenue_per_user', 'search_clicks', 'fast_path', 'ranker_v2', 'Acme', '12.3', '0.1234', '0.42', '42%']) {
      expect(text, secret).not.toContain(secret);
    }
    // The counts stay; the names become neutral labels (experiments numbered in name order: broken, checkout_redesign, ...).
    expect(r).toMatchObject({ redacted: true, experiments_run: 3, wins: 1, units: 420, project: null });
    expect(r.biggest_lift).toEqual({ experiment: 'Experiment 2', variant: 'Variant', metric: 'Metric A', rel_lift: null });
    // Days run and needed per experiment would give each variance cut back; only the total stays.
    expect(r.cupac.days_saved).toBe(d.cupac.days_saved);
    expect(text).not.toContain('days_needed');
  });

  it('names from the store reach the picture without control characters, cut to fit', () => {
    const hostile = `evil\u001b]0;title\u0007\u001b[2Jexp_${'x'.repeat(80)}`;
    const d = computeWrapped({ year: 2026, project: 'P\u001b[31m', units: 10, experiments: [exp(hostile, { results: [res('m\u0007', 't\r', 'win', 0.1, 0.2)] })] });
    const text = wrappedText(d).join('\n');
    // eslint-disable-next-line no-control-regex
    expect(text).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f]/);
    expect(text).toContain('evilexp_xxx');
    for (const line of text.split('\n')) expect(line.length).toBeLessThan(120);
  });
});
