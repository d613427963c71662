/**
 * The time grid of each frequency: fixed steps (5, 10, 15 and 30 minutes, hours, days, weeks)
 * and calendar steps (month and quarter starts, UTC). Grid point i of a series starting at
 * `start` is `gridTime(freq, start, i)`; a month is never "+30 days".
 */
import type { Freq } from './types.js';

interface FreqInfo {
  /** Adjective for messages ("monthly"). */
  word: string;
  /** Singular unit ("month"). */
  unit: string;
  /** Exact step in seconds, or the mean step for calendar frequencies. */
  seconds: number;
  /** Calendar step in months (0 = fixed step). */
  months: number;
  /** Seasonal periods in grid steps, shortest first. */
  periods: number[];
  /** Timestamps carry a time of day. */
  clock: boolean;
}

const DAY = 86_400;
const YEAR = 365.2425 * DAY;

export const FREQ_INFO: Record<Freq, FreqInfo> = {
  '5min': { word: '5-minute', unit: '5 minutes', seconds: 300, months: 0, periods: [288, 2016], clock: true },
  '10min': { word: '10-minute', unit: '10 minutes', seconds: 600, months: 0, periods: [144, 1008], clock: true },
  '15min': { word: '15-minute', unit: '15 minutes', seconds: 900, months: 0, periods: [96, 672], clock: true },
  '30min': { word: '30-minute', unit: '30 minutes', seconds: 1800, months: 0, periods: [48, 336], clock: true },
  H: { word: 'hourly', unit: 'hour', seconds: 3600, months: 0, periods: [24, 168], clock: true },
  D: { word: 'daily', unit: 'day', seconds: DAY, months: 0, periods: [7, 365], clock: false },
  W: { word: 'weekly', unit: 'week', seconds: 7 * DAY, months: 0, periods: [52], clock: false },
  M: { word: 'monthly', unit: 'month', seconds: YEAR / 12, months: 1, periods: [12], clock: false },
  Q: { word: 'quarterly', unit: 'quarter', seconds: YEAR / 4, months: 3, periods: [4], clock: false },
};

/** Every frequency, finest first (the values --freq accepts). */
export const FREQS = Object.keys(FREQ_INFO) as Freq[];

export function isCalendarFreq(freq: Freq): boolean {
  return FREQ_INFO[freq].months > 0;
}

/** Plural unit for "12 months ahead". */
export function freqUnits(freq: Freq): string {
  const u = FREQ_INFO[freq].unit;
  return u.endsWith('minutes') ? u : `${u}s`;
}

/** Months since 1970-01 of an epoch-seconds time (UTC). */
function monthIndex(t: number): number {
  const d = new Date(t * 1000);
  return d.getUTCFullYear() * 12 + d.getUTCMonth() - 1970 * 12;
}

function monthStart(m: number): number {
  return Date.UTC(1970, m, 1) / 1000;
}

/** The start of the grid bucket holding `t`; fixed steps count from `anchor` (UTC midnight for weeks). */
export function bucketStart(freq: Freq, t: number, anchor = 0): number {
  const { months, seconds } = FREQ_INFO[freq];
  if (months > 0) return monthStart(Math.floor(monthIndex(t) / months) * months);
  return anchor + Math.floor((t - anchor) / seconds) * seconds;
}

/** Epoch seconds of grid point `i` of a series whose first grid point is `start`. */
export function gridTime(freq: Freq, start: number, i: number): number {
  const { months, seconds } = FREQ_INFO[freq];
  return months > 0 ? monthStart(monthIndex(start) + i * months) : start + i * seconds;
}

/** The (fractional) grid position of `t` in a series starting at `start`: the inverse of gridTime. */
export function gridPosition(freq: Freq, start: number, t: number): number {
  const { months, seconds } = FREQ_INFO[freq];
  if (months === 0) return (t - start) / seconds;
  const k = Math.floor((monthIndex(t) - monthIndex(start)) / months);
  const a = gridTime(freq, start, k);
  const b = gridTime(freq, start, k + 1);
  return k + (t - a) / (b - a);
}

/** Grid steps between two bucket starts. */
export function gridSteps(freq: Freq, from: number, to: number): number {
  return Math.round(gridPosition(freq, from, to));
}

/** Whole calendar steps between consecutive timestamps, or null when a gap is not a whole number of months/quarters. */
export function calendarSteps(freq: Freq, a: number, b: number): number | null {
  const months = FREQ_INFO[freq].months;
  const dm = monthIndex(b) - monthIndex(a);
  if (dm < months || dm % months !== 0) return null;
  // The same day of the period, give or take month lengths (Jan 31 -> Feb 29 -> Mar 31).
  const days = (b - a) / DAY;
  return Math.abs(days - (dm * YEAR) / 12 / DAY) <= 3 + 0.1 * dm ? dm / months : null;
}

/** Largest horizon in steps, and the largest horizon relative to the history's length (here: light for the command to import). */
export const MAX_HORIZON = 10_000;
export const HORIZON_HISTORY_RATIO = 10;

/**
 * The default horizon, a calendar span per frequency: one day of 5- to 30-minute data (one
 * daily season), two days of hourly data, 30 days of daily data, 13 weeks (a quarter) of weekly
 * data, 24 months or 8 quarters (two yearly seasons) of monthly or quarterly data.
 */
export const DEFAULT_HORIZON: Record<Freq, number> = { '5min': 288, '10min': 144, '15min': 96, '30min': 48, H: 48, D: 30, W: 13, M: 24, Q: 8 };

/** The default horizon for a history of `points` grid steps: the calendar span, never longer than the history. */
export function defaultHorizon(freq: Freq, points: number): number {
  return Math.max(1, Math.min(DEFAULT_HORIZON[freq], points));
}

const plural = (v: number, unit: string): string => `${Number(v.toFixed(1))} ${unit}${v === 1 ? '' : 's'}`;

/**
 * A horizon in words: "30 days", "24 months (2 years)", "48 hours (2 days)", and for steps of
 * several minutes "30 steps (2.5 hours)" rather than "30 5 minutes".
 */
export function horizonText(freq: Freq, steps: number): string {
  const info = FREQ_INFO[freq];
  const base = plural(steps, info.unit);
  if (info.months > 0) {
    const months = steps * info.months;
    return months >= 12 ? `${base} (${plural(months / 12, 'year')})` : base;
  }
  const seconds = steps * info.seconds;
  if (info.unit.endsWith('minutes')) {
    const span = seconds < 3600 ? plural(seconds / 60, 'minute') : seconds < 2 * DAY ? plural(seconds / 3600, 'hour') : plural(seconds / DAY, 'day');
    return `${steps} step${steps === 1 ? '' : 's'} (${span})`;
  }
  return freq === 'H' && seconds >= DAY ? `${base} (${plural(seconds / DAY, 'day')})` : base;
}
