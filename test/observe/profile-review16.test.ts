/** Review 16 of `profile`: the inspector closed on every path, interrupts, empty names, --out checks and folders, the safety check's scan, quoting. */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { checkTarget, targetFacts } from '../../src/observe/profile/target.js';
import { compareProfiles, noiseMs, summarizeProfile, type CpuProfile } from '../../src/observe/profile/cpuprofile.js';
import { outBase } from '../../src/observe/profile/processes.js';
import { freePort } from '../support/port.js';
import { baseEnv, runCli } from '../support/run-cli.js';
import { tmpDir, tmpStore, writeFile } from '../support/tmp.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** A long-running Node process that is busy now and then (a server). */
const SERVER = `function handler() { let s = 0; for (let i = 0; i < 3e5; i++) s += Math.sqrt(i); return s; }
setInterval(handler, 5);`;

const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) c.kill('SIGKILL');
});

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until(what: string, cond: () => boolean, ms = 60_000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

/** Whether a TCP connection to 127.0.0.1:port is accepted (false: refused, nothing listens). */
function listens(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** The CLI in a process of its own (so that it can be signalled), from source. */
function cliProcess(args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): { child: ChildProcess; out: { stdout: string; stderr: string }; done: Promise<number | null> } {
  const child = spawn(process.execPath, ['--import', pathToFileURL(path.join(ROOT, 'node_modules/tsx/dist/loader.mjs')).href, path.join(ROOT, 'test/support/cli-child.ts'), ...args], {
    cwd,
    env: baseEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  const out = { stdout: '', stderr: '' };
  child.stdout?.on('data', (c: Buffer) => (out.stdout += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (out.stderr += c.toString()));
  const done = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, out, done };
}

/** The error line and its hint: exactly one "error:" line, no stack. */
function oneError(stderr: string): string {
  const errors = stderr.split('\n').filter((l) => l.startsWith('error:'));
  expect(errors, stderr).toHaveLength(1);
  expect(stderr).not.toMatch(/\n\s+at /);
  return errors[0] as string;
}

/** A folder with the long-running SERVER script, and a Node process running it with `inspectFlag` (collected for clean-up). */
function serverTarget(inspectFlag: string): { dir: string; target: ChildProcess } {
  const dir = tmpDir();
  writeFile(dir, 'server.js', SERVER);
  const target = spawn(process.execPath, [inspectFlag, 'server.js'], { cwd: dir, stdio: 'ignore' });
  children.push(target);
  return { dir, target };
}

describe('profile --pid closes the inspector it opened on every path (review 16 #1)', () => {
  for (const [sig, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
    it(`${sig} while sampling: the inspector is closed, the target keeps running, exit ${code} with one line`, async () => {
      const port = await freePort();
      const { dir, target } = serverTarget(`--inspect-port=${port}`);
      await sleep(300);
      expect(await listens(port)).toBe(false); // --inspect-port alone opens nothing
      const cli = cliProcess(['profile', '--pid', String(target.pid), '--port', String(port), '--duration', '60'], dir);
      await until('sampling to start', () => cli.out.stderr.includes('sampling process'));
      expect(await listens(port)).toBe(true); // SIGUSR1 opened it
      cli.child.kill(sig);
      expect(await cli.done).toBe(code);
      const line = oneError(cli.out.stderr);
      expect(line).toContain(`interrupted (${sig}): stopped attaching to process ${target.pid}; its inspector is closed again`);
      expect(await listens(port)).toBe(false);
      const list = await fetch(`http://127.0.0.1:${port}/json/list`).then(() => 'answered', () => 'failed');
      expect(list).toBe('failed');
      expect(alive(target.pid as number)).toBe(true);
      expect(target.exitCode).toBeNull();
      expect(fs.existsSync(path.join(dir, 'prof.cpuprofile'))).toBe(false);
    }, 90_000);
  }

  /**
   * A target whose inspector opens on its own port, `profile --pid` attaching on `port` (its own, or
   * a wrong one), and `sig` sent to the CLI as soon as the target's inspector listens.
   */
  async function interruptOnOpen(sig: 'SIGHUP' | 'SIGINT', wrongPort: boolean): Promise<{ target: ChildProcess; code: number | null; stderr: string; own: number }> {
    const own = await freePort();
    const port = wrongPort ? await freePort() : own;
    const { dir, target } = serverTarget(`--inspect-port=${own}`);
    await sleep(300);
    const cli = cliProcess(['profile', '--pid', String(target.pid), '--port', String(port), '--duration', '60'], dir);
    const t0 = Date.now();
    while (!(await listens(own))) {
      if (Date.now() - t0 > 60_000) throw new Error('the inspector never opened');
      await sleep(10);
    }
    cli.child.kill(sig);
    const code = await cli.done;
    return { target, code, stderr: cli.out.stderr, own };
  }

  for (const [sig, wrongPort, exit, title] of [
    ['SIGHUP', false, 129, 'SIGHUP as soon as the inspector opens (before or while connecting): closed all the same, exit 129'],
    ['SIGINT', true, 130, 'SIGINT with a wrong --port, while it waits for the inspector: the one the process opened on its own port is closed'],
  ] as const) {
    it(title, async () => {
      const { target, code, stderr, own } = await interruptOnOpen(sig, wrongPort);
      expect(code).toBe(exit);
      expect(oneError(stderr)).toContain(`interrupted (${sig}): stopped attaching to process ${target.pid}; its inspector is closed again`);
      expect(await listens(own)).toBe(false);
      expect(alive(target.pid as number)).toBe(true);
    }, 90_000);
  }

  it('a wrong --port: the inspector the process opened on its own port is found, closed again, and named', async () => {
    const own = await freePort();
    const wrong = await freePort();
    const { dir, target } = serverTarget(`--inspect-port=${own}`);
    await sleep(300);
    const r = await runCli(['profile', '--pid', String(target.pid), '--port', String(wrong), '--duration', '1'], { cwd: dir });
    expect(r.code).toBe(1);
    const line = oneError(r.stderr);
    expect(line).toContain(`nothing listens on 127.0.0.1:${wrong}: process ${target.pid} opened its inspector on port ${own} instead (closed again)`);
    expect(r.stderr).toContain(`hint: pass --port ${own}`);
    expect(await listens(own)).toBe(false);
    expect(alive(target.pid as number)).toBe(true);
  }, 60_000);

  it('an inspector that was open before (started with --inspect) is used and left open, as it was found', async () => {
    const port = await freePort();
    const { dir, target } = serverTarget(`--inspect=127.0.0.1:${port}`);
    for (let i = 0; i < 50 && !(await listens(port)); i++) await sleep(100);
    // Two seconds of samples: on a loaded 2-core machine half a second sometimes caught none in handler (a 1 ms function every 5 ms).
    const r = await runCli(['profile', '--json', '--pid', String(target.pid), '--port', String(port), '--duration', '2'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.json<{ top_self: { fn: string }[] }>().top_self.map((f) => f.fn)).toContain('handler');
    expect(await listens(port)).toBe(true);
  }, 60_000);
});

describe('an interrupted profile -- <cmd> (review 16 #2)', () => {
  for (const [sig, code] of [['SIGTERM', 143], ['SIGINT', 130]] as const) {
    it(`${sig} to statsig-hack (only to it): the program gets it and ends, the temp folder is removed, exit ${code} with one line`, async () => {
      const dir = tmpDir();
      const tmp = path.join(dir, 'tmp');
      fs.mkdirSync(tmp);
      writeFile(dir, 'long.js', `require('fs').writeFileSync('pid', String(process.pid)); setInterval(() => {}, 1000);`);
      const cli = cliProcess(['profile', '--out', 'p', '--', 'node', 'long.js'], dir, { TMPDIR: tmp });
      await until('the program to start', () => fs.existsSync(path.join(dir, 'pid')) && fs.readFileSync(path.join(dir, 'pid'), 'utf8') !== '');
      const pid = Number(fs.readFileSync(path.join(dir, 'pid'), 'utf8'));
      expect(alive(pid)).toBe(true);
      expect(fs.readdirSync(tmp).filter((f) => f.startsWith('statsig-hack-prof-'))).toHaveLength(1);
      cli.child.kill(sig);
      expect(await cli.done).toBe(code);
      const line = oneError(cli.out.stderr);
      expect(line).toContain(`interrupted (${sig}): "node long.js" was stopped (${sig} passed on to it) and its temporary files removed`);
      expect(fs.readdirSync(tmp).filter((f) => f.startsWith('statsig-hack-prof-'))).toEqual([]);
      expect(alive(pid)).toBe(false);
      expect(fs.existsSync(path.join(dir, 'p.cpuprofile'))).toBe(false);
    }, 90_000);
  }
});

describe('refusals before anything runs (review 16 #3, #8, #15)', () => {
  it('an empty or blank --experiment / --group is refused with one line and a hint, and the program does not run', async () => {
    const dir = tmpDir();
    writeFile(dir, 'mark.js', `require('fs').writeFileSync('ran', '1');`);
    for (const args of [['--experiment', 'x', '--group', ''], ['--experiment', '  ', '--group', 'test'], ['--experiment', 'x', '--group', ' test']]) {
      const r = await runCli(['profile', ...args, '--', 'node', 'mark.js'], { cwd: dir });
      expect(r.code, args.join(' ')).toBe(2);
      const line = oneError(r.stderr);
      expect(line).toMatch(/--(experiment|group) (is empty|" test" has spaces at its ends)/);
      expect(r.stderr).toContain('hint:');
    }
    expect(fs.existsSync(path.join(dir, 'ran'))).toBe(false);
  });

  it('--out where nothing can be written is refused before the program runs', async () => {
    const dir = tmpDir();
    writeFile(dir, 'mark.js', `require('fs').writeFileSync('ran', '1');`);
    writeFile(dir, 'afile', 'x');
    const proc = await runCli(['profile', '--out', '/proc/x', '--', 'node', 'mark.js'], { cwd: dir });
    expect(proc.code).toBe(2);
    expect(oneError(proc.stderr)).toMatch(/--out \/proc\/x: \/proc cannot be written \(\w+\), so the profile could not be written; the program was not started/);
    const under = await runCli(['profile', '--out', 'afile/sub/p', '--', 'node', 'mark.js'], { cwd: dir });
    expect(under.code).toBe(2);
    expect(oneError(under.stderr)).toContain(`${path.join(dir, 'afile')} is a file, not a folder`);
    expect(fs.existsSync(path.join(dir, 'ran'))).toBe(false);
    expect(fs.readdirSync(dir).filter((f) => f.startsWith('.statsig-hack-out'))).toEqual([]); // the probe is removed
  });

  it('--duration with a command is refused like --pid with a command', async () => {
    const r = await runCli(['profile', '--duration', '5', '--', 'node', '-e', '1'], { cwd: tmpDir() });
    expect(r.code).toBe(2);
    expect(oneError(r.stderr)).toContain('--duration goes with --pid');
  });

  it('--pid when the process opens no inspector: "nothing listens on 127.0.0.1:N" and what to do', async () => {
    const dir = tmpDir();
    // A SIGUSR1 listener of its own: Node then opens no inspector on the signal.
    writeFile(dir, 'own.js', `process.on('SIGUSR1', () => {}); setInterval(() => {}, 1000);`);
    const port = await freePort();
    const target = spawn(process.execPath, [`--inspect-port=${port}`, 'own.js'], { cwd: dir, stdio: 'ignore' });
    children.push(target);
    await sleep(300);
    const r = await runCli(['profile', '--pid', String(target.pid), '--port', String(port), '--duration', '1'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(oneError(r.stderr)).toContain(`nothing listens on 127.0.0.1:${port}: the process did not open its inspector there`);
    expect(r.stderr).toContain('hint: a process opens its inspector on SIGUSR1 at its --inspect-port (default 9229)');
    expect(r.stderr).not.toContain('fetch failed');
    expect(alive(target.pid as number)).toBe(true);
  }, 60_000);

  it('profile compare <a folder> names it in one line', async () => {
    const dir = tmpDir();
    fs.mkdirSync(path.join(dir, 'runs'));
    writeFile(dir, 'b.cpuprofile', '{}');
    const r = await runCli(['profile', 'compare', 'runs', 'b.cpuprofile'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(oneError(r.stderr)).toContain('runs is a folder, not a .cpuprofile file');
  });
});

describe('--out <folder> writes profile.cpuprofile and profile.html inside it (review 16 #9)', () => {
  it('outBase: an existing folder or a path ending in a slash is a folder; anything else a stem', () => {
    const isDir = (abs: string): boolean => abs === '/w/runs';
    expect(outBase('/w', 'runs', isDir)).toBe('/w/runs/profile');
    expect(outBase('/w', 'new/', isDir)).toBe('/w/new/profile');
    expect(outBase('/w', 'my.cpuprofile', isDir)).toBe('/w/my');
    expect(outBase('/w', 'runs/a', isDir)).toBe('/w/runs/a');
  });

  it('a real run into an existing folder', async () => {
    const dir = tmpDir();
    fs.mkdirSync(path.join(dir, 'runs'));
    writeFile(dir, 'hot.js', `function hotFn() { let s = 0; for (let i = 0; i < 1e6; i++) s += Math.sqrt(i); return s; } const t = Date.now(); while (Date.now() - t < 150) hotFn();`);
    const r = await runCli(['profile', '--json', '--out', 'runs', '--', 'node', 'hot.js'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    const files = r.json<{ files: { cpuprofile: string; html: string } }>().files;
    expect(files).toMatchObject({ cpuprofile: path.join(dir, 'runs', 'profile.cpuprofile'), html: path.join(dir, 'runs', 'profile.html') });
    expect(fs.existsSync(files.cpuprofile) && fs.existsSync(files.html)).toBe(true);
    expect(fs.existsSync(path.join(dir, 'runs.cpuprofile'))).toBe(false);
  }, 60_000);
});

describe('the safety check reads only the experiment\'s units (review 16 #7)', () => {
  it('the same facts as a check over the whole events table, and the same refusals', async () => {
    const { store } = await tmpStore();
    const rows: string[] = [];
    const ev: string[] = [];
    // perf: 3 profile runs (with cpu_time / cpu_sample) + 1 product user; other: profile runs only; product events for others.
    const exposed: [string, string, string][] = [['profile:a', 'perf', 'control'], ['profile:b', 'perf', 'test'], ['profile:c', 'perf', 'test'], ['user1', 'perf', 'test'], ['profile:d', 'other', 'control'], ['user2', 'other2', 'control']];
    for (const [u, x, g] of exposed) {
      rows.push(`('${u}', '${x}', '${g}', TIMESTAMP '2026-01-01')`);
      ev.push(`('${u}', '${u.startsWith('profile:') ? 'cpu_time' : 'purchase'}', TIMESTAMP '2026-01-02', 1, '{}')`);
    }
    ev.push(`('user1', 'cpu_sample_like', TIMESTAMP '2026-01-02', 1, '{}')`, `('profile:b', 'cpu_sample', TIMESTAMP '2026-01-02', 1, '{}')`);
    await store.run(`INSERT INTO exposures (unit_id, experiment, group_name, first_exposure) VALUES ${rows.join(', ')}`);
    await store.run(`INSERT INTO events (unit_id, event, ts, value, metadata) VALUES ${ev.join(', ')}`);
    // Independently: product units = exposed units with no cpu_time/cpu_sample event anywhere.
    const independent = await store.all<{ g: string; units: number; product: number }>(
      `SELECT group_name AS g, count(*)::INT AS units, count(*) FILTER (WHERE NOT EXISTS (SELECT 1 FROM events e WHERE e.unit_id = x.unit_id AND e.event IN ('cpu_sample', 'cpu_time')))::INT AS product
       FROM exposures x WHERE experiment = 'perf' GROUP BY 1 ORDER BY 1`,
    );
    const facts = await targetFacts(store, 'perf', null);
    expect(facts.groups).toEqual(independent.map((r) => ({ name: r.g, units: Number(r.units), productUnits: Number(r.product) })));
    expect(facts.groups).toEqual([{ name: 'control', units: 1, productUnits: 0 }, { name: 'test', units: 3, productUnits: 1 }]);
    expect(() => checkTarget(facts, { group: 'test', unit: null, productExperiment: false, newGroup: false })).toThrow(/experiment perf is a product experiment with 1 exposed user/);
    const other = await targetFacts(store, 'other', null);
    expect(other.groups).toEqual([{ name: 'control', units: 1, productUnits: 0 }]);
    expect(checkTarget(other, { group: 'control', unit: null, productExperiment: false, newGroup: false })).toBeNull();
    store.close();
  });

  it('hint commands quote names a shell would split or run', () => {
    const facts = { experiment: "a'; DROP TABLE events; --", defined: true, definedGroups: ['control'], groups: [], unit: null };
    let hint = '';
    try {
      checkTarget(facts, { group: 'control', unit: null, productExperiment: false, newGroup: false });
    } catch (error) {
      hint = (error as { hint: string }).hint;
    }
    expect(hint).toContain(`--experiment 'a'\\''; DROP TABLE events; --_perf'`);
  });
});

describe('the stored line names the cpu_time event; the analyze command and the paths are quoted (review 16 #15)', () => {
  it('a run in experiment "perf x"', async () => {
    const { dir, store } = await tmpStore();
    store.close();
    writeFile(dir, 'w.js', `function work() { let s = 0; for (let i = 0; i < 1e6; i++) s += Math.sqrt(i); return s; } const t = Date.now(); while (Date.now() - t < 100) work();`);
    const r = await runCli(['profile', '--experiment', 'perf x', '--group', 'test', '--out', 'with space/p', '--', 'node', 'w.js'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`Profile: 'with space/p.cpuprofile' (Chrome DevTools, speedscope)   Flame graph: 'with space/p.html'`);
    expect(r.stdout).toMatch(/Stored \d+ cpu_sample events for unit profile:\w+ \(experiment perf x, group test\) and 1 cpu_time event \(the CPU time that cpu_ms sums\); compare CPU time per run with: statsig-hack analyze --experiment 'perf x' --metric cpu_ms/);
  }, 60_000);
});

describe('lines of TypeScript run through a loader are the source lines (review 16 #5)', () => {
  const TS = `// a comment
interface Opts {
  n: number;
}
/** doc */
type X = string;

function hotTs(o: Opts): number {
  let s = 0;
  for (let i = 0; i < o.n; i++) s += Math.sqrt(i);
  return s;
}
const t = Date.now(); let r = 0;
while (Date.now() - t < 300) r += hotTs({ n: 1e5 });
console.log(r > 0);
`;
  const sourceLine = TS.split('\n').findIndex((l) => l.startsWith('function hotTs')) + 1; // 8

  it('mapTranspiledLines: a frame at the generated line maps to the source line (esbuild map); no map: the line is dropped; .js untouched', async () => {
    const { transformSync } = await import('esbuild');
    const out = transformSync(TS, { loader: 'ts', sourcemap: 'external', sourcefile: 'app.ts' });
    const genLine = out.code.split('\n').findIndex((l) => l.startsWith('function hotTs'));
    expect(genLine + 1).not.toBe(sourceLine); // the transpiled line differs: the bug
    const { mapTranspiledLines } = await import('../../src/observe/profile/sourcemap.js');
    const frame = (url: string, lineNumber: number) => ({ functionName: 'hotTs', scriptId: '1', url, lineNumber, columnNumber: 0 });
    const p = { nodes: [{ id: 1, callFrame: frame('file:///w/app.ts', genLine), children: [] }, { id: 2, callFrame: frame('file:///w/other.ts', genLine) }, { id: 3, callFrame: frame('file:///w/plain.js', 4) }], startTime: 0, endTime: 1, samples: [], timeDeltas: [] };
    const mapped = mapTranspiledLines(p, { 'file:///w/app.ts': JSON.parse(out.map) });
    expect(mapped.nodes.map((n) => n.callFrame.lineNumber)).toEqual([sourceLine - 1, -1, 4]);
    // Node's own type stripping keeps positions: a .ts file without a map keeps its line then
    expect(mapTranspiledLines(p, { 'file:///w/app.ts': JSON.parse(out.map) }, { keepUnmapped: true }).nodes.map((n) => n.callFrame.lineNumber)).toEqual([sourceLine - 1, genLine, 4]);
  });

  it('--pid on a `tsx` process: the lines are mapped too (the Debugger lists the scripts and their maps)', async () => {
    const dir = tmpDir();
    writeFile(dir, 'server.ts', TS.replace('while (Date.now() - t < 300) r += hotTs({ n: 1e5 });', 'setInterval(() => { r += hotTs({ n: 3e5 }); }, 2); void t;'));
    const port = await freePort();
    const target = spawn(process.execPath, [`--inspect-port=${port}`, '--import', pathToFileURL(path.join(ROOT, 'node_modules/tsx/dist/loader.mjs')).href, 'server.ts'], { cwd: dir, stdio: 'ignore' });
    children.push(target);
    await sleep(1500);
    const r = await runCli(['profile', '--json', '--pid', String(target.pid), '--port', String(port), '--duration', '1', '--top', '5'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    const hot = r.json<{ top_self: { fn: string; file: string; line: number }[] }>().top_self.find((f) => f.fn === 'hotTs');
    expect(hot).toMatchObject({ file: 'server.ts', line: sourceLine });
    expect(await listens(port)).toBe(false);
  }, 60_000);

  it('a real run: `tsx app.ts` shows hotTs at its line in the .ts file', async () => {
    const dir = tmpDir();
    writeFile(dir, 'app.ts', TS);
    const r = await runCli(['profile', '--json', '--no-store', '--top', '5', '--', path.join(ROOT, 'node_modules/.bin/tsx'), 'app.ts'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    const hot = r.json<{ top_self: { fn: string; file: string; line: number }[] }>().top_self.find((f) => f.fn === 'hotTs');
    expect(hot).toMatchObject({ file: 'app.ts', line: sourceLine });
  }, 60_000);
});

describe('compare: the noise width uses each profile\'s own sampling interval (review 16 #12)', () => {
  /** A profile sampled every `intervalMs`: `hot` samples of hot, then 100 of other. */
  function sampled(hot: number, intervalMs: number): CpuProfile {
    const cf = (id: number, name: string) => ({ id, callFrame: { functionName: name, scriptId: '1', url: 'file:///w/app.js', lineNumber: id, columnNumber: 0 }, children: [] as number[] });
    const root = { ...cf(1, '(root)'), callFrame: { functionName: '(root)', scriptId: '0', url: '', lineNumber: -1, columnNumber: -1 }, children: [2, 3] };
    const samples = [...Array<number>(hot).fill(2), ...Array<number>(100).fill(3)];
    const us = intervalMs * 1000;
    return { nodes: [root, cf(2, 'hot'), cf(3, 'other')], startTime: 0, endTime: samples.length * us, samples, timeDeltas: samples.map(() => us) };
  }

  it('127 samples at 1.5 ms vs 209 at 1.15 ms: a change (the larger interval for both called it noise)', () => {
    const a = summarizeProfile(sampled(127, 1.5));
    const b = summarizeProfile(sampled(209, 1.15));
    const hot = compareProfiles(a, b).find((r) => r.fn === 'hot');
    // Independently: the self times are the counts times the intervals, and the difference's 2σ is 2·√(n_a·i_a² + n_b·i_b²).
    expect(hot?.aSelfMs).toBeCloseTo(127 * 1.5, 6);
    expect(hot?.bSelfMs).toBeCloseTo(209 * 1.15, 6);
    const twoSigma = 2 * Math.sqrt(127 * 1.5 ** 2 + 209 * 1.15 ** 2); // 47.42 ms
    expect(noiseMs(127 * 1.5, 209 * 1.15, 1.5, 1.15)).toBeCloseTo(twoSigma, 9);
    expect(hot?.deltaSelfMs).toBeCloseTo(209 * 1.15 - 127 * 1.5, 6); // 49.85 ms > 47.42
    expect(hot?.noise).toBe(false);
    // the rule it replaces: 2·√((a + b) / 1.5)·1.5 = 50.8 ms, above the change
    expect(2 * Math.sqrt((127 * 1.5 + 209 * 1.15) / 1.5) * 1.5).toBeGreaterThan(hot?.deltaSelfMs as number);
    // equal intervals: as before, 2√(k_a + k_b) samples
    expect(noiseMs(206, 379, 1)).toBeCloseTo(2 * Math.sqrt(585), 9);
  });
});

describe('the self-time table lists only functions with self time (review 16 #15)', () => {
  it('a caller with no samples of its own is not padded into it', async () => {
    const { topFunctions } = await import('../../src/observe/profile/cpuprofile.js');
    const frame = (name: string, url: string, line: number) => ({ functionName: name, scriptId: '1', url, lineNumber: line, columnNumber: 0 });
    const p: CpuProfile = {
      nodes: [
        { id: 1, callFrame: { functionName: '(root)', scriptId: '0', url: '', lineNumber: -1, columnNumber: -1 }, children: [2] },
        { id: 2, callFrame: frame('Module._load', 'node:internal/modules/cjs/loader', 10), children: [3] },
        { id: 3, callFrame: frame('main', 'file:///w/app.js', 1), children: [4, 5] },
        { id: 4, callFrame: frame('hot', 'file:///w/app.js', 5), children: [] },
        { id: 5, callFrame: frame('warm', 'file:///w/app.js', 9), children: [] },
      ],
      startTime: 0,
      endTime: 40_000,
      samples: [...Array<number>(30).fill(4), ...Array<number>(10).fill(5)],
      timeDeltas: Array<number>(40).fill(1000),
    };
    const top = topFunctions(summarizeProfile(p), 15);
    expect(top.bySelf.map((f) => f.fn)).toEqual(['hot', 'warm']);
    expect(top.byTotal.map((f) => f.fn)).toEqual(['main', 'hot', 'warm']);
  });
});

describe('the unsampled-CPU note with profiled workers (review 16 #15)', () => {
  it('does not suggest a missed thread first when the workers were sampled', async () => {
    const { unsampledCpuNote } = await import('../../src/observe/profile/processes.js');
    expect(unsampledCpuNote(244, 90, 1)).toMatch(/^CPU 244 ms but only 90 ms sampled, workers included: the rest is work no sample shows \(each worker's start-up/);
    expect(unsampledCpuNote(244, 90)).toMatch(/the rest ran on threads the profiler did not see/);
    expect(unsampledCpuNote(150, 90, 1)).toBeNull();
  });
});
