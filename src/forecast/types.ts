/**
 * Plain data types of the forecast service: what goes into a fit and what comes out.
 * Everything here is structured-clone friendly, so it crosses worker_threads unchanged.
 */

/** Sampling frequency of a series: 5/10/15/30 minutes, hourly, daily, weekly, monthly or quarterly (month and quarter starts). */
export type Freq = '5min' | '10min' | '15min' | '30min' | 'H' | 'D' | 'W' | 'M' | 'Q';

/** A concrete model. `ensemble` is the CV-weighted mean of the models that beat seasonal naive; `constant` is used for flat series. */
export type ModelName = 'prophet' | 'mstl' | 'ets' | 'arima' | 'naive' | 'ensemble' | 'constant';

/** What the user may ask for with `--model`. */
export type ModelChoice = 'auto' | 'prophet' | 'mstl' | 'ets' | 'arima' | 'naive' | 'ensemble';

export const MODEL_CHOICES: readonly ModelChoice[] = ['auto', 'prophet', 'mstl', 'ets', 'arima', 'naive', 'ensemble'];

export type Transform = 'none' | 'log' | 'log1p' | 'sqrt';
/** `auto`: the square-root scale for counts that span more than a factor of 10, else none (transform.ts). */
export type TransformChoice = Transform | 'auto';

/** How several values that fall in the same time bucket are combined. */
export type DuplicatePolicy = 'mean' | 'sum' | 'error';

/** Step in seconds (the mean step for months and quarters, whose grid is calendar-aware: see calendar.ts). */
export const FREQ_SECONDS: Record<Freq, number> = {
  '5min': 300,
  '10min': 600,
  '15min': 900,
  '30min': 1800,
  H: 3600,
  D: 86_400,
  W: 604_800,
  M: 2_629_746,
  Q: 7_889_238,
};

/** A public holiday: its name and the UTC dates (YYYY-MM-DD) it falls on. */
export interface HolidayDef {
  name: string;
  dates: string[];
  /** The days of each occurrence (a custom event's window is one occurrence); absent: each date is one. */
  occurrences?: string[][];
}

/** One series on a regular grid: `y[i]` is the value at `gridTime(freq, start, i)` (start + i * step, or i months/quarters on) (NaN = missing). */
export interface PreparedSeries {
  /** The group value (`--by`), or null for a single series. */
  key: string | null;
  freq: Freq;
  /** Grid step in seconds (the mean step for months and quarters: use gridTime). */
  step: number;
  /** First grid time, epoch seconds (UTC). */
  start: number;
  y: number[];
  /** Holidays to model for this series (empty = none). */
  holidays: HolidayDef[];
  /** Country whose holidays are used, if any. */
  country: string | null;
  /** Input facts for the report: duplicates folded, rows dropped, etc. */
  notes: string[];
  /** Extra regressors (--regressor) on the grid from `start`: the history, then the horizon. */
  regressors?: { name: string; values: number[] }[];
}

export interface EngineOptions {
  horizon: number;
  model: ModelChoice;
  /** Prediction interval width, 0 < level < 1. */
  level: number;
  /** Rolling-origin folds used by `auto` and `--backtest`. */
  folds: number;
  anomalies: boolean;
  /** Interval width of the in-sample band outside which history points are anomalies. */
  anomalyLevel: number;
  backtest: boolean;
  /** Conformal calibration of the intervals from rolling-origin CV residuals (on by default; --no-calibrate). */
  calibrate: boolean;
  transform: TransformChoice;
  /** Prophet's prior scale on holiday effects (Prophet's own default is 10; augurs' is 100). */
  holidaysPriorScale: number;
  /** Keep the history (and in-sample fit) in the result, for charts. */
  includeHistory: boolean;
  /** The components line is shown (few series): fit in-sample so that it describes the same components as --json. */
  describe?: boolean;
  /** Prophet uncertainty draws for intervals. */
  uncertaintySamples: number;
}

/** Accuracy of one model over rolling-origin folds. Null where a metric is undefined (e.g. MAPE with zeros). */
export interface Metrics {
  mae: number | null;
  rmse: number | null;
  /** Symmetric MAPE in percent: mean of 2|y - f| / (|y| + |f|), times 100. */
  smape: number | null;
  /** MAPE in percent, over non-zero actuals. */
  mape: number | null;
  /** MAE over the in-sample MAE of the seasonal naive forecast on each fold's training data. */
  mase: number | null;
  /** Share of actuals inside the prediction interval. */
  coverage: number | null;
  /** Number of (fold, step) points scored. */
  n: number;
}

export interface CandidateScore extends Metrics {
  model: ModelName;
  /** Seconds spent fitting this model across the folds. */
  seconds: number;
  /** Set when the model could not be fitted. */
  error?: string;
}

export interface ForecastPoint {
  ds: string;
  yhat: number;
  yhat_lower: number;
  yhat_upper: number;
}

export interface HistoryPoint {
  ds: string;
  y: number | null;
  /** In-sample fit of the chosen model, when available. */
  fitted: number | null;
}

/**
 * An anomaly: a run of consecutive history points whose robust residual (from a robust
 * seasonal-trend decomposition) is beyond the threshold; reported at its peak point.
 */
export interface Anomaly {
  /** The peak point of the run. */
  ds: string;
  /** First and last points of the run (equal for a single point). */
  start: string;
  end: string;
  /** Points in the run. */
  points: number;
  /** Value at the peak. */
  y: number;
  /** Trend + season at the peak. */
  expected: number;
  /** The band outside which points are flagged, at the peak. */
  lower: number;
  upper: number;
  /** y - expected. */
  magnitude: number;
  /** Peak residual in robust standard deviations of the decomposition's residuals (biweight scale; counts: Poisson quantile residuals). */
  score: number;
  /** low: under 1.25 times the threshold; medium: under twice; high: twice or more. */
  severity: 'low' | 'medium' | 'high';
  /** With holidays: the public holiday the run falls on, and its country ("Labor Day, US"). */
  holiday?: string;
}

export interface HolidayEffect {
  name: string;
  /** Mean fitted holiday component on its dates, in units of y (of the transformed y when --transform is used). */
  effect: number;
  /** effect over the robust residual standard deviation. */
  score: number;
  /** Occurrences in the history. */
  occurrences: number;
  /** Share of the occurrences whose own effect has the effect's sign (reported from 0.75). */
  same_sign: number;
  /** Mean residual on the holiday over its standard error (reported from |z| >= 3). */
  z: number;
  /** |effect| is at least 1.5 robust residual standard deviations. */
  material: boolean;
}

export interface BacktestResult {
  horizon: number;
  /** Cutoffs as the last training timestamp of each fold. */
  cutoffs: string[];
  models: CandidateScore[];
  /** The same metrics per horizon step (1 = the first step after each cutoff). */
  by_step?: BacktestStep[];
}

export interface BacktestStep {
  step: number;
  models: { model: ModelName; mae: number | null; smape: number | null; mase: number | null; coverage: number | null; n: number }[];
}

/**
 * Additive decomposition of the fit over the history and the horizon (in units of y, or of
 * the transformed y when --transform is used): y_hat = trend + sum(seasonal) + holidays + regressors.
 */
export interface ForecastComponents {
  /** Timestamps of the history followed by the horizon. */
  ds: string[];
  trend: number[];
  /** One entry per seasonality the model fitted, e.g. 'daily', 'weekly', 'yearly'. */
  seasonal: { name: string; values: number[] }[];
  /** Holiday and custom-event effects summed, or null when none were modelled. */
  holidays: number[] | null;
  /** Extra regressors' contributions (--regressor), one per column. */
  regressors: { name: string; values: number[] }[];
}

export interface SeriesForecast {
  group: string | null;
  model: ModelName;
  freq: Freq;
  /** Non-missing history points. */
  points: number;
  /** Missing grid points (gaps), filled by interpolation for models that need a regular grid. */
  gaps: number;
  country: string | null;
  /** Rolling-origin scores of every candidate (auto) or of the chosen model (--backtest). */
  candidates: CandidateScore[];
  /** Mean factor applied to the model's interval half-widths by conformal calibration from CV (null: not calibrated). */
  interval_scale: number | null;
  /** How much the calibration rests on: CV folds, effective (decorrelated) scores, and whether that is weak evidence. */
  interval_evidence?: { folds: number; effective_scores: number; weak: boolean };
  /** The factor per horizon step, when calibrated. */
  interval_scales?: number[];
  /** The scale the series was fitted on (with --transform auto: sqrt for counts spanning more than a factor of 10). */
  transform: Transform;
  /** Count series (whole non-negative numbers): the forecast and its bounds are rounded to whole counts. */
  whole_counts?: boolean;
  /** Ensemble member weights (inverse CV MASE, members that beat seasonal naive), when the model is the weighted ensemble. */
  ensemble_weights?: Partial<Record<ModelName, number>>;
  forecast: ForecastPoint[];
  anomalies: Anomaly[];
  holidays: HolidayEffect[];
  backtest: BacktestResult | null;
  history?: HistoryPoint[];
  /** Holiday dates within the history and horizon (with the history, for charts). */
  holiday_dates?: { ds: string; name: string }[];
  /** Decomposition of the fit, when the chosen model provides one (for JSON and charts). */
  components?: ForecastComponents;
  /** Trend changepoints the model found (timestamps). */
  changepoints?: string[];
  /** One line on what the components show (trend, seasons, holidays, regressors). */
  components_note?: string;
  /** Fallbacks and other things the user should know. */
  notes: string[];
  /** Seconds per model spent on this series (CV and final fits). */
  timings: Partial<Record<ModelName, number>>;
}

export interface DivergentSeries {
  group: string;
  /** Periods in which the series is outside its peers' band. */
  intervals: { start: string; end: string | null }[];
  /** Largest outlier score. */
  score: number;
}

export interface ForecastResult {
  source: { kind: 'file' | 'store' | 'series'; name: string; metric?: string; agg?: string; by?: string | null };
  horizon: number;
  /** When --horizon was not given: why the horizon is what it is (its frequency's default, or shortened to the history). */
  horizon_note?: string | null;
  freq: Freq;
  level: number;
  model: ModelChoice;
  transform: TransformChoice;
  /** What was asked besides the forecast. */
  checks: { anomalies: boolean; backtest: boolean; calibrate: boolean };
  series: SeriesForecast[];
  /** Groups whose history diverges from their peers (needs --by with 3+ groups and --anomalies). */
  divergent: DivergentSeries[];
  warnings: string[];
  timing: { total_s: number; load_s: number; fit_s: number; workers: number; per_model_s: Partial<Record<ModelName, number>> };
}
