/**
 * A new user's first session on a real 100-column terminal (the built CLI under a pty): demo, then
 * status, the demo's suggested analyze and whatchanged, and every command that any of these runs
 * suggests ("Next:" blocks and error hints). Nothing may wrap, no internal name may show, and
 * every suggested command must exit 0.
 */
import { describe, expect, it } from 'vitest';
import { spawnPty, type PtyRun } from '../support/pty.js';
import { tmpDir } from '../support/tmp.js';

const COLS = 100;

/** Names that belong to the code, not to the user: SQL aliases of covariates, stack frames, leaks. */
const INTERNAL: RegExp[] = [
  /\bm\d+_(?:v|num|den)(?:_\w+)?\b/, // covariate columns of the analysis SQL (m2_num_pre)
  /\b(?:pre|post)_(?:sum|sumsq|cnt|n)\w*\b/, // sufficient-statistics aliases
  /^\s+at .+\(.+:\d+:\d+\)$/m, // a stack frame
  /node:internal|file:\/\/\//,
  /unexpected error|run with --debug/,
  /\[object Object\]|\bundefined\b|\bNaN\b/,
];

/** Splits a suggested command the way a shell would (single quotes only: what shellWord writes). */
function argv(cmd: string): string[] {
  return [...cmd.matchAll(/'((?:[^']|'\\'')*)'|(\S+)/g)].map((m) => (m[1] !== undefined ? m[1].replace(/'\\''/g, "'") : (m[2] as string)));
}

/** Every command a run suggests: the lines of its "Next:" block and of its hint, continuations joined. */
function suggestions(text: string): string[] {
  const joined = text.replace(/ \\\n\s+/g, ' ');
  const out: string[] = [];
  const next = joined.split(/^Next:\n/m)[1];
  if (next !== undefined) {
    for (const l of next.split('\n')) {
      const m = /^ {2}statsig-hack (.+)$/.exec(l);
      if (!m) break;
      out.push(m[1] as string);
    }
  }
  // A hint's command sits on a line of its own under "hint:".
  const hint = /^ {2}hint: [\s\S]*$/m.exec(joined)?.[0] ?? '';
  for (const m of hint.matchAll(/^ +statsig-hack (.+)$/gm)) out.push(m[1] as string);
  return out;
}

interface Ran {
  args: string[];
  code: number;
  out: string;
  run: PtyRun;
}

async function session(cwd: string, args: string[]): Promise<Ran> {
  const run = spawnPty(args, { cwd, cols: COLS, rows: 30, timeoutMs: 240_000 });
  const code = await run.exit;
  return { args, code, out: run.output(), run };
}

function expectClean(r: Ran): void {
  const where = `statsig-hack ${r.args.join(' ')}`;
  // The terminal never wrapped a line: every table, verdict and hint fits 100 columns.
  expect(r.run.screen().wraps, `${where} wrapped:\n${r.out}`).toBe(0);
  expect(r.run.lines().filter((l) => [...l].length > COLS), where).toEqual([]);
  for (const re of INTERNAL) expect(re.test(r.out), `${where} shows ${re}:\n${r.out}`).toBe(false);
}

describe('a first session on a 100-column terminal', () => {
  it('demo → status → analyze → whatchanged, and every command they suggest, work without a wrapped line', { timeout: 600_000 }, async () => {
    const cwd = tmpDir();
    const demo = await session(cwd, ['demo', '--users', '2000']);
    expect(demo.code, demo.out).toBe(0);
    expectClean(demo);
    const fromDemo = suggestions(demo.out);
    // The demo leads to status, analyze and whatchanged on its own store.
    const pick = (name: string): string => {
      const c = fromDemo.find((s) => s.startsWith(`${name} `));
      expect(c, `the demo suggests ${name}:\n${demo.out}`).toBeDefined();
      return c as string;
    };
    for (const c of fromDemo) expect(c).toContain('--db .statsig-hack/demo.duckdb');

    // What a user types next: plain status (the default store does not exist), then what it says.
    const status = await session(cwd, ['status']);
    expect(status.code).toBe(1);
    expectClean(status);
    expect(suggestions(status.out)).toEqual([pick('status')]);

    const seen = new Set<string>();
    const queue = [pick('status'), pick('analyze'), pick('whatchanged'), ...fromDemo];
    const ran: string[] = [];
    while (queue.length > 0) {
      const cmd = queue.shift() as string;
      if (seen.has(cmd)) continue;
      seen.add(cmd);
      const r = await session(cwd, argv(cmd));
      expect(r.code, `statsig-hack ${cmd} exited ${r.code}:\n${r.out}`).toBe(0);
      expectClean(r);
      ran.push(cmd.split(' ')[0] as string);
      queue.push(...suggestions(r.out));
    }
    // The whole path was walked: status, analyze, whatchanged and forecast from the demo, and the
    // analyze that status suggests (another experiment than the demo's).
    expect(ran).toEqual(expect.arrayContaining(['status', 'analyze', 'whatchanged', 'forecast']));
    expect(seen.size).toBeGreaterThanOrEqual(5);
  });
});
