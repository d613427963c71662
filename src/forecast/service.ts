/**
 * The forecast service: from a data file, the project store or in-memory arrays to a
 * `ForecastResult` (plain data). Resolves holidays, validates the request, runs the fits on
 * worker threads and collects warnings. Never prints; progress goes through a callback.
 */
import os from 'node:os';
import { UserError } from '../core/errors.js';
import type { Store } from '../store/store.js';
import { divergentSeries } from './anomalies.js';
import { defaultHorizon, DEFAULT_HORIZON, FREQ_INFO, gridTime, HORIZON_HISTORY_RATIO, horizonText, MAX_HORIZON } from './calendar.js';
import { rollingCutoffs } from './cv.js';
import { loadFileSeries, loadStoreSeries, type FileSeriesSpec, type StoreSeriesSpec } from './data.js';
import { checkCountry, holidaysBetween as holidaysIn, knownCountries } from './holidays.js';
import { fitErrorText } from './output.js';
import { runPool } from './pool.js';
import { loadEvents, prepareRegressors } from './regressors.js';
import { prepareSeries, rawFromArrays, type RawSeries } from './series.js';
import type { Anomaly, DuplicatePolicy, EngineOptions, ForecastResult, Freq, HolidayDef, ModelChoice, ModelName, PreparedSeries, SeriesForecast, TransformChoice } from './types.js';

/** With includeHistory 'auto' (--json), the most series that get their history and components (they cost an in-sample prediction each). */
export const AUTO_HISTORY_SERIES = 20;

/** Fewest non-missing points a series needs. */
export const MIN_POINTS = 3;

export interface ForecastRequest {
  horizon?: number;
  model?: ModelChoice;
  level?: number;
  folds?: number;
  anomalies?: boolean;
  anomalyLevel?: number;
  backtest?: boolean;
  /** Conformal calibration of the intervals from rolling-origin CV residuals (default true). */
  calibrate?: boolean;
  transform?: TransformChoice;
  /** 'auto' (country of a `--by country` group, else `defaultCountry`), 'none', or an ISO country code. */
  holidays?: string;
  /** The configured country (config `forecast.country`), used by holidays 'auto'. */
  defaultCountry?: string | null;
  holidaysPriorScale?: number;
  freq?: Freq;
  duplicates?: DuplicatePolicy;
  /** Keep the history, fitted values, components and changepoints; 'auto': when there are at most AUTO_HISTORY_SERIES series. */
  includeHistory?: boolean | 'auto';
  /** Worker threads (default: one per CPU when there are several series; 0 = this thread). */
  workers?: number;
  uncertaintySamples?: number;
  /** Sensitivity of the DBSCAN detector for divergent groups, in (0, 1). */
  divergenceSensitivity?: number;
  /** Custom events (like Prophet's playoffs example) modelled with the holidays. */
  events?: HolidayDef[];
  /** A file of custom events (--events): columns holiday (or name), ds, optional lower_window / upper_window. */
  eventsFile?: string;
}

export interface ForecastHooks {
  onProgress?: (done: number, total: number) => void;
  /** Called once the series are known, before fitting. */
  onStart?: (series: number) => void;
}

export interface InMemorySeries {
  key?: string | null;
  ds: readonly (string | number | Date)[];
  y: readonly (number | null)[];
}

/** Request defaults, also used by the command for its help text. */
export const DEFAULTS = {
  /** Without --horizon: a calendar span by frequency (calendar.ts DEFAULT_HORIZON), never longer than the history; 30 for daily data. */
  horizon: 30,
  model: 'ensemble' as ModelChoice,
  level: 0.8,
  folds: 5,
  anomalyLevel: 0.99,
  transform: 'auto' as TransformChoice,
  holidays: 'auto',
  /** Prophet's default (10) rather than augurs' (100): holiday effects shrink toward zero like in Prophet. */
  holidaysPriorScale: 10,
  duplicates: 'mean' as DuplicatePolicy,
  uncertaintySamples: 1000,
  divergenceSensitivity: 0.6,
};

/**
 * Refuses a horizon longer than HORIZON_HISTORY_RATIO times the longest history (nothing useful
 * can be said that far out, and the work grows with it); warns when it is longer than the history.
 */
export function checkHorizon(horizon: number, historyPoints: number, warnings: string[]): void {
  const max = HORIZON_HISTORY_RATIO * historyPoints;
  if (horizon > max) {
    throw new UserError(`--horizon ${horizon} is more than ${HORIZON_HISTORY_RATIO}x the history's ${historyPoints} points`, {
      hint: `the largest horizon allowed for this history is ${Math.min(max, MAX_HORIZON)}; pass a longer history or a shorter --horizon`,
      code: 'USAGE',
      exitCode: 2,
    });
  }
  if (horizon > historyPoints) warnings.push(`--horizon ${horizon} is longer than the history (${historyPoints} points): the far end of the forecast rests on little evidence`);
}

/**
 * Labels each anomaly whose run touches a public holiday of `country` ("Labor Day, US"): the
 * peak's day first, else the first holiday within the run. Daily and finer data only.
 */
export function labelHolidayAnomalies(anomalies: Anomaly[], holidays: HolidayDef[], country: string): void {
  if (anomalies.length === 0 || holidays.length === 0) return;
  const byDate = new Map<string, string>();
  for (const h of holidays) for (const d of h.dates) if (!byDate.has(d)) byDate.set(d, h.name);
  for (const a of anomalies) {
    const day = (t: string): string => t.slice(0, 10);
    let name = byDate.get(day(a.ds));
    if (name === undefined) {
      const [from, to] = [day(a.start), day(a.end)];
      const hit = [...byDate.keys()].filter((d) => d >= from && d <= to).sort()[0];
      name = hit === undefined ? undefined : byDate.get(hit);
    }
    if (name !== undefined) a.holiday = `${name}, ${country}`;
  }
}

/** Why the horizon is what it is, when it was not given: the calendar span, or the history that shortened it. */
export function horizonDefaultNote(freq: Freq, horizon: number): string {
  const span = DEFAULT_HORIZON[freq];
  return horizon < span
    ? `default horizon ${horizonText(freq, span)}, shortened to the history's ${horizon} points; --horizon sets it`
    : `default horizon for ${FREQ_INFO[freq].word} data; --horizon sets it`;
}

/**
 * A series whose history fits a single cross-validation fold: the model choice and the interval
 * calibration rest on one forecast origin. Says so, and which horizon gives 3 folds, if one does.
 */
export function singleFoldNote(n: number, horizon: number, folds: number): string {
  const want = Math.min(3, folds);
  let fits = 0;
  for (let k = horizon - 1; k >= 1 && fits === 0; k--) if (rollingCutoffs(n, k, { folds }).length >= want) fits = k;
  return `only 1 cross-validation fold fits ${n} points with a ${horizon}-step horizon: the model choice and the interval calibration rest on a single forecast origin (weak evidence)${fits > 0 ? `; --horizon ${fits} gives ${want} folds` : ''}`;
}

function validate(req: ForecastRequest): void {
  const h = req.horizon ?? 1;
  if (!Number.isInteger(h) || h < 1 || h > MAX_HORIZON) {
    throw new UserError(`--horizon must be a whole number from 1 to ${MAX_HORIZON}, got ${h}`, { hint: `the largest horizon allowed is ${MAX_HORIZON} steps (and at most ${HORIZON_HISTORY_RATIO}x the history's points)`, code: 'USAGE', exitCode: 2 });
  }
  const level = req.level ?? DEFAULTS.level;
  if (!(level > 0 && level < 1)) throw new UserError(`--interval must be between 0 and 1 (e.g. 0.8), got ${level}`, { code: 'USAGE', exitCode: 2 });
  const al = req.anomalyLevel ?? DEFAULTS.anomalyLevel;
  if (!(al > 0 && al < 1)) throw new UserError(`--anomaly-level must be between 0 and 1 (e.g. 0.99), got ${al}`, { code: 'USAGE', exitCode: 2 });
  const folds = req.folds ?? DEFAULTS.folds;
  if (!Number.isInteger(folds) || folds < 1 || folds > 50) throw new UserError(`--folds must be a whole number from 1 to 50, got ${folds}`, { code: 'USAGE', exitCode: 2 });
}

export async function forecastFromFile(store: Store, spec: FileSeriesSpec, req: ForecastRequest = {}, hooks: ForecastHooks = {}): Promise<ForecastResult> {
  validate(req);
  const t0 = performance.now();
  const loaded = await loadFileSeries(store, spec);
  const events = req.eventsFile ? [...(req.events ?? []), ...(await loadEvents(store, req.eventsFile))] : req.events;
  const load = (performance.now() - t0) / 1000;
  return run(
    loaded.raw,
    { kind: 'file', name: spec.file, by: spec.by ?? null },
    { ...req, events, regressors: spec.regressors ?? [] },
    hooks,
    loaded.warnings,
    load,
    spec.time,
    spec.by === 'country' || spec.by === 'country_code',
  );
}

export async function forecastFromStore(store: Store, spec: StoreSeriesSpec, req: ForecastRequest = {}, hooks: ForecastHooks = {}): Promise<ForecastResult> {
  validate(req);
  const t0 = performance.now();
  const loaded = await loadStoreSeries(store, { ...spec, freq: req.freq ?? spec.freq });
  const events = req.eventsFile ? [...(req.events ?? []), ...(await loadEvents(store, req.eventsFile))] : req.events;
  const load = (performance.now() - t0) / 1000;
  return run(
    loaded.raw,
    { kind: 'store', name: store.path, metric: spec.metric, agg: loaded.agg ?? 'count', by: spec.by ?? null },
    { ...req, events, freq: req.freq ?? spec.freq ?? 'D' },
    hooks,
    loaded.warnings,
    load,
    'ts',
    spec.by === 'country',
  );
}

/** Forecasts in-memory series (e.g. the demo's DAU): timestamps as ISO strings, Dates or epoch seconds. */
export async function forecastSeries(series: InMemorySeries[], req: ForecastRequest = {}, hooks: ForecastHooks = {}): Promise<ForecastResult> {
  validate(req);
  const raw = series.map((s) => rawFromArrays(s.key ?? null, s.ds, s.y));
  return run(raw, { kind: 'series', name: 'series', by: series.some((s) => s.key) ? 'group' : null }, req, hooks, [], 0, 'ds', false);
}

/** Public holidays plus custom events; an event named like a holiday adds its dates to it. */
function mergeEvents(holidays: HolidayDef[], events: HolidayDef[]): HolidayDef[] {
  const out: HolidayDef[] = holidays.map((h) => ({ ...h, dates: h.dates.slice() }));
  const occurrencesOf = (h: HolidayDef): string[][] => h.occurrences ?? h.dates.map((d) => [d]);
  for (const e of events) {
    const same = out.find((h) => h.name === e.name);
    if (same) {
      same.occurrences = [...occurrencesOf(same), ...occurrencesOf(e)];
      same.dates = [...new Set([...same.dates, ...e.dates])].sort();
    } else out.push({ ...e, dates: e.dates.slice() });
  }
  return out;
}

async function resolveHolidays(series: PreparedSeries[], req: ForecastRequest, byCountry: boolean, horizon: number, warnings: string[]): Promise<void> {
  const setting = (req.holidays ?? DEFAULTS.holidays).trim();
  if (setting.toLowerCase() === 'none') return;
  const range = (s: PreparedSeries): [number, number] => [s.start, gridTime(s.freq, s.start, s.y.length - 1 + horizon)];
  const cache = new Map<string, Promise<HolidayDef[]>>();
  const holidaysBetween = (country: string, from: number, to: number): Promise<HolidayDef[]> => {
    const key = `${country}:${from}:${to}`;
    let hit = cache.get(key);
    if (!hit) {
      hit = holidaysIn(country, from, to);
      cache.set(key, hit);
    }
    return hit;
  };
  if (setting.toLowerCase() !== 'auto') {
    const country = await checkCountry(setting);
    for (const s of series) {
      s.country = country;
      s.holidays = await holidaysBetween(country, ...range(s));
    }
    return;
  }
  const known = await knownCountries();
  if (byCountry) {
    const unknown: string[] = [];
    for (const s of series) {
      const code = (s.key ?? '').trim().toUpperCase();
      if (known.has(code)) {
        s.country = code;
        s.holidays = await holidaysBetween(code, ...range(s));
      } else unknown.push(s.key ?? '');
    }
    if (unknown.length > 0) warnings.push(`no holidays for group${unknown.length === 1 ? '' : 's'} ${unknown.slice(0, 5).join(', ')}${unknown.length > 5 ? ', ...' : ''}: not a known country code`);
    return;
  }
  if (req.defaultCountry) {
    const country = await checkCountry(req.defaultCountry, 'forecast.country in the config');
    for (const s of series) {
      s.country = country;
      s.holidays = await holidaysBetween(country, ...range(s));
    }
  }
}

async function run(
  raw: RawSeries[],
  source: ForecastResult['source'],
  req: ForecastRequest & { regressors?: string[] },
  hooks: ForecastHooks,
  loadWarnings: string[],
  loadSeconds: number,
  timeName: string,
  byCountry: boolean,
): Promise<ForecastResult> {
  const t0 = performance.now();
  const transform = req.transform ?? DEFAULTS.transform;
  const regressors = req.regressors ?? [];
  const prepared = prepareSeries(raw, { freq: req.freq, duplicates: req.duplicates ?? DEFAULTS.duplicates, timeName, regressors });
  const warnings = [...loadWarnings, ...prepared.warnings];
  if (transform !== 'none' && transform !== 'auto' && prepared.minValue !== null) {
    const min = prepared.minValue;
    if ((transform === 'log' && min <= 0) || (transform === 'log1p' && min <= -1) || (transform === 'sqrt' && min < 0)) {
      const need = transform === 'log' ? 'positive values' : transform === 'sqrt' ? 'values of 0 or more' : 'values above -1';
      throw new UserError(`--transform ${transform} needs ${need}, but the smallest value is ${min}`, {
        hint: transform === 'log' ? 'use --transform log1p for series with zeros, or --transform none' : 'use --transform none',
        code: 'FORECAST_TRANSFORM',
      });
    }
  }
  let series = prepared.series;
  const short = series.filter((s) => s.y.filter((v) => !Number.isNaN(v)).length < MIN_POINTS);
  if (short.length > 0) {
    if (series.length === 1) {
      const n = series[0]?.y.filter((v) => !Number.isNaN(v)).length ?? 0;
      throw new UserError(`too few points to forecast: ${n} (at least ${MIN_POINTS} needed)`, { hint: 'pass a longer history', code: 'FORECAST_TOO_FEW_POINTS' });
    }
    warnings.push(`skipped ${short.length} series with fewer than ${MIN_POINTS} points: ${short.slice(0, 5).map((s) => s.key).join(', ')}${short.length > 5 ? ', ...' : ''}`);
    series = series.filter((s) => !short.includes(s));
    if (series.length === 0) throw new UserError(`every series has fewer than ${MIN_POINTS} points`, { hint: 'pass a longer history', code: 'FORECAST_TOO_FEW_POINTS' });
  }
  const longest = Math.max(...series.map((s) => s.y.length));
  const horizon = req.horizon ?? defaultHorizon(prepared.freq, longest);
  const horizonNote = req.horizon !== undefined ? null : horizonDefaultNote(prepared.freq, horizon);
  checkHorizon(horizon, longest, warnings);
  await resolveHolidays(series, req, byCountry, horizon, warnings);
  // The public holidays of each series' country, by group (before custom events join them): anomalies on one are labelled.
  const publicHolidays = new Map(series.map((s) => [s.key, { country: s.country, holidays: s.holidays }]));
  if (req.events && req.events.length > 0) for (const s of series) s.holidays = mergeEvents(s.holidays, req.events);
  let model = req.model ?? DEFAULTS.model;
  if (regressors.length > 0) {
    if (model === 'mstl' || model === 'ets' || model === 'naive') {
      throw new UserError(`--regressor needs a model that takes regressors: --model ${model} does not`, { hint: '--model prophet (the default ensemble and auto use Prophet when there are regressors)', code: 'USAGE', exitCode: 2 });
    }
    if (model !== 'prophet') warnings.push(`--regressor: fitted with Prophet (the only model that takes regressors) instead of --model ${model}`);
    model = 'prophet';
    warnings.push(...prepareRegressors(series, horizon));
  }

  const options: EngineOptions = {
    horizon,
    model,
    level: req.level ?? DEFAULTS.level,
    folds: req.folds ?? DEFAULTS.folds,
    anomalies: req.anomalies ?? false,
    anomalyLevel: req.anomalyLevel ?? DEFAULTS.anomalyLevel,
    backtest: req.backtest ?? false,
    calibrate: req.calibrate ?? true,
    transform,
    holidaysPriorScale: req.holidaysPriorScale ?? DEFAULTS.holidaysPriorScale,
    includeHistory: req.includeHistory === 'auto' ? series.length <= AUTO_HISTORY_SERIES : (req.includeHistory ?? false),
    uncertaintySamples: req.uncertaintySamples ?? DEFAULTS.uncertaintySamples,
    describe: series.length <= 3,
  };
  const workers = req.workers ?? (series.length >= 4 ? Math.min(os.availableParallelism(), series.length, 16) : 0);
  hooks.onStart?.(series.length);
  const tFit = performance.now();
  const { outcomes, workers: used } = await runPool(series, options, { workers, onProgress: hooks.onProgress });
  const fitSeconds = (performance.now() - tFit) / 1000;
  const results: SeriesForecast[] = [];
  outcomes.forEach((o, i) => {
    const key = series[i]?.key ?? null;
    if (o.ok) {
      results.push(o.result);
      return;
    }
    if (series.length === 1) {
      if (o.error.user) throw new UserError(o.error.message, { hint: o.error.hint, code: o.error.code });
      throw new UserError(`the forecast failed: ${fitErrorText(new Error(o.error.message))}`, { hint: 'try --model naive, or a longer history', code: 'FORECAST_FAILED' });
    }
    warnings.push(`series ${key ?? ''} could not be forecast: ${o.error.user ? o.error.message : fitErrorText(new Error(o.error.message))}`);
  });
  const folds = options.folds;
  const crossValidated = options.model === 'auto' || options.model === 'ensemble' || options.backtest || options.calibrate;
  if (crossValidated && folds > 1) {
    for (const r of results) {
      const n = r.points + r.gaps;
      if (rollingCutoffs(n, horizon, { folds }).length === 1) r.notes.push(singleFoldNote(n, horizon, folds));
    }
  }
  for (const r of results) {
    const known = publicHolidays.get(r.group);
    if (known?.country && r.freq !== 'W' && r.freq !== 'M' && r.freq !== 'Q') labelHolidayAnomalies(r.anomalies, known.holidays, known.country);
  }
  // What the components show, in the notes of a few series (one line each would drown many groups).
  if (results.length <= 3) for (const r of results) if (r.components_note) r.notes.push(r.components_note);
  if (results.length === 0) throw new UserError('no series could be forecast', { hint: warnings[warnings.length - 1] ?? '', code: 'FORECAST_FAILED' });
  const divergent = options.anomalies && series.length >= 3 ? await divergentSeries(series, req.divergenceSensitivity ?? DEFAULTS.divergenceSensitivity) : [];
  const perModel: Partial<Record<ModelName, number>> = {};
  for (const r of results) for (const [m, s] of Object.entries(r.timings)) perModel[m as ModelName] = (perModel[m as ModelName] ?? 0) + (s ?? 0);
  return {
    source,
    horizon,
    horizon_note: horizonNote,
    freq: prepared.freq,
    level: options.level,
    model: options.model,
    transform,
    checks: { anomalies: options.anomalies, backtest: options.backtest, calibrate: options.calibrate },
    series: results,
    divergent,
    warnings,
    timing: { total_s: loadSeconds + (performance.now() - t0) / 1000, load_s: loadSeconds, fit_s: fitSeconds, workers: used, per_model_s: perModel },
  };
}
