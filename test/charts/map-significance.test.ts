import { describe, expect, it } from 'vitest';
import { liftSignificance } from '../../src/charts/map-data.js';
import { analyzeMean } from '../../src/stats/cuped.js';
import { momentsFromRows } from '../../src/stats/moments.js';
import { mulberry32 } from '../support/rng.js';

describe('map lift significance', () => {
  it('agrees with the relative CI drawn, also where the absolute difference test disagrees', () => {
    // A large lift on a noisy control: the difference's t-test rejects, the relative lift's CI
    // (which also carries the control mean's uncertainty) includes 0.
    let found = 0;
    for (let seed = 1; seed <= 400; seed++) {
      const rnd = mulberry32(seed);
      const draw = (mu: number, n: number): number[][] => Array.from({ length: n }, () => [mu + 40 * (rnd() - 0.5) * Math.sqrt(12)]);
      const cmp = analyzeMean(momentsFromRows(draw(10, 30), ['y']), momentsFromRows(draw(14, 30), ['y']), { metric: 'y', alpha: 0.05 });
      const { p, significant } = liftSignificance(cmp, 0.05);
      const [lo, hi] = cmp.rel_ci as [number, number];
      expect(significant).toBe(lo > 0 || hi < 0);
      expect(p).not.toBeNull();
      if ((cmp.p_value ?? 1) < 0.05 && !significant) found += 1;
    }
    // The old rule (the difference's p) would have hatched none of these.
    expect(found).toBeGreaterThan(0);
  });
});
