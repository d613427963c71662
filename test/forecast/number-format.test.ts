import { describe, expect, it } from 'vitest';
import { componentsNote } from '../../src/forecast/components.js';
import { valueText } from '../../src/forecast/output.js';
import { runCli } from '../support/run-cli.js';
import { tmpDir, writeFile } from '../support/tmp.js';

const dayOf = (i: number): string => new Date(Date.parse('2024-01-01T00:00:00Z') + i * 86_400_000).toISOString().slice(0, 10);

describe('forecast numbers for people: separators and about 4 significant digits', () => {
  it('valueText keeps whole digits with separators and 4 significant digits below 1000', () => {
    expect(valueText(4568.25)).toBe('4,568');
    expect(valueText(636.438)).toBe('636.4');
    expect(valueText(6.33777)).toBe('6.338');
    expect(valueText(123_456.7)).toBe('123,457');
    expect(valueText(-0.0123456)).toBe('-0.01235');
    expect(valueText(null)).toBe('n/a');
  });

  it('the components note writes the trend with separators ("from 4574 to 5271" before)', () => {
    const trend = [4574.3, 4800, 5000, 5271.2];
    const note = componentsNote({ trend, seasonal: [{ name: 'weekly', values: [12.3456, -12.3456, 1, 2] }], holidays: null, regressors: [] }, 4, [], 'none');
    expect(note).toContain('trend up from 4,574 to 5,271');
    expect(note).toContain('weekly season +-12.3');
  });

  it('the anomalies table and the CV table use the same formatting', async () => {
    const dir = tmpDir();
    const rows = Array.from({ length: 70 }, (_, i) => `${dayOf(i)},${(4500 + 10 * i + 300 * Math.sin((i * 2 * Math.PI) / 7) + (i === 40 ? 1500 : 0) + ((i * 37) % 11) * 3.3).toFixed(3)}`);
    writeFile(dir, 'm.csv', `ds,y\n${rows.join('\n')}\n`);
    const res = await runCli(['forecast', '--data', 'm.csv', '--model', 'auto', '--horizon', '7', '--holidays', 'none', '--anomalies', '--wide'], { cwd: dir });
    expect(res.code, res.stderr).toBe(0);
    const out = res.stdout;
    const anomalies = out.slice(out.indexOf('Anomalies in the history'));
    const row = anomalies.split('\n').find((l) => l.startsWith('2024-02-10'));
    expect(row, anomalies).toBeDefined();
    // y and expected: whole numbers with separators, no decimals past 4 significant digits.
    expect(row).toMatch(/\b\d,\d{3}\s+\d,\d{3}\b/);
    expect(row).not.toMatch(/\d,\d{3}\.\d/);
    const cv = out.slice(out.indexOf('Rolling-origin cross-validation'), out.indexOf('Anomalies in the history'));
    // No number in the CV table carries more than 4 significant digits (mae was 6.33777).
    for (const m of cv.matchAll(/(?<![\w.,])\d+\.\d+/g)) expect(m[0].replace('.', '').replace(/^0+/, '').length, `${m[0]} in\n${cv}`).toBeLessThanOrEqual(4);
  });
});
