/**
 * Joining data codes to map shapes. A data row names its place however the data spells it;
 * this module turns that into the key the map's shapes carry:
 *
 *   world      ISO 3166-1 alpha-2 ("DE"), alpha-3 ("DEU"), numeric ("276", "36") or an English
 *              name ("Germany", "United States of America", the atlas's own "Dem. Rep. Congo")
 *              -> alpha-2, through i18n-iso-countries (the maintained ISO table)
 *   us-states  postal code ("CA"), FIPS ("06", "6") or name ("California") -> postal code
 *
 * Pure apart from loading the ISO package's tables once.
 */
import { createRequire } from 'node:module';
import type * as Countries from 'i18n-iso-countries';

const require = createRequire(import.meta.url);

let iso: typeof Countries | undefined;

/** i18n-iso-countries with its English names registered. */
export function isoCountries(): typeof Countries {
  if (!iso) {
    iso = require('i18n-iso-countries') as typeof Countries;
    iso.registerLocale(require('i18n-iso-countries/langs/en.json') as Countries.LocaleData);
  }
  return iso;
}

/** Codes people use that ISO does not (the EU's and the UK's own). */
const COUNTRY_ALIASES: Readonly<Record<string, string>> = { UK: 'GB', EL: 'GR' };

/** The ISO alpha-2 code of a country written as alpha-2, alpha-3, numeric or an English name; null when none fits. */
export function countryCode(raw: string): string | null {
  const c = isoCountries();
  const s = raw.trim();
  if (s.length === 0) return null;
  if (/^\d{1,3}$/.test(s)) return c.numericToAlpha2(s.padStart(3, '0')) ?? null;
  const up = s.toUpperCase();
  if (/^[A-Z]{2}$/.test(up)) return COUNTRY_ALIASES[up] ?? (c.isValid(up) ? up : null);
  if (/^[A-Z]{3}$/.test(up)) {
    const a2 = c.alpha3ToAlpha2(up);
    if (a2) return a2;
  }
  return c.getAlpha2Code(s, 'en') ?? null;
}

/** Every spelling of a country this module understands (for SQL filters on a raw column), lower case. */
export function countrySpellings(alpha2: string): string[] {
  const c = isoCountries();
  const names = c.getName(alpha2, 'en', { select: 'all' }) ?? [];
  const numeric = c.alpha2ToNumeric(alpha2);
  const out = [alpha2, c.alpha2ToAlpha3(alpha2) ?? '', numeric ?? '', numeric ? String(Number(numeric)) : '', ...names];
  for (const [alias, code] of Object.entries(COUNTRY_ALIASES)) if (code === alpha2) out.push(alias);
  return [...new Set(out.filter((x) => x.length > 0).map((x) => x.toLowerCase()))];
}

/** The English name of an alpha-2 code (the code itself when ISO has no name for it). */
export function countryName(alpha2: string): string {
  return isoCountries().getName(alpha2, 'en') ?? alpha2;
}

/** US states, DC and the territories in us-atlas: FIPS code, postal code. Names come from the atlas. */
export const US_STATES: readonly (readonly [fips: string, postal: string])[] = [
  ['01', 'AL'], ['02', 'AK'], ['04', 'AZ'], ['05', 'AR'], ['06', 'CA'], ['08', 'CO'], ['09', 'CT'], ['10', 'DE'],
  ['11', 'DC'], ['12', 'FL'], ['13', 'GA'], ['15', 'HI'], ['16', 'ID'], ['17', 'IL'], ['18', 'IN'], ['19', 'IA'],
  ['20', 'KS'], ['21', 'KY'], ['22', 'LA'], ['23', 'ME'], ['24', 'MD'], ['25', 'MA'], ['26', 'MI'], ['27', 'MN'],
  ['28', 'MS'], ['29', 'MO'], ['30', 'MT'], ['31', 'NE'], ['32', 'NV'], ['33', 'NH'], ['34', 'NJ'], ['35', 'NM'],
  ['36', 'NY'], ['37', 'NC'], ['38', 'ND'], ['39', 'OH'], ['40', 'OK'], ['41', 'OR'], ['42', 'PA'], ['44', 'RI'],
  ['45', 'SC'], ['46', 'SD'], ['47', 'TN'], ['48', 'TX'], ['49', 'UT'], ['50', 'VT'], ['51', 'VA'], ['53', 'WA'],
  ['54', 'WV'], ['55', 'WI'], ['56', 'WY'], ['60', 'AS'], ['66', 'GU'], ['69', 'MP'], ['72', 'PR'], ['78', 'VI'],
];

const POSTAL_BY_FIPS = new Map(US_STATES.map(([f, p]) => [f, p]));
const POSTALS = new Set(US_STATES.map(([, p]) => p));

/** The postal code of a US state written as postal code, FIPS or name (`names`: lower-case name -> postal); null when none fits. */
export function usStateCode(raw: string, names: ReadonlyMap<string, string>): string | null {
  const s = raw.trim();
  if (/^\d{1,2}$/.test(s)) return POSTAL_BY_FIPS.get(s.padStart(2, '0')) ?? null;
  const up = s.toUpperCase();
  if (POSTALS.has(up)) return up;
  const dotted = /^([A-Z])\.?\s?([A-Z])\.?$/.exec(up);
  if (dotted && POSTALS.has(`${dotted[1]}${dotted[2]}`)) return `${dotted[1]}${dotted[2]}`;
  return names.get(s.toLowerCase().replace(/\s+/g, ' ')) ?? null;
}

/** The postal code of a FIPS code from the atlas. */
export function postalOfFips(fips: string): string | null {
  return POSTAL_BY_FIPS.get(fips) ?? null;
}

export type Geography = 'world' | 'us-states';

/** Why a data code found no shape. */
export type UnmatchedReason = 'unknown code' | 'not on this map' | 'no value';

export interface Unmatched {
  code: string;
  reason: UnmatchedReason;
}
