/**
 * A ship / do not ship / keep running verdict from an analysis, with its reasons.
 *
 * Rules, per variant against control (each metric read in its good direction g = +1 for
 * "increase", -1 for "decrease"; L = g x relative lift):
 *   SRM gate      a sample ratio mismatch makes every verdict "do not ship": the assignment is
 *                 broken and no effect estimate can be trusted.
 *   primary       significant (after the analysis' correction; the always-valid test when
 *                 --sequential is on) with L > 0 is a win, with L < 0 a loss; else not yet.
 *   guardrail     one-sided test at alpha on the relative lift (t quantile on the analysis' df;
 *                 with --sequential the one-sided confidence sequence, so peeking stays safe):
 *                 with a non-inferiority margin m > 0, it passes when the lower bound of L is above
 *                 -m (non-inferior), fails when the upper bound of L is below -m (worse than the
 *                 margin), and is inconclusive otherwise; with no margin it fails when the upper
 *                 bound of L is below 0 (significantly worse) and passes otherwise.
 *   verdict       do not ship: SRM, a failed guardrail, or a primary loss;
 *                 ship: at least one primary win and every guardrail passed;
 *                 keep running: anything else (no primary win yet, or a guardrail inconclusive).
 * Overall: do not ship on SRM; ship when some variant ships (several: see pickArm, which compares
 * arms on the same metrics); do not ship when every variant is; else keep running.
 */
import { StatsInputError } from './moments.js';
import { sequentialTest } from './sequential.js';
import { criticalValue, type Interval } from './ttest.js';

export type Direction = 'increase' | 'decrease';
export type Verdict = 'ship' | 'do-not-ship' | 'keep-running';

export interface Guardrail {
  metric: string;
  direction: Direction;
  /** Non-inferiority margin as a relative lift (0.01 = the metric may be 1% worse); 0 = none. */
  margin: number;
}

/** What a decision reads from each comparison (a subset of analyze's MetricResult). */
export interface DecisionComparison {
  metric: string;
  variant: string;
  rel_lift: number | null;
  rel_se: number | null;
  df: number | null;
  significant: boolean;
  p_value_adjusted: number | null;
  sequential?: { significant: boolean; p_value_adjusted: number } | null;
  n_control?: number;
  n_test?: number;
}

export interface DecisionInput {
  alpha: number;
  srm: { mismatch: boolean; p_value: number };
  results: readonly DecisionComparison[];
  variants: readonly string[];
  /** Metrics whose win decides shipping. */
  primary: readonly string[];
  /** Good direction per metric (default increase). */
  directions: Readonly<Record<string, Direction>>;
  guardrails: readonly Guardrail[];
  /** With --sequential: guardrails use the one-sided confidence sequence (tuned at this N*) instead of the t bound. */
  sequentialTuning?: number | undefined;
}

export interface GuardrailCheck {
  metric: string;
  direction: Direction;
  margin: number;
  status: 'pass' | 'fail' | 'inconclusive';
  /** One-sided (1 - alpha) bounds of the lift in the good direction (L). */
  lower: number | null;
  upper: number | null;
}

export interface PrimaryCheck {
  metric: string;
  direction: Direction;
  status: 'win' | 'loss' | 'not significant' | 'no estimate';
  rel_lift: number | null;
  p_value: number | null;
}

export interface VariantDecision {
  variant: string;
  verdict: Verdict;
  reasons: string[];
  primary: PrimaryCheck[];
  guardrails: GuardrailCheck[];
}

export interface Decision {
  verdict: Verdict;
  /** The variant to ship (verdict ship), else null. */
  ship: string | null;
  reasons: string[];
  srm_ok: boolean;
  /** Whether any guardrail failed in any variant (for --fail-on guardrail). */
  guardrail_failed: boolean;
  variants: VariantDecision[];
}

const pct = (x: number): string => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)}%`;

/** Parses "metric:direction[:margin]" (margin relative, e.g. 0.01 or 1%). */
export function parseGuardrail(spec: string): Guardrail {
  const parts = spec.split(':').map((p) => p.trim());
  // The metric name may hold colons (purchase:event_count): the direction is the last increase|decrease.
  let at = -1;
  parts.forEach((p, i) => {
    if (i > 0 && (p === 'increase' || p === 'decrease')) at = i;
  });
  const metric = parts.slice(0, Math.max(at, 0)).join(':');
  if (at < 1 || !metric || parts.length > at + 2) {
    throw new StatsInputError(`guardrail "${spec}" must be metric:increase|decrease[:margin], e.g. latency:decrease:0.02`, 'BAD_GUARDRAIL');
  }
  const direction = parts[at] as Direction;
  const rawMargin = parts[at + 1];
  let margin = 0;
  if (rawMargin !== undefined && rawMargin !== '') {
    const percent = rawMargin.endsWith('%');
    const v = Number(percent ? rawMargin.slice(0, -1) : rawMargin);
    margin = percent ? v / 100 : v;
    if (!(margin >= 0 && margin < 1) || !Number.isFinite(margin)) throw new StatsInputError(`guardrail "${spec}": the margin must be a relative lift in [0, 1), e.g. 0.02 or 2%`, 'BAD_GUARDRAIL');
  }
  return { metric, direction, margin };
}

function checkGuardrail(r: DecisionComparison | undefined, g: Guardrail, alpha: number, tuning: number | undefined): GuardrailCheck {
  const base = { metric: g.metric, direction: g.direction, margin: g.margin };
  if (!r || r.rel_lift === null || r.rel_se === null || r.df === null) return { ...base, status: 'inconclusive', lower: null, upper: null };
  const sign = g.direction === 'increase' ? 1 : -1;
  const l = sign * r.rel_lift;
  // Half-width of the one-sided bound: Student t, or the one-sided confidence sequence when peeking is allowed.
  const n = (r.n_control ?? 0) + (r.n_test ?? 0);
  const h = tuning !== undefined && n > 0 ? sequentialTest(l, r.rel_se, n, { alpha, tails: 'greater', tuning }).halfwidth : criticalValue(r.df, alpha, 'greater') * r.rel_se;
  const lower = l - h;
  const upper = l + h;
  let status: GuardrailCheck['status'];
  if (g.margin > 0) status = lower > -g.margin ? 'pass' : upper < -g.margin ? 'fail' : 'inconclusive';
  else status = upper < 0 ? 'fail' : 'pass';
  return { ...base, status, lower, upper };
}

function checkPrimary(r: DecisionComparison | undefined, metric: string, direction: Direction): PrimaryCheck {
  if (!r || r.rel_lift === null) return { metric, direction, status: 'no estimate', rel_lift: null, p_value: null };
  const seq = r.sequential ?? null;
  const significant = seq ? seq.significant : r.significant;
  const p = seq ? seq.p_value_adjusted : r.p_value_adjusted;
  const good = (direction === 'increase' ? 1 : -1) * r.rel_lift;
  const status = !significant ? 'not significant' : good > 0 ? 'win' : good < 0 ? 'loss' : 'not significant';
  return { metric, direction, status, rel_lift: r.rel_lift, p_value: p };
}

function describeGuardrail(c: GuardrailCheck, alpha: number): string {
  const level = `${Math.round((1 - alpha) * 1000) / 10}%`;
  // lower/upper are on the good-direction scale (sign x lift); the text reports the bound on the
  // table's scale (the lift itself), so a "decrease" guardrail's bound keeps the table's sign.
  let bound = '';
  if (c.lower !== null && c.upper !== null) {
    const sign = c.direction === 'increase' ? 1 : -1;
    // Shown: the good-scale upper bound when it decides (margin 0, or a failed margin), else the lower one.
    const useUpper = c.margin === 0 || c.status === 'fail';
    const side = useUpper === (sign === 1) ? 'upper' : 'lower';
    const value = sign * (useUpper ? c.upper : c.lower);
    const margin = c.margin > 0 ? ` vs margin ${pct(-sign * c.margin)}` : '';
    bound = ` (one-sided ${level} ${side} bound ${pct(value)} on the lift${margin}; ${c.direction === 'increase' ? 'an increase' : 'a decrease'} is good)`;
  }
  if (c.status === 'fail') return `guardrail ${c.metric} is worse than ${c.margin > 0 ? 'its margin' : 'control'}${bound}`;
  if (c.status === 'inconclusive') return c.lower === null ? `guardrail ${c.metric} has no estimate` : `guardrail ${c.metric} is not yet shown within its margin${bound}`;
  return `guardrail ${c.metric} holds${bound}`;
}

/** How one arm is picked among several that would ship; printed in the reason. */
export const PICK_RULE = 'most primary wins, then the larger good-direction lift on the first primary metric the tied arms all won (else the first they all have an estimate for)';

const goodLift = (p: PrimaryCheck): number => (p.direction === 'increase' ? 1 : -1) * (p.rel_lift ?? 0);

/**
 * Picks one arm among those that would ship, comparing them on the same metrics: the most primary
 * wins first; among arms tied on wins, the larger good-direction lift on the first primary metric
 * (in the order given) that every tied arm won, or, when they won none in common, on the first
 * primary metric every tied arm has an estimate for. Ties keep the earlier arm.
 */
export function pickArm(shipping: readonly VariantDecision[], primary: readonly string[]): { best: VariantDecision; why: string } {
  const wins = (v: VariantDecision): number => v.primary.filter((p) => p.status === 'win').length;
  const most = Math.max(...shipping.map(wins));
  const tied = shipping.filter((v) => wins(v) === most);
  const winText = `primary wins ${shipping.map((v) => `${v.variant} ${wins(v)} of ${v.primary.length}`).join(', ')}`;
  const first = tied[0] as VariantDecision;
  if (tied.length === 1) return { best: first, why: winText };
  const check = (v: VariantDecision, m: string): PrimaryCheck | undefined => v.primary.find((p) => p.metric === m);
  const common = primary.find((m) => tied.every((v) => check(v, m)?.status === 'win')) ?? primary.find((m) => tied.every((v) => check(v, m)?.rel_lift != null));
  if (common === undefined) return { best: first, why: `${winText}; no primary metric has an estimate for all of them, so the first is kept` };
  const lift = (v: VariantDecision): number => goodLift(check(v, common) as PrimaryCheck);
  const best = tied.reduce((a, b) => (lift(b) > lift(a) ? b : a));
  const ordered = [best, ...tied.filter((v) => v !== best)];
  return { best, why: `${winText}; on ${common}: ${ordered.map((v) => `${v.variant} ${pct(check(v, common)?.rel_lift as number)}`).join(' vs ')}` };
}

export function decide(input: DecisionInput): Decision {
  const dirOf = (m: string): Direction => input.guardrails.find((g) => g.metric === m)?.direction ?? input.directions[m] ?? 'increase';
  const srmReason = `sample ratio mismatch (p = ${input.srm.p_value.toExponential(2)}): the assignment is broken, so no effect can be trusted`;
  const variants: VariantDecision[] = input.variants.map((variant) => {
    const find = (m: string): DecisionComparison | undefined => input.results.find((r) => r.metric === m && r.variant === variant);
    const primary = input.primary.map((m) => checkPrimary(find(m), m, dirOf(m)));
    const guardrails = input.guardrails.map((g) => checkGuardrail(find(g.metric), g, input.alpha, input.sequentialTuning));
    const reasons: string[] = [];
    let verdict: Verdict;
    const wins = primary.filter((p) => p.status === 'win');
    const losses = primary.filter((p) => p.status === 'loss');
    const failed = guardrails.filter((g) => g.status === 'fail');
    const open = guardrails.filter((g) => g.status === 'inconclusive');
    const primaryText = (p: PrimaryCheck): string =>
      p.status === 'no estimate' ? `${p.metric} has no estimate` : `${p.metric} ${pct(p.rel_lift as number)} (${p.status}${p.p_value === null ? '' : `, p = ${p.p_value < 1e-4 ? p.p_value.toExponential(1) : p.p_value.toFixed(4)}`}; ${p.direction} is good)`;
    if (input.srm.mismatch) reasons.push(srmReason);
    for (const g of failed) reasons.push(describeGuardrail(g, input.alpha));
    for (const p of losses) reasons.push(`primary ${primaryText(p)}`);
    if (input.srm.mismatch || failed.length > 0 || losses.length > 0) {
      verdict = 'do-not-ship';
    } else if (wins.length > 0 && open.length === 0) {
      verdict = 'ship';
      for (const p of wins) reasons.push(`primary ${primaryText(p)}`);
      for (const g of guardrails) reasons.push(describeGuardrail(g, input.alpha));
    } else {
      verdict = 'keep-running';
      if (wins.length === 0) for (const p of primary) reasons.push(`primary ${primaryText(p)}`);
      for (const g of open) reasons.push(describeGuardrail(g, input.alpha));
    }
    if (input.primary.length === 0 && verdict === 'keep-running') reasons.push('no primary metric to decide on');
    return { variant, verdict, reasons, primary, guardrails };
  });
  const guardrailFailed = variants.some((v) => v.guardrails.some((g) => g.status === 'fail'));
  if (input.srm.mismatch) return { verdict: 'do-not-ship', ship: null, reasons: [srmReason], srm_ok: false, guardrail_failed: guardrailFailed, variants };
  const shipping = variants.filter((v) => v.verdict === 'ship');
  if (shipping.length > 0) {
    const { best, why } = pickArm(shipping, input.primary);
    const reasons = [`ship ${best.variant}: ${best.reasons.join('; ')}`];
    const others = shipping.filter((v) => v !== best);
    if (others.length > 0) reasons.push(`${others.map((v) => v.variant).join(', ')} would also ship; ${best.variant} is chosen by the rule "${PICK_RULE}": ${why}`);
    return { verdict: 'ship', ship: best.variant, reasons, srm_ok: true, guardrail_failed: guardrailFailed, variants };
  }
  const all = variants.every((v) => v.verdict === 'do-not-ship');
  const label = (v: VariantDecision): string => (variants.length > 1 ? `${v.variant}: ` : '');
  return {
    verdict: all ? 'do-not-ship' : 'keep-running',
    ship: null,
    reasons: variants.flatMap((v) => v.reasons.map((r) => `${label(v)}${r}`)),
    srm_ok: true,
    guardrail_failed: guardrailFailed,
    variants,
  };
}

/** The interval a markdown summary shows for a comparison: the sequential one when there is one. */
export function shownInterval(r: { rel_ci: Interval; sequential?: { rel_ci: Interval } | null }): Interval {
  return r.sequential ? r.sequential.rel_ci : r.rel_ci;
}
