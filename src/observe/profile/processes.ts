/**
 * Which of the profiled processes to show, what the header says about the others, where the
 * files go, and when the CPU time says that threads did work the samples cannot show. Pure.
 */
import path from 'node:path';

/** Extensions `--out` may end in that name the files we write: the stem is what comes before. */
const KNOWN_EXT = /\.(cpuprofile|html?|json)$/i;

/** `--out my.cpuprofile` and `--out my.html` both mean the stem `my` (as `node --cpu-prof-name` users type it). */
export function outStem(out: string): string {
  const base = path.basename(out);
  return KNOWN_EXT.test(base) && base.replace(KNOWN_EXT, '') !== '' ? out.replace(KNOWN_EXT, '') : out;
}

/** The file name stem used inside a folder given as `--out` (`--out runs/` writes runs/profile.cpuprofile and runs/profile.html). */
export const STEM_IN_FOLDER = 'profile';

/**
 * The absolute stem of the files `--out` names: `<stem>.cpuprofile`, `<stem>.html`. A folder (one
 * that exists, or any path ending in a slash) gets `<folder>/profile.*` inside it.
 */
export function outBase(cwd: string, out: string, isDir: (abs: string) => boolean): string {
  const abs = path.resolve(cwd, out);
  if (/[/\\]$/.test(out) || isDir(abs)) return path.join(abs, STEM_IN_FOLDER);
  return path.resolve(cwd, outStem(out));
}

export interface ProcessFigures {
  pid: number;
  /** User + system CPU ms; null when unknown. */
  cpuMs: number | null;
  /** Sampled time in code (idle left out). */
  sampledMs: number;
  /** Self time in the program's own files (see `ownCodeMs`). */
  ownMs: number;
}

/**
 * Self time in the program's own files: paths outside node_modules, not Node's (`node:`) or V8's.
 * A launcher (`npm`, `tsx`, `npx`) runs from node_modules, and a parent waiting in spawnSync
 * spends it in `node:`, so the program's process is the one with the most.
 */
export function ownCodeMs(fns: { file: string; selfMs: number }[]): number {
  return fns.filter((f) => f.file !== '' && !f.file.startsWith('node:') && !/(^|\/)node_modules\//.test(f.file) && !/^[a-z]+:\/\//i.test(f.file)).reduce((a, f) => a + f.selfMs, 0);
}

/**
 * The processes, the one to show first: the most time in the program's own files, then the most
 * CPU, then the most sampled time. A launcher (`npx tsx`, `npm start`, a parent that spawns node)
 * outlives its child, and a parent blocked in spawnSync is sampled the whole time: neither wall
 * time nor sampled time picks the program. CPU alone would pick `npm` (~200 ms of its own start-up)
 * over a short program.
 */
export function orderProcesses<T extends ProcessFigures>(ps: T[]): T[] {
  return [...ps].sort((a, b) => b.ownMs - a.ownMs || (b.cpuMs ?? -1) - (a.cpuMs ?? -1) || b.sampledMs - a.sampledMs || a.pid - b.pid);
}

/** The CPU of all processes together: null when any is unknown. */
export function totalCpuMs(ps: ProcessFigures[]): number | null {
  let sum = 0;
  for (const p of ps) {
    if (p.cpuMs === null) return null;
    sum += p.cpuMs;
  }
  return sum;
}

/** What a process costs before and around the program: Node's start-up and the profiler's own thread. */
export const PROFILER_OVERHEAD_MS = 100;

/**
 * A note when the process's CPU time is far above its sampled time in code (workers' included when
 * they wrote a profile): threads the profiler did not see did the rest; with `profiledWorkers`, the
 * note does not suggest a missed worker first. Null when the two agree.
 */
export function unsampledCpuNote(cpuMs: number | null, sampledMs: number, profiledWorkers = 0): string | null {
  if (cpuMs === null || cpuMs - sampledMs <= Math.max(PROFILER_OVERHEAD_MS, sampledMs)) return null;
  if (profiledWorkers > 0) {
    // Its workers were sampled: what is missing is mostly not a thread the profiler missed.
    return `CPU ${Math.round(cpuMs)} ms but only ${Math.round(sampledMs)} ms sampled, workers included: the rest is work no sample shows (each worker's start-up in an isolate of its own, V8's helper threads: GC, compiler; a worker ended by process.exit or terminate() writes no profile; an add-on's or libuv's pool)`;
  }
  return `CPU ${Math.round(cpuMs)} ms but only ${Math.round(sampledMs)} ms sampled: the rest ran on threads the profiler did not see (a worker thread ended by process.exit or terminate() writes no profile; an add-on's or libuv's pool: zlib, crypto, fs)`;
}

/** An argument as a shell would need it: quoted when it holds spaces or shell characters. */
export function shellQuote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** The command as one would type it (`node -e 'spin()'`). */
export const commandLine = (command: string[]): string => command.map(shellQuote).join(' ');
