/** Plain-text renderers of `profile`: top functions by self and total time, and a comparison. */
import type { FunctionDelta, FunctionTime, ProfileSummary } from '../observe/profile/cpuprofile.js';
import { formatMs, printable } from './jobs.js';
import { fitTable } from './table.js';
import { count } from './format.js';

const where = (f: { file: string; line: number }): string => (f.file ? printable(`${f.file}:${f.line}`) : '');
const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;

/** `width`: the terminal's (undefined: no limit); long files, then function names, are cut to fit. */
export function renderTopFunctions(title: string, fns: FunctionTime[], sampledMs: number, width?: number): string {
  if (fns.length === 0) return `${title}: (no samples)`;
  return `${title}\n${fitTable(
    ['function', 'file:line', 'self', 'self %', 'total', 'total %'],
    fns.map((f) => ({
      function: printable(f.fn),
      'file:line': where(f),
      self: formatMs(f.selfMs),
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

/** What the tables' times are, in one line under the header. */
export const SAMPLED_NOTE = 'Function times are sampled wall time (the gaps between samples), so they stretch on a busy machine; CPU is the process’s own.';

export function renderComparison(rows: FunctionDelta[], n: number, width?: number): string {
  const slower = rows.filter((r) => r.deltaSelfMs > 0).slice(0, n);
  const faster = rows
    .filter((r) => r.deltaSelfMs < 0)
    .sort((a, b) => a.deltaSelfMs - b.deltaSelfMs)
    .slice(0, Math.max(3, Math.floor(n / 3)));
  const table = (list: FunctionDelta[]): string =>
    fitTable(
      ['function', 'file:line', 'self a', 'self b', 'Δ self', 'share a', 'share b', 'Δ total'],
      list.map((r) => ({
        function: printable(r.fn),
        'file:line': where(r),
        'self a': formatMs(r.aSelfMs),
        'self b': formatMs(r.bSelfMs),
        'Δ self': `${r.deltaSelfMs >= 0 ? '+' : '-'}${formatMs(Math.abs(r.deltaSelfMs))}`,
        'share a': pct(r.aShare),
        'share b': pct(r.bShare),
        'Δ total': `${r.deltaTotalMs >= 0 ? '+' : '-'}${formatMs(Math.abs(r.deltaTotalMs))}`,
      })),
      { maxCellWidth: 50, align: { 'self a': 'right', 'self b': 'right', 'Δ self': 'right', 'share a': 'right', 'share b': 'right', 'Δ total': 'right' }, width, drop: ['Δ total'], shrink: ['function', 'file:line'] },
    ).text;
  const out = [slower.length > 0 ? `Slower in b (self time grew):\n${table(slower)}` : 'No function got slower.'];
  if (faster.length > 0) out.push('', `Faster in b:\n${table(faster)}`);
  return out.join('\n');
}
