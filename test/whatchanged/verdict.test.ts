/**
 * Issue 20: when nothing moved (day-to-day p around 0.9) whatchanged printed about 90 lines of
 * tables before the one line that matters. The human output now leads with the verdict and shows
 * the tables only when there is something to explain, or with --all; --json is unchanged.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/run-cli.js';
import { tmpStore } from '../support/tmp.js';
import { generate, load } from './fixtures.js';

const PERIODS = ['--baseline', '2026-10-01..2026-10-07', '--current', '2026-10-08..2026-10-14'];
let quietDb: string;
let movedDb: string;
let dir: string;

beforeAll(async () => {
  const quiet = await tmpStore();
  dir = quiet.dir;
  quietDb = quiet.file;
  await load(quiet.store, generate({ seed: 7, users: 3000, active: () => 0.5 }));
  quiet.store.close();
  const moved = await tmpStore();
  movedDb = moved.file;
  await load(moved.store, generate({ seed: 31, users: 2500, active: (u, p) => (u.country === 'BR' && p === 1 ? 0.2 : 0.5) }));
  moved.store.close();
}, 60_000);

const wc = (db: string, args: string[]) => runCli(['--db', db, 'whatchanged', '--metric', 'purchase', ...PERIODS, ...args], { cwd: dir });

describe('whatchanged leads with the verdict', () => {
  it('nothing moved: the verdict first, no tables, and how to see them', async () => {
    const json = await wc(quietDb, ['--json']);
    const j = json.json();
    expect(j.headline.beyond_noise).toBe(false);
    expect(j.dimensions.length).toBeGreaterThan(2);
    const r = await wc(quietDb, []);
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe(j.summary);
    expect(lines[0]).toMatch(/within normal day-to-day noise .*No segment changed significantly: probably nothing to explain\./);
    expect(lines.length).toBeLessThanOrEqual(12);
    expect(r.stdout).not.toMatch(/Dimensions, ranked/);
    expect(lines.at(-1)).toMatch(/^\(\d+ dimension tables not shown: nothing moved beyond noise and no segment changed significantly; --all shows them\)$/);
  });

  it('notices about tables not shown follow the verdict as a note; with --all they lead as warnings', async () => {
    const r = await wc(quietDb, ['--dimensions', 'country', '--max-values', '2']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/probably nothing to explain/);
    expect(r.stderr).not.toMatch(/warning:/);
    expect(r.stderr).toMatch(/^note \(tables not shown\): country has \d+ values: kept the 2 that move purchase most/m);
    const all = await wc(quietDb, ['--dimensions', 'country', '--max-values', '2', '--all']);
    expect(all.stderr).toMatch(/^warning: country has \d+ values: kept the 2/m);
    expect(all.stderr).not.toMatch(/note \(tables not shown\)/);
    const json = (await wc(quietDb, ['--dimensions', 'country', '--max-values', '2', '--json'])).json();
    expect(json.table_notices).toEqual([expect.stringMatching(/^country has \d+ values/)]);
  });

  it('--all prints the tables anyway; --json is the same document with or without it', async () => {
    const all = await wc(quietDb, ['--all']);
    expect(all.stdout.split('\n')[0]).toMatch(/probably nothing to explain/);
    expect(all.stdout).toMatch(/Dimensions, ranked by how well they explain the change/);
    // The heading says the order: a dimension whose segments explain the change ranks above a higher score that does not.
    expect(all.stdout).toMatch(/then the rest, each\s+by score/);
    expect(all.stdout).toMatch(/\n1\. /);
    const doc = (await wc(quietDb, ['--all', '--json'])).json();
    const unwrapped = all.stdout.replace(/\n {4}/g, ' ');
    for (const d of doc.dimensions as { rank: number; explains: boolean; dimension: string }[]) {
      const head = new RegExp(`\\n${d.rank}\\. ${d.dimension} [^\\n]*short of the explanatory threshold`);
      if (d.explains) expect(unwrapped).not.toMatch(head);
      else expect(unwrapped).toMatch(head);
    }
    // DuckDB's parallel sums may differ in the last bit between runs: compare at 12 digits.
    const digits = (doc: unknown): unknown => JSON.parse(JSON.stringify(doc, (_k, v: unknown) => (typeof v === 'number' && !Number.isInteger(v) ? Number(v.toPrecision(12)) : v)));
    const a = digits((await wc(quietDb, ['--json'])).json());
    const b = digits((await wc(quietDb, ['--json', '--all'])).json());
    expect(b).toEqual(a);
  });

  it('something moved: the verdict first, then the tables that explain it', async () => {
    const r = await wc(movedDb, ['--dimensions', 'country,platform']);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toMatch(/^purchase fell .* beyond normal day-to-day noise .*BR \(country\)/);
    expect(r.stdout).toMatch(/Dimensions, ranked/);
    expect(r.stdout).not.toMatch(/--all shows them/);
  });
});
