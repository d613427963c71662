/**
 * Sample ratio mismatch: Pearson's chi-square goodness-of-fit test of the observed unit
 * counts per arm against the expected split (equal by default), as gbstats' check_srm.
 */
import { StatsInputError } from './moments.js';
import { chiSquareSf } from './distributions.js';

/** The conventional SRM alarm level: a p-value below it flags a mismatch. */
export const SRM_THRESHOLD = 0.001;

export interface SrmResult {
  chi2: number;
  df: number;
  pValue: number;
  /** Expected count per arm under the given weights. */
  expected: number[];
  /** pValue < threshold. */
  mismatch: boolean;
  warnings: string[];
}

/**
 * @param counts  units observed per arm
 * @param weights expected traffic weights per arm (any positive scale; default equal)
 * @param threshold p-value below which `mismatch` is set (default 0.001)
 */
export function srmTest(counts: readonly number[], weights?: readonly number[], threshold: number = SRM_THRESHOLD): SrmResult {
  const k = counts.length;
  if (k < 2) throw new StatsInputError(`an SRM check needs at least 2 arms, got ${k}`, 'SRM_ARMS');
  if (counts.some((c) => !(c >= 0) || !Number.isFinite(c))) throw new StatsInputError('SRM counts must be non-negative numbers', 'SRM_COUNTS');
  const w = weights ? [...weights] : new Array<number>(k).fill(1);
  if (w.length !== k) throw new StatsInputError(`got ${w.length} weights for ${k} arms`, 'SRM_WEIGHTS');
  if (w.some((x) => !(x > 0) || !Number.isFinite(x))) throw new StatsInputError('SRM weights must be positive numbers', 'SRM_WEIGHTS');
  const total = counts.reduce((a, b) => a + b, 0);
  const wsum = w.reduce((a, b) => a + b, 0);
  const expected = w.map((x) => (total * x) / wsum);
  if (total === 0) {
    return { chi2: 0, df: k - 1, pValue: 1, expected, mismatch: false, warnings: ['no units in any arm; SRM check skipped'] };
  }
  let chi2 = 0;
  counts.forEach((o, i) => {
    const e = expected[i] as number;
    chi2 += ((o - e) * (o - e)) / e;
  });
  const pValue = chiSquareSf(chi2, k - 1);
  const warnings: string[] = [];
  if (expected.some((e) => e < 5)) warnings.push('some arms expect fewer than 5 units; the chi-square approximation is rough');
  return { chi2, df: k - 1, pValue, expected, mismatch: pValue < threshold, warnings };
}
