import { Command, Option } from '../core/commander.js';
import type { App } from '../cli.js';
import type { CommandContext, GlobalOptions } from '../core/context.js';
import fs from 'node:fs';
import path from 'node:path';
import { UsageError, UserError, errorMessage } from '../core/errors.js';
import type { Decision, Guardrail } from '../stats/decision.js';
import { parseList, parseNumber, parseWeights } from '../core/options.js';
import { parsePercentileSpec } from '../stats/percentile.js';
import type { AnalysisMetric, Correction, DedupePolicy, Method, NonFinitePolicy, NullPolicy, ReadoutOptions, Tails } from '../engines/analyze.js';
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
    alpha: parseNumber('--alpha', flags.alpha, { min: 0, max: 0.5, exclusiveMin: true, exclusiveMax: true, example: 0.05 }),
    preDays: parseNumber('--pre-days', flags.preDays, { min: 1, max: 365, integer: true, example: 14 }),
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
  keepNa?: boolean;
  weights?: string;
  wide?: boolean;
  save: boolean;
  segments?: string;
  percentile?: string;
  bayesian?: boolean;
  priorMean: string;
  priorSd: string;
  sequential?: boolean;
  sequentialTuning: string;
  mde?: string;
  guardrails?: string;
  decide?: boolean;
  failOn?: string;
  format?: 'human' | 'markdown';
  summaryFile?: string;
  chart?: string;
}

const FAIL_ON = ['no-ship', 'keep-running', 'guardrail', 'srm'] as const;
type FailOn = (typeof FAIL_ON)[number];

/** --fail-on: the verdict says the CI step should fail. Exit code 3, after the result is written. */
export class VerdictGateError extends UserError {
  constructor(message: string, hint: string) {
    super(message, { hint, code: 'VERDICT_GATE', exitCode: 3 });
    this.name = 'VerdictGateError';
  }
}

/** Why --fail-on fails this decision, or null. */
export function gateFailure(decision: Decision, failOn: readonly FailOn[]): string | null {
  if (failOn.includes('srm') && !decision.srm_ok) return 'sample ratio mismatch';
  if (failOn.includes('guardrail') && decision.guardrail_failed) return 'a guardrail failed';
  if (failOn.includes('no-ship') && decision.verdict === 'do-not-ship') return 'the verdict is do not ship';
  if (failOn.includes('keep-running') && decision.verdict === 'keep-running') return 'the verdict is keep running';
  return null;
}

function parseFailOn(raw: string | undefined): FailOn[] {
  return parseList(raw).map((x) => {
    if (!(FAIL_ON as readonly string[]).includes(x)) throw new UsageError(`--fail-on takes ${FAIL_ON.join(', ')} (comma-separated), got "${x}"`, { hint: 'e.g. --fail-on no-ship,srm' });
    return x as FailOn;
  });
}

async function parseGuardrails(raw: string | undefined): Promise<Guardrail[]> {
  const list = parseList(raw);
  if (list.length === 0) return [];
  const { parseGuardrail } = await import('../stats/decision.js');
  return list.map((g) => {
    try {
      return parseGuardrail(g);
    } catch (error) {
      throw new UsageError(`--guardrails: ${errorMessage(error)}`, { hint: 'e.g. --guardrails latency:decrease:0.02,orders:increase' });
    }
  });
}

export function parseRatios(raw: string | undefined): AnalysisMetric[] {
  return parseList(raw).map((r) => {
    const m = /^([^/]+)\/([^/]+)$/.exec(r);
    if (!m) throw new UsageError(`--ratio expects numerator/denominator, got "${r}"`, { hint: 'e.g. --ratio orders/sessions' });
    return { name: r, kind: 'ratio' as const, num: (m[1] as string).trim(), den: (m[2] as string).trim() };
  });
}

export function parsePercentiles(raw: string | undefined): { metric: string; p: number }[] {
  return parseList(raw).map((r) => {
    const spec = parsePercentileSpec(r);
    if (!spec) throw new UsageError(`--percentile expects metric:p with 0 < p < 1, got "${r}"`, { hint: 'e.g. --percentile revenue:0.9 (the 90th percentile)' });
    return spec;
  });
}

/**
 * A relative MDE is a fraction (0.05 = 5%): 1 or more (100%+) is refused, with the fraction the
 * user most likely meant ("--mde 5" is 5%, i.e. 0.05). `absolute` names the flag for an absolute MDE.
 */
export function parseRelativeMde(raw: string, absolute?: string): number {
  const v = parseNumber('--mde', raw, { min: 0, exclusiveMin: true, example: 0.02 });
  if (v >= 1) {
    const pctText = `${v}% is ${v / 100}`;
    throw new UsageError(`--mde ${raw} would be a ${(v * 100).toLocaleString('en-US')}% lift: a relative MDE is a fraction`, { hint: `${pctText}: --mde ${v / 100}${absolute ? `, or pass ${absolute} to read --mde as an absolute difference` : ''}` });
  }
  return v;
}

/** --bayesian / --sequential and their settings, checked before any data is read. */
function readoutOptions(flags: AnalyzeFlags): ReadoutOptions {
  const out: ReadoutOptions = {};
  if (flags.bayesian) {
    const mean = parseNumber('--prior-mean', flags.priorMean, { min: -1, max: 10, example: 0 });
    const flat = flags.priorSd.trim().toLowerCase() === 'flat';
    const sd = flat ? null : parseNumber('--prior-sd', flags.priorSd, { min: 0, exclusiveMin: true, max: 100, example: 0.3 });
    out.bayesian = { prior: sd === null ? { mean, variance: 1, proper: false } : { mean, variance: sd * sd, proper: true } };
  }
  if (flags.mde !== undefined) out.mde = parseRelativeMde(flags.mde);
  if (flags.sequential) out.sequential = { tuning: parseNumber('--sequential-tuning', flags.sequentialTuning, { min: 1, example: 5000 }) };
  return out;
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
    .option('--keep-na', 'file mode: read NA, N/A, NULL and None in a CSV as text (default: missing, like an empty cell; e.g. a country column with NA for Namibia)')
    .option('--weights <group=w,...>', 'expected split for the SRM check (default: equal)')
    .option('--segments <columns>', 'effect per segment value of these columns (e.g. country,platform; store mode: user properties), CUPED/CUPAC inside each, Cochran\'s Q per column, BH across segments')
    .option('--percentile <metric:p>', 'percentile metric(s), comma-separated, e.g. revenue:0.9: the quantile difference with a density-based CI')
    .option('--pre-days <days>', 'store mode: days before first exposure used for pre-period covariates', '14')
    .option('--bayesian', 'add GrowthBook\'s Bayesian read-out on the relative lift: chance to beat control, expected loss (risk), credible interval')
    .option('--prior-mean <lift>', 'with --bayesian: prior mean of the relative lift', '0')
    .option('--prior-sd <sd|flat>', 'with --bayesian: prior sd of the relative lift, or "flat" for gbstats\' improper flat prior', '0.3')
    .option('--sequential', 'add always-valid (peeking-safe) confidence intervals and p-values, GrowthBook\'s confidence sequences')
    .option('--sequential-tuning <units>', 'with --sequential: the number of units (both arms) at which the intervals are tightest (gbstats N*)', '5000')
    .option('--mde <lift>', 'store mode: relative lift to plan the days-to-power (time saved by CUPAC) for, e.g. 0.02 (default: the observed lift)')
    .option('--guardrails <list>', 'guardrails, metric:direction[:margin],...: metrics that must not get worse (direction increase|decrease is good); a margin (e.g. 0.02 or 2%) makes it a one-sided non-inferiority test; implies --decide')
    .option('--decide', 'a ship / do not ship / keep running verdict with reasons (primary metrics, guardrails, SRM gate)')
    .option('--fail-on <conditions>', `exit with code 3 when the verdict says so: ${FAIL_ON.join(', ')} (comma-separated); implies --decide`)
    .addOption(new Option('--format <format>', 'output: human (default) or markdown (a summary for $GITHUB_STEP_SUMMARY or a PR comment); implies --decide').choices(['human', 'markdown']))
    .option('--summary-file <file>', 'append the markdown summary to this file (e.g. "$GITHUB_STEP_SUMMARY") instead of printing it; implies --decide')
    .option('--engine <name>', ENGINE_FLAG_HELP)
    .option('--wide', 'show every table column (raw estimates too), however wide the terminal')
    .option('--no-save', 'store mode: do not save the result as the experiment\'s scorecard (ask and explain read them)')
    .option('--chart <file>', 'also draw a forest plot of each metric\'s lift and CI, adjusted and unadjusted: .svg, .png or .html')
    .addHelpText(
      'after',
      `
Examples:
  $ statsig-hack analyze --data exp.csv --unit user_id --group variant --metric revenue,orders --covariates pre_revenue,country
  $ statsig-hack analyze --data exp.parquet --metric revenue --method cuped --covariates pre_revenue --json
  $ statsig-hack analyze --data exp.csv --ratio orders/sessions --correction holm
  $ statsig-hack analyze --experiment checkout_redesign --method cupac
  $ statsig-hack analyze --experiment checkout_redesign --sequential --bayesian
  $ statsig-hack analyze --experiment checkout_redesign --guardrails latency:decrease:0.02 --fail-on no-ship,srm --summary-file "$GITHUB_STEP_SUMMARY"`,
    )
    .action(async (flags: AnalyzeFlags, cmd: Command) => {
      const ctx = await app.context(cmd);
      if (!flags.data && !flags.experiment) throw new UsageError('analyze needs --data <file|table> or --experiment <name>', { hint: 'see statsig-hack analyze --help' });
      const source = sourceRequest(ctx, flags);
      const chart = (await import('../charts/render.js')).chartFileOption('--chart', flags.chart, ctx.cwd);
      const winsorize = flags.winsorize === undefined ? undefined : parseNumber('--winsorize', flags.winsorize, { min: 0.5, max: 1, exclusiveMax: true, example: 0.999 });
      const weights = parseWeights('--weights', flags.weights);
      const readouts = readoutOptions(flags);
      const guardrails = await parseGuardrails(flags.guardrails);
      const failOn = parseFailOn(flags.failOn);
      const markdown = flags.format === 'markdown' || flags.summaryFile !== undefined;
      if (flags.format === 'markdown' && flags.summaryFile === undefined && ctx.out.json) throw new UsageError('--format markdown and --json both want stdout', { hint: 'drop one, or write the markdown with --summary-file <file>' });
      if (flags.decide || guardrails.length > 0 || failOn.length > 0 || markdown) readouts.decide = { guardrails };
      // Guardrails are analysed with the metrics: added to an explicit --metric list (a/b as a ratio).
      const metricList = parseList(flags.metric);
      const ratioList = parseRatios(flags.ratio);
      const asked = new Set([...metricList, ...ratioList.map((x) => x.name)]);
      if (metricList.length > 0 || flags.data) {
        for (const g of guardrails) {
          if (metricList.includes(g.metric) || ratioList.some((x) => x.name === g.metric)) continue;
          if (flags.data && g.metric.includes('/')) ratioList.push(...parseRatios(g.metric));
          else metricList.push(g.metric);
        }
      }
      const { runAnalysis } = await import('../engines/run.js');
      const { addReadouts } = await import('../engines/analyze.js');
      const segments = parseList(flags.segments);
      const percentiles = parsePercentiles(flags.percentile);
      const steps = await (await import('../core/progress.js')).ttySteps(ctx, `analyzing ${flags.experiment ?? path.basename(flags.data as string)}`);
      const analysed = await steps.run(() => runAnalysis({
        ...source,
        onStep: (step) => steps.step(step),
        metrics: metricList,
        ratios: ratioList,
        tails: flags.tails,
        winsorize,
        correction: flags.correction,
        weights,
        nulls: flags.nulls,
        nonFinite: flags.nonFinite,
        dedupe: flags.dedupe,
        keepNa: flags.keepNa,
        segments,
        percentiles,
      }), `analyzed ${flags.experiment ?? path.basename(flags.data as string)}`).catch((error: unknown) => {
        // A guardrail's column that is not in the file: name --guardrails, not --metric.
        const g = error instanceof UserError && error.code === 'UNKNOWN_COLUMN' ? guardrails.find((x) => !asked.has(x.metric) && error.message.includes(`"${x.metric}"`)) : undefined;
        if (!g || !(error instanceof UserError)) throw error;
        throw new UserError(`guardrail ${error.message}`, { hint: (error.hint ?? '').replace(/name the metric column with --metric/, 'fix the name in --guardrails'), code: 'UNKNOWN_GUARDRAIL', exitCode: 2 });
      });
      const result = addReadouts(analysed, readouts);
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
      if (chart) {
        const { writeChartFile } = await import('../charts/render.js');
        await writeChartFile(chart, [(await import('../charts/analyze.js')).forestSpec(r, { interactive: chart.format === 'html' })], { title: `analyze: ${r.experiment ?? 'lift by metric'}` });
        ctx.out.success(`wrote ${chart.file}`);
      }
      const { renderDecision, renderMarkdown } = await import('../ui/analyze.js');
      if (markdown && flags.summaryFile === undefined) {
        ctx.out.result(r, () => renderMarkdown(r));
      } else {
        ctx.out.result(r, () => [renderAnalyze(r, target), ...(r.decision ? ['', renderDecision(r, target)] : [])].join('\n'));
        if (flags.summaryFile !== undefined) {
          const file = path.resolve(ctx.cwd, flags.summaryFile);
          try {
            fs.appendFileSync(file, `${renderMarkdown(r)}\n`);
          } catch (error) {
            throw new UserError(`could not write the summary to ${flags.summaryFile}: ${errorMessage(error)}`, { hint: 'pass a writable file path to --summary-file', code: 'SUMMARY_FILE' });
          }
        }
      }
      const failed = r.decision ? gateFailure(r.decision, failOn) : null;
      if (failed) throw new VerdictGateError(`${failed} (--fail-on ${failOn.join(',')})`, `verdict: ${r.decision?.verdict ?? ''}; ${ctx.out.json ? 'the reasons are in the JSON under decision.reasons' : 'see the reasons above'}`);
    });
}
