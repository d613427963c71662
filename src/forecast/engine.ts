/**
 * The per-series forecast pipeline: transform, model choice by rolling-origin
 * cross-validation (auto), the final fit, interval calibration, anomalies and holiday
 * effects. Runs the same on the main thread and inside worker threads.
 */
import { detectAnomalies } from './anomalies.js';
import { decompose, describeFit, metricsByStep } from './components.js';
import { holidayEffects, holidayOffsets } from './holidays.js';
import { rollingCutoffs } from './cv.js';
import { applyScales, calibrate, describeScales, WEAK_EFFECTIVE_SCORES, WEAK_FOLDS } from './conformal.js';
import { emptyScored, naiveScale, summarize, type Scored } from './metrics.js';
import { gridTime, isCalendarFreq } from './calendar.js';
import { combineEnsemble, combineWeighted, ensembleWeights, fitModel, fitNaive, MEMBERS, naivePeriod, seasonalPeriods, type Member, type ModelInput, type ModelOutput } from './models.js';
import { formatTime, freqWord, interpolate, MIN_MODEL_POINTS } from './series.js';
import { fitErrorText } from './output.js';
import { anscombe, forward, inverse, inverseAnscombe, isCountSeries, resolveTransform } from './transform.js';
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
} from './types.js';

type Fittable = Exclude<ModelName, 'constant'>;

/** Prophet uncertainty draws in the CV folds. */
const CV_SAMPLES = 200;

/** Order used to break ties between equally good candidates: the cheaper/simpler wins last. */
const PREFERENCE: Fittable[] = ['ensemble', 'prophet', 'mstl', 'ets', 'arima', 'naive'];

/**
 * `auto`'s rule: among the candidates CV scored, the lowest MASE (sMAPE when MASE is undefined),
 * ties broken by PREFERENCE; a candidate scoring worse than seasonal naive is never picked
 * (naive itself is always a candidate). Null when none was scored.
 */
export function pickByCv(scores: CandidateScore[]): Fittable | null {
  const ok = scores.filter((s) => !s.error && (s.mase !== null || s.smape !== null));
  if (ok.length === 0) return null;
  const useMase = ok.every((s) => s.mase !== null);
  const metric = (s: CandidateScore): number => (useMase ? (s.mase as number) : (s.smape ?? Infinity));
  const naive = ok.find((s) => s.model === 'naive');
  const eligible = naive ? ok.filter((s) => metric(s) <= metric(naive)) : ok;
  eligible.sort((a, b) => metric(a) - metric(b) || PREFERENCE.indexOf(a.model as Fittable) - PREFERENCE.indexOf(b.model as Fittable));
  return (eligible[0]?.model as Fittable | undefined) ?? null;
}

/**
 * The default ensemble's guard against its own baseline: true when seasonal naive's rolling-origin
 * CV is at least as good as the ensemble's on every metric both have (MASE and sMAPE), so the
 * ensemble adds nothing that CV can see and the series is forecast by seasonal naive. False when
 * either is missing, failed, or has no metric.
 */
export function naiveBeatsEnsemble(scores: CandidateScore[]): boolean {
  const ens = scores.find((s) => s.model === 'ensemble' && !s.error);
  const naive = scores.find((s) => s.model === 'naive' && !s.error);
  if (!ens || !naive) return false;
  const pairs = (['mase', 'smape'] as const).filter((k) => ens[k] !== null && naive[k] !== null);
  return pairs.length > 0 && pairs.every((k) => (naive[k] as number) <= (ens[k] as number));
}

/**
 * Half-life, in folds, of the recency weights of the conformal calibration (weighted conformal,
 * conformal.ts); Infinity gives every fold the same weight (the plain split-conformal quantile).
 * Recency weighting was measured on the six-series bench and not adopted: half-lives of 2 and 1
 * folds left 4 of 6 series inside 0.75-0.90 (README, forecast accuracy).
 */
export const CALIBRATION_HALF_LIFE = Infinity;

/** Weight of a CV point whose fold is `age` folds older than the newest. */
export function recencyWeight(age: number): number {
  return Number.isFinite(CALIBRATION_HALF_LIFE) ? 0.5 ** (age / CALIBRATION_HALF_LIFE) : 1;
}

/** "; 120 effective scores of 260 (correlated folds)": the bands' effective sizes summed; empty when they lost none. */
export function effectiveText(effective: number[], n: number): string {
  const total = effective.reduce((a, b) => a + b, 0);
  return total >= n - 0.5 ? '' : `; ${Math.round(total)} effective scores of ${n} (correlated folds)`;
}

function now(): number {
  return performance.now() / 1000;
}

interface FoldRecord {
  scored: Scored;
  /** Horizon step (0-based) of each scored point. */
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
  const raw = series.y;
  const n = raw.length;
  const tf = resolveTransform(opts.transform, raw);
  if (opts.transform === 'auto' && tf === 'sqrt') notes.push('count series spanning more than a factor of 10: fitted on the square-root scale (its spread grows with its level); --transform none to fit it as is');
  // A count's median is a whole count: the forecast and its bounds are rounded (the model's distribution, rounded as the counts are).
  const wholeCounts = isCountSeries(raw);
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
    transform: tf,
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
  const members: Member[] = MEMBERS.filter((m) => seasonal || m !== 'mstl');
  const candidates: Fittable[] = opts.model === 'auto' ? [...members, 'ensemble'] : [opts.model];
  if (opts.model === 'auto' && !seasonal) notes.push(`too few points (${n}) for seasonal models: MSTL was not considered`);

  // Rolling-origin cross-validation: model choice (auto), ensemble weights, calibration and the backtest.
  const cvModels: Fittable[] =
    opts.model === 'auto' || opts.model === 'ensemble'
      ? [...new Set<Fittable>([...members, ...candidates])]
      : opts.backtest || opts.calibrate
        ? [...new Set<Fittable>([opts.model, 'naive'])]
        : [];
  const cutoffs = cvModels.length > 0 ? rollingCutoffs(n, h, { folds: opts.folds }) : [];
  const folds = new Map<Fittable, FoldRecord>();
  if (cvModels.length > 0 && cutoffs.length === 0) {
    // The fix: the largest horizon whose folds fit in this history.
    let fits = 0;
    for (let k = h - 1; k >= 1 && fits === 0; k--) if (rollingCutoffs(n, k, { folds: opts.folds }).length > 0) fits = k;
    notes.push(
      `history too short for cross-validation (${n} points for a ${h}-step horizon)${fits > 0 ? `: --horizon ${fits} or shorter allows it (model choice and calibrated intervals)` : ''}`,
    );
  }
  let weights: Partial<Record<Member, number>> | null = null;
  if (cutoffs.length > 0) {
    for (const m of cvModels) folds.set(m, { scored: emptyScored(), steps: [], seconds: 0 });
    const direct = cvModels.filter((m) => m !== 'ensemble');
    const foldOutputs: { outputs: Map<Fittable, ModelOutput>; actual: number[]; scale: number }[] = [];
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
        // Fewer Prophet draws in the folds: their intervals only feed the calibration (which rescales them).
        samples: Math.min(opts.uncertaintySamples, CV_SAMPLES),
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
          outputs.set(m, await fitModel(m, input));
        } catch (error) {
          if (rec) rec.error = fitErrorText(error);
        }
        const secs = now() - t0;
        addTime(m, secs);
        if (rec) rec.seconds += secs;
      }
      foldOutputs.push({ outputs, actual, scale });
    }
    const score = (m: Fittable, out: ModelOutput | undefined, actual: number[], scale: number): void => {
      const rec = folds.get(m);
      if (!rec) return;
      if (!out) {
        if (!rec.error) rec.error = m === 'ensemble' ? 'no ensemble member could be fitted' : 'fit failed';
        return;
      }
      for (let k = 0; k < actual.length; k++) {
        rec.scored.actual.push(actual[k] as number);
        rec.scored.forecast.push(inverse(tf, out.point[k] as number));
        rec.scored.lower.push(inverse(tf, out.lower[k] as number));
        rec.scored.upper.push(inverse(tf, out.upper[k] as number));
        rec.scored.scale.push(scale);
        rec.steps.push(k);
      }
    };
    for (const f of foldOutputs) for (const m of direct) if (!folds.get(m)?.error) score(m, f.outputs.get(m), f.actual, f.scale);
    // The ensemble's weights come from its members' CV MASE; its CV forecasts are the weighted
    // member forecasts of each fold (the weights are fitted on these folds, so its CV score is a little optimistic).
    const memberMase: Partial<Record<Member, number | null>> = {};
    for (const m of members) {
      const rec = folds.get(m);
      if (rec && !rec.error) memberMase[m] = summarize(rec.scored).mase;
    }
    weights = ensembleWeights(memberMase);
    if (folds.has('ensemble')) {
      for (const f of foldOutputs) {
        let out: ModelOutput | undefined;
        try {
          const parts: Partial<Record<Member, ModelOutput>> = {};
          for (const m of members) if (!folds.get(m)?.error && f.outputs.get(m)) parts[m] = f.outputs.get(m);
          if (weights) out = combineWeighted(parts, weights);
          else if (parts.prophet && parts.mstl) out = combineEnsemble(parts.prophet, parts.mstl);
        } catch {
          out = undefined;
        }
        score('ensemble', out, f.actual, f.scale);
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
  } else if (opts.model === 'ensemble' && naiveBeatsEnsemble(scores)) {
    chosen = 'naive';
    notes.push('seasonal naive did at least as well as the ensemble in cross-validation (MASE and sMAPE): used seasonal naive');
  } else if (opts.model !== 'auto') {
    chosen = opts.model;
  } else {
    const picked = pickByCv(scores);
    chosen = picked ?? (seasonal ? 'ensemble' : 'ets');
    if (!picked && cutoffs.length > 0) notes.push(`no candidate could be cross-validated: used ${chosen}`);
    else if (cutoffs.length === 0) notes.push(`used ${chosen} without cross-validation`);
  }
  if (chosen === 'ensemble') {
    if (weights) {
      const list = Object.entries(weights)
        .sort((a, b) => b[1] - a[1])
        .map(([m, w]) => `${m} ${w.toFixed(2)}`)
        .join(', ');
      notes.push(`ensemble weights (inverse squared CV MASE, members no worse than seasonal naive): ${list}`);
    } else if (cutoffs.length > 0) notes.push('no CV error to weight the ensemble by: used the mean of Prophet and MSTL');
  }

  // The in-sample fit is for the history (charts, JSON) and the model's components (regressors);
  // anomalies and holiday effects are judged on the robust decomposition instead.
  // ... and for the components line, so that it describes the same components with or without --json.
  const insample = opts.includeHistory || Boolean(opts.describe) || Boolean(series.regressors);
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
    ...(chosen === 'ensemble' && weights ? { weights } : {}),
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

  // Conformal calibration (default; --no-calibrate): per-step factors on the half-widths from the CV residuals.
  let intervalScale: number | null = null;
  let intervalScales: number[] | undefined;
  let evidence: SeriesForecast['interval_evidence'];
  const point = out.point.map((v) => inverse(tf, v));
  let lower = out.lower.map((v) => inverse(tf, v));
  let upper = out.upper.map((v) => inverse(tf, v));
  if (opts.calibrate) {
    const rec = folds.get(out.model as Fittable);
    if (rec && !rec.error && out.model === chosen) {
      const s = rec.scored;
      const cal = calibrate(
        s.actual.map((a, i) => ({ step: rec.steps[i] as number, actual: a, point: s.forecast[i] as number, lower: s.lower[i] as number, upper: s.upper[i] as number, weight: recencyWeight(cutoffs.length - 1 - Math.floor(i / h)), fold: Math.floor(i / h) })),
        h,
        opts.level,
        // One band per step needs many folds (each fold's points are correlated across steps).
        { maxBands: cutoffs.length >= 20 ? h : 3 },
      );
      if (cal) {
        ({ lower, upper } = applyScales(point, lower, upper, cal.scales));
        intervalScales = cal.scales;
        intervalScale = cal.scales.reduce((a, b) => a + b, 0) / cal.scales.length;
        const pct = `${Math.round(opts.level * 100)}%`;
        const verb = intervalScale >= 1 ? 'widened' : 'narrowed';
        // The correlated-folds correction: how many independent scores the folds were worth (conformal.ts).
        const eff = cal.effective ? effectiveText(cal.effective, cal.n) : '';
        const effective = cal.effective ? Math.round(cal.effective.reduce((a, b) => a + b, 0)) : cal.n;
        evidence = { folds: cutoffs.length, effective_scores: effective, weak: effective < WEAK_EFFECTIVE_SCORES || cutoffs.length < WEAK_FOLDS };
        const per = cal.bands > 1 ? ` (conformal, ${cal.bands} horizon bands: ${describeScales(cal.scales)}${eff})` : ` (conformal, pooled over the horizon${eff})`;
        const weak = evidence.weak ? `; weak evidence: ${cutoffs.length} fold${cutoffs.length === 1 ? '' : 's'}, ${effective} effective score${effective === 1 ? '' : 's'}, the factor may be far off` : '';
        notes.push(`${pct} intervals ${verb} x${intervalScale.toFixed(2)} from ${cutoffs.length}-fold CV${per}${weak}`);
      } else notes.push('too few cross-validation points to calibrate the intervals: they are the model\'s own');
    } else if (cutoffs.length > 0 || cvModels.length === 0) notes.push('no cross-validation of the final model to calibrate the intervals from: they are the model\'s own');
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
  if (wholeCounts) {
    for (let k = 0; k < point.length; k++) {
      point[k] = Math.round(point[k] as number);
      lower[k] = Math.round(lower[k] as number);
      upper[k] = Math.round(upper[k] as number);
    }
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
  const holidayReport = holidayEffects({ holidays, y, freq: series.freq, start: series.start, decomposition, modelEffects: out.holidayComponents });
  // Holidays with a consistent (estimated) effect are part of the expectation, not anomalies.
  const offset = holidayReport.length > 0 ? holidayOffsets(holidayReport, holidays, series.freq, series.start, n) : undefined;
  const anomalies: Anomaly[] = opts.anomalies ? scoreAnomalies() : [];
  function scoreAnomalies(): Anomaly[] {
    const base = { raw, freq: series.freq, start: series.start, level: opts.anomalyLevel };
    if (!wholeCounts) return detectAnomalies({ ...base, y, inverse: (v) => inverse(tf, v), decomposition, ...(offset ? { offset } : {}) });
    // Counts are scored on the Anscombe scale 2 sqrt(y + 3/8), whose spread stays near 1 down to
    // a level of a few counts (the plain square root's shrinks near 0, which inflates the scores of zeros).
    const ya = raw.map((v) => (Number.isNaN(v) ? NaN : anscombe(v)));
    const dec = decompose(ya, series.freq);
    // The holiday effects, from the model's scale to the Anscombe scale at each point's expectation.
    const offA = offset?.map((o, i) => {
      const f = decomposition.fit[i] as number;
      return o === 0 || !Number.isFinite(f) ? 0 : anscombe(Math.max(0, inverse(tf, f + o))) - anscombe(Math.max(0, inverse(tf, f)));
    });
    return detectAnomalies({ ...base, y: ya, inverse: inverseAnscombe, decomposition: dec, counts: true, ...(offA ? { offset: offA } : {}) });
  }

  const backtest: BacktestResult | null =
    opts.backtest && cutoffs.length > 0
      ? {
          horizon: h,
          cutoffs: cutoffs.map((c) => formatTime(at(c - 1), series.freq)),
          models: scores,
          by_step: metricsByStep([...folds.entries()].filter(([, r]) => !r.error).map(([model, r]) => ({ model, scored: r.scored, steps: r.steps.map((k) => k + 1) })), h),
        }
      : null;
  if (opts.backtest && cutoffs.length === 0) notes.push('no backtest: the history is too short for even one fold');

  const res = result({
    model: out.model,
    candidates: opts.model === 'auto' || opts.model === 'ensemble' ? scores : [],
    interval_scale: intervalScale,
    ...(intervalScales ? { interval_scales: intervalScales } : {}),
    ...(evidence ? { interval_evidence: evidence } : {}),
    ...(out.model === 'ensemble' && weights ? { ensemble_weights: weights } : {}),
    ...(wholeCounts ? { whole_counts: true } : {}),
    forecast,
    anomalies,
    holidays: holidayReport,
    backtest,
  });
  // The components show a season seen twice (anomalies want four, to tell a spike from the season).
  const componentsDecomposition = decomposition.period === null ? decompose(y, series.freq, 2) : decomposition;
  const fit = describeFit({ model: out.model, prophet: out.components, prophetWeight: out.componentsWeight, point: out.point, decomposition: componentsDecomposition, y, freq: series.freq, start: series.start, transform: tf });
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
