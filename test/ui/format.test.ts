/** One formatter for human output: counts with separators, measurements by significant digits. */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { commandLine, count, duration, int, num, pct, progressCount, pval, share, visibleLength, wrap } from '../../src/ui/format.js';
import { runCli } from '../support/run-cli.js';
import { tmpDir } from '../support/tmp.js';

describe('format', () => {
  it('counts, measurements, changes', () => {
    expect(int(10000)).toBe('10,000');
    expect(int(20000n)).toBe('20,000');
    expect(count(1, 'user')).toBe('1 user');
    expect(count(20000, 'user')).toBe('20,000 users');
    expect(count(7, 'series', 'series')).toBe('7 series');
    expect(num(6.7581)).toBe('6.758');
    expect(num(12345.6)).toBe('12,350');
    expect(num(12345.6, 6)).toBe('12,345.6');
    expect(num(-0.022921)).toBe('-0.02292');
    // Estimates never in exponent notation at ordinary magnitudes: plain decimals, separators.
    expect(num(1e-5)).toBe('0.00001');
    expect(num(-8.0834e-4)).toBe('-0.0008083');
    expect(num(-8.0834e-4, 3)).toBe('-0.000808');
    expect(num(12_345_678)).toBe('12,350,000');
    expect(num(1.2345e-7)).toBe('1.235e-7');
    expect(num(null)).toBe('n/a');
    expect(pct(0.1234)).toBe('+12.3%');
    expect(share(0.213)).toBe('21%');
    expect(pval(0.00001)).toBe('1.0e-5');
    expect(duration(4200)).toBe('4.2s');
    expect(duration(75_000)).toBe('1m 15s');
    expect(duration(3_725_000)).toBe('1h 02m');
    expect(progressCount(120_000, 200_000)).toBe('120,000/200,000 (60%)');
    expect(progressCount(1500, undefined)).toBe('1,500');
  });

  it('wraps prose to a width with a hanging indent, measuring without colour codes', () => {
    const text = wrap('alpha beta gamma delta epsilon zeta eta theta', 20);
    for (const l of text.split('\n')) expect(l.length).toBeLessThanOrEqual(20);
    expect(text.split('\n')[1]?.startsWith('  ')).toBe(true);
    expect(wrap('\x1b[32mshort\x1b[39m line', 10)).toBe('\x1b[32mshort\x1b[39m line');
    expect(visibleLength('\x1b[32mshort\x1b[39m')).toBe(5);
  });

  it('breaks a long command before its flags with shell continuations', () => {
    const cmd = 'statsig-hack analyze --experiment garden_gnome_one_page_checkout --db .statsig-hack/demo.duckdb';
    expect(commandLine(cmd, 120)).toBe(`  ${cmd}`);
    const broken = commandLine(cmd, 80).split('\n');
    expect(broken).toEqual(['  statsig-hack analyze --experiment garden_gnome_one_page_checkout \\', '      --db .statsig-hack/demo.duckdb']);
  });

  it('one run of the demo writes counts one way: with separators', { timeout: 120_000 }, async () => {
    const r = await runCli(['demo', '--users', '2000'], { cwd: tmpDir() });
    expect(r.code).toBe(0);
    const all = r.stdout + r.stderr;
    expect(all).toContain('2,000 users');
    expect(all).toContain('Seeding a 2,000-user demo project');
    expect(all).not.toMatch(/\b\d{4,} (users?|events?|rows?|units?|series|experiments?|metrics?)\b/);
    expect(all).not.toMatch(/\b\d{4,}\/\d{4,}\b/);
  });
});

describe('int groups digits by hand exactly as toLocaleString("en-US") does', () => {
  it('for any double and bigint', () => {
    fc.assert(fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (x) => int(x) === Math.round(x).toLocaleString('en-US')), { numRuns: 5000 });
    fc.assert(fc.property(fc.integer({ min: -(2 ** 53), max: 2 ** 53 }), (x) => int(x) === x.toLocaleString('en-US')));
    fc.assert(fc.property(fc.bigInt(), (x) => int(x) === x.toLocaleString('en-US')));
    expect(int(-0.4)).toBe('-0');
    expect(int(1e21)).toBe('1,000,000,000,000,000,000,000');
  });
});

describe('sig: the same significant digits on every row of a column', () => {
  it('keeps trailing zeros, stays whole from 10^digits, and matches num otherwise', async () => {
    const { sig, num } = await import('../../src/ui/format.js');
    expect([5.73, 5.722].map((x) => sig(x))).toEqual(['5.730', '5.722']);
    expect(sig(1.0003)).toBe('1.000');
    expect([38.2, 45.2, 46.41].map((x) => sig(x))).toEqual(['38.20', '45.20', '46.41']);
    expect(sig(-0.00080834)).toBe(num(-0.00080834));
    expect(sig(12_345.6)).toBe('12,350');
    expect(sig(0)).toBe('0');
    expect(sig(null)).toBe('n/a');
  });
});
