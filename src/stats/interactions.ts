/**
 * Interactions between two concurrent experiments A and B, from the sufficient statistics of the
 * 2-way table of cells (A's group x B's group) over the units exposed to both.
 *
 * For a metric and one treatment arm of each (a vs A's control a0, b vs B's control b0), with cell
 * estimates m_xy (a mean, or a ratio of sums by the delta method) and their variances v_xy:
 *
 *   effect of A within B's control     e0 = m_{a,b0} - m_{a0,b0}
 *   effect of A within B's arm b       e1 = m_{a,b}  - m_{a0,b}
 *   interaction (difference in differences)  I = e1 - e0,  Var(I) = v_{a,b} + v_{a0,b} + v_{a,b0} + v_{a0,b0}
 *   z = I / sqrt(Var(I)),  two-sided normal p-value (the cells are independent samples).
 *
 * I is symmetric in A and B (it is also B's effect within a minus B's effect within a0), so each
 * unordered pair is tested once. The relative lifts of A within b0 and within b are reported
 * too. Benjamini-Hochberg (1995) controls the false discovery rate across every test of the run
 * (pairs x metrics x arm combinations): this is the Statsig/Eppo "interaction effect" check.
 *
 * Pure: no SQL, no IO.
 */
import { adjustPValues } from './corrections.js';
import { normalQuantile, normalSf } from './distributions.js';
import { columnIndex, covariance, means, type Moments } from './moments.js';

/** One cell's estimate and the variance of that estimate (not the per-unit variance). */
export interface CellEstimate {
  n: number;
  estimate: number;
  variance: number;
}

/**
 * A cell's estimate from its moments: the mean of `value` (variance s^2 / n), or with `den` the ratio
 * of sums num / den by the delta method, Var = (s_nn - 2 R s_nd + R^2 s_dd) / (n dbar^2).
 * Null with fewer than 2 units or a zero denominator mean.
 */
export function cellEstimate(m: Moments, value: string, den?: string): CellEstimate | null {
  if (m.n < 2) return null;
  const mu = means(m);
  const s = covariance(m);
  const i = columnIndex(m, value);
  if (den === undefined) return { n: m.n, estimate: mu[i] as number, variance: (s[i]?.[i] as number) / m.n };
  const j = columnIndex(m, den);
  const dbar = mu[j] as number;
  if (!(Math.abs(dbar) > 0)) return null;
  const r = (mu[i] as number) / dbar;
  const v = (s[i]?.[i] as number) - 2 * r * (s[i]?.[j] as number) + r * r * (s[j]?.[j] as number);
  return { n: m.n, estimate: r, variance: Math.max(0, v) / (m.n * dbar * dbar) };
}

export interface InteractionTest {
  a: string;
  b: string;
  metric: string;
  /** The arms compared: A's treatment arm vs its control, B's treatment arm vs its control. */
  variant_a: string;
  control_a: string;
  variant_b: string;
  control_b: string;
  /** Units per cell: [a0 b0, a b0, a0 b, a b]. */
  cell_units: [number, number, number, number];
  /** A's absolute effect among units in B's control, and in B's arm. */
  effect_in_control_b: number | null;
  effect_in_variant_b: number | null;
  /** A's relative lift among units in B's control, and in B's arm. */
  lift_in_control_b: number | null;
  lift_in_variant_b: number | null;
  interaction: number | null;
  interaction_se: number | null;
  interaction_ci: [number | null, number | null];
  z: number | null;
  p_value: number | null;
  p_value_bh: number | null;
  significant: boolean;
}

/** The interaction test of one metric and one pair of arms from the four cells (null: not testable). */
export function interactionTest(
  labels: Pick<InteractionTest, 'a' | 'b' | 'metric' | 'variant_a' | 'control_a' | 'variant_b' | 'control_b'>,
  cells: { a0b0: CellEstimate | null; ab0: CellEstimate | null; a0b: CellEstimate | null; ab: CellEstimate | null },
  alpha: number,
): InteractionTest {
  const { a0b0, ab0, a0b, ab } = cells;
  const units: [number, number, number, number] = [a0b0?.n ?? 0, ab0?.n ?? 0, a0b?.n ?? 0, ab?.n ?? 0];
  const e0 = a0b0 && ab0 ? ab0.estimate - a0b0.estimate : null;
  const e1 = a0b && ab ? ab.estimate - a0b.estimate : null;
  const lift = (t: CellEstimate | null, c: CellEstimate | null): number | null => (t && c && c.estimate !== 0 ? t.estimate / c.estimate - 1 : null);
  const base = {
    ...labels,
    cell_units: units,
    effect_in_control_b: e0,
    effect_in_variant_b: e1,
    lift_in_control_b: lift(ab0, a0b0),
    lift_in_variant_b: lift(ab, a0b),
    p_value_bh: null,
    significant: false,
  };
  if (e0 === null || e1 === null || !a0b0 || !ab0 || !a0b || !ab) {
    return { ...base, interaction: null, interaction_se: null, interaction_ci: [null, null], z: null, p_value: null };
  }
  const interaction = e1 - e0;
  const se = Math.sqrt(a0b0.variance + ab0.variance + a0b.variance + ab.variance);
  if (!(se > 0)) return { ...base, interaction, interaction_se: se, interaction_ci: [null, null], z: null, p_value: null };
  const z = interaction / se;
  const q = normalQuantile(1 - alpha / 2);
  return { ...base, interaction, interaction_se: se, interaction_ci: [interaction - q * se, interaction + q * se], z, p_value: Math.min(1, 2 * normalSf(Math.abs(z))) };
}

/** Benjamini-Hochberg across all tests; a test is significant when its adjusted p < alpha. */
export function controlFdr(tests: InteractionTest[], alpha: number): InteractionTest[] {
  const adjusted = adjustPValues(
    tests.map((t) => t.p_value),
    'bh',
  );
  return tests.map((t, i) => {
    const p = adjusted[i] ?? null;
    return { ...t, p_value_bh: p, significant: p !== null && p < alpha };
  });
}
