/**
 * From time-stamped values to regular series: frequency detection (or resampling to a given
 * frequency), duplicate timestamps, gaps, and the checks that turn bad input into clear errors.
 * Input points are per-timestamp sufficient statistics (rows, numeric rows, sum, min), as
 * returned by one SQL aggregation or built from in-memory arrays.
 */
import { UserError } from '../core/errors.js';
import { bucketStart, calendarSteps, FREQ_INFO, FREQS, gridSteps, gridTime } from './calendar.js';
import { FREQ_SECONDS, type DuplicatePolicy, type Freq, type PreparedSeries } from './types.js';

/** Fewest points for the default models (ensemble, auto); shorter series get the naive forecast. */
export const MIN_MODEL_POINTS = 10;

export interface RawPoint {
  /** Epoch seconds (UTC). */
  t: number;
  /** Rows at this timestamp. */
  n: number;
  /** Rows with a finite numeric value. */
  valid: number;
  /** Sum of the finite values. */
  sum: number;
  /** Smallest finite value, null when none. */
  min: number | null;
  /** Regressor values at this timestamp (means; null = missing), in the order of PrepareOptions.regressors. */
  x?: (number | null)[];
}

export interface RawSeries {
  key: string | null;
  points: RawPoint[];
}

export interface PrepareOptions {
  /** Resample to this frequency; detected from the timestamps when omitted. */
  freq?: Freq | undefined;
  duplicates: DuplicatePolicy;
  /** Name of the time column, for messages. */
  timeName?: string;
  /** The grid may not have more points than this. */
  maxPoints?: number;
  /** Regressor names (the values come in RawPoint.x). */
  regressors?: string[];
}

export interface Prepared {
  series: PreparedSeries[];
  freq: Freq;
  /** Smallest value seen in any series (checks for log transforms). */
  minValue: number | null;
  warnings: string[];
}

export function freqWord(freq: Freq): string {
  return FREQ_INFO[freq].word;
}

/** Formats an epoch-seconds grid time: YYYY-MM-DD for daily to quarterly data, YYYY-MM-DD HH:MM:SS for hourly and finer. */
export function formatTime(t: number, freq: Freq): string {
  const iso = new Date(t * 1000).toISOString();
  return FREQ_INFO[freq].clock ? `${iso.slice(0, 10)} ${iso.slice(11, 19)}` : iso.slice(0, 10);
}

/** Month starts within a day's slack of the 28-31 day (or 89-92 day) mode: calendar data, not a fixed step. */
function calendarFreq(series: RawSeries[], mode: number): Freq | null {
  const days = mode / 86_400;
  const freq: Freq | null = days >= 28 && days <= 31 ? 'M' : days >= 89 && days <= 92 ? 'Q' : null;
  if (!freq) return null;
  for (const s of series) {
    const ts = [...new Set(s.points.map((p) => p.t))].sort((a, b) => a - b);
    for (let i = 1; i < ts.length; i++) if (calendarSteps(freq, ts[i - 1] as number, ts[i] as number) === null) return null;
  }
  return freq;
}

function describeStep(seconds: number): string {
  if (seconds % 604_800 === 0) return seconds === 604_800 ? '1 week' : `${seconds / 604_800} weeks`;
  if (seconds % 86_400 === 0) return seconds === 86_400 ? '1 day' : `${seconds / 86_400} days`;
  if (seconds % 3600 === 0) return seconds === 3600 ? '1 hour' : `${seconds / 3600} hours`;
  if (seconds % 60 === 0) return `${seconds / 60} minutes`;
  return `${seconds} seconds`;
}

/** Detects the common step of the timestamps, or explains why there is none. */
export function detectFreq(series: RawSeries[], timeName = 'time'): Freq {
  const counts = new Map<number, number>();
  let total = 0;
  for (const s of series) {
    const ts = [...new Set(s.points.map((p) => p.t))].sort((a, b) => a - b);
    for (let i = 1; i < ts.length; i++) {
      const d = (ts[i] as number) - (ts[i - 1] as number);
      counts.set(d, (counts.get(d) ?? 0) + 1);
      total++;
    }
  }
  if (total === 0) {
    throw new UserError('too few points to forecast: every series has a single timestamp', {
      hint: 'a forecast needs a history of at least a few points per series',
      code: 'FORECAST_TOO_FEW_POINTS',
    });
  }
  let mode = 0;
  let best = -1;
  for (const [d, c] of counts) if (c > best || (c === best && d < mode)) [mode, best] = [d, c];
  const calendar = calendarFreq(series, mode);
  if (calendar) return calendar;
  const supported = FREQS.find((f) => FREQ_INFO[f].months === 0 && FREQ_SECONDS[f] === mode);
  if (!supported) {
    throw new UserError(`cannot infer the frequency of ${timeName}: the most common step is ${describeStep(mode)}`, {
      hint: `forecasts support ${FREQS.map((f) => FREQ_INFO[f].word).join(', ')} data; pass --freq ${FREQS.join('|')} to resample`,
      code: 'FORECAST_FREQ',
    });
  }
  let off = 0;
  for (const [d, c] of counts) if (d % mode !== 0) off += c;
  if (off > 0) {
    let example = 0;
    for (const [d] of counts) if (d % mode !== 0) example = d;
    throw new UserError(
      `${timeName} mixes frequencies: most steps are ${describeStep(mode)}, but ${off} of ${total} are not a multiple of it (e.g. ${describeStep(example)})`,
      { hint: `pass --freq ${supported} to resample every series to ${FREQ_INFO[supported].word} buckets`, code: 'FORECAST_MIXED_FREQ' },
    );
  }
  return supported;
}

/** The data's own spacing: the median gap between consecutive timestamps with a value (0 when fewer than 2). */
function sourceStep(points: { t: number; valid: number }[]): number {
  const ts = [...new Set(points.filter((p) => p.valid > 0).map((p) => p.t))].sort((a, b) => a - b);
  if (ts.length < 2) return 0;
  const gaps = ts.slice(1).map((t, i) => t - (ts[i] as number)).sort((a, b) => a - b);
  return gaps[gaps.length >> 1] as number;
}

/** Builds regular series: buckets, duplicate handling, gaps as NaN. */
export function prepareSeries(raw: RawSeries[], options: PrepareOptions): Prepared {
  const timeName = options.timeName ?? 'time';
  const nonEmpty = raw.filter((s) => s.points.some((p) => p.valid > 0));
  if (nonEmpty.length === 0) {
    throw new UserError('no numeric values to forecast', { hint: 'check the value column (and --metric / --agg in store mode)', code: 'FORECAST_NO_DATA' });
  }
  const warnings: string[] = [];
  const dropped = raw.length - nonEmpty.length;
  if (dropped > 0) warnings.push(`${dropped} series had no numeric values and were skipped`);
  const freq = options.freq ?? detectFreq(nonEmpty, timeName);
  const step = FREQ_SECONDS[freq];
  // Weekly buckets start on the weekday of the earliest timestamp; hourly and daily on UTC boundaries.
  let anchor = 0;
  if (freq === 'W') {
    let min = Infinity;
    for (const s of nonEmpty) for (const p of s.points) if (p.t < min) min = p.t;
    anchor = Math.floor(min / 86_400) * 86_400;
  }
  const word = FREQ_INFO[freq].word;
  const maxPoints = options.maxPoints ?? 200_000;
  let duplicateTimestamps = 0;
  let resampledBuckets = 0;
  const partialNotes: string[] = [];
  const incompleteBuckets: string[] = [];
  let invalidRows = 0;
  let minValue: number | null = null;
  const out: PreparedSeries[] = [];
  for (const s of nonEmpty) {
    const buckets = new Map<number, { n: number; valid: number; sum: number; timestamps: number; validTimestamps: number }>();
    const xBuckets = new Map<number, { sum: number[]; count: number[] }>();
    const nx = options.regressors?.length ?? 0;
    const lastValid = s.points.reduce((m, p) => (p.valid > 0 ? Math.max(m, p.t) : m), -Infinity);
    for (const p of s.points) {
      if (p.n > 1) duplicateTimestamps++;
      // Rows after the last value that carry regressors are the regressors' future, not missing values.
      if (!(nx > 0 && p.valid === 0 && p.x?.some((v) => v !== null) && p.t > lastValid)) invalidRows += p.n - p.valid;
      if (p.valid > 0 && p.min !== null) minValue = minValue === null ? p.min : Math.min(minValue, p.min);
      const b = bucketStart(freq, p.t, anchor);
      if (nx > 0 && p.x) {
        const xb = xBuckets.get(b) ?? { sum: new Array<number>(nx).fill(0), count: new Array<number>(nx).fill(0) };
        p.x.forEach((v, j) => {
          if (v === null || !Number.isFinite(v)) return;
          xb.sum[j] = (xb.sum[j] as number) + v;
          xb.count[j] = (xb.count[j] as number) + 1;
        });
        xBuckets.set(b, xb);
      }
      const cur = buckets.get(b);
      if (cur) {
        cur.n += p.n;
        cur.valid += p.valid;
        cur.sum += p.sum;
        cur.timestamps++;
        if (p.valid > 0) cur.validTimestamps++;
      } else {
        buckets.set(b, { n: p.n, valid: p.valid, sum: p.sum, timestamps: 1, validTimestamps: p.valid > 0 ? 1 : 0 });
      }
    }
    let keys = [...buckets.keys()].filter((k) => (buckets.get(k)?.valid ?? 0) > 0).sort((a, b) => a - b);
    if (options.freq) {
      // Resampling: buckets with fewer points than the bucket holds at the data's own spacing.
      const srcStep = sourceStep(s.points);
      const expected = (k: number): number => (srcStep > 0 ? Math.round((gridTime(freq, k, 1) - k) / srcStep) : 0);
      const incomplete = keys.filter((k) => expected(k) > 1 && (buckets.get(k)?.validTimestamps ?? 0) < expected(k));
      const label = (k: number): string => `${formatTime(k, freq)}: ${buckets.get(k)?.validTimestamps ?? 0} of ${expected(k)}`;
      const last = keys[keys.length - 1] as number;
      const who = s.key !== null ? ` of series ${s.key}` : '';
      if (keys.length > 2 && incomplete.includes(last)) {
        partialNotes.push(`the last ${word} bucket${who} (${label(last)} points) was left out: a partial bucket reads as a drop`);
        keys = keys.slice(0, -1);
      }
      const inner = incomplete.filter((k) => k !== last);
      if (inner.length > 0) incompleteBuckets.push(...inner.map(label));
    }
    const start = keys[0] as number;
    const end = keys[keys.length - 1] as number;
    const length = gridSteps(freq, start, end) + 1;
    if (length > maxPoints) {
      throw new UserError(`series ${s.key ?? ''} would have ${length} ${word} points, more than ${maxPoints}`.replace('  ', ' '), {
        hint: 'pass a coarser --freq, or filter the data to a shorter period',
        code: 'FORECAST_TOO_LONG',
      });
    }
    const y = new Array<number>(length).fill(NaN);
    for (const k of keys) {
      const b = buckets.get(k);
      if (!b) continue;
      if (b.timestamps > 1) resampledBuckets++;
      if (b.n > 1 && options.duplicates === 'error') {
        throw new UserError(`${timeName} has duplicate values${s.key !== null ? ` in series ${s.key}` : ''}: ${b.n} rows fall on ${formatTime(k, freq)}`, {
          hint: 'pass --duplicates mean or --duplicates sum to combine them, or fix the data',
          code: 'FORECAST_DUPLICATES',
        });
      }
      y[gridSteps(freq, start, k)] = options.duplicates === 'sum' ? b.sum : b.sum / b.valid;
    }
    const gaps = y.reduce((acc, v) => acc + (Number.isNaN(v) ? 1 : 0), 0);
    const notes: string[] = [];
    if (gaps > 0) notes.push(`${gaps} missing ${word} point${gaps === 1 ? '' : 's'} in the history (interpolated for models that need a regular grid)`);
    const prepared: PreparedSeries = { key: s.key, freq, step, start, y, holidays: [], country: null, notes };
    if (nx > 0) prepared.regressors = regressorGrid(options.regressors ?? [], xBuckets, freq, start, length);
    out.push(prepared);
  }
  const how = options.duplicates === 'sum' ? 'summed' : 'averaged';
  if (duplicateTimestamps > 0) warnings.push(`${duplicateTimestamps} duplicate timestamp${duplicateTimestamps === 1 ? '' : 's'} in ${timeName}: values ${how} (--duplicates mean|sum|error)`);
  if (options.freq && resampledBuckets > 0) warnings.push(`resampled to ${word}: ${resampledBuckets} bucket${resampledBuckets === 1 ? '' : 's'} combined several timestamps (${how}${options.duplicates === 'sum' ? '' : '; --duplicates sum for totals'})`);
  warnings.push(...partialNotes);
  if (incompleteBuckets.length > 0) {
    const shown = incompleteBuckets.slice(0, 3).join(', ');
    warnings.push(`${incompleteBuckets.length} ${word} bucket${incompleteBuckets.length === 1 ? ' has' : 's have'} fewer points than a full one (${shown}${incompleteBuckets.length > 3 ? ', ...' : ''})${options.duplicates === 'sum' ? ': their sums are low' : ''}`);
  }
  if (invalidRows > 0) warnings.push(`${invalidRows} row${invalidRows === 1 ? '' : 's'} without a numeric value (empty, NA, NaN or null) skipped`);
  return { series: out, freq, minValue, warnings };
}

/**
 * Regressor values on the grid from `start`: the history (`length` points) and the points after
 * it for which the file has values (rows beyond the last y), NaN where missing.
 */
function regressorGrid(names: string[], buckets: Map<number, { sum: number[]; count: number[] }>, freq: Freq, start: number, length: number): { name: string; values: number[] }[] {
  let last = length - 1;
  for (const [b, xb] of buckets) if (xb.count.some((c) => c > 0)) last = Math.max(last, gridSteps(freq, start, b));
  return names.map((name, j) => {
    const values = new Array<number>(last + 1).fill(NaN);
    for (const [b, xb] of buckets) {
      const i = gridSteps(freq, start, b);
      if (i >= 0 && i <= last && (xb.count[j] as number) > 0) values[i] = (xb.sum[j] as number) / (xb.count[j] as number);
    }
    return { name, values };
  });
}

/** Linear interpolation over NaN gaps (the ends are held flat). */
export function interpolate(y: number[]): number[] {
  const out = y.slice();
  const n = out.length;
  let prev = -1;
  for (let i = 0; i < n; i++) {
    if (Number.isNaN(out[i])) continue;
    if (prev === -1 && i > 0) for (let k = 0; k < i; k++) out[k] = out[i] as number;
    if (prev !== -1 && i - prev > 1) {
      const a = out[prev] as number;
      const b = out[i] as number;
      for (let k = prev + 1; k < i; k++) out[k] = a + ((b - a) * (k - prev)) / (i - prev);
    }
    prev = i;
  }
  if (prev !== -1) for (let k = prev + 1; k < n; k++) out[k] = out[prev] as number;
  return out;
}

/** Raw series from in-memory arrays (the `forecastSeries` API): timestamps as Date, epoch seconds or ISO strings. */
export function rawFromArrays(key: string | null, ds: readonly (string | number | Date)[], y: readonly (number | null)[]): RawSeries {
  if (ds.length !== y.length) {
    throw new UserError(`series ${key ?? ''}: ${ds.length} timestamps but ${y.length} values`.replace('  ', ' '), { code: 'FORECAST_BAD_INPUT' });
  }
  const byT = new Map<number, RawPoint>();
  for (let i = 0; i < ds.length; i++) {
    const t = toEpochSeconds(ds[i] as string | number | Date);
    if (t === null) {
      throw new UserError(`unparseable date ${JSON.stringify(ds[i])} at position ${i + 1}${key !== null ? ` of series ${key}` : ''}`, {
        hint: 'use ISO dates (2024-01-31 or 2024-01-31T13:00:00Z), Date objects or epoch seconds',
        code: 'FORECAST_BAD_DATE',
      });
    }
    const v = y[i];
    const ok = typeof v === 'number' && Number.isFinite(v);
    const p = byT.get(t);
    if (p) {
      p.n++;
      if (ok) {
        p.valid++;
        p.sum += v;
        p.min = p.min === null ? v : Math.min(p.min, v);
      }
    } else {
      byT.set(t, { t, n: 1, valid: ok ? 1 : 0, sum: ok ? v : 0, min: ok ? v : null });
    }
  }
  return { key, points: [...byT.values()] };
}

export function toEpochSeconds(v: string | number | Date): number | null {
  if (v instanceof Date) {
    const ms = v.getTime();
    return Number.isFinite(ms) ? Math.round(ms / 1000) : null;
  }
  if (typeof v === 'number') return Number.isFinite(v) ? (Math.abs(v) >= 1e11 ? Math.round(v / 1000) : v) : null;
  const s = v.trim();
  if (!/^\d{4}-\d{2}-\d{2}/.test(s)) return null;
  // Dates without a zone are UTC.
  const iso = /^\d{4}-\d{2}-\d{2}$/.test(s) ? `${s}T00:00:00Z` : /[zZ]|[+-]\d{2}:?\d{2}$/.test(s) ? s.replace(' ', 'T') : `${s.replace(' ', 'T')}Z`;
  const ms = Date.parse(iso);
  return Number.isFinite(ms) ? Math.round(ms / 1000) : null;
}
