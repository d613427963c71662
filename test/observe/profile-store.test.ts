/**
 * How `profile` writes into the project store (review 3 #24, #25, #26, #28): profile runs are not
 * product users, a product experiment or a typo'd group is refused before the program runs, a
 * --unit stays in its first group, and a busy store is found before the run, not after it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseCpuProfile, summarizeProfile, type CpuProfile } from '../../src/observe/profile/cpuprofile.js';
import { storeProfileEvents } from '../../src/observe/profile/events.js';
import { checkTarget, type TargetFacts } from '../../src/observe/profile/target.js';
import { productEventSql } from '../../src/store/tool-events.js';
import { parsePeriod, periodArg, splitRange } from '../../src/stats/whatchanged/period.js';
import type { Store } from '../../src/store/store.js';
import { runCli } from '../support/run-cli.js';
import { tmpStore, writeFile } from '../support/tmp.js';

const REPO = path.resolve(import.meta.dirname, '../..');

/** A one-function profile: 30 samples 1 ms apart in `work`. */
function tinyProfile(): ReturnType<typeof summarizeProfile> {
  const p: CpuProfile = {
    nodes: [
      { id: 1, callFrame: { functionName: '(root)', scriptId: '0', url: '', lineNumber: -1, columnNumber: -1 }, children: [2] },
      { id: 2, callFrame: { functionName: 'work', scriptId: '1', url: 'file:///app/w.js', lineNumber: 1, columnNumber: 0 }, children: [] },
    ],
    startTime: 0,
    endTime: 30_000,
    samples: Array.from({ length: 30 }, () => 2),
    timeDeltas: Array.from({ length: 30 }, (_, i) => (i === 0 ? 0 : 1000)),
  };
  return summarizeProfile(parseCpuProfile(JSON.stringify(p)));
}

async function profileRun(store: Store, unit: string, experiment: string | null, group: string | null, startedAt = new Date()): Promise<void> {
  await storeProfileEvents(store, tinyProfile(), { profileId: unit, unit, experiment, group, pid: 1, startedAt, cpu: { userMs: 25, systemMs: 5 } });
}

/** A program that leaves a marker file: whether profile started it. */
const MARK = `require('fs').writeFileSync('ran.txt', 'yes'); let s = 0; for (let i = 0; i < 2e6; i++) s += i; console.log(s > 0);`;

const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) c.kill('SIGKILL');
});

/** Another process that opens the store (as a running serve does) once `gate` exists (now, when null). */
async function holdStore(file: string, gate: string | null): Promise<ChildProcess> {
  const code = `import fs from 'node:fs'; import { DuckDBInstance } from '@duckdb/node-api';
const gate = ${JSON.stringify(gate)};
while (gate && !fs.existsSync(gate)) await new Promise((r) => setTimeout(r, 20));
const db = await DuckDBInstance.create(${JSON.stringify(file)}); await db.connect();
if (gate) fs.writeFileSync(gate + '.held', 'yes');
console.log('ready'); setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', code], { cwd: REPO, stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  if (gate === null) {
    await new Promise<void>((resolve, reject) => {
      child.stdout?.on('data', (d: Buffer) => (String(d).includes('ready') ? resolve() : undefined));
      child.on('exit', (c) => reject(new Error(`holder exited with ${String(c)}`)));
    });
  }
  return child;
}

describe('profile events are not product activity (review 3 #25)', () => {
  it('forecast --metric dau counts product users only and ends with the product data, after a profile run weeks later', async () => {
    const { dir, store } = await tmpStore();
    // 28 days of product data: day d has 3 + (d mod 4) active users, each with 2 events.
    const rows: string[] = [];
    const expected: number[] = [];
    for (let d = 0; d < 28; d++) {
      const day = new Date(Date.UTC(2026, 8, 7 + d)).toISOString().slice(0, 10);
      const n = 3 + (d % 4);
      expected.push(n);
      for (let u = 0; u < n; u++) for (const h of ['09', '17']) rows.push(`('u${u}', 'page_view', TIMESTAMP '${day} ${h}:00:00', NULL, NULL)`);
    }
    await store.run(`INSERT INTO events (unit_id, event, ts, value, metadata) VALUES ${rows.join(', ')}`);
    // A profile run (two units' worth of events) on 2026-12-02, weeks after the product data ends, and one on a product day.
    await profileRun(store, 'profile:a', 'perf', 'control', new Date('2026-12-02T10:00:00Z'));
    await profileRun(store, 'profile:b', null, null, new Date('2026-09-10T10:00:00Z'));
    store.close();
    const r = await runCli(['forecast', '--metric', 'dau', '--horizon', '7', '--components', '--json'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    const res = r.json<{ series: { history?: { ds: string; y: number | null }[]; forecast: { ds: string }[] }[] }>();
    const s = res.series[0];
    const history = (s?.history ?? []).map((p) => p.y);
    expect(history).toEqual(expected);
    expect(s?.history?.at(-1)?.ds.slice(0, 10)).toBe('2026-10-04');
    expect(s?.forecast[0]?.ds.slice(0, 10)).toBe('2026-10-05');
  });

  it('a store with only profile events has no active units to forecast: one line with the fix', async () => {
    const { dir, store } = await tmpStore();
    await profileRun(store, 'profile:a', 'perf', 'control');
    store.close();
    const r = await runCli(['forecast', '--metric', 'dau'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/no product events: only the profile runs' cpu_sample and cpu_time/);
    expect(r.stderr).toMatch(/--metric cpu_time --agg sum/);
  });

  it('map --metric dau: a profile run under a user\'s id on another day is not an active day', async () => {
    const { dir, store } = await tmpStore();
    await store.run(`INSERT INTO users (unit_id, country) VALUES ('u1', 'US'), ('u2', 'US'), ('u3', 'DE')`);
    await store.run(`INSERT INTO events (unit_id, event, ts) VALUES ('u1', 'page_view', TIMESTAMP '2026-10-01 09:00:00'), ('u2', 'page_view', TIMESTAMP '2026-10-01 10:00:00'), ('u3', 'page_view', TIMESTAMP '2026-10-01 11:00:00')`);
    await profileRun(store, 'u1', 'perf', 'control', new Date('2026-10-02T12:00:00Z'));
    store.close();
    const r = await runCli(['map', '--metric', 'dau', '--out', 'dau.svg', '--json'], { cwd: dir });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const v = Object.fromEntries(r.json<{ regions: { key: string; value: number }[] }>().regions.map((x) => [x.key, x.value]));
    // One day of data: US 2 active units, DE 1 (with the profile day counted: US 1.5, DE 0.5).
    expect(v).toEqual({ US: 2, DE: 1 });
  });

  it('productEventSql leaves out exactly cpu_sample and cpu_time', () => {
    expect(productEventSql('e.event')).toBe("e.event NOT IN ('cpu_sample', 'cpu_time')");
  });
});

describe('profile --experiment: refused before the program runs when it would harm an experiment (review 3 #24, #26)', () => {
  async function productStore(): Promise<{ dir: string; file: string }> {
    const { dir, file, store } = await tmpStore();
    const x: string[] = [];
    for (let i = 0; i < 6; i++) x.push(`('u${i}', 'checkout', '${i % 2 ? 'Test' : 'Control'}', TIMESTAMP '2026-10-01 00:00:00')`);
    await store.run(`INSERT INTO exposures (unit_id, experiment, group_name, first_exposure) VALUES ${x.join(', ')}`);
    await store.run(`INSERT INTO events (unit_id, event, ts, value) VALUES ('u1', 'purchase', TIMESTAMP '2026-10-02 00:00:00', 3)`);
    store.close();
    writeFile(dir, 'w.js', MARK);
    return { dir, file };
  }

  it('a product experiment (exposed users that are not profile runs) is refused; --product-experiment needs one of its groups', async () => {
    const { dir } = await productStore();
    const r = await runCli(['profile', '--experiment', 'checkout', '--group', 'Test', '--', 'node', 'w.js'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/experiment checkout is a product experiment with 6 exposed users: a profile run would count as one of its users/);
    expect(r.stderr).toMatch(/--experiment checkout_perf, or pass --product-experiment/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(fs.existsSync(path.join(dir, 'ran.txt'))).toBe(false);

    const typo = await runCli(['profile', '--product-experiment', '--experiment', 'checkout', '--group', 'Tset', '--', 'node', 'w.js'], { cwd: dir });
    expect(typo.code).toBe(2);
    expect(typo.stderr).toMatch(/experiment checkout has no group "Tset" \(did you mean "Test"\?\)/);
    expect(typo.stderr).toMatch(/its groups: Control, Test/);
    expect(fs.existsSync(path.join(dir, 'ran.txt'))).toBe(false);

    const ok = await runCli(['profile', '--json', '--product-experiment', '--experiment', 'checkout', '--group', 'Test', '--out', 'p', '--', 'node', 'w.js'], { cwd: dir });
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.json<{ stored: { group: string } | null }>().stored?.group).toBe('Test');
  });

  it('an experiment defined in the project is a product experiment even before anyone is exposed', async () => {
    const { dir, store } = await tmpStore();
    await store.run(`INSERT INTO entities (kind, name, type, spec) VALUES ('experiments', 'new_nav', NULL, $1)`, [JSON.stringify({ name: 'new_nav', groups: [{ name: 'Control', size: 50 }, { name: 'Test', size: 50 }] })]);
    store.close();
    writeFile(dir, 'w.js', MARK);
    const r = await runCli(['profile', '--experiment', 'new_nav', '--group', 'Test', '--', 'node', 'w.js'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/experiment new_nav is an experiment defined in the project/);
    const typo = await runCli(['profile', '--product-experiment', '--experiment', 'new_nav', '--group', 'test2', '--', 'node', 'w.js'], { cwd: dir });
    expect(typo.code).toBe(2);
    expect(typo.stderr).toMatch(/has no group "test2" \(did you mean "Test"\?\)/);
    expect(fs.existsSync(path.join(dir, 'ran.txt'))).toBe(false);
  });

  it('a profile-only experiment: a near-miss group is refused (--new-group starts it), a new distinct group is noted', async () => {
    const { dir, store } = await tmpStore();
    await profileRun(store, 'profile:1', 'p1', 'control');
    await profileRun(store, 'profile:2', 'p1', 'control');
    store.close();
    writeFile(dir, 'w.js', MARK);
    const typo = await runCli(['profile', '--experiment', 'p1', '--group', 'contrl', '--', 'node', 'w.js'], { cwd: dir });
    expect(typo.code).toBe(2);
    expect(typo.stderr).toMatch(/experiment p1 has no group "contrl" \(did you mean "control"\?\)/);
    expect(typo.stderr).toMatch(/its groups: control \(2 runs\); pass --group control, or --new-group to start a group "contrl"/);
    expect(fs.existsSync(path.join(dir, 'ran.txt'))).toBe(false);

    const test = await runCli(['profile', '--experiment', 'p1', '--group', 'test', '--out', 'p', '--', 'node', 'w.js'], { cwd: dir });
    expect(test.code, test.stderr).toBe(0);
    expect(test.stdout).toMatch(/new group test in p1 \(its groups so far: control \(2 runs\)\)/);
    expect(test.stdout).toMatch(/Stored \d+ cpu_sample events for unit profile:\w+ \(experiment p1, group test/);

    const forced = await runCli(['profile', '--json', '--new-group', '--experiment', 'p1', '--group', 'contrl', '--out', 'p', '--', 'node', 'w.js'], { cwd: dir });
    expect(forced.code, forced.stderr).toBe(0);
    expect(forced.json<{ stored: { group: string } | null }>().stored?.group).toBe('contrl');
    // The same group again is no news.
    const again = await runCli(['profile', '--json', '--experiment', 'p1', '--group', 'test', '--out', 'p', '--', 'node', 'w.js'], { cwd: dir });
    expect(again.json<{ note: string | null }>().note).toBeNull();
  });

  it('--unit already in another group of the experiment is refused before the run; the same group is fine', async () => {
    const { dir, file, store } = await tmpStore();
    await profileRun(store, 'host1', 'p2', 'control', new Date('2026-12-02T17:46:13Z'));
    store.close();
    writeFile(dir, 'w.js', MARK);
    const r = await runCli(['profile', '--experiment', 'p2', '--group', 'test', '--unit', 'host1', '--', 'node', 'w.js'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unit host1 is already in p2's control group \(first exposed 2026-12-02 17:46:12\); a unit stays in its first group/);
    expect(r.stderr).toMatch(/use another --unit for the test runs, e.g. --unit host1-test/);
    expect(fs.existsSync(path.join(dir, 'ran.txt'))).toBe(false);

    const same = await runCli(['profile', '--json', '--experiment', 'p2', '--group', 'control', '--unit', 'host1', '--out', 'p', '--', 'node', 'w.js'], { cwd: dir });
    expect(same.code, same.stderr).toBe(0);
    const { Store: S } = await import('../../src/store/store.js');
    const s = await S.open(file, { readOnly: true });
    const groups = await s.all<{ g: string; n: number }>(`SELECT json_extract_string(metadata, '$.group') AS g, count(DISTINCT json_extract_string(metadata, '$.profile')) AS n FROM events WHERE event = 'cpu_time' AND unit_id = 'host1' GROUP BY 1`);
    s.close();
    expect(groups).toEqual([{ g: 'control', n: 2 }]);
  });

  it('checkTarget (pure): exposed product units make a product experiment; profile units do not', () => {
    const facts: TargetFacts = { experiment: 'x', defined: false, definedGroups: [], groups: [{ name: 'control', units: 3, productUnits: 0 }], unit: null };
    const opts = { group: 'control', unit: null, productExperiment: false, newGroup: false };
    expect(checkTarget(facts, opts)).toBeNull();
    expect(checkTarget(facts, { ...opts, group: 'test' })).toBe('new group test in x (its groups so far: control (3 runs))');
    expect(() => checkTarget(facts, { ...opts, group: 'Control' })).toThrow(/no group "Control" \(did you mean "control"\?\)/);
    // Names that differ only in a number are meant to differ.
    const versions = { ...facts, groups: [{ name: 'node20', units: 1, productUnits: 0 }] };
    expect(checkTarget(versions, { ...opts, group: 'node22' })).toBe('new group node22 in x (its groups so far: node20 (1 run))');
    const product = { ...facts, groups: [{ name: 'control', units: 3, productUnits: 1 }] };
    expect(() => checkTarget(product, opts)).toThrow(/product experiment with 1 exposed user:/);
    expect(checkTarget(product, { ...opts, productExperiment: true })).toBeNull();
    expect(() => checkTarget(product, { ...opts, group: 'node22', productExperiment: true, newGroup: true })).toThrow(/experiment x has no group "node22"$/);
  });
});

describe('profile with the store in use by another process (review 3 #28)', () => {
  it('with --experiment: refused before the program runs, with the fix', async () => {
    const { dir, file, store } = await tmpStore();
    store.close();
    writeFile(dir, 'w.js', MARK);
    await holdStore(file, null);
    const r = await runCli(['profile', '--experiment', 'p1', '--group', 'control', '--', 'node', 'w.js'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/is in use by another process \(pid \d+\): the run's events could not be stored, so the program was not started/);
    expect(r.stderr).toMatch(/pass --no-store/);
    expect(fs.existsSync(path.join(dir, 'ran.txt'))).toBe(false);
  });

  it('without --experiment: a warning, and the run is profiled and reported as usual', async () => {
    const { dir, file, store } = await tmpStore();
    store.close();
    writeFile(dir, 'w.js', MARK);
    await holdStore(file, null);
    const r = await runCli(['profile', '--json', '--out', 'p', '--', 'node', 'w.js'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/warning: .*in use by another process.*this run's events will not be stored/);
    const res = r.json<{ stored: unknown; top_self: unknown[] }>();
    expect(res.stored).toBeNull();
    expect(res.top_self.length).toBeGreaterThan(0);
    expect(fs.existsSync(path.join(dir, 'p.cpuprofile'))).toBe(true);
  });

  it('taken while the program runs: the report and the .cpuprofile are kept, then one error line says nothing was stored', async () => {
    const { dir, file, store } = await tmpStore();
    store.close();
    const gate = path.join(dir, 'go');
    // The program lets the other process take the store, and waits until it has.
    writeFile(dir, 'w.js', `const fs = require('fs'); fs.writeFileSync(${JSON.stringify(gate)}, '1');
const t = Date.now(); while (!fs.existsSync(${JSON.stringify(`${gate}.held`)}) && Date.now() - t < 20000) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
let s = 0; for (let i = 0; i < 2e6; i++) s += i; console.log(s > 0);`);
    await holdStore(file, gate);
    const r = await runCli(['profile', '--experiment', 'p1', '--group', 'control', '--out', 'kept', '--', 'node', 'w.js'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/Top functions by self time/);
    expect(r.stdout).toMatch(/Profile: kept\.cpuprofile/);
    expect(r.stdout).not.toMatch(/Stored \d+/);
    expect(r.stderr).toMatch(/error: this run's events were not stored in p1: .*in use by another process/);
    expect(r.stderr).toMatch(/the report and kept\.cpuprofile are kept/);
    expect(fs.existsSync(path.join(dir, 'kept.cpuprofile'))).toBe(true);
  }, 60_000);
});

describe('drilling into profiles taken the same day (review 3 #5)', () => {
  const FN = "json_extract_string(metadata, '$.function') = 'work'";

  it('splitRange: halves in whole days, or in minutes within a day; none for a range under 2 minutes', () => {
    const d = (s: string) => new Date(`${s}Z`);
    expect(splitRange(d('2026-12-02T17:33:05'), d('2026-12-02T17:33:50'))).toBeNull();
    const minutes = splitRange(d('2026-12-02T17:33:05'), d('2026-12-02T17:47:40'));
    expect(minutes && [periodArg(minutes.baseline), periodArg(minutes.current)]).toEqual(['2026-12-02T17:33..2026-12-02T17:40', '2026-12-02T17:40..2026-12-02T17:48']);
    const days = splitRange(d('2026-11-10T12:00:00'), d('2026-11-13T12:00:00'));
    expect(days && [periodArg(days.baseline), periodArg(days.current)]).toEqual(['2026-11-10..2026-11-11', '2026-11-12..2026-11-13']);
    // What the hint prints parses back to the same periods.
    expect(parsePeriod('--baseline', '2026-12-02T17:33..2026-12-02T17:40')).toMatchObject({ from: minutes?.baseline.from, to: minutes?.baseline.to });
  });

  it("one session's profiles: whatchanged's hint says the range is too short and names analyze, not a baseline inside it", async () => {
    const { dir, store } = await tmpStore();
    for (const [i, g] of ['control', 'test', 'control', 'test'].entries()) await profileRun(store, `profile:${i}`, 'p1', g, new Date(Date.UTC(2026, 11, 2, 17, 33, 10 + i)));
    store.close();
    const r = await runCli(['whatchanged', '--metric', 'cpu_sample', '--agg', 'sum', '--experiment', 'p1', '--where', FN], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/has no cpu_sample events matching --where/);
    expect(r.stderr.replace(/\s+/g, ' ')).toMatch(/too short a time to split into a baseline and a current period; compare its groups instead: statsig-hack analyze --experiment p1 --metric cpu_ms/);
    expect(r.stderr).not.toMatch(/pick --baseline/);
  });

  it('profiles minutes apart: the hint gives two periods that work when pasted', async () => {
    const { dir, store } = await tmpStore();
    let i = 0;
    for (const minute of [33, 36, 40, 44, 47]) for (const g of ['control', 'test']) await profileRun(store, `profile:${i++}`, 'p1', g, new Date(Date.UTC(2026, 11, 2, 17, minute, 5)));
    store.close();
    const r = await runCli(['whatchanged', '--metric', 'cpu_sample', '--agg', 'sum', '--experiment', 'p1', '--where', FN], { cwd: dir });
    expect(r.code).toBe(1);
    const m = /--baseline (\S+) --current (\S+)/.exec(r.stderr.replace(/\s+/g, ' '));
    expect(m?.slice(1)).toEqual(['2026-12-02T17:33..2026-12-02T17:40', '2026-12-02T17:40..2026-12-02T17:48']);
    const again = await runCli(['whatchanged', '--json', '--metric', 'cpu_sample', '--agg', 'sum', '--experiment', 'p1', '--where', FN, '--baseline', m?.[1] ?? '', '--current', m?.[2] ?? ''], { cwd: dir });
    expect(again.code, again.stderr).toBe(0);
    // 30 ms of self time in `work` per run: 4 runs before 17:40, 6 after; the 7-minute baseline is scaled to the 8-minute current period.
    expect(again.json<{ headline: { baseline: number; current: number } }>().headline).toMatchObject({ baseline: (4 * 30 * 8) / 7, current: 6 * 30 });
  });

  it('overlapping periods: the example in the hint starts from the baseline given', async () => {
    const { dir, store } = await tmpStore();
    await profileRun(store, 'profile:1', 'p1', 'control', new Date('2026-12-02T17:33:00Z'));
    store.close();
    const r = await runCli(['whatchanged', '--metric', 'cpu_sample', '--baseline', '2026-12-02..2026-12-02', '--current', '2026-12-02..2026-12-02'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/e\.g\. --baseline 2026-12-02 --current 2026-12-03/);
  });

  it("the README's drill-down query runs: one function's self time per run, by group", async () => {
    const { dir, store } = await tmpStore();
    for (const [i, g] of ['control', 'test', 'test'].entries()) await profileRun(store, `profile:${i}`, 'new_parser', g, new Date(Date.UTC(2026, 11, 2, 17, 33, i)));
    store.close();
    const readme = fs.readFileSync(path.join(REPO, 'README.md'), 'utf8');
    const sql = /statsig-hack query "(SELECT metadata->>'group'[^"]*)"/.exec(readme)?.[1]?.replace(/\s*\n\s*/g, ' ').replace("'render'", "'work'");
    expect(sql).toBeDefined();
    const r = await runCli(['query', '--json', sql ?? ''], { cwd: dir });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/control/);
    const rows = JSON.stringify(r.json());
    expect(rows).toMatch(/"runs":2/);
    expect(rows).toMatch(/"self_ms_per_run":30/);
  });
});
