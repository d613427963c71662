/**
 * power as curves (pure: the power inputs in, a Vega-Lite spec out): the power to detect the
 * effect against units per arm (when a sample size was asked for), or against the effect size
 * (when an MDE was asked for at a given n), with the measured variance reduction (CUPED/CUPAC)
 * and without it; the answers are marked where each curve crosses the target power.
 */
import type { TopLevelSpec } from 'vega-lite';
import { achievedPower, type PowerTails } from '../stats/power.js';

export const POWER_COLORS = { adjusted: '#2563eb', unadjusted: '#9ca3af', target: '#111827' } as const;

export interface PowerChartInput {
  metric: string;
  variance: number;
  /** Variance cut by the adjustment, in [0, 1). */
  varianceReduction: number;
  /** Baseline mean: effects are shown relative to it when known. */
  mean?: number | undefined;
  alpha: number;
  tails: PowerTails;
  /** Target power. */
  power: number;
  /** 'CUPAC', 'CUPED' or a plain word for an assumed reduction. */
  method: string;
  /** Sample size question: the absolute effect, and the answers with and without the adjustment. */
  sampleSize?: { absoluteMde: number; nPerArm: number; nPerArmUnadjusted: number };
  /** MDE question: units per arm, and the answers (absolute) with and without the adjustment. */
  mde?: { nPerArm: number; absoluteMde: number; absoluteMdeUnadjusted: number };
}

export interface PowerCurvePoint {
  curve: string;
  x: number;
  power: number;
}

const curveNames = (input: PowerChartInput): { adjusted: string; unadjusted: string } => ({
  adjusted: `with ${input.method} (variance -${(input.varianceReduction * 100).toFixed(0)}%)`,
  unadjusted: 'without adjustment',
});

/** The curves, sampled at `steps` points, and the marked answers (at the target power). */
export function powerCurves(input: PowerChartInput, steps = 120): { points: PowerCurvePoint[]; answers: PowerCurvePoint[]; xTitle: string; relative: boolean } {
  const names = curveNames(input);
  const base = { variance: input.variance, alpha: input.alpha, tails: input.tails };
  const curves = input.varianceReduction > 0 ? ([[names.adjusted, input.varianceReduction], [names.unadjusted, 0]] as const) : ([[names.unadjusted, 0]] as const);
  const points: PowerCurvePoint[] = [];
  const answers: PowerCurvePoint[] = [];
  const relative = input.mean !== undefined && input.mean !== 0 && Number.isFinite(input.mean);
  if (input.sampleSize) {
    const { absoluteMde, nPerArm, nPerArmUnadjusted } = input.sampleSize;
    const max = Math.max(nPerArm, nPerArmUnadjusted) * 1.4;
    for (const [curve, vr] of curves) {
      for (let i = 1; i <= steps; i++) {
        const n = Math.max(2, (max * i) / steps);
        points.push({ curve, x: n, power: achievedPower({ ...base, varianceReduction: vr, nPerArm: n, delta: absoluteMde }) });
      }
      answers.push({ curve, x: vr > 0 ? nPerArm : nPerArmUnadjusted, power: input.power });
    }
    return { points, answers, xTitle: 'units per arm', relative };
  }
  if (input.mde) {
    const { nPerArm, absoluteMde, absoluteMdeUnadjusted } = input.mde;
    const scale = relative ? 100 / Math.abs(input.mean as number) : 1;
    const max = Math.max(absoluteMde, absoluteMdeUnadjusted) * 1.8;
    for (const [curve, vr] of curves) {
      for (let i = 0; i <= steps; i++) {
        const delta = (max * i) / steps;
        points.push({ curve, x: delta * scale, power: achievedPower({ ...base, varianceReduction: vr, nPerArm, delta }) });
      }
      answers.push({ curve, x: (vr > 0 ? absoluteMde : absoluteMdeUnadjusted) * scale, power: input.power });
    }
    return { points, answers, xTitle: relative ? `effect, % of the mean (${nPerArm.toLocaleString('en-US')} units per arm)` : `absolute effect (${nPerArm.toLocaleString('en-US')} units per arm)`, relative };
  }
  throw new Error('powerSpec needs sampleSize or mde');
}

export function powerSpec(input: PowerChartInput, options: { interactive?: boolean } = {}): TopLevelSpec {
  const { points, answers, xTitle } = powerCurves(input);
  const names = curveNames(input);
  const domain = input.varianceReduction > 0 ? [names.adjusted, names.unadjusted] : [names.unadjusted];
  const range = input.varianceReduction > 0 ? [POWER_COLORS.adjusted, POWER_COLORS.unadjusted] : [POWER_COLORS.unadjusted];
  const color = { field: 'curve', type: 'nominal' as const, title: null, scale: { domain, range }, legend: { orient: 'bottom-right' as const, labelLimit: 320 } };
  const x = { field: 'x', type: 'quantitative' as const, title: xTitle, scale: { zero: true, nice: false } };
  const y = { field: 'power', type: 'quantitative' as const, title: 'power', scale: { domain: [0, 1] }, axis: { format: '.0%' } };
  const question = input.sampleSize
    ? `units per arm to detect the effect with ${Math.round(input.power * 100)}% power`
    : `smallest effect detectable with ${Math.round(input.power * 100)}% power`;
  const tooltip = [
    { field: 'curve', type: 'nominal' as const, title: 'curve' },
    { field: 'x', type: 'quantitative' as const, format: ',.4~g', title: input.sampleSize ? 'units per arm' : 'effect' },
    { field: 'power', type: 'quantitative' as const, format: '.1%' },
  ];
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    background: 'white',
    title: { text: `Power for ${input.metric}, with and without ${input.method}`, subtitle: [`${question}; alpha ${input.alpha}, ${input.tails}-sided`] },
    width: 560,
    height: 300,
    layer: [
      { data: { values: [{ power: input.power }] }, mark: { type: 'rule', strokeDash: [4, 3], color: POWER_COLORS.target }, encoding: { y: { field: 'power', type: 'quantitative' } } },
      {
        data: { values: points },
        mark: { type: 'line', strokeWidth: 2.5 },
        encoding: { x, y, color },
        ...(options.interactive ? { params: [{ name: 'zoom', select: { type: 'interval', encodings: ['x'] }, bind: 'scales' }] } : {}),
      },
      ...(options.interactive ? [{ data: { values: points }, mark: { type: 'point', opacity: 0, size: 50, tooltip: true }, encoding: { x, y, tooltip } }] : []),
      { data: { values: answers }, mark: { type: 'point', filled: true, size: 100, opacity: 1, stroke: 'white', strokeWidth: 1 }, encoding: { x, y, color, tooltip } },
      { data: { values: answers }, mark: { type: 'text', dy: -12, fontSize: 11 }, encoding: { x, y, text: { field: 'x', type: 'quantitative', format: input.sampleSize ? ',.0f' : ',.3~g' }, color } },
    ],
  } as unknown as TopLevelSpec;
}
