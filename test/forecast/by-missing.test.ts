/**
 * Review 2, finding 11: a missing value in the `--by` column (NA, an empty cell, null, ...) is no
 * group. Those rows are left out and counted, as pandas' groupby drops NaN keys; the other
 * groups' forecasts are exactly what their rows alone give. Real CSV files, real DuckDB.
 */
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/run-cli.js';
import { tmpDir, writeFile } from '../support/tmp.js';

const dayOf = (i: number): string => new Date(Date.parse('2024-01-01T00:00:00Z') + i * 86_400_000).toISOString().slice(0, 10);

interface JsonResult {
  series: { group: string | null; forecast: { ds: string; yhat: number }[] }[];
  warnings: string[];
}

describe('forecast --by with missing group values', () => {
  it('leaves rows whose group is NA, N/A, null or empty out, with a counted warning, instead of a series named "NA"', async () => {
    const dir = tmpDir();
    const lines = ['ds,region,requests'];
    const eu: number[] = [];
    for (let i = 0; i < 28; i++) {
      const v = 100 + (i % 7) * 3 + i;
      eu.push(v);
      lines.push(`${dayOf(i)},eu,${v}`);
      lines.push(`${dayOf(i)},us,${200 + (i % 7) * 5}`);
      // a third of the rows: NA (R / pandas), with a few other missing spellings
      lines.push(`${dayOf(i)},${i < 25 ? 'NA' : i === 25 ? 'N/A' : i === 26 ? '' : 'null'},${900 + i}`);
    }
    writeFile(dir, 'regions.csv', `${lines.join('\n')}\n`);
    const res = await runCli(['forecast', '--data', 'regions.csv', '--time', 'ds', '--value', 'requests', '--by', 'region', '--model', 'naive', '--horizon', '7', '--holidays', 'none', '--json'], { cwd: dir });
    expect(res.code, res.stderr).toBe(0);
    const out = res.json<JsonResult>();
    expect(out.series.map((s) => s.group)).toEqual(['eu', 'us']);
    expect(out.warnings).toContain('28 rows with no region (empty, NA, null, ...) left out: they belong to no group');
    // Seasonal naive: eu's next 7 days repeat its own last 7 values (the NA rows are not mixed in).
    expect(out.series[0]?.forecast.map((p) => p.yhat)).toEqual(eu.slice(-7));
  });

  it('says so when every row has no group', async () => {
    const dir = tmpDir();
    const lines = ['ds,region,requests'];
    for (let i = 0; i < 14; i++) lines.push(`${dayOf(i)},NA,${10 + i}`);
    writeFile(dir, 'none.csv', `${lines.join('\n')}\n`);
    const res = await runCli(['forecast', '--data', 'none.csv', '--time', 'ds', '--value', 'requests', '--by', 'region', '--holidays', 'none'], { cwd: dir });
    expect(res.code).toBe(1);
    expect(res.stderr.split('\n')[0]).toBe('error: every row of none.csv has no region (empty, NA, null, ...)');
  });
});
