import path from 'node:path';
import { Command, Option } from '../core/commander.js';
import type { App } from '../cli.js';
import { UsageError } from '../core/errors.js';
import { chooseEngine, engineTables, ENGINE_FLAG_HELP, openEngine } from '../engines/open.js';
import { parseList, parseNumber } from '../core/options.js';
import type { Engine } from '../engines/engine.js';
import type { Agg, EngineTarget, WhatChangedOptions } from '../engines/whatchanged/index.js';

interface WhatChangedFlags {
  metric?: string;
  agg?: Agg;
  baseline?: string;
  current?: string;
  dimensions?: string;
  experiment?: string;
  where?: string;
  top: string;
  maxValues: string;
  percentiles?: boolean;
  alpha: string;
  data?: string;
  time?: string;
  value?: string;
  unit?: string;
  maxDimensions: string;
  nonFinite?: 'error' | 'null';
  all?: boolean;
  wide?: boolean;
  chart?: string;
  engine?: string;
}

export function whatchangedCommand(app: App): Command {
  return new Command('whatchanged')
    .description('drill into a metric that moved: which segments drove the change, and whether by size or behaviour')
    .option('--metric <name>', 'the event (or metric) to explain; with --data, a label for the value')
    .addOption(new Option('--agg <agg>', 'count events, sum their values, or the mean value per event (default: count; with --data and a value column: sum)').choices(['count', 'sum', 'mean']))
    .option('--baseline <from..to>', 'baseline period, e.g. 2026-10-01..2026-10-07 (whole days; default: the 7 days before --current)')
    .option('--current <from..to>', 'current period (default: the last 7 days of data)')
    .option('--dimensions <list|auto>', 'dimensions to drill into, comma-separated, or auto', 'auto')
    .option('--experiment <name>', "add an experiment's groups as a dimension (store)")
    .option('--where <sql>', "only events matching this SQL condition, e.g. \"plan = 'pro'\"")
    .option('--max-dimensions <n>', 'with --dimensions auto: drill into at most n dimensions, fewest distinct values first', '20')
    .option('--top <n>', 'values shown per dimension, and 2-D cells kept', '10')
    .option('--max-values <n>', 'values kept per dimension; the rest are grouped as "(other)"', '50')
    .option('--percentiles', 'also compare p10..p99 of the per-unit metric')
    .option('--all', 'print the dimension tables even when nothing moved beyond noise (they are shown whenever there is something to explain)')
    .option('--wide', 'show every table column, however wide the terminal')
    .option('--chart <file>', 'also draw a waterfall of the segments\' parts of the change for the top dimensions: .svg, .png or .html')
    .option('--alpha <alpha>', 'significance level (segments: Benjamini-Hochberg)', '0.05')
    .addOption(new Option('--non-finite <policy>', 'NaN / Infinity in the value column: error (default) or null (leave those rows out)').choices(['error', 'null']))
    .option('--data <file>', 'read events from a CSV/Parquet/JSON file instead of the project store')
    .option('--time <column>', 'with --data: the time column (default: ts/time/date or the first timestamp column)')
    .option('--value <column>', 'with --data: the value column (default: value)')
    .option('--unit <column>', 'with --data: the unit id column (default: unit_id; without one, each row is a unit)')
    .option('--engine <name>', `${ENGINE_FLAG_HELP}; a warehouse reads config engine.tables (events, users, exposures), --data files stay in DuckDB`)
    .addHelpText(
      'after',
      `
Store dimensions: country, platform, plan, channel, cohort (signup week), tenure, attribute keys,
experiment:<name>. With --data, any column. NULL values show as "(none)".

Examples:
  $ statsig-hack whatchanged --metric purchase --baseline 2026-10-01..2026-10-07 --current 2026-10-08..2026-10-14
  $ statsig-hack whatchanged --metric purchase --agg sum --dimensions country,platform --experiment checkout_redesign
  $ statsig-hack whatchanged --metric "avg order value" --agg mean --percentiles --json
  $ statsig-hack whatchanged --data events.parquet --time ts --value amount --agg sum --dimensions country,device`,
    )
    .action(async (flags: WhatChangedFlags, cmd: Command) => {
      const ctx = await app.context(cmd);
      const choice = chooseEngine(flags.engine ?? ctx.env.STATSIG_HACK_ENGINE, ctx.config, ctx.env);
      // A file is read in DuckDB even when the config names a warehouse; asking for one with a file is an error.
      if (choice && flags.data && choice.explicit) {
        throw new UsageError(`--data ${flags.data} is a file: files are read in DuckDB, the ${choice.type} engine reads its events table`, {
          hint: 'drop --engine to drill into the file, or drop --data to read the events table (config engine.tables.events)',
        });
      }
      const warehouse = choice && !flags.data ? choice : null;
      if (!flags.data) {
        for (const f of ['time', 'value', 'unit'] as const) {
          if (flags[f] !== undefined) throw new UsageError(`--${f} only applies with --data <file>`, { hint: 'the project store has fixed columns (ts, value, unit_id)' });
        }
      }
      const chart = (await import('../charts/render.js')).chartFileOption('--chart', flags.chart, ctx.cwd);
      const { parsePeriod, whatChanged } = await import('../engines/whatchanged/index.js');
      const dims = (flags.dimensions ?? 'auto').trim();
      const options: WhatChangedOptions = {
        metric: (flags.metric ?? '').trim(),
        agg: flags.agg,
        baseline: flags.baseline !== undefined ? parsePeriod('--baseline', flags.baseline) : undefined,
        current: flags.current !== undefined ? parsePeriod('--current', flags.current) : undefined,
        dimensions: dims === 'auto' ? 'auto' : parseList(dims),
        experiment: flags.experiment,
        where: flags.where,
        top: parseNumber('--top', flags.top, { min: 1, integer: true, example: 5 }),
        maxValues: parseNumber('--max-values', flags.maxValues, { min: 1, integer: true, example: 50 }),
        percentiles: Boolean(flags.percentiles),
        nonFinite: flags.nonFinite,
        maxDimensions: parseNumber('--max-dimensions', flags.maxDimensions, { min: 1, max: 100, integer: true, example: 20 }),
        alpha: parseNumber('--alpha', flags.alpha, { min: 0, max: 0.5, exclusiveMin: true, exclusiveMax: true, example: 0.05 }),
      };
      if (Array.isArray(options.dimensions) && options.dimensions.length === 0) {
        throw new UsageError('--dimensions is empty', { hint: 'name some, e.g. --dimensions country,platform, or use --dimensions auto' });
      }
      const { Store } = await import('../store/store.js');
      const { renderWhatChanged } = await import('../ui/whatchanged.js');
      const { targetOf } = await import('../ui/format.js');
      let store;
      if (flags.data) {
        const { describeFile } = await import('../store/import.js');
        const file = path.resolve(ctx.cwd, flags.data);
        store = await Store.memory({ migrate: false });
        try {
          const { reader } = await describeFile(store, file, { wideAsText: true });
          // Parquet is columnar and read in place; CSV and JSON are parsed once into memory, keeping only the columns in use.
          const materialize = !reader.startsWith('read_parquet(');
          options.data = { relation: reader, source: path.basename(file), time: flags.time, value: flags.value, unit: flags.unit, materialize };
          if (!options.metric) options.metric = flags.value ?? 'rows';
        } catch (error) {
          store.close();
          throw error;
        }
      } else {
        store = await Store.open(ctx.settings.db.value, { readOnly: true });
      }
      let engine: Engine | null = null;
      try {
        let on: EngineTarget | undefined;
        if (warehouse) {
          engine = await openEngine(warehouse);
          on = { engine, tables: engineTables(warehouse.settings) };
        }
        const result = await whatChanged(store, options, on);
        for (const n of result.notices) ctx.out.warn(n);
        // Notices about the dimension tables precede them when they are shown; when the verdict is
        // the whole answer (nothing moved, no --all) they follow it as a note instead of leading.
        const { hasSomethingToExplain } = await import('../ui/whatchanged.js');
        const tablesShown = ctx.out.json || Boolean(flags.all) || hasSomethingToExplain(result);
        if (tablesShown) for (const n of result.table_notices) ctx.out.warn(n);
        if (chart) {
          const specs = (await import('../charts/whatchanged.js')).whatChangedSpecs(result, { interactive: chart.format === 'html' });
          if (specs.length === 0) ctx.out.warn(`no chart written: ${chart.file} needs a total and at least one dimension`);
          else {
            await (await import('../charts/render.js')).writeChartFile(chart, specs, { title: `whatchanged: ${result.metric}` });
            ctx.out.success(`wrote ${chart.file}`);
          }
        }
        ctx.out.result(result, () => renderWhatChanged(result, { all: Boolean(flags.all), target: targetOf(ctx.io.stdout, ctx.env, { wide: flags.wide }) }));
        if (!tablesShown) for (const n of result.table_notices) ctx.out.info(`note (tables not shown): ${n}`);
      } finally {
        await engine?.close();
        store.close();
      }
    });
}
