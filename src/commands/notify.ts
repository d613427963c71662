import { Command } from '../core/commander.js';
import type { App } from '../cli.js';
import { UsageError, UserError } from '../core/errors.js';
import { openServeStore } from './serve.js';

function formatOf(value: string): 'slack' | 'json' {
  if (value !== 'slack' && value !== 'json') throw new UsageError(`--format takes slack or json; got "${value}"`, { hint: 'e.g. --format slack' });
  return value;
}

export function notifyCommand(app: App): Command {
  const notify = new Command('notify').description('changelog webhooks: Slack messages or signed JSON events on every change');
  notify
    .command('add')
    .description('attach a webhook to an experiment, a gate or the whole project')
    .requiredOption('--url <url>', 'the webhook URL (a Slack incoming webhook, or your endpoint)')
    .option('--experiment <id>', 'only changes of this experiment')
    .option('--gate <id>', 'only changes of this gate')
    .option('--format <format>', 'slack (Block Kit) or json (HMAC-SHA256 signed, X-Signature)', 'slack')
    .action(async (opts: { url: string; experiment?: string; gate?: string; format: string }, cmd: Command) => {
      const ctx = await app.context(cmd);
      const { WebhookInputSchema, addWebhook, maskUrl } = await import('../server/webhooks.js');
      const parsed = WebhookInputSchema.safeParse({ url: opts.url, format: formatOf(opts.format), experiment: opts.experiment, gate: opts.gate });
      if (!parsed.success) {
        throw new UsageError(`notify add: ${parsed.error.issues[0]?.message ?? 'invalid webhook'}`, { hint: 'e.g. notify add --experiment checkout_flow --url https://hooks.slack.com/services/...' });
      }
      const store = await openServeStore(ctx, { create: true });
      try {
        const hook = await addWebhook(store, parsed.data);
        ctx.out.result({ ...hook, url: maskUrl(hook.url) }, () =>
          [`webhook ${hook.id}: ${hook.scope === 'project' ? 'every change' : `changes of ${hook.scope.replace(/s$/, '')} ${hook.target}`} -> ${maskUrl(hook.url)} (${hook.format})`, ...(hook.secret ? [`signing secret (shown once): ${hook.secret}`] : [])].join('\n'),
        );
      } finally {
        store.close();
      }
    });
  notify
    .command('status')
    .description('webhooks and the delivery queue: delivered, pending, dead letters')
    .action(async (_opts: unknown, cmd: Command) => {
      const ctx = await app.context(cmd);
      const { queueStatus, maskUrl } = await import('../server/webhooks.js');
      const store = await openServeStore(ctx, { readOnly: true });
      try {
        const s = await queueStatus(store);
        const masked = { ...s, webhooks: s.webhooks.map((h) => ({ ...h, url: maskUrl(h.url) })), dead: s.dead.map((d) => ({ ...d, url: maskUrl(d.url) })), pending: s.pending.map((p) => ({ ...p, url: maskUrl(p.url) })) };
        const { renderQueue } = await import('../ui/serve.js');
        ctx.out.result(masked, () => renderQueue(s, ctx.out.cli.command));
      } finally {
        store.close();
      }
    });
  notify
    .command('retry')
    .description('put dead letters back in the queue and deliver what is pending now')
    .option('--id <n>', 'only this dead delivery')
    .option('--wait <seconds>', 'longest time to spend delivering', '30')
    .action(async (opts: { id?: string; wait: string }, cmd: Command) => {
      const ctx = await app.context(cmd);
      const id = opts.id === undefined ? undefined : Number(opts.id);
      if (id !== undefined && !Number.isInteger(id)) throw new UsageError(`--id takes a delivery number; got "${opts.id}"`, { hint: 'see the numbers in: statsig-hack notify status' });
      const wait = Number(opts.wait);
      if (!Number.isFinite(wait) || wait < 0 || wait > 3600) throw new UsageError(`--wait takes seconds from 0 to 3600; got "${opts.wait}"`, { hint: 'e.g. --wait 30' });
      const { Deliverer, queueStatus, requeueDead } = await import('../server/webhooks.js');
      const store = await openServeStore(ctx);
      try {
        const requeued = await requeueDead(store, id);
        const outcomes = await new Deliverer({ exec: (fn) => fn(store) }).drain(Date.now() + wait * 1000);
        const s = await queueStatus(store);
        ctx.out.result({ requeued, attempts: outcomes.length, counts: s.counts }, () => `${requeued} dead letters requeued; ${outcomes.length} attempts; now ${s.counts.delivered} delivered, ${s.counts.pending} pending, ${s.counts.dead} dead`);
      } finally {
        store.close();
      }
    });
  notify
    .command('test')
    .description('send a sample message to a URL now (not queued)')
    .argument('<url>', 'the webhook URL')
    .option('--format <format>', 'slack or json', 'slack')
    .action(async (url: string, opts: { format: string }, cmd: Command) => {
      const ctx = await app.context(cmd);
      const format = formatOf(opts.format);
      const { WebhookInputSchema, sampleEvent, sendNow, maskUrl } = await import('../server/webhooks.js');
      if (!WebhookInputSchema.safeParse({ url }).success) throw new UsageError(`"${maskUrl(url)}" is not an http(s) URL`, { hint: 'e.g. notify test https://hooks.slack.com/services/...' });
      const secret = format === 'json' ? (ctx.env.STATSIG_HACK_WEBHOOK_SECRET ?? null) : null;
      const r = await sendNow(url, format, secret, sampleEvent(Date.now()));
      if (r.error) throw new UserError(`the test message to ${maskUrl(url)} failed: ${r.error}`, { hint: 'check the URL (a Slack incoming webhook URL starts with https://hooks.slack.com/services/)', code: 'NOTIFY_TEST_FAILED' });
      ctx.out.result({ url: maskUrl(url), format, status: r.status }, () => `sent a sample ${format} message to ${maskUrl(url)}: HTTP ${r.status}`);
    });
  return notify;
}
