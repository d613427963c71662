import { describe, expect, it } from 'vitest';
import { runCli } from '../support/run-cli.js';
import { tmpDir, writeFile } from '../support/tmp.js';

const dayOf = (i: number): string => new Date(Date.parse('2024-01-01T00:00:00Z') + i * 86_400_000).toISOString().slice(0, 10);

function file(): string {
  const dir = tmpDir();
  writeFile(dir, 'm.csv', `ds,y,price\n${Array.from({ length: 30 }, (_, i) => `${dayOf(i)},${100 + (i % 7)},${5 + (i % 3)}`).join('\n')}\n`);
  return dir;
}

describe('forecast exit codes and hints (README: a missing column is 1, bad usage 2)', () => {
  it('--out with an unknown extension exits 2 with a hint line', async () => {
    const res = await runCli(['forecast', '--data', 'm.csv', '--out', 'f.jpg'], { cwd: file() });
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/--out must end in .csv, .json, .svg, .png or .html, got "f.jpg"/);
    expect(res.stderr).toMatch(/hint: e\.g\. --out forecast\.png/);
  });

  it('--plot with an unknown extension exits 2 with a hint line', async () => {
    const res = await runCli(['forecast', '--data', 'm.csv', '--plot', 'f.gif'], { cwd: file() });
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/hint: e\.g\. --plot forecast\.png/);
  });

  it('a missing --value column exits 1 with a hint listing the columns', async () => {
    const res = await runCli(['forecast', '--data', 'm.csv', '--value', 'yy', '--model', 'naive', '--holidays', 'none'], { cwd: file() });
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/m\.csv has no column "yy" \(--value\)/);
    expect(res.stderr).toMatch(/the file's columns: ds, y, price/);
  });

  it('a missing --regressor column exits 1 with a hint listing the columns', async () => {
    const res = await runCli(['forecast', '--data', 'm.csv', '--regressor', 'nosuch', '--model', 'prophet', '--holidays', 'none'], { cwd: file() });
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/m\.csv has no column "nosuch" \(--regressor\)/);
    expect(res.stderr).toMatch(/the file's columns: ds, y, price/);
  });
});
