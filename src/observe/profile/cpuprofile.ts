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

/** The top `n` functions by self time and by total time. */
export function topFunctions(s: ProfileSummary, n: number): { bySelf: FunctionTime[]; byTotal: FunctionTime[] } {
  return {
    bySelf: s.functions.slice(0, n),
    byTotal: [...s.functions].sort((a, b) => b.totalMs - a.totalMs || b.selfMs - a.selfMs || a.key.localeCompare(b.key)).slice(0, n),
  };
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

/**
 * Which functions got slower from profile a to b: self and total time of each function in
 * both, sorted by the growth of self time (largest first). Functions in only one profile
 * count 0 in the other.
 */
export function compareProfiles(a: ProfileSummary, b: ProfileSummary): FunctionDelta[] {
  const fa = byNameAndFile(a.functions);
  const fb = byNameAndFile(b.functions);
  const keys = new Set([...fa.keys(), ...fb.keys()]);
  const out: FunctionDelta[] = [];
  for (const k of keys) {
    const x = fa.get(k);
    const y = fb.get(k);
    const f = (y ?? x) as FunctionTime;
    out.push({
      key: k,
      fn: f.fn,
      file: f.file,
      line: f.line,
      aSelfMs: x?.selfMs ?? 0,
      bSelfMs: y?.selfMs ?? 0,
      deltaSelfMs: (y?.selfMs ?? 0) - (x?.selfMs ?? 0),
      aTotalMs: x?.totalMs ?? 0,
      bTotalMs: y?.totalMs ?? 0,
      deltaTotalMs: (y?.totalMs ?? 0) - (x?.totalMs ?? 0),
      aShare: a.sampledMs > 0 ? (x?.selfMs ?? 0) / a.sampledMs : 0,
      bShare: b.sampledMs > 0 ? (y?.selfMs ?? 0) / b.sampledMs : 0,
    });
  }
  return out.sort((p, q) => q.deltaSelfMs - p.deltaSelfMs || q.deltaTotalMs - p.deltaTotalMs || p.key.localeCompare(q.key));
}
