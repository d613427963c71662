/** Flat rows and CSV of a forecast result: ds, [group], yhat, yhat_lower, yhat_upper, model. */
import type { ForecastResult } from './types.js';

export interface ForecastRow {
  ds: string;
  group?: string | null;
  yhat: number;
  yhat_lower: number;
  yhat_upper: number;
  model: string;
}

export function forecastRows(result: ForecastResult): ForecastRow[] {
  const grouped = result.series.some((s) => s.group !== null);
  const rows: ForecastRow[] = [];
  for (const s of result.series) {
    for (const p of s.forecast) {
      rows.push(grouped ? { ds: p.ds, group: s.group, yhat: p.yhat, yhat_lower: p.yhat_lower, yhat_upper: p.yhat_upper, model: s.model } : { ds: p.ds, yhat: p.yhat, yhat_lower: p.yhat_lower, yhat_upper: p.yhat_upper, model: s.model });
    }
  }
  return rows;
}

function csvCell(v: unknown): string {
  if (v === null || v === undefined) return '';
  const s = typeof v === 'number' ? (Number.isFinite(v) ? String(v) : '') : typeof v === 'string' ? v : JSON.stringify(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** CSV text with a header; the group column is named after `--by` when there is one. */
export function forecastCsv(result: ForecastResult): string {
  const grouped = result.series.some((s) => s.group !== null);
  const groupName = result.source.by ?? 'group';
  const header = grouped ? ['ds', groupName, 'yhat', 'yhat_lower', 'yhat_upper', 'model'] : ['ds', 'yhat', 'yhat_lower', 'yhat_upper', 'model'];
  const lines = [header.map(csvCell).join(',')];
  for (const r of forecastRows(result)) {
    const cells = grouped ? [r.ds, r.group, r.yhat, r.yhat_lower, r.yhat_upper, r.model] : [r.ds, r.yhat, r.yhat_lower, r.yhat_upper, r.model];
    lines.push(cells.map(csvCell).join(','));
  }
  return `${lines.join('\n')}\n`;
}
