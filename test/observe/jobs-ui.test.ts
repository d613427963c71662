/** The `jobs` tables fit the terminal, costs have no exponents, and unmeasured figures are not zeros. */
import { describe, expect, it } from 'vitest';
import type { GroupRow } from '../../src/observe/jobs/log.js';
import { formatUsd, renderGroups } from '../../src/ui/jobs.js';

const row = (over: Partial<GroupRow>): GroupRow => ({
  key: 'analyze', jobs: 1234, total_ms: 98_765, mean_ms: 80, max_ms: 4_321, cpu_ms: 90_000, rows_scanned: 8_676_725, bytes_scanned: 123_456_789,
  peak_memory: 45_000_000, errors: 0, last_id: 4321, estimated: 0, cost_usd: 0.000019, share: 0.5, ...over,
});

describe('jobs tables', () => {
  it('fits 100 columns, hiding the least useful columns and saying so', () => {
    const rows = [row({}), row({ key: 'garden_gnome_search_ranking_with_a_long_name', errors: 3 }), row({ key: 'whatchanged' })];
    const text = renderGroups('experiment', rows, 100);
    for (const line of text.split('\n')) expect(line.length).toBeLessThanOrEqual(100);
    expect(text).toMatch(/hidden to fit 100 columns/);
    expect(renderGroups('experiment', rows, undefined)).toContain('8,676,725');
  });

  it('marks a key whose every run failed, and leaves unmeasured figures blank rather than 0', () => {
    const text = renderGroups('experiment', [row({ key: 'nope', jobs: 2, errors: 2, rows_scanned: null, bytes_scanned: null, peak_memory: null })]);
    expect(text).toContain('nope (every run failed)');
    expect(text).not.toMatch(/\b0 B\b/);
  });

  it('writes dollars without exponents', () => {
    expect(formatUsd(0.000019)).toBe('$0.000019');
    expect(formatUsd(0.00046)).toBe('$0.00046');
    expect(formatUsd(0.0123)).toBe('$0.01');
    expect(formatUsd(12.5)).toBe('$12.50');
    expect(formatUsd(1e-9)).toBe('<$0.000001');
    for (const x of [1e-6, 3.3e-6, 0.00999]) expect(formatUsd(x)).not.toMatch(/e/);
  });
});

describe('jobs show: SQL with control characters', () => {
  it('spells U+001F in a literal as chr(31), so the copied SQL still runs', async () => {
    const { printableSql } = await import('../../src/ui/jobs.js');
    expect(printableSql("SELECT CAST(ga AS VARCHAR) || '\u001f' || CAST(gb AS VARCHAR)")).toBe('SELECT CAST(ga AS VARCHAR) || chr(31) || CAST(gb AS VARCHAR)');
    expect(printableSql("SELECT 'a\u001fb', 'x'")).toBe("SELECT 'a' || chr(31) || 'b', 'x'");
    expect(printableSql("SELECT 'it''s', 1\u001b[31m")).toBe("SELECT 'it''s', 1[31m");
  });
});
