/** Many series through the built binary: the worker-thread pool, its progress, and in-order results. */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/run-cli.js';
import { tmpDir, writeFile } from '../support/tmp.js';

const exec = promisify(execFile);
const bin = path.resolve(import.meta.dirname, '../../bin/statsig-hack.js');

interface Out {
  series: { group: string; model: string; forecast: { ds: string; yhat: number; yhat_lower: number; yhat_upper: number }[] }[];
  timing: { workers: number };
}

describe('forecast with worker threads (built binary)', () => {
  it('fits 24 groups on 2 workers with the same results as one thread', async () => {
    const cwd = tmpDir();
    const lines = ['ds,g,y'];
    for (let g = 0; g < 24; g++) {
      for (let i = 0; i < 60; i++) {
        const ds = new Date(Date.UTC(2024, 0, 1 + i)).toISOString().slice(0, 10);
        lines.push(`${ds},g${String(g).padStart(2, '0')},${100 * (g + 1) + ((i * (g + 3)) % 17) + (i % 7) * (g + 1)}`);
      }
    }
    writeFile(cwd, 'many.csv', `${lines.join('\n')}\n`);
    const args = ['forecast', '--data', 'many.csv', '--by', 'g', '--model', 'mstl', '--horizon', '7', '--holidays', 'none', '--json'];
    const r = await exec(process.execPath, [bin, ...args, '--workers', '2'], { cwd, env: { PATH: process.env.PATH, CI: 'true', FORCE_COLOR: '0' } });
    const pooled = JSON.parse(r.stdout) as Out;
    expect(pooled.timing.workers).toBe(2);
    expect(pooled.series.map((s) => s.group)).toEqual(Array.from({ length: 24 }, (_, g) => `g${String(g).padStart(2, '0')}`));
    // Progress goes to stderr as plain lines in CI: a start line and a final line.
    expect(r.stderr).toMatch(/forecasting 24 series\.\.\./);
    expect(r.stderr).toMatch(/forecasting 24 series: done/);
    const inline = (await runCli([...args, '--workers', '0'], { cwd })).json<Out>();
    expect(inline.timing.workers).toBe(0);
    expect(pooled.series.map((s) => s.forecast)).toEqual(inline.series.map((s) => s.forecast));
  }, 60_000);
});
