import { Command } from '../core/commander.js';
import type { App } from '../cli.js';
import type { CommandContext } from '../core/context.js';
import { UsageError, UserError } from '../core/errors.js';
import type { PushItem, PushOptions } from '../ai/seed/push.js';
import type { PushKind } from '../ai/seed/schema.js';

const KINDS: readonly PushKind[] = ['segments', 'gates', 'dynamic_configs', 'metrics', 'layers', 'experiments'];

interface PushOpts {
  kind?: string;
  apiUrl: string;
  dryRun?: boolean;
  start?: boolean;
}

/** The plan line, the per-item debug lines and the 429 notices, as `seed --push` and `push` print them. */
export function pushReporters(ctx: CommandContext, apiUrl: string, dryRun: boolean): Pick<PushOptions, 'onPlan' | 'onItem' | 'onRetry'> {
  return {
    onPlan: (plan) => {
      const byKind = new Map<string, number>();
      for (const p of plan) byKind.set(p.kind, (byKind.get(p.kind) ?? 0) + 1);
      // "2 segments, 1 layer, 2 dynamic configs": the kinds as words, singular for one.
      const words = [...byKind].map(([k, n]) => `${n} ${k.replace(/_/g, ' ').replace(/s$/, n === 1 ? '' : 's')}`);
      ctx.out.info(`Push plan (${dryRun ? 'dry run' : apiUrl}): ${words.join(', ')}, in this order; existing names are skipped.`);
    },
    onItem: (item: PushItem) => ctx.out.debug(`push ${item.kind} ${item.name}: ${item.action}`),
    onRetry: ({ waitMs, attempt }) => ctx.out.info(`Console API rate limit (HTTP 429): waiting ${(waitMs / 1000).toFixed(1)} s (retry ${attempt})`),
  };
}

function parseKinds(value: string | undefined): PushKind[] {
  if (value === undefined) return [...KINDS];
  const kinds = value.split(',').map((k) => k.trim()).filter((k) => k.length > 0);
  const bad = kinds.filter((k) => !KINDS.includes(k as PushKind));
  if (kinds.length === 0 || bad.length > 0) {
    throw new UsageError(`--kind takes a comma-separated list of ${KINDS.join(', ')}${bad.length > 0 ? `; got "${bad.join(', ')}"` : ''}`, { hint: 'e.g. --kind experiments' });
  }
  return kinds as PushKind[];
}

export function pushCommand(app: App): Command {
  return new Command('push')
    .description('create the entities in the store (from seed or ideas --create) in Statsig through the Console API')
    .option('--kind <kinds>', `only these kinds, comma-separated (${KINDS.join(', ')})`)
    .option('--api-url <url>', 'Console API base URL', 'https://statsigapi.net')
    .option('--dry-run', 'print the exact requests instead of sending them')
    .option('--start', 'create the experiments started (active); by default they are created in setup')
    .addHelpText(
      'after',
      `
The same client and rules as seed --push: the key comes from env STATSIG_CONSOLE_API_KEY (never
printed); existing names are skipped, so running it again is safe; at most 100 mutations per 10 s;
HTTP 429 is waited out (Retry-After); experiments are created in setup unless --start.

Examples:
  $ statsig-hack ideas https://example.com --create && statsig-hack push --kind experiments --dry-run
  $ STATSIG_CONSOLE_API_KEY=console-... statsig-hack push`,
    )
    .action(async (opts: PushOpts, cmd: Command) => {
      const ctx = await app.context(cmd);
      const kinds = parseKinds(opts.kind);
      const push = await import('../ai/seed/push.js');
      // Preconditions before any work: the key (unless a dry run), then the store and what it holds.
      const apiKey = opts.dryRun ? undefined : push.requireConsoleKey(ctx.env.STATSIG_CONSOLE_API_KEY);
      push.requireApiUrl(opts.apiUrl);
      const { Store } = await import('../store/store.js');
      const store = await Store.open(ctx.settings.db.value, { readOnly: true });
      let rows: { kind: string; name: string; spec: unknown }[];
      try {
        rows = await store.all<{ kind: string; name: string; spec: unknown }>(
          `SELECT kind, name, spec FROM entities WHERE kind IN (${kinds.map((k) => `'${k}'`).join(', ')}) ORDER BY created_at, name`,
        );
      } finally {
        store.close();
      }
      if (rows.length === 0) {
        throw new UserError(`the store ${ctx.settings.db.value} has no ${opts.kind ? kinds.join(' or ') : 'entities'} to push`, {
          hint: 'create some first: statsig-hack seed "<your company>", or statsig-hack ideas <url> --create',
          code: 'PUSH_NOTHING',
        });
      }
      const plan = push.planFromEntities(rows, { start: Boolean(opts.start) });
      const result = await push.pushPlan(plan, {
        apiUrl: opts.apiUrl,
        ...(apiKey ? { apiKey } : {}),
        dryRun: Boolean(opts.dryRun),
        start: Boolean(opts.start),
        rerun: 'push',
        ...pushReporters(ctx, opts.apiUrl, Boolean(opts.dryRun)),
      });
      if (!opts.dryRun && result.created > 0) {
        const { notifyCliChanges, reportNotify } = await import('../server/cli-notify.js');
        const rw = await Store.open(ctx.settings.db.value);
        try {
          const changes = result.items.filter((i) => i.action === 'created').map((i) => ({ kind: i.kind, id: i.id ?? i.name, action: 'created' as const }));
          reportNotify(ctx.out, await notifyCliChanges(rw, 'push', changes));
        } finally {
          rw.close();
        }
      }
      const { renderPush } = await import('../ui/push.js');
      const { targetOf } = await import('../ui/format.js');
      ctx.out.result({ db: ctx.settings.db.value, ...result }, () => renderPush(result, targetOf(ctx.io.stdout, ctx.env).width).join('\n'));
    });
}
