/**
 * Model adapters: one function per model that fits the training part of a regular series and
 * returns point forecasts, interval bounds and (when asked) the in-sample fit on the grid.
 * Prophet works on the observed points (it handles gaps natively); MSTL, ETS and the seasonal
 * naive baseline need a regular grid, so they get the gap-filled series.
 */
import { forecastArima } from './arima.js';
import { loadEts, loadMstl, loadProphet } from './augurs.js';
import { FREQ_INFO, gridPosition, gridTime } from './calendar.js';
import { dateToEpoch } from './holidays.js';
import { fitHoltWinters, forecastHoltWinters } from './holtwinters.js';
import { normalQuantile } from './metrics.js';
import { interpolate } from './series.js';
import { prophetFitOf, prophetIntervals } from './prophet-intervals.js';
import type * as ProphetModule from '@bsull/augurs/prophet';
import { prophetComponents, type ModelComponents } from './components.js';
import type { Freq, HolidayDef, ModelName } from './types.js';

export interface ModelInput {
  /** Training values on the grid (NaN = missing), already transformed. */
  y: number[];
  /** The same with gaps interpolated. */
  filled: number[];
  /** Epoch seconds of y[0]. */
  start: number;
  step: number;
  freq: Freq;
  horizon: number;
  level: number;
  holidays: HolidayDef[];
  /** Also return the in-sample fit. */
  insample: boolean;
  /** Also return Prophet's fitted holiday components. */
  holidayEffects: boolean;
  /** Prophet uncertainty draws. */
  samples: number;
  holidaysPriorScale: number;
  /** Extra regressors (Prophet only), on the grid from `start` through at least y.length + horizon. */
  regressors?: { name: string; values: number[] }[] | undefined;
  /** Ensemble member weights (from CV); absent: the equal-weight mean of Prophet and MSTL. */
  weights?: Partial<Record<Member, number>>;
}

/** Models the weighted ensemble draws from. */
export type Member = 'prophet' | 'mstl' | 'ets' | 'arima' | 'naive';
export const MEMBERS: readonly Member[] = ['prophet', 'mstl', 'ets', 'arima', 'naive'];

export interface ModelOutput {
  model: ModelName;
  point: number[];
  lower: number[];
  upper: number[];
  /** In-sample fit on the grid (NaN where none). */
  fitted?: number[];
  /** A smoother in-sample fit for anomaly detection, when the model has one besides `fitted` (the ensemble's Prophet part). */
  baseline?: number[];
  /** Prophet's holiday components: name -> values on the history dates of that holiday. */
  holidayComponents?: { name: string; values: number[] }[];
  /** Set when the model fell back to another. */
  note?: string;
  /** The model's own additive components over history + horizon (Prophet; with insample). */
  components?: ModelComponents;
  /** Ensemble: the weight of the Prophet member whose `components` these are (the rest is decomposed). */
  componentsWeight?: number;
}

/** Seasonal periods (in grid steps) that fit at least twice into `n` points. */
export function seasonalPeriods(freq: Freq, n: number): number[] {
  return FREQ_INFO[freq].periods.filter((p) => n >= 2 * p + 1);
}

/** Period of the seasonal naive baseline (and of the MASE scale): the shortest season, or 1. */
export function naivePeriod(freq: Freq, n: number): number {
  return seasonalPeriods(freq, n)[0] ?? 1;
}

export async function fitModel(model: Exclude<ModelName, 'constant'>, input: ModelInput): Promise<ModelOutput> {
  switch (model) {
    case 'prophet':
      return fitProphet(input);
    case 'mstl':
      return fitMstl(input);
    case 'ets':
      return fitEts(input);
    case 'arima':
      return fitArima(input);
    case 'naive':
      return fitNaive(input);
    case 'ensemble':
      return fitEnsemble(input);
  }
}

/**
 * The ensemble of Prophet (`a`) and MSTL (`b`): the mean of the two point forecasts, with
 * Prophet's interval half-widths around it. Prophet's simulated trend uncertainty stays
 * calibrated over long horizons where MSTL's ETS intervals grow far too wide (Peyton Manning,
 * 365-day holdout: 80% coverage 0.85 this way, 0.97 with averaged bounds).
 */
export function combineEnsemble(a: ModelOutput, b: ModelOutput): ModelOutput {
  const avg = (x: number[], y: number[]): number[] => x.map((v, i) => (v + (y[i] as number)) / 2);
  const point = avg(a.point, b.point);
  const out: ModelOutput = {
    model: 'ensemble',
    point,
    lower: point.map((p, i) => p - ((a.point[i] as number) - (a.lower[i] as number))),
    upper: point.map((p, i) => p + ((a.upper[i] as number) - (a.point[i] as number))),
  };
  if (a.fitted && b.fitted) out.fitted = avg(a.fitted, b.fitted);
  else if (a.fitted ?? b.fitted) out.fitted = a.fitted ?? b.fitted;
  if (a.fitted) out.baseline = a.fitted;
  // Prophet's own terms; describeFit (components.ts) adds MSTL's half.
  if (a.components) out.components = a.components;
  const notes = [a.note, b.note].filter((x): x is string => Boolean(x));
  if (notes.length > 0) out.note = notes.join('; ');
  // The ensemble's holiday effect is the mean of its members' effects.
  if (a.holidayComponents || b.holidayComponents) {
    const meanOf = (list: { name: string; values: number[] }[] | undefined, name: string): number => {
      const v = list?.find((h) => h.name === name)?.values ?? [];
      return v.length > 0 ? v.reduce((x, y) => x + y, 0) / v.length : 0;
    };
    const names = [...new Set([...(a.holidayComponents ?? []), ...(b.holidayComponents ?? [])].map((h) => h.name))];
    out.holidayComponents = names.map((name) => ({ name, values: [(meanOf(a.holidayComponents, name) + meanOf(b.holidayComponents, name)) / 2] }));
  }
  return out;
}

/**
 * Weights of the CV-weighted ensemble from each member's rolling-origin MASE: the members whose
 * MASE is no worse than seasonal naive's (naive itself included), weighted by inverse squared
 * MASE, normalised to sum to 1. Members with no score are left out. Null when naive has no
 * score (no CV): the caller falls back to the equal-weight Prophet + MSTL mean.
 */
export function ensembleWeights(mase: Partial<Record<Member, number | null>>): Partial<Record<Member, number>> | null {
  const base = mase.naive;
  if (base === undefined || base === null || !Number.isFinite(base)) return null;
  const raw: [Member, number][] = [];
  for (const m of MEMBERS) {
    const v = mase[m];
    if (v === undefined || v === null || !Number.isFinite(v) || v > base) continue;
    raw.push([m, 1 / Math.max(v, 1e-9) ** ENSEMBLE_POWER]);
  }
  const total = raw.reduce((a, [, w]) => a + w, 0);
  return Object.fromEntries(raw.map(([m, w]) => [m, w / total]));
}

/** Exponent of the inverse-MASE weights (2: a model with half the error gets four times the weight). */
export const ENSEMBLE_POWER = 2;

/**
 * The weighted mean of member forecasts: points, interval half-widths (each side) and in-sample
 * fits are averaged with the weights (renormalised over the members present).
 */
export function combineWeighted(outputs: Partial<Record<Member, ModelOutput>>, weights: Partial<Record<Member, number>>): ModelOutput {
  const present = MEMBERS.filter((m) => outputs[m] && (weights[m] ?? 0) > 0);
  if (present.length === 0) throw new Error('no ensemble member could be fitted');
  const total = present.reduce((a, m) => a + (weights[m] as number), 0);
  const w = (m: Member): number => (weights[m] as number) / total;
  const first = outputs[present[0] as Member] as ModelOutput;
  const h = first.point.length;
  const point = new Array<number>(h).fill(0);
  const lowHalf = new Array<number>(h).fill(0);
  const upHalf = new Array<number>(h).fill(0);
  for (const m of present) {
    const o = outputs[m] as ModelOutput;
    for (let k = 0; k < h; k++) {
      point[k] = (point[k] as number) + w(m) * (o.point[k] as number);
      lowHalf[k] = (lowHalf[k] as number) + w(m) * ((o.point[k] as number) - (o.lower[k] as number));
      upHalf[k] = (upHalf[k] as number) + w(m) * ((o.upper[k] as number) - (o.point[k] as number));
    }
  }
  const out: ModelOutput = {
    model: 'ensemble',
    point,
    lower: point.map((p, k) => p - (lowHalf[k] as number)),
    upper: point.map((p, k) => p + (upHalf[k] as number)),
  };
  // Prophet's own terms carry its share of the forecast; describeFit decomposes the rest.
  const prophet = outputs.prophet;
  if (prophet?.components && present.includes('prophet')) {
    out.components = prophet.components;
    out.componentsWeight = w('prophet');
  }
  const withFit = present.filter((m) => outputs[m]?.fitted);
  if (withFit.length > 0) {
    const n = (outputs[withFit[0] as Member]?.fitted as number[]).length;
    out.fitted = Array.from({ length: n }, (_, i) => {
      let s = 0;
      let ws = 0;
      for (const m of withFit) {
        const v = (outputs[m]?.fitted as number[])[i] as number;
        if (!Number.isFinite(v)) continue;
        s += (weights[m] as number) * v;
        ws += weights[m] as number;
      }
      return ws > 0 ? s / ws : NaN;
    });
  }
  if (prophet?.fitted && present.includes('prophet')) out.baseline = prophet.fitted;
  const notes = present.map((m) => outputs[m]?.note).filter((x): x is string => Boolean(x));
  if (notes.length > 0) out.note = notes.join('; ');
  const withHolidays = present.filter((m) => outputs[m]?.holidayComponents);
  if (withHolidays.length > 0) {
    const names = [...new Set(withHolidays.flatMap((m) => (outputs[m]?.holidayComponents ?? []).map((c) => c.name)))];
    out.holidayComponents = names.map((name) => {
      let s = 0;
      let ws = 0;
      for (const m of withHolidays) {
        const v = outputs[m]?.holidayComponents?.find((c) => c.name === name)?.values ?? [];
        const mean = v.length > 0 ? v.reduce((a, b) => a + b, 0) / v.length : 0;
        s += (weights[m] as number) * mean;
        ws += weights[m] as number;
      }
      return { name, values: [ws > 0 ? s / ws : 0] };
    });
  }
  return out;
}

async function fitEnsemble(input: ModelInput): Promise<ModelOutput> {
  if (input.weights) {
    const outputs: Partial<Record<Member, ModelOutput>> = {};
    const failed: string[] = [];
    for (const m of MEMBERS) {
      if (!((input.weights[m] ?? 0) > 0)) continue;
      try {
        outputs[m] = await fitModel(m, input);
      } catch (error) {
        failed.push(`${m} (${(error as Error).message.split('\n')[0] ?? 'error'})`);
      }
    }
    const out = combineWeighted(outputs, input.weights);
    if (failed.length > 0) out.note = [out.note, `ensemble members failed on the full history and were left out: ${failed.join(', ')}`].filter(Boolean).join('; ');
    return out;
  }
  const prophet = await fitProphet(input);
  if (seasonalPeriods(input.freq, input.filled.length).length === 0) {
    return { ...prophet, note: 'too short for MSTL: the ensemble is Prophet alone' };
  }
  const mstl = await fitMstl(input);
  return combineEnsemble(prophet, mstl);
}

/** ARIMA (see arima.ts) on the gap-filled, seasonally adjusted series. */
export function fitArima(input: ModelInput): ModelOutput {
  const periods = seasonalPeriods(input.freq, input.filled.length);
  const f = forecastArima(input.filled, periods, input.horizon, input.level);
  return { model: 'arima', point: f.point, lower: f.lower, upper: f.upper };
}

function futureTimes(input: ModelInput): number[] {
  const n = input.y.length;
  return Array.from({ length: input.horizon }, (_, k) => gridTime(input.freq, input.start, n + k));
}

export async function fitProphet(input: ModelInput): Promise<ModelOutput> {
  const { Prophet, optimizer } = await loadProphet();
  const ds: number[] = [];
  const y: number[] = [];
  for (let i = 0; i < input.y.length; i++) {
    const v = input.y[i] as number;
    if (Number.isNaN(v)) continue;
    ds.push(gridTime(input.freq, input.start, i));
    y.push(v);
  }
  const first = ds[0] as number;
  const last = gridTime(input.freq, input.start, input.y.length - 1);
  // Only holidays seen in the training history can be estimated.
  const holidays = new Map<string, { occurrences: { start: number; end: number }[] }>();
  const seen: { name: string; times: number[] }[] = [];
  for (const h of input.holidays) {
    const starts = h.dates.map(dateToEpoch);
    const inHistory = starts.filter((t) => t + 86_400 > first && t <= last);
    if (inHistory.length === 0) continue;
    holidays.set(h.name, { occurrences: starts.map((t) => ({ start: t, end: t + 86_400 })) });
    // Grid times inside the holiday's history days (the component is read there).
    const times: number[] = [];
    for (const t of inHistory) {
      for (const g of dayIndices(isoDay(t), input.freq, input.start, 0, input.y.length)) {
        const gt = gridTime(input.freq, input.start, g);
        if (gt >= first) times.push(gt);
      }
    }
    if (times.length > 0) seen.push({ name: h.name, times });
  }
  // The wasm build of Stan aborts (instead of recovering) on some line-search exceptions; a
  // refit with min-max scaling, then with one changepoint less, gets past every case we have seen.
  const retries: { note?: string; options: Partial<ProphetModule.ProphetOptions> }[] = [
    { options: {} },
    { note: "Prophet's optimizer failed; refitted with min-max scaling", options: { scaling: 'minMax' } },
    { note: "Prophet's optimizer failed; refitted with 24 changepoints", options: { nChangepoints: 24 } },
  ];
  let model: ProphetModule.Prophet | undefined;
  let note: string | undefined;
  let lastError: unknown;
  // Regressor values at grid times (the values are on the grid from input.start).
  const regressors = input.regressors ?? [];
  const xAt = (times: number[]): Map<string, number[]> | undefined =>
    regressors.length === 0 ? undefined : new Map(regressors.map((r) => [r.name, times.map((t) => r.values[Math.round(gridPosition(input.freq, input.start, t))] as number)]));
  // Prophet's own interval draws use an unseedable RNG: capture the fit and draw them here, seeded.
  let captured: { data: string; params: { delta: ArrayLike<number>; sigmaObs: number } } | undefined;
  const capturing: typeof optimizer = {
    optimize: (init, data, opts) => {
      const result = optimizer.optimize(init, data, opts);
      captured = { data, params: result.params };
      return result;
    },
  };
  for (const attempt of retries) {
    const m = new Prophet({
      optimizer: capturing,
      intervalWidth: input.level,
      uncertaintySamples: 0,
      ...(holidays.size > 0 ? { holidays, holidaysPriorScale: input.holidaysPriorScale } : {}),
      ...attempt.options,
    });
    try {
      for (const r of regressors) m.addRegressor(r.name);
      const x = xAt(ds);
      m.fit(x ? { ds, y, x } : { ds, y });
      model = m;
      note = attempt.note;
      break;
    } catch (error) {
      lastError = error;
      m.free();
    }
  }
  if (!model) throw lastError instanceof Error ? lastError : new Error(String(lastError));
  try {
    const fds = futureTimes(input);
    const fx = xAt(fds);
    const future = model.predict(fx ? { ds: fds, x: fx } : { ds: fds });
    const point = future.yhat.point;
    const fit = captured ? prophetFitOf(captured.data, captured.params, ds, y) : null;
    const { lower, upper } = fit && input.samples > 0 ? prophetIntervals(point, fds, fit, { level: input.level, samples: input.samples }) : { lower: point.slice(), upper: point.slice() };
    const out: ModelOutput = { model: 'prophet', point, lower, upper };
    if (note) out.note = note;
    if (input.insample) {
      const hist = model.predict();
      const fitted = new Array<number>(input.y.length).fill(NaN);
      hist.ds.forEach((t, i) => {
        fitted[Math.round(gridPosition(input.freq, input.start, t))] = hist.yhat.point[i] as number;
      });
      out.fitted = fitted;
      out.components = prophetComponents(input, hist, future);
    }
    if (input.holidayEffects && seen.length > 0) {
      const times = [...new Set(seen.flatMap((s) => s.times))].sort((a, b) => a - b);
      const index = new Map(times.map((t, i) => [t, i]));
      const tx = xAt(times);
      const pred = model.predict(tx ? { ds: times, x: tx } : { ds: times });
      out.holidayComponents = seen.map((s) => {
        const comp = pred.holidays.get(s.name)?.point ?? [];
        return { name: s.name, values: s.times.map((t) => comp[index.get(t) as number] ?? 0) };
      });
    }
    return out;
  } finally {
    model.free();
  }
}

export async function fitMstl(input: ModelInput): Promise<ModelOutput> {
  const periods = seasonalPeriods(input.freq, input.filled.length);
  if (periods.length === 0) {
    const ets = await fitEts(input);
    return { ...ets, note: `too few points (${input.filled.length}) for a seasonal MSTL: used ETS` };
  }
  const { MSTL } = await loadMstl();
  const model = MSTL.ets(periods);
  // Holiday days are taken out (interpolated over) before the decomposition, so that the
  // seasonal components do not learn them; their effects are estimated from the residuals.
  let train = input.filled;
  if (input.holidays.length > 0) {
    const n = input.y.length;
    const masked = input.filled.slice();
    for (const h of input.holidays) for (const d of h.dates) for (const i of dayIndices(d, input.freq, input.start, 0, n)) masked[i] = NaN;
    if (masked.some((v) => !Number.isNaN(v))) train = interpolate(masked);
  }
  try {
    model.fit(train);
    const f = model.predict(input.horizon, input.level);
    const out: ModelOutput = { model: 'mstl', point: f.point, lower: f.intervals?.lower ?? f.point.slice(), upper: f.intervals?.upper ?? f.point.slice() };
    if (input.insample || input.holidays.length > 0) out.fitted = model.predictInSample().point;
    if (input.holidays.length > 0 && out.fitted) applyResidualHolidays(input, out, out.fitted);
    if (!input.insample) delete out.fitted;
    return out;
  } finally {
    model.free();
  }
}

/** Grid indices (0-based from `start`) of the grid times inside each UTC day `date`, below `limit`. */
export function dayIndices(date: string, freq: Freq, start: number, from: number, limit: number): number[] {
  const t = dateToEpoch(date);
  const out: number[] = [];
  for (let g = Math.max(from, Math.ceil(gridPosition(freq, start, t) - 1e-9)); g < limit && gridTime(freq, start, g) < t + 86_400; g++) out.push(g);
  return out;
}

/** YYYY-MM-DD of an epoch-seconds time. */
function isoDay(t: number): string {
  return new Date(t * 1000).toISOString().slice(0, 10);
}

/**
 * Holidays for models without holiday terms (MSTL): each holiday's effect is the mean in-sample
 * residual over its past occurrences, shrunk toward zero by one pseudo-occurrence
 * (sum / (count + 1)); it is added to the forecast (and to the in-sample fit) on that holiday's dates.
 */
export function applyResidualHolidays(input: ModelInput, out: ModelOutput, fitted: number[]): void {
  const n = input.y.length;
  const components: { name: string; values: number[] }[] = [];
  for (const h of input.holidays) {
    let sum = 0;
    let count = 0;
    const hist: number[] = [];
    for (const d of h.dates) {
      const idx = dayIndices(d, input.freq, input.start, 0, n);
      for (const i of idx) {
        const v = input.y[i] as number;
        const f = fitted[i] as number;
        if (Number.isNaN(v) || !Number.isFinite(f)) continue;
        sum += v - f;
        count++;
        hist.push(i);
      }
    }
    if (count === 0) continue;
    const effect = sum / (count + 1);
    for (const i of hist) fitted[i] = (fitted[i] as number) + effect;
    for (const d of h.dates) {
      for (const g of dayIndices(d, input.freq, input.start, n, n + input.horizon)) {
        const k = g - n;
        out.point[k] = (out.point[k] as number) + effect;
        out.lower[k] = (out.lower[k] as number) + effect;
        out.upper[k] = (out.upper[k] as number) + effect;
      }
    }
    components.push({ name: h.name, values: [effect] });
  }
  out.holidayComponents = components;
}

/**
 * ETS: seasonal ETS(A,Ad,A) on the shortest season that fits twice (12 for months, 7 for days,
 * 24 for hours, ...), else augurs' non-seasonal AutoETS.
 */
export async function fitEts(input: ModelInput): Promise<ModelOutput> {
  const m = naivePeriod(input.freq, input.filled.length);
  if (m > 1) {
    const fit = fitHoltWinters(input.filled, m);
    const out: ModelOutput = { model: 'ets', ...forecastHoltWinters(fit, input.horizon, input.level) };
    if (input.insample) out.fitted = fit.fitted;
    return out;
  }
  const { AutoETS } = await loadEts();
  const positive = input.filled.every((v) => v > 0);
  const model = new AutoETS(1, positive ? 'ZZN' : 'AZN');
  try {
    model.fit(input.filled);
    const f = model.predict(input.horizon, input.level);
    return { model: 'ets', point: f.point, lower: f.intervals?.lower ?? f.point.slice(), upper: f.intervals?.upper ?? f.point.slice() };
  } finally {
    model.free();
  }
}

/**
 * Seasonal naive: each future step repeats the value one season earlier. Intervals follow
 * Hyndman & Athanasopoulos (FPP3 5.5): sd of the seasonal differences times sqrt(k + 1) for the
 * k-th full season ahead.
 */
export function fitNaive(input: ModelInput): ModelOutput {
  const y = input.filled;
  const n = y.length;
  const m = Math.min(naivePeriod(input.freq, n), n);
  let ss = 0;
  let cnt = 0;
  for (let t = m; t < n; t++) {
    const e = (y[t] as number) - (y[t - m] as number);
    ss += e * e;
    cnt++;
  }
  const sigma = cnt > 0 ? Math.sqrt(ss / cnt) : 0;
  const z = normalQuantile((1 + input.level) / 2);
  const point: number[] = [];
  const lower: number[] = [];
  const upper: number[] = [];
  for (let k = 0; k < input.horizon; k++) {
    const v = y[n - m + (k % m)] as number;
    const w = z * sigma * Math.sqrt(Math.floor(k / m) + 1);
    point.push(v);
    lower.push(v - w);
    upper.push(v + w);
  }
  const out: ModelOutput = { model: 'naive', point, lower, upper };
  if (input.insample) out.fitted = y.map((_, t) => (t >= m ? (y[t - m] as number) : NaN));
  return out;
}
