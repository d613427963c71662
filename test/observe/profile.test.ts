import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { compareProfiles, parseCpuProfile, summarizeProfile, withoutFrames, type CpuProfile } from '../../src/observe/profile/cpuprofile.js';
import { isPreloadFrame } from '../../src/observe/profile/run.js';
import { storeProfileEvents } from '../../src/observe/profile/events.js';
import { renderFlameGraph } from '../../src/observe/profile/flame.js';
import { Store } from '../../src/store/store.js';
import { freePort } from '../support/port.js';
import { baseEnv, runCli } from '../support/run-cli.js';
import { tmpDir, tmpStore, writeFile } from '../support/tmp.js';

/** A program whose CPU time is almost all in hotLoop. */
const HOT = `
function hotLoop(n) { let s = 0; for (let i = 0; i < n; i++) s += Math.sqrt(i) * Math.sin(i); return s; }
function coldWork() { const a = []; for (let i = 0; i < 2000; i++) a.push(i * 2); return a.length; }
const t = Date.now(); let r = 0;
while (Date.now() - t < 500) { r += hotLoop(2e5); coldWork(); }
console.log('checksum', Math.round(r) !== 0);
`;

/** A long-running process that is always busy in busyHandler (the inspector still gets in: V8 interrupts it). */
const SERVER = `
function busyHandler(n) { let s = 0; for (let i = 0; i < n; i++) s += Math.sqrt(i) * Math.sin(i); return s; }
let total = 0;
for (;;) total += busyHandler(2e5);
`;

/** A hand-made profile: root -> main -> {fast, slow}; samples 1 ms apart. */
function synthetic(times: Record<string, number>, url = 'file:///app/work.js'): CpuProfile {
  const names = Object.keys(times);
  const nodes = [
    { id: 1, callFrame: { functionName: '(root)', scriptId: '0', url: '', lineNumber: -1, columnNumber: -1 }, children: [2] },
    { id: 2, callFrame: { functionName: 'main', scriptId: '1', url, lineNumber: 0, columnNumber: 0 }, children: names.map((_, i) => 3 + i) },
    ...names.map((fn, i) => ({ id: 3 + i, callFrame: { functionName: fn, scriptId: '1', url, lineNumber: 10 * (i + 1), columnNumber: 2 }, children: [] })),
  ];
  const samples: number[] = [];
  names.forEach((fn, i) => {
    for (let k = 0; k < (times[fn] as number); k++) samples.push(3 + i);
  });
  return { nodes, startTime: 0, endTime: samples.length * 1000, samples, timeDeltas: samples.map((_, i) => (i === 0 ? 0 : 1000)) };
}

const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) c.kill('SIGKILL');
});


describe('profile -- <node command>', () => {
  it('puts the known hot function first, with most of the self time, and writes .cpuprofile and flame graph', async () => {
    const { dir, file, store } = await tmpStore();
    store.close();
    writeFile(dir, 'hot.js', HOT);
    const r = await runCli(['profile', '--json', '--top', '5', '--experiment', 'parser', '--group', 'test', '--out', 'out/hot', '--', 'node', 'hot.js'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    const out = r.json<{ top_self: { fn: string; self_ms: number }[]; sampled_ms: number; files: { cpuprofile: string; html: string }; stored: { events: number; unit: string } }>();
    expect(out.top_self[0]?.fn).toBe('hotLoop');
    expect((out.top_self[0]?.self_ms ?? 0) / out.sampled_ms).toBeGreaterThan(0.5);
    // The program's own output goes to stderr, stdout holds exactly the JSON document.
    expect(r.stderr).toContain('checksum');
    // The .cpuprofile is a valid V8 profile that says the same; the flame graph is self-contained.
    const again = summarizeProfile(parseCpuProfile(fs.readFileSync(path.join(dir, 'out/hot.cpuprofile'), 'utf8')));
    expect(again.functions[0]?.fn).toBe('hotLoop');
    const html = fs.readFileSync(path.join(dir, 'out/hot.html'), 'utf8');
    expect(html).toContain('hotLoop');
    expect(html).not.toMatch(/<script[^>]*\bsrc=|https?:\/\/(?!www\.w3\.org)/); // an inline script (zoom), nothing fetched
    // Events and the exposure landed in the store.
    const s = await Store.open(file, { readOnly: true });
    try {
      const [ev] = await s.all<{ n: number; top: string }>(
        `SELECT count(*) AS n, arg_max(json_extract_string(metadata, '$.function'), value) AS top FROM events WHERE event = 'cpu_sample' AND unit_id = $1`,
        [out.stored.unit],
      );
      expect(ev?.n).toBe(out.stored.events);
      expect(ev?.top).toBe('hotLoop');
      const [x] = await s.all<{ group_name: string }>(`SELECT group_name FROM exposures WHERE experiment = 'parser' AND unit_id = $1`, [out.stored.unit]);
      expect(x?.group_name).toBe('test');
    } finally {
      s.close();
    }
  });

  it('hides its own preload script from the profile, and fits the tables to 100 columns', async () => {
    const dir = tmpDir();
    writeFile(dir, 'deep/er/folder/with/a/long/name/hot-program-with-a-long-file-name.js', HOT);
    const r = await runCli(['profile', '--top', '40', '--out', 'out/hot', '--', 'node', 'deep/er/folder/with/a/long/name/hot-program-with-a-long-file-name.js'], { cwd: dir, env: baseEnv({ COLUMNS: '100' }) });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('hotLoop');
    expect(r.stdout).not.toContain('preload');
    expect(r.stdout.split('\n').filter((l) => [...l].length > 100)).toEqual([]);
    const saved = summarizeProfile(parseCpuProfile(fs.readFileSync(path.join(dir, 'out/hot.cpuprofile'), 'utf8')));
    expect(saved.functions.some((f) => f.file.includes('preload.cjs'))).toBe(false);
  });

  it('attaches to a running Node process with --pid (SIGUSR1 opens its inspector) and closes the inspector after', async () => {
    const dir = tmpDir();
    writeFile(dir, 'server.js', SERVER);
    const port = await freePort();
    const child = spawn(process.execPath, [`--inspect-port=${port}`, 'server.js'], { cwd: dir, stdio: 'ignore' });
    children.push(child);
    await new Promise((r) => setTimeout(r, 300));
    const r = await runCli(['profile', '--json', '--pid', String(child.pid), '--duration', '1', '--port', String(port), '--top', '3'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    const out = r.json<{ top_self: { fn: string; self_ms: number }[]; cpu_ms: number | null; duration_ms: number; stored: unknown }>();
    expect(out.top_self[0]?.fn, JSON.stringify(out.top_self)).toBe('busyHandler');
    // the process's own CPU time over the sampling window (process.cpuUsage() read through the inspector)
    expect(out.cpu_ms).toBeGreaterThan(0);
    expect(out.cpu_ms).toBeLessThan(out.duration_ms * 2 + 200);
    expect(out.stored).toBeNull(); // no project store here: nothing written
    expect(child.exitCode).toBeNull(); // still running
    await new Promise((res) => setTimeout(res, 200));
    const closed = await fetch(`http://127.0.0.1:${port}/json/list`).then(() => false, () => true);
    expect(closed).toBe(true);
  });

  it('refuses to signal a process that is not Node, and leaves it running', async () => {
    const dir = tmpDir();
    const child = spawn('sleep', ['30'], { stdio: 'ignore' });
    children.push(child);
    const r = await runCli(['profile', '--pid', String(child.pid), '--duration', '1'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/is not a Node process/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(child.exitCode).toBeNull();
    expect(child.signalCode).toBeNull();
  });

  it('fails with one line and a hint when there is nothing to profile or the program cannot run', async () => {
    const dir = tmpDir();
    const none = await runCli(['profile'], { cwd: dir });
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/nothing to profile[\s\S]*hint: put a Node command after --/);
    const missing = await runCli(['profile', '--', 'no-such-program-xyz'], { cwd: dir });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/no such program/);
    const half = await runCli(['profile', '--experiment', 'x', '--', 'node', '-e', '1'], { cwd: dir });
    expect(half.code).toBe(2);
    expect(half.stderr).toMatch(/--experiment and --group go together/);
  });
});

describe('cpu_sample events per group feed analyze', () => {
  it('analyze --experiment X --metric cpu_ms compares CPU time per run (cpu_time events), not sampled time', async () => {
    const { dir, store } = await tmpStore();
    // A store where an older version defined cpu_ms on cpu_sample: that definition is replaced.
    const old = { name: 'cpu_ms', type: 'sum', metricEvents: [{ name: 'cpu_sample' }] };
    await store.run(`INSERT INTO entities (kind, name, type, spec) VALUES ('metrics', 'cpu_ms', 'sum', $1)`, [JSON.stringify(old)]);
    const started = new Date('2026-11-20T12:00:00Z');
    // Four runs per group; the test group spends about 3x as long in "slow".
    const runs = [
      ...[40, 44, 38, 42].map((slow, i) => ({ group: 'control', slow, i })),
      ...[120, 131, 118, 126].map((slow, i) => ({ group: 'test', slow, i })),
    ];
    // Sampled time is the same in every run (what a busy machine can do to it); the CPU time differs.
    for (const run of runs) {
      const s = summarizeProfile(synthetic({ fast: 20, slow: 500 }));
      const cpu = { userMs: 20 + run.slow - 5, systemMs: 5 };
      await storeProfileEvents(store, s, { profileId: `${run.group}-${run.i}`, unit: `run-${run.group}-${run.i}`, experiment: 'new_parser', group: run.group, pid: 1, startedAt: started, cpu });
    }
    store.close();
    const r = await runCli(['analyze', '--experiment', 'new_parser', '--metric', 'cpu_ms', '--method', 'none', '--json'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    const res = r.json<{ control: string; results: { metric: string; n_control: number; n_test: number; control_mean: number; test_mean: number; diff: number; p_value: number }[] }>();
    const m = res.results.find((x) => x.metric === 'cpu_ms');
    expect(res.control).toBe('control');
    expect(m).toMatchObject({ n_control: 4, n_test: 4 });
    expect(m?.control_mean).toBeCloseTo(20 + 41, 6);
    expect(m?.test_mean).toBeCloseTo(20 + 123.75, 6);
    expect(m?.diff).toBeCloseTo(123.75 - 41, 6);
    expect(m?.p_value).toBeLessThan(0.001);
  });
});

describe('profile: CPU time is the process\'s own, and a failed run leaves nothing behind (review 2 #3, #4)', () => {
  it('a program blocked for 600 ms has ~600 ms of sampled time but little CPU; cpu_ms and the cpu_time event are the CPU', async () => {
    const { dir, file, store } = await tmpStore();
    store.close();
    // Atomics.wait blocks the thread in native code: V8 keeps charging the sample gaps to waitHere.
    writeFile(dir, 'wait.js', `
function waitHere() { Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 600); }
waitHere();
const u = process.cpuUsage();
console.error('OWN_CPU_MS', (u.user + u.system) / 1000);
`);
    const r = await runCli(['profile', '--json', '--experiment', 'w', '--group', 'control', '--', 'node', 'wait.js'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    const out = r.json<{ cpu_ms: number; cpu_user_ms: number; cpu_system_ms: number; sampled_ms: number; top_self: { fn: string; self_ms: number }[]; stored: { unit: string } }>();
    const own = Number(/OWN_CPU_MS ([\d.]+)/.exec(r.stderr)?.[1]);
    expect(out.top_self[0]?.fn).toBe('waitHere');
    expect(out.top_self[0]?.self_ms).toBeGreaterThan(500);
    expect(out.sampled_ms).toBeGreaterThan(500);
    // The program's own reading just before it ends, against the preload's at exit: a little more, never less.
    expect(out.cpu_ms).toBeGreaterThanOrEqual(own);
    expect(out.cpu_ms - own).toBeLessThan(150);
    expect(out.cpu_ms).toBeCloseTo(out.cpu_user_ms + out.cpu_system_ms, 9);
    expect(out.cpu_ms).toBeLessThan(out.sampled_ms - 250);
    const s = await Store.open(file, { readOnly: true });
    try {
      const [ev] = await s.all<{ n: number; v: number }>(`SELECT count(*) AS n, sum(value) AS v FROM events WHERE event = 'cpu_time' AND unit_id = $1`, [out.stored.unit]);
      expect(ev?.n).toBe(1);
      expect(ev?.v).toBeCloseTo(out.cpu_ms, 2);
    } finally {
      s.close();
    }
    // The header calls the samples' time what it is.
    const human = await runCli(['profile', '--no-store', '--', 'node', 'wait.js'], { cwd: dir });
    expect(human.stdout).toMatch(/node wait\.js: CPU [\d.]+ ms \(user [\d.]+ ms, sys [\d.]+ ms\), [\d.]+ (ms|s) wall, [\d.]+ (ms|s) sampled in code/);
    expect(human.stdout).toMatch(/Function times: sampled wall time/);
  });

  it('a program that fails: its exit code, one line, no files written or overwritten, no events stored', async () => {
    const { dir, file, store } = await tmpStore();
    store.close();
    writeFile(dir, 'prof.cpuprofile', 'KEEP');
    writeFile(dir, 'fails.js', 'let s = 0; for (let i = 0; i < 1e6; i++) s += i; process.exitCode = 3;');
    const r = await runCli(['profile', '--', 'node', 'fails.js'], { cwd: dir });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/"node fails\.js" exited with code 3; no profile written or stored/);
    expect(r.stdout).toBe('');
    expect(fs.readFileSync(path.join(dir, 'prof.cpuprofile'), 'utf8')).toBe('KEEP');
    expect(fs.existsSync(path.join(dir, 'prof.html'))).toBe(false);
    // the review's case: a missing script (Node exits 1 before the user's code runs), with --json
    const nope = await runCli(['profile', '--json', '--experiment', 'x', '--group', 'a', '--', 'node', 'nope.js'], { cwd: dir });
    expect(nope.code).toBe(1);
    expect(nope.json<{ error: { code: string; message: string } }>().error).toMatchObject({ code: 'PROGRAM_FAILED' });
    const killed = await runCli(['profile', '--', 'node', '-e', "process.kill(process.pid, 'SIGTERM')"], { cwd: dir });
    expect(killed.code).toBe(128 + 15);
    expect(killed.stderr).toMatch(/was killed by SIGTERM; no profile written or stored/);
    const s = await Store.open(file, { readOnly: true });
    try {
      const [ev] = await s.all<{ n: number }>(`SELECT count(*) AS n FROM events WHERE event IN ('cpu_sample', 'cpu_time')`);
      expect(ev?.n).toBe(0);
      const [x] = await s.all<{ n: number }>(`SELECT count(*) AS n FROM exposures WHERE experiment = 'x'`);
      expect(x?.n).toBe(0);
    } finally {
      s.close();
    }
  });

  it('--pid: a process that exits while it is sampled gives one line and stores nothing', async () => {
    const { dir, file, store } = await tmpStore();
    store.close();
    writeFile(dir, 'short.js', `function busy(n) { let s = 0; for (let i = 0; i < n; i++) s += Math.sqrt(i); return s; }
const t = Date.now(); let x = 0; while (Date.now() - t < 2500) x += busy(1e5); process.exit(0);`);
    const port = await freePort();
    const child = spawn(process.execPath, [`--inspect-port=${port}`, 'short.js'], { cwd: dir, stdio: 'ignore' });
    children.push(child);
    await new Promise((res) => setTimeout(res, 300));
    const r = await runCli(['profile', '--pid', String(child.pid), '--duration', '6', '--port', String(port)], { cwd: dir });
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`process ${child.pid} exited while it was being sampled; no profile written or stored`));
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(fs.existsSync(path.join(dir, 'prof.cpuprofile'))).toBe(false);
    const s = await Store.open(file, { readOnly: true });
    try {
      expect((await s.all<{ n: number }>(`SELECT count(*) AS n FROM events WHERE event = 'cpu_sample'`))[0]?.n).toBe(0);
    } finally {
      s.close();
    }
  });
});

describe('cpu_sample events feed whatchanged', () => {
  it('drills a rise in CPU time down to the group and, with --where on the metadata, to one function', async () => {
    const { dir, store } = await tmpStore();
    let n = 0;
    for (const day of ['2026-11-10', '2026-11-11', '2026-11-12', '2026-11-13', '2026-11-14', '2026-11-15', '2026-11-16', '2026-11-17']) {
      for (const group of ['control', 'test']) {
        for (let k = 0; k < 3; k++) {
          const s = summarizeProfile(synthetic({ parse: 40 + k, render: group === 'test' && day >= '2026-11-14' ? 150 : 50 }));
          await storeProfileEvents(store, s, { profileId: `p${n}`, unit: `run${n++}`, experiment: 'exp', group, pid: 1, startedAt: new Date(`${day}T12:00:00Z`) });
        }
      }
    }
    store.close();
    const base = ['whatchanged', '--metric', 'cpu_sample', '--agg', 'sum', '--baseline', '2026-11-10..2026-11-13', '--current', '2026-11-14..2026-11-17', '--experiment', 'exp'];
    const all = await runCli(base, { cwd: dir });
    expect(all.code, all.stderr).toBe(0);
    expect(all.stdout).toMatch(/100% of the rise came from test \(experiment:exp\)/);
    const render = await runCli([...base, '--where', "json_extract_string(metadata, '$.function') = 'render'", '--json'], { cwd: dir });
    expect(render.code, render.stderr).toBe(0);
    const parse = await runCli([...base, '--where', "json_extract_string(metadata, '$.function') = 'parse'", '--json'], { cwd: dir });
    const total = (r: typeof render) => r.json<{ headline: { baseline: number; current: number } }>().headline;
    expect(total(render)).toMatchObject({ baseline: 4 * 6 * 50, current: 4 * 3 * 50 + 4 * 3 * 150 });
    expect(total(parse).current).toBe(total(parse).baseline);
  });
});

describe('cpu profiles (pure)', () => {
  it('self time per node from the sample gaps; total time counts a recursive function once', () => {
    const p: CpuProfile = {
      nodes: [
        { id: 1, callFrame: { functionName: '(root)', url: '', lineNumber: -1, columnNumber: -1 }, children: [2, 5] },
        { id: 2, callFrame: { functionName: 'f', url: 'file:///a.js', lineNumber: 0, columnNumber: 0 }, children: [3] },
        { id: 3, callFrame: { functionName: 'f', url: 'file:///a.js', lineNumber: 0, columnNumber: 0 }, children: [4] },
        { id: 4, callFrame: { functionName: 'g', url: 'file:///a.js', lineNumber: 4, columnNumber: 0 }, children: [] },
        { id: 5, callFrame: { functionName: '(idle)', url: '', lineNumber: -1, columnNumber: -1 }, children: [] },
      ],
      startTime: 1000,
      endTime: 11000,
      samples: [2, 3, 4, 4, 5],
      timeDeltas: [0, 1000, 2000, 2000, 1000],
    };
    const s = summarizeProfile(p);
    // Gaps: 2@1000 -> 3@2000 (1 ms), 3 -> 4@4000 (2 ms), 4 -> 4@6000 (2 ms), 4 -> 5@7000 (1 ms), 5 -> end 11000 (4 ms idle).
    const f = s.functions.find((x) => x.fn === 'f');
    const g = s.functions.find((x) => x.fn === 'g');
    expect(f?.selfMs).toBeCloseTo(3, 9);
    expect(g?.selfMs).toBeCloseTo(3, 9);
    expect(f?.totalMs).toBeCloseTo(6, 9); // not 6 + 5 for the recursive frame
    expect(s.sampledMs).toBeCloseTo(6, 9); // idle is not time in code
    expect(s.durationMs).toBe(10);
    expect(s.functions.some((x) => x.fn === '(idle)')).toBe(false);
  });

  it("the profiler's own preload frames and what they called count as idle, not as the program's CPU", () => {
    const p = synthetic({ work: 30 });
    const loader = { id: 9, callFrame: { functionName: 'loadPreloadModules', url: 'node:internal/process/pre_execution', lineNumber: 1, columnNumber: 0 }, children: [10] };
    const pre = { id: 10, callFrame: { functionName: '', url: '/tmp/statsig-hack-prof-Ab12/preload.cjs', lineNumber: 0, columnNumber: 0 }, children: [11] };
    const inner = { id: 11, callFrame: { functionName: 'connect', url: 'node:inspector', lineNumber: 5, columnNumber: 0 }, children: [] };
    (p.nodes[0] as { children: number[] }).children.push(9);
    p.nodes.push(loader, pre, inner);
    p.samples = [10, 11, 11, 11, 11, 11, 11, 11, 11, 11, ...(p.samples ?? [])];
    p.timeDeltas = p.samples.map((_, i) => (i === 0 ? 0 : 1000));
    p.endTime = p.samples.length * 1000;
    const before = summarizeProfile(p);
    expect(before.sampledMs).toBeCloseTo(40, 9);
    const s = summarizeProfile(withoutFrames(p, isPreloadFrame));
    expect(s.sampledMs).toBeCloseTo(30, 9);
    expect(s.durationMs).toBe(before.durationMs);
    expect(s.functions.map((f) => f.fn).sort()).toEqual(['main', 'work']);
    expect(isPreloadFrame({ url: 'file:///app/preload.cjs' })).toBe(false);
  });

  it('compare ranks the function that got slower first, matched by name and file even when it moved', () => {
    const a = summarizeProfile(synthetic({ parse: 100, render: 50 }));
    const moved = synthetic({ render: 200, parse: 100 }); // render is now declared first (another line)
    const rows = compareProfiles(a, summarizeProfile(moved));
    expect(rows[0]?.fn).toBe('render');
    expect(rows[0]?.deltaSelfMs).toBeCloseTo(150, 9);
    expect(rows.find((x) => x.fn === 'parse')?.deltaSelfMs).toBeCloseTo(0, 9);
  });

  it('the flame graph escapes hostile function names', () => {
    const s = summarizeProfile(synthetic({ '<img src=x onerror=alert(1)>': 10 }));
    const html = renderFlameGraph(s, { title: 't' });
    expect(html).not.toContain('<img');
    expect(html).toContain('&lt;img');
  });
});

describe('profile compare', () => {
  it('prints which functions got slower (human and --json), and rejects a file that is not a profile', async () => {
    const dir = tmpDir();
    writeFile(dir, 'a.cpuprofile', JSON.stringify(synthetic({ parse: 100, render: 50 })));
    writeFile(dir, 'b.cpuprofile', JSON.stringify(synthetic({ parse: 50, render: 200 })));
    const human = await runCli(['profile', 'compare', 'a.cpuprofile', 'b.cpuprofile'], { cwd: dir });
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toMatch(/Slower in b[\s\S]*render[\s\S]*\+150 ms/);
    expect(human.stdout).toMatch(/Faster in b[\s\S]*parse/);
    const json = await runCli(['profile', 'compare', 'a.cpuprofile', 'b.cpuprofile', '--json'], { cwd: dir });
    expect(json.json<{ functions: { fn: string; delta_self_ms: number }[] }>().functions[0]).toMatchObject({ fn: 'render', delta_self_ms: 150 });
    // A profile is the profiled program's to write: escape sequences in its names never reach the terminal.
    writeFile(dir, 'c.cpuprofile', JSON.stringify(synthetic({ parse: 90, '\u001b[2J\u001b[31mevil': 300 })));
    const evil = await runCli(['profile', 'compare', 'a.cpuprofile', 'c.cpuprofile'], { cwd: dir });
    expect(evil.stdout).toContain('[2J[31mevil');
    expect(evil.stdout).not.toContain('\u001b');
    // At 60 columns the comparison fits: long files and names are cut, never wrapped.
    writeFile(dir, 'd.cpuprofile', JSON.stringify(synthetic({ parse: 90, render: 200 }, 'file:///a/very/long/path/to/the/application/source/renderer-module.js')));
    writeFile(dir, 'e.cpuprofile', JSON.stringify(synthetic({ parse: 80, render: 260 }, 'file:///a/very/long/path/to/the/application/source/renderer-module.js')));
    const narrow = await runCli(['profile', 'compare', 'd.cpuprofile', 'e.cpuprofile'], { cwd: dir, env: baseEnv({ COLUMNS: '60' }) });
    expect(narrow.stdout).toContain('+60 ms');
    expect(narrow.stdout.split('\n').filter((l) => [...l].length > 60)).toEqual([]);
    writeFile(dir, 'bad.cpuprofile', '{"hello": 1}');
    const bad = await runCli(['profile', 'compare', 'a.cpuprofile', 'bad.cpuprofile'], { cwd: dir });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/bad.cpuprofile is not a V8 CPU profile/);
  });
});
