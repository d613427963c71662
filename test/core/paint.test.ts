/** The stand-in for chalk when colour is off (core/paint.ts) gives what chalk at level 0 gives. */
import { Chalk } from 'chalk';
import { describe, expect, it } from 'vitest';
import { loadColor, painter, PLAIN_PAINT } from '../../src/core/paint.js';

describe('painter', () => {
  it('without colour: the text chalk at level 0 gives, through any chain of styles', async () => {
    const chalk = new Chalk({ level: 0 });
    const cases: [string, (c: typeof chalk) => string][] = [
      ['red', (c) => c.red('x')],
      ['bold.green', (c) => c.bold.green('gain', 2)],
      ['dim number', (c) => c.dim(42)],
      ['no argument', (c) => c.yellow()],
      ['empty', (c) => c.cyan('')],
      ['hex', (c) => c.hex('#ff0000').bold('hot')],
      ['bgRgb', (c) => c.bgRgb(1, 2, 3)('bg')],
      ['visible', (c) => c.visible('shown only in colour')],
      ['red.visible', (c) => c.red.visible('x')],
    ];
    for (const [name, f] of cases) expect(f(PLAIN_PAINT), name).toBe(f(chalk));
    expect(PLAIN_PAINT.level).toBe(0);
    expect(await Promise.resolve(PLAIN_PAINT)).toBe(PLAIN_PAINT); // not a thenable
    expect(painter(false)).toBe(PLAIN_PAINT);
  });

  it('with colour, once chalk is loaded: chalk at level 1', async () => {
    await loadColor();
    expect(painter(true).green('x')).toBe(new Chalk({ level: 1 }).green('x'));
    expect(painter(true).green('x')).toContain('\x1b[32m');
    expect(painter(false).green('x')).toBe('x');
  });
});
