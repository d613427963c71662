import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Store } from '../../src/store/store.js';
import { offlineProjectSpec } from '../../src/ai/seed/offline.js';
import { writeSeedProject, type SeedSummary } from '../../src/ai/seed/service.js';
import { planSeedData } from '../../src/ai/seed/plan.js';
import { generateSeedData } from '../../src/store/seed-data.js';
import { assignGroup, passesPercentage, statsigHash } from '../../src/store/hash.js';
import { componentSql, metricComponents } from '../../src/store/metrics.js';
import type { ProjectSpec } from '../../src/ai/seed/schema.js';

const PARAMS = { seed: 5, users: 3000, days: 28, preDays: 14, start: '2025-11-03' };
const META = { prompt: 'test', source: 'offline' as const, domain: 'ecommerce', theme: 'test' };

async function fingerprint(store: Store): Promise<string> {
  const rows = await store.all(`SELECT
      (SELECT count(*) || ':' || sum(hash(unit_id, event, ts, value, metadata::VARCHAR) % 1000000007) FROM events) AS e,
      (SELECT count(*) || ':' || sum(hash(unit_id, experiment, group_name, first_exposure) % 1000000007) FROM exposures) AS x,
      (SELECT count(*) || ':' || sum(hash(unit_id, country, platform, plan, created_at, attributes::VARCHAR, tenure_days, channel) % 1000000007) FROM users) AS u,
      (SELECT string_agg(experiment || metric || group_name || segment || round(abs_effect, 9), ',' ORDER BY experiment, metric, group_name, segment) FROM true_effects) AS t`);
  return JSON.stringify(rows[0]);
}

describe('seed data generation', () => {
  let spec: ProjectSpec;
  let store: Store;
  let summary: SeedSummary;

  beforeAll(async () => {
    spec = offlineProjectSpec({ prompt: 'test', domain: 'ecommerce', seed: PARAMS.seed }).spec;
    store = await Store.memory();
    summary = await writeSeedProject(store, spec, PARAMS, META);
  });
  afterAll(() => store.close());

  it('writes entities, users, exposures, events, true effects and metadata', async () => {
    expect(summary.counts.users).toBe(3000);
    expect(summary.counts.events).toBeGreaterThan(3000 * 42 * 0.6);
    expect(summary.counts.exposures).toBeGreaterThan(3000);
    const kinds = await store.all<{ kind: string; n: number }>(`SELECT kind, count(*) AS n FROM entities GROUP BY 1 ORDER BY 1`);
    expect(Object.fromEntries(kinds.map((k) => [k.kind, Number(k.n)]))).toEqual({ dynamic_configs: 2, experiments: 4, gates: 4, layers: 1, metrics: 7, segments: 2 });
    const keys = await store.all<{ key: string }>(`SELECT key FROM project ORDER BY 1`);
    expect(keys.map((k) => k.key)).toEqual(['anomalies', 'assignment', 'dynamics', 'events', 'holidays', 'intended_effects', 'population', 'project', 'seed', 'window']);
    expect(summary.window).toEqual({ pre_start: '2025-10-20', start: '2025-11-03', end: '2025-12-01', pre_days: 14, days: 28 });
    const span = await store.all<{ lo: Date; hi: Date }>(`SELECT min(ts) AS lo, max(ts) AS hi FROM events`);
    expect(span[0]!.lo.toISOString() >= '2025-10-20T00:00:00.000Z').toBe(true);
    expect(span[0]!.hi.toISOString() < '2025-12-01T00:00:00.000Z').toBe(true);
  });

  it('is deterministic by seed', async () => {
    const again = await Store.memory();
    const other = await Store.memory();
    try {
      await writeSeedProject(again, spec, PARAMS, META);
      await writeSeedProject(other, spec, { ...PARAMS, seed: 6 }, META);
      expect(await fingerprint(again)).toBe(await fingerprint(store));
      expect(await fingerprint(other)).not.toBe(await fingerprint(store));
    } finally {
      again.close();
      other.close();
    }
  });

  it('assigns exactly as the Statsig SDK would (groups, allocation, layers, targeting gate)', async () => {
    const exps = new Map(spec.experiments.map((x) => [x.name, x]));
    const rows = await store.all<{ unit_id: string; experiment: string; group_name: string; platform: string }>(
      `SELECT e.unit_id, e.experiment, e.group_name, u.platform FROM exposures e JOIN users u USING (unit_id) ORDER BY 1, 2`,
    );
    const layered = spec.experiments.filter((x) => x.layerID === 'checkout_layer').map((x) => x.name);
    expect(layered).toHaveLength(2);
    for (const r of rows) {
      const x = exps.get(r.experiment)!;
      const gi = assignGroup(x.name, r.unit_id, x.groups.map((g) => g.size));
      expect(x.groups[gi]!.name).toBe(r.group_name);
      const slot = Number(statsigHash('checkout_layer', r.unit_id) % 10000n);
      if (r.experiment === layered[0]) expect(slot).toBeLessThan(5000);
      else if (r.experiment === layered[1]) expect(slot >= 5000 && slot < 9000).toBe(true);
      else if ((x.allocation ?? 100) < 100) expect(passesPercentage(`${x.name}.allocation`, r.unit_id, x.allocation ?? 100)).toBe(true);
      if (x.targetingGateID === 'mobile_app_users') expect(['ios', 'android']).toContain(r.platform);
    }
    // no unit is in both experiments of the layer
    const both = await store.all(`SELECT unit_id FROM exposures WHERE experiment IN ('${layered[0]}', '${layered[1]}') GROUP BY 1 HAVING count(*) > 1`);
    expect(both).toHaveLength(0);
  });

  it('puts every event of the exposure day after the first exposure', async () => {
    const rows = await store.all<{ n: number }>(
      `SELECT count(*) AS n FROM exposures x JOIN events e USING (unit_id) WHERE CAST(e.ts AS DATE) = CAST(x.first_exposure AS DATE) AND e.ts < x.first_exposure`,
    );
    expect(Number(rows[0]!.n)).toBe(0);
  });

  it('uses real public holidays per country (date-holidays) and records them', async () => {
    const rows = await store.all<{ value: string }>(`SELECT value FROM project WHERE key = 'holidays'`);
    const holidays = JSON.parse(rows[0]!.value) as { country: string; date: string; name: string }[];
    expect(holidays).toContainEqual({ country: 'US', date: '2025-11-27', name: 'Thanksgiving Day' });
    expect(holidays).toContainEqual({ country: 'FR', date: '2025-11-11', name: 'Armistice Day' });
    // ecommerce: activity x1.25 on holidays. US users on Thanksgiving vs the Thursday before, relative to everyone else.
    const r = await store.all<{ us: number; other: number }>(`
      SELECT (count(*) FILTER (WHERE u.country = 'US' AND e.ts::DATE = DATE '2025-11-27')) / (count(*) FILTER (WHERE u.country = 'US' AND e.ts::DATE = DATE '2025-11-20'))::DOUBLE AS us,
             (count(*) FILTER (WHERE u.country <> 'US' AND e.ts::DATE = DATE '2025-11-27')) / (count(*) FILTER (WHERE u.country <> 'US' AND e.ts::DATE = DATE '2025-11-20'))::DOUBLE AS other
      FROM events e JOIN users u USING (unit_id)`);
    expect(r[0]!.us / r[0]!.other).toBeGreaterThan(1.12);
  });

  it('injects the recorded anomalies', async () => {
    expect(summary.anomalies.map((a) => a.kind)).toEqual(['outage', 'spike', 'level_shift']);
    const outage = summary.anomalies[0]!;
    const platform = outage.segment!.split('=')[1]!;
    const r = await store.all<{ on: number; before: number }>(`
      SELECT count(*) FILTER (WHERE e.ts::DATE = DATE '${outage.start}') AS on,
             count(*) FILTER (WHERE e.ts::DATE = DATE '${outage.start}' - INTERVAL 7 DAY) AS before
      FROM events e JOIN users u USING (unit_id) WHERE e.event = '${outage.event}' AND u.platform = '${platform}'`);
    expect(Number(r[0]!.on) / Number(r[0]!.before)).toBeLessThan(0.4);
  });

  it('records true effects that equal the intended multiplicative effects where they act alone', () => {
    const intent = (x: string, g: string, m: string) => spec.true_effects.find((t) => t.experiment === x && t.group === g && t.metric === m)!;
    const truth = (x: string, g: string, m: string, seg = 'all') => summary.experiments.find((e) => e.name === x)!.true_effects.find((t) => t.group === g && t.metric === m && t.segment === seg)!;
    const ship = spec.experiments[1]!.name;
    expect(truth(ship, 'Test', 'orders').rel).toBeCloseTo(intent(ship, 'Test', 'orders').relative, 9);
    expect(truth(ship, 'Test', 'revenue').rel).toBeCloseTo(intent(ship, 'Test', 'revenue').relative, 9);
    const onePage = spec.experiments[0]!.name;
    const cc = intent(onePage, 'Test', 'cart_conversion');
    expect(truth(onePage, 'Test', 'cart_conversion', 'platform=ios').rel).toBeCloseTo(cc.segments[0]!.relative, 9);
    expect(truth(onePage, 'Test', 'revenue', 'platform=ios').rel).toBeCloseTo(intent(onePage, 'Test', 'revenue').segments[0]!.relative, 9);
    // every (experiment, metric, non-control group) has an overall truth
    for (const x of summary.experiments) {
      const pairs = (x.primary_metrics.length + x.secondary_metrics.length) * (x.groups.length - 1);
      expect(x.true_effects.filter((t) => t.segment === 'all')).toHaveLength(pairs);
    }
  });

  it('gives the metrics pre-period signal (CUPED covariate correlated with the outcome)', async () => {
    const r = await store.all<{ c: number }>(`
      WITH pu AS (
        SELECT x.unit_id,
          count(*) FILTER (WHERE e.event = 'product_view' AND e.ts < TIMESTAMP '2025-11-03') AS pre,
          count(*) FILTER (WHERE e.event = 'product_view' AND e.ts >= x.first_exposure) AS post
        FROM exposures x LEFT JOIN events e USING (unit_id)
        WHERE x.experiment = '${spec.experiments[2]!.name}' GROUP BY 1)
      SELECT corr(pre, post) AS c FROM pu`);
    expect(r[0]!.c).toBeGreaterThan(0.5);
  });
});

describe('true effects are recovered by a plain difference in means', () => {
  it('covers the recorded truth with the 95% CI in >= 90% of (experiment, metric, group) triples over 4 seeds', async () => {
    let covered = 0;
    let total = 0;
    for (const seed of [1, 2, 3, 4]) {
      const { spec } = offlineProjectSpec({ prompt: 'x', domain: seed % 2 === 0 ? 'saas' : 'gaming', seed });
      const input = planSeedData(spec, { seed, users: 2500, days: 14, preDays: 7, start: '2025-11-03' });
      const store = await Store.memory();
      try {
        const res = await store.transaction(() => generateSeedData(store, input));
        for (const x of input.experiments) {
          const control = x.groups[x.control]!.name;
          for (const m of x.metrics) {
            const { numerator, denominator } = metricComponents(m);
            const c = (comp: typeof numerator) => componentSql(comp, { event: 'v.event', value: 'v.value', ts: 'v.ts' });
            const rows = await store.all<{ g: string; n: number; my: number; mz: number; vy: number; vz: number; cyz: number }>(`
              WITH pu AS (SELECT e.unit_id, e.group_name AS g, ${c(numerator)} AS y, ${denominator ? c(denominator) : '1'} AS z
                FROM exposures e LEFT JOIN events v ON v.unit_id = e.unit_id AND v.ts >= e.first_exposure
                WHERE e.experiment = '${x.name}' GROUP BY ALL)
              SELECT g, count(*) AS n, avg(y) AS my, avg(z) AS mz, var_samp(y) AS vy, var_samp(z) AS vz, covar_samp(y, z) AS cyz FROM pu GROUP BY 1`);
            const by = new Map(rows.map((r) => [r.g, r]));
            const ctl = by.get(control)!;
            for (const g of x.groups) {
              if (g.name === control) continue;
              const t = by.get(g.name)!;
              const truth = res.trueEffects.find((e) => e.experiment === x.name && e.metric === m.key && e.group === g.name && e.segment === 'all')!;
              let est: number;
              let se: number;
              if (!denominator) {
                est = t.my - ctl.my;
                se = Math.sqrt(t.vy / t.n + ctl.vy / ctl.n);
              } else {
                const ratio = (r: typeof t) => r.my / r.mz;
                const v = (r: typeof t) => (r.vy / r.mz ** 2 - (2 * r.my * r.cyz) / r.mz ** 3 + (r.my ** 2 * r.vz) / r.mz ** 4) / r.n;
                est = ratio(t) - ratio(ctl);
                se = Math.sqrt(v(t) + v(ctl));
              }
              total++;
              if (Math.abs(est - truth.abs) <= 1.96 * se) covered++;
            }
          }
        }
      } finally {
        store.close();
      }
    }
    expect(total).toBeGreaterThanOrEqual(60);
    expect(covered / total).toBeGreaterThanOrEqual(0.9);
  }, 120_000);
});

describe('transactions', () => {
  it('a failed seed leaves the previous project intact', async () => {
    const store = await Store.memory();
    try {
      const spec = offlineProjectSpec({ prompt: 'first', domain: 'media', seed: 1 }).spec;
      await writeSeedProject(store, spec, { ...PARAMS, users: 500, days: 7, preDays: 3 }, META);
      const before = await fingerprint(store);
      const other = offlineProjectSpec({ prompt: 'second', domain: 'fintech', seed: 2 }).spec;
      const run = store.run.bind(store);
      // fault injection on the real store: the events insert fails half-way through the seed
      store.run = async (sql, params) => {
        if (sql.trimStart().startsWith('INSERT INTO events')) throw new Error('disk full (injected)');
        return run(sql, params);
      };
      await expect(writeSeedProject(store, other, { ...PARAMS, users: 400, days: 7, preDays: 3 }, META)).rejects.toThrow(/injected/);
      store.run = run;
      expect(await fingerprint(store)).toBe(before);
      const name = await store.all<{ value: string }>(`SELECT value FROM project WHERE key = 'project'`);
      expect(JSON.parse(name[0]!.value).name).toBe('First Media');
      const temps = await store.all(`SELECT table_name FROM information_schema.tables WHERE table_name LIKE 'seed_tmp%'`);
      expect(temps).toHaveLength(0);
    } finally {
      store.close();
    }
  });
});
