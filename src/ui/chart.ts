/**
 * Forecast output for terminals: the text report and a compact terminal chart (plain
 * characters, optional colour). SVG, PNG and HTML charts are Vega-Lite specs in
 * src/charts/forecast.ts, rendered by src/charts/render.ts.
 */
import type { ChalkInstance } from 'chalk';
import { FREQ_INFO, horizonText } from '../forecast/calendar.js';
import { WEAK_EFFECTIVE_SCORES, WEAK_FOLDS } from '../forecast/conformal.js';
import type { ForecastResult, SeriesForecast } from '../forecast/types.js';
import { renderTable } from './table.js';
import { timeOf } from '../charts/forecast.js';
import { int, num, sig, wrap } from './format.js';
import { columnTexts, valueText } from '../forecast/output.js';

/** What a terminal chart draws of one series. */
export interface ChartSeries {
  history: { ds: string; y: number | null }[];
  forecast: { ds: string; yhat: number; yhat_lower: number; yhat_upper: number }[];
  anomalies: { ds: string; y: number }[];
}

export function chartSeriesOf(s: SeriesForecast): ChartSeries {
  return {
    history: (s.history ?? []).map((h) => ({ ds: h.ds, y: h.y })),
    forecast: s.forecast,
    anomalies: s.anomalies.map((a) => ({ ds: a.ds, y: a.y })),
  };
}

function extent(values: number[]): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (!Number.isFinite(v)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (!Number.isFinite(lo)) return [0, 1];
  if (lo === hi) return [lo - Math.max(1, Math.abs(lo) * 0.05), hi + Math.max(1, Math.abs(hi) * 0.05)];
  return [lo, hi];
}

export interface TerminalChartOptions {
  width?: number;
  height?: number;
  /** History points shown before the forecast (default: three horizons, at least 60). */
  historyPoints?: number;
  color?: ChalkInstance;
}

/**
 * A compact terminal chart: history `•`, forecast `*`, interval band `░`, anomalies `x`, the
 * forecast start marked on the time axis. Each column covers a run of time steps and marks
 * the lowest and the highest value among them (a min/max envelope, so spikes survive).
 */
export function renderTerminalChart(chart: ChartSeries, options: TerminalChartOptions = {}): string {
  const width = Math.max(20, options.width ?? 64);
  const height = Math.max(5, options.height ?? 10);
  const c = options.color;
  const keep = options.historyPoints ?? Math.max(60, 3 * chart.forecast.length);
  const hist = chart.history.slice(-keep);
  type P = { t: number; y: number | null; lo?: number; hi?: number; kind: 'h' | 'f' };
  const pts: P[] = [
    ...hist.map((h): P => ({ t: timeOf(h.ds), y: h.y, kind: 'h' })),
    ...chart.forecast.map((f): P => ({ t: timeOf(f.ds), y: f.yhat, lo: f.yhat_lower, hi: f.yhat_upper, kind: 'f' })),
  ];
  if (pts.length === 0) return '';
  const anomalyTimes = new Set(chart.anomalies.map((a) => timeOf(a.ds)));
  const cols = Math.min(width, pts.length);
  // Each column keeps the lowest and the highest value that falls in it, so a one-point spike
  // squeezed into a column with its neighbours still reaches its own row.
  type Span = { min: number; max: number };
  const widen = (s: Span | null, v: number): Span => (s ? { min: Math.min(s.min, v), max: Math.max(s.max, v) } : { min: v, max: v });
  const buckets = Array.from({ length: cols }, () => ({ h: null as Span | null, f: null as Span | null, lo: Infinity, hi: -Infinity, anomalies: [] as number[] }));
  pts.forEach((p, i) => {
    const b = buckets[Math.min(cols - 1, Math.floor((i * cols) / pts.length))];
    if (!b) return;
    if (p.y !== null && Number.isFinite(p.y)) {
      if (p.kind === 'h') b.h = widen(b.h, p.y);
      else b.f = widen(b.f, p.y);
      if (p.kind === 'h' && anomalyTimes.has(p.t)) b.anomalies.push(p.y);
    }
    if (p.lo !== undefined && p.hi !== undefined) {
      b.lo = Math.min(b.lo, p.lo);
      b.hi = Math.max(b.hi, p.hi);
    }
  });
  const [lo, hi] = extent(pts.flatMap((p) => [p.y ?? NaN, p.lo ?? NaN, p.hi ?? NaN]));
  const row = (v: number): number => Math.max(0, Math.min(height - 1, Math.round(((hi - v) / (hi - lo)) * (height - 1))));
  const grid: string[][] = Array.from({ length: height }, () => new Array<string>(cols).fill(' '));
  const paint = (r: number, col: number, ch: string, style?: (s: string) => string): void => {
    const line = grid[r];
    if (line) line[col] = style ? style(ch) : ch;
  };
  buckets.forEach((b, col) => {
    if (Number.isFinite(b.lo)) for (let r = row(b.hi); r <= row(b.lo); r++) paint(r, col, '░', c ? (s) => c.cyan.dim(s) : undefined);
    if (b.h) for (const v of [b.h.min, b.h.max]) paint(row(v), col, '•');
    for (const v of b.anomalies) paint(row(v), col, 'x', c ? (s) => c.red(s) : undefined);
    if (b.f) for (const v of [b.f.min, b.f.max]) paint(row(v), col, '*', c ? (s) => c.cyan.bold(s) : undefined);
  });
  const labels = [num(hi), num((hi + lo) / 2), num(lo)];
  const lw = Math.max(...labels.map((l) => l.length));
  const lines = grid.map((cells, r) => {
    const label = r === 0 ? labels[0] : r === Math.floor((height - 1) / 2) ? labels[1] : r === height - 1 ? labels[2] : '';
    return `${(label ?? '').padStart(lw)} ┤${cells.join('')}`;
  });
  const firstForecastCol = buckets.findIndex((b) => b.f !== null);
  const axis = new Array<string>(cols).fill('─');
  if (firstForecastCol >= 0) axis[firstForecastCol] = '┬';
  lines.push(`${' '.repeat(lw)} └${axis.join('')}`);
  const start = pts[0]?.t ?? 0;
  const end = pts[pts.length - 1]?.t ?? 0;
  const fmt = (t: number): string => new Date(t).toISOString().slice(0, 10);
  const fStart = chart.forecast[0]?.ds.slice(0, 10) ?? '';
  const left = fmt(start);
  const right = fmt(end);
  let axisText = `${left}${' '.repeat(Math.max(1, cols - left.length - right.length))}${right}`;
  if (firstForecastCol > left.length + 1 && firstForecastCol + fStart.length < cols - right.length - 1) {
    axisText = `${left}${' '.repeat(firstForecastCol - left.length)}${fStart}${' '.repeat(cols - firstForecastCol - fStart.length - right.length)}${right}`;
  }
  lines.push(`${' '.repeat(lw + 2)}${axisText}`);
  const legend = `${' '.repeat(lw + 2)}• history  * forecast  ░ interval${chart.anomalies.length > 0 ? '  x anomaly' : ''}`;
  lines.push(c ? c.dim(legend) : legend);
  // The chart keeps the recent history only: say so, and where to see all of it.
  if (chart.history.length > hist.length) {
    const note = `${' '.repeat(lw + 2)}showing the last ${int(hist.length)} of ${int(chart.history.length)} points; --out forecast.html for all`;
    lines.push(c ? c.dim(note) : note);
  }
  return lines.join('\n');
}

export interface ForecastTextOptions {
  /** Draw terminal charts (needs the history in the result). */
  charts?: boolean;
  color?: ChalkInstance;
  /** Width of a terminal chart's plot area. */
  width?: number;
  /** Widest line a table may draw (the terminal's width; undefined: no limit). */
  columns?: number | undefined;
  /** Forecast rows printed at most. */
  maxRows?: number;
  /** Charts drawn at most (the largest series first). */
  maxCharts?: number;
  /** summary: one row per group; full: one row per time step. Default: summary with groups, full without. */
  table?: 'summary' | 'full' | undefined;
  /** Files written, shown at the end. */
  files?: string[];
}

const pctText = (v: number | null | undefined, digits = 2): string => (v === null || v === undefined || !Number.isFinite(v) ? 'n/a' : v.toFixed(digits));
/** CV and backtest errors: the same significant digits on every row ("38.20" next to "46.41"); whole from 1,000. */
const numText = (x: number | null | undefined): string => (x !== null && x !== undefined && Number.isFinite(x) && Math.abs(x) >= 1000 ? valueText(x) : sig(x));

/** Forecast rows printed under terminal charts (the rest: --json, --out or --table full). */
export const CHART_TABLE_ROWS = 10;

/** The human rendering of `statsig-hack forecast`. */
export function renderForecastText(result: ForecastResult, options: ForecastTextOptions = {}): string {
  const grouped = result.series.some((s) => s.group !== null);
  const groupName = result.source.by ?? 'group';
  const what =
    result.source.kind === 'store'
      ? `${result.source.metric}${result.source.agg !== result.source.metric ? ` (${result.source.agg})` : ''} from the project store`
      : result.source.kind === 'file'
        ? result.source.name
        : 'the series';
  const lines: string[] = [];
  lines.push(
    `Forecast of ${what}${grouped ? ` by ${groupName}` : ''}: ${horizonText(result.freq, result.horizon)} ahead, ${Math.round(result.level * 100)}% intervals, model ${result.model}, ${int(result.series.length)} series`,
  );
  // The default horizon is in --help; the text says it only when the history shortened it.
  if (result.horizon_note && /shortened/.test(result.horizon_note)) lines.push(`  (${result.horizon_note})`);
  const n = result.series.length;
  const step = FREQ_INFO[result.freq].unit;
  let charted = 0;
  if (options.charts) {
    // The largest series by forecast first: with many groups those are the ones worth a look.
    const meanOf = (s: SeriesForecast): number => s.forecast.reduce((a, p) => a + p.yhat, 0) / Math.max(1, s.forecast.length);
    const drawn = [...result.series].filter((s) => s.history).sort((a, b) => meanOf(b) - meanOf(a)).slice(0, Math.max(0, options.maxCharts ?? 3));
    charted = drawn.length;
    if (grouped && drawn.length < n) {
      lines.push(
        '',
        `Charts for ${drawn.length} of ${n} ${groupName} groups, the largest by forecast: ${drawn.map((s) => s.group).join(', ')}.`,
        `  Every group: --max-charts ${n}, or --out forecast.html (one page).`,
      );
    }
    for (const s of drawn) {
      lines.push('', `${s.group !== null ? `${groupName} = ${s.group} · ` : ''}model ${s.model}`);
      lines.push(renderTerminalChart(chartSeriesOf(s), { width: options.width, color: options.color }));
    }
  }
  const fit = { width: options.columns, drop: ['model'], shrink: [groupName] };
  const fullTable = options.table === 'full' || (options.table === undefined && !grouped);
  if (fullTable) {
    const rows = result.series.flatMap((s) => s.forecast.map((p) => (grouped ? { ds: p.ds, [groupName]: s.group, yhat: p.yhat, yhat_lower: p.yhat_lower, yhat_upper: p.yhat_upper, model: s.model } : { ds: p.ds, yhat: p.yhat, yhat_lower: p.yhat_lower, yhat_upper: p.yhat_upper, model: s.model })));
    // Under terminal charts a long table would scroll them off the screen: the first rows only,
    // unless the table was asked for (--table full).
    const maxRows = options.maxRows ?? (charted > 0 && options.table !== 'full' ? CHART_TABLE_ROWS : 500);
    const shown = rows.slice(0, maxRows) as Record<string, unknown>[];
    // One number of decimals per column (744.0 over 731.1, not 744).
    const texts = Object.fromEntries(['yhat', 'yhat_lower', 'yhat_upper'].map((k) => [k, columnTexts(shown.map((r) => r[k] as number))]));
    const round = (r: Record<string, unknown>, i: number): Record<string, unknown> => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, texts[k]?.[i] ?? (typeof v === 'number' ? valueText(v) : v)]));
    const columns = grouped ? ['ds', groupName, 'yhat', 'yhat_lower', 'yhat_upper', 'model'] : ['ds', 'yhat', 'yhat_lower', 'yhat_upper', 'model'];
    lines.push('', renderTable(columns, shown.map(round), { ...fit, align: { yhat: 'right', yhat_lower: 'right', yhat_upper: 'right' } }));
    if (rows.length > maxRows) lines.push(`(${int(rows.length - maxRows)} more rows: --json, or --out forecast.csv for all${charted > 0 && options.table !== 'full' ? ', or --table full to print them' : ''})`);
  } else {
    // One row per group: where the forecast starts, its mean, and where it ends with its interval.
    const level = Math.round(result.level * 100);
    const first = result.series[0]?.forecast[0]?.ds ?? '';
    const last = result.series[0]?.forecast[result.series[0].forecast.length - 1]?.ds ?? '';
    const shown = result.series.slice(0, 50);
    lines.push('', `Forecast per ${groupName}, ${first} .. ${last}:`);
    lines.push(
      renderTable(
        [groupName, 'first', 'mean', 'last', `last ${level}%`, 'model'],
        shown.map((s) => {
          const f = s.forecast;
          const end = f[f.length - 1];
          return {
            [groupName]: s.group,
            first: valueText(f[0]?.yhat ?? null),
            mean: valueText(f.reduce((a, p) => a + p.yhat, 0) / Math.max(1, f.length)),
            last: valueText(end?.yhat ?? null),
            [`last ${level}%`]: end ? `${valueText(end.yhat_lower)}..${valueText(end.yhat_upper)}` : 'n/a',
            model: s.model,
          };
        }),
        { ...fit, align: { first: 'right', mean: 'right', last: 'right' } },
      ),
    );
    lines.push(`(${shown.length < n ? `${n - shown.length} more groups and ` : ''}every ${step} of each group: --table full, --out forecast.csv, or --json)`);
  }

  const withCandidates = result.series.filter((s) => s.candidates.length > 0);
  if (withCandidates.length > 0) {
    const models = [...new Set(withCandidates.flatMap((s) => s.candidates.map((c) => c.model)))];
    lines.push('', `Rolling-origin cross-validation (auto picks the lowest MASE, the ensemble weights by it${grouped ? '; per group: MASE' : '; raw cov: the models\' own intervals, before calibration'}):`);
    if (!grouped) {
      const s = withCandidates[0] as SeriesForecast;
      lines.push(
        renderTable(
          // No fit times here: they differ run to run (diff of two runs should show real changes); --json has them.
          ['model', 'smape', 'mase', 'mae', 'rmse', 'raw cov', 'chosen'],
          s.candidates.map((c) => ({
            model: c.model,
            smape: c.error ? 'failed' : pctText(c.smape),
            mase: pctText(c.mase, 3),
            mae: numText(c.mae),
            rmse: numText(c.rmse),
            'raw cov': pctText(c.coverage, 3),
            chosen: c.model === s.model ? '✓' : '',
          })),
          { ...fit, drop: ['rmse', 'mae'], align: { smape: 'right', mase: 'right', mae: 'right', rmse: 'right', 'raw cov': 'right' } },
        ),
      );
    } else {
      const table = withCandidates.slice(0, 50).map((s) => {
        const row: Record<string, unknown> = { [groupName]: s.group };
        for (const m of models) {
          const c = s.candidates.find((x) => x.model === m);
          row[m] = c ? (c.error ? 'failed' : pctText(c.mase, 3)) : '';
        }
        row.chosen = s.model;
        return row;
      });
      lines.push(renderTable([groupName, ...models, 'chosen'], table, { ...fit, align: Object.fromEntries(models.map((m) => [m, 'right' as const])) }));
      if (withCandidates.length > 50) lines.push(`(${withCandidates.length - 50} more series in --json)`);
      const counts = new Map<string, number>();
      for (const s of result.series) counts.set(s.model, (counts.get(s.model) ?? 0) + 1);
      lines.push(`Chosen: ${[...counts.entries()].map(([m, k]) => `${m} ${int(k)}`).join(', ')}`);
    }
  }

  const backtests = result.series.filter((s) => s.backtest);
  if (backtests.length > 0) {
    const b0 = backtests[0]?.backtest;
    lines.push('', `Backtest: ${b0?.cutoffs.length ?? 0} rolling-origin folds of ${horizonText(result.freq, result.horizon)} (cutoffs ${b0?.cutoffs[0] ?? ''} .. ${b0?.cutoffs[b0.cutoffs.length - 1] ?? ''}):`);
    const table = backtests.slice(0, 50).flatMap((s) =>
      (s.backtest?.models ?? []).map((c) => ({
        ...(grouped ? { [groupName]: s.group } : {}),
        model: c.model,
        mae: numText(c.mae),
        rmse: numText(c.rmse),
        smape: pctText(c.smape),
        mape: pctText(c.mape),
        mase: pctText(c.mase, 3),
        coverage: pctText(c.coverage, 3),
        points: c.n,
      })),
    );
    lines.push(
      renderTable([...(grouped ? [groupName] : []), 'model', 'mae', 'rmse', 'smape', 'mape', 'mase', 'coverage', 'points'], table, {
        ...fit,
        drop: ['points', 'mape', 'rmse'],
        align: { mae: 'right', rmse: 'right', smape: 'right', mape: 'right', mase: 'right', coverage: 'right' },
      }),
    );
  }

  const anomalies = result.series.flatMap((s) => s.anomalies.map((a) => ({ s, a })));
  if (anomalies.length > 0) {
    const total = anomalies.length;
    anomalies.sort((x, y) => Math.abs(y.a.score) - Math.abs(x.a.score));
    lines.push('', `Anomalies in the history: ${total} (runs of points far from trend + season, peak shown)${total > 20 ? ', the 20 largest' : ''}:`);
    const shown = anomalies.slice(0, 20);
    const onHoliday = shown.some(({ a }) => a.holiday !== undefined);
    lines.push(
      renderTable(
        ['ds', ...(grouped ? [groupName] : []), 'y', 'expected', 'magnitude', 'score', 'severity', ...(onHoliday ? ['holiday'] : [])],
        shown.map(({ s, a }) => ({
          ds: a.start === a.end ? a.ds : `${a.start}..${a.end}`,
          ...(grouped ? { [groupName]: s.group } : {}),
          y: valueText(a.y),
          expected: valueText(a.expected),
          magnitude: valueText(a.magnitude),
          score: Number(a.score.toFixed(1)),
          severity: a.severity,
          ...(onHoliday ? { holiday: a.holiday ?? '' } : {}),
        })),
        { ...fit, shrink: [...fit.shrink, 'holiday'], align: { y: 'right', expected: 'right', magnitude: 'right', score: 'right' } },
      ),
    );
  } else if (result.checks.anomalies) {
    lines.push('', 'Anomalies in the history: none.');
  }
  if (result.divergent.length > 0) {
    lines.push('', `Series that diverge from their peers:`);
    for (const d of result.divergent) {
      const when = d.intervals.map((i) => (i.end === null ? `from ${i.start}` : i.start === i.end ? i.start : `${i.start}..${i.end}`));
      lines.push(`  ${groupName} = ${d.group}: ${when.slice(0, 4).join(', ')}${when.length > 4 ? ', ...' : ''}`);
    }
  }
  const material = result.series.flatMap((s) => s.holidays.map((h) => ({ s, h })));
  if (material.length > 0) {
    lines.push('', 'Holidays with a consistent effect (same sign in at least 75% of occurrences, at least 3 standard errors):');
    lines.push(
      renderTable(
        [...(grouped ? [groupName] : []), 'holiday', 'effect', 'effect/sd', 'occurrences', 'same sign'],
        material.slice(0, 30).map(({ s, h }) => ({
          ...(grouped ? { [groupName]: s.group } : {}),
          holiday: h.name,
          effect: valueText(h.effect),
          'effect/sd': Number(h.score.toFixed(1)),
          occurrences: h.occurrences,
          'same sign': `${Math.round(h.same_sign * 100)}%`,
        })),
        { ...fit, align: { effect: 'right', 'effect/sd': 'right', occurrences: 'right', 'same sign': 'right' } },
      ),
    );
  } else if (result.series.some((s) => s.country !== null)) {
    lines.push('', 'Holidays: none had a consistent effect.');
  }
  const notes = new Map<string, string[]>();
  // Per-group notes whose text differs by group (weights, calibration factors): one summary line each.
  const summarised = grouped ? groupSummaries(result.series) : null;
  if (summarised) for (const line of summarised.lines) notes.set(line, result.series.map((s) => s.group ?? ''));
  for (const s of result.series) {
    for (const n of s.notes) {
      if (summarised?.drop(n)) continue;
      const list = notes.get(n) ?? [];
      list.push(s.group ?? '');
      notes.set(n, list);
    }
  }
  if (notes.size > 0) {
    lines.push('', 'Notes:');
    for (const [n, groups] of [...notes.entries()].slice(0, 20)) {
      lines.push(`  - ${n}${grouped ? ` (${groups.length === result.series.length ? 'all series' : groups.slice(0, 5).join(', ') + (groups.length > 5 ? ', ...' : '')})` : ''}`);
    }
  }
  for (const f of options.files ?? []) lines.push(`Wrote ${f}`);
  return wrap(lines.join('\n'), options.columns);
}

/** Ensemble-weight and interval-calibration notes of grouped forecasts, which differ by group, as one line each. */
export function groupSummaries(series: SeriesForecast[]): { lines: string[]; drop: (note: string) => boolean } {
  const isWeights = (n: string): boolean => n.startsWith('ensemble weights (');
  const isScale = (n: string): boolean => /^\d+% intervals (widened|narrowed) x/.test(n);
  const lines: string[] = [];
  const distinct = (test: (n: string) => boolean): number => new Set(series.flatMap((s) => s.notes.filter(test))).size;
  const dropWeights = distinct(isWeights) > 1;
  const dropScales = distinct(isScale) > 1;
  if (dropWeights) lines.push('ensemble weights (inverse squared CV MASE) differ by group: ensemble_weights per group in --json');
  if (dropScales) {
    const cal = series.filter((s) => s.interval_scale !== null);
    const scales = cal.map((s) => s.interval_scale as number);
    const folds = [...new Set(cal.map((s) => s.interval_evidence?.folds).filter((f) => f !== undefined))];
    const weak = cal.filter((s) => s.interval_evidence?.weak).map((s) => s.group ?? '');
    const pct = /^(\d+%)/.exec(cal[0]?.notes.find(isScale) ?? '')?.[1] ?? '';
    lines.push(
      `${pct} intervals scaled x${Math.min(...scales).toFixed(2)} to x${Math.max(...scales).toFixed(2)} across ${cal.length} groups from ${folds.length === 1 ? `${folds[0] ?? ''}-fold` : 'rolling-origin'} CV (conformal; interval_scale per group in --json)` +
        (weak.length > 0 ? `; weak evidence (under ${WEAK_FOLDS} folds or ${WEAK_EFFECTIVE_SCORES} effective scores) for ${weak.slice(0, 8).join(', ')}${weak.length > 8 ? ', ...' : ''}` : ''),
    );
  }
  return { lines, drop: (n) => (dropWeights && isWeights(n)) || (dropScales && isScale(n)) };
}
