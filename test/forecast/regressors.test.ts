/**
 * Extra regressors (--regressor) and custom events (--events), passed to Prophet (issue 17).
 */
import { describe, expect, it } from 'vitest';
import type { SeriesForecast } from '../../src/forecast/types.js';
import { runCli } from '../support/run-cli.js';
import { mulberry32 } from '../support/rng.js';
import { tmpDir, writeFile } from '../support/tmp.js';

const dayOf = (i: number): string => new Date(Date.parse('2022-01-01T00:00:00Z') + i * 86_400_000).toISOString().slice(0, 10);
const WEEK = [0, 4, 6, 5, 3, -8, -10];

function normal(r: () => number): number {
  let u = 0;
  while (u === 0) u = r();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * r());
}

/** 400 days: y = trend + weekly + 25 x promo - 3 x (price - 10) + N(0, 2); y is empty on the last `future` rows. */
function regressorCsv(future: number, total = 400): { text: string; promo: number[]; price: number[] } {
  const r = mulberry32(17);
  const promo: number[] = [];
  const price: number[] = [];
  const lines = ['ds,y,promo,price'];
  for (let i = 0; i < total; i++) {
    const p = r() < 0.15 ? 1 : 0;
    const q = 10 + Math.sin(i / 30);
    promo.push(p);
    price.push(q);
    const y = 100 + 0.05 * i + (WEEK[i % 7] as number) + 25 * p - 3 * (q - 10) + 2 * normal(r);
    lines.push(`${dayOf(i)},${i < total - future ? y.toFixed(3) : ''},${p},${q.toFixed(4)}`);
  }
  return { text: `${lines.join('\n')}\n`, promo, price };
}

interface Json {
  series: SeriesForecast[];
  warnings: string[];
  model: string;
}

describe('--regressor', () => {
  it('recovers planted regressor effects and uses the future values from the file', async () => {
    const dir = tmpDir();
    const { text, promo, price } = regressorCsv(20);
    writeFile(dir, 'r.csv', text);
    const res = await runCli(['forecast', '--data', 'r.csv', '--regressor', 'promo', '--regressor', 'price', '--horizon', '20', '--holidays', 'none', '--json'], { cwd: dir });
    expect(res.code, res.stderr).toBe(0);
    const out = res.json<Json>();
    const s = out.series[0] as SeriesForecast;
    expect(s.model).toBe('prophet');
    expect(out.warnings.join(' ')).toMatch(/fitted with Prophet/);
    expect(out.warnings.join(' ')).not.toMatch(/without a numeric value/);
    const c = s.components;
    const promoTerm = c?.regressors.find((x) => x.name === 'promo')?.values ?? [];
    const priceTerm = c?.regressors.find((x) => x.name === 'price')?.values ?? [];
    expect(promoTerm.length).toBe(400);
    // The promo term is 25 higher on promo days (history and horizon alike).
    const on = promoTerm.filter((_, i) => promo[i] === 1);
    const off = promoTerm.filter((_, i) => promo[i] === 0);
    const gap = on.reduce((a, b) => a + b, 0) / on.length - off.reduce((a, b) => a + b, 0) / off.length;
    expect(gap).toBeGreaterThan(22);
    expect(gap).toBeLessThan(28);
    // The price term moves -3 per unit of price.
    const mp = price.reduce((a, b) => a + b, 0) / price.length;
    const mt = priceTerm.reduce((a, b) => a + b, 0) / priceTerm.length;
    let sxy = 0;
    let sxx = 0;
    price.forEach((p, i) => {
      sxy += (p - mp) * ((priceTerm[i] as number) - mt);
      sxx += (p - mp) ** 2;
    });
    expect(sxy / sxx).toBeGreaterThan(-3.8);
    expect(sxy / sxx).toBeLessThan(-2.2);
    // Forecast days with a promo are about 25 above their neighbours without.
    const fut = s.forecast.map((p, k) => ({ yhat: p.yhat, promo: promo[380 + k] as number }));
    const fOn = fut.filter((p) => p.promo === 1);
    expect(fOn.length).toBeGreaterThan(0);
    expect(s.notes.some((n) => /promo 0(\.0+)? to 2\d/.test(n)), s.notes.join('\n')).toBe(true);
  });

  it('refuses a horizon without future regressor values, naming how far they go', async () => {
    const dir = tmpDir();
    writeFile(dir, 'r.csv', regressorCsv(10).text);
    const res = await runCli(['forecast', '--data', 'r.csv', '--regressor', 'promo', '--horizon', '30', '--holidays', 'none'], { cwd: dir });
    expect(res.code).not.toBe(0);
    expect(res.stderr).toMatch(/--regressor promo has future values for 10 of the 30 forecast steps \(through 2023-02-04\)/);
    expect(res.stderr).toMatch(/or pass --horizon 10/);
    expect(res.stderr).not.toMatch(/\n\s+at /);
    const mstl = await runCli(['forecast', '--data', 'r.csv', '--regressor', 'promo', '--model', 'mstl', '--horizon', '5', '--holidays', 'none'], { cwd: dir });
    expect(mstl.code).toBe(2);
    expect(mstl.stderr).toMatch(/--model mstl does not/);
    const missing = await runCli(['forecast', '--data', 'r.csv', '--regressor', 'nope', '--horizon', '5', '--holidays', 'none'], { cwd: dir });
    expect(missing.stderr).toMatch(/no column "nope" \(--regressor\)/);
  });
});

describe('--events', () => {
  it("an events file (Prophet's playoffs format) shows its effect in the holiday component", async () => {
    const dir = tmpDir();
    const r = mulberry32(23);
    const launches = [40, 95, 150, 210, 260, 330];
    const bump = new Set(launches.flatMap((d) => [d, d + 1]));
    const lines = ['ds,y'];
    for (let i = 0; i < 380; i++) lines.push(`${dayOf(i)},${(100 + 0.05 * i + (WEEK[i % 7] as number) + (bump.has(i) ? 20 : 0) + 2 * normal(r)).toFixed(3)}`);
    writeFile(dir, 'd.csv', `${lines.join('\n')}\n`);
    writeFile(dir, 'events.csv', `holiday,ds,lower_window,upper_window\n${[...launches, 390].map((d) => `launch,${dayOf(d)},0,1`).join('\n')}\n`);
    const res = await runCli(['forecast', '--data', 'd.csv', '--events', 'events.csv', '--model', 'prophet', '--horizon', '14', '--holidays', 'none', '--json'], { cwd: dir });
    expect(res.code, res.stderr).toBe(0);
    const s = res.json<Json>().series[0] as SeriesForecast;
    const hol = s.components?.holidays ?? [];
    const onDays = [...bump].map((i) => hol[i] as number);
    const offDays = hol.slice(0, 380).filter((_, i) => !bump.has(i));
    expect(Math.min(...onDays)).toBeGreaterThan(14);
    expect(Math.max(...offDays.map(Math.abs))).toBeLessThan(1e-9);
    // The future launch (day 390, inside the 14-day horizon) and its next day carry the effect.
    expect(hol[390]).toBeGreaterThan(14);
    expect(hol[391]).toBeGreaterThan(14);
    expect(s.forecast[390 - 380]?.yhat ?? 0).toBeGreaterThan((s.forecast[392 - 380]?.yhat ?? 0) + 10);
    expect(s.holidays.map((h) => h.name)).toEqual(['launch']);
  });

  it('refuses an events file without the needed columns or with a bad window', async () => {
    const dir = tmpDir();
    writeFile(dir, 'd.csv', `ds,y\n${Array.from({ length: 30 }, (_, i) => `${dayOf(i)},${10 + (i % 7)}`).join('\n')}\n`);
    writeFile(dir, 'e1.csv', 'when,what\n2022-01-05,x\n');
    const a = await runCli(['forecast', '--data', 'd.csv', '--events', 'e1.csv', '--holidays', 'none'], { cwd: dir });
    expect(a.code).not.toBe(0);
    expect(a.stderr).toMatch(/needs the columns holiday \(or name\) and ds/);
    writeFile(dir, 'e2.csv', 'holiday,ds,lower_window,upper_window\nx,2022-01-05,2,1\n');
    const b = await runCli(['forecast', '--data', 'd.csv', '--events', 'e2.csv', '--holidays', 'none'], { cwd: dir });
    expect(b.code).not.toBe(0);
    expect(b.stderr).toMatch(/lower_window is 0 or negative/);
  });
});
