/**
 * Minimal typings for jstat 1.9.6 (the package ships none). Only what src/stats uses:
 * jstat's quantile functions serve as starting points that src/stats/distributions.ts
 * then polishes with its own full-precision CDFs (jstat's incomplete beta stops at ~3e-7).
 */
declare module 'jstat' {
  interface JStatNormal {
    cdf(x: number, mean: number, sd: number): number;
    inv(p: number, mean: number, sd: number): number;
  }
  interface JStatStudentT {
    cdf(x: number, dof: number): number;
    inv(p: number, dof: number): number;
  }
  interface JStatChiSquare {
    cdf(x: number, dof: number): number;
    inv(p: number, dof: number): number;
  }
  interface JStatStatic {
    normal: JStatNormal;
    studentt: JStatStudentT;
    chisquare: JStatChiSquare;
    gammaln(x: number): number;
  }
  const jStat: JStatStatic;
  export default jStat;
}
