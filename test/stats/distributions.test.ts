import { describe, expect, it } from 'vitest';
import {
  chiSquareCdf,
  chiSquareSf,
  logBeta,
  logGamma,
  normalCdf,
  normalQuantile,
  normalSf,
  studentTCdf,
  studentTQuantile,
  studentTSf,
} from '../../src/stats/distributions.js';
import { expectClose } from './helpers.js';

// Reference values from scipy 1.17 on this machine, e.g.
//   from scipy import stats
//   [[df, t, stats.t.sf(t, df)] for df, t in [(1, 2.5), (2, 1.0), (3.5, 2.2), ...]]
//   [[df, p, stats.t.ppf(p, df)] for df, p in [(1, 0.975), (2, 0.995), ...]]
//   [[x, stats.norm.sf(x)] ...], [[p, stats.norm.ppf(p)] ...], [[k, x, stats.chi2.sf(x, k), stats.chi2.cdf(x, k)] ...]
// For df = 5e8, scipy's own t.sf is the normal-limit value to ~1e-9 (checked against mpmath).

describe('Student t', () => {
  const sf: [number, number, number][] = [
    [1, 2.5, 0.12111894159084341],
    [2, 1.0, 0.2113248654051871],
    [3.5, 2.2, 0.051166640162727955],
    [10, -1.3, 0.8886170913965777],
    [30, 4.0, 0.0001909228180418782],
    [82.22, 0.62, 0.268486181151985],
    [1000, 3.0, 0.0013833545221190963],
    [1e6, 2.0, 0.02275026692565962],
    [5e8, 2.5, 0.006209665484626356],
    [25, 12.0, 3.5914865375174125e-12],
  ];
  it.each(sf)('sf(df=%s, t=%s) matches scipy', (df, t, want) => {
    expectClose(studentTSf(t, df), want, 1e-9);
    expectClose(studentTCdf(-t, df), want, 1e-9);
  });

  const q: [number, number, number][] = [
    [1, 0.975, 12.706204736174694],
    [2, 0.995, 9.924843200918287],
    [3.5, 0.9, 1.5765766051364052],
    [10, 0.025, -2.2281388519862753],
    [30, 0.95, 1.697260886593957],
    [82.22, 0.975, 1.9892388665282958],
    [1000, 0.999, 3.0984021639129233],
    [1e6, 0.975, 1.959966356814107],
    [5e8, 0.975, 1.9599639892845964],
    [7, 1 - 1e-9, 38.70598080026368],
  ];
  it.each(q)('quantile(df=%s, p=%s) matches scipy', (df, p, want) => {
    expectClose(studentTQuantile(p, df), want, 1e-9);
  });

  it('quantile inverts the cdf', () => {
    for (const df of [1.3, 4, 17.5, 250, 3e4]) {
      for (const p of [1e-6, 0.01, 0.3, 0.7, 0.999]) expectClose(studentTCdf(studentTQuantile(p, df), df), p, 1e-9);
    }
  });

  it('has no NaN at the edges', () => {
    expect(studentTSf(0, 5)).toBe(0.5);
    expect(studentTSf(Number.POSITIVE_INFINITY, 5)).toBe(0);
    expect(studentTSf(1e200, 3)).toBe(0);
    expect(studentTQuantile(0.5, 9)).toBe(0);
    expect(studentTQuantile(1, 9)).toBe(Number.POSITIVE_INFINITY);
  });
});

describe('normal', () => {
  const sf: [number, number][] = [
    [-1, 0.8413447460685429],
    [0, 0.5],
    [1.959963984540054, 0.025],
    [3, 0.0013498980316300933],
    [8.5, 9.47953482220325e-18],
    [12, 1.776482112077653e-33],
    [37, 5.7255712225239266e-300],
  ];
  it.each(sf)('sf(%s) matches scipy, far tail included', (x, want) => {
    expectClose(normalSf(x), want, 1e-12);
    expectClose(normalCdf(-x), want, 1e-12);
  });
  const q: [number, number][] = [
    [1e-20, -9.262340089798409],
    [1e-8, -5.612001244174789],
    [0.025, -1.9599639845400545],
    [0.3, -0.5244005127080409],
    [0.8, 0.8416212335729143],
    [0.975, 1.959963984540054],
    [0.999999999999, 7.0344869100478356],
  ];
  it.each(q)('quantile(%s) matches scipy', (p, want) => expectClose(normalQuantile(p), want, 1e-12));
  it('quantile(0.5) is 0', () => expect(normalQuantile(0.5)).toBe(0));
});

describe('chi-square', () => {
  const rows: [number, number, number, number][] = [
    [1, 0.5, 0.47950012218695337, 0.5204998778130466],
    [1, 10.83, 0.0009986863791802592, 0.9990013136208198],
    [2, 3.0, 0.22313016014842982, 0.7768698398515702],
    [3, 7.815, 0.049993902974883875, 0.9500060970251161],
    [5, 40.0, 1.493367900050393e-7, 0.99999985066321],
    [9, 150.0, 8.819629954805395e-28, 1.0],
    [1, 200.0, 2.0884875837625688e-45, 1.0],
  ];
  it.each(rows)('df=%s x=%s matches scipy (sf and cdf)', (k, x, sfWant, cdfWant) => {
    expectClose(chiSquareSf(x, k), sfWant, 1e-12);
    expectClose(chiSquareCdf(x, k), cdfWant, 1e-12);
  });
});

describe('log gamma / log beta', () => {
  // scipy.special.gammaln; betaln(5e5, 0.5) from mpmath (scipy's is off by 2e-10 there)
  it('match references', () => {
    expectClose(logGamma(0.5), 0.5723649429247001, 1e-14);
    expectClose(logGamma(3.7), 1.428072326665388, 1e-14);
    expectClose(logGamma(50.5), 146.51925549072064, 1e-14);
    expectClose(logGamma(5e6), 72124735.55845618, 1e-14);
    expectClose(logBeta(3, 4), -4.0943445622221, 1e-13);
    expectClose(logBeta(500000, 0.5), -5.988816495777464, 1e-14);
  });
});
