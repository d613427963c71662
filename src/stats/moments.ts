/**
 * Sufficient statistics of one experiment arm, as one SQL aggregation returns them, and the
 * moment arithmetic on them. Every analysis in src/stats works from these and never sees a row.
 */
import { type Matrix, at, vAt, zeroMatrix } from './linalg.js';

/**
 * Shifted sums and cross-products of the columns `names` over the `n` units of one arm.
 *
 *   shift[j]     a constant subtracted from column j before summing (e.g. the global mean),
 *                for numerical stability; any value gives the same statistics
 *   sums[j]      = sum_i (z_ij - shift_j)
 *   cross[j][l]  = sum_i (z_ij - shift_j)(z_il - shift_l)   (full symmetric matrix)
 *
 * Columns are e.g. ['y', 'x1', 'x2'] for a mean metric with two covariates, or
 * ['num', 'den', 'x1'] for a ratio metric.
 */
export interface Moments {
  n: number;
  names: string[];
  shift: number[];
  sums: number[];
  cross: number[][];
}

/** Bad input to the statistics (too few units, unknown column, ...). Commands turn it into a UserError. */
export class StatsInputError extends Error {
  readonly code: string;
  constructor(message: string, code: string = 'STATS_INPUT') {
    super(message);
    this.name = 'StatsInputError';
    this.code = code;
  }
}

/** Checks shapes and finiteness; throws StatsInputError. */
export function validateMoments(m: Moments, label: string = 'moments'): void {
  const k = m.names.length;
  if (!Number.isInteger(m.n) || m.n < 0) throw new StatsInputError(`${label}: n must be a non-negative integer, got ${m.n}`, 'BAD_MOMENTS');
  if (new Set(m.names).size !== k) throw new StatsInputError(`${label}: duplicate column names in [${m.names.join(', ')}]`, 'BAD_MOMENTS');
  if (m.shift.length !== k || m.sums.length !== k || m.cross.length !== k || m.cross.some((r) => r.length !== k)) {
    throw new StatsInputError(`${label}: shift, sums and cross must match the ${k} column names`, 'BAD_MOMENTS');
  }
  const finite = (v: number): boolean => Number.isFinite(v);
  if (!m.shift.every(finite) || !m.sums.every(finite) || !m.cross.every((r) => r.every(finite))) {
    throw new StatsInputError(`${label}: sums must be finite numbers (is a column NULL or infinite?)`, 'BAD_MOMENTS');
  }
}

/** Index of a column, or a StatsInputError naming the columns there are. */
export function columnIndex(m: Moments, name: string): number {
  const j = m.names.indexOf(name);
  if (j < 0) throw new StatsInputError(`unknown column "${name}"; have: ${m.names.join(', ')}`, 'UNKNOWN_COLUMN');
  return j;
}

/** Column means (shift added back). Zeros when n = 0. */
export function means(m: Moments): number[] {
  return m.names.map((_, j) => vAt(m.shift, j) + (m.n > 0 ? vAt(m.sums, j) / m.n : 0));
}

/**
 * Sample covariance matrix (divisor n - 1). Zeros when n < 2. A column whose variance is
 * at rounding level (relative to its shifted mean square) is treated as exactly constant, so that
 * constant data never yields a tiny spurious variance.
 */
export function covariance(m: Moments): Matrix {
  const k = m.names.length;
  const c = zeroMatrix(k);
  if (m.n < 2) return c;
  const constant: boolean[] = [];
  for (let j = 0; j < k; j++) {
    const sj = vAt(m.sums, j);
    for (let l = j; l < k; l++) {
      const v = (at(m.cross, j, l) - (sj * vAt(m.sums, l)) / m.n) / (m.n - 1);
      (c[j] as number[])[l] = v;
      (c[l] as number[])[j] = v;
    }
    // Constancy is judged on the shifted statistics: the variance is the shifted mean square
    // minus a cancellation, so its rounding error is relative to cross[j][j] / (n - 1), not to
    // the mean. (A column at 1e9 with sd 1.1 is not constant; identical values are.)
    const scale = Math.abs(at(m.cross, j, j)) / (m.n - 1);
    constant.push(!(at(c, j, j) > 1e-11 * scale));
  }
  for (let j = 0; j < k; j++) {
    if (!constant[j]) continue;
    for (let l = 0; l < k; l++) {
      (c[j] as number[])[l] = 0;
      (c[l] as number[])[j] = 0;
    }
  }
  return c;
}

/** The same statistics around a different shift vector. */
export function reshift(m: Moments, shift: readonly number[]): Moments {
  const k = m.names.length;
  if (shift.length !== k) throw new StatsInputError('reshift: shift length does not match the columns', 'BAD_MOMENTS');
  // z - s' = (z - s) + d with d = s - s'.
  const d = m.shift.map((s, j) => s - vAt(shift, j));
  const sums = m.sums.map((s, j) => s + m.n * vAt(d, j));
  const cross = m.cross.map((row, j) =>
    row.map((v, l) => v + vAt(d, j) * vAt(m.sums, l) + vAt(m.sums, j) * vAt(d, l) + m.n * vAt(d, j) * vAt(d, l)),
  );
  return { n: m.n, names: [...m.names], shift: [...shift], sums, cross };
}

/** The statistics of a subset (or reordering) of the columns. */
export function selectMoments(m: Moments, names: readonly string[]): Moments {
  const idx = names.map((name) => columnIndex(m, name));
  return {
    n: m.n,
    names: [...names],
    shift: idx.map((j) => vAt(m.shift, j)),
    sums: idx.map((j) => vAt(m.sums, j)),
    cross: idx.map((j) => idx.map((l) => at(m.cross, j, l))),
  };
}

/**
 * Statistics of the union of two arms (e.g. control and one variant pooled). The columns
 * must be the same set; `b` is re-expressed in `a`'s column order and shift if they differ.
 */
export function mergeMoments(a: Moments, b: Moments): Moments {
  if (a.names.length !== b.names.length || !a.names.every((n) => b.names.includes(n))) {
    throw new StatsInputError(`cannot merge moments over different columns: [${a.names.join(', ')}] vs [${b.names.join(', ')}]`, 'BAD_MOMENTS');
  }
  let bb = selectMoments(b, a.names);
  if (bb.shift.some((s, j) => s !== vAt(a.shift, j))) bb = reshift(bb, a.shift);
  return {
    n: a.n + bb.n,
    names: [...a.names],
    shift: [...a.shift],
    sums: a.sums.map((s, j) => s + vAt(bb.sums, j)),
    cross: a.cross.map((row, j) => row.map((v, l) => v + at(bb.cross, j, l))),
  };
}

/**
 * Builds Moments from raw rows (each row holds the columns in `names` order). For tests and
 * small fixtures only: production code gets Moments from SQL.
 */
export function momentsFromRows(rows: readonly (readonly number[])[], names: readonly string[], shift?: readonly number[]): Moments {
  const k = names.length;
  const s = shift ? [...shift] : new Array<number>(k).fill(0);
  const sums = new Array<number>(k).fill(0);
  const cross = zeroMatrix(k);
  for (const row of rows) {
    if (row.length !== k) throw new StatsInputError(`row has ${row.length} values, expected ${k}`, 'BAD_MOMENTS');
    const z = row.map((v, j) => v - vAt(s, j));
    for (let j = 0; j < k; j++) {
      sums[j] = vAt(sums, j) + vAt(z, j);
      const cj = cross[j] as number[];
      for (let l = 0; l < k; l++) cj[l] = vAt(cj, l) + vAt(z, j) * vAt(z, l);
    }
  }
  return { n: rows.length, names: [...names], shift: s, sums, cross };
}
