import { describe, expect, it } from 'vitest';
import { spawnPty } from '../support/pty.js';
import { tmpDir } from '../support/tmp.js';

describe('demo on a real terminal (pty, 100 columns)', () => {
  it('draws progress on the TTY and prints the result table', { timeout: 180_000 }, async () => {
    const cwd = tmpDir();
    const t = spawnPty(['demo', '--users', '2000'], { cwd, cols: 100, rows: 30 });
    await t.waitFor('The planted effect lies inside the 95% CI', 150_000);
    expect(await t.exit).toBe(0);
    const out = t.output();
    // The TTY path: ink's finished marks, not the plain "label..." lines of CI.
    expect(out).toContain('✓');
    // Progress: every step shows its elapsed time; a step without a total never shows a bare "0".
    const spinning = t.lines().filter((l) => /^[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] /.test(l));
    expect(spinning.length).toBeGreaterThan(0);
    for (const l of spinning) expect(l).toMatch(/ (\d+\.\ds|\d+s|\d+m \d\ds)(, ~.* left)?$/);
    expect(spinning.filter((l) => / 0 +\d/.test(l))).toEqual([]);
    expect(out).toMatch(/✓ analyzed experiments \(\d+\.\ds\)/);
    expect(out).toContain('statsig-hack status --db .statsig-hack/demo.duckdb');
    // Nothing wraps in 100 columns: the table hides low-value columns and says so.
    expect(t.lines().filter((l) => [...l].length > 100)).toEqual([]);
    expect(t.screen().wraps).toBe(0);
    expect(out).toContain('hidden to fit 100 columns; --wide shows every column');
  });
});
