import { describe, expect, it } from 'vitest';
import { timeSaved } from '../../src/stats/timesaved.js';

describe('time saved by CUPAC: days to 80% power with and without the variance cut', () => {
  // sigma^2 = se^2 / (1/n_c + 1/n_t) = 0.5^2 / (2/1000) = 125; mean 20; MDE 5% -> delta 1.
  // n per arm = ceil(2 (1.959963984540054 + 0.8416212335729143)^2 * 125 (1 - VR) / 1^2):
  //   VR 0:   ceil(1962.1962...) = 1963   -> 3926 units, at 100/day 39.26 days
  //   VR 0.6: ceil(784.878...)   = 785    -> 1570 units, 15.70 days; saved 23.56 days
  const z = 1.959963984540054 + 0.8416212335729143;
  const base = { n_control: 1000, n_test: 1000, raw_diff_se: 0.5, control_mean: 20, variance_reduction: 0.6, rel_lift: 0.05 };

  it('matches the hand sample-size formula', () => {
    const { value } = timeSaved(base, { unitsPerDay: 100, arms: 2 });
    expect(Math.ceil(2 * z * z * 125)).toBe(1963);
    expect(Math.ceil(2 * z * z * 125 * 0.4)).toBe(785);
    expect(value).toMatchObject({ mde: 0.05, mde_source: 'observed', n_total_unadjusted: 3926, n_total: 1570, power: 0.8, alpha: 0.05 });
    expect(value?.days_unadjusted).toBeCloseTo(39.26, 12);
    expect(value?.days).toBeCloseTo(15.7, 12);
    expect(value?.days_saved).toBeCloseTo(23.56, 12);
  });

  it('a configured MDE wins over the observed lift; three arms need 3/2 the units', () => {
    const { value } = timeSaved(base, { unitsPerDay: 100, arms: 3, mde: 0.1 });
    expect(value?.mde_source).toBe('configured');
    // delta 2: n per arm = ceil(1962.196 / 4 * 0.4) = ceil(196.2196) = 197
    expect(value?.n_total).toBe(3 * 197);
  });

  it('no basis, no figure: a zero lift, no variance, a zero control mean, no exposures', () => {
    expect(timeSaved({ ...base, rel_lift: 0 }, { unitsPerDay: 100, arms: 2 }).reason).toMatch(/pass --mde/);
    expect(timeSaved({ ...base, raw_diff_se: 0 }, { unitsPerDay: 100, arms: 2 }).reason).toBe('no variance');
    expect(timeSaved({ ...base, control_mean: 0 }, { unitsPerDay: 100, arms: 2 }).reason).toMatch(/control mean is 0/);
    expect(timeSaved(base, { unitsPerDay: 0, arms: 2 }).value).toBeNull();
  });
});
