/**
 * Seasonal exponential smoothing, ETS(A,Ad,A) (additive Holt-Winters with a damped trend), in
 * the error-correction form of Hyndman & Athanasopoulos (FPP3 8.6). @bsull/augurs' AutoETS only
 * fits non-seasonal models (any seasonal spec fails with "no model found"), so the seasonal case
 * lives here. Smoothing parameters are chosen on a grid by AICc; intervals use the analytic
 * variance of the class-1 ETS models: sigma^2 (1 + sum_{j<h} c_j^2), c_j = alpha + beta phi_j + gamma [j mod m = 0].
 */
import { normalQuantile } from './metrics.js';

export interface HwParams {
  alpha: number;
  beta: number;
  gamma: number;
  phi: number;
}

export interface HwFit extends HwParams {
  period: number;
  level: number;
  trend: number;
  /** The last `period` seasonal states, oldest first. */
  season: number[];
  sigma2: number;
  aicc: number;
  /** One-step-ahead in-sample fit. */
  fitted: number[];
}

interface Run {
  sse: number;
  level: number;
  trend: number;
  season: number[];
  fitted: number[];
}

/** Classical start: the first two seasons' means give the trend; the season is the first season less that line; the level is the line one step before y[0]. */
function initialStates(y: number[], m: number): { level: number; trend: number; season: number[] } {
  const mean = (a: number, b: number): number => y.slice(a, b).reduce((s, v) => s + v, 0) / (b - a);
  const first = mean(0, m);
  const trend = (mean(m, 2 * m) - first) / m;
  const centre = (m - 1) / 2;
  return { level: first - trend * (centre + 1), trend, season: y.slice(0, m).map((v, i) => v - (first + trend * (i - centre))) };
}

function smooth(y: number[], m: number, p: HwParams, keepFitted: boolean): Run {
  const init = initialStates(y, m);
  let level = init.level;
  let trend = init.trend;
  const season = init.season.slice();
  const fitted: number[] = [];
  let sse = 0;
  for (let t = 0; t < y.length; t++) {
    const s = season[t % m] as number;
    const f = level + p.phi * trend + s;
    const e = (y[t] as number) - f;
    if (keepFitted) fitted.push(f);
    sse += e * e;
    level = level + p.phi * trend + p.alpha * e;
    trend = p.phi * trend + p.beta * e;
    season[t % m] = s + p.gamma * e;
  }
  // Rotate so that season[0] is the state for time n (the next seasonal position).
  const n = y.length;
  const rotated = Array.from({ length: m }, (_, k) => season[(n + k) % m] as number);
  return { sse, level, trend, season: rotated, fitted };
}

const ALPHAS = [0.02, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.98];
const BETAS = [0, 0.005, 0.02, 0.05, 0.1, 0.2];
const GAMMAS = [0, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5];
const PHIS = [0.9, 0.95, 0.98, 1];

/** Fits ETS(A,Ad,A) with season length `m` (needs at least 2m + 1 finite, gap-free points). */
export function fitHoltWinters(y: number[], m: number): HwFit {
  if (!(m >= 2) || y.length < 2 * m + 1) throw new Error(`seasonal ETS needs at least ${2 * m + 1} points`);
  const n = y.length;
  let best: { p: HwParams; aicc: number; sse: number } | null = null;
  for (const phi of PHIS) {
    for (const alpha of ALPHAS) {
      for (const beta of BETAS) {
        if (beta > alpha) continue;
        for (const gamma of GAMMAS) {
          if (gamma > 1 - alpha) continue;
          const p = { alpha, beta, gamma, phi };
          const { sse } = smooth(y, m, p, false);
          // Parameters: alpha, beta, gamma, (phi), initial level, trend and m - 1 seasonal states.
          const k = (phi < 1 ? 4 : 3) + 2 + m - 1;
          const aicc = n * Math.log(Math.max(sse, 1e-300) / n) + 2 * k + (n - k - 1 > 0 ? (2 * k * (k + 1)) / (n - k - 1) : 0);
          if (!best || aicc < best.aicc) best = { p, aicc, sse };
        }
      }
    }
  }
  const chosen = best as { p: HwParams; aicc: number; sse: number };
  const r = smooth(y, m, chosen.p, true);
  return { ...chosen.p, period: m, level: r.level, trend: r.trend, season: r.season, sigma2: r.sse / n, aicc: chosen.aicc, fitted: r.fitted };
}

/** Point forecasts and `level` intervals for steps 1..horizon. */
export function forecastHoltWinters(fit: HwFit, horizon: number, level: number): { point: number[]; lower: number[]; upper: number[] } {
  const z = normalQuantile((1 + level) / 2);
  const point: number[] = [];
  const lower: number[] = [];
  const upper: number[] = [];
  let phiH = 0; // phi + phi^2 + ... + phi^h
  let varSum = 1;
  for (let h = 1; h <= horizon; h++) {
    const phiPrev = phiH;
    phiH += fit.phi ** h;
    if (h > 1) {
      const j = h - 1;
      const c = fit.alpha + fit.beta * phiPrev + (j % fit.period === 0 ? fit.gamma : 0);
      varSum += c * c;
    }
    const f = fit.level + phiH * fit.trend + (fit.season[(h - 1) % fit.period] as number);
    const w = z * Math.sqrt(fit.sigma2 * varSum);
    point.push(f);
    lower.push(f - w);
    upper.push(f + w);
  }
  return { point, lower, upper };
}
