/**
 * Extra regressors (--regressor: columns of the data file, their future from the rows after the
 * last value) and custom events (--events: a CSV like Prophet's playoffs example), both passed to
 * Prophet.
 */
import path from 'node:path';
import { UserError } from '../core/errors.js';
import type { Store } from '../store/store.js';
import { quoteIdent } from '../store/store.js';
import { FREQ_INFO, gridTime } from './calendar.js';
import { formatTime, interpolate } from './series.js';
import type { HolidayDef, PreparedSeries } from './types.js';

/** Most event rows read from --events, and the widest window (days) on either side. */
export const MAX_EVENT_ROWS = 10_000;
export const MAX_EVENT_WINDOW = 60;

/**
 * Checks that every regressor has a value at each of the `horizon` future steps (else a clear
 * error naming how far it goes), fills history gaps by interpolation (with a warning) and trims
 * the values to history + horizon.
 */
export function prepareRegressors(series: PreparedSeries[], horizon: number): string[] {
  const warnings: string[] = [];
  for (const s of series) {
    if (!s.regressors) continue;
    const n = s.y.length;
    for (const r of s.regressors) {
      let k = 0;
      while (k < horizon && Number.isFinite(r.values[n + k])) k++;
      if (k < horizon) {
        const unit = FREQ_INFO[s.freq].unit;
        const where = s.key !== null ? ` for ${s.key}` : '';
        const last = k > 0 ? ` (through ${formatTime(gridTime(s.freq, s.start, n + k - 1), s.freq)})` : '';
        throw new UserError(`--regressor ${r.name} has future values${where} for ${k} of the ${horizon} forecast steps${last}`, {
          hint: `add rows after the last value (value cell empty) with ${r.name} for each of the next ${horizon} ${unit}s${k > 0 ? `, or pass --horizon ${k}` : ''}`,
          code: 'FORECAST_REGRESSOR_FUTURE',
        });
      }
      const hist = r.values.slice(0, n);
      const missing = hist.filter((v, i) => !Number.isFinite(v) && !Number.isNaN(s.y[i] as number)).length;
      if (hist.every((v) => !Number.isFinite(v))) {
        throw new UserError(`--regressor ${r.name} has no values in the history${s.key !== null ? ` of ${s.key}` : ''}`, { hint: 'the column needs numbers on the rows with a value', code: 'FORECAST_REGRESSOR_FUTURE' });
      }
      if (missing > 0) warnings.push(`--regressor ${r.name}: ${missing} history value${missing === 1 ? '' : 's'} missing${s.key !== null ? ` in ${s.key}` : ''}, interpolated`);
      r.values = [...interpolate(hist), ...r.values.slice(n, n + horizon)];
    }
  }
  return warnings;
}

/**
 * Custom events from a CSV / Parquet / JSON file with columns `holiday` (or `name`), `ds` and
 * optional `lower_window` / `upper_window` (days before and after, as in Prophet: lower_window
 * -1 includes the day before). Each event name becomes one holiday-like term over its days.
 */
export async function loadEvents(store: Store, file: string): Promise<HolidayDef[]> {
  const { describeFile } = await import('../store/import.js');
  const { reader, columns } = await describeFile(store, file);
  const base = path.basename(file);
  const names = columns.map((c) => c.name);
  const nameCol = names.find((c) => c === 'holiday') ?? names.find((c) => c === 'name') ?? names.find((c) => c === 'event');
  if (!nameCol || !names.includes('ds')) {
    throw new UserError(`${base} needs the columns holiday (or name) and ds for --events`, {
      hint: `its columns: ${names.join(', ')}; optional: lower_window, upper_window (days, like Prophet's holidays data frame)`,
      code: 'FORECAST_EVENTS',
      exitCode: 2,
    });
  }
  const win = (c: string): string => (names.includes(c) ? `try_cast(${quoteIdent(c)} AS INTEGER)` : '0');
  const rows = await store.all<{ name: string | null; ds: string | null; raw: string | null; lo: number | null; hi: number | null }>(
    `SELECT CAST(${quoteIdent(nameCol)} AS VARCHAR) AS name, strftime(try_cast(ds AS DATE), '%Y-%m-%d') AS ds, CAST(ds AS VARCHAR) AS raw,
            ${win('lower_window')} AS lo, ${win('upper_window')} AS hi FROM ${reader} LIMIT ${MAX_EVENT_ROWS + 1}`,
  );
  if (rows.length > MAX_EVENT_ROWS) throw new UserError(`${base} has more than ${MAX_EVENT_ROWS} events`, { hint: 'keep one row per event occurrence', code: 'FORECAST_EVENTS' });
  const byName = new Map<string, Set<string>>();
  const windows = new Map<string, string[][]>();
  rows.forEach((r, i) => {
    // eslint-disable-next-line no-control-regex
    const name = (r.name ?? '').replace(/[\u0000-\u001f\u007f]/g, '').trim().slice(0, 80);
    if (!name) throw new UserError(`${base} row ${i + 1} has no event name`, { hint: `fill the ${nameCol} column`, code: 'FORECAST_EVENTS' });
    if (!r.ds) throw new UserError(`${base} row ${i + 1}: "${String(r.raw ?? '').slice(0, 40)}" is not a date`, { hint: 'use ISO dates such as 2024-01-31 in ds', code: 'FORECAST_EVENTS' });
    const lo = Number(r.lo ?? 0);
    const hi = Number(r.hi ?? 0);
    if (!Number.isInteger(lo) || !Number.isInteger(hi) || lo > 0 || hi < 0 || -lo > MAX_EVENT_WINDOW || hi > MAX_EVENT_WINDOW) {
      throw new UserError(`${base} row ${i + 1}: lower_window ${r.lo ?? ''} / upper_window ${r.hi ?? ''} is not a window around the date`, {
        hint: `lower_window is 0 or negative (days before), upper_window 0 or positive (days after), at most ${MAX_EVENT_WINDOW} days`,
        code: 'FORECAST_EVENTS',
      });
    }
    const set = byName.get(name) ?? new Set<string>();
    const t = Date.parse(`${r.ds}T00:00:00Z`);
    const days: string[] = [];
    for (let d = lo; d <= hi; d++) days.push(new Date(t + d * 86_400_000).toISOString().slice(0, 10));
    for (const d of days) set.add(d);
    byName.set(name, set);
    // One row is one occurrence, however many days its window covers.
    windows.set(name, [...(windows.get(name) ?? []), days]);
  });
  if (byName.size === 0) throw new UserError(`${base} has no events`, { hint: 'one row per event occurrence: holiday, ds', code: 'FORECAST_EVENTS' });
  return [...byName.entries()].map(([name, dates]) => ({ name, dates: [...dates].sort(), occurrences: windows.get(name) ?? [] }));
}
