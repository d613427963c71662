/** Review 3 of `profile`: launchers, worker threads, --pid on a taken port, --out, compare across checkouts and noise, pass-through frames. */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { compareProfiles, commonFolder, mergeThreadProfiles, noiseMs, summarizeProfile, topFunctions, type CpuProfile } from '../../src/observe/profile/cpuprofile.js';
import { commandLine, orderProcesses, outStem, ownCodeMs, totalCpuMs, unsampledCpuNote } from '../../src/observe/profile/processes.js';
import { renderComparison } from '../../src/ui/profile.js';
import { freePort } from '../support/port.js';
import { baseEnv, runCli } from '../support/run-cli.js';
import { tmpDir, writeFile } from '../support/tmp.js';

const HOT_BODY = `function HOT(n) { let s = 0; for (let i = 0; i < n; i++) s += Math.sqrt(i) * Math.sin(i); return s; }
const t = Date.now(); let r = 0; while (Date.now() - t < 400) r += HOT(2e5);`;

/** A call tree given as paths of frames `name@url:line` (root first) with their sample counts, 1 ms apart. */
function tree(paths: [string[], number][]): CpuProfile {
  const nodes: CpuProfile['nodes'] = [{ id: 1, callFrame: { functionName: '(root)', scriptId: '0', url: '', lineNumber: -1, columnNumber: -1 }, children: [] }];
  const ids = new Map<string, number>([['', 1]]);
  const samples: number[] = [];
  for (const [frames, n] of paths) {
    let parentKey = '';
    for (const f of frames) {
      const key = `${parentKey}>${f}`;
      if (!ids.has(key)) {
        const [name, where = ''] = f.split('@') as [string, string?];
        const m = /^(.*):(\d+)$/.exec(where);
        const id = nodes.length + 1;
        nodes.push({ id, callFrame: { functionName: name, scriptId: '1', url: m ? (m[1] as string) : where, lineNumber: m ? Number(m[2]) - 1 : -1, columnNumber: 0 }, children: [] });
        nodes.find((x) => x.id === ids.get(parentKey))?.children?.push(id);
        ids.set(key, id);
      }
      parentKey = key;
    }
    for (let k = 0; k < n; k++) samples.push(ids.get(parentKey) as number);
  }
  return { nodes, startTime: 0, endTime: samples.length * 1000, samples, timeDeltas: samples.map((_, i) => (i === 0 ? 0 : 1000)) };
}

const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) c.kill('SIGKILL');
});


describe('profile with a launcher and worker threads (review 3 #7, #32)', () => {
  it('a parent that spawns node: the child (its own code) is shown, every process gets a .cpuprofile, the header gives the CPU of all', async () => {
    const dir = tmpDir();
    writeFile(dir, 'child.js', HOT_BODY.replace(/HOT/g, 'childHot'));
    writeFile(dir, 'parent.js', `require('node:child_process').execFileSync(process.execPath, [__dirname + '/child.js'], { stdio: 'inherit' });`);
    const r = await runCli(['profile', '--json', '--top', '5', '--out', 'p', '--', 'node', 'parent.js'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    const out = r.json<{ top_self: { fn: string }[]; top_total: { fn: string; file: string; self_ms: number; total_ms: number }[]; shown_pid: number; cpu_ms: number; total_cpu_ms: number; processes: { pid: number; cpu_ms: number }[]; files: { others: string[] } }>();
    expect(out.top_self[0]?.fn).toBe('childHot');
    expect(out.processes).toHaveLength(2);
    const other = out.processes.find((p) => p.pid !== out.shown_pid) as { pid: number; cpu_ms: number };
    expect(out.cpu_ms).toBeGreaterThan(other.cpu_ms);
    expect(out.total_cpu_ms).toBeCloseTo(out.cpu_ms + other.cpu_ms, 6);
    expect(fs.existsSync(path.join(dir, 'p.cpuprofile'))).toBe(true);
    expect(out.files.others).toEqual([path.join(dir, `p.${other.pid}.cpuprofile`)]);
    expect(fs.existsSync(path.join(dir, `p.${other.pid}.cpuprofile`))).toBe(true);
    // #15: Node's entry point and loader frames, passing time through (at most 2% of it their own),
    // are not in the total-time table; the hot function is. (On a busy machine a loader frame can
    // spend time of its own compiling modules: then it is work, and listed.)
    const loader = (f: { file: string }): boolean => f.file.startsWith('node:internal/modules') || f.file.startsWith('node:internal/main');
    expect(out.top_total.filter((f) => loader(f) && f.self_ms <= 0.02 * f.total_ms)).toEqual([]);
    expect(out.top_total.map((f) => f.fn)).toContain('childHot');

    const human = await runCli(['profile', '--top', '3', '--out', 'p', '--', 'node', 'parent.js'], { cwd: dir, env: baseEnv({ COLUMNS: '100' }) });
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toMatch(/\(CPU of [\d.]+ m?s in 2 processes\)/);
    expect(human.stdout.replace(/\s+/g, ' ')).toMatch(/shown: pid \d+, the most time in the program’s own files/);
    expect(human.stdout).toMatch(/pass-through frames? of Node's entry point/);
    expect(human.stdout.split('\n').filter((l) => [...l].length > 100)).toEqual([]);
  });

  it("a worker thread's work is profiled and shown under its process; one killed by process.exit shows in a note on the unsampled CPU", async () => {
    const dir = tmpDir();
    writeFile(dir, 'wt.js', `const { Worker } = require('node:worker_threads'); new Worker(${JSON.stringify(HOT_BODY.replace(/HOT/g, 'workerHot'))}, { eval: true });`);
    const r = await runCli(['profile', '--json', '--top', '3', '--out', 'w', '--', 'node', 'wt.js'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    const out = r.json<{ top_self: { fn: string; self_ms: number }[]; sampled_ms: number; processes: { worker_threads: number[] }[]; files: { others: string[] } }>();
    expect(out.top_self[0]?.fn).toBe('workerHot');
    expect(out.top_self[0]?.self_ms).toBeGreaterThan(300);
    expect(out.processes[0]?.worker_threads).toEqual([1]);
    expect(out.files.others.map((f) => path.basename(f))).toEqual([expect.stringMatching(/^w\.\d+\.t1\.cpuprofile$/)]);

    writeFile(dir, 'wt2.js', `const { Worker } = require('node:worker_threads'); new Worker('for (;;) {}', { eval: true }); setTimeout(() => process.exit(0), 400);`);
    const killed = await runCli(['profile', '--top', '3', '--out', 'w2', '--', 'node', 'wt2.js'], { cwd: dir, env: baseEnv({ COLUMNS: '100' }) });
    expect(killed.code, killed.stderr).toBe(0);
    expect(killed.stdout.replace(/\s+/g, ' ')).toMatch(/CPU \d+ ms but only \d+ ms sampled: the rest ran on threads the profiler did not see \(a worker thread ended by process\.exit/);
  });

  it('the process shown: the most time in its own files, then the most CPU, never the longest; notes on unsampled CPU', () => {
    const ps = [
      { pid: 10, cpuMs: 168, sampledMs: 626, ownMs: 0 }, // a launcher blocked in spawnSync: sampled all along
      { pid: 11, cpuMs: 720, sampledMs: 400, ownMs: 390 },
    ];
    expect(orderProcesses(ps).map((p) => p.pid)).toEqual([11, 10]);
    // npm's start-up costs more CPU than a short program: the program's own code decides
    expect(orderProcesses([{ pid: 1, cpuMs: 225, sampledMs: 213, ownMs: 0 }, { pid: 2, cpuMs: 90, sampledMs: 30, ownMs: 12 }]).map((p) => p.pid)).toEqual([2, 1]);
    // `npx some-cli`: all in node_modules, so the most CPU
    expect(orderProcesses([{ pid: 1, cpuMs: 100, sampledMs: 90, ownMs: 0 }, { pid: 2, cpuMs: 300, sampledMs: 30, ownMs: 0 }]).map((p) => p.pid)).toEqual([2, 1]);
    expect(orderProcesses([{ pid: 1, cpuMs: null, sampledMs: 5, ownMs: 0 }, { pid: 2, cpuMs: null, sampledMs: 9, ownMs: 0 }]).map((p) => p.pid)).toEqual([2, 1]);
    expect(ownCodeMs([{ file: 'app.js', selfMs: 5 }, { file: '/x/node_modules/npm/lib/cli.js', selfMs: 50 }, { file: 'node:fs', selfMs: 7 }, { file: '', selfMs: 9 }, { file: '/w/src/a.ts', selfMs: 1 }])).toBe(6);
    expect(totalCpuMs(ps)).toBe(888);
    expect(totalCpuMs([...ps, { pid: 3, cpuMs: null, sampledMs: 0, ownMs: 0 }])).toBeNull();
    expect(unsampledCpuNote(223, 14)).toMatch(/^CPU 223 ms but only 14 ms sampled: the rest ran on threads the profiler did not see/);
    expect(unsampledCpuNote(120, 60)).toBeNull(); // Node's start-up and the profiler
    expect(unsampledCpuNote(900, 800)).toBeNull();
    expect(unsampledCpuNote(null, 1)).toBeNull();
  });

  it("merging a worker's profile: its code under (worker thread N), its idle out of it, the sampled times add up", () => {
    const main = tree([[['main@file:///a.js:1'], 30], [['(idle)'], 10]]);
    const worker = tree([[['(anonymous)@[worker eval]:1', 'workerHot@[worker eval]:1'], 50], [['(idle)'], 20]]);
    const s = summarizeProfile(mergeThreadProfiles(main, [{ threadId: 1, profile: worker }]));
    expect(s.sampledMs).toBeCloseTo(80, 9);
    const w = s.functions.find((f) => f.fn === '(worker thread 1)');
    expect(w?.totalMs).toBeCloseTo(50, 9);
    expect(s.functions.find((f) => f.fn === 'workerHot')?.selfMs).toBeCloseTo(50, 9);
    expect(s.functions.find((f) => f.fn === 'main')?.selfMs).toBeCloseTo(30, 9);
    expect(s.samples).toBe(110);
  });
});

describe('profile --pid when another inspector holds the port (review 3 #30, #16)', () => {
  it("refuses to report another process's profile as the target's, and announces nothing before the check", async () => {
    const dir = tmpDir();
    const port = await freePort();
    const other = spawn(process.execPath, [`--inspect=127.0.0.1:${port}`, '-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    children.push(other);
    await new Promise((res) => setTimeout(res, 400));
    const target = spawn(process.execPath, [`--inspect-port=${port}`, '-e', 'function busy() { let s = 0; for (let i = 0; i < 1e6; i++) s += i; return s; } setInterval(busy, 5)'], { stdio: 'ignore' });
    children.push(target);
    await new Promise((res) => setTimeout(res, 300));
    const r = await runCli(['profile', '--pid', String(target.pid), '--port', String(port), '--duration', '1'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`the inspector on 127.0.0.1:${port} belongs to pid ${other.pid}`);
    expect(r.stderr).toContain(`not to process ${target.pid}`);
    expect(r.stderr).not.toContain('sampling process');
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(fs.existsSync(path.join(dir, 'prof.cpuprofile'))).toBe(false);
  });

  it('--duration 0 says "more than 0"', async () => {
    const r = await runCli(['profile', '--pid', String(process.pid), '--duration', '0'], { cwd: tmpDir() });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--duration must be more than 0 and at most 3600 seconds, got "0"');
  });
});

describe('profile --out and the command line (review 3 #31, #20)', () => {
  it('a known extension on --out is the stem', () => {
    expect(outStem('my.cpuprofile')).toBe('my');
    expect(outStem('out/flame.html')).toBe('out/flame');
    expect(outStem('prof')).toBe('prof');
    expect(outStem('run.v2')).toBe('run.v2');
    expect(outStem('.cpuprofile')).toBe('.cpuprofile');
  });

  it('writes my.cpuprofile and my.html for --out my.cpuprofile; quotes arguments with spaces in what it prints', async () => {
    const dir = tmpDir();
    const r = await runCli(['profile', '--out', 'my.cpuprofile', '--', 'node', '-e', 'let s = 0; for (let i = 0; i < 1e6; i++) s += i'], { cwd: dir, env: baseEnv({ COLUMNS: '100' }) });
    expect(r.code, r.stderr).toBe(0);
    expect(fs.readdirSync(dir).sort()).toEqual(['my.cpuprofile', 'my.html']);
    expect(r.stdout).toContain("node -e 'let s = 0; for (let i = 0; i < 1e6; i++) s += i':");
    expect(commandLine(['node', '-e', "console.log('x')"])).toBe(`node -e 'console.log('\\''x'\\'')'`);
    expect(commandLine(['node', 'app.js', '--port=80'])).toBe('node app.js --port=80');
  });
});

describe('profile compare (review 3 #6)', () => {
  const a = summarizeProfile(tree([[['main@file:///w/va/app.js:1', 'hot@file:///w/va/app.js:5'], 206], [['main@file:///w/va/app.js:1', 'cold@file:///w/va/lib/util.js:2'], 40]]));
  const b = summarizeProfile(tree([[['main@file:///w/vb/app.js:1', 'hot@file:///w/vb/app.js:5'], 379], [['main@file:///w/vb/app.js:1', 'cold@file:///w/vb/lib/util.js:2'], 41]]));

  it('matches the same function in two checkouts by its path from each profile’s common folder', () => {
    expect(commonFolder(['/w/va/app.js', '/w/va/lib/util.js', 'node:net', ''])).toBe('/w/va');
    const rows = compareProfiles(a, b);
    const hot = rows.find((r) => r.fn === 'hot');
    expect(hot).toMatchObject({ matchedBy: 'path', aSelfMs: 206, bSelfMs: 379, noise: false });
    expect(hot?.deltaSelfMs).toBeCloseTo(173, 9);
    expect(rows.filter((r) => r.fn === 'hot')).toHaveLength(1);
    // 40 -> 41 ms of cold: one sample, within noise
    expect(rows.find((r) => r.fn === 'cold')).toMatchObject({ matchedBy: 'path', noise: true });
  });

  it('falls back to the file name when the folders differ in depth, only when the pair is unique', () => {
    const x = summarizeProfile(tree([[['f@file:///x/a/b/mod.js:1'], 10], [['g@file:///x/a/other.js:1'], 10]]));
    const y = summarizeProfile(tree([[['f@file:///y/mod.js:1'], 30], [['f@file:///y/sub/mod.js:1'], 5]]));
    const rows = compareProfiles(x, y);
    expect(rows.filter((r) => r.fn === 'f').map((r) => r.matchedBy)).toEqual(expect.arrayContaining([null]));
    const z = summarizeProfile(tree([[['f@file:///z/q/r/mod.js:1'], 30]]));
    expect(compareProfiles(x, z).find((r) => r.fn === 'f')?.matchedBy).toBe('basename');
  });

  it('noise: two samples, or 2√(samples in a + b)', () => {
    expect(noiseMs(0, 1, 1)).toBe(2);
    expect(noiseMs(206, 379, 1)).toBeCloseTo(2 * Math.sqrt(585), 9);
    expect(noiseMs(200, 200, 0.1)).toBeCloseTo(2 * Math.sqrt(4000) * 0.1, 9);
  });

  it('says "no function changed beyond sampling noise" for two runs that differ by a sample or two', () => {
    const x = summarizeProfile(tree([[['main@file:///w/app.js:1', 'hot@file:///w/app.js:5'], 100], [['Socket@node:net:359'], 0], [['(program)'], 3]]));
    const y = summarizeProfile(tree([[['main@file:///w/app.js:1', 'hot@file:///w/app.js:5'], 101], [['Socket@node:net:359'], 1], [['(program)'], 2]]));
    const text = renderComparison(compareProfiles(x, y), 10, 100);
    expect(text).toContain('No function changed beyond sampling noise.');
    expect(text).not.toContain('Socket');
  });

  it('the Slower and Faster tables have the same columns; a note when no program file matched', () => {
    const long = 'a-rather-long-function-name-that-takes-room-in-the-table';
    const x = summarizeProfile(tree([[[`${long}@file:///w/app.js:1`], 10], [['shrinks@file:///w/app.js:9'], 300]]));
    const y = summarizeProfile(tree([[[`${long}@file:///w/app.js:1`], 300], [['shrinks@file:///w/app.js:9'], 10]]));
    const text = renderComparison(compareProfiles(x, y), 10, 90);
    const headers = text.split('\n').filter((l) => l.startsWith('function'));
    expect(headers).toHaveLength(2);
    expect(headers[0]?.split(/\s{2,}/)).toEqual(headers[1]?.split(/\s{2,}/));
    const p = summarizeProfile(tree([[['hot@file:///w/work.js:1'], 100]]));
    const q = summarizeProfile(tree([[['hot@file:///w/work2.js:1'], 300]]));
    expect(renderComparison(compareProfiles(p, q), 10, 100)).toContain('No function of the program’s own files occurs in both profiles');
  });

  it('--json: snake_case keys, matched_by, and the count left out as noise', async () => {
    const dir = tmpDir();
    fs.mkdirSync(path.join(dir, 'va'));
    const pa = tree([[['main@file:///w/va/app.js:1', 'hot@file:///w/va/app.js:5'], 206], [['tick@node:internal/timers:1'], 3]]);
    const pb = tree([[['main@file:///w/vb/app.js:1', 'hot@file:///w/vb/app.js:5'], 379], [['tick@node:internal/timers:1'], 4]]);
    fs.writeFileSync(path.join(dir, 'a.cpuprofile'), JSON.stringify(pa));
    fs.writeFileSync(path.join(dir, 'b.cpuprofile'), JSON.stringify(pb));
    const r = await runCli(['profile', 'compare', 'a.cpuprofile', 'b.cpuprofile', '--json'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    const out = r.json<{ functions: Record<string, unknown>[]; within_noise: number }>();
    expect(out.functions[0]).toMatchObject({ fn: 'hot', a_self_ms: 206, b_self_ms: 379, delta_self_ms: 173, matched_by: 'path' });
    expect(Object.keys(out.functions[0] ?? {}).filter((k) => /[A-Z]/.test(k))).toEqual([]);
    expect(out.functions.map((f) => f.fn)).not.toContain('tick');
    expect(out.within_noise).toBeGreaterThanOrEqual(1);
  });
});

describe('top functions by total time (review 3 #15)', () => {
  it("leaves out Node's pass-through frames and a module's top level, and counts them", () => {
    const loader = ['(anonymous)@node:internal/main/run_main_module:1', 'executeUserEntryPoint@node:internal/modules/run_main:155', 'Module._load@node:internal/modules/cjs/loader:1003', '(anonymous)@file:///w/work.js:1'];
    const s = summarizeProfile(tree([[[...loader, 'main@file:///w/work.js:10', 'hot@file:///w/work.js:2'], 94], [[...loader, 'main@file:///w/work.js:10'], 6], [['readFile@node:fs:400'], 5]]));
    const t = topFunctions(s, 4);
    expect(t.byTotal.map((f) => f.fn)).toEqual(['main', 'hot', 'readFile']);
    expect(t.passThrough).toBe(4);
    expect(t.bySelf[0]?.fn).toBe('hot');
  });
});

describe('flame graph (review 3 #19)', () => {
  it('idle takes no width (the code fills it), and the page zooms on click with its own inline script', async () => {
    const { renderFlameGraph } = await import('../../src/observe/profile/flame.js');
    const s = summarizeProfile(tree([[['main@file:///w/app.js:1', 'hot@file:///w/app.js:5'], 30], [['main@file:///w/app.js:1'], 10], [['(idle)'], 360]]));
    const html = renderFlameGraph(s, { title: 't' });
    const frame = (name: string): { x: number; w: number } => {
      const m = new RegExp(`<g data-x="([\\d.]+)" data-w="([\\d.]+)" data-d="\\d+" data-name="${name}"`).exec(html);
      return { x: Number(m?.[1]), w: Number(m?.[2]) };
    };
    expect(frame('main').w).toBeCloseTo(1200, 1);
    expect(frame('hot').w).toBeCloseTo(900, 1); // 30 of the 40 ms in code
    expect(html).not.toContain('data-name="(idle)"');
    expect(html).toContain('360 ms idle not shown');
    expect(html).toMatch(/<script>[\s\S]*addEventListener\('click'/);
    expect(html).not.toMatch(/<script[^>]*\bsrc=|https?:\/\/(?!www\.w3\.org)/);
  });
});

describe('a failing program (review 3 #20)', () => {
  it('--keep-failed writes the profile up to the failure and keeps the exit code; without it nothing is written', async () => {
    const dir = tmpDir();
    writeFile(dir, 'fail.js', 'function boom() { let s = 0; for (let i = 0; i < 3e7; i++) s += i; process.exitCode = 3; return s; } boom();');
    const plain = await runCli(['profile', '--out', 'a', '--', 'node', 'fail.js'], { cwd: dir });
    expect(plain.code).toBe(3);
    expect(plain.stderr).toContain('no profile written or stored');
    expect(plain.stderr).toContain('--keep-failed');
    expect(fs.existsSync(path.join(dir, 'a.cpuprofile'))).toBe(false);
    const kept = await runCli(['profile', '--keep-failed', '--out', 'b', '--', 'node', 'fail.js'], { cwd: dir });
    expect(kept.code).toBe(3);
    expect(kept.stderr).toContain('"node fail.js" exited with code 3; its profile up to then: b.cpuprofile, b.html (nothing stored)');
    expect(kept.stderr).not.toMatch(/\n\s+at /);
    const s = summarizeProfile(JSON.parse(fs.readFileSync(path.join(dir, 'b.cpuprofile'), 'utf8')) as CpuProfile);
    expect(s.functions[0]?.fn).toBe('boom');
  });
});

describe('flame graph zoom script', () => {
  it('a click on a frame widens it to the page, keeps its callers full width and hides what is beside it; Escape zooms out', async () => {
    const vm = await import('node:vm');
    const { renderFlameGraph } = await import('../../src/observe/profile/flame.js');
    const s = summarizeProfile(tree([[['main@file:///w/app.js:1', 'hot@file:///w/app.js:5', 'inner@file:///w/app.js:9'], 30], [['main@file:///w/app.js:1', 'cold@file:///w/app.js:7'], 10]]));
    const html = renderFlameGraph(s, { title: 't' });
    type El = { dataset: Record<string, string>; style: { display?: string }; attrs: Record<string, Record<string, string>>; text: string; click?: () => void };
    const els: El[] = [...html.matchAll(/<g data-x="([^"]*)" data-w="([^"]*)" data-d="([^"]*)" data-name="([^"]*)">/g)].map((m) => ({
      dataset: { x: m[1] as string, w: m[2] as string, d: m[3] as string, name: m[4] as string },
      style: {},
      attrs: { rect: {}, text: {} },
      text: '',
    }));
    const node = (e: El) => ({
      ...e,
      get dataset() { return e.dataset; },
      style: e.style,
      querySelector: (sel: 'rect' | 'text') => ({ setAttribute: (k: string, v: string) => void ((e.attrs[sel] as Record<string, string>)[k] = v), set textContent(v: string) { e.text = v; } }),
      addEventListener: (_: string, fn: () => void) => void (e.click = fn),
    });
    let onKey: ((ev: { key: string }) => void) | undefined;
    const document = { querySelectorAll: () => els.map(node), addEventListener: (_: string, fn: (ev: { key: string }) => void) => void (onKey = fn) };
    vm.runInNewContext(/<script>([\s\S]*)<\/script>/.exec(html)?.[1] ?? '', { document });
    const by = (name: string) => els.find((e) => e.dataset.name === name) as El;
    by('hot').click?.();
    expect(Number(by('hot').attrs.rect?.width)).toBeCloseTo(1199.5, 1);
    expect(Number(by('hot').attrs.rect?.x)).toBe(0);
    expect(Number(by('inner').attrs.rect?.width)).toBeCloseTo(1199.5, 1);
    expect(Number(by('main').attrs.rect?.width)).toBeCloseTo(1199.5, 1); // a caller: full width
    expect(by('cold').style.display).toBe('none');
    expect(by('hot').text).toBe('hot');
    onKey?.({ key: 'Escape' });
    expect(by('cold').style.display).toBe('');
    expect(Number(by('hot').attrs.rect?.width)).toBeCloseTo(900 - 0.5, 1);
  });
});
