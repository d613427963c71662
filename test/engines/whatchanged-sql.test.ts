/** whatchanged's warehouse SQL per dialect: one SELECT, no CTE or GROUPING SETS, the dialect's quoting, dates and joins. */
import { describe, expect, it } from 'vitest';
import { DIALECT_NAMES, dialectFor } from '../../src/engines/dialect.js';
import { parsePeriod } from '../../src/stats/whatchanged/period.js';
import { dailySql, groupingsSql, parseTimestampText, quantilesSql, type WarehousePlan } from '../../src/engines/whatchanged/warehouse-sql.js';

const plan = (name: (typeof DIALECT_NAMES)[number]): WarehousePlan => {
  const d = dialectFor(name);
  return {
    dialect: d,
    tables: { events: d.table('lake.events'), users: d.table('lake.users'), exposures: d.table('lake.exposures') },
    event: "o'clock",
    agg: 'sum',
    periods: { baseline: parsePeriod('--baseline', '2026-10-01..2026-10-07'), current: parsePeriod('--current', '2026-10-08..2026-10-14') },
    value: 'value',
    where: null,
    dims: [
      { name: 'country', kind: 'user', builtin: 'country' },
      { name: 'cohort', kind: 'user', builtin: 'cohort' },
      { name: 'experiment:x', kind: 'experiment', experiment: 'x' },
    ],
  };
};

describe('whatchanged warehouse SQL', () => {
  it('is one SELECT in every dialect: no WITH, no GROUPING SETS, one JOIN per SELECT level, quoted tables', () => {
    for (const name of DIALECT_NAMES) {
      const sql = groupingsSql(plan(name), [[], [0], [1], [2], [0, 2]]);
      expect(sql.startsWith('SELECT ')).toBe(true);
      expect(sql).not.toMatch(/\bWITH\b|GROUPING SETS|FILTER \(/);
      expect(sql).toContain(dialectFor(name).table('lake.users'));
      // Nested joins: users, then the experiment's exposures.
      expect(sql.match(/LEFT JOIN/g)).toHaveLength(2);
      expect(sql).toContain('CROSS JOIN (SELECT 0 AS __grp UNION ALL SELECT 1 AS __grp UNION ALL SELECT 2 AS __grp UNION ALL SELECT 3 AS __grp UNION ALL SELECT 4 AS __grp)');
    }
  });

  it('uses each dialect\'s timestamps, day and week text, string escapes and join settings', () => {
    const ch = groupingsSql(plan('clickhouse'), [[0]]);
    expect(ch).toContain("toDateTime('2026-10-01 00:00:00')");
    expect(ch).toContain('toString(toMonday(__u_created_at))');
    expect(ch).toContain("event = 'o\\'clock'");
    expect(ch.endsWith('SETTINGS join_use_nulls = 1')).toBe(true);
    expect(dailySql(plan('clickhouse'))).toContain('toString(toDate(ts))');
    const pg = groupingsSql(plan('postgres'), [[0]]);
    expect(pg).toContain("TIMESTAMP '2026-10-01 00:00:00.000'");
    expect(pg).toContain("event = 'o''clock'");
    expect(pg).toContain("CAST(CAST(date_trunc('week', __u_created_at) AS DATE) AS TEXT)");
    expect(pg).not.toContain('SETTINGS');
    expect(groupingsSql(plan('bigquery'), [[1]])).toContain('DATE_TRUNC(CAST(__u_created_at AS DATE), ISOWEEK)');
    expect(quantilesSql(plan('postgres'), [0.5])).toContain('percentile_cont(0.5) WITHIN GROUP (ORDER BY __v)');
  });

  it('groups only by the key slots some grouping uses (PostgreSQL refuses GROUP BY a constant)', () => {
    const totalsOnly = groupingsSql(plan('postgres'), [[]]);
    expect(totalsOnly).toMatch(/GROUP BY __grp, __period$/);
    expect(totalsOnly).toContain("'' AS k1, '' AS k2");
  });

  it('reads engine timestamp text as UTC', () => {
    expect(parseTimestampText('2026-10-14 23:59:00')?.toISOString()).toBe('2026-10-14T23:59:00.000Z');
    expect(parseTimestampText('2026-10-14 23:59:00.123')?.toISOString()).toBe('2026-10-14T23:59:00.123Z');
    expect(parseTimestampText('2026-10-14 23:59:00+00')?.toISOString()).toBe('2026-10-14T23:59:00.000Z');
    expect(parseTimestampText('2026-10-14T20:00:00-02:00')?.toISOString()).toBe('2026-10-14T22:00:00.000Z');
    expect(parseTimestampText(null)).toBeNull();
    expect(parseTimestampText('nope')).toBeNull();
  });
});
