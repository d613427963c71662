/**
 * Input rules of `forecast` (issue 17): missing-value markers in the value column, a history
 * too short for the default model, internal model errors kept out of the output, and the
 * `--interval` hint.
 */
import { describe, expect, it } from 'vitest';
import { fitErrorText } from '../../src/forecast/output.js';
import { runCli } from '../support/run-cli.js';
import { tmpDir, writeFile } from '../support/tmp.js';

const dayOf = (i: number): string => new Date(Date.parse('2024-01-01T00:00:00Z') + i * 86_400_000).toISOString().slice(0, 10);
const LEAK = /JsValue|Optimization (failed|terminated)|Error in optimization|RuntimeError|wasm/i;

interface Json {
  series: { model: string; points: number; gaps: number; notes: string[]; forecast: { yhat: number }[]; candidates: { error?: string }[] }[];
  warnings: string[];
}

describe('forecast input', () => {
  it('reads NA, NaN, null and empty cells as missing values', async () => {
    const dir = tmpDir();
    const y = Array.from({ length: 28 }, (_, i) => 100 + (i % 7) * 10 + i);
    const markers = ['NA', 'NaN', 'null', '', ' na ', 'N/A'];
    const withMarkers = y.map((v, i) => `${dayOf(i)},${i % 4 === 1 ? (markers[(i >> 2) % markers.length] as string) : v}`);
    const withEmpty = y.map((v, i) => `${dayOf(i)},${i % 4 === 1 ? '' : v}`);
    writeFile(dir, 'na.csv', `ds,y\n${withMarkers.join('\n')}\n`);
    writeFile(dir, 'empty.csv', `ds,y\n${withEmpty.join('\n')}\n`);
    const args = ['--model', 'naive', '--horizon', '7', '--holidays', 'none', '--json'];
    const a = await runCli(['forecast', '--data', 'na.csv', ...args], { cwd: dir });
    const b = await runCli(['forecast', '--data', 'empty.csv', ...args], { cwd: dir });
    expect(a.code, a.stderr).toBe(0);
    expect(b.code, b.stderr).toBe(0);
    const sa = a.json<Json>().series[0];
    expect(sa?.points).toBe(21);
    expect(sa?.gaps).toBe(7);
    expect(sa?.forecast).toEqual(b.json<Json>().series[0]?.forecast);
    // Other text is still refused, with an example.
    writeFile(dir, 'bad.csv', `ds,y\n${dayOf(0)},1\n${dayOf(1)},lots\n${dayOf(2)},3\n`);
    const bad = await runCli(['forecast', '--data', 'bad.csv', '--holidays', 'none'], { cwd: dir });
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/not a number, e\.g\. "lots"/);
    expect(bad.stderr).toMatch(/NA, NaN and null count as missing/);
  });

  it('a 3-point series falls back to the naive forecast with a note under the default model', async () => {
    const dir = tmpDir();
    writeFile(dir, 'three.csv', `ds,y\n${dayOf(0)},1\n${dayOf(1)},1\n${dayOf(2)},2\n`);
    for (const extra of [[], ['--anomalies'], ['--model', 'auto'], ['--model', 'auto', '--backtest']]) {
      const res = await runCli(['forecast', '--data', 'three.csv', '--horizon', '3', '--holidays', 'none', '--json', ...extra], { cwd: dir });
      expect(res.code, res.stderr).toBe(0);
      const s = res.json<Json>().series[0];
      expect(s?.model).toBe('naive');
      expect(s?.notes.join(' ')).toMatch(/only 3 points: too few .*naive/);
      expect(s?.forecast.map((p) => p.yhat)).toEqual([2, 2, 2]);
    }
  });

  it('never shows internal optimizer errors, in the human or the JSON output', async () => {
    const dir = tmpDir();
    // Series on which the Stan optimizer aborts (its message is a wasm JsValue dump).
    const cases = [
      [1, 1, 2],
      [0, 0, 1],
      [100, 0, 5],
      [5, 5, 6],
    ];
    let fellBack = 0;
    for (const [k, ys] of cases.entries()) {
      writeFile(dir, `s${k}.csv`, `ds,y\n${ys.map((v, i) => `${dayOf(i)},${v}`).join('\n')}\n`);
      for (const json of [true, false]) {
        const res = await runCli(['forecast', '--data', `s${k}.csv`, '--model', 'prophet', '--anomalies', '--horizon', '3', '--holidays', 'none', ...(json ? ['--json'] : [])], { cwd: dir });
        expect(res.code, res.stderr).toBe(0);
        expect(res.stdout + res.stderr).not.toMatch(LEAK);
        if (/prophet failed \(its optimizer did not converge/.test(res.stdout)) fellBack++;
      }
    }
    // The failure is real (the fallback is taken), only its text is cleaned.
    expect(fellBack).toBeGreaterThan(0);
  });

  it('fitErrorText turns wasm errors into a sentence and keeps plain ones short', () => {
    const wasm = new Error('Optimization failed: Error in optimization: JsValue(Error: Optimization terminated with error: \n    at x (prophet.js:1)');
    expect(fitErrorText(wasm)).toBe('its optimizer did not converge on this series');
    expect(fitErrorText(new Error('first line\nsecond'))).toBe('first line');
    expect(fitErrorText(new Error(`x\u001b[31m${'y'.repeat(300)}`)).length).toBeLessThanOrEqual(160);
    expect(fitErrorText(new Error('x\u001b[31my')).includes('\u001b')).toBe(false);
  });

  it('--interval given as a percentage suggests the width it meant, which is accepted', async () => {
    const dir = tmpDir();
    writeFile(dir, 'd.csv', `ds,y\n${Array.from({ length: 20 }, (_, i) => `${dayOf(i)},${10 + (i % 7)}`).join('\n')}\n`);
    for (const [raw, hint] of [
      ['80', '0.8'],
      ['95%', '0.95'],
    ] as const) {
      const res = await runCli(['forecast', '--data', 'd.csv', '--interval', raw, '--holidays', 'none'], { cwd: dir });
      expect(res.code).toBe(2);
      expect(res.stderr).toContain(`e.g. --interval ${hint} (`);
      const ok = await runCli(['forecast', '--data', 'd.csv', '--interval', hint, '--model', 'naive', '--holidays', 'none', '--json'], { cwd: dir });
      expect(ok.code, ok.stderr).toBe(0);
    }
    const other = await runCli(['forecast', '--data', 'd.csv', '--interval', '1.5', '--holidays', 'none'], { cwd: dir });
    expect(other.code).toBe(2);
    expect(other.stderr).toMatch(/hint: e\.g\. --interval 0\.8/);
    const al = await runCli(['forecast', '--data', 'd.csv', '--anomaly-level', '99', '--holidays', 'none'], { cwd: dir });
    expect(al.stderr).toContain('e.g. --anomaly-level 0.99 (99% is 0.99)');
  });
});
