/**
 * Profiles a running Node process for a while: SIGUSR1 (process._debugProcess) opens its
 * inspector on 127.0.0.1:<port>, the Profiler domain samples for `durationMs`, and the
 * inspector is closed again. Only loopback; only a process that looks like Node on Linux.
 */
import fs from 'node:fs';
import { UserError, errorMessage, isUserError } from '../../core/errors.js';
import { cpuProfileSchema, type CpuProfile } from './cpuprofile.js';
import { MAX_PROFILE_BYTES, type CpuTime } from './run.js';
import { WsClient } from './ws.js';
import { decodeDataUrl, mapTranspiledLines, TRANSPILED } from './sourcemap.js';
import type { SourceMapPayload } from 'node:module';
import { catchInterrupts, interruptedError, sleepUnless, type StopSignal } from './interrupt.js';

export interface AttachOptions {
  pid: number;
  durationMs: number;
  intervalUs: number;
  port: number;
  /** How long to wait for the inspector to answer after SIGUSR1 (default 5 s). */
  readyTimeoutMs?: number;
  /** Called once the process is checked and sampling starts (to announce it then, not before). */
  onStart?: () => void;
  /** Called when SIGINT/SIGTERM/SIGHUP arrives while attached (the clean-up follows). */
  onInterrupt?: (sig: StopSignal) => void;
  /** A warning for the report (an inspector that could not be closed after a successful run). */
  onWarn?: (message: string) => void;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** On Linux: refuse a process that is not Node (SIGUSR1 would end most other programs). */
function checkIsNode(pid: number): void {
  const cmdline = `/proc/${pid}/cmdline`;
  if (!fs.existsSync('/proc/self')) return;
  if (!fs.existsSync(cmdline)) throw new UserError(`no process with pid ${pid}`, { hint: 'check the pid (ps aux | grep node)', code: 'NO_PROCESS' });
  let exe = '';
  try {
    exe = fs.readlinkSync(`/proc/${pid}/exe`);
  } catch {
    // another user's process: its exe link is not readable
  }
  const argv0 = fs.readFileSync(cmdline, 'utf8').split('\0')[0] ?? '';
  if (!/node|nodejs/i.test(exe) && !/(^|\/)node(js)?(\s|$)/i.test(argv0)) {
    throw new UserError(`process ${pid} is not a Node process (${argv0 || exe || 'unknown'})`, {
      hint: 'profile --pid attaches to Node programs only; SIGUSR1 would end most other programs',
      code: 'NOT_NODE',
    });
  }
}

/** Whether anything answers HTTP on 127.0.0.1:port now (refused: nothing listens). */
async function answers(port: number): Promise<boolean> {
  try {
    await fetch(`http://127.0.0.1:${port}/json/version`, { signal: AbortSignal.timeout(1000) });
    return true;
  } catch (error) {
    return (error as { cause?: { code?: unknown } }).cause?.code !== 'ECONNREFUSED';
  }
}

/**
 * The TCP ports process `pid` listens on (Linux: its socket inodes in /proc/<pid>/fd, matched in
 * /proc/<pid>/net/tcp{,6}); null where that cannot be read.
 */
export function listeningPorts(pid: number): Set<number> | null {
  try {
    const inodes = new Set<string>();
    for (const fd of fs.readdirSync(`/proc/${pid}/fd`)) {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/${pid}/fd/${fd}`));
        if (m) inodes.add(m[1] as string);
      } catch {
        // closed meanwhile
      }
    }
    const ports = new Set<number>();
    for (const table of ['tcp', 'tcp6']) {
      let text = '';
      try {
        text = fs.readFileSync(`/proc/${pid}/net/${table}`, 'utf8');
      } catch {
        continue;
      }
      for (const line of text.split('\n').slice(1)) {
        const f = line.trim().split(/\s+/);
        // local_address rem_address st ... inode (10th field); st 0A = LISTEN
        if (f.length > 9 && f[3] === '0A' && inodes.has(f[9] as string)) ports.add(parseInt((f[1] as string).split(':')[1] as string, 16));
      }
    }
    return ports;
  } catch {
    return null;
  }
}

async function findTarget(port: number, timeoutMs: number, signal?: AbortSignal): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  // Refused: nothing listens (yet). Anything else (a timeout, an answer that is not the inspector's list): something holds the port.
  let held = false;
  while (Date.now() < deadline) {
    if (signal?.aborted) throw signal.reason as Error;
    try {
      const res = await fetch(`http://127.0.0.1:${port}/json/list`, { signal: AbortSignal.timeout(1000) });
      const list = (await res.json()) as { webSocketDebuggerUrl?: string }[];
      const url = list.find((t) => typeof t.webSocketDebuggerUrl === 'string')?.webSocketDebuggerUrl;
      if (url) {
        const u = new URL(url);
        if (u.hostname !== '127.0.0.1' && u.hostname !== 'localhost') throw new Error(`the inspector is not on loopback (${u.hostname})`);
        return url;
      }
    } catch (error) {
      const cause = (error as { cause?: { code?: unknown; message?: unknown } }).cause;
      last = typeof cause?.message === 'string' ? cause.message : errorMessage(error);
      held = cause?.code !== 'ECONNREFUSED';
    }
    await sleepUnless(100, signal);
  }
  if (held) {
    throw new UserError(`127.0.0.1:${port} is held by something that is not a Node inspector${last ? ` (${last})` : ''}, so the process could not open its inspector there`, {
      hint: 'start the process with --inspect-port=<a free port> (or --inspect=127.0.0.1:<port>) and pass that --port',
      code: 'INSPECTOR_PORT_TAKEN',
    });
  }
  throw new UserError(`nothing listens on 127.0.0.1:${port}: the process did not open its inspector there`, {
    hint: `a process opens its inspector on SIGUSR1 at its --inspect-port (default 9229): pass that --port, or start the program with --inspect-port=${port}; one started with --disable-sigusr1, or with a SIGUSR1 listener of its own, cannot be attached`,
    code: 'INSPECTOR_UNREACHABLE',
  });
}

class Session {
  private next = 1;
  private ended: string | null = null;
  private pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  /** Events the inspector sends (no id), by method. */
  onEvent: (method: string, params: unknown) => void = () => undefined;

  constructor(private readonly ws: WsClient) {
    ws.onMessage = (text) => {
      let msg: { id?: number; method?: string; params?: unknown; result?: unknown; error?: { message?: string } };
      try {
        msg = JSON.parse(text) as typeof msg;
      } catch {
        return;
      }
      if (msg.id === undefined) {
        if (typeof msg.method === 'string') this.onEvent(msg.method, msg.params);
        return;
      }
      const p = this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      if (msg.error) p.reject(new Error(msg.error.message ?? 'inspector error'));
      else p.resolve(msg.result);
    };
    ws.onClose = (reason) => {
      this.ended = reason;
      for (const p of this.pending.values()) p.reject(new Error(`the inspector connection ended: ${reason}`));
      this.pending.clear();
    };
  }

  post(method: string, params: Record<string, unknown> = {}): Promise<unknown> {
    const id = this.next++;
    const ended = this.ended;
    if (ended !== null) return Promise.reject(new Error(`the inspector connection ended: ${ended}`));
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.ws.send(JSON.stringify({ id, method, params }));
    });
  }
}

/** process.cpuUsage() of the attached process, in microseconds; null when it cannot be read. */
async function cpuUsage(session: Session): Promise<{ user: number; system: number } | null> {
  try {
    const r = (await session.post('Runtime.evaluate', { expression: 'JSON.stringify(process.cpuUsage())', returnByValue: true })) as { result?: { value?: unknown } };
    const u = JSON.parse(String(r.result?.value)) as { user?: unknown; system?: unknown };
    return typeof u.user === 'number' && typeof u.system === 'number' ? { user: u.user, system: u.system } : null;
  } catch {
    return null;
  }
}

/**
 * The inspector that answered must be the target's: when another Node process already listens on
 * the port (started with --inspect), the target cannot open its own there, and whatever answers
 * is the other one. Its pid and command name it in the error.
 */
async function checkSameProcess(session: Session, pid: number, port: number): Promise<void> {
  let other: { pid?: unknown; argv?: unknown } = {};
  try {
    const r = (await session.post('Runtime.evaluate', { expression: 'JSON.stringify({ pid: process.pid, argv: process.argv.slice(1).join(" ") })', returnByValue: true })) as { result?: { value?: unknown } };
    other = JSON.parse(String(r.result?.value)) as typeof other;
  } catch {
    // answered below
  }
  if (other.pid === pid) return;
  const who = typeof other.pid === 'number' ? `pid ${other.pid}${typeof other.argv === 'string' && other.argv ? ` (node ${other.argv.slice(0, 80)})` : ''}` : 'a process whose pid could not be read';
  throw new UserError(`the inspector on 127.0.0.1:${port} belongs to ${who}, not to process ${pid}; nothing was sampled`, {
    hint: `process ${pid} opens its inspector on its own --inspect-port (default 9229): pass that --port, or stop the other process's inspector if it holds that port`,
    code: 'INSPECTOR_PORT_TAKEN',
  });
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/** Polls until nothing listens on 127.0.0.1:port (true), or `ms` passed (false). */
async function waitClosed(port: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (!(await answers(port))) return true;
    if (Date.now() > deadline) return false;
    await sleep(50);
  }
}

/**
 * Closes the inspector we opened in the process (process._debugEnd(), run in it through the
 * session) and waits until its port no longer answers. False when it still answers after 3 s.
 */
async function closeInspector(session: Session, ws: WsClient, port: number): Promise<boolean> {
  // _debugEnd ends our session too: its answer may never come.
  await Promise.race([session.post('Runtime.evaluate', { expression: 'process._debugEnd && process._debugEnd()' }).catch(() => undefined), sleep(1000)]);
  ws.close();
  return waitClosed(port, 3000);
}

/** Connects to the inspector on `port` if it is process `pid`'s, and closes it; false when it could not. */
async function closeOpened(pid: number, port: number): Promise<boolean> {
  let ws: WsClient | null = null;
  try {
    ws = await WsClient.connect(await findTarget(port, 2000), MAX_PROFILE_BYTES, 2000);
    const session = new Session(ws);
    await checkSameProcess(session, pid, port);
    return await closeInspector(session, ws, port);
  } catch (error) {
    if (isUserError(error) && error.code === 'INSPECTOR_PORT_TAKEN') return true; // not its inspector: none of ours to close
    return !(await answers(port));
  } finally {
    ws?.close();
  }
}

/**
 * The inline source maps of the transpiled (.ts) files in the profile, read by enabling the
 * Debugger for a moment (it lists the loaded scripts, each with its sourceMapURL), as a debugger
 * does when it attaches. Only when the profile has such files; empty when none or on any error.
 * `strip`: the process strips types itself (Node 22.6+), so a .ts file without a map keeps its lines.
 */
async function transpiledMaps(session: Session, profile: CpuProfile): Promise<{ maps: Record<string, SourceMapPayload>; strip: boolean }> {
  const urls = new Set(profile.nodes.map((n) => n.callFrame.url).filter((u) => u !== '' && TRANSPILED.test(u.replace(/[?#].*$/, ''))));
  const maps: Record<string, SourceMapPayload> = {};
  if (urls.size === 0) return { maps, strip: false };
  // Node's own type stripping (process.features.typescript) keeps every position: lines right without a map.
  let strip = false;
  try {
    const r = (await session.post('Runtime.evaluate', { expression: 'Boolean(process.features && process.features.typescript)', returnByValue: true })) as { result?: { value?: unknown } };
    strip = r.result?.value === true;
  } catch {
    strip = false;
  }
  session.onEvent = (method, params) => {
    const p = params as { url?: unknown; sourceMapURL?: unknown } | undefined;
    if (method !== 'Debugger.scriptParsed' || typeof p?.url !== 'string' || !urls.has(p.url) || typeof p.sourceMapURL !== 'string') return;
    const payload = decodeDataUrl(p.sourceMapURL);
    if (payload) maps[p.url] = payload;
  };
  try {
    await session.post('Debugger.enable'); // the scriptParsed events come before its answer
  } catch {
    // no maps: the lines of .ts frames are dropped
  } finally {
    session.onEvent = () => undefined;
    await session.post('Debugger.disable').catch(() => undefined);
  }
  return { maps, strip };
}

export interface AttachResult {
  profile: CpuProfile;
  startedAt: Date;
  cpu: CpuTime | null;
}

/**
 * Samples process `pid` for `durationMs`. The inspector that SIGUSR1 opens is closed again on
 * every path: success, an error, a refusal, and SIGINT/SIGTERM/SIGHUP while attached (caught
 * here; the run then ends with an "interrupted" error and 130/143/129). An inspector that was
 * open before (a process started with --inspect) is left open, as it was found.
 */
export async function attachProfile(opts: AttachOptions): Promise<AttachResult> {
  checkIsNode(opts.pid);
  const pid = opts.pid;
  const openBefore = await answers(opts.port);
  const portsBefore = listeningPorts(pid);
  const stop = catchInterrupts(opts.onInterrupt);
  let ws: WsClient | null = null;
  let session: Session | null = null;
  // Whether the inspector on opts.port is one we opened in the target (to close), and whether it is closed again.
  let opened = false;
  let exiting = false;
  let elsewhere: number | null = null;
  let closeFailed = false;
  let outcome: AttachResult | null = null;
  let failure: unknown = null;
  let signalled = false;
  try {
    try {
      (process as unknown as { _debugProcess(pid: number): void })._debugProcess(pid);
      signalled = true;
    } catch (error) {
      throw new UserError(`cannot signal process ${pid}: ${errorMessage(error)}`, { hint: 'check the pid, and that you may signal it (same user)', code: 'NO_PROCESS' });
    }
    let url: string;
    try {
      url = await findTarget(opts.port, opts.readyTimeoutMs ?? 5000, stop.signal);
    } catch (error) {
      // Nothing on --port: the process may have opened its inspector on its own --inspect-port. Close that one too.
      if (!stop.signal.aborted && isUserError(error) && error.code === 'INSPECTOR_UNREACHABLE') {
        const now = listeningPorts(pid);
        const fresh = now && portsBefore ? [...now].filter((p) => !portsBefore.has(p)) : [];
        if (fresh.length === 1) {
          elsewhere = fresh[0] as number;
          closeFailed = !(await closeOpened(pid, elsewhere));
          throw new UserError(`nothing listens on 127.0.0.1:${opts.port}: process ${pid} opened its inspector on port ${elsewhere} instead (${closeFailed ? 'it could NOT be closed again' : 'closed again'}); nothing was sampled`, {
            hint: `pass --port ${elsewhere}`,
            code: 'INSPECTOR_UNREACHABLE',
          });
        }
      }
      throw error;
    }
    ws = await WsClient.connect(url, MAX_PROFILE_BYTES);
    session = new Session(ws);
    await checkSameProcess(session, pid, opts.port);
    opened = !openBefore;
    if (stop.signal.aborted) throw stop.signal.reason as Error;
    opts.onStart?.();
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: Math.trunc(opts.intervalUs) });
    const before = await cpuUsage(session);
    const startedAt = new Date();
    await session.post('Profiler.start');
    await sleepUnless(opts.durationMs, stop.signal);
    const after = await cpuUsage(session); // before the profile is serialised in the process
    const exited = (): UserError =>
      new UserError(`process ${pid} exited while it was being sampled; no profile written or stored`, {
        hint: 'attach with a shorter --duration, or profile the program from its start: statsig-hack profile -- node app.js',
        code: 'PROCESS_EXITED',
      });
    let result: { profile?: unknown };
    try {
      result = (await session.post('Profiler.stop')) as { profile?: unknown };
    } catch (error) {
      if (alive(pid)) throw error;
      exiting = true;
      throw exited();
    }
    // A process that calls exit with the inspector attached waits in exit for it to go: its JS no
    // longer runs (the CPU time it answered before can no longer be read), so the run ended early.
    if (before !== null && after === null) {
      exiting = true;
      throw exited();
    }
    await session.post('Profiler.disable').catch(() => undefined);
    const parsed = cpuProfileSchema.safeParse(result.profile);
    if (!parsed.success) throw new Error('the inspector returned no valid profile');
    const maps = await transpiledMaps(session, parsed.data);
    const profile = mapTranspiledLines(parsed.data, maps.maps, { keepUnmapped: maps.strip });
    const cpu = before && after ? { userMs: Math.max(0, after.user - before.user) / 1000, systemMs: Math.max(0, after.system - before.system) / 1000 } : null;
    outcome = { profile, startedAt, cpu };
  } catch (error) {
    failure = error;
  }
  // Leave the process as we found it: close the inspector we opened, on every path.
  try {
    if (exiting) {
      ws?.close(); // a process waiting in exit for the inspector: letting go of it is enough
    } else if (opened && session && ws) {
      closeFailed = !(await closeInspector(session, ws, opts.port));
    } else if (signalled && elsewhere === null && alive(pid) && (stop.signal.aborted || !isUserError(failure) || (failure.code !== 'INSPECTOR_PORT_TAKEN' && failure.code !== 'INSPECTOR_UNREACHABLE'))) {
      // Interrupted (or failed) before the session was checked: the inspector may be open all the
      // same, on --port or on the process's own --inspect-port.
      if (!openBefore) closeFailed = !(await closeOpened(pid, opts.port));
      const now = listeningPorts(pid);
      for (const p of now && portsBefore ? [...now].filter((q) => !portsBefore.has(q) && q !== opts.port) : []) {
        if (!(await closeOpened(pid, p))) {
          closeFailed = true;
          elsewhere = p;
        }
      }
    }
  } finally {
    ws?.close();
    stop.dispose();
  }
  const sig = stop.caught();
  const leftOpen = closeFailed && !(failure instanceof UserError && failure.message.includes('could NOT be closed')) ? `; the inspector of process ${pid} on 127.0.0.1:${elsewhere ?? opts.port} could NOT be closed (stop it, or restart the process)` : '';
  if (sig !== null) {
    const inspector = closeFailed ? leftOpen : openBefore ? ` (its inspector on 127.0.0.1:${opts.port} was open before, and is left open)` : '; its inspector is closed again';
    throw interruptedError(sig, `stopped attaching to process ${pid}${inspector}`, 'nothing was written or stored; attach again with a shorter --duration');
  }
  if (failure !== null) {
    if (closeFailed && isUserError(failure)) throw new UserError(`${failure.message}${leftOpen}`, { hint: failure.hint, code: failure.code, exitCode: failure.exitCode });
    throw failure as Error;
  }
  if (closeFailed) opts.onWarn?.(`the inspector of process ${pid} on 127.0.0.1:${opts.port} could NOT be closed again: stop it, or restart the process`);
  return outcome as AttachResult;
}
