/**
 * The map command's plain-text result: the value per place (a table), the file written, and the
 * codes that joined to no shape. The picture itself is drawn by src/charts/map.ts.
 */
import type { MapData, WrittenMap } from '../charts/map-service.js';
import { formatMapValue } from '../charts/map.js';
import { stripControl } from '../core/sanitize.js';
import { count, cut, displayPath, int, paintOf, pct, pval, type Target } from './format.js';
import { hiddenNote, fitTable } from './table.js';

/** Data codes come from a file or a model: no terminal escapes, one short line each. */
function clean(s: string): string {
  return cut(stripControl(s, { newlines: false }), 40);
}

export function renderMap(data: MapData | WrittenMap, target: Target, cwd?: string): string {
  const c = paintOf(target);
  const lines: string[] = [];
  const lift = data.experiment !== null;
  // The table reads like every other command's (ui/format): lifts to 0.1% with an ASCII minus, counts with separators.
  const fmt = (v: number | null): string => (v === null ? '' : lift ? pct(v) : formatMapValue(v, 'number'));
  const place = data.by === 'country' ? 'country' : 'state';
  lines.push(c.bold(`${data.value_label} by ${place}${data.period ? ` · ${data.period.label}` : ''}`));
  const rows = data.regions.map((r) => ({
    [place]: r.key,
    name: r.name,
    value: fmt(r.value),
    ...(lift ? { ci: r.ci ? `[${fmt(r.ci[0])}, ${fmt(r.ci[1])}]` : '', p: r.p_value === null || r.p_value === undefined ? '' : pval(r.p_value), units: int(r.n) } : { events: int(r.n) }),
    codes: r.codes.map(clean).join(', '),
  }));
  const columns = [place, 'name', 'value', ...(lift ? ['ci', 'p', 'units'] : ['events']), 'codes'];
  const table = fitTable(columns, rows, {
    width: target.width,
    align: { value: 'right', ci: 'right', p: 'right', units: 'right', events: 'right' },
    drop: ['codes', 'name'],
    paint: lift ? (col, row, text) => (col === 'value' && data.regions.find((r) => r.key === row[place])?.significant === false ? c.dim(text) : text) : undefined,
  });
  lines.push(table.text);
  const note = hiddenNote(table.hidden, target.width);
  if (note) lines.push(c.dim(note));
  if (data.unmatched.length > 0) {
    const what = lift ? 'unit' : 'event';
    lines.push(
      c.yellow(`unmatched codes (${data.unmatched.length}): `) + data.unmatched.map((u) => `${clean(u.code)} (${u.reason}, ${count(u.n, what)})`).join(', '),
    );
  }
  if (data.missing > 0) lines.push(c.dim(`${count(data.missing, lift ? 'unit' : 'event')} without a ${place} (${data.column} empty)`));
  for (const n of data.notes) lines.push(c.dim(n));
  if ('file' in data) lines.push(`${c.green('✓')} wrote ${displayPath(data.file, cwd)} (${data.format.toUpperCase()}, ${data.width}x${data.height}, ${Math.max(1, Math.round(data.bytes / 1024))} KB)`);
  return lines.join('\n');
}
