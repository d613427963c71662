import os from 'node:os';
import path from 'node:path';
import { Command, Option } from '../core/commander.js';
import type { App, CommandContext } from '../core/context.js';
import { UsageError, UserError, errorMessage } from '../core/errors.js';
import { parseNumber } from '../core/options.js';
import type { Cluster } from '../rollout/cluster.js';
import type { Store } from '../store/store.js';

interface ClusterFlags {
  context?: string;
  kubeconfig?: string;
}

interface StartFlags extends ClusterFlags {
  experiment: string;
  deployment?: string;
  namespace?: string;
  map: string[];
  replicas?: string;
  file?: string;
  dryRun?: boolean;
  yaml?: boolean;
  queue?: boolean;
  wait: boolean;
  timeout: string;
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];

const clusterOptions = (cmd: Command): Command =>
  cmd.option('--context <name>', 'kubeconfig context (default: the current one)').option('--kubeconfig <file>', 'kubeconfig file (default: $KUBECONFIG, then ~/.kube/config, then in-cluster)');

async function cluster(ctx: CommandContext, flags: ClusterFlags): Promise<Cluster> {
  const { connect } = await import('../rollout/cluster.js');
  return connect({ env: ctx.env, kubeconfig: flags.kubeconfig === undefined ? undefined : path.resolve(ctx.cwd, flags.kubeconfig), context: flags.context });
}

async function openStore(ctx: CommandContext, readOnly = false): Promise<Store> {
  const { Store } = await import('../store/store.js');
  return Store.open(ctx.settings.db.value, { readOnly });
}

async function withStore<T>(ctx: CommandContext, fn: (store: Store) => Promise<T>, readOnly = false): Promise<T> {
  const store = await openStore(ctx, readOnly);
  try {
    return await fn(store);
  } finally {
    store.close();
  }
}

const timeoutMs = (raw: string): number => parseNumber('--timeout', raw, { min: 1, max: 86_400, example: 300 }) * 1000;

async function progressFor(ctx: CommandContext) {
  const p = await ctx.progress();
  let label = '';
  return {
    onProgress: (e: { label: string; done: number; total: number }) => {
      if (e.label !== label) {
        if (label !== '') p.stop();
        label = e.label;
        p.start(e.label, e.total);
      }
      p.update(e.done, e.total);
    },
    stop: (message?: string) => {
      if (label !== '') p.stop(message);
      label = '';
    },
  };
}

function startCommand(app: App): Command {
  return clusterOptions(
    new Command('start')
      .description('copy a Deployment once per test group of an experiment, set the mapped fields, split replicas, apply and wait')
      .requiredOption('--experiment <name>', 'an experiment in the project store')
      .option('--deployment <name>', "the base Deployment (default: the experiment's rollout.deployment)")
      .option('-n, --namespace <ns>', 'namespace (default: rollout.namespace, then the context namespace)')
      .option('--map <param=target>', 'where a parameter goes: env:NAME, image, tag, args, resources.limits.cpu, annotation:KEY, configmap:NAME/KEY (add @container); repeatable', collect, [])
      .option('--replicas <n>', "total replicas to split (default: the base's)")
      .option('-f, --file <deployment.yaml>', 'read the base Deployment (and its ConfigMaps) from a file instead of the cluster; needs --dry-run')
      .option('--dry-run', 'print the manifests and a diff against the live objects; apply nothing')
      .option('--yaml', 'with --dry-run: print only the manifests (for kubectl apply --server-side -f -)')
      .option('--queue', 'check the plan and record it for `rollout watch` to apply, without applying')
      .option('--no-wait', 'do not wait for the copies to become available')
      .option('--timeout <seconds>', 'how long to wait for availability', '300'),
  )
    .addHelpText(
      'after',
      `
Examples:
  $ statsig-hack rollout start --experiment checkout_flow -f web.yaml --dry-run --map flow=env:CHECKOUT_FLOW
  $ statsig-hack rollout start --experiment checkout_flow --deployment web -n shop --map color=configmap:web-settings/button_color`,
    )
    .action(async (flags: StartFlags, cmd: Command) => {
      const ctx = await app.context(cmd);
      const service = await import('../rollout/service.js');
      const totalReplicas = flags.replicas === undefined ? undefined : parseNumber('--replicas', flags.replicas, { min: 1, max: 10_000, integer: true, example: 4 });
      if (flags.file && !flags.dryRun) throw new UsageError('-f works offline only: add --dry-run, or drop -f to read the Deployment from the cluster', { hint: 'e.g. rollout start --experiment X -f deployment.yaml --dry-run' });
      if (flags.queue && flags.dryRun) throw new UsageError('pass either --dry-run or --queue, not both');
      const spec = await withStore(ctx, (s) => service.loadEntity(s, 'experiments', flags.experiment), true);
      const block = service.rolloutBlock(spec);
      if (flags.file) {
        const file = path.resolve(ctx.cwd, flags.file);
        const { base, configMaps, namespace } = await service.readManifestFile(file, flags.deployment ?? block.deployment);
        const ns = flags.namespace ?? block.namespace ?? namespace ?? 'default';
        const byName = new Map<string, unknown>([[`Deployment/${base.metadata.name}`, base], ...configMaps.map((c) => [`ConfigMap/${c.metadata.name}`, c] as [string, unknown])]);
        const result = await withStore(ctx, (s) => service.dryRun(s, { experiment: flags.experiment, namespace: ns, maps: flags.map, totalReplicas }, base, configMaps, (kind, name) => Promise.resolve((byName.get(`${kind}/${name}`) ?? null) as never), flags.file as string), true);
        for (const w of result.warnings) ctx.out.warn(w);
        const { renderDryRun } = await import('../ui/rollout.js');
        ctx.out.result(result, () => renderDryRun(result, Boolean(flags.yaml)));
        return;
      }
      const deployment = flags.deployment ?? block.deployment;
      if (!deployment) throw new UsageError('which Deployment? pass --deployment <name>', { hint: "or set rollout.deployment in the experiment's spec" });
      const k = await cluster(ctx, flags);
      const namespace = flags.namespace ?? block.namespace ?? k.namespace;
      if (flags.dryRun) {
        const { base, configMaps } = await service.readBase(k, namespace, deployment);
        const result = await withStore(ctx, (s) => service.dryRun(s, { experiment: flags.experiment, namespace, maps: flags.map, totalReplicas }, base, configMaps, (kind, name) => k.get(kind, namespace, name), k.describe), true);
        for (const w of result.warnings) ctx.out.warn(w);
        const { renderDryRun } = await import('../ui/rollout.js');
        ctx.out.result(result, () => renderDryRun(result, Boolean(flags.yaml)));
        return;
      }
      const req = { experiment: flags.experiment, deployment, namespace, maps: flags.map, totalReplicas, timeoutMs: timeoutMs(flags.timeout), wait: flags.wait };
      if (flags.queue) {
        const plan = await withStore(ctx, (s) => service.queueRollout({ store: s, cluster: k }, req));
        const data = { experiment: plan.experiment, namespace, queued: true, groups: plan.groups.map((g) => ({ group: g.group, deployment: g.deployment, replicas: g.replicas })) };
        ctx.out.result(data, () => `Queued the rollout of ${plan.experiment} for \`${ctx.out.cli.command} rollout watch\`: ${plan.groups.map((g) => `${g.deployment} (${g.replicas})`).join(', ')}`);
        return;
      }
      const progress = await progressFor(ctx);
      try {
        const result = await withStore(ctx, (s) => service.startRollout({ store: s, cluster: k, onProgress: progress.onProgress }, req));
        progress.stop();
        for (const w of result.warnings) ctx.out.warn(w);
        const { renderStart } = await import('../ui/rollout.js');
        ctx.out.result(result, () => renderStart(result));
      } catch (error) {
        progress.stop();
        throw error;
      }
    });
}

function statusCommand(app: App): Command {
  return clusterOptions(new Command('status').description('what a rollout wanted and what the cluster holds (all rollouts without a name)').argument('[experiment]', 'the experiment'))
    .option('--offline', 'show the recorded state only; do not read the cluster')
    .action(async (experiment: string | undefined, flags: ClusterFlags & { offline?: boolean }, cmd: Command) => {
      const ctx = await app.context(cmd);
      const { listRecords, requireRecord } = await import('../rollout/records.js');
      const ui = await import('../ui/rollout.js');
      if (experiment === undefined) {
        const records = await withStore(ctx, (s) => listRecords(s), true);
        ctx.out.result({ rollouts: records }, () => (records.length > 0 ? records.map(ui.renderRecord).join('\n') : `No rollouts recorded. Start one with \`${ctx.out.cli.command} rollout start\`.`));
        return;
      }
      const record = await withStore(ctx, (s) => requireRecord(s, experiment), true);
      let k: Cluster | null = null;
      let why: string | null = null;
      if (!flags.offline) {
        try {
          k = await cluster(ctx, flags);
        } catch (error) {
          why = errorMessage(error);
        }
      }
      const { rolloutStatus } = await import('../rollout/service.js');
      const status = k ? await rolloutStatus(k, record) : { record, live: null, liveError: why ?? 'not read (--offline)' };
      ctx.out.result(status, () => ui.renderStatus(status));
    });
}

function promoteCommand(app: App): Command {
  return clusterOptions(
    new Command('promote')
      .description("write a group's fields into the base Deployment, restore its replicas and delete the copies")
      .argument('<experiment>', 'the experiment')
      .requiredOption('--group <name>', 'the group to promote')
      .option('--force', 'promote even when the analysis shows a sample ratio mismatch or a significantly worse metric'),
  ).action(async (experiment: string, flags: ClusterFlags & { group: string; force?: boolean }, cmd: Command) => {
    const ctx = await app.context(cmd);
    const { requireRecord } = await import('../rollout/records.js');
    const service = await import('../rollout/service.js');
    const record = await withStore(ctx, (s) => requireRecord(s, experiment), true);
    const spec = await withStore(ctx, (s) => service.loadEntity(s, 'experiments', experiment), true);
    const group = service.findGroup(experiment, spec, flags.group);
    let blockers: string[] = [];
    if (!flags.force) blockers = await analysisBlockers(ctx, experiment, group.name);
    if (blockers.length > 0) {
      throw new UserError(`not promoting ${group.name} of ${experiment}: ${blockers.join('; ')}`, { hint: 'look at `statsig-hack analyze --experiment ' + experiment + '`; pass --force to promote anyway', code: 'PROMOTE_BLOCKED' });
    }
    if (flags.force) ctx.out.warn('--force: the analysis checks (SRM, worse metrics) were skipped');
    const k = await cluster(ctx, flags);
    const result = await withStore(ctx, (s) => service.promoteRollout({ store: s, cluster: k }, record, group.name));
    const { renderEnd } = await import('../ui/rollout.js');
    ctx.out.result({ ...result, group: group.name, forced: Boolean(flags.force) }, () => renderEnd(result));
  });
}

/** Runs the experiment's analysis (the analyze service) and returns the reasons not to promote. */
async function analysisBlockers(ctx: CommandContext, experiment: string, group: string): Promise<string[]> {
  const { runAnalysis } = await import('../engines/run.js');
  const { promotionBlockers } = await import('../rollout/gate.js');
  const { experimentMetrics } = await import('../store/metrics.js');
  try {
    const result = await runAnalysis({ cwd: ctx.cwd, db: ctx.settings.db.value, experiment, unit: 'unit_id', group: 'group', metrics: [], ratios: [], covariates: [], preDays: 14, alpha: 0.05, tails: 'two', correction: 'none' });
    const listed = await withStore(ctx, (s) => experimentMetrics(s, experiment), true);
    const directions = Object.fromEntries([...(listed?.primary ?? []), ...(listed?.secondary ?? [])].map((m) => [m.key, m.direction]));
    if (result.control === group) return [];
    return promotionBlockers(result, group, directions);
  } catch (error) {
    if (error instanceof UserError) return [`the analysis could not run (${error.message})`];
    throw error;
  }
}

function abortCommand(app: App): Command {
  return clusterOptions(new Command('abort').description('delete the copies of a rollout and restore the base replicas').argument('<experiment>', 'the experiment')).action(
    async (experiment: string, flags: ClusterFlags, cmd: Command) => {
      const ctx = await app.context(cmd);
      const { requireRecord } = await import('../rollout/records.js');
      const { abortRollout } = await import('../rollout/service.js');
      const k = await cluster(ctx, flags);
      const result = await withStore(ctx, async (s) => abortRollout({ store: s, cluster: k }, await requireRecord(s, experiment)));
      const { renderEnd } = await import('../ui/rollout.js');
      ctx.out.result(result, () => renderEnd(result));
    },
  );
}

function applyCommand(app: App): Command {
  return clusterOptions(
    new Command('apply')
      .description("apply a dynamic config's values to a Deployment in one shot")
      .argument('[dynamic_config]', 'a dynamic config in the project store')
      .option('--dynamic-config <name>', 'the same, as a flag (`--config <name>` works too)')
      .option('--deployment <name>', "the Deployment (default: the config's rollout.deployment)")
      .option('-n, --namespace <ns>', 'namespace')
      .option('--map <param=target>', 'where a value goes (as for start); repeatable', collect, [])
      .option('--no-wait', 'do not wait for the Deployment to become available')
      .option('--timeout <seconds>', 'how long to wait', '300'),
  ).action(async (positional: string | undefined, flags: ClusterFlags & { dynamicConfig?: string; deployment?: string; namespace?: string; map: string[]; wait: boolean; timeout: string }, cmd: Command) => {
    // `--config` is also the global config-file flag, which commander gives to the program: when no
    // dynamic config is named otherwise, `rollout apply --config <name>` names it.
    let config = positional ?? flags.dynamicConfig;
    const globalConfig = cmd.optsWithGlobals<{ config?: string }>().config;
    if (config === undefined && globalConfig !== undefined) {
      config = globalConfig;
      for (let c: Command | null = cmd; c; c = c.parent) if (c.getOptionValue('config') !== undefined) c.setOptionValue('config', undefined);
    }
    const ctx = await app.context(cmd);
    if (config === undefined) throw new UsageError('which dynamic config? pass its name', { hint: 'e.g. statsig-hack rollout apply --config checkout_defaults --deployment web' });
    const { applyConfig } = await import('../rollout/service.js');
    const k = await cluster(ctx, flags);
    const progress = await progressFor(ctx);
    try {
      const result = await withStore(ctx, (s) => applyConfig({ store: s, cluster: k, onProgress: progress.onProgress }, { config, deployment: flags.deployment, namespace: flags.namespace, maps: flags.map, timeoutMs: timeoutMs(flags.timeout), wait: flags.wait }, k.namespace));
      progress.stop();
      const { renderEnd } = await import('../ui/rollout.js');
      ctx.out.result(result, () => renderEnd(result));
    } catch (error) {
      progress.stop();
      throw error;
    }
  });
}

function watchCommand(app: App): Command {
  return clusterOptions(
    new Command('watch')
      .description('the operator: a level-based reconcile loop over the rollouts in the store, one active instance per Lease')
      .option('--interval <seconds>', 'seconds between passes', '10')
      .option('--passes <n>', 'stop after n passes (0 = run until SIGINT/SIGTERM)', '0')
      .option('--lease-name <name>', 'the Lease that elects the active instance', 'statsig-hack-rollout')
      .option('--lease-seconds <n>', 'how long a silent holder keeps the Lease', '15')
      .addOption(new Option('--identity <id>', 'this instance in the Lease (default: host name and pid)')),
  ).action(async (flags: ClusterFlags & { interval: string; passes: string; leaseName: string; leaseSeconds: string; identity?: string }, cmd: Command) => {
    const ctx = await app.context(cmd);
    const intervalMs = parseNumber('--interval', flags.interval, { min: 0.05, max: 3600, example: 10 }) * 1000;
    const passes = parseNumber('--passes', flags.passes, { min: 0, integer: true, example: 1 });
    const leaseSeconds = parseNumber('--lease-seconds', flags.leaseSeconds, { min: 1, max: 3600, integer: true, example: 15 });
    const k = await cluster(ctx, flags);
    const { watchLoop } = await import('../rollout/watch.js');
    const { renderTick } = await import('../ui/rollout.js');
    const controller = new AbortController();
    const stop = () => controller.abort();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    const ticks: unknown[] = [];
    try {
      await watchLoop({
        cluster: k,
        openStore: () => openStore(ctx),
        identity: flags.identity ?? `${os.hostname()}-${process.pid}`,
        leaseName: flags.leaseName,
        leaseNamespace: k.namespace,
        leaseSeconds,
        intervalMs,
        passes,
        signal: controller.signal,
        onTick: (t) => {
          ticks.push(t);
          if (t.error) ctx.out.warn(renderTick(t));
          else ctx.out.info(renderTick(t));
        },
      });
    } finally {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    }
    ctx.out.result({ passes: ticks }, () => '');
  });
}

export function rolloutCommand(app: App): Command {
  return new Command('rollout')
    .description('one-shot Kubernetes rollouts of experiments and dynamic configs (copies per group, server-side apply), and the operator loop')
    .addCommand(startCommand(app))
    .addCommand(statusCommand(app))
    .addCommand(promoteCommand(app))
    .addCommand(abortCommand(app))
    .addCommand(applyCommand(app))
    .addCommand(watchCommand(app));
}
