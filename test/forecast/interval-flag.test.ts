import { describe, expect, it } from 'vitest';
import { alphaLikeWidth } from '../../src/commands/forecast.js';
import { runCli } from '../support/run-cli.js';
import { tmpDir, writeFile } from '../support/tmp.js';

describe('forecast --interval that looks like an alpha', () => {
  it('warns under 0.5 with the width probably meant; silent from 0.5', () => {
    expect(alphaLikeWidth(0.05)).toBe('--interval 0.05 gives 5% intervals (the width, not alpha): did you mean 0.95?');
    expect(alphaLikeWidth(0.1)).toContain('did you mean 0.9?');
    expect(alphaLikeWidth(0.5)).toBeNull();
    expect(alphaLikeWidth(0.8)).toBeNull();
  });

  it('the CLI prints the warning and still forecasts', async () => {
    const cwd = tmpDir();
    const rows = Array.from({ length: 30 }, (_, i) => `${new Date(Date.UTC(2026, 0, 1 + i)).toISOString().slice(0, 10)},${100 + (i % 7) * 3}`);
    writeFile(cwd, 'd.csv', `ds,y\n${rows.join('\n')}\n`);
    const r = await runCli(['forecast', '--data', 'd.csv', '--interval', '0.05', '--model', 'naive', '--horizon', '3'], { cwd });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('warning: --interval 0.05 gives 5% intervals (the width, not alpha): did you mean 0.95?');
    const ok = await runCli(['forecast', '--data', 'd.csv', '--interval', '0.9', '--model', 'naive', '--horizon', '3'], { cwd });
    expect(ok.stderr).not.toContain('did you mean');
  }, 60_000);
});
