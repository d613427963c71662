import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, baseEnv } from '../support/run-cli.js';
import { tmpDir, writeFile } from '../support/tmp.js';

const dayOf = (i: number, start = '2024-01-01'): string => new Date(Date.parse(`${start}T00:00:00Z`) + i * 86_400_000).toISOString().slice(0, 10);

function csv(rows: (string | number)[][], header = ['ds', 'y']): string {
  return `${[header, ...rows].map((r) => r.join(',')).join('\n')}\n`;
}

interface JsonResult {
  series: { group: string | null; model: string; forecast: { ds: string; yhat: number; yhat_lower: number; yhat_upper: number }[]; notes: string[]; anomalies: unknown[] }[];
  warnings: string[];
  files: string[];
  timing: { workers: number };
}

/** Three groups with different weekly shapes and levels. */
function groupedRows(): (string | number)[][] {
  const rows: (string | number)[][] = [];
  for (const [g, level] of [
    ['a', 10],
    ['b', 200],
    ['c', 3000],
  ] as const) {
    for (let i = 0; i < 28; i++) rows.push([dayOf(i), g, level + ((i * 7 + level) % 11) + (i % 7) * (level / 10)]);
  }
  return rows;
}

describe('forecast --data', () => {
  it('--by fits each group on its own rows', async () => {
    const dir = tmpDir();
    const rows = groupedRows();
    writeFile(dir, 'm.csv', csv(rows, ['ds', 'g', 'y']));
    const res = await runCli(['forecast', '--data', 'm.csv', '--by', 'g', '--model', 'naive', '--horizon', '7', '--holidays', 'none', '--json'], { cwd: dir });
    expect(res.code, res.stderr).toBe(0);
    const out = res.json<JsonResult>();
    expect(out.series.map((s) => s.group)).toEqual(['a', 'b', 'c']);
    for (const s of out.series) {
      // Seasonal naive: the next 7 days repeat the group's last 7 values.
      const last7 = rows.filter((r) => r[1] === s.group).slice(-7).map((r) => r[2]);
      expect(s.forecast.map((p) => p.yhat)).toEqual(last7);
      expect(s.forecast[0]?.ds).toBe('2024-01-29');
    }
    // The same group alone gives the same MSTL forecast as inside the group-by.
    writeFile(dir, 'b.csv', csv(rows.filter((r) => r[1] === 'b').map((r) => [r[0] as string, r[2] as number])));
    const grouped = await runCli(['forecast', '--data', 'm.csv', '--by', 'g', '--model', 'mstl', '--horizon', '5', '--holidays', 'none', '--json'], { cwd: dir });
    const alone = await runCli(['forecast', '--data', 'b.csv', '--model', 'mstl', '--horizon', '5', '--holidays', 'none', '--json'], { cwd: dir });
    const gb = grouped.json<JsonResult>().series.find((s) => s.group === 'b');
    expect(gb?.forecast).toEqual(alone.json<JsonResult>().series[0]?.forecast);
  });

  it('handles gaps and duplicate timestamps, and says what it did', async () => {
    const dir = tmpDir();
    const y = Array.from({ length: 21 }, (_, i) => 100 + i * 2 + (i % 7) * 5);
    const rows: (string | number)[][] = [];
    for (let i = 0; i < 21; i++) {
      if (i === 16) continue; // a gap
      if (i === 18) {
        rows.push([dayOf(i), 10], [dayOf(i), 20]); // a duplicate
        continue;
      }
      rows.push([dayOf(i), y[i] as number]);
    }
    writeFile(dir, 'gaps.csv', csv(rows));
    const args = ['forecast', '--data', 'gaps.csv', '--model', 'naive', '--horizon', '7', '--holidays', 'none', '--json'];
    const res = await runCli(args, { cwd: dir });
    expect(res.code, res.stderr).toBe(0);
    const s = res.json<JsonResult>().series[0];
    // Last week of the grid: day 16 interpolated between days 15 and 17, day 18 the mean of 10 and 20.
    expect(s?.forecast.map((p) => p.yhat)).toEqual([y[14], y[15], ((y[15] as number) + (y[17] as number)) / 2, y[17], 15, y[19], y[20]]);
    expect(res.stderr).toMatch(/1 duplicate timestamp in ds: values averaged \(--duplicates mean\|sum\|error\)/);
    expect(s?.notes.join(' ')).toMatch(/1 missing daily point/);
    const sum = await runCli([...args, '--duplicates', 'sum'], { cwd: dir });
    expect(sum.json<JsonResult>().series[0]?.forecast[4]?.yhat).toBe(30);
    const refuse = await runCli([...args, '--duplicates', 'error'], { cwd: dir });
    expect(refuse.code).toBe(1);
    expect(refuse.json<{ error: { message: string } }>().error.message).toMatch(/ds has duplicate values: 2 rows fall on 2024-01-19/);
  });

  it('writes the CSV and a standalone HTML chart, and prints a table', async () => {
    const dir = tmpDir();
    const rows = Array.from({ length: 90 }, (_, i) => [dayOf(i), 50 + 10 * Math.sin((2 * Math.PI * i) / 7) + i / 10]);
    writeFile(dir, 'm.csv', csv(rows));
    const res = await runCli(['forecast', '--data', 'm.csv', '--horizon', '10', '--holidays', 'none', '--anomalies', '--out', 'f.csv', '--plot', 'f.html'], { cwd: dir });
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toMatch(/ds\s+yhat\s+yhat_lower\s+yhat_upper\s+model/);
    expect(res.stdout).toMatch(/2024-03-31\s+[\d.]+\s+[\d.]+\s+[\d.]+\s+ensemble/);
    expect(res.stdout).toContain(`Wrote ${path.join(dir, 'f.csv')}`);
    const lines = fs.readFileSync(path.join(dir, 'f.csv'), 'utf8').trim().split('\n');
    expect(lines[0]).toBe('ds,yhat,yhat_lower,yhat_upper,model');
    expect(lines).toHaveLength(11);
    expect(lines[1]).toMatch(/^2024-03-31,[\d.]+,[\d.]+,[\d.]+,ensemble$/);
    const html = fs.readFileSync(path.join(dir, 'f.html'), 'utf8');
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain('vegaEmbed');
    expect(html).toContain('Forecast of y per day');
    expect(html).not.toMatch(/<script[^>]+src=/);
    expect(html).not.toContain(dir);
  });

  it('--json is one document with finite numbers and the files written', async () => {
    const dir = tmpDir();
    const rows = Array.from({ length: 40 }, (_, i) => [dayOf(i), i % 5 === 0 ? 'NaN' : String(20 + (i % 7))]);
    writeFile(dir, 'm.csv', csv(rows));
    const res = await runCli(['forecast', '--data', 'm.csv', '--model', 'mstl', '--horizon', '3', '--holidays', 'none', '--out', 'f.json', '--json'], { cwd: dir });
    expect(res.code, res.stderr).toBe(0);
    const out = res.json<JsonResult>();
    expect(out.files).toEqual([path.join(dir, 'f.json')]);
    expect(out.warnings.join(' ')).toMatch(/8 rows without a numeric value/);
    for (const p of out.series[0]?.forecast ?? []) for (const v of [p.yhat, p.yhat_lower, p.yhat_upper]) expect(Number.isFinite(v)).toBe(true);
    const written = JSON.parse(fs.readFileSync(path.join(dir, 'f.json'), 'utf8')) as { ds: string; model: string }[];
    expect(written.map((r) => r.ds)).toEqual(['2024-02-10', '2024-02-11', '2024-02-12']);
  });

  it('calibrates the intervals by default and says by how much; --no-calibrate keeps the model\'s own; --model arima runs', async () => {
    const dir = tmpDir();
    const rows = Array.from({ length: 120 }, (_, i) => [dayOf(i), String(50 + 0.2 * i + [0, 4, 6, 5, 2, -7, -9][i % 7]! + ((i * 37) % 11) / 2)]);
    writeFile(dir, 'm.csv', csv(rows));
    const base = ['forecast', '--data', 'm.csv', '--model', 'arima', '--horizon', '7', '--holidays', 'none'];
    const text = await runCli(base, { cwd: dir });
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/80% intervals (widened|narrowed) x\d\.\d\d from 5-fold CV/);
    expect(text.stdout).toMatch(/\barima\b/);
    type Out = { series: { model: string; interval_scale: number | null; forecast: { yhat: number; yhat_upper: number }[]; notes: string[] }[] };
    const on = (await runCli([...base, '--json'], { cwd: dir })).json<Out>();
    const off = (await runCli([...base, '--json', '--no-calibrate'], { cwd: dir })).json<Out>();
    expect(on.series[0]?.model).toBe('arima');
    expect(on.series[0]?.interval_scale).toBeGreaterThan(0);
    expect(off.series[0]?.interval_scale).toBeNull();
    expect(off.series[0]?.notes.join(' ')).not.toMatch(/intervals (widened|narrowed)/);
    const half = (r: Out, k: number): number => (r.series[0]?.forecast[k]?.yhat_upper as number) - (r.series[0]?.forecast[k]?.yhat as number);
    expect(half(on, 0) / half(off, 0)).toBeCloseTo(on.series[0]?.interval_scale as number, 1);
  });

  it('draws a terminal chart in an interactive terminal', async () => {
    const dir = tmpDir();
    writeFile(dir, 'm.csv', csv(Array.from({ length: 60 }, (_, i) => [dayOf(i), 30 + (i % 7) * 3])));
    // --quiet: the ink progress view needs a real stream; the capture is only a fake TTY.
    const res = await runCli(['forecast', '--data', 'm.csv', '--model', 'naive', '--horizon', '14', '--holidays', 'none', '--quiet'], {
      cwd: dir,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, FORCE_COLOR: '0' },
      tty: true,
    });
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toContain('• history  * forecast  ░ interval');
    expect(res.stdout).toMatch(/┤.*\*/);
  });

  it('--out f.png and f.svg draw the chart without a browser (resvg), and --out refuses other extensions', async () => {
    const dir = tmpDir();
    writeFile(dir, 'm.csv', csv(Array.from({ length: 60 }, (_, i) => [dayOf(i), 30 + (i % 7) * 3 + i / 5])));
    const args = ['forecast', '--data', 'm.csv', '--model', 'naive', '--horizon', '14', '--holidays', 'none'];
    // No browser on PATH: the PNG must not need one.
    const res = await runCli([...args, '--out', 'f.png', '--json'], { cwd: dir, env: baseEnv({ PATH: '/nonexistent', STATSIG_HACK_CHROMIUM: '/nonexistent/chrome' }) });
    expect(res.code, res.stderr).toBe(0);
    expect(res.json<{ files: string[] }>().files).toEqual([path.join(dir, 'f.png')]);
    const png = fs.readFileSync(path.join(dir, 'f.png'));
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    expect(png.readUInt32BE(16)).toBeGreaterThan(800);
    const svg = await runCli([...args, '--out', 'f.svg', '--plot', 'g.html'], { cwd: dir });
    expect(svg.code, svg.stderr).toBe(0);
    expect(fs.readFileSync(path.join(dir, 'f.svg'), 'utf8')).toMatch(/^<svg[\s\S]*Forecast of y per day[\s\S]*<\/svg>$/);
    expect(fs.existsSync(path.join(dir, 'g.html'))).toBe(true);
    const bad = await runCli([...args, '--out', 'f.gif'], { cwd: dir });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--out must end in .csv, .json, .svg, .png or .html, got "f.gif"/);
  }, 60_000);
});

describe('forecast bad input', () => {
  const run = async (rows: (string | number)[][], extra: string[] = [], header?: string[]) => {
    const dir = tmpDir();
    writeFile(dir, 'm.csv', csv(rows, header));
    return runCli(['forecast', '--data', 'm.csv', '--model', 'naive', '--holidays', 'none', ...extra], { cwd: dir });
  };
  const daily = (n: number, f: (i: number) => number | string = (i) => 10 + (i % 7)) => Array.from({ length: n }, (_, i) => [dayOf(i), f(i)]);

  it('unparseable dates', async () => {
    const rows = daily(10);
    rows[4] = ['next tuesday', 3];
    const res = await run(rows);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/1 value in column "ds" is not a date, e.g. "next tuesday" \(data row 5\)/);
    expect(res.stderr).toMatch(/hint: use ISO dates/);
  });

  it('mixed frequencies', async () => {
    const rows: (string | number)[][] = [...daily(20).map((r) => [`${r[0]} 00:00:00`, r[1] as number]), ['2024-01-20 06:00:00', 3], ['2024-01-20 12:00:00', 4]];
    const res = await run(rows);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/ds mixes frequencies: most steps are 1 day/);
    expect(res.stderr).toMatch(/pass --freq D to resample/);
    const resampled = await run(rows, ['--freq', 'D']);
    expect(resampled.code, resampled.stderr).toBe(0);
    expect(resampled.stderr).toMatch(/resampled to daily/);
  });

  it('too few points', async () => {
    const res = await run(daily(2));
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/too few points to forecast: 2 \(at least 3 needed\)/);
  });

  it('a constant series is forecast as a constant, not NaN', async () => {
    const res = await run(daily(30, () => 7), ['--json']);
    expect(res.code).toBe(0);
    const s = res.json<JsonResult>().series[0];
    expect(s?.model).toBe('constant');
    expect(new Set(s?.forecast.flatMap((p) => [p.yhat, p.yhat_lower, p.yhat_upper]))).toEqual(new Set([7]));
  });

  it('negative values with --transform log', async () => {
    const res = await run(daily(30, (i) => (i === 5 ? -2 : 10 + i)), ['--transform', 'log']);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/--transform log needs positive values, but the smallest value is -2/);
    expect(res.stderr).toMatch(/hint: use --transform log1p/);
  });

  it('an unknown country code', async () => {
    const dir = tmpDir();
    writeFile(dir, 'm.csv', csv(daily(30)));
    const res = await runCli(['forecast', '--data', 'm.csv', '--holidays', 'XX', '--model', 'naive'], { cwd: dir });
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/unknown country code "XX" for --holidays/);
  });

  it('bad flags exit 2 with a hint', async () => {
    const dir = tmpDir();
    writeFile(dir, 'm.csv', csv(daily(30)));
    const cases: [string[], RegExp][] = [
      [['--interval', '1.5'], /--interval must be less than 1/],
      [['--horizon', '0'], /--horizon must be at least 1/],
      [['--model', 'sarima'], /argument 'sarima' is invalid/],
      [['--holidays', 'United States'], /--holidays expects a two-letter country code/],
      [['--out', 'f.txt'], /--out must end in .csv, .json, .svg, .png or .html/],
      [['--agg', 'sum'], /--agg applies to store mode/],
    ];
    for (const [extra, message] of cases) {
      const res = await runCli(['forecast', '--data', 'm.csv', ...extra], { cwd: dir });
      expect(res.code, extra.join(' ')).toBe(2);
      expect(res.stderr).toMatch(message);
    }
    const none = await runCli(['forecast'], { cwd: dir });
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/forecast needs --data <file> or --metric <event>/);
  });

  it('a missing --value column suggests the right spelling', async () => {
    const dir = tmpDir();
    writeFile(dir, 'm.csv', csv(daily(30), ['ds', 'Y']));
    const res = await runCli(['forecast', '--data', 'm.csv'], { cwd: dir });
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/hint: did you mean "Y"\? the file's columns: ds, Y/);
  });
});
