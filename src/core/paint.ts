/**
 * Colour without paying for it when it is off. chalk (with its terminal probing) costs about a
 * third of a bare Node start, and most runs print to a pipe, to CI or with --json: `painter(false)`
 * is a stand-in with chalk's interface that returns the text unchanged (as chalk at level 0 does),
 * and chalk itself loads only through `loadColor()`, which cli.ts awaits when a stream may be
 * coloured. A `painter(true)` asked for before `loadColor()` is plain too (never a crash).
 */
import type * as Chalk from 'chalk';
import type { ChalkInstance } from 'chalk';

let chalk: typeof Chalk | undefined;

/** Loads chalk (once); after this `painter(true)` colours. */
export async function loadColor(): Promise<void> {
  chalk ??= await import('chalk');
}

/** chalk's styles and colours that take arguments and return a style: `hex('#f00')('x')`. */
const FACTORIES = new Set(['rgb', 'hex', 'ansi256', 'bgRgb', 'bgHex', 'bgAnsi256']);

/**
 * chalk at level 0 without chalk: any chain of styles (`c.bold.red`) is callable and gives its
 * arguments joined by a space, as text; `visible` gives '' (chalk hides it when colour is off).
 */
function plainChalk(empty: boolean): ChalkInstance {
  const style = (...args: unknown[]): string => (empty ? '' : args.length === 1 ? String(args[0]) : args.join(' '));
  const handler: ProxyHandler<typeof style> = {
    get(_target, key) {
      if (key === 'level') return 0;
      if (key === 'then') return undefined; // not a promise: `await`ing a chalk gives the chalk
      if (key === 'visible') return visible;
      if (typeof key === 'string' && FACTORIES.has(key)) return () => proxy;
      return typeof key === 'string' ? proxy : undefined;
    },
    set: () => true,
  };
  const proxy = new Proxy(style, handler) as unknown as ChalkInstance;
  const visible: ChalkInstance = empty ? proxy : plainChalk(true);
  return proxy;
}

/** The stand-in for chalk when colour is off. */
export const PLAIN_PAINT: ChalkInstance = plainChalk(false);

/** A chalk for text that is coloured when `color` (and chalk was loaded), else plain. */
export function painter(color: boolean): ChalkInstance {
  return color && chalk ? new chalk.Chalk({ level: 1 }) : PLAIN_PAINT;
}
