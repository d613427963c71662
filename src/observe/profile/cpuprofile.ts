/**
 * V8 CPU profiles (the `.cpuprofile` format of Chrome DevTools, `node --cpu-prof` and the
 * inspector's Profiler domain): validation, self and total time per call-tree node and per
 * function, and the comparison of two profiles. Pure.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';

const callFrameSchema = z.object({
  functionName: z.string(),
  scriptId: z.union([z.string(), z.number()]).optional(),
  url: z.string(),
  lineNumber: z.number(),
  columnNumber: z.number(),
});

export const cpuProfileSchema = z.object({
  nodes: z
    .array(
      z.object({
        id: z.number().int(),
        callFrame: callFrameSchema,
        hitCount: z.number().optional(),
        children: z.array(z.number().int()).optional(),
      }),
    )
    .min(1),
  startTime: z.number(),
  endTime: z.number(),
  samples: z.array(z.number().int()).optional(),
  timeDeltas: z.array(z.number()).optional(),
});

export type CpuProfile = z.infer<typeof cpuProfileSchema>;
export type CallFrame = z.infer<typeof callFrameSchema>;

/**
 * Nodes that are not code: the root and the idle time. (program) and (garbage collector) stay.
 * V8 takes a sample on a timer and charges the wall-clock gap to the next sample to the stack it
 * saw, so a sample's time is wall time: it includes any time the thread waited for a CPU on a busy
 * machine. Real CPU time (user + system) comes from the process itself (run.ts, attach.ts).
 */
const NOT_CPU = new Set(['(root)', '(idle)']);

export interface TreeNode {
  id: number;
  parent: number | null;
  depth: number;
  /** Stable across profiles: a hash of the functions on the path from the root. */
  stackId: string;
  fn: string;
  /** Function key: name, file and position. */
  key: string;
  file: string;
  line: number;
  selfMs: number;
  totalMs: number;
  children: number[];
}

export interface FunctionTime {
  key: string;
  fn: string;
  file: string;
  /** 1-based line (the profile's is 0-based). */
  line: number;
  selfMs: number;
  /** Time with the function on the stack, counted once under recursion. */
  totalMs: number;
}

export interface ProfileSummary {
  /** Wall time the profile covers. */
  durationMs: number;
  /** Sampled time in code (everything but idle): wall-clock gaps between samples, not CPU time. */
  sampledMs: number;
  samples: number;
  nodes: TreeNode[];
  rootId: number;
  functions: FunctionTime[];
}

/** Parses and validates a profile from JSON text. Throws a zod error when it is not one. */
export function parseCpuProfile(text: string): CpuProfile {
  return cpuProfileSchema.parse(JSON.parse(text));
}

/**
 * The profile without the frames `own` picks (the profiler's own preload script) and everything
 * they called: their samples count as idle, so neither the tables nor the CPU total show the
 * profiler's start-up as the program's time.
 */
export function withoutFrames(p: CpuProfile, own: (cf: CallFrame) => boolean): CpuProfile {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const dropped = new Set<number>();
  const drop = (id: number): void => {
    if (dropped.has(id)) return;
    dropped.add(id);
    for (const c of byId.get(id)?.children ?? []) drop(c);
  };
  const roots = p.nodes.filter((n) => own(n.callFrame)).map((n) => n.id);
  for (const id of roots) drop(id);
  if (dropped.size === 0) return p;
  // The frames that only led to them (Node's loader of --require modules) go too once nothing else ran under them.
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) if (!parent.has(c)) parent.set(c, n.id);
  const sampled = new Set((p.samples ?? []).filter((id) => !dropped.has(id)));
  const busy = (id: number): boolean => sampled.has(id) || (byId.get(id)?.children ?? []).some((c) => !dropped.has(c) && busy(c));
  for (const id of roots) {
    for (let up = parent.get(id); up !== undefined && parent.has(up) && !dropped.has(up) && !busy(up); up = parent.get(up)) dropped.add(up);
  }
  const kept = p.nodes.filter((n) => !dropped.has(n.id)).map((n) => ({ ...n, children: (n.children ?? []).filter((c) => !dropped.has(c)) }));
  let idle = kept.find((n) => n.callFrame.functionName === '(idle)');
  if (!idle) {
    const root = kept.find((n) => n.callFrame.functionName === '(root)') ?? kept[0];
    idle = { id: Math.max(...p.nodes.map((n) => n.id)) + 1, callFrame: { functionName: '(idle)', url: '', lineNumber: -1, columnNumber: -1 }, hitCount: 0, children: [] };
    if (root) root.children = [...(root.children ?? []), idle.id];
    kept.push(idle);
  }
  const idleId = idle.id;
  return { ...p, nodes: kept, ...(p.samples ? { samples: p.samples.map((id) => (dropped.has(id) ? idleId : id)) } : {}) };
}

/** `file:///a/b.js` relative to `cwd` when inside it; node internals and others as given. */
export function displayFile(url: string, cwd?: string): string {
  let file = url;
  if (file.startsWith('file://')) {
    try {
      file = decodeURIComponent(new URL(file).pathname);
    } catch {
      // keep the URL
    }
  }
  if (cwd && file.startsWith(`${cwd}/`)) file = file.slice(cwd.length + 1);
  return file.slice(0, MAX_NAME);
}

/** Function names and files longer than this are cut (a profile is the program's to write). */
const MAX_NAME = 300;

function nameOf(cf: CallFrame): string {
  return (cf.functionName || (cf.url ? '(anonymous)' : '(unknown)')).slice(0, MAX_NAME);
}

function keyOf(cf: CallFrame, cwd?: string): string {
  const file = displayFile(cf.url, cwd);
  return file ? `${nameOf(cf)} ${file}:${cf.lineNumber + 1}:${cf.columnNumber + 1}` : nameOf(cf);
}

/** Time per sample in ms: the gap to the next sample (the last one gets the gap to endTime). */
function sampleTimes(p: CpuProfile): { ids: number[]; ms: number[] } {
  const ids = p.samples ?? [];
  const deltas = p.timeDeltas ?? [];
  const ms: number[] = new Array<number>(ids.length).fill(0);
  let t = p.startTime;
  const stamps = ids.map((_, i) => (t += deltas[i] ?? 0));
  for (let i = 0; i < ids.length; i++) {
    const next = i + 1 < ids.length ? (stamps[i + 1] as number) : p.endTime;
    ms[i] = Math.max(0, next - (stamps[i] as number)) / 1000;
  }
  return { ids, ms };
}

export function summarizeProfile(p: CpuProfile, cwd?: string): ProfileSummary {
  const byId = new Map<number, TreeNode>();
  const frames = new Map<number, CallFrame>();
  for (const n of p.nodes) {
    frames.set(n.id, n.callFrame);
    byId.set(n.id, {
      id: n.id,
      parent: null,
      depth: 0,
      stackId: '',
      fn: nameOf(n.callFrame),
      key: keyOf(n.callFrame, cwd),
      file: displayFile(n.callFrame.url, cwd),
      line: n.callFrame.lineNumber + 1,
      selfMs: 0,
      totalMs: 0,
      children: [...(n.children ?? [])].filter((c) => c !== n.id),
    });
  }
  for (const n of byId.values()) {
    for (const c of n.children) {
      const child = byId.get(c);
      if (child && child.parent === null) child.parent = n.id;
    }
  }
  const { ids, ms } = sampleTimes(p);
  let samples = 0;
  ids.forEach((id, i) => {
    const node = byId.get(id);
    if (node) {
      node.selfMs += ms[i] as number;
      samples += 1;
    }
  });
  const rootId = [...byId.values()].find((n) => n.parent === null)?.id ?? (p.nodes[0] as { id: number }).id;

  // Depth-first: depth, stack ids, totals, and per-function totals counted once per stack.
  const fnSelf = new Map<string, FunctionTime>();
  const onStack = new Map<string, number>();
  const seen = new Set<number>();
  const walk = (id: number, depth: number, parentStack: string): number => {
    const node = byId.get(id);
    if (!node || seen.has(id)) return 0;
    seen.add(id);
    node.depth = depth;
    node.stackId = createHash('sha1').update(`${parentStack}>${node.key}`).digest('hex').slice(0, 12);
    const outer = (onStack.get(node.key) ?? 0) === 0;
    onStack.set(node.key, (onStack.get(node.key) ?? 0) + 1);
    let total = node.selfMs;
    for (const c of node.children) total += walk(c, depth + 1, node.stackId);
    node.totalMs = total;
    onStack.set(node.key, (onStack.get(node.key) ?? 1) - 1);
    if (!NOT_CPU.has(node.fn)) {
      const cf = frames.get(id) as CallFrame;
      const f = fnSelf.get(node.key) ?? { key: node.key, fn: node.fn, file: node.file, line: cf.lineNumber + 1, selfMs: 0, totalMs: 0 };
      f.selfMs += node.selfMs;
      if (outer) f.totalMs += total;
      fnSelf.set(node.key, f);
    }
    return total;
  };
  walk(rootId, 0, '');
  const nodes = [...byId.values()].filter((n) => seen.has(n.id));
  const idle = nodes.filter((n) => n.fn === '(idle)').reduce((s, n) => s + n.selfMs, 0);
  const root = byId.get(rootId) as TreeNode;
  return {
    durationMs: Math.max(0, p.endTime - p.startTime) / 1000,
    sampledMs: root.totalMs - idle,
    samples,
    nodes,
    rootId,
    functions: [...fnSelf.values()].sort((a, b) => b.selfMs - a.selfMs || b.totalMs - a.totalMs || a.key.localeCompare(b.key)),
  };
}

/**
 * A frame that only passes the call on: Node's own (`node:…`: the entry point, the module loader,
 * the timers' and ticks' dispatch), V8's built-ins (no file: `consoleCall`, `runInContext`) or a
 * module's top level (`(anonymous)` at line 1), with almost
 * no time of its own. They top every total-time list with ~100% and say nothing.
 */
export function isPassThrough(f: FunctionTime): boolean {
  const wrapper = f.file.startsWith('node:') || (f.file === '' && !f.fn.startsWith('(')) || (f.fn === '(anonymous)' && f.line === 1);
  return wrapper && f.selfMs <= 0.02 * f.totalMs;
}

/**
 * The top `n` functions by self time (those with some: a frame with none says nothing there) and by
 * total time (pass-through frames left out; `passThrough`: how many would have ranked among them).
 */
export function topFunctions(s: ProfileSummary, n: number): { bySelf: FunctionTime[]; byTotal: FunctionTime[]; passThrough: number } {
  const ranked = [...s.functions].sort((a, b) => b.totalMs - a.totalMs || b.selfMs - a.selfMs || a.key.localeCompare(b.key));
  const kept = ranked.filter((f) => !isPassThrough(f)).slice(0, n);
  // Those that would have ranked among the kept ones.
  const floor = kept.length === n ? (kept[n - 1] as FunctionTime).totalMs : 0;
  return { bySelf: s.functions.filter((f) => f.selfMs > 0).slice(0, n), byTotal: kept, passThrough: ranked.filter((f) => isPassThrough(f) && f.totalMs >= floor).length };
}

export interface FunctionDelta {
  key: string;
  fn: string;
  file: string;
  line: number;
  aSelfMs: number;
  bSelfMs: number;
  deltaSelfMs: number;
  aTotalMs: number;
  bTotalMs: number;
  deltaTotalMs: number;
  /** Share of the profile's sampled time in code in a and in b, 0..1. */
  aShare: number;
  bShare: number;
  /**
   * How a and b were paired: `file` (same name and file), `path` (same name and path from each
   * profile's common folder: two checkouts), `basename` (same name and file name, unique in both),
   * or null (in one profile only).
   */
  matchedBy: 'file' | 'path' | 'basename' | null;
  /** The change in self time is within sampling noise (see `noiseMs`). */
  noise: boolean;
}

/** Functions matched by name and file, not position: an edit that moves a function keeps it comparable. */
function byNameAndFile(fns: FunctionTime[]): Map<string, FunctionTime> {
  const m = new Map<string, FunctionTime>();
  for (const f of fns) {
    const k = f.file ? `${f.fn} ${f.file}` : f.fn;
    const prev = m.get(k);
    m.set(k, prev ? { ...prev, selfMs: prev.selfMs + f.selfMs, totalMs: prev.totalMs + f.totalMs } : { ...f, key: k });
  }
  return m;
}

/** A file of the program (a path), not `node:…`, a URL or a V8 special. */
const isPath = (file: string): boolean => file !== '' && !file.startsWith('node:') && !/^[a-z]+:\/\//i.test(file);

/** The folder all of a profile's program files are under ('' when none or relative at the top). */
export function commonFolder(files: string[]): string {
  const dirs = files.filter(isPath).map((f) => f.split('/').slice(0, -1));
  if (dirs.length === 0) return '';
  let common = dirs[0] as string[];
  for (const d of dirs) {
    let i = 0;
    while (i < common.length && i < d.length && common[i] === d[i]) i++;
    common = common.slice(0, i);
  }
  return common.join('/');
}

/** The sampling interval of a profile in ms (its mean gap); 1 ms when it has no samples. */
export function intervalMs(s: ProfileSummary): number {
  return s.samples > 0 && s.durationMs > 0 ? s.durationMs / s.samples : 1;
}

/**
 * The change in a function's self time that sampling alone makes likely: a function with k samples
 * varies by about √k samples from run to run (Poisson), so its self time by √k·interval. A change is
 * noise when it is within two samples (of the coarser interval) or within two standard deviations of
 * the difference, 2·√(k_a·i_a² + k_b·i_b²) = 2·√(self_a·i_a + self_b·i_b), about 95%; each profile's
 * own interval (`intervalB` defaults to `interval`, and then it is 2·√(k_a + k_b)·interval).
 */
export function noiseMs(aSelfMs: number, bSelfMs: number, interval: number, intervalB = interval): number {
  return Math.max(2 * Math.max(interval, intervalB), 2 * Math.sqrt(aSelfMs * interval + bSelfMs * intervalB));
}

/**
 * Which functions got slower from profile a to b: self and total time of each function in
 * both, sorted by the growth of self time (largest first). A function is the same in a and b by
 * name and file; failing that (two checkouts, two release folders), by name and path from each
 * profile's common folder, then by name and file name when that pair is unique in both.
 * Functions in only one profile count 0 in the other.
 */
export function compareProfiles(a: ProfileSummary, b: ProfileSummary): FunctionDelta[] {
  const fa = byNameAndFile(a.functions);
  const fb = byNameAndFile(b.functions);
  const pairs: { x?: FunctionTime; y?: FunctionTime; by: FunctionDelta['matchedBy'] }[] = [];
  for (const [k, x] of fa) if (fb.has(k)) pairs.push({ x, y: fb.get(k), by: 'file' });
  let restA = [...fa.values()].filter((x) => !fb.has(x.key));
  let restB = [...fb.values()].filter((y) => !fa.has(y.key));
  const rootA = commonFolder(a.functions.map((f) => f.file));
  const rootB = commonFolder(b.functions.map((f) => f.file));
  const rel = (root: string) => (f: FunctionTime): string | null => (isPath(f.file) ? `${f.fn} ${root && f.file.startsWith(`${root}/`) ? f.file.slice(root.length + 1) : f.file}` : null);
  const base = (f: FunctionTime): string | null => (isPath(f.file) ? `${f.fn} ${f.file.split('/').pop() ?? ''}` : null);
  const pairBy = (by: 'path' | 'basename', altA: (f: FunctionTime) => string | null, altB: (f: FunctionTime) => string | null): void => {
    const unique = (fs: FunctionTime[], alt: (f: FunctionTime) => string | null): Map<string, FunctionTime> => {
      const m = new Map<string, FunctionTime | null>();
      for (const f of fs) {
        const k = alt(f);
        if (k !== null) m.set(k, m.has(k) ? null : f);
      }
      return new Map([...m].filter((e): e is [string, FunctionTime] => e[1] !== null));
    };
    const ua = unique(restA, altA);
    const ub = unique(restB, altB);
    const done = new Set<FunctionTime>();
    for (const [k, x] of ua) {
      const y = ub.get(k);
      if (!y) continue;
      pairs.push({ x, y, by });
      done.add(x).add(y);
    }
    restA = restA.filter((f) => !done.has(f));
    restB = restB.filter((f) => !done.has(f));
  };
  pairBy('path', rel(rootA), rel(rootB));
  pairBy('basename', base, base);
  for (const x of restA) pairs.push({ x, by: null });
  for (const y of restB) pairs.push({ y, by: null });
  const ia = intervalMs(a);
  const ib = intervalMs(b);
  const out: FunctionDelta[] = pairs.map(({ x, y, by }) => {
    const f = (y ?? x) as FunctionTime;
    const aSelf = x?.selfMs ?? 0;
    const bSelf = y?.selfMs ?? 0;
    return {
      key: f.key,
      fn: f.fn,
      file: f.file,
      line: f.line,
      aSelfMs: aSelf,
      bSelfMs: bSelf,
      deltaSelfMs: bSelf - aSelf,
      aTotalMs: x?.totalMs ?? 0,
      bTotalMs: y?.totalMs ?? 0,
      deltaTotalMs: (y?.totalMs ?? 0) - (x?.totalMs ?? 0),
      aShare: a.sampledMs > 0 ? aSelf / a.sampledMs : 0,
      bShare: b.sampledMs > 0 ? bSelf / b.sampledMs : 0,
      matchedBy: by,
      noise: Math.abs(bSelf - aSelf) <= noiseMs(aSelf, bSelf, ia, ib),
    };
  });
  return out.sort((p, q) => q.deltaSelfMs - p.deltaSelfMs || q.deltaTotalMs - p.deltaTotalMs || p.key.localeCompare(q.key));
}

/** Absolute sample times (µs) of a profile. */
function stamps(p: CpuProfile): number[] {
  let t = p.startTime;
  return (p.samples ?? []).map((_, i) => (t += p.timeDeltas?.[i] ?? 0));
}

/**
 * One profile of a process and its worker threads: each worker's call tree hangs under a
 * `(worker thread N)` node of the main root, and its samples follow the main thread's on a
 * shifted clock, so every sample keeps its own gap (its time) and the threads' sampled times
 * add up. The result's endTime - startTime is the threads' durations summed, not wall time.
 */
export function mergeThreadProfiles(main: CpuProfile, threads: { threadId: number; profile: CpuProfile }[]): CpuProfile {
  if (threads.length === 0) return main;
  const rootOf = (p: CpuProfile): number => {
    const child = new Set(p.nodes.flatMap((n) => n.children ?? []));
    return p.nodes.find((n) => !child.has(n.id))?.id ?? p.nodes[0]?.id ?? 0;
  };
  const mainRoot = rootOf(main);
  const nodes = main.nodes.map((n) => ({ ...n, children: [...(n.children ?? [])] }));
  const samples = [...(main.samples ?? [])];
  const abs = stamps(main);
  let offset = Math.max(...main.nodes.map((n) => n.id)) + 1;
  let end = main.endTime;
  for (const { threadId, profile } of threads) {
    const root = rootOf(profile);
    const top = nodes.find((n) => n.id === mainRoot) as (typeof nodes)[number];
    top.children.push(root + offset);
    // The worker's idle hangs under the main root, so that "(worker thread N)" holds its code only.
    const idle = new Set(profile.nodes.filter((n) => n.callFrame.functionName === '(idle)').map((n) => n.id));
    top.children.push(...[...idle].map((id) => id + offset));
    for (const n of profile.nodes) {
      const callFrame = n.id === root ? { functionName: `(worker thread ${threadId})`, scriptId: '0', url: '', lineNumber: -1, columnNumber: -1 } : n.callFrame;
      const children = (n.children ?? []).filter((c) => !(n.id === root && idle.has(c))).map((c) => c + offset);
      nodes.push({ ...n, id: n.id + offset, callFrame, children });
    }
    const shift = end - profile.startTime;
    const own = stamps(profile);
    for (const [i, id] of (profile.samples ?? []).entries()) {
      samples.push(id + offset);
      abs.push((own[i] as number) + shift);
    }
    end = profile.endTime + shift;
    offset += Math.max(...profile.nodes.map((n) => n.id)) + 1;
  }
  const timeDeltas = abs.map((t, i) => t - (i === 0 ? main.startTime : (abs[i - 1] as number)));
  return { ...main, nodes, samples, timeDeltas, endTime: end };
}
