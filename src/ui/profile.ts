/** Plain-text renderers of `profile`: top functions by self and total time, and a comparison. */
import type { FunctionDelta, FunctionTime, ProfileSummary } from '../observe/profile/cpuprofile.js';
import { formatMs, printable } from './jobs.js';
import { fitTable } from './table.js';
import { count } from './format.js';

/** file:line; a line of 0 is unknown (a transpiled file without a source map): the file alone. */
const where = (f: { file: string; line: number }): string => (f.file ? printable(f.line > 0 ? `${f.file}:${f.line}` : f.file) : '');
const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;
/** A self time of exactly 0 (a function that only calls others) reads `-`, not `0.00 ms`. */
const selfMs = (ms: number): string => (ms === 0 ? '-' : formatMs(ms));

/** `width`: the terminal's (undefined: no limit); long files, then function names, are cut to fit. */
export function renderTopFunctions(title: string, fns: FunctionTime[], sampledMs: number, width?: number): string {
  if (fns.length === 0) return `${title}: (no samples)`;
  return `${title}\n${fitTable(
    ['function', 'file:line', 'self', 'self %', 'total', 'total %'],
    fns.map((f) => ({
      function: printable(f.fn),
      'file:line': where(f),
      self: selfMs(f.selfMs),
      'self %': pct(sampledMs > 0 ? f.selfMs / sampledMs : 0),
      total: formatMs(f.totalMs),
      'total %': pct(sampledMs > 0 ? f.totalMs / sampledMs : 0),
    })),
    { maxCellWidth: 60, align: { self: 'right', 'self %': 'right', total: 'right', 'total %': 'right' }, width, shrink: ['function', 'file:line'] },
  ).text}`;
}

/**
 * `cpu`: the process's own CPU time (user + system), when known. The samples' time is wall time
 * (the gaps between timer ticks), so it is called sampled time, never CPU.
 */
export function renderProfileHeader(s: ProfileSummary, label: string, cpu?: { userMs: number; systemMs: number } | null): string {
  const cpuText = cpu ? `CPU ${formatMs(cpu.userMs + cpu.systemMs)} (user ${formatMs(cpu.userMs)}, sys ${formatMs(cpu.systemMs)}), ` : '';
  return `${label}: ${cpuText}${formatMs(s.durationMs)} wall, ${formatMs(s.sampledMs)} sampled in code (${count(s.samples, 'sample')})`;
}

/**
 * What the tables' times are, in one line under the header (fits 100 columns). A run's CPU counts
 * from the process's start (Node's and the profiler's start-up, ~70 ms for `node -e 1`); --pid's
 * over the sampled window.
 */
export function sampledNote(attached: boolean): string {
  return `Function times: sampled wall time (a busy machine stretches them). CPU: ${attached ? 'over the same window' : 'includes ~70 ms of start-up'}.`;
}

export function renderComparison(rows: FunctionDelta[], n: number, width?: number): string {
  const real = rows.filter((r) => !r.noise);
  const slower = real.filter((r) => r.deltaSelfMs > 0).slice(0, n);
  const faster = real
    .filter((r) => r.deltaSelfMs < 0)
    .sort((a, b) => a.deltaSelfMs - b.deltaSelfMs)
    .slice(0, Math.max(3, Math.floor(n / 3)));
  const signed = (ms: number): string => `${ms >= 0 ? '+' : '-'}${formatMs(Math.abs(ms))}`;
  const all = ['function', 'file:line', 'self a', 'self b', 'Δ self', 'share a', 'share b', 'Δ total'];
  const table = (list: FunctionDelta[], columns: string[]) =>
    fitTable(
      columns,
      list.map((r) => ({
        function: printable(r.fn),
        'file:line': where(r),
        'self a': selfMs(r.aSelfMs),
        'self b': selfMs(r.bSelfMs),
        'Δ self': signed(r.deltaSelfMs),
        'share a': pct(r.aShare),
        'share b': pct(r.bShare),
        'Δ total': signed(r.deltaTotalMs),
      })),
      { maxCellWidth: 50, align: { 'self a': 'right', 'self b': 'right', 'Δ self': 'right', 'share a': 'right', 'share b': 'right', 'Δ total': 'right' }, width, drop: ['Δ total'], shrink: ['function', 'file:line'] },
    );
  // Both tables get the same columns: Δ total goes from both when either needs the room.
  const columns = [slower, faster].some((l) => l.length > 0 && table(l, all).hidden.includes('Δ total')) ? all.filter((c) => c !== 'Δ total') : all;
  const out = [slower.length > 0 ? `Slower in b (self time grew):\n${table(slower, columns).text}` : real.length === 0 ? 'No function changed beyond sampling noise.' : 'No function got slower beyond sampling noise.'];
  if (faster.length > 0) out.push('', `Faster in b:\n${table(faster, columns).text}`);
  const noise = rows.filter((r) => r.noise && r.deltaSelfMs !== 0).length;
  if (noise > 0) out.push('', `${count(noise, 'function')} within sampling noise (2 samples, or 2√(samples in a + b)) left out.`);
  const files = rows.filter((r) => r.file !== '' && !r.file.startsWith('node:'));
  if (files.length > 0 && files.every((r) => r.matchedBy === null)) {
    out.push('', 'No function of the program’s own files occurs in both profiles (matched by name and file, path from the common folder, or file name): are they of the same program?');
  }
  return out.join('\n');
}
