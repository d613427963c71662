import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Store } from '../../src/store/store.js';
import {
  MetricMappingError,
  builtinMetrics,
  componentSql,
  experimentMetrics,
  metricComponents,
  metricFromSpec,
  metricKey,
  resolveMetricRef,
} from '../../src/store/metrics.js';
import { offlineProjectSpec, DOMAINS } from '../../src/ai/seed/offline.js';
import { resolveExperimentMetrics } from '../../src/ai/seed/validate.js';

describe('metricFromSpec', () => {
  it('maps every Statsig metric type seed creates', () => {
    expect(metricFromSpec({ name: 'revenue', type: 'sum', metricEvents: [{ name: 'purchase', type: 'value' }] })).toMatchObject({ key: 'revenue', kind: 'sum', event: 'purchase', direction: 'increase' });
    expect(metricFromSpec({ name: 'orders', type: 'event_count_custom', metricEvents: [{ name: 'purchase' }], directionality: 'decrease' })).toMatchObject({ kind: 'count', event: 'purchase', direction: 'decrease' });
    expect(metricFromSpec({ name: 'buyers', type: 'event_user', metricEvents: [{ name: 'purchase' }] })).toMatchObject({ kind: 'any', event: 'purchase' });
    expect(metricFromSpec({ name: 'aov', type: 'mean', metricEvents: [{ name: 'purchase', type: 'value' }] })).toMatchObject({
      kind: 'mean',
      numeratorEvent: 'purchase',
      numeratorAgg: 'sum',
      denominatorEvent: 'purchase',
      denominatorAgg: 'count',
    });
    expect(
      metricFromSpec({ name: 'conv', type: 'ratio', metricEvents: [{ name: 'purchase', type: 'count' }, { name: 'add_to_cart', type: 'count_distinct' }] }),
    ).toMatchObject({ kind: 'ratio', numeratorEvent: 'purchase', numeratorAgg: 'count', denominatorEvent: 'add_to_cart', denominatorAgg: 'any' });
    expect(metricFromSpec({ name: 'rev_per_visit', type: 'ratio', metricEvents: [{ name: 'purchase', type: 'value' }, { name: 'visit' }] })).toMatchObject({ numeratorAgg: 'sum', denominatorAgg: 'count' });
    expect(
      metricFromSpec({ name: 'funnel', type: 'funnel', funnelEventList: [{ name: 'a', type: 'event_count' }, { name: 'b', type: 'event_count' }, { name: 'c', type: 'event_count' }] }),
    ).toMatchObject({ kind: 'ratio', numeratorEvent: 'c', numeratorAgg: 'any', denominatorEvent: 'a', denominatorAgg: 'any' });
  });

  it('refuses what it cannot analyse', () => {
    expect(() => metricFromSpec({ name: 'x', type: 'sum', metricEvents: [{ name: 'p', criteria: [{ type: 'metadata', condition: '=' }] }] })).toThrow(MetricMappingError);
    expect(() => metricFromSpec({ name: 'x', type: 'ratio', metricEvents: [{ name: 'p' }] })).toThrow(/exactly two/);
    expect(() => metricFromSpec({ name: 'x', type: 'composite' })).toThrow(/not supported/);
    expect(() => metricFromSpec(null)).toThrow(MetricMappingError);
  });

  it('has the built-ins for an event and keys them by event:type', () => {
    expect(builtinMetrics('login').map((m) => [m.key, m.kind])).toEqual([
      ['login:event_count', 'count'],
      ['login:event_dau', 'days'],
    ]);
    expect(metricKey({ name: 'login', type: 'event_dau' })).toBe('login:event_dau');
    expect(metricKey({ name: 'revenue', type: 'sum' })).toBe('revenue');
    const custom = new Map<string, unknown>([['revenue', { name: 'revenue', type: 'sum', metricEvents: [{ name: 'purchase' }] }]]);
    expect(resolveMetricRef({ name: 'revenue', type: 'sum', direction: 'decrease' }, custom)).toMatchObject({ kind: 'sum', direction: 'decrease' });
    expect(resolveMetricRef({ name: 'login', type: 'event_count' }, custom)).toMatchObject({ kind: 'count', event: 'login' });
    expect(() => resolveMetricRef({ name: 'nope', type: 'sum' }, custom)).toThrow(/not defined/);
  });

  it('maps every metric of every domain pack', () => {
    for (const domain of DOMAINS) {
      const { spec } = offlineProjectSpec({ prompt: '', domain, seed: 1 });
      for (const m of spec.metrics) expect(() => metricFromSpec(m), `${domain}/${m.name}`).not.toThrow();
      for (const x of spec.experiments) {
        const refs = (x.primaryMetrics ?? []).length + (x.secondaryMetrics ?? []).length;
        expect(resolveExperimentMetrics(spec, x)).toHaveLength(refs);
      }
    }
  });
});

describe('componentSql and experimentMetrics on a store', () => {
  let store: Store;
  beforeAll(async () => {
    store = await Store.memory();
    await store.run(`INSERT INTO events (unit_id, event, ts, value) VALUES
      ('a', 'purchase', TIMESTAMP '2025-01-01 10:00', 10), ('a', 'purchase', TIMESTAMP '2025-01-01 11:00', 5),
      ('a', 'purchase', TIMESTAMP '2025-01-03 09:00', 7), ('a', 'visit', TIMESTAMP '2025-01-01 09:00', NULL),
      ('b', 'visit', TIMESTAMP '2025-01-02 09:00', NULL)`);
    await store.run(`INSERT INTO entities (kind, name, type, spec) VALUES
      ('metrics', 'revenue', 'sum', '{"name":"revenue","type":"sum","metricEvents":[{"name":"purchase","type":"value"}]}'),
      ('experiments', 'exp_a', 'experiment', '{"name":"exp_a","groups":[],"primaryMetrics":[{"name":"revenue","type":"sum"}],"secondaryMetrics":[{"name":"visit","type":"event_dau","direction":"increase"}]}')`);
  });
  afterAll(() => store.close());

  it('computes per-unit components (hand-computed: a = 3 purchases on 2 days worth 22, b = none)', async () => {
    const c = (agg: 'count' | 'sum' | 'any' | 'days') => componentSql({ agg, event: 'purchase' });
    const rows = await store.all(
      `SELECT u.unit_id, ${c('count')} AS n, ${c('sum')} AS s, ${c('any')} AS a, ${c('days')} AS d
       FROM (VALUES ('a'), ('b'), ('c')) u(unit_id) LEFT JOIN events e USING (unit_id) GROUP BY u.unit_id ORDER BY 1`,
    );
    expect(rows.map((r) => [r.unit_id, Number(r.n), Number(r.s), Number(r.a), Number(r.d)])).toEqual([
      ['a', 3, 22, 1, 2],
      ['b', 0, 0, 0, 0],
      ['c', 0, 0, 0, 0],
    ]);
  });

  it('reads an experiment’s metrics from the store', async () => {
    const m = await experimentMetrics(store, 'exp_a');
    expect(m?.primary.map((d) => d.key)).toEqual(['revenue']);
    expect(m?.secondary.map((d) => [d.key, d.kind])).toEqual([['visit:event_dau', 'days']]);
    expect(metricComponents(m!.primary[0]!)).toEqual({ numerator: { agg: 'sum', event: 'purchase' }, denominator: null });
    expect(await experimentMetrics(store, 'missing')).toBeNull();
  });
});
