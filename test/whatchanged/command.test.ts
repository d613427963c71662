/** The whatchanged command in-process: --json and human output, --data files, and bad input. */
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Store } from '../../src/store/store.js';
import { runCli } from '../support/run-cli.js';
import { tmpDir, tmpStore } from '../support/tmp.js';
import { generate, load, writeFlatCsv } from './fixtures.js';

let dir: string;
let db: string;
let flatCsv: string;

const PERIODS = ['--baseline', '2026-10-01..2026-10-07', '--current', '2026-10-08..2026-10-14'];

beforeAll(async () => {
  const t = await tmpStore();
  dir = t.dir;
  db = t.file;
  const data = generate({ seed: 31, users: 2500, nullCountry: 0.1, active: (u, p) => (u.country === 'BR' && p === 1 ? 0.2 : 0.5) });
  await load(t.store, data);
  await t.store.run(`INSERT INTO events (unit_id, event, ts) VALUES ('u1', 'signup', TIMESTAMP '2026-10-02 10:00')`);
  await t.store.run(
    `INSERT INTO entities (kind, name, spec) VALUES ('metrics', 'avg order value', '{"name":"avg order value","type":"mean","metricEvents":[{"name":"purchase","type":"value"}]}'),
     ('metrics', 'conversion', '{"name":"conversion","type":"ratio","metricEvents":[{"name":"purchase"},{"name":"signup"}]}')`,
  );
  await t.store.run(`INSERT INTO exposures SELECT unit_id, 'checkout', 'test', TIMESTAMP '2026-09-01' FROM users LIMIT 10`);
  await t.store.run(`UPDATE users SET attributes = json_object('tier', CASE WHEN CAST(substr(unit_id, 2) AS INTEGER) % 3 = 0 THEN 'gold' ELSE 'basic' END, 'user_key', unit_id)`);
  t.store.close();
  flatCsv = writeFlatCsv(data);
});

const wc = (args: string[], json = true) => runCli(['--db', db, ...(json ? ['--json'] : []), 'whatchanged', ...args], { cwd: dir });

describe('whatchanged --json', () => {
  it('prints one JSON document with every number, dimensions and segments in rank order', async () => {
    const r = await wc(['--metric', 'purchase', ...PERIODS, '--dimensions', 'country,platform', '--percentiles']);
    expect(r.code).toBe(0);
    const j = r.json();
    expect(Object.keys(j)).toEqual(expect.arrayContaining(['headline', 'dimensions', 'cells', 'percentiles', 'summary', 'notices', 'periods']));
    expect(j.headline).toMatchObject({ baseline: expect.any(Number), current: expect.any(Number), delta: expect.any(Number), rel_delta: expect.any(Number) });
    expect(j.dimensions.map((d: { dimension: string }) => d.dimension)).toEqual(['country', 'platform']);
    expect(j.dimensions.map((d: { rank: number }) => d.rank)).toEqual([1, 2]);
    const top = j.dimensions[0].segments[0];
    expect(top).toMatchObject({ value: 'BR', significant: true });
    for (const k of ['baseline', 'current', 'delta', 'contribution', 'mix', 'rate', 'p_value', 'q_value']) expect(typeof top[k]).toBe('number');
    const impacts = j.dimensions[0].segments.map((s: { impact: number }) => Math.abs(s.impact));
    expect(impacts).toEqual([...impacts].sort((a: number, b: number) => b - a));
    // NULL countries are their own "(none)" row.
    expect(j.dimensions[0].segments.some((s: { value: string }) => s.value === '(none)')).toBe(true);
    expect(j.cells[0].dimensions).toHaveProperty('country');
    expect(j.percentiles.map((p: { p: number }) => p.p)).toEqual([0.1, 0.25, 0.5, 0.75, 0.9, 0.99]);
    expect(j.summary).toMatch(/BR \(country\)/);
  });

  it('defaults to the last 7 days of data against the 7 days before', async () => {
    const r = await wc(['--metric', 'purchase', '--dimensions', 'plan']);
    expect(r.code).toBe(0);
    const j = r.json();
    expect(j.periods.current.label).toBe('2026-10-08..2026-10-14');
    expect(j.periods.baseline.label).toBe('2026-10-01..2026-10-07');
    expect(j.agg).toBe('count');
  });

  it('resolves a metric entity to its event and aggregation', async () => {
    const r = await wc(['--metric', 'avg order value', ...PERIODS, '--dimensions', 'country']);
    expect(r.code).toBe(0);
    expect(r.json()).toMatchObject({ metric: 'avg order value', event: 'purchase', agg: 'mean' });
  });
});

describe('whatchanged dimensions from the store', () => {
  it('user attribute keys, cohorts and experiment groups are dimensions', async () => {
    const r = await wc(['--metric', 'purchase', ...PERIODS, '--dimensions', 'tier,cohort,experiment:checkout']);
    expect(r.code).toBe(0);
    const j = r.json();
    const values = (name: string) => j.dimensions.find((d: { dimension: string }) => d.dimension === name).segments.map((s: { value: string }) => s.value).sort();
    expect(values('tier')).toEqual(['basic', 'gold']);
    expect(values('experiment:checkout')).toEqual(['(none)', 'test']);
    for (const v of values('cohort')) expect(v).toMatch(/^2026-\d\d-\d\d$/);
    // auto: built-ins with data, plus low-cardinality attribute keys; ID-like keys are left out with a notice.
    const auto = await wc(['--metric', 'purchase', ...PERIODS]);
    expect(auto.json().settings.dimensions).toEqual(['country', 'platform', 'plan', 'cohort', 'tier']);
    expect(auto.json().table_notices.join('\n')).toMatch(/left out attribute user_key/);
    // --where sees the derived columns.
    const w = await wc(['--metric', 'purchase', ...PERIODS, '--dimensions', 'country', '--where', "json_extract_string(attributes, '$.tier') = 'gold'"]);
    expect(w.code).toBe(0);
    expect(w.json().headline.baseline).toBeLessThan(auto.json().headline.baseline / 2);
  });
});

describe('whatchanged human output', () => {
  it('prints the headline, ranked tables, cells and the summary; notices go to stderr', async () => {
    const r = await wc(['--metric', 'purchase', '--agg', 'sum', ...PERIODS, '--dimensions', 'country,platform,cohort', '--max-values', '3', '--top', '3'], false);
    expect(r.code).toBe(0);
    // The verdict leads; the headline follows.
    expect(r.stdout).toMatch(/^purchase fell [^\n]*\n\npurchase \(sum, project store\): baseline 2026-10-01..2026-10-07 vs current 2026-10-08..2026-10-14/);
    expect(r.stdout).toMatch(/day-to-day: daily .* Welch p/);
    expect(r.stdout).toMatch(/\n1\. country /);
    expect(r.stdout).toMatch(/Two-dimension cells that carry the change:/);
    expect(r.stdout).toMatch(/purchase fell .*BR \(country\)/);
    expect(r.stdout).toMatch(/more value.*--top/);
    expect(r.stderr).toMatch(/warning: cohort has 9 values: kept the 3 that move purchase most, the other 6 are grouped as "\(other\)"/);
    expect(r.stdout).toMatch(/\(other\)/);
  });
});

describe('whatchanged --data', () => {
  it('reads a CSV with --time, --value and dimension columns', async () => {
    const r = await runCli(['--json', 'whatchanged', '--data', flatCsv, '--value', 'amount', '--metric', 'revenue', ...PERIODS], { cwd: dir });
    expect(r.code).toBe(0);
    const j = r.json();
    expect(j).toMatchObject({ metric: 'revenue', agg: 'sum', source: 'events.csv', event: null });
    expect(j.settings.dimensions).toEqual(['country', 'platform', 'plan']);
    expect(j.dimensions[0].dimension).toBe('country');
    // Same numbers as the store.
    const s = await wc(['--metric', 'purchase', '--agg', 'sum', ...PERIODS, '--dimensions', 'country']);
    expect(j.headline.delta).toBeCloseTo(s.json().headline.delta, 6);
  });

  it('reads Parquet in place', async () => {
    const store = await Store.memory({ migrate: false });
    const pq = path.join(tmpDir(), 'events.parquet');
    await store.run(`COPY (SELECT * FROM read_csv('${flatCsv}', header = true)) TO '${pq}' (FORMAT parquet)`);
    store.close();
    const r = await runCli(['--json', 'whatchanged', '--data', pq, '--value', 'amount', '--agg', 'mean', ...PERIODS, '--dimensions', 'platform'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.json()).toMatchObject({ metric: 'amount', agg: 'mean', source: 'events.parquet' });
  });

  it('caps a huge dimension to the top values plus "(other)" and says so; leaves ID-like columns out of auto', async () => {
    const lines = ['ts,amount,sku,kind'];
    for (let i = 0; i < 2000; i++) {
      const day = i % 14;
      lines.push(`2026-10-${String(1 + day).padStart(2, '0')} 10:00:00,${(i % 7) + (day >= 7 && i % 400 < 10 ? 50 : 1)},sku${i % 400},${i % 2 ? 'a' : 'b'}`);
    }
    const file = path.join(tmpDir(), 'skus.csv');
    fs.writeFileSync(file, `${lines.join('\n')}\n`);
    const r = await runCli(['--json', 'whatchanged', '--data', file, '--value', 'amount', ...PERIODS, '--dimensions', 'sku,kind', '--max-values', '20'], { cwd: dir });
    expect(r.code).toBe(0);
    const j = r.json();
    const sku = j.dimensions.find((d: { dimension: string }) => d.dimension === 'sku');
    expect(sku).toMatchObject({ values: 400, capped: true });
    expect(sku.segments).toHaveLength(21);
    expect(sku.segments.map((s: { value: string }) => s.value)).toContain('(other)');
    // The planted skus (sku0..sku9) are kept.
    for (let i = 0; i < 10; i++) expect(sku.segments.map((s: { value: string }) => s.value)).toContain(`sku${i}`);
    expect(sku.segments.reduce((a: number, s: { impact: number }) => a + s.impact, 0)).toBeCloseTo(j.headline.delta, 6);
    expect(j.table_notices[0]).toMatch(/sku has 400 values: kept the 20 .* the other 380 are grouped as "\(other\)"/);
    expect(r.stderr).toMatch(/warning: sku has 400 values/);

    const auto = await runCli(['--json', 'whatchanged', '--data', file, '--value', 'amount', ...PERIODS], { cwd: dir });
    expect(auto.json().settings.dimensions).toEqual(['kind']);
    expect(auto.json().table_notices.join('\n')).toMatch(/left out column sku \(about/);
  });
});

describe('whatchanged bad input', () => {
  const cases: { name: string; args: string[]; code: number; message: RegExp; hint?: RegExp; data?: boolean }[] = [
    { name: 'unknown metric lists the valid ones', args: ['--metric', 'purchses', ...PERIODS], code: 2, message: /unknown metric "purchses"/, hint: /events: purchase, signup; metrics: avg order value, conversion/ },
    { name: 'missing metric lists the events', args: [...PERIODS], code: 2, message: /needs --metric/, hint: /purchase, signup/ },
    { name: 'unsupported metric type', args: ['--metric', 'conversion', ...PERIODS], code: 1, message: /is a ratio metric/, hint: /--metric purchase --agg/ },
    { name: 'unknown dimension lists the valid ones', args: ['--metric', 'purchase', ...PERIODS, '--dimensions', 'country,os'], code: 2, message: /unknown dimension "os"/, hint: /country, platform, plan, channel, cohort, tenure, experiment:checkout/ },
    { name: 'empty dimension list', args: ['--metric', 'purchase', ...PERIODS, '--dimensions', ' , '], code: 2, message: /--dimensions is empty/ },
    { name: 'empty period names the data range', args: ['--metric', 'purchase', '--baseline', '2026-09-01..2026-09-07', '--current', '2026-10-08..2026-10-14'], code: 1, message: /baseline period 2026-09-01..2026-09-07 has no purchase events/, hint: /data runs from 2026-10-01 .* to 2026-10-14/ },
    { name: 'overlapping periods', args: ['--metric', 'purchase', '--baseline', '2026-10-01..2026-10-08', '--current', '2026-10-08..2026-10-14'], code: 2, message: /overlap/ },
    { name: 'a period that ends before it starts', args: ['--metric', 'purchase', '--baseline', '2026-10-07..2026-10-01'], code: 2, message: /ends before it starts/ },
    { name: 'a malformed period', args: ['--metric', 'purchase', '--current', 'yesterday'], code: 2, message: /--current expects FROM..TO/ },
    { name: 'sum of an event without values', args: ['--metric', 'signup', '--agg', 'sum', ...PERIODS], code: 1, message: /event "signup" has no values/, hint: /--agg count/ },
    { name: 'bad --where lists the columns', args: ['--metric', 'purchase', ...PERIODS, '--where', 'plann = 1'], code: 2, message: /--where: .*plann/, hint: /country, platform, plan/ },
    { name: '--where with a second statement', args: ['--metric', 'purchase', ...PERIODS, '--where', "1=1; DROP TABLE users"], code: 2, message: /without ";"/ },
    { name: 'unknown experiment', args: ['--metric', 'purchase', ...PERIODS, '--experiment', 'nope'], code: 2, message: /no experiment "nope"/, hint: /checkout/ },
    { name: '--time without --data', args: ['--metric', 'purchase', '--time', 'ts'], code: 2, message: /--time only applies with --data/ },
    { name: 'bad --top', args: ['--metric', 'purchase', '--top', '0'], code: 2, message: /--top must be at least 1/ },
    { name: 'unknown --agg', args: ['--metric', 'purchase', '--agg', 'median'], code: 2, message: /median/ },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const r = await wc(c.args);
      expect(r.code).toBe(c.code);
      const err = r.json().error;
      expect(err.message).toMatch(c.message);
      if (c.hint) expect(err.hint).toMatch(c.hint);
      expect(err.code).not.toBe('INTERNAL');
    });
  }

  it('file data: unknown columns and a missing time column', async () => {
    const bad = await runCli(['--json', 'whatchanged', '--data', flatCsv, '--value', 'price', ...PERIODS], { cwd: dir });
    expect(bad.code).toBe(2);
    expect(bad.json().error).toMatchObject({ message: '--value price: events.csv has no such column', hint: expect.stringMatching(/unit_id, ts, amount, country, platform, plan/) });
    const dim = await runCli(['--json', 'whatchanged', '--data', flatCsv, '--value', 'amount', ...PERIODS, '--dimensions', 'device'], { cwd: dir });
    expect(dim.json().error.message).toMatch(/unknown dimension "device"/);
    const noTime = path.join(tmpDir(), 'no-time.csv');
    fs.writeFileSync(noTime, 'a,b\nx,1\n');
    const nt = await runCli(['--json', 'whatchanged', '--data', noTime, ...PERIODS], { cwd: dir });
    expect(nt.code).toBe(2);
    expect(nt.json().error.message).toMatch(/no obvious time column/);
    const missing = await runCli(['--json', 'whatchanged', '--data', 'nope.csv', ...PERIODS], { cwd: dir });
    expect(missing.json().error.code).toBe('FILE_NOT_FOUND');
  });

  it('events without user attributes: a headline only, with a notice', async () => {
    const t = await tmpStore();
    await t.store.run(`INSERT INTO events (unit_id, event, ts) SELECT 'x' || (i % 50), 'open', TIMESTAMP '2026-10-01' + INTERVAL (i % 14) DAY FROM range(392) r(i)`);
    t.store.close();
    const r = await runCli(['--db', t.file, '--json', 'whatchanged', '--metric', 'open', ...PERIODS], { cwd: t.dir });
    expect(r.code).toBe(0);
    const j = r.json();
    expect(j.dimensions).toEqual([]);
    expect(j.cells).toEqual([]);
    expect(j.headline).toMatchObject({ baseline: 196, current: 196, delta: 0 });
    expect(j.notices).toEqual(['no dimensions to drill into: name some with --dimensions']);
    expect(j.summary).toBe('open did not change (196 in both periods).');
  });

  it('an empty store says how to get events', async () => {
    const t = await tmpStore();
    t.store.close();
    const r = await runCli(['--db', t.file, '--json', 'whatchanged', '--metric', 'purchase'], { cwd: t.dir });
    expect(r.code).toBe(1);
    expect(r.json().error).toMatchObject({ code: 'NO_EVENTS' });
  });
});
