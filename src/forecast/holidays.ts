/**
 * Public holidays from `date-holidays`, in UTC, keyed on each holiday's `date` field
 * (YYYY-MM-DD), grouped by English name. Holidays are computed on the main thread and travel
 * to the fits as plain data.
 */
import type DateHolidays from 'date-holidays';
import { UserError } from '../core/errors.js';
import type { HolidayDef } from './types.js';

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
export async function holidaysBetween(country: string, fromSec: number, toSec: number): Promise<HolidayDef[]> {
  const Holidays = await load();
  const hd = new Holidays(country, { timezone: 'UTC', types: ['public'] });
  const y0 = new Date(fromSec * 1000).getUTCFullYear();
  const y1 = new Date(toSec * 1000).getUTCFullYear();
  const from = new Date(fromSec * 1000).toISOString().slice(0, 10);
  const to = new Date(toSec * 1000).toISOString().slice(0, 10);
  const byName = new Map<string, Set<string>>();
  for (let year = y0; year <= y1; year++) {
    for (const h of hd.getHolidays(year, 'en')) {
      const date = String(h.date).slice(0, 10);
      if (date < from || date > to) continue;
      const set = byName.get(h.name) ?? new Set<string>();
      set.add(date);
      byName.set(h.name, set);
    }
  }
  return [...byName.entries()].map(([name, dates]) => ({ name, dates: [...dates].sort() })).sort((a, b) => a.name.localeCompare(b.name));
}

export function dateToEpoch(date: string): number {
  return Date.parse(`${date}T00:00:00Z`) / 1000;
}
