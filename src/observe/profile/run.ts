/**
 * Runs a command under the V8 CPU profiler. NODE_OPTIONS preloads a small script (Node 20
 * does not allow `--cpu-prof` there) that starts the inspector's Profiler in the process and
 * writes the profile when it exits, so `node app.js`, `npx tsx app.ts` or `npm start` all
 * work, and every Node process the command starts writes one (and each of its worker threads).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import type { SourceMapPayload } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { UserError } from '../../core/errors.js';
import { commandLine } from './processes.js';
import { decodeDataUrl, mapTranspiledLines } from './sourcemap.js';
import { catchInterrupts, interruptedError, type StopSignal } from './interrupt.js';
import { parseCpuProfile, withoutFrames, type CallFrame, type CpuProfile } from './cpuprofile.js';

/** CPU time a process spent (process.cpuUsage(): all its threads, the profiler's sampling included). */
export interface CpuTime {
  userMs: number;
  systemMs: number;
}

export interface ProcessProfile {
  /** The process id, from the profile's file name (CPU.<pid>.cpuprofile). */
  pid: number;
  profile: CpuProfile;
  /** The process's own CPU time at exit; null when it did not say (a killed process). */
  cpu: CpuTime | null;
  /** Its worker threads that wrote a profile (a worker ended by process.exit or terminate() writes none). */
  threads: { threadId: number; profile: CpuProfile }[];
}

export interface ProfiledRun {
  exitCode: number | null;
  signal: string | null;
  startedAt: Date;
  /** Every Node process that wrote a profile, by pid (may be empty when the program failed); the caller picks the one to show. */
  profiles: ProcessProfile[];
}

export interface RunOptions {
  command: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  intervalUs: number;
  /** Where the program's stdout and stderr go (stderr of the CLI: stdout is for results). */
  output: { write(chunk: string): unknown };
  /** Called when SIGINT/SIGTERM/SIGHUP arrives while the program runs (before it is passed on). */
  onInterrupt?: (sig: StopSignal) => void;
  /** After a passed-on signal: how long the program may take to end before SIGKILL (default 5 s). */
  killGraceMs?: number;
}

/** Profiles larger than this are not read (a long run at a fine interval). */
export const MAX_PROFILE_BYTES = 512 * 1024 * 1024;

function quoteOption(value: string): string {
  return `"${value.replace(/(["\\])/g, '\\$1')}"`;
}

/** A frame of the preloaded script (in any statsig-hack-prof-* folder): the profiler's, not the program's. */
export const isPreloadFrame = (cf: Pick<CallFrame, 'url'>): boolean => /statsig-hack-prof-[^/\\]+[/\\]preload\.cjs$/.test(cf.url);

/** The preloaded script (CommonJS, so `--require` loads it in any program). */
const PRELOAD = `'use strict';
const { isMainThread, threadId } = require('node:worker_threads');
const dir = process.env.STATSIG_HACK_PROF_DIR;
if (dir) {
  const inspector = require('node:inspector');
  const fs = require('node:fs');
  const path = require('node:path');
  // A worker thread is profiled too (its own isolate, its own session): CPU.<pid>.t<threadId>.cpuprofile.
  const tag = isMainThread ? '' : '.t' + threadId;
  const session = new inspector.Session();
  session.connect();
  session.post('Profiler.enable');
  session.post('Profiler.setSamplingInterval', { interval: Number(process.env.STATSIG_HACK_PROF_INTERVAL) || 1000 });
  session.post('Profiler.start');
  process.on('exit', () => {
    // CPU time from the OS (user + system, in microseconds, all threads), before the profile is serialised.
    if (isMainThread) fs.writeFileSync(path.join(dir, 'CPU.' + process.pid + '.usage.json'), JSON.stringify(process.cpuUsage()));
    session.post('Profiler.stop', (err, res) => {
      if (!err && res && res.profile) {
        fs.writeFileSync(path.join(dir, 'CPU.' + process.pid + tag + '.cpuprofile'), JSON.stringify(res.profile));
        // The source maps of transpiled files in it (tsx inlines them): their lines are the JS's.
        // Only then, and only now, is the Debugger enabled: it lists the scripts loaded so far.
        try {
          const urls = new Set(res.profile.nodes.map((n) => n.callFrame.url).filter((u) => /\\.(ts|tsx|mts|cts)([?#].*)?$/i.test(u)));
          if (urls.size > 0) {
            const maps = {};
            session.on('Debugger.scriptParsed', (m) => {
              if (urls.has(m.params.url) && m.params.sourceMapURL) maps[m.params.url] = m.params.sourceMapURL;
            });
            session.post('Debugger.enable', () => {});
            session.post('Debugger.disable', () => {});
            // Node's own type stripping (process.features.typescript) keeps every position: its lines are right without a map.
            fs.writeFileSync(path.join(dir, 'CPU.' + process.pid + tag + '.maps.json'), JSON.stringify({ maps, strip: Boolean(process.features && process.features.typescript) }));
          }
        } catch {}
      }
    });
  });
}
`;

/** The usage file the preload wrote at exit (process.cpuUsage() in microseconds), or null. */
function readUsage(file: string): CpuTime | null {
  try {
    const u = JSON.parse(fs.readFileSync(file, 'utf8')) as { user?: unknown; system?: unknown };
    if (typeof u.user !== 'number' || typeof u.system !== 'number' || !(u.user >= 0) || !(u.system >= 0)) return null;
    return { userMs: u.user / 1000, systemMs: u.system / 1000 };
  } catch {
    return null;
  }
}

/**
 * The source maps the preload found for transpiled files ({ url: sourceMappingURL }): inline
 * `data:` ones decoded, a file one read beside the script (capped). `keepUnmapped`: the process
 * stripped types itself (Node 22.6+), which keeps lines, so a .ts file without a map keeps them.
 */
function readMaps(file: string): { maps: Record<string, SourceMapPayload>; keepUnmapped: boolean } {
  const out: Record<string, SourceMapPayload> = {};
  let urls: Record<string, unknown>;
  let strip = false;
  try {
    const doc = JSON.parse(fs.readFileSync(file, 'utf8')) as { maps?: Record<string, unknown>; strip?: unknown };
    urls = doc.maps ?? {};
    strip = doc.strip === true;
  } catch {
    return { maps: out, keepUnmapped: false };
  }
  for (const [url, ref] of Object.entries(urls)) {
    if (typeof ref !== 'string') continue;
    let payload = decodeDataUrl(ref);
    if (!payload && url.startsWith('file:')) {
      try {
        const mapFile = fileURLToPath(new URL(ref, url));
        if (fs.statSync(mapFile).size <= 64 * 1024 * 1024) payload = JSON.parse(fs.readFileSync(mapFile, 'utf8')) as SourceMapPayload;
      } catch {
        payload = null;
      }
    }
    if (payload) out[url] = payload;
  }
  return { maps: out, keepUnmapped: strip };
}

/** Runs the command under the profiler. A run that failed (non-zero exit, signal) returns its profiles too: the caller decides. */
export async function runProfiled(opts: RunOptions): Promise<ProfiledRun> {
  const [file, ...args] = opts.command;
  if (!file) throw new UserError('no command to profile', { hint: 'put the Node command after --, e.g. statsig-hack profile -- node app.js', code: 'USAGE', exitCode: 2 });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'statsig-hack-prof-'));
  try {
    const preload = path.join(dir, 'preload.cjs');
    fs.writeFileSync(preload, PRELOAD);
    const env = {
      ...opts.env,
      NODE_OPTIONS: [opts.env.NODE_OPTIONS, `--require ${quoteOption(preload)}`].filter(Boolean).join(' '),
      STATSIG_HACK_PROF_DIR: dir,
      STATSIG_HACK_PROF_INTERVAL: String(Math.trunc(opts.intervalUs)),
    };
    const startedAt = new Date();
    // Ctrl-C, a closed terminal or a `kill` of statsig-hack: the signal goes on to the program, we
    // wait for it to end (SIGKILL after a grace period), and the finally below removes the folder.
    let child: ReturnType<typeof spawn> | null = null;
    let killTimer: NodeJS.Timeout | null = null;
    const stop = catchInterrupts((sig) => {
      opts.onInterrupt?.(sig);
      if (!child || child.exitCode !== null || child.signalCode !== null) return;
      try {
        child.kill(sig);
      } catch {
        // already gone
      }
      killTimer = setTimeout(() => child?.kill('SIGKILL'), opts.killGraceMs ?? 5000);
    });
    let code: number | null;
    let signal: string | null;
    try {
      if (stop.signal.aborted) throw interruptedError(stop.caught() ?? 'SIGINT', `"${commandLine(opts.command)}" was not started; no profile written or stored`);
      const proc = spawn(file, args, { cwd: opts.cwd, env, stdio: ['inherit', 'pipe', 'pipe'] });
      child = proc;
      proc.stdout.on('data', (d: Buffer) => opts.output.write(d.toString()));
      proc.stderr.on('data', (d: Buffer) => opts.output.write(d.toString()));
      ({ code, signal } = await new Promise<{ code: number | null; signal: string | null }>((resolve, reject) => {
        proc.on('error', (error: NodeJS.ErrnoException) => {
          reject(
            error.code === 'ENOENT'
              ? new UserError(`cannot run "${file}": no such program`, { hint: 'check the command after --, e.g. statsig-hack profile -- node app.js', code: 'COMMAND_NOT_FOUND' })
              : error,
          );
        });
        proc.on('close', (c, s) => resolve({ code: c, signal: s }));
      }));
    } finally {
      if (killTimer) clearTimeout(killTimer);
      stop.dispose();
    }
    const sig = stop.caught();
    if (sig !== null) {
      throw interruptedError(sig, `"${commandLine(opts.command)}" was stopped (${sig} passed on to it) and its temporary files removed; no profile written or stored`, 'profile it again and let it finish, or attach to a long-running program with --pid <pid> --duration <s>');
    }
    const profiles: ProcessProfile[] = [];
    const names = fs.readdirSync(dir);
    const read = (name: string): CpuProfile | null => {
      const full = path.join(dir, name);
      if (fs.statSync(full).size > MAX_PROFILE_BYTES) return null;
      try {
        const profile = withoutFrames(parseCpuProfile(fs.readFileSync(full, 'utf8')), isPreloadFrame);
        const { maps, keepUnmapped } = readMaps(path.join(dir, name.replace(/\.cpuprofile$/, '.maps.json')));
        return mapTranspiledLines(profile, maps, { keepUnmapped });
      } catch {
        return null; // a truncated profile of a killed process: skip it
      }
    };
    for (const name of names.filter((f) => /^CPU\.\d+\.cpuprofile$/.test(f)).sort()) {
      const pid = Number(/^CPU\.(\d+)\./.exec(name)?.[1] ?? 0);
      const profile = read(name);
      if (!profile) continue;
      const threads: ProcessProfile['threads'] = [];
      for (const t of names.filter((f) => f.startsWith(`CPU.${pid}.t`) && f.endsWith('.cpuprofile'))) {
        const tp = read(t);
        if (tp) threads.push({ threadId: Number(/\.t(\d+)\./.exec(t)?.[1] ?? 0), profile: tp });
      }
      threads.sort((a, b) => a.threadId - b.threadId);
      profiles.push({ pid, profile, cpu: readUsage(path.join(dir, `CPU.${pid}.usage.json`)), threads });
    }
    if (profiles.length === 0 && code === 0 && signal === null) {
      throw new UserError(`"${commandLine(opts.command)}" wrote no CPU profile`, {
        hint: 'the command must run Node and exit by itself (a profile is written at exit); to profile a server that keeps running, start it and use --pid <pid> --duration <s>',
        code: 'NO_PROFILE',
      });
    }
    return { exitCode: code, signal, startedAt, profiles };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
