/**
 * Small dense linear algebra for covariance matrices (k covariates, k rarely above 20):
 * a Cholesky factorisation that skips constant and collinear columns in their given
 * order, and solves with the factor. Matrices are row-major arrays of rows.
 */
export type Matrix = number[][];

/** Tolerance of the collinearity test: a column is dropped when it keeps less than this share of its variance after the earlier columns. */
export const COLLINEARITY_TOL = 1e-9;

export function at(m: Matrix, i: number, j: number): number {
  const row = m[i];
  if (row === undefined) throw new RangeError(`row ${i} out of range`);
  const v = row[j];
  if (v === undefined) throw new RangeError(`column ${j} out of range`);
  return v;
}

export function vAt(v: readonly number[], i: number): number {
  const x = v[i];
  if (x === undefined) throw new RangeError(`index ${i} out of range`);
  return x;
}

export function zeros(n: number): number[] {
  return new Array<number>(n).fill(0);
}

export function zeroMatrix(rows: number, cols: number = rows): Matrix {
  return Array.from({ length: rows }, () => zeros(cols));
}

export function dot(a: readonly number[], b: readonly number[]): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += vAt(a, i) * vAt(b, i);
  return s;
}

export function matVec(m: Matrix, v: readonly number[]): number[] {
  return m.map((row) => dot(row, v));
}

/** v' M v */
export function quadForm(m: Matrix, v: readonly number[]): number {
  return dot(v, matVec(m, v));
}

export function subVector(v: readonly number[], idx: readonly number[]): number[] {
  return idx.map((i) => vAt(v, i));
}

export function subMatrix(m: Matrix, rows: readonly number[], cols: readonly number[] = rows): Matrix {
  return rows.map((i) => cols.map((j) => at(m, i, j)));
}

export interface DroppedColumn {
  index: number;
  reason: 'constant' | 'collinear';
}

export interface PivotedCholesky {
  /** Lower-triangular factor of A restricted to `kept` (in that order): A[kept,kept] = L L'. */
  L: Matrix;
  kept: number[];
  dropped: DroppedColumn[];
}

/**
 * Cholesky factorisation of a symmetric positive semi-definite matrix that walks the columns
 * in order and skips a column when it is constant (`constant[j]`, or A[j][j] <= 0) or when
 * its residual variance after the columns already kept is at most `tol` times its variance
 * (that is, its R^2 on them is at least 1 - tol). The kept sub-matrix is then positive
 * definite with a condition number the caller can trust, so no ridge term is needed.
 */
export function choleskyWithDrop(a: Matrix, constant: readonly boolean[] = [], tol: number = COLLINEARITY_TOL): PivotedCholesky {
  const k = a.length;
  const L: Matrix = [];
  const kept: number[] = [];
  const dropped: DroppedColumn[] = [];
  for (let j = 0; j < k; j++) {
    const ajj = at(a, j, j);
    if (constant[j] === true || !(ajj > 0)) {
      dropped.push({ index: j, reason: 'constant' });
      continue;
    }
    const row: number[] = [];
    for (let p = 0; p < kept.length; p++) {
      const i = vAt(kept, p);
      const li = L[p] as number[];
      let s = at(a, j, i);
      for (let q = 0; q < p; q++) s -= vAt(row, q) * vAt(li, q);
      row.push(s / vAt(li, p));
    }
    let d = ajj;
    for (const v of row) d -= v * v;
    if (!(d > tol * ajj)) {
      dropped.push({ index: j, reason: 'collinear' });
      continue;
    }
    row.push(Math.sqrt(d));
    L.push(row);
    kept.push(j);
  }
  return { L, kept, dropped };
}

/** Solves (L L') x = b for a lower-triangular L as returned by choleskyWithDrop. */
export function choleskySolve(L: Matrix, b: readonly number[]): number[] {
  const n = L.length;
  const y = zeros(n);
  for (let i = 0; i < n; i++) {
    let s = vAt(b, i);
    for (let j = 0; j < i; j++) s -= at(L, i, j) * vAt(y, j);
    y[i] = s / at(L, i, i);
  }
  const x = zeros(n);
  for (let i = n - 1; i >= 0; i--) {
    let s = vAt(y, i);
    for (let j = i + 1; j < n; j++) s -= at(L, j, i) * vAt(x, j);
    x[i] = s / at(L, i, i);
  }
  return x;
}

/**
 * Solves A x = b for symmetric positive definite A (after dropping nothing). Returns null
 * when A is not numerically positive definite.
 */
export function solveSpd(a: Matrix, b: readonly number[]): number[] | null {
  const f = choleskyWithDrop(a, [], 0);
  if (f.kept.length !== a.length) return null;
  return choleskySolve(f.L, b);
}
