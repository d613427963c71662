/** Human output fits the terminal: at 80 and 100 columns no line is wider; --wide shows every column. */
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { baseEnv, runCli } from '../support/run-cli.js';
import { tmpDir } from '../support/tmp.js';

const tooWide = (text: string, width: number): string[] => text.split('\n').filter((l) => [...l].length > width);

let cwd = '';
let db = '';
beforeAll(async () => {
  cwd = tmpDir();
  db = path.join(cwd, '.statsig-hack', 'demo.duckdb');
  const r = await runCli(['demo', '--users', '2000', '--json'], { cwd });
  expect(r.code).toBe(0);
}, 120_000);

describe('tables fit the terminal', () => {
  for (const width of [80, 100]) {
    it(`demo at ${width} columns`, { timeout: 120_000 }, async () => {
      const r = await runCli(['demo', '--users', '2000'], { cwd, env: baseEnv({ COLUMNS: String(width) }) });
      expect(r.code).toBe(0);
      expect(tooWide(r.stdout, width)).toEqual([]);
      expect(r.stdout).toContain('hidden to fit');
      // The point of the demo stays: the truth and whether the interval covers it.
      expect(r.stdout).toMatch(/truth +in CI/);
    });

    it(`analyze at ${width} columns`, async () => {
      const r = await runCli(['analyze', '--experiment', 'garden_gnome_search_ranking', '--db', db], { cwd, env: baseEnv({ COLUMNS: String(width) }) });
      expect(r.code).toBe(0);
      expect(tooWide(r.stdout, width)).toEqual([]);
      expect(r.stdout).toContain('raw CI, raw diff');
      expect(r.stdout).toContain('--wide shows every column');
    });
  }

  it('--wide shows every column; without a TTY or $COLUMNS the table is not cut (stable in CI)', async () => {
    const wide = await runCli(['analyze', '--experiment', 'garden_gnome_search_ranking', '--db', db, '--wide'], { cwd, env: baseEnv({ COLUMNS: '80' }) });
    const plain = await runCli(['analyze', '--experiment', 'garden_gnome_search_ranking', '--db', db], { cwd });
    for (const r of [wide, plain]) {
      expect(r.stdout).toMatch(/raw diff +raw CI +raw p +var cut/);
      expect(r.stdout).not.toContain('hidden to fit');
      expect(r.stdout).not.toContain('\x1b[');
    }
    expect(tooWide(wide.stdout, 100).length).toBeGreaterThan(0);
  });

  it('colours significance when colour is on: green gain, dim for not significant', async () => {
    const r = await runCli(['analyze', '--experiment', 'garden_gnome_search_ranking', '--db', db], { cwd, env: baseEnv({ FORCE_COLOR: '1', COLUMNS: '100' }) });
    const sig = r.stdout.split('\n').find((l) => l.startsWith('product_view:event_count  personalized'));
    const not = r.stdout.split('\n').find((l) => l.startsWith('searches_per_session      personalized'));
    expect(sig).toContain('\x1b[32m+9.2%');
    expect(not).toContain('\x1b[2m');
    expect(not).not.toContain('\x1b[32m');
  });
});

describe('power output', () => {
  it('wraps to the terminal and hints a power the flag accepts', async () => {
    const r = await runCli(['power', '--metric', 'revenue', '--n', '50000', '--variance', '400', '--mean', '20', '--variance-reduction', '0.4'], { cwd: tmpDir(), env: baseEnv({ COLUMNS: '60' }) });
    expect(r.code).toBe(0);
    expect(r.stdout.replace(/\n {4}/g, ' ')).toContain('50,000 units per arm');
    expect(tooWide(r.stdout, 60)).toEqual([]);
    // A heading that ends in a colon, the metric up front: never "...effect on\n    revenue is".
    expect(r.stdout.replace(/\n {4}/g, ' ')).toMatch(/^Minimum detectable effect on revenue with 50,000 units per arm \(80% power, alpha 0\.05, two-sided\):\n {2}without adjustment: /);
    expect(r.stdout).not.toMatch(/ is\n/);
    const bad = await runCli(['power', '--metric', 'revenue', '--n', '50000', '--variance', '400', '--power', '80'], { cwd: tmpDir() });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('e.g. --power 0.8');
  });
});

/** The commands a run suggests (each line of a "Next:" block, shell continuations joined) as argv. */
function suggested(text: string): string[][] {
  const block = text.split(/^Next:\n/m)[1] ?? '';
  const joined = block.replace(/ \\\n\s+/g, ' ');
  return joined
    .split('\n')
    .map((l) => /^ {2}statsig-hack (.+)$/.exec(l)?.[1])
    .filter((c): c is string => c !== undefined)
    .map((c) => c.split(' '));
}

describe('status, query, whatchanged, seed and push fit the terminal; counts have separators', () => {
  for (const width of [80, 100]) {
    const env = (): NodeJS.ProcessEnv => baseEnv({ COLUMNS: String(width) });

    it(`status at ${width} columns: separators, a wrapped description, a next step that works`, async () => {
      const r = await runCli(['status', '--db', db], { cwd, env: env() });
      expect(r.code).toBe(0);
      expect(tooWide(r.stdout, width)).toEqual([]);
      // Rows are counts: "2,000", never "2000" next to "2,000 users".
      expect(r.stdout).toMatch(/^users +2,000$/m);
      expect(r.stdout).not.toMatch(/\b\d{4,}\b(?![-\d])/);
      expect(r.stdout.replace(/\n +/g, ' ')).toContain('selling garden gnome goods');
      expect(r.stdout).toMatch(/Experiments: garden_gnome_/);
      const next = suggested(r.stdout);
      expect(next.length).toBe(1);
      const ran = await runCli(next[0] as string[], { cwd, env: env() });
      expect(ran.code, ran.stderr).toBe(0);
    });

    it(`the missing-store hint at ${width} columns puts the command on its own line, and it works`, async () => {
      const r = await runCli(['forecast', '--metric', 'dau', '--by', 'country'], { cwd, env: env() });
      expect(r.code).toBe(1);
      expect(tooWide(r.stderr, width)).toEqual([]);
      const cmd = /^ +statsig-hack (.+)$/m.exec(r.stderr.replace(/ \\\n\s+/g, ' '))?.[1];
      expect(cmd).toBe('forecast --metric dau --by country --db .statsig-hack/demo.duckdb');
      const ran = await runCli((cmd as string).split(' '), { cwd, env: env() });
      expect(ran.code, ran.stderr).toBe(0);
    }, 120_000);

    it(`query at ${width} columns: wide cells are cut, the row count has separators`, async () => {
      const r = await runCli(['query', 'SELECT kind, name, spec FROM entities ORDER BY kind, name', '--db', db], { cwd, env: env() });
      expect(r.code).toBe(0);
      expect(tooWide(r.stdout, width)).toEqual([]);
      expect(r.stdout).toMatch(/^kind +name +spec/m);
      expect(r.stdout).toContain('…');
      const many = await runCli(['query', 'SELECT * FROM users', '--db', db], { cwd, env: env() });
      expect(tooWide(many.stdout, width)).toEqual([]);
      expect(many.stdout).toContain('(first 200 rows shown; there are more');
      const total = await runCli(['query', 'SELECT range AS n FROM range(1500)', '--limit', '1500', '--db', db], { cwd, env: env() });
      expect(total.stdout).toContain('(1,500 rows)');
    });

    it(`whatchanged at ${width} columns: the verdict wraps at word boundaries, tables fit`, async () => {
      const demo = (await runCli(['demo', '--users', '2000', '--json'], { cwd })).json();
      const w = demo.drilldown.result;
      const args = ['whatchanged', '--metric', w.metric, '--baseline', w.periods.baseline.label, '--current', w.periods.current.label, '--db', db];
      const r = await runCli(args, { cwd, env: env() });
      expect(r.code).toBe(0);
      expect(tooWide(r.stdout + r.stderr, width)).toEqual([]);
      // The verdict leads, cut only between words: joined back it is the summary.
      const verdict = r.stdout.split('\n\n')[0] as string;
      expect(verdict.split('\n').length).toBeGreaterThan(1);
      expect(verdict.replace(/\n/g, ' ')).toBe(w.summary);
      expect(r.stdout).toMatch(/^1\. platform/m);
      if (width === 80) {
        expect(r.stdout).toMatch(/hidden to fit 80 columns; --wide shows every column/);
        const wide = await runCli([...args, '--wide'], { cwd, env: env() });
        expect(wide.stdout).toMatch(/ units +contrib +mix +rate +q +sig/);
        expect(wide.stdout).not.toContain('hidden to fit');
      }
    }, 120_000);

    it(`seed at ${width} columns: effects as an indented table, the next step works`, async () => {
      const dir = tmpDir();
      const r = await runCli(['seed', 'a mobile puzzle game', '--offline', '--users', '300', '--days', '7', '--pre-days', '7', '--db', 'p.duckdb'], { cwd: dir, env: env() });
      expect(r.code, r.stderr).toBe(0);
      expect(tooWide(r.stdout + r.stderr, width)).toEqual([]);
      expect(r.stdout).toContain('Seeded "Mobile Games" (offline, gaming, seed 42) into p.duckdb');
      expect(r.stdout).toMatch(/^ {4}\S+ +\S+ +[+-]\d+\.\d+% +\([+-][\d.]+\)$/m);
      const next = suggested(r.stdout);
      expect(next).toEqual([['analyze', '--experiment', 'mobile_starter_bundle', '--db', 'p.duckdb']]);
      const ran = await runCli(next[0] as string[], { cwd: dir, env: env() });
      expect(ran.code, ran.stderr).toBe(0);
    }, 120_000);

    it(`push --dry-run at ${width} columns: the base URL and headers once, bodies fit`, async () => {
      const r = await runCli(['push', '--dry-run', '--db', db], { cwd, env: env() });
      expect(r.code, r.stderr).toBe(0);
      expect(tooWide(r.stdout + r.stderr, width)).toEqual([]);
      expect(r.stdout).toContain('Console API requests to https://statsigapi.net');
      expect(r.stdout.match(/STATSIG-API-KEY: \*\*\*/g)?.length).toBe(1);
      expect(r.stdout).toMatch(/^ {2}POST \/console\/v1\/experiments$/m);
      expect(r.stderr.replace(/\n +/g, ' ')).toContain('2 dynamic configs, 7 metrics, 1 layer, 4 experiments, in this order');
    });
  }

  it('without a width the push requests are one JSON line each (as piped before)', async () => {
    const r = await runCli(['push', '--dry-run', '--db', db, '--kind', 'metrics'], { cwd });
    const bodies = r.stdout.split('\n').filter((l) => l.startsWith('    {'));
    expect(bodies.length).toBe(7);
    for (const b of bodies) expect(() => JSON.parse(b)).not.toThrow();
  });
});

describe('doctor and empty-store hints', () => {
  it('doctor at 80 columns wraps a long fix under its column', async () => {
    const dir = tmpDir();
    expect((await runCli(['init'], { cwd: dir })).code).toBe(0);
    const r = await runCli(['doctor', '--offline', '--no-launch'], { cwd: dir, env: baseEnv({ COLUMNS: '80' }) });
    expect(tooWide(r.stdout, 80)).toEqual([]);
    expect(r.stdout).toMatch(/^ {11}fix: set OPENAI_API_KEY, or OPENAI_BASE_URL for a local server\n {16}\(Ollama/m);
  });

  it('forecast on an empty store names the import flag that exists, and the demo store', async () => {
    const dir = tmpDir();
    expect((await runCli(['init'], { cwd: dir })).code).toBe(0);
    const r = await runCli(['forecast', '--metric', 'dau', '--json'], { cwd: dir });
    expect(r.code).toBe(1);
    const hint = r.json().error.hint as string;
    expect(hint).toContain('statsig-hack import events.csv --into events');
    expect(hint).toContain('--db .statsig-hack/demo.duckdb');
    // The import it names parses (the flag exists): a missing file, not an unknown option.
    const imp = await runCli(['import', 'events.csv', '--into', 'events'], { cwd: dir });
    expect(imp.stderr).not.toMatch(/unknown option/);
  });
});
