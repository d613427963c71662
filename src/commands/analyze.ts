import { Command, Option } from '../core/commander.js';
import type { App } from '../cli.js';
import type { CommandContext, GlobalOptions } from '../core/context.js';
import { UsageError, errorMessage } from '../core/errors.js';
import { parseList, parseNumber, parseWeights } from '../core/options.js';
import type { AnalysisMetric, Correction, DedupePolicy, Method, NonFinitePolicy, NullPolicy, Tails } from '../engines/analyze.js';
import { chooseEngine, ENGINE_FLAG_HELP } from '../engines/open.js';

/** The flags that say where the units come from and how to adjust; analyze and power share them. */
export interface SourceFlags {
  data?: string;
  experiment?: string;
  unit: string;
  group: string;
  control?: string;
  covariates?: string;
  method?: Method;
  alpha: string;
  preDays: string;
  engine?: string;
}

/** Checks the shared flags and turns them into the source part of an analysis request. */
export function sourceRequest(ctx: CommandContext, flags: SourceFlags) {
  if (flags.data && flags.experiment) throw new UsageError('pass either --data or --experiment, not both');
  return {
    cwd: ctx.cwd,
    db: ctx.settings.db.value,
    data: flags.data,
    experiment: flags.experiment,
    unit: flags.unit,
    group: flags.group,
    control: flags.control,
    method: flags.method,
    covariates: parseList(flags.covariates),
    alpha: parseNumber('--alpha', flags.alpha, { min: 0, max: 0.5, exclusiveMin: true, exclusiveMax: true }),
    preDays: parseNumber('--pre-days', flags.preDays, { min: 1, max: 365, integer: true }),
    engine: chooseEngine(flags.engine ?? ctx.env.STATSIG_HACK_ENGINE, ctx.config, ctx.env),
  };
}

interface AnalyzeFlags extends SourceFlags {
  metric?: string;
  ratio?: string;
  tails: Tails;
  winsorize?: string;
  correction: Correction;
  nulls?: NullPolicy;
  nonFinite?: NonFinitePolicy;
  dedupe?: DedupePolicy;
  weights?: string;
  wide?: boolean;
  save: boolean;
}

export function parseRatios(raw: string | undefined): AnalysisMetric[] {
  return parseList(raw).map((r) => {
    const m = /^([^/]+)\/([^/]+)$/.exec(r);
    if (!m) throw new UsageError(`--ratio expects numerator/denominator, got "${r}"`, { hint: 'e.g. --ratio orders/sessions' });
    return { name: r, kind: 'ratio' as const, num: (m[1] as string).trim(), den: (m[2] as string).trim() };
  });
}

export function analyzeCommand(app: App): Command {
  return new Command('analyze')
    .description('experiment results with CUPED / CUPAC variance reduction, computed in DuckDB')
    .option('--data <file|table>', 'unit-level data: a CSV/Parquet/JSON file, or a table in the project store')
    .option('--experiment <name>', 'an experiment in the project store (exposures + events)')
    .option('--unit <column>', 'unit id column (file/table mode)', 'unit_id')
    .option('--group <column>', 'variant column (file/table mode)', 'group')
    .option('--control <name>', 'control group name (default: the group named "control")')
    .option('--metric <columns>', 'metric column(s), comma-separated (store mode: metric names; default: the experiment\'s metrics)')
    .option('--ratio <num/den>', 'ratio metric(s) by the delta method, comma-separated, e.g. orders/sessions')
    .option('--covariates <columns>', 'pre-experiment covariates, comma-separated (numeric or categorical)')
    .addOption(new Option('--method <method>', 'variance reduction (default: cupac when covariates exist, else none)').choices(['none', 'cuped', 'cupac']))
    .option('--alpha <alpha>', 'significance level', '0.05')
    .addOption(new Option('--tails <tails>', 'alternative hypothesis').choices(['two', 'greater', 'less']).default('two'))
    .option('--winsorize <quantile>', 'cap metric values (and each ratio numerator and denominator) at this quantile of the column, computed in SQL, e.g. 0.999')
    .addOption(new Option('--correction <how>', 'multiple-comparison correction across metrics x variants').choices(['none', 'holm', 'bh']).default('none'))
    .addOption(new Option('--nulls <policy>', 'NULL metric values: zero (default: a unit with no value counts as 0) or drop (left out of that metric)').choices(['zero', 'drop']))
    .addOption(new Option('--non-finite <policy>', 'NaN / Infinity in metrics and covariates: error (default) or null (treated as missing, then --nulls applies)').choices(['error', 'null']))
    .addOption(new Option('--dedupe <how>', 'units with several rows or in several groups: first (keep each unit\'s first row) or exclude (drop them); default: warn').choices(['first', 'exclude']))
    .option('--weights <group=w,...>', 'expected split for the SRM check (default: equal)')
    .option('--pre-days <days>', 'store mode: days before first exposure used for pre-period covariates', '14')
    .option('--engine <name>', ENGINE_FLAG_HELP)
    .option('--wide', 'show every table column (raw estimates too), however wide the terminal')
    .option('--no-save', 'store mode: do not save the result as the experiment\'s scorecard (ask and explain read them)')
    .addHelpText(
      'after',
      `
Examples:
  $ statsig-hack analyze --data exp.csv --unit user_id --group variant --metric revenue,orders --covariates pre_revenue,country
  $ statsig-hack analyze --data exp.parquet --metric revenue --method cuped --covariates pre_revenue --json
  $ statsig-hack analyze --data exp.csv --ratio orders/sessions --correction holm
  $ statsig-hack analyze --experiment checkout_redesign --method cupac`,
    )
    .action(async (flags: AnalyzeFlags, cmd: Command) => {
      const ctx = await app.context(cmd);
      if (!flags.data && !flags.experiment) throw new UsageError('analyze needs --data <file|table> or --experiment <name>', { hint: 'see statsig-hack analyze --help' });
      const source = sourceRequest(ctx, flags);
      const winsorize = flags.winsorize === undefined ? undefined : parseNumber('--winsorize', flags.winsorize, { min: 0.5, max: 1, exclusiveMax: true });
      const weights = parseWeights('--weights', flags.weights);
      const { runAnalysis } = await import('../engines/run.js');
      const result = await runAnalysis({
        ...source,
        metrics: parseList(flags.metric),
        ratios: parseRatios(flags.ratio),
        tails: flags.tails,
        winsorize,
        correction: flags.correction,
        weights,
        nulls: flags.nulls,
        nonFinite: flags.nonFinite,
        dedupe: flags.dedupe,
      });
      const { renderAnalyze } = await import('../ui/analyze.js');
      const { targetOf } = await import('../ui/format.js');
      const target = targetOf(ctx.io.stdout, ctx.env, { wide: flags.wide, color: cmd.optsWithGlobals<GlobalOptions>().color });
      const r = result;
      if (flags.experiment && flags.save) {
        // A store that cannot be written (read-only file, another process) still gets its analysis.
        const saved = await (await import('../ask/scorecards.js')).saveScorecardsTo(source.db, r).catch((error: unknown) => ctx.out.warn(`the result was not saved as a scorecard: ${errorMessage(error)}`));
        if (typeof saved === 'number') ctx.out.debug(`saved ${saved} scorecard rows`);
      }
      for (const n of r.notes) ctx.out.debug(n);
      ctx.out.result(r, () => renderAnalyze(r, target));
    });
}
