import path from 'node:path';
import { Command, Option } from '../core/commander.js';
import type { App } from '../core/context.js';
import { UsageError } from '../core/errors.js';
import { parseNumber } from '../core/options.js';
import type { MapAgg } from '../charts/map-service.js';

interface MapFlags {
  metric?: string;
  by: 'country' | 'region';
  country?: string;
  agg?: MapAgg;
  period?: string;
  experiment?: string;
  variant?: string;
  control?: string;
  alpha: string;
  buckets: string;
  classes: 'equal' | 'quantile';
  width: string;
  title?: string;
  out?: string;
}

export function mapCommand(app: App): Command {
  return new Command('map')
    .description('a choropleth world map (or US states) of a metric by country, or of an experiment\'s lift per country')
    .option('--metric <event|metric|dau>', 'the event to map, a stored sum/mean/count metric, or dau for daily active units')
    .addOption(new Option('--by <place>', 'countries on a world map, or regions (US states)').choices(['country', 'region']).default('country'))
    .option('--country <code>', 'with --by region: the country whose regions are drawn (US)')
    .addOption(new Option('--agg <agg>', 'count events (default), sum their values, or the mean value per event').choices(['count', 'sum', 'mean']))
    .option('--period <from..to>', 'only events in this period, e.g. 2026-10-01..2026-10-31 (whole days)')
    .option('--experiment <name>', "map the lift of --variant over control in this experiment's exposed units")
    .option('--variant <group>', 'with --experiment: the variant (default: the only one)')
    .option('--control <group>', "with --experiment: the control group (default: the experiment's control)")
    .option('--alpha <alpha>', 'with --experiment: significance level; countries whose CI includes 0 are hatched', '0.05')
    .option('--buckets <n>', 'colour buckets, 3 to 7', '6')
    .addOption(new Option('--classes <how>', 'bucket breaks: equal widths, or quantiles (about as many places in each; values only)').choices(['equal', 'quantile']).default('equal'))
    .option('--width <px>', 'picture width in pixels', '960')
    .option('--title <text>', 'title instead of the one made from the metric')
    .option('--out <file>', 'write the map: .svg, .png or .html (self-contained; pans, zooms, hover for values)')
    .addHelpText(
      'after',
      `
Places join on ISO alpha-2, alpha-3, numeric codes or English names (US states: postal code,
FIPS or name); codes that match no shape are listed.

Examples:
  $ statsig-hack map --metric dau --out dau.png
  $ statsig-hack map --metric dau --classes quantile --width 800 --out dau.png
  $ statsig-hack map --metric purchase --agg sum --period 2026-10-01..2026-10-31 --out revenue.html
  $ statsig-hack map --metric purchase --experiment checkout_redesign --variant treatment --out lift.svg
  $ statsig-hack map --metric dau --by region --country US --out states.png --json`,
    )
    .action(async (flags: MapFlags, cmd: Command) => {
      const ctx = await app.context(cmd);
      if (!flags.metric) throw new UsageError('map needs --metric <event|dau>', { hint: 'e.g. statsig-hack map --metric dau --out map.png' });
      if (flags.country !== undefined && flags.by !== 'region') throw new UsageError('--country only applies with --by region', { hint: 'e.g. --by region --country US' });
      const { parsePeriod } = await import('../stats/whatchanged/period.js');
      const { mapData, mapFormatOf, writeMap } = await import('../charts/map-service.js');
      const query = {
        metric: flags.metric,
        agg: flags.agg,
        by: flags.by,
        country: flags.country,
        period: flags.period === undefined ? undefined : parsePeriod('--period', flags.period),
        experiment: flags.experiment,
        variant: flags.variant,
        control: flags.control,
        alpha: parseNumber('--alpha', flags.alpha, { min: 0, max: 0.5, exclusiveMin: true, exclusiveMax: true, example: 0.05 }),
      };
      const draw = {
        buckets: parseNumber('--buckets', flags.buckets, { min: 3, max: 7, integer: true, example: 5 }),
        width: parseNumber('--width', flags.width, { min: 200, max: 8000, integer: true, example: 1200 }),
        title: flags.title,
        classes: flags.classes,
      };
      const file = flags.out === undefined ? undefined : path.resolve(ctx.cwd, flags.out);
      if (file !== undefined) mapFormatOf(file);
      const { Store } = await import('../store/store.js');
      const store = await Store.open(ctx.settings.db.value, { readOnly: true });
      try {
        const result = file === undefined ? await mapData(store, query) : await writeMap(store, query, file, draw);
        const { renderMap } = await import('../ui/map.js');
        const { targetOf } = await import('../ui/format.js');
        ctx.out.result(result, () => renderMap(result, targetOf(ctx.io.stdout, ctx.env), ctx.cwd));
      } finally {
        store.close();
      }
    });
}
