/**
 * A new user's first commands read cleanly at 100 columns (review findings 2, 4, 6, 17, 20, 21):
 * prose wraps between words (numbers, dates and commands whole), search and chat show the user's
 * own words (never the index's internal text), headings keep their numbers.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { baseEnv, runCli, type CliResult } from '../support/run-cli.js';
import { tmpDir } from '../support/tmp.js';

const DB = '.statsig-hack/demo.duckdb';
const tooWide = (text: string, width: number): string[] => text.split('\n').filter((l) => [...l].length > width);
/** Human text with its wrapping undone: a continuation line joins the line before with one space. */
const unwrap = (text: string): string => text.replace(/\n +/g, ' ');
/** Text with every run of white space as one space (a wrapped paragraph reads as the one-line original). */
const flat = (text: string): string => text.replace(/\s+/g, ' ');
/** Internal index text: spec strings joined by " . ", the synonyms added for retrieval. */
const INTERNAL = /( \. |raised up|lowered down|userID)/;

let cwd = '';
let demo: CliResult;
let demoJson: {
  window: { pre_start: string; end: string };
  anomalies: { start: string; end: string; description: string }[];
};
const at = (width: number): NodeJS.ProcessEnv => baseEnv({ COLUMNS: String(width) });
const cli = (args: string[], width = 100): Promise<CliResult> => runCli(args, { cwd, env: at(width) });

beforeAll(async () => {
  cwd = tmpDir('sh-readable-');
  const j = await runCli(['demo', '--users', '600', '--json'], { cwd });
  expect(j.code, j.stderr).toBe(0);
  demoJson = j.json();
  demo = await cli(['demo', '--users', '600']);
  expect(demo.code, demo.stderr).toBe(0);
}, 240_000);

describe('demo output', () => {
  it('the header range ends on the last day with data; a one-day anomaly is one date', () => {
    const end = new Date(Date.parse(`${demoJson.window.end}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10);
    expect(demo.stdout.split('\n')[0]).toContain(`(${demoJson.window.pre_start}..${end})`);
    const oneDay = demoJson.anomalies.find((a) => a.start === a.end);
    expect(oneDay).toBeDefined();
    expect(demo.stdout).toContain(`\n  ${oneDay?.start}  ${oneDay?.description.slice(0, 20)}`);
    expect(demo.stdout).not.toContain(`${oneDay?.start}..${oneDay?.start}`);
    expect(tooWide(demo.stdout, 100)).toEqual([]);
  });

  it('demo --help: its own --db default, and a command never split across lines', async () => {
    const r = await cli(['demo', '--help']);
    expect(r.stdout).toMatch(/--db <path> +where the demo writes \(default: \.statsig-hack\/demo\.duckdb\)/);
    expect(r.stdout).not.toContain('project.duckdb');
    expect(r.stdout).toMatch(/^ +\$ statsig-hack status --db \.statsig-hack\/demo\.duckdb$/m);
    expect(tooWide(r.stdout, 100)).toEqual([]);
  });
});

describe("the demo's suggested ask, show and explain fit 100 columns (and COLUMNS when piped)", () => {
  for (const width of [100, 60]) {
    it(`ask at ${width} columns: the answer wraps between words; every result line reads whole`, async () => {
      const q = 'which experiments moved revenue the most';
      const json = (await cli(['ask', q, '--db', DB, '--json'])).json<{ answer: string }>();
      const r = await cli(['ask', q, '--db', DB], width);
      expect(r.code, r.stderr).toBe(0);
      expect(tooWide(r.stdout, width)).toEqual([]);
      expect(r.stdout.split('\n').length).toBeGreaterThan(3);
      expect(flat(r.stdout)).toContain(flat(json.answer));
      // No line ends on a label that belongs to the number after it ("p" / "p <").
      expect(r.stdout).not.toMatch(/ (p|<)\n/);
      // Estimates and bounds in plain decimals, as in the demo's table.
      expect(r.stdout).not.toMatch(/\de-\d/);
    });

    it(`show at ${width} columns`, async () => {
      const r = await cli(['show', 'experiment', 'garden_gnome_search_ranking', '--db', DB], width);
      expect(r.code, r.stderr).toBe(0);
      expect(tooWide(r.stdout, width)).toEqual([]);
      expect(r.stdout).not.toMatch(/ (p|<)\n/);
      expect(r.stdout).not.toMatch(/\de-\d/);
      expect(unwrap(r.stdout)).toMatch(/searches_per_session \(personalized vs Control\): [-+]\d+\.\d%, estimate -?0\.\d+ \[/);
    });

    it(`explain at ${width} columns: dates and numbers whole, counts with separators`, async () => {
      const json = (await cli(['explain', '--metric', 'revenue', '--db', DB, '--json'])).json<{ explanation: string; window: { start: string; end: string } }>();
      const r = await cli(['explain', '--metric', 'revenue', '--db', DB], width);
      expect(r.code, r.stderr).toBe(0);
      expect(tooWide(r.stdout, width)).toEqual([]);
      expect(flat(r.stdout)).toContain(flat(json.explanation));
      expect(flat(r.stdout)).toContain(`From ${json.window.start} to ${json.window.end}`);
      // A daily average in the thousands is written with a separator.
      expect(json.explanation).toMatch(/averaged \d{1,3}(,\d{3})+ per day/);
    });
  }
});

describe('search and chat speak the user\'s words', () => {
  it('search snippets come from descriptions and results in words, never the index text', async () => {
    const json = (await cli(['search', 'revenue', '--db', DB, '--json'])).json<{ results: { kind: string; name: string; snippet: string }[] }>();
    expect(json.results.length).toBeGreaterThan(3);
    for (const r of json.results) expect(r.snippet, r.name).not.toMatch(INTERNAL);
    const metric = json.results.find((r) => r.kind === 'metric' && r.name === 'revenue');
    const spec = (await cli(['query', "SELECT json_extract_string(spec, '$.description') AS d FROM entities WHERE kind = 'metrics' AND name = 'revenue'", '--db', DB, '--json'])).json<{ rows: { d: string }[] }>();
    const description = spec.rows[0]?.d as string;
    expect(description.length).toBeGreaterThan(5);
    expect(metric?.snippet.startsWith(description)).toBe(true);
    const card = json.results.find((r) => r.kind === 'scorecard');
    expect(card?.snippet).toMatch(/revenue \(Test vs Control\): [-+]\d+\.\d%, (not )?significant/);
    // A results snippet cut at its start begins with a whole result ("metric (arm vs control): …").
    for (const r of json.results.filter((x) => x.kind === 'scorecard')) expect(r.snippet).toMatch(/^…?[\w:]+ \(\S+ vs \S+\): [-+]/);
    const human = await cli(['search', 'revenue', '--db', DB]);
    expect(tooWide(human.stdout, 100)).toEqual([]);
  });

  it("chat answers what a metric measures from its description, and quotes no index text", async () => {
    const r = await cli(['chat', 'what does the revenue metric measure', '--db', DB, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const j = r.json<{ known: boolean; answer: string; quotes: { text: string; path: string }[] }>();
    expect(j.known).toBe(true);
    expect(j.quotes[0]).toMatchObject({ path: '/metrics/revenue' });
    expect(j.answer).toContain('Order value per user');
    const how = (await cli(['chat', 'how is revenue defined', '--db', DB, '--json'])).json<{ answer: string; quotes: { text: string }[] }>();
    for (const q of how.quotes) expect(q.text).not.toMatch(INTERNAL);
    expect(how.answer).not.toMatch(INTERNAL);
  });
});

describe('analyze prose and headings', () => {
  it('segment headings wrap at 100 columns: their numbers are never cut', async () => {
    const r = await cli(['analyze', '--experiment', 'garden_gnome_search_ranking', '--segments', 'plan', '--db', DB]);
    expect(r.code, r.stderr).toBe(0);
    expect(tooWide(r.stdout, 100)).toEqual([]);
    const headings = unwrap(r.stdout).split('\n').filter((l) => l.startsWith('plan / '));
    expect(headings.length).toBeGreaterThan(0);
    for (const h of headings) expect(h).toMatch(/(Q = [\d.]+, df = \d+, p = [\d.e-]+, BH p = [\d.e-]+(, I2 = \d+%)?|fewer than 2 testable segments)( HETEROGENEOUS)?$/);
  });

  it('a --decide reason wraps under its own text', async () => {
    const r = await cli(['analyze', '--experiment', 'garden_gnome_one_page_checkout', '--decide', '--guardrails', 'avg_order_value:decrease', '--db', DB], 80);
    const verdict = r.stdout.slice(r.stdout.indexOf('Verdict:'));
    expect(tooWide(verdict, 80)).toEqual([]);
    const lines = verdict.split('\n').slice(1).filter((l) => l.trim() !== '');
    expect(lines[0]).toMatch(/^ {2}- /);
    expect(lines.length).toBeGreaterThan(1);
    for (const l of lines.slice(1)) expect(l).toMatch(/^ {2}(- | {2}\S)/);
  });
});
