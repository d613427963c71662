import { describe, expect, it } from 'vitest';
import {
  StatsInputError,
  columnIndex,
  covariance,
  means,
  mergeMoments,
  momentsFromRows,
  reshift,
  selectMoments,
  validateMoments,
} from '../../src/stats/moments.js';
import { choleskySolve, choleskyWithDrop } from '../../src/stats/linalg.js';
import { MEAN_COLUMNS, MEAN_CONTROL, MEAN_TEST } from './fixtures.js';
import { expectAllClose, expectClose } from './helpers.js';

// numpy: c, t = mean_data(); c.mean(0); np.cov(c.T); P = np.vstack([c, t]); P.mean(0); np.cov(P.T)[0]
const CONTROL_MEANS = [8.793125, 10.099400000000003, 4.1408000000000005, 0.4];
const CONTROL_COV = [
  [9.886437189102564, 5.827901615384616, -3.081014230769231, 0.061282051282051296],
  [5.827901615384616, 7.409172502564102, 0.4390452615384618, -0.19547179487179486],
  [-3.081014230769231, 0.4390452615384618, 7.2150336, 0.21336410256410257],
  [0.061282051282051296, -0.19547179487179486, 0.21336410256410257, 0.24615384615384622],
];
const POOLED_MEANS = [9.02015294117647, 9.741505882352943, 3.979188235294119, 0.4117647058823529];
const POOLED_COV_ROW0 = [10.04979215490196, 5.101527278851543, -3.6931876005602238, 0.1829481792717087];

describe('moments', () => {
  it('means and sample covariance match numpy, whatever the shift', () => {
    // A shift far from the data (1e4 for a column near 10) costs digits, as it would in SQL:
    // that is why the SQL subtracts the global mean.
    for (const [shift, tol] of [
      [undefined, 1e-9],
      [[9, 10, 4, 0.4], 1e-9],
      [[-1000, 1e4, 3, 7], 1e-7],
    ] as const) {
      const m = momentsFromRows(MEAN_CONTROL, MEAN_COLUMNS, shift);
      expectAllClose(means(m), CONTROL_MEANS, 1e-12);
      covariance(m).forEach((row, j) => expectAllClose(row, CONTROL_COV[j] as number[], tol));
    }
  });

  it('merges arms with different shifts into the pooled sample', () => {
    const a = momentsFromRows(MEAN_CONTROL, MEAN_COLUMNS, [9, 10, 4, 0.4]);
    const b = momentsFromRows(MEAN_TEST, MEAN_COLUMNS);
    const p = mergeMoments(a, b);
    expect(p.n).toBe(85);
    expectAllClose(means(p), POOLED_MEANS, 1e-12);
    expectAllClose(covariance(p)[0] as number[], POOLED_COV_ROW0, 1e-9);
  });

  it('merges columns given in a different order', () => {
    const a = momentsFromRows(MEAN_CONTROL, MEAN_COLUMNS);
    const b = selectMoments(momentsFromRows(MEAN_TEST, MEAN_COLUMNS), ['x3', 'y', 'x2', 'x1']);
    expectAllClose(means(mergeMoments(a, b)), POOLED_MEANS, 1e-12);
  });

  it('reshift keeps the statistics', () => {
    const m = momentsFromRows(MEAN_CONTROL, MEAN_COLUMNS);
    const r = reshift(m, [8.8, 10.1, 4.1, 0.4]);
    expectAllClose(means(r), CONTROL_MEANS, 1e-12);
    expectAllClose(covariance(r)[1] as number[], CONTROL_COV[1] as number[], 1e-9);
  });

  it('treats a constant column as exactly constant, even with an off shift', () => {
    const rows = [
      [1.1, 123456.789],
      [2.3, 123456.789],
      [0.7, 123456.789],
    ];
    const m = momentsFromRows(rows, ['y', 'c'], [0.1, 3.3]);
    const cov = covariance(m);
    expect(cov[1]).toEqual([0, 0]);
    expect(cov[0]?.[1]).toBe(0);
  });

  it('rejects malformed input with StatsInputError', () => {
    const m = momentsFromRows(MEAN_CONTROL, MEAN_COLUMNS);
    expect(() => columnIndex(m, 'nope')).toThrow(StatsInputError);
    expect(() => columnIndex(m, 'nope')).toThrow(/unknown column "nope"; have: y, x1, x2, x3/);
    expect(() => validateMoments({ ...m, sums: [1, 2] })).toThrow(StatsInputError);
    expect(() => validateMoments({ ...m, n: -1 })).toThrow(StatsInputError);
    expect(() => validateMoments({ ...m, sums: [Number.NaN, 0, 0, 0] })).toThrow(/finite/);
    expect(() => mergeMoments(m, selectMoments(m, ['y', 'x1']))).toThrow(StatsInputError);
  });
});

describe('linalg', () => {
  it('solves an SPD system (numpy.linalg.solve([[4,2,0.6],[2,5,1],[0.6,1,3]], [1,2,3]))', () => {
    const f = choleskyWithDrop([
      [4, 2, 0.6],
      [2, 5, 1],
      [0.6, 1, 3],
    ]);
    expect(f.kept).toEqual([0, 1, 2]);
    // np.linalg.solve(...) -> [0.004484304932735439, 0.2125560538116592, 0.9282511210762331]
    expectAllClose(choleskySolve(f.L, [1, 2, 3]), [0.004484304932735439, 0.2125560538116592, 0.9282511210762331], 1e-12);
  });

  it('drops constant and collinear columns in order', () => {
    // columns: a, 2a (collinear), constant, b
    const a = [1, 2, 3, 4, 5];
    const b = [2, 1, 4, 3, 6];
    const rows = a.map((v, i) => [v, 2 * v, 7, b[i] as number]);
    const cov = covariance(momentsFromRows(rows, ['a', 'a2', 'k', 'b']));
    const f = choleskyWithDrop(cov, cov.map((r, j) => r[j] === 0));
    expect(f.kept).toEqual([0, 3]);
    expect(f.dropped).toEqual([
      { index: 1, reason: 'collinear' },
      { index: 2, reason: 'constant' },
    ]);
    expectClose(f.L[0]?.[0], Math.sqrt(2.5), 1e-12);
  });
});
