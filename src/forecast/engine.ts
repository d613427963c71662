/**
 * The per-series forecast pipeline: transform, model choice by rolling-origin
 * cross-validation (auto), the final fit, interval calibration, anomalies and holiday
 * effects. Runs the same on the main thread and inside worker threads.
 */
import { detectAnomalies } from './anomalies.js';
import { decompose, describeFit, metricsByStep } from './components.js';
import { holidayEffects } from './holidays.js';
import { conformalScale, rollingCutoffs } from './cv.js';
import { emptyScored, naiveScale, summarize, type Scored } from './metrics.js';
import { gridTime, isCalendarFreq } from './calendar.js';
import { combineEnsemble, fitModel, fitNaive, naivePeriod, seasonalPeriods, type ModelInput, type ModelOutput } from './models.js';
import { formatTime, freqWord, interpolate, MIN_MODEL_POINTS } from './series.js';
import { fitErrorText } from './output.js';
import type {
  Anomaly,
  BacktestResult,
  CandidateScore,
  EngineOptions,
  ForecastPoint,
  HistoryPoint,
  ModelName,
  PreparedSeries,
  SeriesForecast,
  Transform,
} from './types.js';

type Fittable = Exclude<ModelName, 'constant'>;

/** Order used to break ties between equally good candidates: the cheaper/simpler wins last. */
const PREFERENCE: Fittable[] = ['ensemble', 'prophet', 'mstl', 'ets', 'naive'];

export function forward(t: Transform, v: number): number {
  return t === 'log' ? Math.log(v) : t === 'log1p' ? Math.log1p(v) : v;
}

export function inverse(t: Transform, v: number): number {
  return t === 'log' ? Math.exp(v) : t === 'log1p' ? Math.expm1(v) : v;
}

function now(): number {
  return performance.now() / 1000;
}

interface FoldRecord {
  scored: Scored;
  /** Horizon step (1-based) of each scored point. */
  steps: number[];
  seconds: number;
  error?: string;
}

export async function forecastOne(series: PreparedSeries, opts: EngineOptions): Promise<SeriesForecast> {
  const notes = [...series.notes];
  const timings: Partial<Record<ModelName, number>> = {};
  const addTime = (m: ModelName, s: number): void => {
    timings[m] = (timings[m] ?? 0) + s;
  };
  const tf = opts.transform;
  const raw = series.y;
  const n = raw.length;
  const y = raw.map((v) => (Number.isNaN(v) ? NaN : forward(tf, v)));
  const filled = interpolate(y);
  const valid = y.filter((v) => !Number.isNaN(v));
  const h = opts.horizon;
  let holidays = series.holidays;
  if (holidays.length > 0 && (series.freq === 'W' || isCalendarFreq(series.freq))) {
    holidays = [];
    notes.push(`holidays are not modelled for ${freqWord(series.freq)} data`);
  }
  const at = (i: number): number => gridTime(series.freq, series.start, i);
  const result = (fields: Partial<SeriesForecast> & Pick<SeriesForecast, 'model' | 'forecast'>): SeriesForecast => ({
    group: series.key,
    freq: series.freq,
    points: valid.length,
    gaps: n - valid.length,
    country: series.country,
    candidates: [],
    interval_scale: null,
    anomalies: [],
    holidays: [],
    backtest: null,
    notes,
    timings,
    ...fields,
  });
  const futureDs = (k: number): string => formatTime(at(n + k), series.freq);

  // A flat series: every model degenerates; forecast the constant.
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of valid) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (hi - lo <= 1e-12 * Math.max(1, Math.abs(hi))) {
    const c = inverse(tf, valid[0] as number);
    notes.push('constant series: the forecast is that constant, with a zero-width interval');
    const out = result({
      model: 'constant',
      forecast: Array.from({ length: h }, (_, k) => ({ ds: futureDs(k), yhat: c, yhat_lower: c, yhat_upper: c })),
    });
    if (opts.includeHistory) out.history = raw.map((v, i) => ({ ds: formatTime(at(i), series.freq), y: Number.isNaN(v) ? null : v, fitted: c }));
    return out;
  }

  const seasonal = seasonalPeriods(series.freq, n).length > 0;
  const candidates: Fittable[] =
    opts.model === 'auto' ? (seasonal ? ['prophet', 'mstl', 'ets', 'naive', 'ensemble'] : ['prophet', 'ets', 'naive']) : [opts.model];
  if (opts.model === 'auto' && !seasonal) notes.push(`too few points (${n}) for seasonal models: MSTL and the ensemble were not considered`);

  // Rolling-origin cross-validation: model choice (auto) and/or the backtest.
  const cvModels: Fittable[] = opts.model === 'auto' ? candidates : opts.backtest ? [...new Set<Fittable>([opts.model, 'naive'])] : [];
  const cutoffs = cvModels.length > 0 ? rollingCutoffs(n, h, { folds: opts.folds }) : [];
  const folds = new Map<Fittable, FoldRecord>();
  if (cvModels.length > 0 && cutoffs.length === 0) {
    notes.push(`history too short for cross-validation (${n} points for a ${h}-step horizon)`);
  }
  if (cutoffs.length > 0) {
    for (const m of cvModels) folds.set(m, { scored: emptyScored(), steps: [], seconds: 0 });
    const direct = cvModels.filter((m) => m !== 'ensemble');
    // The ensemble is scored from its members' fold forecasts.
    if (cvModels.includes('ensemble')) {
      for (const m of ['prophet', 'mstl'] as const) if (!direct.includes(m)) direct.push(m);
    }
    for (const c of cutoffs) {
      const trainY = y.slice(0, c);
      const input: ModelInput = {
        y: trainY,
        filled: interpolate(trainY),
        start: series.start,
        step: series.step,
        freq: series.freq,
        horizon: h,
        level: opts.level,
        holidays,
        insample: false,
        holidayEffects: false,
        samples: opts.uncertaintySamples,
        holidaysPriorScale: opts.holidaysPriorScale,
        regressors: series.regressors,
      };
      const actual = raw.slice(c, c + h);
      const trainRaw = interpolate(raw.slice(0, c));
      const scale = naiveScale(trainRaw, naivePeriod(series.freq, c)) ?? NaN;
      const outputs = new Map<Fittable, ModelOutput>();
      for (const m of direct) {
        const rec = folds.get(m);
        if (rec?.error) continue;
        const t0 = now();
        try {
          const out = await fitModel(m, input);
          outputs.set(m, out);
        } catch (error) {
          if (rec) rec.error = fitErrorText(error);
        }
        const secs = now() - t0;
        addTime(m, secs);
        if (rec) rec.seconds += secs;
      }
      const p = outputs.get('prophet');
      const ms = outputs.get('mstl');
      if (folds.has('ensemble') && p && ms) outputs.set('ensemble', combineEnsemble(p, ms));
      for (const [m, rec] of folds) {
        const out = outputs.get(m);
        if (!out) {
          if (!rec.error) rec.error = 'a member model failed';
          continue;
        }
        for (let k = 0; k < actual.length; k++) {
          rec.scored.actual.push(actual[k] as number);
          rec.scored.forecast.push(inverse(tf, out.point[k] as number));
          rec.scored.lower.push(inverse(tf, out.lower[k] as number));
          rec.scored.upper.push(inverse(tf, out.upper[k] as number));
          rec.scored.scale.push(scale);
          rec.steps.push(k + 1);
        }
      }
    }
  }
  const scores: CandidateScore[] = [...folds.entries()].map(([model, rec]) => {
    const s: CandidateScore = { model, ...summarize(rec.scored), seconds: rec.seconds };
    if (rec.error) s.error = rec.error;
    return s;
  });

  // The model to fit on the whole history.
  let chosen: Fittable;
  // Too short a history for the default models: the (seasonal) naive forecast, said plainly.
  if ((opts.model === 'ensemble' || opts.model === 'auto') && valid.length < MIN_MODEL_POINTS) {
    chosen = 'naive';
    notes.push(`only ${valid.length} points: too few for the ${opts.model === 'auto' ? 'model choice' : 'ensemble'} (${MIN_MODEL_POINTS} needed), so the forecast repeats the last ${naivePeriod(series.freq, n) > 1 ? 'season' : 'value'} (naive)`);
  } else if (opts.model !== 'auto') {
    chosen = opts.model;
  } else {
    const ok = scores.filter((s) => !s.error && s.smape !== null);
    ok.sort((a, b) => (a.smape as number) - (b.smape as number) || PREFERENCE.indexOf(a.model as Fittable) - PREFERENCE.indexOf(b.model as Fittable));
    chosen = (ok[0]?.model as Fittable | undefined) ?? (seasonal ? 'ensemble' : 'ets');
    if (ok.length === 0 && cutoffs.length > 0) notes.push(`no candidate could be cross-validated: used ${chosen}`);
    else if (cutoffs.length === 0) notes.push(`used ${chosen} without cross-validation`);
  }

  // The in-sample fit is for the history (charts, JSON) and the model's components (regressors);
  // anomalies and holiday effects are judged on the robust decomposition instead.
  const insample = opts.includeHistory || Boolean(series.regressors);
  const finalInput: ModelInput = {
    y,
    filled,
    start: series.start,
    step: series.step,
    freq: series.freq,
    horizon: h,
    level: opts.level,
    holidays,
    insample,
    holidayEffects: holidays.length > 0,
    samples: opts.uncertaintySamples,
    holidaysPriorScale: opts.holidaysPriorScale,
    regressors: series.regressors,
  };
  let out: ModelOutput;
  let t0 = now();
  try {
    out = await fitModel(chosen, finalInput);
    if (![...out.point, ...out.lower, ...out.upper].every(Number.isFinite)) throw new Error('the model produced non-finite values');
  } catch (error) {
    notes.push(`${chosen} failed (${fitErrorText(error)}): fell back to the seasonal naive forecast`);
    addTime(chosen, now() - t0);
    t0 = now();
    out = fitNaive(finalInput);
  }
  addTime(out.model, now() - t0);
  if (out.note) notes.push(out.note);

  // Interval calibration (--calibrate): scale half-widths so the CV intervals would have covered `level`.
  let intervalScale: number | null = null;
  const point = out.point.map((v) => inverse(tf, v));
  let lower = out.lower.map((v) => inverse(tf, v));
  let upper = out.upper.map((v) => inverse(tf, v));
  if (opts.calibrate && out.model === chosen) {
    const rec = folds.get(chosen);
    if (rec && !rec.error) {
      intervalScale = conformalScale(rec.scored.actual, rec.scored.forecast, rec.scored.lower, rec.scored.upper, opts.level);
      if (intervalScale !== null) {
        const q = intervalScale;
        lower = lower.map((l, k) => (point[k] as number) - q * ((point[k] as number) - l));
        upper = upper.map((u, k) => (point[k] as number) + q * (u - (point[k] as number)));
      } else notes.push('too few cross-validation points to calibrate the intervals');
    } else notes.push('no cross-validation to calibrate the intervals from (use --model auto or --backtest)');
  }
  // A metric that was never negative (counts, DAU, revenue) is not forecast below zero.
  if (lo >= 0 && tf === 'none') {
    let clipped = 0;
    const clip = (v: number): number => {
      if (v >= 0) return v;
      clipped++;
      return 0;
    };
    for (let k = 0; k < point.length; k++) {
      point[k] = clip(point[k] as number);
      lower[k] = clip(lower[k] as number);
      upper[k] = clip(upper[k] as number);
    }
    if (clipped > 0) notes.push(`${clipped} negative forecast value${clipped === 1 ? '' : 's'} (point or bound) clipped to 0: the history is never negative`);
  }
  const forecast: ForecastPoint[] = point.map((p, k) => ({ ds: futureDs(k), yhat: p, yhat_lower: lower[k] as number, yhat_upper: upper[k] as number }));

  // In-sample fit for the history (ETS has none: use MSTL or the naive fit).
  let fitted = out.fitted;
  if (!fitted && insample) {
    t0 = now();
    try {
      const alt = seasonal ? await fitModel('mstl', { ...finalInput, horizon: 1 }) : fitNaive({ ...finalInput, horizon: 1 });
      fitted = alt.fitted;
      addTime(alt.model, now() - t0);
    } catch {
      fitted = fitNaive({ ...finalInput, horizon: 1 }).fitted;
    }
  }
  // Anomalies: robust residuals of a robust seasonal-trend decomposition (anomalies.ts).
  const decomposition = decompose(y, series.freq);
  const anomalies: Anomaly[] = opts.anomalies
    ? detectAnomalies({ y, raw, freq: series.freq, start: series.start, level: opts.anomalyLevel, inverse: (v) => inverse(tf, v), decomposition })
    : [];

  const holidayReport = holidayEffects({ holidays, y, freq: series.freq, start: series.start, decomposition, modelEffects: out.holidayComponents });

  const backtest: BacktestResult | null =
    opts.backtest && cutoffs.length > 0
      ? {
          horizon: h,
          cutoffs: cutoffs.map((c) => formatTime(at(c - 1), series.freq)),
          models: scores,
          by_step: metricsByStep([...folds.entries()].filter(([, r]) => !r.error).map(([model, r]) => ({ model, scored: r.scored, steps: r.steps })), h),
        }
      : null;
  if (opts.backtest && cutoffs.length === 0) notes.push('no backtest: the history is too short for even one fold');

  const res = result({
    model: out.model,
    candidates: opts.model === 'auto' ? scores : [],
    interval_scale: intervalScale,
    forecast,
    anomalies,
    holidays: holidayReport,
    backtest,
  });
  const fit = describeFit({ model: out.model, prophet: out.components, point: out.point, decomposition, y, freq: series.freq, start: series.start, transform: tf });
  res.components_note = fit.note;
  if (opts.includeHistory) {
    res.components = fit.components;
    res.changepoints = fit.changepoints;
    const last = formatTime(at(n + h - 1), 'D');
    const first = formatTime(series.start, 'D');
    res.holiday_dates = holidays
      .flatMap((d) => d.dates.filter((x) => x >= first && x <= last).map((x) => ({ ds: x, name: d.name })))
      .sort((a, b) => a.ds.localeCompare(b.ds));
    res.history = raw.map(
      (v, i): HistoryPoint => ({
        ds: formatTime(at(i), series.freq),
        y: Number.isNaN(v) ? null : v,
        fitted: fitted && Number.isFinite(fitted[i]) ? inverse(tf, fitted[i] as number) : null,
      }),
    );
  }
  return res;
}
