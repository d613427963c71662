/** Flat rows and CSV of a forecast result (ds, [group], yhat, yhat_lower, yhat_upper, model), and the text of fit errors. */
import { int, num } from '../ui/format.js';
import type { ForecastResult } from './types.js';

/** A forecast value for people: ~4 significant digits with separators, keeping every whole digit (4,568; 636.4; 6.338; 123,456). */
export function valueText(x: number | null | undefined): string {
  return x !== null && x !== undefined && Number.isFinite(x) && Math.abs(x) >= 1000 && Math.abs(x) < 1e15 ? int(x) : num(x);
}

/**
 * A column of forecast values for people: valueText's digits, then every value given as many
 * decimals as the value that needs the most (at most 4), so the column does not mix 744, 731.1
 * and 699 ("744.0", "731.1", "699.0").
 */
export function columnTexts(values: number[]): string[] {
  const texts = values.map((v) => valueText(v));
  const decimals = Math.min(4, Math.max(0, ...texts.map((t) => (/^-?[\d,]+\.(\d+)$/.exec(t)?.[1]?.length ?? 0))));
  if (decimals === 0) return texts;
  return values.map((v, i) => {
    if (!Number.isFinite(v) || Math.abs(v) >= 1e15 || /e/i.test(texts[i] as string)) return texts[i] as string;
    const [whole, frac] = Math.abs(v).toFixed(decimals).split('.');
    const sign = v < 0 && Number(`${whole ?? '0'}.${frac ?? ''}`) !== 0 ? '-' : '';
    return `${sign}${(whole ?? '0').replace(/\B(?=(\d{3})+(?!\d))/g, ',')}.${frac ?? ''}`;
  });
}

/** Internal errors of the wasm models (Stan's optimizer, wasm-bindgen values): never shown as they are. */
const INTERNAL_ERROR = /JsValue|Optimization (failed|terminated)|Error in optimization|RuntimeError|unreachable|wasm|panicked|Stan/i;

/**
 * One short line for a model that could not be fitted: internal wasm/optimizer messages become
 * a plain sentence; other messages keep their first line, without control characters, capped.
 */
export function fitErrorText(error: unknown): string {
  const raw = error instanceof Error ? error.message : String(error);
  if (INTERNAL_ERROR.test(raw)) return /optimi[sz]/i.test(raw) ? 'its optimizer did not converge on this series' : 'it could not be fitted to this series';
  // eslint-disable-next-line no-control-regex
  const line = (raw.split('\n')[0] ?? '').replace(/[\u0000-\u001f\u007f]/g, '').trim();
  return line.length === 0 ? 'it could not be fitted to this series' : line.length > 160 ? `${line.slice(0, 157)}...` : line;
}

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
