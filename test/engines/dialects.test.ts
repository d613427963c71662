/**
 * The SQL each dialect generates, checked for structure (no snapshots): identifier and string
 * quoting, filtered aggregates as FILTER or CASE, casts, finiteness and quantiles, and the full
 * moments query of an analysis (only COUNT/SUM aggregates, grouped by the variant). For the
 * engines that cannot run here (BigQuery, Snowflake, Databricks, Trino) this is the test.
 */
import { describe, expect, it } from 'vitest';
import { DIALECTS, DIALECT_NAMES, type DialectName } from '../../src/engines/dialect.js';
import { buildMomentsQuery } from '../../src/engines/sql.js';
import { levelKey } from '../../src/engines/profile.js';
import { chooseEngine, openEngine } from '../../src/engines/open.js';
import { componentSql } from '../../src/store/metrics.js';
import { bandCountQuery, interpolate, quantileRow, quantileStatsQuery } from '../../src/engines/percentile-query.js';
import { segmentGroupExpr } from '../../src/engines/segments-query.js';

const FILTER: Record<DialectName, boolean> = { duckdb: true, postgres: true, clickhouse: false, bigquery: false, snowflake: false, databricks: true, trino: true };
const BACKTICK: DialectName[] = ['bigquery', 'databricks'];

describe('dialects', () => {
  it('quote identifiers and strings per engine, hostile names included', () => {
    for (const name of DIALECT_NAMES) {
      const d = DIALECTS[name];
      if (BACKTICK.includes(name)) {
        expect(d.ident('we`ird')).toBe('`we\\`ird`');
        expect(d.table('proj.ds.events')).toBe('`proj`.`ds`.`events`');
      } else {
        expect(d.ident('we"ird')).toBe('"we""ird"');
        expect(d.table('analytics.events')).toBe('"analytics"."events"');
      }
      const lit = d.literal("it's \\ here");
      expect(lit.startsWith("'") && lit.endsWith("'")).toBe(true);
      // No unescaped quote can end the literal early.
      expect(lit.slice(1, -1).replace(/''|\\'|\\\\/g, '')).not.toMatch(/'/);
      expect(d.number(Number.NaN)).not.toContain('NaN');
      expect(d.number(0.1)).toContain('0.10000000000000001');
    }
  });

  it('filtered COUNT and SUM: FILTER (WHERE ...) where the engine has it, else CASE', () => {
    for (const name of DIALECT_NAMES) {
      const d = DIALECTS[name];
      expect(d.count()).toBe('COUNT(*)');
      if (FILTER[name]) {
        expect(d.count('x > 1')).toBe('COUNT(*) FILTER (WHERE x > 1)');
        expect(d.sum('y', 'x > 1')).toBe('SUM(y) FILTER (WHERE x > 1)');
      } else {
        expect(d.count('x > 1')).toBe('SUM(CASE WHEN x > 1 THEN 1 ELSE 0 END)');
        expect(d.sum('y', 'x > 1')).toBe('SUM(CASE WHEN x > 1 THEN y END)');
      }
    }
  });

  it('casts, finiteness, quantiles and intervals in each engine\'s own words', () => {
    const d = DIALECTS;
    expect([d.duckdb.double('x'), d.postgres.double('x'), d.clickhouse.double('x'), d.bigquery.double('x'), d.snowflake.double('x'), d.databricks.double('x'), d.trino.double('x')]).toEqual([
      'CAST(x AS DOUBLE)',
      'CAST(x AS DOUBLE PRECISION)',
      'toFloat64(x)',
      'CAST(x AS FLOAT64)',
      'CAST(x AS DOUBLE)',
      'CAST(x AS DOUBLE)',
      'CAST(x AS DOUBLE)',
    ]);
    expect(d.bigquery.text('g')).toBe('CAST(g AS STRING)');
    expect(d.postgres.isFinite('v')).toContain("NOT IN (CAST('NaN' AS DOUBLE PRECISION)");
    expect(d.bigquery.isFinite('v')).toBe('(NOT IS_NAN(v) AND NOT IS_INF(v))');
    expect(d.trino.isFinite('v')).toBe('is_finite(v)');
    expect(d.postgres.quantile('v', 0.99)).toBe('percentile_cont(0.99) WITHIN GROUP (ORDER BY v)');
    expect(d.snowflake.quantile('v', 0.99)).toBe('PERCENTILE_CONT(0.99) WITHIN GROUP (ORDER BY v)');
    expect(d.bigquery.quantile('v', 0.99)).toBe('APPROX_QUANTILES(v, 1000)[OFFSET(990)]');
    expect(d.postgres.days(14)).toBe("INTERVAL '14' DAY");
    expect(d.clickhouse.days(14)).toBe('INTERVAL 14 DAY');
  });

  it('the moments query of a CUPAC analysis: one pass, COUNT/SUM only, grouped by variant and covariate cell', () => {
    for (const name of DIALECT_NAMES) {
      const d = DIALECTS[name];
      const q = buildMomentsQuery(
        d.table('analytics.exp'),
        d.ident('variant'),
        [{ key: 'revenue', filter: `${d.ident('revenue')} IS NOT NULL`, columns: [{ name: 'revenue', expr: d.double(d.ident('revenue')) }, { name: 'pre', expr: d.double(d.ident('pre_revenue')) }, { name: 'country=US', expr: '', indicator: { key: 0, level: 'US' } }], shift: [10, 9, 0] }],
        { __rows: d.count() },
        [levelKey('country', ['US', "O'Hare"], d)],
        d,
      );
      const sql = q.sql;
      expect(sql).toContain(`FROM ${d.table('analytics.exp')}`);
      expect(sql).toMatch(/GROUP BY __group, __k0\nORDER BY __group, __k0$/);
      expect(sql).toContain(`${d.text(d.ident('variant'))} AS __group`);
      expect(sql).toContain(d.literal("O'Hare"));
      // Aggregates: COUNT(*) and SUM(...) only (plus FILTER/CASE), never AVG/VAR/STDDEV or engine-only ones.
      const aggs = [...sql.matchAll(/\b([A-Za-z_]+)\(/g)].map((m) => (m[1] as string).toUpperCase());
      expect(aggs.filter((f) => !['COUNT', 'SUM', 'CAST', 'COALESCE', 'TOFLOAT64', 'TOSTRING'].includes(f))).toEqual([]);
      // n, 2 sums, 3 cross-products (the indicator is folded from the cells, not summed).
      expect(sql.match(/\bSUM\(/g)?.length).toBe(FILTER[name] ? 5 : 6);
      if (FILTER[name]) expect(sql).toContain('FILTER (WHERE __f0)');
      else expect(sql).not.toContain('FILTER');
      expect(sql).toContain(d.number(10));
      // Decoding works the same whatever the engine's number types (pg: bigint as text).
      const rows = [
        { __group: 'control', __k0: 'US', a0: '2', a1: 1, a2: 2, a3: 1, a4: 1, a5: 1, a6: 4 },
        { __group: 'control', __k0: '__other', a0: 1, a1: 0, a2: 0, a3: 0, a4: 0, a5: 0, a6: 1 },
      ];
      const m = q.decode(rows).get('revenue')?.get('control');
      expect(m?.n).toBe(3);
      expect(m?.sums[2]).toBe(2 * (1 - 0));
      expect(q.extras(rows).get('__rows')?.get('control')).toBe(5);
    }
  });

  it('percentiles: the exact quantile aggregate where the engine has one, else ROW_NUMBER order statistics interpolated as type 7', () => {
    for (const name of DIALECT_NAMES) {
      const d = DIALECTS[name];
      const sql = quantileStatsQuery(d, d.table('a.exp'), 'variant', d.double(d.ident('revenue')), 0.9);
      expect(sql).toContain(`${d.text(d.ident('variant'))} AS __group`);
      expect(sql).toMatch(/GROUP BY __group ORDER BY __group$/);
      if (name === 'bigquery' || name === 'trino') {
        expect(d.exactQuantile).toBe(false);
        expect(sql).toContain('ROW_NUMBER() OVER (PARTITION BY __group ORDER BY __x)');
        expect(sql).not.toMatch(/APPROX|approx_percentile/);
      } else {
        expect(d.exactQuantile).toBe(true);
        expect(sql).toContain(`${d.quantile('__x', 0.9)} AS q`);
      }
      const band = bandCountQuery(d, d.table('a.exp'), 'variant', '__v', [{ group: "c'1", q: 2, h: 0.5 }]);
      expect(band).toContain(`__x BETWEEN ${d.number(1.5)} AND ${d.number(2.5)}`);
      expect(band).toContain(d.literal("c'1"));
      expect(segmentGroupExpr('variant', 'country', d)).toBe(`(${d.text(d.ident('variant'))} || ${d.literal('\u001f')} || COALESCE(${d.text(d.ident('country'))}, ${d.literal('(none)')}))`);
    }
    expect(DIALECTS.clickhouse.quantile('x', 0.9)).toContain('arraySort(groupArray(x))');
    expect(DIALECTS.databricks.quantile('x', 0.5)).toBe('percentile_cont(0.5) WITHIN GROUP (ORDER BY x)');
    // numpy.quantile([1, 2, 3, 4], 0.9) = 3.7; ([10, 20], 0.5) = 15; one value: itself.
    expect(interpolate(3, 4, 4, 0.9)).toBeCloseTo(3.7, 12);
    expect(interpolate(10, 20, 2, 0.5)).toBe(15);
    expect(interpolate(7, 7, 1, 0.9)).toBe(7);
    // The ranked row: p = 0.9 (3, 4), quartiles of [1, 2, 3, 4]: 1.75 and 3.25 (numpy).
    const row = quantileRow({ n: '4', lo0: 3, hi0: 4, lo1: 1, hi1: 2, lo2: 3, hi2: 4, sd: 1.2 }, 0.9);
    expect(row.q).toBeCloseTo(3.7, 12);
    expect(row.iqr).toBeCloseTo(3.25 - 1.75, 12);
    expect(quantileRow({ n: 4, q: 3.7, iqr: 1.5, sd: 1.2 }, 0.9)).toEqual({ n: 4, q: 3.7, iqr: 1.5, sd: 1.2 });
  });

  it('metric components in each dialect (experiment mode)', () => {
    expect(componentSql({ agg: 'count', event: "o'rder" }, {}, DIALECTS.clickhouse)).toBe("SUM(CASE WHEN event = 'o\\'rder' THEN 1 ELSE 0 END)");
    expect(componentSql({ agg: 'sum', event: 'buy' }, {}, DIALECTS.postgres)).toBe("coalesce(SUM(value) FILTER (WHERE event = 'buy'), 0)");
    expect(componentSql({ agg: 'sum', event: 'buy' }, {}, DIALECTS.bigquery)).toBe("coalesce(SUM(CASE WHEN event = 'buy' THEN value END), 0)");
  });

  it('--engine: unknown names are usage errors; missing settings are named; the config password key is refused', async () => {
    expect(() => chooseEngine('oracle', {}, {})).toThrow(/--engine oracle is not an engine/);
    expect(chooseEngine(undefined, {}, {})).toBeNull();
    expect(chooseEngine('duckdb', { engine: { type: 'postgres' } }, {})).toBeNull();
    // Settings written for another engine are not applied to this one.
    expect(chooseEngine('trino', { engine: { type: 'postgres', host: 'db' } }, {})?.settings).toEqual({ type: 'trino' });
    expect(chooseEngine(undefined, { engine: { type: 'postgres', host: 'db' } }, {})).toMatchObject({ type: 'postgres', explicit: false });
    // Each HTTP engine names the setting it lacks before contacting anything.
    await expect(openEngine({ type: 'databricks', settings: { type: 'databricks' }, env: {} })).rejects.toThrow(/needs engine.url \(the workspace\) and engine.options.warehouse/);
    await expect(openEngine({ type: 'bigquery', settings: { type: 'bigquery' }, env: {} })).rejects.toThrow(/needs engine.options.project/);
    await expect(openEngine({ type: 'trino', settings: { type: 'trino' }, env: {} })).rejects.toThrow(/needs engine.url/);
    const { configSchema } = await import('../../src/core/config-schema.js');
    const bad = configSchema.safeParse({ engine: { type: 'postgres', password: 'x' } });
    expect(bad.success).toBe(false);
    expect(JSON.stringify(bad.error?.issues)).toContain('secrets come from env only');
    expect(configSchema.safeParse({ engine: { type: 'postgres', host: 'h', port: 5432, tables: { events: 'a.events' } } }).success).toBe(true);
  });
});
