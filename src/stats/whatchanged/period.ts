/**
 * Time periods for whatchanged: parsing `2026-10-01..2026-10-07` (whole days, end inclusive) or
 * `2026-10-01T06:00..2026-10-01T18:00` (end exclusive), defaults taken from the data, overlap
 * checks, and the SQL that assigns a timestamp to a period. Pure; times are UTC-naive like the store.
 */
import { UsageError } from '../../core/errors.js';

export interface Period {
  /** Inclusive start. */
  from: Date;
  /** Exclusive end. */
  to: Date;
  /** How the user wrote it (or how a default was derived), for messages. */
  label: string;
}

const DAY_MS = 86_400_000;
const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;
const DATETIME_RE = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?Z?$/;

function parseInstant(flag: string, raw: string, whole: string): { date: Date; dateOnly: boolean } {
  const s = raw.trim();
  const dateOnly = DATE_RE.test(s);
  if (!dateOnly && !DATETIME_RE.test(s)) {
    throw new UsageError(`${flag} expects FROM..TO dates, got "${whole}"`, { hint: `e.g. ${flag} 2026-10-01..2026-10-07 (whole days) or 2026-10-01T00:00..2026-10-01T12:00` });
  }
  let t = dateOnly ? `${s}T00:00:00` : s.replace(' ', 'T').replace(/Z$/, '');
  if (/T\d{2}:\d{2}$/.test(t)) t += ':00';
  const iso = `${t}Z`;
  const date = new Date(iso);
  if (Number.isNaN(date.getTime()) || (dateOnly && date.toISOString().slice(0, 10) !== s)) {
    throw new UsageError(`${flag}: "${s}" is not a valid date`, { hint: `e.g. ${flag} 2026-10-01..2026-10-07` });
  }
  return { date, dateOnly };
}

/**
 * Parses `FROM..TO`. A date-only end includes that whole day; an end with a time is exclusive.
 * A single date means that one day.
 */
export function parsePeriod(flag: string, raw: string): Period {
  const text = raw.trim();
  const parts = text.includes('..') ? text.split('..') : [text, text];
  if (parts.length !== 2 || !parts[0] || !parts[1]) {
    throw new UsageError(`${flag} expects FROM..TO, got "${raw}"`, { hint: `e.g. ${flag} 2026-10-01..2026-10-07` });
  }
  const from = parseInstant(flag, parts[0], raw);
  const end = parseInstant(flag, parts[1], raw);
  const to = end.dateOnly ? new Date(end.date.getTime() + DAY_MS) : end.date;
  if (to.getTime() <= from.date.getTime()) {
    throw new UsageError(`${flag} ${raw} is empty: it ends before it starts`, { hint: `write the earlier date first, e.g. ${flag} 2026-10-01..2026-10-07` });
  }
  return { from: from.date, to, label: text };
}

export function periodDays(p: Period): number {
  return (p.to.getTime() - p.from.getTime()) / DAY_MS;
}

export function overlaps(a: Period, b: Period): boolean {
  return a.from.getTime() < b.to.getTime() && b.from.getTime() < a.to.getTime();
}

export function assertDisjoint(baseline: Period, current: Period): void {
  if (overlaps(baseline, current)) {
    throw new UsageError(`--baseline ${baseline.label} and --current ${current.label} overlap`, {
      hint: `compare two separate periods, e.g. --baseline ${periodArg(baseline)} --current ${periodArg(periodAfter(baseline))}`,
    });
  }
}

/** A period as it can be passed back on the command line: whole days end inclusive, else minutes end exclusive. */
export function periodArg(p: Period): string {
  const wholeDays = p.from.getTime() % DAY_MS === 0 && p.to.getTime() % DAY_MS === 0;
  if (wholeDays) {
    const last = new Date(p.to.getTime() - DAY_MS);
    return p.to.getTime() - p.from.getTime() === DAY_MS ? formatInstant(p.from) : `${formatInstant(p.from)}..${formatInstant(last)}`;
  }
  const minute = (d: Date): string => d.toISOString().slice(0, 16);
  return `${minute(p.from)}..${minute(p.to)}`;
}

const MINUTE_MS = 60_000;

/**
 * Two adjacent periods that split the data's range [lo, hi] in halves, for a hint: whole days when
 * the range covers at least 2 days, else whole minutes (end exclusive). Null when the data span
 * less than 2 minutes (one session of profiles, say): no two periods both hold data.
 */
export function splitRange(lo: Date, hi: Date): { baseline: Period; current: Period } | null {
  const make = (from: number, to: number): Period => {
    const out = { from: new Date(from), to: new Date(to), label: '' };
    return { ...out, label: describePeriod(out) };
  };
  const d0 = Math.floor(lo.getTime() / DAY_MS) * DAY_MS;
  const d1 = Math.floor(hi.getTime() / DAY_MS) * DAY_MS + DAY_MS;
  const days = (d1 - d0) / DAY_MS;
  if (days >= 2) {
    const mid = d0 + Math.floor(days / 2) * DAY_MS;
    return { baseline: make(d0, mid), current: make(mid, d1) };
  }
  const m0 = Math.floor(lo.getTime() / MINUTE_MS) * MINUTE_MS;
  const m1 = Math.floor(hi.getTime() / MINUTE_MS) * MINUTE_MS + MINUTE_MS;
  const minutes = (m1 - m0) / MINUTE_MS;
  if (hi.getTime() - lo.getTime() < 2 * MINUTE_MS || minutes < 3) return null;
  const mid = m0 + Math.floor(minutes / 2) * MINUTE_MS;
  return { baseline: make(m0, mid), current: make(mid, m1) };
}

/** 2026-10-01, or 2026-10-01 06:00 when the instant is not midnight. */
export function formatInstant(d: Date): string {
  const iso = d.toISOString();
  return iso.endsWith('T00:00:00.000Z') ? iso.slice(0, 10) : iso.slice(0, 16).replace('T', ' ');
}

/** A readable label: whole days as `2026-10-01..2026-10-07` (end inclusive). */
export function describePeriod(p: Period): string {
  const wholeDays = p.from.getTime() % DAY_MS === 0 && p.to.getTime() % DAY_MS === 0;
  if (wholeDays) {
    const last = new Date(p.to.getTime() - DAY_MS);
    return p.to.getTime() - p.from.getTime() === DAY_MS ? formatInstant(p.from) : `${formatInstant(p.from)}..${formatInstant(last)}`;
  }
  return `${formatInstant(p.from)}..${formatInstant(p.to)} (end exclusive)`;
}

/** The same-length period right before `p`. */
export function periodBefore(p: Period): Period {
  const len = p.to.getTime() - p.from.getTime();
  const out = { from: new Date(p.from.getTime() - len), to: new Date(p.from.getTime()), label: '' };
  return { ...out, label: describePeriod(out) };
}

/** The same-length period right after `p`. */
export function periodAfter(p: Period): Period {
  const len = p.to.getTime() - p.from.getTime();
  const out = { from: new Date(p.to.getTime()), to: new Date(p.to.getTime() + len), label: '' };
  return { ...out, label: describePeriod(out) };
}

/** Default current period: the last `days` whole days up to and including the day of `lastEvent`. */
export function lastDays(lastEvent: Date, days = 7): Period {
  const end = Math.floor(lastEvent.getTime() / DAY_MS) * DAY_MS + DAY_MS;
  const out = { from: new Date(end - days * DAY_MS), to: new Date(end), label: '' };
  return { ...out, label: describePeriod(out) };
}

/** `TIMESTAMP '2026-10-01 00:00:00.000'` */
export function timestampLiteral(d: Date): string {
  return `TIMESTAMP '${d.toISOString().replace('T', ' ').replace('Z', '')}'`;
}

export function inPeriodSql(timeExpr: string, p: Period): string {
  return `(${timeExpr} >= ${timestampLiteral(p.from)} AND ${timeExpr} < ${timestampLiteral(p.to)})`;
}

/** Day buckets (UTC midnight) that intersect a period, as epoch ms. */
export function dayBuckets(p: Period): number[] {
  const out: number[] = [];
  for (let t = Math.floor(p.from.getTime() / DAY_MS) * DAY_MS; t < p.to.getTime(); t += DAY_MS) out.push(t);
  return out;
}
