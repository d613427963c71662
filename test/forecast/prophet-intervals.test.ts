import { describe, expect, it } from 'vitest';
import { fitProphet, type ModelInput } from '../../src/forecast/models.js';
import { interpolate } from '../../src/forecast/series.js';
import { runCli } from '../support/run-cli.js';
import { tmpDir, writeFile } from '../support/tmp.js';

const START = Date.parse('2024-01-01T00:00:00Z') / 1000;
const dayOf = (i: number): string => new Date((START + i * 86_400) * 1000).toISOString().slice(0, 10);

/** A trending weekly series with deterministic noise. */
function series(n: number): number[] {
  let s = 7;
  const r = (): number => {
    s = (s * 16_807) % 2_147_483_647;
    return s / 2_147_483_647;
  };
  return Array.from({ length: n }, (_, i) => 1000 + 3 * i + 80 * Math.sin((i * 2 * Math.PI) / 7) + 40 * (r() - 0.5));
}

function input(y: number[], horizon: number): ModelInput {
  return { y, filled: interpolate(y), start: START, step: 86_400, freq: 'D', horizon, level: 0.8, holidays: [], insample: false, holidayEffects: false, samples: 1000, holidaysPriorScale: 10 };
}

describe("Prophet's intervals are deterministic", () => {
  it('two fits of the same data give identical intervals (the wasm draws changed on every run)', async () => {
    const y = series(90);
    const a = await fitProphet(input(y, 30));
    const b = await fitProphet(input(y, 30));
    // Same to 1e-6 relative (the wasm optimizer can differ in the last digits inside one process;
    // the old Monte Carlo bounds moved by about 0.5% of the interval's width).
    const same = (x: number[], y: number[]): void => x.forEach((v, i) => expect(Math.abs(v - (y[i] as number))).toBeLessThanOrEqual(1e-6 * Math.abs(v)));
    same(b.point, a.point);
    same(b.lower, a.lower);
    same(b.upper, a.upper);
    // Real intervals: around the point, wider far out (trend uncertainty) than at the first step.
    a.point.forEach((p, i) => {
      expect(a.lower[i]).toBeLessThan(p);
      expect(a.upper[i]).toBeGreaterThan(p);
    });
    const width = (i: number): number => (a.upper[i] as number) - (a.lower[i] as number);
    expect(width(29)).toBeGreaterThan(width(0));
  });

  it('forecast --model prophet twice on the same file prints the same intervals', async () => {
    const dir = tmpDir();
    const y = series(60);
    writeFile(dir, 'm.csv', `ds,y\n${y.map((v, i) => `${dayOf(i)},${v.toFixed(3)}`).join('\n')}\n`);
    const args = ['forecast', '--data', 'm.csv', '--model', 'prophet', '--horizon', '14', '--holidays', 'none', '--no-calibrate', '--json'];
    const one = await runCli(args, { cwd: dir });
    const two = await runCli(args, { cwd: dir });
    expect(one.code, one.stderr).toBe(0);
    expect(two.code, two.stderr).toBe(0);
    type Out = { series: { forecast: { yhat: number; yhat_lower: number; yhat_upper: number }[] }[] };
    const f1 = one.json<Out>().series[0]?.forecast ?? [];
    const f2 = two.json<Out>().series[0]?.forecast ?? [];
    expect(f1).toHaveLength(14);
    f1.forEach((r, i) => {
      for (const k of ['yhat', 'yhat_lower', 'yhat_upper'] as const) expect(Math.abs(r[k] - (f2[i]?.[k] ?? NaN))).toBeLessThanOrEqual(1e-6 * Math.abs(r[k]));
    });
  });
});
