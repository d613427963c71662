import { describe, expect, it } from 'vitest';
import { runCli } from '../support/run-cli.js';
import { tmpDir, writeFile } from '../support/tmp.js';

const dayOf = (i: number): string => new Date(Date.parse('2024-01-01T00:00:00Z') + i * 86_400_000).toISOString().slice(0, 10);
const WEEK = [0, 60, 90, 80, 40, -120, -150];

describe('forecast components on a short series', () => {
  it('20 daily points with a clear weekly cycle show a weekly season (it went into the trend)', async () => {
    const dir = tmpDir();
    const rows = Array.from({ length: 20 }, (_, i) => `${dayOf(i)},${1000 + 2 * i + (WEEK[i % 7] as number)}`);
    writeFile(dir, 'm.csv', `ds,y\n${rows.join('\n')}\n`);
    const res = await runCli(['forecast', '--data', 'm.csv', '--model', 'naive', '--horizon', '7', '--holidays', 'none', '--json'], { cwd: dir });
    expect(res.code, res.stderr).toBe(0);
    type Out = { series: { components: { trend: number[]; seasonal: { name: string; values: number[] }[] } }[] };
    const c = res.json<Out>().series[0]?.components;
    expect(c?.seasonal.map((s) => s.name)).toEqual(['weekly']);
    const range = (v: number[]): number => Math.max(...v) - Math.min(...v);
    const weekly = c?.seasonal[0]?.values.slice(0, 20) ?? [];
    // The weekly swing (240 peak to trough) is in the season, and the trend over the history is smooth.
    expect(range(weekly)).toBeGreaterThan(150);
    expect(range(c?.trend.slice(0, 20) ?? [])).toBeLessThan(120);
  });
});
