/**
 * Profiles a running Node process for a while: SIGUSR1 (process._debugProcess) opens its
 * inspector on 127.0.0.1:<port>, the Profiler domain samples for `durationMs`, and the
 * inspector is closed again. Only loopback; only a process that looks like Node on Linux.
 */
import fs from 'node:fs';
import { UserError, errorMessage } from '../../core/errors.js';
import { cpuProfileSchema, type CpuProfile } from './cpuprofile.js';
import { MAX_PROFILE_BYTES, type CpuTime } from './run.js';
import { WsClient } from './ws.js';

export interface AttachOptions {
  pid: number;
  durationMs: number;
  intervalUs: number;
  port: number;
  /** How long to wait for the inspector to answer after SIGUSR1 (default 5 s). */
  readyTimeoutMs?: number;
  /** Called once the process is checked and sampling starts (to announce it then, not before). */
  onStart?: () => void;
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

async function findTarget(port: number, timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  // Refused: nothing listens (yet). Anything else (a timeout, an answer that is not the inspector's list): something holds the port.
  let held = false;
  while (Date.now() < deadline) {
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
      last = errorMessage(error);
      held = (error as { cause?: { code?: unknown } }).cause?.code !== 'ECONNREFUSED';
    }
    await sleep(100);
  }
  if (held) {
    throw new UserError(`127.0.0.1:${port} is held by something that is not a Node inspector${last ? ` (${last})` : ''}, so the process could not open its inspector there`, {
      hint: 'start the process with --inspect-port=<a free port> (or --inspect=127.0.0.1:<port>) and pass that --port',
      code: 'INSPECTOR_PORT_TAKEN',
    });
  }
  throw new UserError(`the inspector of the process did not answer on 127.0.0.1:${port}${last ? ` (${last})` : ''}`, {
    hint: 'pass --port when the process was started with --inspect-port=<port>; a process started with --disable-sigusr1 cannot be attached',
    code: 'INSPECTOR_UNREACHABLE',
  });
}

class Session {
  private next = 1;
  private ended: string | null = null;
  private pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();

  constructor(private readonly ws: WsClient) {
    ws.onMessage = (text) => {
      let msg: { id?: number; result?: unknown; error?: { message?: string } };
      try {
        msg = JSON.parse(text) as typeof msg;
      } catch {
        return;
      }
      if (msg.id === undefined) return;
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

export async function attachProfile(opts: AttachOptions): Promise<{ profile: CpuProfile; startedAt: Date; cpu: CpuTime | null }> {
  checkIsNode(opts.pid);
  try {
    (process as unknown as { _debugProcess(pid: number): void })._debugProcess(opts.pid);
  } catch (error) {
    throw new UserError(`cannot signal process ${opts.pid}: ${errorMessage(error)}`, { hint: 'check the pid, and that you may signal it (same user)', code: 'NO_PROCESS' });
  }
  const url = await findTarget(opts.port, opts.readyTimeoutMs ?? 5000);
  const ws = await WsClient.connect(url, MAX_PROFILE_BYTES);
  const session = new Session(ws);
  try {
    await checkSameProcess(session, opts.pid, opts.port);
    opts.onStart?.();
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: Math.trunc(opts.intervalUs) });
    const before = await cpuUsage(session);
    const startedAt = new Date();
    await session.post('Profiler.start');
    await sleep(opts.durationMs);
    const after = await cpuUsage(session); // before the profile is serialised in the process
    const exited = (): UserError =>
      new UserError(`process ${opts.pid} exited while it was being sampled; no profile written or stored`, {
        hint: 'attach with a shorter --duration, or profile the program from its start: statsig-hack profile -- node app.js',
        code: 'PROCESS_EXITED',
      });
    let result: { profile?: unknown };
    try {
      result = (await session.post('Profiler.stop')) as { profile?: unknown };
    } catch (error) {
      if (alive(opts.pid)) throw error;
      throw exited();
    }
    // A process that calls exit with the inspector attached waits in exit for it to go: its JS no
    // longer runs (the CPU time it answered before can no longer be read), so the run ended early.
    if (before !== null && after === null) {
      await session.post('Profiler.disable').catch(() => undefined);
      throw exited();
    }
    await session.post('Profiler.disable').catch(() => undefined);
    const parsed = cpuProfileSchema.safeParse(result.profile);
    if (!parsed.success) throw new Error('the inspector returned no valid profile');
    // Close the inspector we opened: leave the process as we found it.
    session.post('Runtime.evaluate', { expression: 'process._debugEnd && process._debugEnd()' }).catch(() => undefined);
    await sleep(50);
    const cpu = before && after ? { userMs: Math.max(0, after.user - before.user) / 1000, systemMs: Math.max(0, after.system - before.system) / 1000 } : null;
    return { profile: parsed.data, startedAt, cpu };
  } finally {
    ws.close();
  }
}
