/**
 * whatchanged versus a direct computation from the raw rows in JavaScript (plain loops), on
 * random data: file data whose dimension values vary within a unit, file data without a unit
 * column, the store with --where, and periods of different lengths.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Store } from '../../src/store/store.js';
import { readerSql } from '../../src/store/import.js';
import { normalSf } from '../../src/stats/distributions.js';
import { parsePeriod, whatChanged, type Agg, type SegmentResult, type WhatChangedResult } from '../../src/engines/whatchanged/index.js';
import { tmpDir } from '../support/tmp.js';
import { generate, load, mulberry32 } from './fixtures.js';

interface Row {
  unit: string;
  t: number;
  amount: number | null;
  country: string | null;
  device: string;
}

const DAY = 86_400_000;
const B0 = Date.UTC(2026, 9, 1);
const C0 = Date.UTC(2026, 9, 8);

function makeRows(seed: number, n: number): Row[] {
  const rand = mulberry32(seed);
  const rows: Row[] = [];
  for (let i = 0; i < n; i++) {
    const u = Math.floor(rand() * 300);
    const t = B0 + Math.floor(rand() * 14 * DAY);
    const cur = t >= C0;
    const country = u % 10 === 0 ? null : (['US', 'BR', 'DE'][u % 3] as string);
    // The device varies per event, so a unit is in several device segments.
    const device = rand() < (cur && country === 'BR' ? 0.7 : 0.4) ? 'mobile' : 'desktop';
    const amount = rand() < 0.05 ? null : Math.round((cur && device === 'mobile' ? 30 : 40) * (0.5 + rand()) * 100) / 100;
    rows.push({ unit: `u${u}`, t, amount, country, device });
  }
  return rows;
}

function writeCsv(rows: Row[], withUnit: boolean): string {
  const head = withUnit ? 'unit_id,ts,amount,country,device' : 'ts,amount,country,device';
  const lines = rows.map((r) => {
    const ts = new Date(r.t).toISOString().replace('T', ' ').replace('.000Z', '');
    const cells = [ts, r.amount ?? '', r.country ?? '', r.device];
    return (withUnit ? [r.unit, ...cells] : cells).join(',');
  });
  const file = path.join(tmpDir('sh-wc-direct-'), withUnit ? 'events.csv' : 'rows.csv');
  fs.writeFileSync(file, `${head}\n${lines.join('\n')}\n`);
  return file;
}

interface Agged {
  n: number;
  v: number;
  c: number;
  vv: number;
}

/** Direct: per segment value and period, aggregate rows into units (or rows), then sums. */
function direct(rows: Row[], agg: Agg, key: (r: Row) => string, unitOf: (r: Row, i: number) => string, base: [number, number], cur: [number, number]) {
  const perUnit = new Map<string, { p: number; seg: string; v: number; c: number }>();
  rows.forEach((r, i) => {
    if (agg !== 'count' && r.amount === null) return;
    const p = r.t >= base[0] && r.t < base[1] ? 0 : r.t >= cur[0] && r.t < cur[1] ? 1 : -1;
    if (p < 0) return;
    const seg = key(r);
    const k = `${p}|${seg}|${unitOf(r, i)}`;
    const e = perUnit.get(k) ?? { p, seg, v: 0, c: 0 };
    e.v += agg === 'count' ? 1 : (r.amount as number);
    e.c += 1;
    perUnit.set(k, e);
  });
  const out = new Map<string, [Agged, Agged]>();
  for (const e of perUnit.values()) {
    const pair = out.get(e.seg) ?? [
      { n: 0, v: 0, c: 0, vv: 0 },
      { n: 0, v: 0, c: 0, vv: 0 },
    ];
    const s = pair[e.p] as Agged;
    s.n += 1;
    s.v += e.v;
    s.c += e.c;
    s.vv += e.v * e.v;
    out.set(e.seg, pair);
  }
  return out;
}

const stores: Store[] = [];
afterAll(() => stores.forEach((s) => s.close()));

async function fileRun(file: string, agg: Agg, dims: string[], extra: { unit?: string } = {}): Promise<WhatChangedResult> {
  const store = await Store.memory({ migrate: false });
  stores.push(store);
  return whatChanged(store, {
    metric: 'amount',
    agg,
    baseline: parsePeriod('--baseline', '2026-10-01..2026-10-07'),
    current: parsePeriod('--current', '2026-10-08..2026-10-14'),
    dimensions: dims,
    data: { relation: readerSql(file), source: path.basename(file), time: 'ts', value: 'amount', ...extra },
  });
}

function seg(r: WhatChangedResult, dim: string, value: string): SegmentResult {
  const s = r.dimensions.find((d) => d.dimension === dim)?.segments.find((x) => x.value === value);
  if (!s) throw new Error(`no segment ${dim}=${value}`);
  return s;
}

describe('file data versus a direct computation', () => {
  const rows = makeRows(7, 3000);
  const file = writeCsv(rows, true);

  for (const agg of ['count', 'sum', 'mean'] as Agg[]) {
    it(`${agg}: units whose device varies per event are counted once per segment`, async () => {
      const r = await fileRun(file, agg, ['device', 'country']);
      for (const [dim, key] of [
        ['device', (x: Row) => x.device],
        ['country', (x: Row) => x.country ?? '(none)'],
      ] as const) {
        const d = direct(rows, agg, key, (x) => x.unit, [B0, C0], [C0, C0 + 7 * DAY]);
        expect(r.dimensions.find((x) => x.dimension === dim)?.segments.length).toBe(d.size);
        for (const [value, [b, c]] of d) {
          const s = seg(r, dim, value);
          expect(s.baseline_units).toBe(b.n);
          expect(s.current_units).toBe(c.n);
          if (agg === 'mean') {
            expect(s.baseline).toBeCloseTo(b.v / b.c, 9);
            expect(s.current).toBeCloseTo(c.v / c.c, 9);
            expect(s.baseline_size).toBe(b.c);
          } else {
            expect(s.baseline).toBeCloseTo(b.v, 6);
            expect(s.current).toBeCloseTo(c.v, 6);
            expect(s.impact).toBeCloseTo(c.v - b.v, 6);
            // z-test on the totals, from the direct per-unit sums of squares.
            const z = (c.v - b.v) / Math.sqrt(b.vv + c.vv);
            expect(s.p_value).toBeCloseTo(Math.min(1, 2 * normalSf(Math.abs(z))), 10);
          }
        }
      }
      // Headline units: distinct units per period, not unit-segment pairs.
      const units = (p: 0 | 1) => new Set(rows.filter((x) => (agg === 'count' || x.amount !== null) && (p === 0 ? x.t < C0 : x.t >= C0)).map((x) => x.unit)).size;
      expect(r.headline.baseline_units).toBe(units(0));
      expect(r.headline.current_units).toBe(units(1));
      for (const d of r.dimensions) expect(d.segments.reduce((a, s) => a + s.impact, 0)).toBeCloseTo(r.headline.delta as number, 8);
    });
  }

  it('without a unit column every row is a unit', async () => {
    const noUnit = writeCsv(rows, false);
    const r = await fileRun(noUnit, 'sum', ['country']);
    const d = direct(rows, 'sum', (x) => x.country ?? '(none)', (_x, i) => `row${i}`, [B0, C0], [C0, C0 + 7 * DAY]);
    for (const [value, [b, c]] of d) {
      const s = seg(r, 'country', value);
      expect(s.baseline_units).toBe(b.n);
      expect(s.current).toBeCloseTo(c.v, 6);
    }
    expect(r.headline.baseline_units).toBe(rows.filter((x) => x.amount !== null && x.t < C0).length);
    expect(r.headline.noise?.baseline_days).toBe(7);
  });
});

describe('store versus a direct computation', () => {
  const data = generate({ seed: 21, users: 1500, value: (u, p) => (u.plan === 'pro' ? 80 : 40) * (p === 1 && u.platform === 'web' ? 0.7 : 1) });

  it('--where filters the events before anything is computed', async () => {
    const store = await Store.memory();
    stores.push(store);
    await load(store, data);
    const r = await whatChanged(store, {
      metric: 'purchase',
      agg: 'sum',
      baseline: parsePeriod('--baseline', '2026-10-01..2026-10-07'),
      current: parsePeriod('--current', '2026-10-08..2026-10-14'),
      dimensions: ['platform'],
      where: "plan = 'pro' AND value > 20",
    });
    const plan = new Map(data.users.map((u) => [u.unit_id, u]));
    const kept = data.events.filter((e) => plan.get(e.unit_id)?.plan === 'pro' && e.value > 20);
    for (const p of ['ios', 'android', 'web']) {
      const evs = kept.filter((e) => plan.get(e.unit_id)?.platform === p);
      const b = evs.filter((e) => e.period === 0);
      const c = evs.filter((e) => e.period === 1);
      const s = seg(r, 'platform', p);
      expect(s.baseline).toBeCloseTo(b.reduce((a, e) => a + e.value, 0), 6);
      expect(s.current).toBeCloseTo(c.reduce((a, e) => a + e.value, 0), 6);
      expect(s.current_units).toBe(new Set(c.map((e) => e.unit_id)).size);
    }
    expect(r.settings.where).toBe("plan = 'pro' AND value > 20");
  });

  it('periods of different lengths: totals scale the baseline to the current length', async () => {
    const store = await Store.memory();
    stores.push(store);
    await load(store, data);
    const r = await whatChanged(store, {
      metric: 'purchase',
      agg: 'count',
      baseline: parsePeriod('--baseline', '2026-10-01..2026-10-07'),
      current: parsePeriod('--current', '2026-10-08..2026-10-10'),
      dimensions: ['country'],
    });
    const k = 3 / 7;
    expect(r.headline.scale).toBeCloseTo(k, 14);
    const b = data.events.filter((e) => e.period === 0).length;
    const c = data.events.filter((e) => e.ts < '2026-10-11' && e.ts >= '2026-10-08').length;
    expect(r.headline.baseline).toBeCloseTo(k * b, 9);
    expect(r.headline.current).toBe(c);
    expect(r.notices.join('\n')).toMatch(/periods differ in length \(7 days vs 3 days\)/);
    const d = r.dimensions[0];
    expect(d?.segments.reduce((a, s) => a + s.impact, 0)).toBeCloseTo(c - k * b, 8);
    expect(d?.segments.reduce((a, s) => a + s.mix + s.rate, 0)).toBeCloseTo(c - k * b, 8);
    // Means do not scale.
    const m = await whatChanged(store, {
      metric: 'purchase',
      agg: 'mean',
      baseline: parsePeriod('--baseline', '2026-10-01..2026-10-07'),
      current: parsePeriod('--current', '2026-10-08..2026-10-10'),
      dimensions: ['country'],
    });
    expect(m.headline.scale).toBe(1);
    expect(m.notices).toEqual([]);
  });
});
