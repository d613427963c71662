/**
 * forecast-accuracy benchmark: six public series of different frequencies
 * (test/fixtures/forecast/README.md), each split into a training part and a holdout of its last
 * H points, repeated over the last 15 such windows (--windows N). Every model is fitted on the training part exactly as the CLI does (default
 * settings: conformal calibration from 5-fold rolling-origin CV, no holidays) and scored on the
 * holdout: sMAPE (%), MASE (scaled by the in-sample MAE of seasonal naive on the training part)
 * and the coverage of the 80% intervals, beside the seasonal-naive baseline.
 *
 *   npm run bench -- forecast-accuracy                        every series, every model
 *   npm run bench -- forecast-accuracy --series weekly,hourly  some series (by name or frequency)
 *   npm run bench -- forecast-accuracy --models ensemble,naive some models
 *   npm run bench -- forecast-accuracy --windows 3              only the last 3 windows (faster; the earlier protocol)
 *   npm run bench -- forecast-accuracy --folds 10               CV folds for weights, auto and calibration (default 5)
 *   npm run bench -- forecast-accuracy --json out.json         also write the table as JSON
 *
 * Protocol: 15 forecast origins per series (the starts of its last 15 windows of H points: H =
 * 30 days, 52 weeks, 12 months, 8 quarters, 48 hours, 288 five-minute steps), so 15 x H points are
 * pooled per series. Everything the model learns at an origin (CV folds, ensemble weights, model
 * choice, conformal calibration) comes from the history before it; the window itself is only scored.
 * 15 leaves enough history before the oldest origin of every series (77 months of the monthly
 * series, 83 quarters of GDP, 6 days of 5-minute data); 20 would leave 17 months and 1 day.
 * More windows judge coverage better: misses within a window
 * are strongly dependent, so a window counts for far fewer than H points: with 3 windows (the
 * earlier protocol) a forecaster whose intervals are exactly calibrated passed the coverage
 * target only 10-25% of the time (README: "How much 3 windows can say about coverage"). Each
 * window's coverage is printed too, and the chance that a calibrated forecaster with the same
 * spread of per-window coverage passes.
 *
 * Targets (issue 17): the default model (ensemble) beats seasonal naive on every series (judged on
 * MASE; sMAPE is printed too but is unstable on counts near zero, e.g. flights at night), and its 80% coverage lies in [0.75, 0.90] on at least five series.
 */
import fs from 'node:fs';
import path from 'node:path';
import { forecastSeries } from '../src/forecast/index.js';
import { coverage, coverageBandProbability, mase, naiveScale, probAtLeast, smape } from '../src/forecast/metrics.js';
import { naivePeriod } from '../src/forecast/models.js';
import type { Freq, ModelChoice } from '../src/forecast/types.js';

const FIXTURES = path.resolve(import.meta.dirname, '../test/fixtures/forecast');

export interface BenchSeries {
  name: string;
  file: string;
  freq: Freq;
  horizon: number;
}

export const SERIES: BenchSeries[] = [
  { name: 'peyton (daily)', file: 'peyton_manning.csv', freq: 'D', horizon: 30 },
  { name: 'co2 (weekly)', file: 'co2_weekly.csv', freq: 'W', horizon: 52 },
  { name: 'elec_equip (monthly)', file: 'elec_equip_monthly.csv', freq: 'M', horizon: 12 },
  { name: 'us_gdp (quarterly)', file: 'us_gdp_quarterly.csv', freq: 'Q', horizon: 8 },
  { name: 'flights (hourly)', file: 'flights_hourly.csv', freq: 'H', horizon: 48 },
  { name: 'flights (5-minute)', file: 'flights_5min.csv', freq: '5min', horizon: 288 },
];

const MODELS: ModelChoice[] = ['naive', 'ets', 'mstl', 'arima', 'prophet', 'auto', 'ensemble'];
const DEFAULT_MODEL: ModelChoice = 'ensemble';

export function loadFixture(file: string): { ds: string[]; y: (number | null)[] } {
  const lines = fs.readFileSync(path.join(FIXTURES, file), 'utf8').trim().split('\n').slice(1);
  const ds: string[] = [];
  const y: (number | null)[] = [];
  for (const l of lines) {
    const [d, v] = l.split(',');
    ds.push((d ?? '').replace(/"/g, ''));
    const t = (v ?? '').trim();
    y.push(t === '' || t === 'NA' ? null : Number(t));
  }
  return { ds, y };
}

interface Row {
  series: string;
  model: string;
  chosen: string;
  smape: number;
  mase: number;
  coverage: number;
  /** 80% coverage of each window, oldest first (how much it moves from window to window). */
  windowCoverage: number[];
  scale: number | null;
  seconds: number;
}

function pad(s: string | number, n: number, right = false): string {
  const t = String(s);
  return right ? t.padStart(n) : t.padEnd(n);
}

function listArg(args: string[], flag: string): string[] | null {
  const i = args.indexOf(flag);
  return i >= 0 ? (args[i + 1] ?? '').split(',').filter(Boolean) : null;
}

/** The windows the issue's targets are judged on (see the protocol above). */
const JUDGED_WINDOWS = 15;

export default async function forecastAccuracy(args: string[]): Promise<void> {
  const only = listArg(args, '--series');
  const models = (listArg(args, '--models') as ModelChoice[] | null) ?? MODELS;
  const jsonOut = listArg(args, '--json')?.[0];
  const windows = Number(listArg(args, '--windows')?.[0] ?? JUDGED_WINDOWS);
  const folds = Number(listArg(args, '--folds')?.[0] ?? 5);
  const series = SERIES.filter((s) => !only || only.some((o) => s.name.includes(o) || s.file.includes(o)));
  process.stdout.write(
    `holdout = the last ${windows} windows of H points of each series (each forecast from the history before it), pooled; 80% intervals; every model with its defaults (conformal calibration from ${folds}-fold CV); scale = mean interval factor applied\n`,
  );
  process.stdout.write(`${pad('series', 22)}${pad('model', 10)}${pad('sMAPE %', 9, true)}${pad('MASE', 8, true)}${pad('cov80', 7, true)}${pad('scale', 7, true)}${pad('time s', 8, true)}  chosen\n`);
  const rows: Row[] = [];
  for (const s of series) {
    const { ds, y } = loadFixture(s.file);
    for (const model of models) {
      const pooled = { actual: [] as number[], point: [] as number[], lower: [] as number[], upper: [] as number[], scale: [] as number[] };
      const chosen = new Set<string>();
      const scales: number[] = [];
      const windowCoverage: number[] = [];
      let weights = '';
      const t0 = performance.now();
      // Windows oldest first: window j is the block of H points that ends (windows - 1 - j) * H points before the end.
      for (let j = 0; j < windows; j++) {
        const end = ds.length - (windows - 1 - j) * s.horizon;
        const n = end - s.horizon;
        const train = { ds: ds.slice(0, n), y: y.slice(0, n) };
        const actual = y.slice(n, end).map((v) => v ?? NaN);
        // MASE scale: in-sample MAE of seasonal naive (the engine's period) on the training values (gaps carried forward).
        const filled: number[] = [];
        for (const v of train.y) filled.push(v ?? filled[filled.length - 1] ?? NaN);
        const scale = naiveScale(filled, naivePeriod(s.freq, n)) ?? NaN;
        const res = await forecastSeries([train], { model, horizon: s.horizon, level: 0.8, holidays: 'none', freq: s.freq, workers: 0, folds });
        const out = res.series[0];
        const fc = out?.forecast ?? [];
        windowCoverage.push(coverage(actual, fc.map((p) => p.yhat_lower), fc.map((p) => p.yhat_upper)) ?? NaN);
        for (const [k, p] of fc.entries()) {
          pooled.actual.push(actual[k] as number);
          pooled.point.push(p.yhat);
          pooled.lower.push(p.yhat_lower);
          pooled.upper.push(p.yhat_upper);
          pooled.scale.push(scale);
        }
        chosen.add(out?.model ?? '');
        if (out?.interval_scale) scales.push(out.interval_scale);
        if (j === windows - 1 && out?.ensemble_weights) {
          weights = ` (last window: ${Object.entries(out.ensemble_weights)
            .map(([m, w]) => `${m} ${(w ?? 0).toFixed(2)}`)
            .join(', ')})`;
        }
      }
      const seconds = (performance.now() - t0) / 1000;
      const row: Row = {
        series: s.name,
        model: model === DEFAULT_MODEL ? `${model}*` : model,
        chosen: [...chosen].join('/'),
        smape: smape(pooled.actual, pooled.point) ?? NaN,
        mase: mase(pooled.actual, pooled.point, pooled.scale) ?? NaN,
        coverage: coverage(pooled.actual, pooled.lower, pooled.upper) ?? NaN,
        windowCoverage,
        scale: scales.length > 0 ? scales.reduce((a, b) => a + b, 0) / scales.length : null,
        seconds,
      };
      rows.push(row);
      process.stdout.write(
        `${pad(s.name, 22)}${pad(row.model, 10)}${pad(row.smape.toFixed(2), 9, true)}${pad(row.mase.toFixed(3), 8, true)}${pad(row.coverage.toFixed(2), 7, true)}${pad(row.scale === null ? '-' : row.scale.toFixed(2), 7, true)}${pad(seconds.toFixed(1), 8, true)}  ${row.chosen}${weights}; cov80 by window ${windowCoverage.map((c) => c.toFixed(2)).join('/')}\n`,
      );
    }
  }
  // Targets for the default model.
  const def = rows.filter((r) => r.model === `${DEFAULT_MODEL}*`);
  const naive = new Map(rows.filter((r) => r.model === 'naive').map((r) => [r.series, r]));
  if (def.length > 0 && naive.size > 0) {
    const better = (metric: 'mase' | 'smape'): Row[] => def.filter((r) => r[metric] < (naive.get(r.series)?.[metric] ?? -Infinity));
    const beats = better('mase');
    const beatsSmape = better('smape');
    const covered = def.filter((r) => r.coverage >= 0.75 && r.coverage <= 0.9);
    process.stdout.write(`\ndefault model (${DEFAULT_MODEL}) beats seasonal naive on MASE on ${beats.length} of ${def.length} series: ${beats.length === def.length ? 'PASS' : 'FAIL'} (on sMAPE: ${beatsSmape.length} of ${def.length})\n`);
    process.stdout.write(`default model 80% coverage in [0.75, 0.90] on ${covered.length} of ${def.length} series (target 5 of 6): ${covered.length >= Math.min(5, def.length) ? 'PASS' : 'FAIL'}\n`);
    // How often a forecaster whose intervals are exactly calibrated would pass with this many
    // windows, given each series' spread of per-window coverage (normal approximation; windows
    // independent). The spread is the default's own, so it includes any miscalibration.
    const bands = def.map((r) => {
      const w = r.windowCoverage.filter((c) => Number.isFinite(c));
      const mean = w.reduce((a, b) => a + b, 0) / Math.max(1, w.length);
      const sd = w.length > 1 ? Math.sqrt(w.reduce((a, c) => a + (c - mean) ** 2, 0) / (w.length - 1)) : Number.NaN;
      return { series: r.series, p: coverageBandProbability(sd, windows, 0.75, 0.9) };
    });
    if (bands.every((b) => Number.isFinite(b.p))) {
      process.stdout.write(
        `a calibrated forecaster with the same per-window spread lands in [0.75, 0.90] with probability ${bands.map((b) => `${b.series.split(',')[0]} ${b.p.toFixed(2)}`).join(', ')}; ` +
          `on at least ${Math.min(5, def.length)} of ${def.length}: ${probAtLeast(bands.map((b) => b.p), Math.min(5, def.length)).toFixed(2)} (normal approximation, ${windows} windows)\n`,
      );
    }
    if (windows !== JUDGED_WINDOWS) process.stdout.write(`(pooled over ${windows} windows: extra information; the issue's targets are judged on the last ${JUDGED_WINDOWS})\n`);
  }
  if (jsonOut) fs.writeFileSync(jsonOut, `${JSON.stringify(rows, null, 2)}\n`);
}
