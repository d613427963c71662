/**
 * Synthetic stores for whatchanged tests: seeded users (country, platform, plan, signup date)
 * and purchase events over a baseline week (2026-10-01..07) and a current week (2026-10-08..14),
 * with changes planted per scenario. Returns the raw events too, for direct computations.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Store } from '../../src/store/store.js';
import { tmpDir } from '../support/tmp.js';
import { mulberry32 } from '../support/rng.js';

export { mulberry32 };


export interface User {
  unit_id: string;
  country: string | null;
  platform: string;
  plan: string;
  created_at: string;
}

export interface Ev {
  unit_id: string;
  event: string;
  ts: string;
  value: number;
  period: 0 | 1;
}

export interface Scenario {
  users?: number;
  seed?: number;
  /** Probability that a user buys at all in the period. */
  active?(u: User, period: 0 | 1): number;
  /** Mean extra purchases per active user (1 + Poisson(lambda)). */
  lambda?(u: User, period: 0 | 1): number;
  /** Mean order value. */
  value?(u: User, period: 0 | 1): number;
  /** Share of users with no country (NULL). */
  nullCountry?: number;
}

export const COUNTRIES = ['US', 'BR', 'DE', 'IN'];
export const PLATFORMS = ['ios', 'android', 'web'];
export const PLANS = ['free', 'pro'];
const DAY = 86_400_000;
export const BASE_FROM = Date.UTC(2026, 9, 1);
export const CUR_FROM = Date.UTC(2026, 9, 8);

function poisson(rand: () => number, lambda: number): number {
  const L = Math.exp(-lambda);
  let k = 0;
  let p = 1;
  do {
    k++;
    p *= rand();
  } while (p > L);
  return k - 1;
}

function iso(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace('Z', '');
}

export function generate(s: Scenario): { users: User[]; events: Ev[] } {
  const rand = mulberry32(s.seed ?? 1);
  const users: User[] = [];
  const n = s.users ?? 3000;
  for (let i = 0; i < n; i++) {
    const country = rand() < (s.nullCountry ?? 0) ? null : (COUNTRIES[Math.floor(rand() * COUNTRIES.length)] as string);
    users.push({
      unit_id: `u${i}`,
      country,
      platform: PLATFORMS[Math.floor(rand() * PLATFORMS.length)] as string,
      plan: PLANS[rand() < 0.3 ? 1 : 0] as string,
      created_at: iso(Date.UTC(2026, 7, 1) + Math.floor(rand() * 56) * DAY),
    });
  }
  const events: Ev[] = [];
  for (const u of users) {
    for (const period of [0, 1] as const) {
      if (rand() >= (s.active?.(u, period) ?? 0.5)) continue;
      const k = 1 + poisson(rand, s.lambda?.(u, period) ?? 1);
      const mean = s.value?.(u, period) ?? 50;
      for (let j = 0; j < k; j++) {
        const start = period === 0 ? BASE_FROM : CUR_FROM;
        const ts = start + Math.floor(rand() * 7 * DAY);
        const value = Math.round(mean * (0.5 + rand()) * 100) / 100;
        events.push({ unit_id: u.unit_id, event: 'purchase', ts: iso(ts), value, period });
      }
    }
  }
  return { users, events };
}

function csv(rows: Record<string, unknown>[], cols: string[]): string {
  const esc = (v: unknown): string => (typeof v === 'string' || typeof v === 'number' ? String(v) : '');
  return `${cols.join(',')}\n${rows.map((r) => cols.map((c) => esc(r[c])).join(',')).join('\n')}\n`;
}

/** Loads users and events into a migrated store. */
export async function load(store: Store, data: { users: User[]; events: Ev[] }): Promise<void> {
  const dir = tmpDir('sh-wc-');
  const uf = path.join(dir, 'users.csv');
  const ef = path.join(dir, 'events.csv');
  fs.writeFileSync(uf, csv(data.users as unknown as Record<string, unknown>[], ['unit_id', 'country', 'platform', 'plan', 'created_at']));
  fs.writeFileSync(ef, csv(data.events as unknown as Record<string, unknown>[], ['unit_id', 'event', 'ts', 'value']));
  await store.run(
    `INSERT INTO users (unit_id, country, platform, plan, created_at) SELECT unit_id, country, platform, plan, CAST(created_at AS TIMESTAMP) FROM read_csv('${uf}', header = true, all_varchar = true)`,
  );
  await store.run(
    `INSERT INTO events (unit_id, event, ts, value) SELECT unit_id, event, CAST(ts AS TIMESTAMP), CAST(value AS DOUBLE) FROM read_csv('${ef}', header = true, all_varchar = true)`,
  );
}

/** Writes events with their user columns as one flat CSV file (the --data mode). */
export function writeFlatCsv(data: { users: User[]; events: Ev[] }, name = 'events.csv'): string {
  const byId = new Map(data.users.map((u) => [u.unit_id, u]));
  const rows = data.events.map((e) => {
    const u = byId.get(e.unit_id) as User;
    return { unit_id: e.unit_id, ts: e.ts, amount: e.value, country: u.country, platform: u.platform, plan: u.plan };
  });
  const file = path.join(tmpDir('sh-wc-'), name);
  fs.writeFileSync(file, csv(rows, ['unit_id', 'ts', 'amount', 'country', 'platform', 'plan']));
  return file;
}
