import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Resvg } from '@resvg/resvg-js';
import { Store } from '../../src/store/store.js';
import { wrappedFromStore, writeWrapped } from '../../src/charts/wrapped.js';
import { WRAPPED_COLORS, wrappedPng, wrappedSvg } from '../../src/charts/wrapped-card.js';
import type { WrappedData } from '../../src/charts/wrapped-data.js';
import { runCli } from '../support/run-cli.js';
import { tmpDir } from '../support/tmp.js';
import { mulberry32 } from '../support/rng.js';
import { decodePng, hexRgb } from './wrapped-png.js';

/**
 * A store with known truth:
 *   exp_a (2026-06-01..04): control/test, 400 units (u0..u399) first exposed 200, 100, 50, 50 per day;
 *     revenue = 0.9 pre + U(0, 20) + 12 in test: a big significant win, pre-period revenue cuts
 *     the variance by ~95% (so ceil(4 x 0.05) = 1 day gives the same power: 3 of 4 days saved).
 *     Status decision_made, launchedGroupID = test's group id: a shipped win.
 *   exp_b (2026-03-01 and 03-06): control/b1/b2, 300 units (u0..u299, all also in exp_a); clicks
 *     equal within each triple of units (one per group): exactly no effect, nothing moved.
 *   exp_c (2025): 50 other units, another year.
 */
async function seedStore(file: string): Promise<void> {
  const store = await Store.open(file, { create: true });
  const r = mulberry32(11);
  await store.run(`INSERT INTO entities (kind, name, type, status, spec) VALUES
    ('metrics', 'revenue', 'sum', 'active', '{"name":"revenue","type":"sum","metricEvents":[{"name":"purchase","type":"value"}]}'),
    ('metrics', 'clicks', 'event_count_custom', 'active', '{"name":"clicks","type":"event_count_custom","metricEvents":[{"name":"click"}]}'),
    ('experiments', 'exp_a', 'experiment', 'decision_made', '{"name":"exp_a","status":"decision_made","launchedGroupID":"gid_test","groups":[{"name":"control","id":"gid_control","size":50},{"name":"test","id":"gid_test","size":50}],"primaryMetrics":[{"name":"revenue","type":"sum"}]}'),
    ('experiments', 'exp_b', 'experiment', 'active', '{"name":"exp_b","groups":[{"name":"control","size":34},{"name":"b1","size":33},{"name":"b2","size":33}],"primaryMetrics":[{"name":"clicks","type":"event_count_custom"}]}'),
    ('experiments', 'exp_c', 'experiment', 'active', '{"name":"exp_c","groups":[{"name":"control","size":50},{"name":"test","size":50}],"primaryMetrics":[{"name":"clicks","type":"event_count_custom"}]}')`);
  await store.run(`INSERT INTO project (key, value) VALUES ('project', '{"name":"Acme Shop"}')`);
  const exposures: string[] = [];
  const events: string[] = [];
  const day = (d: string, h = 0): string => `TIMESTAMP '${d} ${String(h).padStart(2, '0')}:00:00'`;
  for (let i = 0; i < 400; i += 1) {
    const d = i < 200 ? '2026-06-01' : i < 300 ? '2026-06-02' : i < 350 ? '2026-06-03' : '2026-06-04';
    const group = i % 2 === 0 ? 'control' : 'test';
    exposures.push(`('u${i}', 'exp_a', '${group}', ${day(d, 1)})`);
    const pre = Math.round(r() * 100 * 100) / 100;
    const post = Math.round((0.9 * pre + r() * 20 + (group === 'test' ? 12 : 0)) * 100) / 100;
    events.push(`('u${i}', 'purchase', ${day('2026-05-25', 12)}, ${pre})`, `('u${i}', 'purchase', ${day('2026-06-05', 12)}, ${post})`);
  }
  for (let i = 0; i < 300; i += 1) {
    const d = i < 150 ? '2026-03-01' : '2026-03-06';
    exposures.push(`('u${i}', 'exp_b', '${['control', 'b1', 'b2'][i % 3]}', ${day(d, 1)})`);
    for (let k = 0; k <= Math.floor(i / 3) % 4; k += 1) events.push(`('u${i}', 'click', ${day('2026-03-07', 10 + k)}, NULL)`);
  }
  for (let i = 0; i < 50; i += 1) exposures.push(`('v${i}', 'exp_c', '${i % 2 === 0 ? 'control' : 'test'}', ${day('2025-11-10', 1)})`);
  await store.run(`INSERT INTO exposures VALUES ${exposures.join(',')}`);
  await store.run(`INSERT INTO events (unit_id, event, ts, value) VALUES ${events.join(',')}`);
  store.close();
}

let cwd: string;
let db: string;
let data: WrappedData;

beforeAll(async () => {
  cwd = tmpDir();
  db = path.join(cwd, '.statsig-hack', 'project.duckdb');
  await seedStore(db);
  const store = await Store.open(db, { readOnly: true });
  try {
    data = await wrappedFromStore(store);
  } finally {
    store.close();
  }
}, 120_000);

/** Parses the SVG with resvg's XML parser (throws on malformed XML) and returns its size. */
function parseSvg(svg: string): { width: number; height: number } {
  const r = new Resvg(svg);
  return { width: r.width, height: r.height };
}

const near = (a: number[], b: number[], tol = 6): boolean => a.every((v, i) => Math.abs(v - (b[i] as number)) <= tol);

describe('wrapped from a seeded store', () => {
  it('computes the known numbers', () => {
    expect(data.year).toBe(2026); // the latest year with exposures
    expect(data.project).toBe('Acme Shop');
    expect(data.experiments_run).toBe(2); // exp_c ran in 2025
    expect(data.experiments_analyzed).toBe(2);
    expect(data.units).toBe(400); // exp_b's 300 units are among exp_a's 400
    expect(data.wins).toBe(1);
    expect(data.shipped_wins).toBe(1);
    expect(data.metrics_moved).toBe(1); // revenue; clicks have exactly no effect
    const lift = data.biggest_lift!;
    expect(lift).toMatchObject({ experiment: 'exp_a', variant: 'test', metric: 'revenue' });
    // Truth: +12 on a control mean of 0.9 * 50 + 10 = 55.
    expect(lift.rel_lift!).toBeGreaterThan(0.17);
    expect(lift.rel_lift!).toBeLessThan(0.27);
    const a = data.cupac.experiments.find((s) => s.experiment === 'exp_a')!;
    // VR = 0.81 var(pre) / (0.81 var(pre) + var(noise)) = 675 / 708 ~ 0.95.
    expect(a.variance_reduction!).toBeGreaterThan(0.9);
    expect(a).toMatchObject({ days_run: 4, days_needed: 1, days_saved: 3 });
    const b = data.cupac.experiments.find((s) => s.experiment === 'exp_b')!;
    expect(b).toMatchObject({ days_run: 6, days_saved: 0 });
    expect(data.cupac.days_saved).toBe(3);
    const byId = Object.fromEntries(data.awards.map((x) => [x.id, x]));
    expect(byId.variance_cut).toMatchObject({ experiment: 'exp_a', metric: 'revenue' });
    expect(byId.most_variants).toMatchObject({ experiment: 'exp_b', value: 3 });
    expect(byId.longest_running).toMatchObject({ experiment: 'exp_b', value: 6 });
    expect(byId.biggest_audience).toMatchObject({ experiment: 'exp_a', value: 400 });
  });

  it('agrees with analyze on the lift (the same analysis, not a second one)', async () => {
    const res = await runCli(['analyze', '--experiment', 'exp_a', '--no-save', '--json'], { cwd });
    expect(res.code, res.stderr).toBe(0);
    const row = res.json().results[0];
    expect(data.biggest_lift!.rel_lift).toBeCloseTo(row.rel_lift, 12);
    expect(data.cupac.experiments.find((s) => s.experiment === 'exp_a')!.variance_reduction).toBeCloseTo(row.variance_reduction, 12);
  });

  it('renders the card and the story: the SVG parses, the PNG has the exact size and the background colour', async () => {
    for (const [size, width, height] of [['card', 1200, 630], ['story', 1080, 1920]] as const) {
      const svg = await wrappedSvg(data, size);
      expect(parseSvg(svg)).toEqual({ width, height });
      expect(svg).toContain('<title>Statsig Wrapped 2026</title>');
      const png = decodePng(await wrappedPng(data, size));
      expect([png.width, png.height]).toEqual([width, height]);
      const bg = hexRgb(WRAPPED_COLORS.background);
      for (const [x, y] of [[3, 3], [width - 4, height - 4], [width - 4, 3]] as const) expect(near(png.pixel(x, y).slice(0, 3), bg), `${size} (${x},${y})`).toBe(true);
      // Something is drawn on it: a stat tile's colour inside the first tile.
      const tile = hexRgb(WRAPPED_COLORS.tile);
      const inTile = size === 'card' ? png.pixel(48, 220) : png.pixel(72, 700);
      expect(near(inTile.slice(0, 3), tile), `${size} tile ${inTile.join(',')}`).toBe(true);
    }
  });

  it('--redact: no metric or experiment name and no metric value in the SVG, the JSON or the text', async () => {
    const plain = await wrappedSvg(data, 'card');
    // The check can fail: without --redact the names and the lift are there.
    expect(plain).toContain('revenue');
    expect(plain).toContain('exp_a');
    const lift = `${(data.biggest_lift!.rel_lift! * 100).toFixed(1)}%`;
    expect(plain).toContain(lift);

    const file = path.join(cwd, 'redacted.svg');
    const store = await Store.open(db, { readOnly: true });
    const { data: red } = await writeWrapped(store, { redact: true }, file).finally(() => store.close());
    const svg = fs.readFileSync(file, 'utf8');
    const res = await runCli(['wrapped', '--redact', '--json'], { cwd });
    expect(res.code, res.stderr).toBe(0);
    for (const text of [svg, JSON.stringify(red), res.stdout]) {
      for (const secret of ['revenue', 'clicks', 'exp_a', 'exp_b', 'Acme', lift, String(data.biggest_lift!.rel_lift)]) expect(text, secret).not.toContain(secret);
    }
    expect(svg).toContain('Metric A');
    expect(res.json()).toMatchObject({ redacted: true, experiments_run: 2, units: 400, files: [] });
  });
});

describe('wrapped command', () => {
  it('writes the card and the story as PNG and prints the numbers', async () => {
    const res = await runCli(['wrapped', '--year', '2026', '--both', '--out', 'out/w.png'], { cwd: (fs.mkdirSync(path.join(cwd, 'out'), { recursive: true }), cwd) });
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toContain('Statsig Wrapped 2026');
    expect(res.stdout).toContain('3 days saved by CUPAC');
    expect(res.stdout).toContain('✓ wrote out/w.png (card, 1200x630');
    expect(res.stdout).toContain('wrote out/w-story.png (story, 1080x1920');
    const card = decodePng(fs.readFileSync(path.join(cwd, 'out/w.png')));
    const story = decodePng(fs.readFileSync(path.join(cwd, 'out/w-story.png')));
    expect([card.width, card.height, story.width, story.height]).toEqual([1200, 630, 1080, 1920]);
  });

  it('--json gives one document with the numbers and the rules', async () => {
    const res = await runCli(['wrapped', '--year', '2025', '--json'], { cwd });
    expect(res.code, res.stderr).toBe(0);
    const doc = res.json();
    expect(doc).toMatchObject({ year: 2025, experiments_run: 1, units: 50, wins: 0, files: [] });
    expect(doc.rules.days_saved).toContain('(1 - VR)');
  });

  it('bad input: one line with a hint, no stack', async () => {
    const noYear = await runCli(['wrapped', '--year', '2024', '--out', 'x.png'], { cwd });
    expect(noYear.code).toBe(1);
    expect(noYear.stderr).toContain('no experiments ran in 2024');
    expect(noYear.stderr).toContain('years with experiments: 2025, 2026');
    // Exactly the error and its hint: no progress line closed before it ever started.
    expect(noYear.stderr.trim().split('\n')).toHaveLength(2);
    expect(fs.existsSync(path.join(cwd, 'x.png'))).toBe(false);

    const empty = tmpDir();
    const missing = await runCli(['wrapped'], { cwd: empty });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^error: no project store at .*\n {2}hint: /);

    (await Store.open(path.join(empty, '.statsig-hack', 'project.duckdb'), { create: true })).close();
    const none = await runCli(['wrapped'], { cwd: empty });
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('the project store has no experiment exposures');
    expect(none.stderr).toContain('hint: run `statsig-hack seed`');

    const ext = await runCli(['wrapped', '--out', 'w.jpg'], { cwd });
    expect(ext.code).toBe(2);
    expect(ext.stderr).toContain('--out must end in .png or .svg');
    const badYear = await runCli(['wrapped', '--year', 'last'], { cwd });
    expect(badYear.code).toBe(2);
    const dir = await runCli(['wrapped', '--out', 'nowhere/w.png'], { cwd });
    expect(dir.code).toBe(1);
    expect(dir.stderr).toContain('does not exist');
    for (const r of [noYear, missing, none, ext, badYear, dir]) expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
