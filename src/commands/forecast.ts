import fs from 'node:fs';
import path from 'node:path';
import { Command, Option } from '../core/commander.js';
import type { App } from '../cli.js';
import { UsageError, UserError } from '../core/errors.js';
import { parseNumber } from '../core/options.js';
import type { GlobalOptions } from '../core/context.js';
import type { DuplicatePolicy, ForecastResult, Freq, ModelChoice, TransformChoice } from '../forecast/types.js';
import type { StoreAgg } from '../forecast/data.js';
import { FREQS, MAX_HORIZON } from '../forecast/calendar.js';

interface ForecastFlags {
  data?: string;
  time: string;
  value: string;
  by?: string;
  metric?: string;
  agg?: StoreAgg;
  experimentFree?: boolean;
  horizon?: string;
  freq?: Freq;
  model: ModelChoice;
  holidays: string;
  interval: string;
  anomalies?: boolean;
  anomalyLevel: string;
  backtest?: boolean;
  folds: string;
  calibrate?: boolean;
  transform: TransformChoice;
  duplicates: DuplicatePolicy;
  out?: string;
  plot?: string;
  workers?: string;
  chart: boolean;
  maxCharts: string;
  table?: 'summary' | 'full';
  wide?: boolean;
  regressor?: string[];
  events?: string;
  components?: boolean;
}

/**
 * An interval width in (0, 1). A percentage ("80", "80%") is refused with the width it most
 * likely meant ("e.g. --interval 0.8 (80% is 0.8)"); anything else gets a valid example.
 */
export function parseWidth(flag: string, raw: string, example: number): number {
  const pct = /^\s*(\d+(?:\.\d+)?)\s*%\s*$/.exec(raw) ?? (Number(raw) >= 50 && Number(raw) < 100 ? [raw, raw] : null);
  if (pct) {
    const width = Number(pct[1]) / 100;
    if (width > 0 && width < 1) {
      const w = Number(width.toFixed(6));
      throw new UsageError(`${flag} is a width between 0 and 1, not a percentage: got "${raw.trim()}"`, { hint: `e.g. ${flag} ${w} (${Number((w * 100).toFixed(4))}% is ${w})` });
    }
  }
  return parseNumber(flag, raw, { min: 0, max: 1, exclusiveMin: true, exclusiveMax: true, example });
}

/**
 * A width under 0.5 is most likely an alpha ("--interval 0.05" for 95% intervals): the warning
 * that says what it gives and what was probably meant; null for a width of 0.5 or more.
 */
export function alphaLikeWidth(level: number): string | null {
  if (level >= 0.5) return null;
  const meant = Number((1 - level).toFixed(6));
  return `--interval ${level} gives ${Number((level * 100).toFixed(4))}% intervals (the width, not alpha): did you mean ${meant}?`;
}

export function forecastCommand(app: App): Command {
  return new Command('forecast')
    .description('forecast a metric (Prophet, MSTL, ETS, ensembles) with holidays, anomalies, backtests and group-by')
    .option('--data <file>', 'time series file: CSV, Parquet or JSON')
    .option('--time <column>', 'time column of --data (dates or timestamps)', 'ds')
    .option('--value <column>', 'value column of --data', 'y')
    .option('--by <column>', 'one series per value of this column (file column; store: users column or event metadata key)')
    .option('--metric <event>', 'store mode: an event name in the project store, or "dau" for distinct active units over all events')
    .addOption(new Option('--agg <how>', 'store mode: daily count of events, sum or mean of their value, or distinct units (default: count; dau for --metric dau)').choices(['count', 'sum', 'mean', 'dau']))
    .option('--experiment-free', 'store mode: use every unit, not only those in an experiment (the default; accepted for clarity)')
    .option('--horizon <n>', 'steps to forecast (default: a calendar span by frequency: 1 day of 5- to 30-minute data, 2 days hourly, 30 days daily, 13 weeks weekly, 24 months monthly, 8 quarters quarterly; never longer than the history)')
    .addOption(new Option('--freq <freq>', 'resample to 5min, 10min, 15min, 30min, H (hourly), D (daily), W (weekly), M (month starts) or Q (quarter starts) (default: detected; store mode: D)').choices(FREQS))
    .addOption(
      new Option('--model <model>', 'ensemble = CV-weighted mean of the models that beat seasonal naive; auto = best per series by cross-validation')
        .choices(['auto', 'ensemble', 'prophet', 'mstl', 'ets', 'arima', 'naive'])
        .default('ensemble'),
    )
    .option('--regressor <column>', 'an extra numeric column of --data for Prophet (repeatable); rows after the last value (value empty) give its future', (v: string, prev: string[] | undefined) => [...(prev ?? []), v])
    .option('--events <file>', 'custom events for Prophet, like its playoffs example: columns holiday (or name), ds, optional lower_window, upper_window')
    .option('--components', 'put the history, fitted values, components and changepoints of every series in --json (by default: with up to 20 series)')
    .option('--holidays <country|auto|none>', 'public holidays: a country code (US, GB, ...), auto (the group when --by country, else config forecast.country) or none', 'auto')
    .option('--interval <width>', 'prediction interval width', '0.8')
    .option('--anomalies', 'flag history points far from a robust trend + season (merged into runs, with a severity), and groups that diverge from their peers')
    .option('--anomaly-level <p>', 'chance that a series of pure noise gets no anomaly (familywise; the threshold also rises above the series\' own extremes)', '0.99')
    .option('--backtest', 'rolling-origin backtest: MAE, RMSE, sMAPE, MAPE, MASE and coverage (vs the seasonal naive baseline)')
    .option('--folds <n>', 'rolling-origin folds for --model auto and --backtest', '5')
    .option('--no-calibrate', "keep the model's own intervals (default: conformal calibration from rolling-origin CV residuals, per horizon step)")
    .addOption(new Option('--transform <t>', 'fit on a transformed scale and back-transform (auto: sqrt for counts spanning more than a factor of 10)').choices(['auto', 'none', 'log', 'log1p', 'sqrt']).default('auto'))
    .addOption(new Option('--duplicates <how>', 'several values at one time: average, sum, or refuse').choices(['mean', 'sum', 'error']).default('mean'))
    .option('--out <file>', 'write the forecast table (.csv, .json) or its chart (.svg, .png, .html: history, fit, forecast and band, anomalies, holidays, components)')
    .option('--plot <file>', 'also write the chart: .svg, .png or .html (offline, with tooltips and zoom), e.g. next to --out forecast.csv')
    .option('--workers <n>', 'worker threads for many series (default: one per CPU)')
    .option('--no-chart', 'no terminal chart (one is drawn in an interactive terminal)')
    .option('--max-charts <n>', 'terminal charts drawn at most, the largest series first', '3')
    .addOption(new Option('--table <how>', 'summary: one row per group; full: one row per time step (default: summary with --by, else full)').choices(['summary', 'full']))
    .option('--wide', 'do not fit tables to the terminal width')
    .addHelpText(
      'after',
      `
Examples:
  $ statsig-hack forecast --data metrics.csv --time ds --value y --horizon 30
  $ statsig-hack forecast --data metrics.csv --by country --holidays auto --anomalies --out forecast.html
  $ statsig-hack forecast --data metrics.parquet --model auto --backtest --out forecast.csv
  $ statsig-hack forecast --metric dau --experiment-free --by country --json
  $ statsig-hack forecast --metric purchase --agg sum --horizon 14 --out revenue.png`,
    )
    .action(async (flags: ForecastFlags, cmd: Command) => {
      const ctx = await app.context(cmd);
      if (!flags.data && !flags.metric) throw new UsageError('forecast needs --data <file> or --metric <event>', { hint: 'see statsig-hack forecast --help' });
      if (flags.data && flags.metric) throw new UsageError('pass either --data or --metric, not both');
      if (flags.data && flags.agg) throw new UsageError('--agg applies to store mode (--metric), not to --data');
      if (flags.data && flags.experimentFree) throw new UsageError('--experiment-free applies to store mode (--metric), not to --data');
      const regressors = [...new Set(flags.regressor ?? [])];
      if (regressors.length > 0 && !flags.data) throw new UsageError('--regressor names columns of --data: it needs --data <file>', { hint: 'e.g. --data sales.csv --regressor price' });
      const eventsFile = flags.events ? path.resolve(ctx.cwd, flags.events) : undefined;
      const horizon = flags.horizon === undefined ? undefined : parseNumber('--horizon', flags.horizon, { min: 1, max: MAX_HORIZON, integer: true, example: 30 });
      const level = parseWidth('--interval', flags.interval, 0.8);
      const narrow = alphaLikeWidth(level);
      if (narrow) ctx.out.warn(narrow);
      const anomalyLevel = parseWidth('--anomaly-level', flags.anomalyLevel, 0.99);
      const maxCharts = parseNumber('--max-charts', flags.maxCharts, { min: 0, max: 1000, integer: true, example: 10 });
      const folds = parseNumber('--folds', flags.folds, { min: 1, max: 50, integer: true, example: 5 });
      const workers = flags.workers === undefined ? undefined : parseNumber('--workers', flags.workers, { min: 0, max: 64, integer: true, example: 2 });
      const holidays = flags.holidays.trim();
      if (!/^(auto|none|[A-Za-z]{2})$/i.test(holidays)) {
        throw new UsageError(`--holidays expects a two-letter country code, auto or none, got "${flags.holidays}"`, { hint: 'e.g. --holidays US' });
      }
      const { chartFormatOf } = await import('../charts/render.js');
      const outFile = flags.out ? path.resolve(ctx.cwd, flags.out) : undefined;
      if (outFile && !/\.(csv|json)$/i.test(outFile) && !chartFormatOf(outFile)) throw new UsageError(`--out must end in .csv, .json, .svg, .png or .html, got "${flags.out}"`, { hint: 'e.g. --out forecast.png (or forecast.csv for the table)' });
      const plotFile = flags.plot ? path.resolve(ctx.cwd, flags.plot) : undefined;
      if (plotFile && !chartFormatOf(plotFile)) throw new UsageError(`--plot must end in .svg, .png or .html, got "${flags.plot}"`, { hint: 'e.g. --plot forecast.png' });
      for (const f of [outFile, plotFile]) {
        if (f && !fs.existsSync(path.dirname(f))) throw new UserError(`the folder for ${f} does not exist`, { hint: 'create it first or choose another path', code: 'FORECAST_OUT_DIR' });
      }
      const pictures = [outFile, plotFile].filter((f): f is string => f !== undefined && chartFormatOf(f) !== null);
      const charts = flags.chart && ctx.interactive && !ctx.out.json;
      const request = {
        horizon,
        model: flags.model,
        level,
        folds,
        anomalies: Boolean(flags.anomalies),
        anomalyLevel,
        backtest: Boolean(flags.backtest),
        calibrate: flags.calibrate !== false,
        transform: flags.transform,
        holidays,
        defaultCountry: ctx.config.forecast?.country ?? null,
        freq: flags.freq,
        duplicates: flags.duplicates,
        includeHistory: pictures.length > 0 || charts || Boolean(flags.components) ? true : ctx.out.json ? ('auto' as const) : false,
        eventsFile,
        workers,
      };
      const progress = await ctx.progress();
      let started = false;
      const hooks = {
        onStart: (n: number) => {
          started = true;
          progress.start(`forecasting ${n.toLocaleString('en-US')} series`, n);
        },
        onProgress: (done: number, total: number) => progress.update(done, total),
      };
      const { Store } = await import('../store/store.js');
      const service = await import('../forecast/index.js');
      let result: ForecastResult;
      try {
        if (flags.data) {
          const store = await Store.memory({ migrate: false });
          try {
            result = await service.forecastFromFile(store, { file: path.resolve(ctx.cwd, flags.data), time: flags.time, value: flags.value, by: flags.by ?? null, regressors }, request, hooks);
          } finally {
            store.close();
          }
        } else {
          const store = await Store.open(ctx.settings.db.value, { readOnly: true });
          try {
            result = await service.forecastFromStore(store, { metric: flags.metric as string, agg: flags.agg, by: flags.by ?? null }, request, hooks);
          } finally {
            store.close();
          }
        }
      } finally {
        if (started) progress.stop();
      }
      for (const w of result.warnings) ctx.out.warn(w);

      const files: string[] = [];
      if (outFile && !chartFormatOf(outFile)) {
        if (/\.csv$/i.test(outFile)) fs.writeFileSync(outFile, service.forecastCsv(result));
        else fs.writeFileSync(outFile, `${JSON.stringify(service.forecastRows(result), null, 2)}\n`);
        files.push(outFile);
      }
      const { renderForecastText } = await import('../ui/chart.js');
      if (pictures.length > 0) {
        const { forecastSpecs, forecastTitle } = await import('../charts/forecast.js');
        const { renderChartFile } = await import('../charts/render.js');
        const metric = flags.data ? flags.value : undefined;
        for (const file of pictures) {
          const format = chartFormatOf(file) ?? 'svg';
          // One file: an SVG/PNG stacks at most 12 series, the largest first; the HTML page holds 50.
          const max = format === 'html' ? 50 : 12;
          if (result.series.length > max) ctx.out.warn(`${file}: ${max} of ${result.series.length} series drawn (the largest by forecast)`);
          const specs = forecastSpecs(result, { metric, max, interactive: format === 'html' });
          fs.writeFileSync(file, await renderChartFile(format, specs, { title: forecastTitle(result, { metric }) }));
          files.push(file);
        }
      }
      const json = { ...result, series: result.series.map(({ holiday_dates: _d, ...rest }) => rest), files };
      const { targetOf, paintOf } = await import('../ui/format.js');
      const target = targetOf(ctx.io.stdout, ctx.env, { wide: flags.wide, color: cmd.optsWithGlobals<GlobalOptions>().color });
      ctx.out.result(json, () =>
        renderForecastText(result, {
          charts,
          color: paintOf(target),
          width: Math.max(40, Math.min(100, (target.width ?? ctx.io.stdout.columns ?? 80) - 14)),
          columns: target.width,
          maxCharts,
          table: flags.table,
          files,
        }),
      );
    });
}
