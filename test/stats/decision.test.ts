import { describe, expect, it } from 'vitest';
import { PICK_RULE, decide, parseGuardrail, type DecisionComparison, type DecisionInput } from '../../src/stats/decision.js';
import { studentTQuantile } from '../../src/stats/distributions.js';

const cmp = (metric: string, rel: number, se: number, significant: boolean, variant = 'test'): DecisionComparison => ({
  metric,
  variant,
  rel_lift: rel,
  rel_se: se,
  df: 1000,
  significant,
  p_value_adjusted: significant ? 0.001 : 0.4,
});
const input = (results: DecisionComparison[], extra: Partial<DecisionInput> = {}): DecisionInput => ({
  alpha: 0.05,
  srm: { mismatch: false, p_value: 0.5 },
  results,
  variants: ['test'],
  primary: ['revenue'],
  directions: {},
  guardrails: [],
  ...extra,
});

describe('parseGuardrail', () => {
  it('metric:direction[:margin], margins as fractions or percents, names with colons', () => {
    expect(parseGuardrail('latency:decrease')).toEqual({ metric: 'latency', direction: 'decrease', margin: 0 });
    expect(parseGuardrail('latency:decrease:0.02')).toEqual({ metric: 'latency', direction: 'decrease', margin: 0.02 });
    expect(parseGuardrail('orders:increase:1.5%').margin).toBeCloseTo(0.015, 15);
    expect(parseGuardrail('purchase:event_count:increase')).toEqual({ metric: 'purchase:event_count', direction: 'increase', margin: 0 });
    expect(() => parseGuardrail('latency')).toThrow(/metric:increase\|decrease/);
    expect(() => parseGuardrail('latency:down')).toThrow(/metric:increase\|decrease/);
    expect(() => parseGuardrail('latency:decrease:2')).toThrow(/margin/);
    expect(() => parseGuardrail('latency:decrease:0.1:x')).toThrow(/metric:increase\|decrease/);
  });
});

describe('decide: each verdict path', () => {
  const q = studentTQuantile(0.95, 1000);

  it('ship: a primary win and every guardrail holding', () => {
    const d = decide(input([cmp('revenue', 0.05, 0.01, true), cmp('latency', 0.001, 0.01, false)], { guardrails: [{ metric: 'latency', direction: 'decrease', margin: 0 }] }));
    expect(d.verdict).toBe('ship');
    expect(d.ship).toBe('test');
    expect(d.reasons[0]).toMatch(/ship test: primary revenue \+5\.0% \(win, p = 0\.0010; increase is good\); guardrail latency holds/);
  });

  it('do not ship: a guardrail significantly worse (one-sided test, its good direction is decrease)', () => {
    // latency +2.0% with se 1%: upper bound of -lift = -0.02 + q * 0.01 < 0
    const d = decide(input([cmp('revenue', 0.05, 0.01, true), cmp('latency', 0.02, 0.01, true)], { guardrails: [{ metric: 'latency', direction: 'decrease', margin: 0 }] }));
    expect(d.verdict).toBe('do-not-ship');
    expect(d.guardrail_failed).toBe(true);
    const g = d.variants[0]?.guardrails[0];
    expect(g?.upper).toBeCloseTo(-0.02 + q * 0.01, 12);
    expect(d.reasons.join('\n')).toMatch(/guardrail latency is worse than control/);
    // the bound on the table's scale: latency +2.0%, its one-sided lower bound 0.02 - q 0.01 = +0.4% > 0
    expect(0.02 - q * 0.01).toBeCloseTo(0.00355, 4);
    expect(d.reasons.join('\n')).toMatch(/guardrail latency is worse than control \(one-sided 95% lower bound \+0\.4% on the lift; a decrease is good\)/);
    // an increase guardrail keeps the table's scale too: orders -2.0%, upper bound -2% + q 1% = -0.4%
    const inc = decide(input([cmp('revenue', 0.05, 0.01, true), cmp('orders', -0.02, 0.01, true)], { guardrails: [{ metric: 'orders', direction: 'increase', margin: 0 }] }));
    expect(inc.reasons.join('\n')).toMatch(/guardrail orders is worse than control \(one-sided 95% upper bound -0\.4% on the lift; an increase is good\)/);
  });

  it('a one-sided test: a guardrail 1.8 se worse fails, though a two-sided 95% CI would include 0', () => {
    const d = decide(input([cmp('revenue', 0.05, 0.01, true), cmp('latency', 0.018, 0.01, false)], { guardrails: [{ metric: 'latency', direction: 'decrease', margin: 0 }] }));
    expect(1.8).toBeLessThan(1.96);
    expect(1.8).toBeGreaterThan(q);
    expect(d.verdict).toBe('do-not-ship');
  });

  it('non-inferiority margins: pass inside the margin, keep running when undecided, fail beyond it', () => {
    const g = [{ metric: 'latency', direction: 'decrease' as const, margin: 0.02 }];
    // worse by 1% +- 0.5%: lower bound of -lift = -0.01 - q 0.005 = -0.0182 > -0.02: non-inferior, ship
    expect(decide(input([cmp('revenue', 0.05, 0.01, true), cmp('latency', 0.01, 0.005, true)], { guardrails: g })).verdict).toBe('ship');
    // worse by 1% +- 1%: lower -0.0264 < -0.02 < upper 0.0064: inconclusive -> keep running
    const open = decide(input([cmp('revenue', 0.05, 0.01, true), cmp('latency', 0.01, 0.01, false)], { guardrails: g }));
    expect(open.verdict).toBe('keep-running');
    expect(open.reasons.join('\n')).toMatch(/guardrail latency is not yet shown within its margin \(one-sided 95% upper bound \+2\.6% on the lift vs margin \+2\.0%; a decrease is good\)/);
    // worse by 5% +- 1%: upper -0.0336 < -0.02: fail
    expect(decide(input([cmp('revenue', 0.05, 0.01, true), cmp('latency', 0.05, 0.01, true)], { guardrails: g })).verdict).toBe('do-not-ship');
  });

  it('do not ship: the primary metric significantly worse in its good direction (from the store: decrease)', () => {
    const d = decide(input([cmp('revenue', 0.05, 0.01, true)], { directions: { revenue: 'decrease' } }));
    expect(d.verdict).toBe('do-not-ship');
    expect(d.reasons[0]).toMatch(/primary revenue \+5\.0% \(loss/);
  });

  it('keep running: the primary metric not significant yet', () => {
    const d = decide(input([cmp('revenue', 0.004, 0.01, false)]));
    expect(d.verdict).toBe('keep-running');
    expect(d.reasons[0]).toMatch(/not significant/);
  });

  it('the SRM gate overrides a win', () => {
    const d = decide(input([cmp('revenue', 0.05, 0.01, true)], { srm: { mismatch: true, p_value: 1e-6 } }));
    expect(d.verdict).toBe('do-not-ship');
    expect(d.srm_ok).toBe(false);
    expect(d.reasons).toEqual([expect.stringMatching(/sample ratio mismatch \(p = 1\.00e-6\)/)]);
  });

  it('with --sequential the guardrail bound is the one-sided confidence sequence (wider than the t bound)', () => {
    const g = [{ metric: 'latency', direction: 'decrease' as const, margin: 0.02 }];
    const rows = [cmp('revenue', 0.05, 0.01, true), { ...cmp('latency', 0.01, 0.005, true), n_control: 2000, n_test: 2000 }];
    expect(decide(input(rows, { guardrails: g })).verdict).toBe('ship');
    const d = decide(input(rows, { guardrails: g, sequentialTuning: 4000 }));
    const check = d.variants[0]?.guardrails[0];
    // one-sided sequential half-width (gbstats eq. 134) at n = 4000, N* = 4000, alpha 0.05
    const rho2 = (-2 * Math.log(0.1) + Math.log(-2 * Math.log(0.1) + 1)) / 4000;
    const h = Math.sqrt(((0.005 ** 2 * 4000 * 2 * (4000 * rho2 + 1)) / (4000 * 4000 * rho2)) * Math.log(1 + Math.sqrt(4000 * rho2 + 1) / 0.1));
    expect(check?.lower).toBeCloseTo(-0.01 - h, 12);
    expect(check?.status).toBe('inconclusive');
    expect(d.verdict).toBe('keep-running');
  });

  it('several variants: ship the best winner; the sequential test decides when it is on', () => {
    const results = [cmp('revenue', 0.03, 0.01, true, 'a'), cmp('revenue', 0.06, 0.01, true, 'b')];
    const two = decide(input(results, { variants: ['a', 'b'] }));
    expect(two.ship).toBe('b');
    // why b and not a, and that a would ship too
    expect(two.reasons[1]).toBe(`a would also ship; b is chosen by the rule "${PICK_RULE}": primary wins a 1 of 1, b 1 of 1; on revenue: b +6.0% vs a +3.0%`);
    // a decrease-is-good primary: the larger fall wins
    const down = [cmp('latency', -0.03, 0.01, true, 'a'), cmp('latency', -0.01, 0.003, true, 'b')];
    const dd = decide(input(down, { variants: ['a', 'b'], primary: ['latency'], directions: { latency: 'decrease' } }));
    expect(dd.ship).toBe('a');
    expect(dd.reasons[1]).toMatch(/^b would also ship; a is chosen .*; on latency: a -3\.0% vs b -1\.0%$/);
    // one arm shipping: no comparison line
    expect(decide(input([results[1] as DecisionComparison], { variants: ['b'] })).reasons).toHaveLength(1);
    const seq = results.map((r) => ({ ...r, sequential: { significant: r.variant === 'a', p_value_adjusted: r.variant === 'a' ? 0.01 : 0.2 } }));
    expect(decide(input(seq, { variants: ['a', 'b'] })).ship).toBe('a');
  });

  it('several arms are compared on the same metrics, not on each arm’s best lift on different metrics (review 2 #6)', () => {
    // The demo's garden_gnome case: ml_ranker wins both primaries; personalized wins one, with a larger
    // lift on it than ml_ranker's best lift on the other. The old rule (max lift over whichever
    // metrics won) shipped personalized for +9.9% on product_view against ml_ranker's -6.5% on searches.
    const primary = ['product_view', 'searches_per_session'];
    const directions = { searches_per_session: 'decrease' as const };
    const rows = [
      cmp('product_view', 0.05, 0.01, true, 'ml_ranker'),
      cmp('searches_per_session', -0.065, 0.01, true, 'ml_ranker'),
      cmp('product_view', 0.099, 0.01, true, 'personalized'),
      cmp('searches_per_session', -0.005, 0.01, false, 'personalized'),
    ];
    const d = decide(input(rows, { variants: ['personalized', 'ml_ranker'], primary, directions }));
    expect(d.variants.map((v) => v.verdict)).toEqual(['ship', 'ship']);
    expect(d.ship).toBe('ml_ranker');
    expect(d.reasons[1]).toBe(`personalized would also ship; ml_ranker is chosen by the rule "${PICK_RULE}": primary wins personalized 1 of 2, ml_ranker 2 of 2`);
    // tied on wins: the first primary both won decides, even when an arm has a bigger lift elsewhere
    const tied = [
      cmp('product_view', 0.04, 0.01, true, 'a'),
      cmp('searches_per_session', -0.2, 0.01, true, 'a'),
      cmp('product_view', 0.05, 0.01, true, 'b'),
      cmp('searches_per_session', -0.03, 0.01, true, 'b'),
    ];
    const t = decide(input(tied, { variants: ['a', 'b'], primary, directions }));
    expect(t.ship).toBe('b');
    expect(t.reasons[1]).toMatch(/primary wins a 2 of 2, b 2 of 2; on product_view: b \+5\.0% vs a \+4\.0%$/);
    // one win each, on different metrics: compared on the first primary both have an estimate for
    const apart = [
      cmp('product_view', 0.04, 0.01, true, 'a'),
      cmp('searches_per_session', -0.001, 0.01, false, 'a'),
      cmp('product_view', 0.01, 0.01, false, 'b'),
      cmp('searches_per_session', -0.3, 0.01, true, 'b'),
    ];
    const ap = decide(input(apart, { variants: ['a', 'b'], primary, directions }));
    expect(ap.ship).toBe('a');
    expect(ap.reasons[1]).toMatch(/on product_view: a \+4\.0% vs b \+1\.0%$/);
  });
});
