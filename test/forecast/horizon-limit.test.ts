import { describe, expect, it } from 'vitest';
import { runCli } from '../support/run-cli.js';
import { tmpDir, writeFile } from '../support/tmp.js';

const dayOf = (i: number): string => new Date(Date.parse('2024-01-01T00:00:00Z') + i * 86_400_000).toISOString().slice(0, 10);

function history(n: number): string {
  const rows = Array.from({ length: n }, (_, i) => `${dayOf(i)},${100 + (i % 7) * 5 + i}`);
  return `ds,y\n${rows.join('\n')}\n`;
}

describe('forecast --horizon limits', () => {
  it('refuses a horizon above the absolute cap before any work, naming the largest allowed', async () => {
    const dir = tmpDir();
    writeFile(dir, 'm.csv', history(42));
    const t0 = performance.now();
    const res = await runCli(['forecast', '--data', 'm.csv', '--model', 'naive', '--horizon', '100000', '--holidays', 'none'], { cwd: dir });
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/--horizon must be at most 10000/);
    expect(res.stderr).not.toMatch(/\n\s+at /);
    expect(performance.now() - t0).toBeLessThan(10_000);
  });

  it('refuses a horizon more than 10x the history with a hint naming the largest allowed', async () => {
    const dir = tmpDir();
    writeFile(dir, 'm.csv', history(42));
    const res = await runCli(['forecast', '--data', 'm.csv', '--model', 'naive', '--horizon', '2000', '--holidays', 'none'], { cwd: dir });
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/--horizon 2000 is more than 10x the history's 42 points/);
    expect(res.stderr).toMatch(/largest horizon allowed for this history is 420/);
  });

  it('warns when the horizon is longer than the history but within the limit', async () => {
    const dir = tmpDir();
    writeFile(dir, 'm.csv', history(42));
    const res = await runCli(['forecast', '--data', 'm.csv', '--model', 'naive', '--horizon', '60', '--holidays', 'none', '--json'], { cwd: dir });
    expect(res.code, res.stderr).toBe(0);
    const out = res.json<{ warnings: string[]; series: { forecast: unknown[] }[] }>();
    expect(out.series[0]?.forecast).toHaveLength(60);
    expect(out.warnings.join('\n')).toMatch(/--horizon 60 is longer than the history \(42 points\)/);
  });
});
