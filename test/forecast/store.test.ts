import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadStoreSeries } from '../../src/forecast/data.js';
import { Store } from '../../src/store/store.js';
import { runCli } from '../support/run-cli.js';
import { tmpStore } from '../support/tmp.js';

const DAYS = 35;
const COUNTRIES = ['US', 'GB', 'DE'];
const dayOf = (d: number): string => new Date(Date.UTC(2024, 2, 1 + d)).toISOString().slice(0, 10);
const epochOf = (d: number): number => Date.UTC(2024, 2, 1 + d) / 1000;

/** Unit i (country COUNTRIES[i % 3]) has `1 + (i + d) % 2` sessions on day d when (i + d) % 3 != 0. */
const active = (i: number, d: number): boolean => (i + d) % 3 !== 0;
/** Purchases: unit i buys on days d with (i * d) % 7 == 1, value i + d; none at all on day 10. */
const buys = (i: number, d: number): boolean => d !== 10 && (i * d) % 7 === 1;
/** DAU counts a unit with any event that day. */
const seen = (i: number, d: number): boolean => active(i, d) || buys(i, d);

let dir = '';
let file = '';
let store: Store;

beforeAll(async () => {
  const t = await tmpStore();
  dir = t.dir;
  file = t.file;
  store = t.store;
  const users = Array.from({ length: 30 }, (_, i) => `('u${i}', '${COUNTRIES[i % 3]}', '${i % 2 ? 'ios' : 'web'}', 'free')`);
  await store.run(`INSERT INTO users (unit_id, country, platform, plan) VALUES ${users.join(',')}`);
  const events: string[] = [];
  for (let i = 0; i < 30; i++) {
    for (let d = 0; d < DAYS; d++) {
      if (active(i, d)) for (let k = 0; k < 1 + ((i + d) % 2); k++) events.push(`('u${i}', 'session', TIMESTAMP '${dayOf(d)} 0${k + 1}:30:00', NULL, '{"app":"${i % 2 ? 'mobile' : 'desktop'}"}')`);
      if (buys(i, d)) events.push(`('u${i}', 'purchase', TIMESTAMP '${dayOf(d)} 12:00:00', ${i + d}, NULL)`);
    }
  }
  await store.run(`INSERT INTO events (unit_id, event, ts, value, metadata) VALUES ${events.join(',')}`);
});

afterAll(() => {
  try {
    store.close();
  } catch {
    // already closed
  }
});

describe('store-mode daily series (SQL aggregation)', () => {
  it('dau: distinct active units per day, overall and by a users column', async () => {
    const all = await loadStoreSeries(store, { metric: 'dau' });
    expect(all.agg).toBe('dau');
    expect(all.raw).toHaveLength(1);
    const expected = Array.from({ length: DAYS }, (_, d) => Array.from({ length: 30 }, (_, i) => i).filter((i) => seen(i, d)).length);
    expect(all.raw[0]?.points.map((p) => p.sum)).toEqual(expected);
    expect(all.raw[0]?.points.map((p) => p.t)).toEqual(Array.from({ length: DAYS }, (_, d) => epochOf(d)));

    const by = await loadStoreSeries(store, { metric: 'dau', by: 'country' });
    expect(by.byKind).toBe('users');
    for (const s of by.raw) {
      const c = COUNTRIES.indexOf(s.key as string);
      const want = Array.from({ length: DAYS }, (_, d) => Array.from({ length: 30 }, (_, i) => i).filter((i) => i % 3 === c && seen(i, d)).length);
      expect(s.points.map((p) => p.sum), s.key ?? '').toEqual(want);
    }
  });

  it('count, sum and mean of an event; days without events are 0 for counts and sums, missing for means', async () => {
    const count = await loadStoreSeries(store, { metric: 'purchase', agg: 'count' });
    const sum = await loadStoreSeries(store, { metric: 'purchase', agg: 'sum' });
    const mean = await loadStoreSeries(store, { metric: 'purchase', agg: 'mean' });
    const firstDay = Math.min(...Array.from({ length: DAYS }, (_, d) => d).filter((d) => Array.from({ length: 30 }, (_, i) => i).some((i) => buys(i, d))));
    const byDay = (d: number) => Array.from({ length: 30 }, (_, i) => i).filter((i) => buys(i, d));
    const c10 = count.raw[0]?.points.find((p) => p.t === epochOf(10));
    expect(c10?.sum).toBe(0);
    expect(sum.raw[0]?.points.find((p) => p.t === epochOf(10))?.sum).toBe(0);
    expect(mean.raw[0]?.points.find((p) => p.t === epochOf(10))).toBeUndefined();
    for (const d of [firstDay, 12, 20]) {
      const units = byDay(d);
      expect(count.raw[0]?.points.find((p) => p.t === epochOf(d))?.sum).toBe(units.length);
      const total = units.reduce((a, i) => a + i + d, 0);
      expect(sum.raw[0]?.points.find((p) => p.t === epochOf(d))?.sum).toBe(total);
      expect(mean.raw[0]?.points.find((p) => p.t === epochOf(d))?.sum).toBeCloseTo(total / units.length, 12);
    }
  });

  it('--by an event metadata key', async () => {
    const res = await loadStoreSeries(store, { metric: 'session', by: 'app' });
    expect(res.byKind).toBe('metadata');
    expect(res.raw.map((s) => s.key).sort()).toEqual(['desktop', 'mobile']);
    const mobile = res.raw.find((s) => s.key === 'mobile');
    const sessions = (d: number) => Array.from({ length: 30 }, (_, i) => i).filter((i) => i % 2 === 1 && active(i, d)).reduce((a, i) => a + 1 + ((i + d) % 2), 0);
    expect(mobile?.points.map((p) => p.sum)).toEqual(Array.from({ length: DAYS }, (_, d) => sessions(d)));
  });

  it('names unknown metrics and grouping keys', async () => {
    await expect(loadStoreSeries(store, { metric: 'signup' })).rejects.toThrow(/no events named "signup"/);
    // a usage error (exit 2, as whatchanged), with a did-you-mean
    await expect(loadStoreSeries(store, { metric: 'sesion' })).rejects.toMatchObject({ message: 'no events named "sesion" in the project store (did you mean "session"?)', exitCode: 2 });
    await expect(loadStoreSeries(store, { metric: 'session', by: 'browser' })).rejects.toMatchObject({
      message: expect.stringMatching(/--by browser: no users column and no event metadata key of that name/),
      hint: expect.stringMatching(/metadata keys: app/),
    });
    await expect(loadStoreSeries(store, { metric: 'session', agg: 'sum' })).rejects.toThrow(/--agg sum: the "session" events have no value/);
  });
});

describe('forecast --metric (store mode)', () => {
  it('forecasts DAU by country with each country’s holidays', async () => {
    store.close();
    const res = await runCli(['forecast', '--metric', 'dau', '--experiment-free', '--by', 'country', '--model', 'naive', '--horizon', '7', '--json', '--db', file], { cwd: dir });
    store = await Store.open(file);
    expect(res.code, res.stderr).toBe(0);
    const out = res.json<{ source: { metric: string; agg: string }; series: { group: string; country: string; forecast: { ds: string; yhat: number }[] }[] }>();
    expect(out.source).toMatchObject({ metric: 'dau', agg: 'dau' });
    expect(out.series.map((s) => s.group)).toEqual(['DE', 'GB', 'US']);
    for (const s of out.series) {
      expect(s.country).toBe(s.group);
      const c = COUNTRIES.indexOf(s.group);
      const last7 = Array.from({ length: 7 }, (_, k) => DAYS - 7 + k).map((d) => Array.from({ length: 30 }, (_, i) => i).filter((i) => i % 3 === c && seen(i, d)).length);
      expect(s.forecast.map((p) => p.yhat)).toEqual(last7);
      expect(s.forecast[0]?.ds).toBe(dayOf(DAYS));
    }
  });

  it('says when the store is missing', async () => {
    const res = await runCli(['forecast', '--metric', 'dau', '--db', `${dir}/nope.duckdb`], { cwd: dir });
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/no project store at/);
  });
});
