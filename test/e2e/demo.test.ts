import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/run-cli.js';
import { tmpDir, writeFile } from '../support/tmp.js';

const exec = promisify(execFile);
const bin = path.resolve(import.meta.dirname, '../../bin/statsig-hack.js');

describe('demo', () => {
  it('seeds, analyzes and sets each estimate next to the planted truth (built binary)', { timeout: 120_000 }, async () => {
    const cwd = tmpDir();
    const r = await exec(process.execPath, [bin, 'demo', '--users', '3000', '--json'], { cwd, env: { PATH: process.env.PATH, CI: 'true', FORCE_COLOR: '0' } });
    const d = JSON.parse(r.stdout);
    expect(d.db).toBe(path.join(cwd, '.statsig-hack', 'demo.duckdb'));
    expect(fs.existsSync(path.join(cwd, '.statsig-hack', 'project.duckdb'))).toBe(false);
    expect(d.counts.experiments).toBeGreaterThanOrEqual(3);
    expect(d.rows.length).toBeGreaterThanOrEqual(d.counts.experiments);
    for (const row of d.rows) {
      expect(row.ci[0]).toBeLessThanOrEqual(row.estimate);
      expect(row.ci[1]).toBeGreaterThanOrEqual(row.estimate);
    }
    expect(d.coverage.total).toBeGreaterThan(0);
    expect(d.coverage.covered / d.coverage.total).toBeGreaterThanOrEqual(0.75);
    expect(r.stderr).toContain('Seeding a 3,000-user demo project');
    // The drill-down of the planted one-segment anomaly names that segment first.
    expect(d.drilldown.result.dimensions.length).toBeGreaterThan(0);
    expect(d.drilldown.result.summary.length).toBeGreaterThan(10);
    expect(d.forecast.points).toHaveLength(14);
    for (const p of d.forecast.points) expect(p.yhat_lower).toBeLessThanOrEqual(p.yhat_upper);
    // The Wrapped card lies next to the store: a PNG of 1200x630.
    expect(d.pictures.wrapped).toBe(path.join(cwd, '.statsig-hack', 'demo-wrapped.png'));
    const png = fs.readFileSync(d.pictures.wrapped);
    expect(png.subarray(1, 4).toString('ascii')).toBe('PNG');
    expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([1200, 630]);
    expect(d.pictures.map).toBe(path.join(cwd, '.statsig-hack', 'demo-map.png'));
    expect(fs.readFileSync(d.pictures.map).subarray(1, 4).toString('ascii')).toBe('PNG');

    // Re-running replaces its own project; the human output names the store and the coverage line.
    const again = await exec(process.execPath, [bin, 'demo', '--users', '3000'], { cwd, env: { PATH: process.env.PATH, CI: 'true', FORCE_COLOR: '0' } });
    expect(again.stdout).toMatch(/The planted effect lies inside the 95% CI for \d+ of \d+ metrics/);
    expect(again.stdout).toMatch(/Pictures:\n {2}DAU by country map: .*demo-map\.png\n {2}Wrapped card: .*demo-wrapped\.png/);
  });

  it('refuses to replace a project it did not write', async () => {
    const cwd = tmpDir();
    await runCli(['init'], { cwd });
    writeFile(cwd, 'u.csv', 'unit_id\nmine\n');
    expect((await runCli(['import', 'u.csv', '--into', 'users'], { cwd })).code).toBe(0);
    const r = await runCli(['demo', '--users', '500', '--db', '.statsig-hack/project.duckdb'], { cwd });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('the demo will not replace it');
    const q = await runCli(['query', 'SELECT unit_id FROM users', '--json'], { cwd });
    expect(q.json().rows).toEqual([{ unit_id: 'mine' }]);
  });
});
