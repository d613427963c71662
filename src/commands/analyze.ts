import fs from 'node:fs';
import path from 'node:path';
import { Command, Option } from 'commander';
import type { App } from '../cli.js';
import { UsageError, UserError } from '../core/errors.js';
import { parseList, parseNumber, parseWeights } from '../core/options.js';
import type { AnalysisMetric, AnalyzeOptions, Correction, Method, NullPolicy, Tails } from '../stats/analyze.js';

interface AnalyzeFlags {
  data?: string;
  experiment?: string;
  unit: string;
  group: string;
  control?: string;
  metric?: string;
  ratio?: string;
  covariates?: string;
  method?: Method;
  alpha: string;
  tails: Tails;
  winsorize?: string;
  correction: Correction;
  nulls?: NullPolicy;
  weights?: string;
  preDays: string;
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
    .option('--winsorize <quantile>', 'cap metric values at this quantile (computed in SQL), e.g. 0.999')
    .addOption(new Option('--correction <how>', 'multiple-comparison correction across metrics x variants').choices(['none', 'holm', 'bh']).default('none'))
    .addOption(new Option('--nulls <policy>', 'NULL metric values: zero or drop (default: zero for sums/counts, drop for means)').choices(['zero', 'drop']))
    .option('--weights <group=w,...>', 'expected split for the SRM check (default: equal)')
    .option('--pre-days <days>', 'store mode: days before first exposure used for pre-period covariates', '14')
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
      if (flags.data && flags.experiment) throw new UsageError('pass either --data or --experiment, not both');
      const alpha = parseNumber('--alpha', flags.alpha, { min: 0, max: 0.5, exclusiveMin: true, exclusiveMax: true });
      const winsorize = flags.winsorize === undefined ? undefined : parseNumber('--winsorize', flags.winsorize, { min: 0.5, max: 1, exclusiveMax: true });
      const preDays = parseNumber('--pre-days', flags.preDays, { min: 1, max: 365, integer: true });
      const weights = parseWeights('--weights', flags.weights);
      const { Store } = await import('../store/store.js');
      const { analyze } = await import('../stats/analyze.js');
      const { renderAnalyze } = await import('../ui/analyze.js');
      const common = {
        control: flags.control,
        method: flags.method,
        alpha,
        tails: flags.tails,
        winsorize,
        correction: flags.correction,
        weights,
      };
      let result;
      if (flags.data) {
        const file = path.resolve(ctx.cwd, flags.data);
        const isFile = fs.existsSync(file) || /\.(csv|tsv|parquet|pq|json|jsonl|ndjson)$/i.test(flags.data);
        const metrics: AnalysisMetric[] = [
          ...parseList(flags.metric).map((m) => ({ name: m, kind: 'value' as const, column: m })),
          ...parseRatios(flags.ratio),
        ];
        let store;
        let relation: string;
        if (isFile) {
          const { describeFile } = await import('../store/import.js');
          store = await Store.memory({ migrate: false });
          const { reader } = await describeFile(store, file);
          await store.run(`CREATE TEMP TABLE __data AS SELECT * FROM ${reader}`);
          relation = '__data';
        } else {
          store = await Store.open(ctx.settings.db.value, { readOnly: true });
          const exists = await store.all(`SELECT 1 FROM information_schema.tables WHERE table_name = $1`, [flags.data]);
          if (exists.length === 0) {
            store.close();
            throw new UserError(`--data ${flags.data}: no such file, and no such table in the project store`, { hint: 'pass a path to a CSV/Parquet/JSON file or a table name (`statsig-hack status` lists them)', code: 'FILE_NOT_FOUND' });
          }
          const { quoteIdent } = await import('../store/store.js');
          relation = quoteIdent(flags.data);
        }
        try {
          const covs = parseList(flags.covariates);
          // CUPED with no covariates: use pre_<metric> when the data has it.
          const { describeRelation } = await import('../stats/profile.js');
          const cols = (await describeRelation(store, relation)).map((c) => c.name);
          const withPre = metrics.map((m) => (m.kind === 'value' && covs.length === 0 && flags.method === 'cuped' && cols.includes(`pre_${m.column}`) ? { ...m, covariates: [`pre_${m.column}`] } : m));
          const opts: AnalyzeOptions = {
            ...common,
            relation,
            source: flags.data,
            experiment: null,
            unit: flags.unit,
            group: flags.group,
            metrics: withPre,
            covariates: covs,
            defaultNulls: flags.nulls ?? 'zero',
          };
          result = await analyze(store, opts);
        } finally {
          store.close();
        }
      } else {
        const { analyzeExperiment } = await import('../stats/experiment.js');
        const store = await Store.open(ctx.settings.db.value, { readOnly: true });
        try {
          result = await analyzeExperiment(store, {
            ...common,
            experiment: flags.experiment as string,
            metrics: parseList(flags.metric),
            ratios: parseRatios(flags.ratio),
            covariates: parseList(flags.covariates),
            preDays,
            nulls: flags.nulls,
          });
        } finally {
          store.close();
        }
      }
      const r = result;
      ctx.out.result(r, () => renderAnalyze(r));
    });
}
