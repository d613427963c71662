/**
 * Public holidays from `date-holidays`, in UTC, keyed on each holiday's `date` field
 * (YYYY-MM-DD), grouped by name in the country's English (en-US: "Labor Day", en-GB/AU/CA:
 * "Labour Day"). Holidays are computed on the main thread and travel to the fits as plain data.
 * Also: which holiday effects are consistent enough to report (holidayEffects).
 */
import type DateHolidays from 'date-holidays';
import { UserError } from '../core/errors.js';
import { gridPosition, gridTime } from './calendar.js';
import type { Decomposition } from './components.js';
import type { Freq, HolidayDef, HolidayEffect } from './types.js';

type HolidaysCtor = typeof DateHolidays;

let ctor: Promise<HolidaysCtor> | undefined;

async function load(): Promise<HolidaysCtor> {
  ctor ??= import('date-holidays').then((m) => m.default);
  return ctor;
}

/** ISO 3166-1 alpha-2 codes date-holidays knows, upper case. */
export async function knownCountries(): Promise<Set<string>> {
  const Holidays = await load();
  return new Set(Object.keys(new Holidays().getCountries()).map((c) => c.toUpperCase()));
}

/** Normalises a country code, or throws a clear error for an unknown one. */
export async function checkCountry(code: string, where = '--holidays'): Promise<string> {
  const upper = code.trim().toUpperCase();
  const known = await knownCountries();
  if (!known.has(upper)) {
    throw new UserError(`unknown country code "${code}" for ${where}`, {
      hint: 'use an ISO 3166-1 alpha-2 code such as US, GB, DE, FR, IN, BR, JP (or --holidays none)',
      code: 'FORECAST_UNKNOWN_COUNTRY',
    });
  }
  return upper;
}

/** Public holidays of `country` (already validated) between two epoch-second times, inclusive. */
export async function holidaysBetween(country: string, fromSec: number, toSec: number, language = holidayLanguage(country)): Promise<HolidayDef[]> {
  const Holidays = await load();
  const hd = new Holidays(country, { timezone: 'UTC', types: ['public'], languages: [language, 'en'] });
  const y0 = new Date(fromSec * 1000).getUTCFullYear();
  const y1 = new Date(toSec * 1000).getUTCFullYear();
  const from = new Date(fromSec * 1000).toISOString().slice(0, 10);
  const to = new Date(toSec * 1000).toISOString().slice(0, 10);
  const byName = new Map<string, Set<string>>();
  for (let year = y0; year <= y1; year++) {
    for (const h of hd.getHolidays(year, language)) {
      const date = String(h.date).slice(0, 10);
      if (date < from || date > to) continue;
      const set = byName.get(h.name) ?? new Set<string>();
      set.add(date);
      byName.set(h.name, set);
    }
  }
  return [...byName.entries()].map(([name, dates]) => ({ name, dates: [...dates].sort() })).sort((a, b) => a.name.localeCompare(b.name));
}

/** The country's English for holiday names: en-us, en-gb, ... (date-holidays falls back to plain English). */
export function holidayLanguage(country: string): string {
  return `en-${country.toLowerCase()}`;
}

export function dateToEpoch(date: string): number {
  return Date.parse(`${date}T00:00:00Z`) / 1000;
}

/** A holiday effect is material when it is at least this many robust residual sds. */
export const MATERIAL_SD = 1.5;
/** Share of the occurrences that must move the same way as the effect. */
export const SAME_SIGN_SHARE = 0.75;
/** The mean effect over its standard error (robust residual sd over sqrt(points)) must be at least this. */
export const MIN_Z = 3;
/** ... and still this much without its most extreme occurrence. */
export const MIN_Z_WITHOUT_LARGEST = 2;

/** Grid indices (from `start`, below `limit`) inside the UTC day `date`. */
function dayPoints(date: string, freq: Freq, start: number, limit: number): number[] {
  const t = dateToEpoch(date);
  const out: number[] = [];
  for (let g = Math.max(0, Math.ceil(gridPosition(freq, start, t) - 1e-9)); g < limit && gridTime(freq, start, g) < t + 86_400; g++) out.push(g);
  return out;
}

/**
 * The reported (consistent) holiday effects on the grid: each effect on the points of its
 * holiday's days, 0 elsewhere (model scale). Anomalies are scored against the expectation plus
 * this, so a holiday whose effect was estimated is not an anomaly for having that effect.
 */
export function holidayOffsets(effects: HolidayEffect[], holidays: HolidayDef[], freq: Freq, start: number, n: number): number[] {
  const out = new Array<number>(n).fill(0);
  for (const e of effects) {
    const def = holidays.find((h) => h.name === e.name);
    if (!def) continue;
    const points = new Set(def.dates.flatMap((d) => dayPoints(d, freq, start, n)));
    for (const i of points) out[i] = (out[i] as number) + e.effect;
  }
  return out;
}

export interface HolidayEffectInput {
  holidays: HolidayDef[];
  /** Values on the grid (NaN = missing), on the model's scale. */
  y: number[];
  freq: Freq;
  start: number;
  /** Robust decomposition of y (components.ts): the holiday-free baseline. */
  decomposition: Decomposition;
  /** The model's own estimate per holiday (Prophet's holiday terms, MSTL's residual effects), when it has one. */
  modelEffects?: { name: string; values: number[] }[] | undefined;
}

/**
 * Holiday effects that are consistent across occurrences. Each occurrence's effect is the mean
 * residual of the robust decomposition on the holiday's points (the decomposition's running
 * medians do not follow a single day, so the holiday stays in the residual). A holiday is
 * reported when (1) it occurs at least twice in the history (an event's window is one occurrence), (2) at least 75% of its occurrences
 * move the same way, (3) the mean effect is at least 3 standard errors from zero (robust
 * residual sd / sqrt(points)), and (4) still at least 2 without its most extreme occurrence. The effect shown is the model's own estimate when it has one with
 * the same sign, else that mean residual.
 */
export function holidayEffects(input: HolidayEffectInput): HolidayEffect[] {
  const { decomposition: dec, y } = input;
  if (input.holidays.length === 0 || !(dec.scale > 0)) return [];
  const n = y.length;
  const out: HolidayEffect[] = [];
  for (const def of input.holidays) {
    const perOccurrence: { sum: number; points: number }[] = [];
    let points = 0;
    let sum = 0;
    // One occurrence: a date, or the days of one custom event's window.
    for (const days of def.occurrences ?? def.dates.map((d) => [d])) {
      const r = [...new Set(days.flatMap((d) => dayPoints(d, input.freq, input.start, n)))]
        .map((i) => dec.resid[i] as number)
        .filter(Number.isFinite)
        .map((v) => v - dec.center);
      if (r.length === 0) continue;
      const s = r.reduce((a, b) => a + b, 0);
      perOccurrence.push({ sum: s, points: r.length });
      points += r.length;
      sum += s;
    }
    const k = perOccurrence.length;
    if (k < 2) continue;
    const mean = sum / points;
    const sameSign = perOccurrence.filter((e) => e.sum !== 0 && Math.sign(e.sum) === Math.sign(mean)).length / k;
    const z = mean / (dec.scale / Math.sqrt(points));
    if (sameSign < SAME_SIGN_SHARE || Math.abs(z) < MIN_Z) continue;
    // Not carried by one occurrence: drop the one that pulls most in the effect's direction.
    const largest = perOccurrence.reduce((a, b) => (b.sum * Math.sign(mean) > a.sum * Math.sign(mean) ? b : a));
    const zRest = (sum - largest.sum) / (points - largest.points) / (dec.scale / Math.sqrt(points - largest.points));
    if (!(Math.abs(zRest) >= MIN_Z_WITHOUT_LARGEST && Math.sign(zRest) === Math.sign(z))) continue;
    const model = input.modelEffects?.find((m) => m.name === def.name)?.values ?? [];
    const modelMean = model.length > 0 ? model.reduce((a, b) => a + b, 0) / model.length : NaN;
    const effect = Number.isFinite(modelMean) && Math.sign(modelMean) === Math.sign(mean) ? modelMean : mean;
    const score = effect / dec.scale;
    out.push({ name: def.name, effect, score, occurrences: k, same_sign: sameSign, z, material: Math.abs(score) >= MATERIAL_SD });
  }
  return out.sort((a, b) => Math.abs(b.effect) - Math.abs(a.effect));
}
