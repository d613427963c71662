/**
 * Store mode's DuckDB unit-level query (src/engines/experiment-store-units.ts) against per-unit values
 * computed here from the same events, for every component (count, sum, any, distinct days with
 * the bitmask and with the count(DISTINCT) fallback), and against the portable query warehouses
 * run, on hand-made events and on a seeded project: the same analysis to 1e-9.
 */
import { describe, expect, it } from 'vitest';
import { Store } from '../../src/store/store.js';
import { analyzeExperiment, type ExperimentAnalyzeOptions } from '../../src/engines/experiment.js';
import { daysFitMask, storeUnitsSql } from '../../src/engines/experiment-store-units.js';
import { dialectFor } from '../../src/engines/dialect.js';
import { offlineProjectSpec } from '../../src/ai/seed/offline.js';
import { writeSeedProject } from '../../src/ai/seed/service.js';
import { mulberry32 } from '../support/rng.js';
import { expectSameResult } from '../engines/same.js';

const DAY = 86_400_000;
const START = Date.UTC(2026, 2, 1);
const iso = (ms: number): string => new Date(ms).toISOString().replace('T', ' ').replace('Z', '');

interface Ev {
  unit: string;
  event: string;
  ts: number;
  value: number | null;
}

const METRICS = [
  { name: 'revenue', type: 'sum', metricEvents: [{ name: 'purchase', type: 'value' }] },
  { name: 'aov', type: 'mean', metricEvents: [{ name: 'purchase', type: 'value' }] },
  { name: 'buyers', type: 'event_user', metricEvents: [{ name: 'purchase' }] },
  { name: 'views_per_session', type: 'ratio', metricEvents: [{ name: 'page_view', type: 'count' }, { name: 'session', type: 'count_distinct' }] },
  { name: 'checkout_funnel', type: 'funnel', funnelEventList: [{ name: 'page_view' }, { name: 'purchase' }] },
];

/** A store with one experiment over `days` days of events (and `pre` days before it), random but fixed. */
async function handMade(days: number, seed: number): Promise<{ store: Store; events: Ev[]; exposure: Map<string, { group: string; at: number }> }> {
  const r = mulberry32(seed);
  const store = await Store.memory();
  const exposure = new Map<string, { group: string; at: number }>();
  const events: Ev[] = [];
  for (let i = 0; i < 160; i += 1) {
    const unit = `u${i}`;
    // First exposures spread over the first week, at any time of day.
    const at = START + Math.floor(r() * 7 * DAY);
    exposure.set(unit, { group: r() < 0.5 ? 'control' : 'test', at });
    const n = i % 9 === 0 ? 0 : Math.floor(r() * 30);
    for (let j = 0; j < n; j += 1) {
      // From 20 days before the start (some before the 14-day pre-period) to the end.
      const ts = START - 20 * DAY + Math.floor(r() * (days + 20) * DAY);
      const event = ['purchase', 'page_view', 'session', 'other'][Math.floor(r() * 4)] as string;
      events.push({ unit, event, ts, value: event === 'purchase' ? (r() < 0.2 ? null : Math.round(r() * 10_000) / 100) : null });
    }
    // Events at the exact exposure instant and a millisecond before (post and pre on the same day).
    if (i % 5 === 0) events.push({ unit, event: 'session', ts: at, value: null }, { unit, event: 'session', ts: at - 1, value: null });
  }
  await store.run(`INSERT INTO entities (kind, name, type, status, spec) VALUES ${[
    ...METRICS.map((m) => `('metrics', '${m.name}', '${m.type}', 'active', '${JSON.stringify(m)}')`),
    `('experiments', 'exp', 'experiment', 'active', '${JSON.stringify({
      name: 'exp',
      groups: [{ name: 'control', size: 50 }, { name: 'test', size: 50 }],
      primaryMetrics: [{ name: 'revenue' }, { name: 'aov' }, { name: 'views_per_session' }],
      secondaryMetrics: [{ name: 'buyers' }, { name: 'checkout_funnel' }, { name: 'session', type: 'event_dau' }, { name: 'page_view', type: 'event_count' }],
    })}')`,
  ].join(', ')}`);
  await store.run(`INSERT INTO users (unit_id, country, platform, plan, channel, tenure_days) VALUES ${[...exposure.keys()].map((u, i) => `('${u}', '${['US', 'DE', 'BR'][i % 3]}', '${i % 2 ? 'ios' : 'web'}', 'free', 'ads', ${i % 17})`).join(', ')}`);
  await store.run(`INSERT INTO exposures VALUES ${[...exposure].map(([u, x]) => `('${u}', 'exp', '${x.group}', TIMESTAMP '${iso(x.at)}')`).join(', ')}`);
  await store.run(`INSERT INTO events (unit_id, event, ts, value) VALUES ${events.map((e) => `('${e.unit}', '${e.event}', TIMESTAMP '${iso(e.ts)}', ${e.value ?? 'NULL'})`).join(', ')}`);
  return { store, events, exposure };
}

/** One component per unit and period, from the events: what the SQL must return. */
function expected(events: Ev[], at: number, preDays: number, event: string, agg: 'count' | 'sum' | 'any' | 'days', post: boolean): number {
  const own = events.filter((e) => e.event === event && (post ? e.ts >= at : e.ts < at && e.ts >= at - preDays * DAY));
  if (agg === 'count') return own.length;
  if (agg === 'sum') return own.reduce((s, e) => s + (e.value ?? 0), 0);
  if (agg === 'any') return own.length > 0 ? 1 : 0;
  return new Set(own.map((e) => Math.floor(e.ts / DAY))).size;
}

const OPTS: ExperimentAnalyzeOptions = { experiment: 'exp', metrics: [], ratios: [], covariates: [], preDays: 14, alpha: 0.05, tails: 'two', correction: 'none' };

async function unitTable(store: Store): Promise<Map<string, Record<string, unknown>>> {
  const rows = await store.all('SELECT * FROM "__exp"');
  return new Map(rows.map((r) => [String(r.unit_id), r]));
}

describe('store mode: the DuckDB unit-level query', () => {
  it('is plain subqueries (no CTE), a bitmask for distinct days only when the window fits 62 days', () => {
    const plan = {
      tables: { events: 'events', exposures: 'exposures', users: 'users' },
      experiment: "it's",
      preDays: 14,
      columns: [{ alias: 'm0_v_post', component: { agg: 'days' as const, event: 'session' }, post: true }],
      properties: ['country'],
    };
    const d = dialectFor('duckdb');
    const fits = storeUnitsSql({ ...plan, daySpan: 48 }, d);
    expect(fits).not.toMatch(/\bWITH\b/i);
    expect(fits).toContain("experiment = 'it''s'");
    expect(fits).toContain('bit_or(day_bit)');
    expect(storeUnitsSql({ ...plan, daySpan: 49 }, d)).toContain('count(DISTINCT day)');
    expect(storeUnitsSql({ ...plan, daySpan: null }, d)).toContain('count(DISTINCT day)');
  });

  it.each([
    // 30 days: day offsets fit the bitmask; 70 days: they do not, count(DISTINCT) takes over.
    { days: 30, mask: true },
    { days: 70, mask: false },
  ])('per-unit components equal the values computed from the events ($days days)', async ({ days, mask }) => {
    const { store, events, exposure } = await handMade(days, days);
    try {
      const [span] = await store.all<{ s: number }>("SELECT CAST(max(ts) AS DATE) - (SELECT CAST(min(first_exposure) AS DATE) FROM exposures) AS s FROM events");
      expect(daysFitMask(14, Number(span?.s))).toBe(mask);
      for (const preDays of [14, 3]) {
        await analyzeExperiment(store, { ...OPTS, preDays, method: 'none' });
        const got = await unitTable(store);
        expect(got.size).toBe(exposure.size);
        // m0 revenue (sum), m1 aov (sum/count), m2 views_per_session (count/any), m3 buyers (any), m4 funnel (any/any), m5 session days, m6 page_view count.
        const cols: [string, string, 'count' | 'sum' | 'any' | 'days'][] = [
          ['m0_v', 'purchase', 'sum'],
          ['m1_den', 'purchase', 'count'],
          ['m2_num', 'page_view', 'count'],
          ['m2_den', 'session', 'any'],
          ['m3_v', 'purchase', 'any'],
          ['m5_v', 'session', 'days'],
        ];
        let checked = 0;
        for (const [unit, x] of exposure) {
          const own = events.filter((e) => e.unit === unit);
          const row = got.get(unit) as Record<string, unknown>;
          expect(row.group_name).toBe(x.group);
          for (const [col, event, agg] of cols) {
            expect(row[`${col}_post`], `${unit} ${col}_post`).toBeCloseTo(expected(own, x.at, preDays, event, agg, true), 9);
            // A pre-period column equal to an earlier one is shared (m1_num_pre is m0_v_pre).
            if (`${col}_pre` in row) expect(row[`${col}_pre`], `${unit} ${col}_pre`).toBeCloseTo(expected(own, x.at, preDays, event, agg, false), 9);
            checked += 1;
          }
        }
        expect(checked).toBe(exposure.size * cols.length);
        // Units with no events at all are there, with zeros.
        expect(got.get('u0')?.m6_v_post).toBe(0);
      }
    } finally {
      store.close();
    }
  });

  it('the analysis equals the portable (warehouse) query on the same store, every method', async () => {
    const { store } = await handMade(30, 5);
    try {
      for (const method of ['none', 'cuped', 'cupac'] as const) {
        const fast = await analyzeExperiment(store, { ...OPTS, method });
        const fastRows = await unitTable(store);
        const portable = await analyzeExperiment(store, { ...OPTS, method, unitSql: 'portable' });
        expectSameResult(await unitTable(store), fastRows);
        expectSameResult(portable, fast);
      }
    } finally {
      store.close();
    }
  });

  it('a seeded project: every experiment analyses the same with both queries', async () => {
    const store = await Store.memory();
    try {
      const spec = offlineProjectSpec({ prompt: 'units', domain: 'ecommerce', seed: 3 }).spec;
      await writeSeedProject(store, spec, { seed: 3, users: 1500, days: 21, preDays: 14, start: '2025-11-03' }, { prompt: 'units', source: 'offline', domain: 'ecommerce', theme: 'test' });
      const experiments = (await store.all<{ e: string }>('SELECT DISTINCT experiment AS e FROM exposures ORDER BY 1')).map((r) => r.e);
      expect(experiments.length).toBeGreaterThan(1);
      for (const experiment of experiments) {
        const fast = await analyzeExperiment(store, { ...OPTS, experiment });
        const portable = await analyzeExperiment(store, { ...OPTS, experiment, unitSql: 'portable' });
        expect(fast.results.length).toBeGreaterThan(0);
        expectSameResult(portable, fast);
      }
    } finally {
      store.close();
    }
  }, 120_000);
});
