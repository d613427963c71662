import { Command, Option } from '../core/commander.js';
import type { App } from '../cli.js';
import { UsageError, UserError } from '../core/errors.js';
import { parseNumber } from '../core/options.js';
import { parseRelativeMde, sourceRequest, type SourceFlags } from './analyze.js';
import { ENGINE_FLAG_HELP } from '../engines/open.js';
import { int, num, targetOf, wrap } from '../ui/format.js';
import type { GlobalOptions } from '../core/context.js';
import type { PowerChartInput } from '../charts/power.js';

interface PowerFlags extends SourceFlags {
  metric: string;
  mde?: string;
  absolute?: boolean;
  n?: string;
  power: string;
  tails: 'two' | 'one' | 'greater' | 'less';
  arms: string;
  variance?: string;
  mean?: string;
  varianceReduction?: string;
  chart?: string;
}

export function powerCommand(app: App): Command {
  return new Command('power')
    .description('sample size or minimum detectable effect, with and without the measured CUPED/CUPAC variance reduction')
    .requiredOption('--metric <name>', 'the metric (a column with --data, a metric name with --experiment)')
    .option('--mde <effect>', 'minimum detectable effect: relative (0.02 = 2%), or absolute with --absolute')
    .option('--absolute', 'read --mde as an absolute difference')
    .option('--n <units>', 'units per arm: report the MDE for this sample instead of a sample size')
    .option('--data <file|table>', 'measure variance, mean and variance reduction from unit-level data')
    .option('--experiment <name>', 'measure them from an experiment in the project store')
    .option('--unit <column>', 'unit id column (file/table mode)', 'unit_id')
    .option('--group <column>', 'variant column (file/table mode)', 'group')
    .option('--control <name>', 'control group name')
    .option('--covariates <columns>', 'covariates for the variance reduction, comma-separated')
    .addOption(new Option('--method <method>', 'variance reduction to measure').choices(['none', 'cuped', 'cupac']))
    .option('--variance <v>', 'per-unit variance, when there is no data to measure it from')
    .option('--mean <m>', 'baseline mean, when there is no data (needed for relative MDEs)')
    .option('--variance-reduction <vr>', 'expected variance reduction in [0, 1), when there is no data')
    .option('--alpha <alpha>', 'significance level', '0.05')
    .option('--power <power>', 'statistical power', '0.8')
    .addOption(new Option('--tails <tails>', 'two- or one-sided test: two, greater or less (as analyze --tails; one = either one-sided direction, the same sample size)').choices(['two', 'greater', 'less', 'one']).default('two'))
    .option('--arms <k>', 'number of arms including control (for the total)', '2')
    .option('--pre-days <days>', 'store mode: pre-period days for covariates', '14')
    .option('--chart <file>', 'also draw the power curve with and without the variance reduction: .svg, .png or .html')
    .option('--engine <name>', ENGINE_FLAG_HELP)
    .addHelpText(
      'after',
      `
Examples:
  $ statsig-hack power --metric revenue --mde 0.02 --data exp.csv --unit user_id --group variant --covariates pre_revenue
  $ statsig-hack power --metric revenue --n 50000 --experiment checkout_redesign
  $ statsig-hack power --metric revenue --mde 0.5 --absolute --variance 400 --mean 20 --variance-reduction 0.4`,
    )
    .action(async (flags: PowerFlags, cmd: Command) => {
      const ctx = await app.context(cmd);
      const { width } = targetOf(ctx.io.stdout, ctx.env, { color: cmd.optsWithGlobals<GlobalOptions>().color });
      if ((flags.mde === undefined) === (flags.n === undefined)) throw new UsageError('power needs exactly one of --mde (for a sample size) or --n (for an MDE)', { hint: 'e.g. --mde 0.02 or --n 50000' });
      const source = sourceRequest(ctx, flags);
      const chart = (await import('../charts/render.js')).chartFileOption('--chart', flags.chart, ctx.cwd);
      const alpha = source.alpha;
      const power = parseNumber('--power', flags.power, { min: 0, max: 1, exclusiveMin: true, exclusiveMax: true, example: 0.8 });
      const arms = parseNumber('--arms', flags.arms, { min: 2, integer: true, example: 2 });
      // checked before any data is read
      const mdeValue = flags.mde === undefined ? undefined : flags.absolute ? parseNumber('--mde', flags.mde, { min: 0, exclusiveMin: true, example: 0.02 }) : parseRelativeMde(flags.mde, '--absolute');
      let variance: number;
      let mean: number | undefined;
      let vr: number;
      let measured: Record<string, unknown> | null = null;
      if (flags.data || flags.experiment) {
        const { runAnalysis } = await import('../engines/run.js');
        const steps = await (await import('../core/progress.js')).ttySteps(ctx, `measuring ${flags.metric}`);
        const res = await steps.run(() => runAnalysis({ ...source, metrics: [flags.metric], ratios: [], tails: 'two', correction: 'none', onStep: (step) => steps.step(step) }), `measured ${flags.metric}`);
        const r = res.results[0];
        if (!r || r.unadjusted.diff_se === null) throw new UserError(`could not measure the variance of ${flags.metric}`, { code: 'NO_VARIANCE' });
        // Per-unit variance implied by the unadjusted standard error of the difference.
        variance = (r.unadjusted.diff_se * r.unadjusted.diff_se) / (1 / r.n_control + 1 / r.n_test);
        mean = r.unadjusted.control_mean ?? undefined;
        vr = Math.max(0, r.variance_reduction ?? 0);
        measured = { source: flags.data ?? `experiment ${flags.experiment ?? ''}`, method: r.method, covariates: r.covariates, n_control: r.n_control, n_test: r.n_test };
      } else {
        if (flags.variance === undefined) throw new UsageError('power needs --data, --experiment or --variance', { hint: 'measure from data with --data exp.csv, or give --variance (and --mean for a relative MDE)' });
        variance = parseNumber('--variance', flags.variance, { min: 0, exclusiveMin: true, example: 400 });
        mean = flags.mean === undefined ? undefined : parseNumber('--mean', flags.mean, { example: 20 });
        vr = flags.varianceReduction === undefined ? 0 : parseNumber('--variance-reduction', flags.varianceReduction, { min: 0, max: 1, exclusiveMax: true, example: 0.3 });
      }
      const { sampleSize, minimumDetectableEffect } = await import('../stats/power.js');
      const { StatsInputError } = await import('../stats/moments.js');
      // greater and less need the same sample size: the power maths knows only two- or one-sided.
      const tails: 'two' | 'one' = flags.tails === 'two' ? 'two' : 'one';
      const base = { variance, ...(mean !== undefined ? { mean } : {}), alpha, power, tails, varianceReduction: Math.min(vr, 0.999), arms };
      const draw = async (question: Pick<PowerChartInput, 'sampleSize' | 'mde'>): Promise<void> => {
        if (!chart) return;
        const method = measured ? String(measured.method).toUpperCase() : 'adjustment';
        const spec = (await import('../charts/power.js')).powerSpec({ ...base, metric: flags.metric, method, ...question }, { interactive: chart.format === 'html' });
        await (await import('../charts/render.js')).writeChartFile(chart, [spec], { title: `power: ${flags.metric}` });
        ctx.out.success(`wrote ${chart.file}`);
      };
      try {
        if (mdeValue !== undefined) {
          const mde = mdeValue;
          const r = sampleSize({ ...base, mde, mdeType: flags.absolute ? 'absolute' : 'relative' });
          await draw({ sampleSize: { absoluteMde: r.absolute_mde, nPerArm: r.n_per_arm, nPerArmUnadjusted: r.n_per_arm_unadjusted } });
          ctx.out.result({ metric: flags.metric, measured, ...r }, () => {
            const eff = r.relative_mde !== null ? `${(r.relative_mde * 100).toFixed(2)}% (${num(r.absolute_mde)} absolute)` : num(r.absolute_mde);
            const lines = [
              `To detect ${eff} on ${flags.metric} with ${Math.round(power * 100)}% power at alpha ${alpha} (${tails}-sided):`,
              `  without adjustment: ${int(r.n_per_arm_unadjusted)} units per arm (${int(r.n_total_unadjusted)} total)`,
            ];
            if (r.variance_reduction > 0) lines.push(`  with ${measured ? String(measured.method).toUpperCase() : 'adjustment'} (variance cut ${(r.variance_reduction * 100).toFixed(1)}%): ${int(r.n_per_arm)} units per arm (${int(r.n_total)} total)`);
            return wrap(lines.join('\n'), width, '    ');
          });
        } else {
          const n = parseNumber('--n', flags.n as string, { min: 2, integer: true, example: 50000 });
          const r = minimumDetectableEffect({ ...base, nPerArm: n });
          await draw({ mde: { nPerArm: n, absoluteMde: r.absolute_mde, absoluteMdeUnadjusted: r.absolute_mde_unadjusted } });
          ctx.out.result({ metric: flags.metric, measured, ...r }, () => {
            const show = (abs: number, rel: number | null) => (rel !== null ? `${(rel * 100).toFixed(2)}% (${num(abs)} absolute)` : num(abs));
            const lines = [`Minimum detectable effect on ${flags.metric} with ${int(n)} units per arm (${Math.round(power * 100)}% power, alpha ${alpha}, ${tails}-sided):`, `  without adjustment: ${show(r.absolute_mde_unadjusted, r.relative_mde_unadjusted)}`];
            if (r.variance_reduction > 0) lines.push(`  with adjustment (variance cut ${(r.variance_reduction * 100).toFixed(1)}%): ${show(r.absolute_mde, r.relative_mde)}`);
            return wrap(lines.join('\n'), width, '    ');
          });
        }
      } catch (error) {
        if (error instanceof StatsInputError) throw new UserError(error.message, { code: error.code, hint: 'check the metric and the inputs' });
        throw error;
      }
    });
}
