import { Command } from '../core/commander.js';
import type { App } from '../cli.js';
import type { CommandContext } from '../core/context.js';
import { UsageError, UserError } from '../core/errors.js';
import type { Store } from '../store/store.js';
import { stripControl } from '../server/entities.js';

interface ServeOpts {
  port: string;
  host: string;
  cache: boolean;
  bodyLimit: string;
}

function intOption(name: string, value: string, min: number, max: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`${name} takes a whole number from ${min} to ${max}; got "${value}"`, { hint: `e.g. ${name} ${min === 0 ? 8787 : min}` });
  return n;
}

/** Opens the store for serve's commands; a store held by a running `serve` gets a hint about the API. */
export async function openServeStore(ctx: CommandContext, options: { create?: boolean; readOnly?: boolean } = {}): Promise<Store> {
  const { Store } = await import('../store/store.js');
  try {
    return await Store.open(ctx.settings.db.value, options);
  } catch (error) {
    if (error instanceof UserError && error.code === 'STORE_LOCKED') {
      throw new UserError(error.message, {
        hint: 'a running `statsig-hack serve` holds the store: stop it first, or use its API (GET /console/v1/audit_logs, POST /console/v1/webhooks)',
        code: 'STORE_LOCKED',
      });
    }
    throw error;
  }
}

function keysCommand(app: App): Command {
  const keys = new Command('keys').description('Console API keys of the local server (only their hashes are stored)');
  keys
    .command('create')
    .description('create a key and print it once')
    .requiredOption('--scope <scope>', 'read (GET only) or write (everything)')
    .option('--label <label>', 'a note to recognise the key by')
    .action(async (opts: { scope: string; label?: string }, cmd: Command) => {
      const ctx = await app.context(cmd);
      if (opts.scope !== 'read' && opts.scope !== 'write') throw new UsageError(`--scope takes read or write; got "${opts.scope}"`, { hint: 'e.g. --scope write' });
      const label = opts.label === undefined ? null : stripControl(opts.label).slice(0, 100);
      const { createKey } = await import('../server/keys.js');
      const store = await openServeStore(ctx, { create: true });
      try {
        const created = await createKey(store, opts.scope, label);
        ctx.out.result(created, () => `${created.key}\n`);
        ctx.out.info(`Key ${created.id} (${created.scope}) created. It is shown only now; the store keeps its SHA-256. Send it as the STATSIG-API-KEY header.`);
      } finally {
        store.close();
      }
    });
  keys
    .command('list')
    .description('list the keys (ids and scopes, never the keys)')
    .action(async (_opts: unknown, cmd: Command) => {
      const ctx = await app.context(cmd);
      const { listKeys } = await import('../server/keys.js');
      const store = await openServeStore(ctx, { readOnly: true });
      try {
        const rows = await listKeys(store);
        ctx.out.result({ keys: rows }, () => (rows.length === 0 ? `no keys: ${ctx.out.cli.command} serve keys create --scope write` : rows.map((k) => `${k.id}  ${k.scope.padEnd(5)}  ${k.created_at}  ${k.label ?? ''}`).join('\n')));
      } finally {
        store.close();
      }
    });
  return keys;
}

function logCommand(app: App): Command {
  return new Command('log')
    .description('the audit log: every mutation (when, key, entity, diff old -> new), newest first')
    .option('--limit <n>', 'entries to show', '50')
    .option('--kind <kind>', 'only this kind of entity')
    .option('--entity <id>', 'only this entity id')
    .action(async (opts: { limit: string; kind?: string; entity?: string }, cmd: Command) => {
      const ctx = await app.context(cmd);
      const limit = intOption('--limit', opts.limit, 1, 10_000);
      const { readAudit } = await import('../server/repo.js');
      const store = await openServeStore(ctx, { readOnly: true });
      try {
        const { items, total } = await readAudit(store, { limit, page: 1, kind: opts.kind, entity: opts.entity });
        const { renderAudit } = await import('../ui/serve.js');
        ctx.out.result({ total, entries: items }, () => renderAudit(items, total));
      } finally {
        store.close();
      }
    });
}

export function serveCommand(app: App): Command {
  const serve = new Command('serve')
    .description('serve the project store as a local Statsig Console API (keys, audit log, webhooks)')
    .option('--port <port>', 'port (0 = any free one)', '8787')
    .option('--host <host>', 'address to bind', '127.0.0.1')
    .option('--no-cache', 'serve every request from DuckDB instead of the in-memory cache (for comparison)')
    .option('--body-limit <bytes>', 'largest request body; bigger ones get 413', String(256 * 1024))
    .addHelpText(
      'after',
      `
Routes (Console API v1 shapes): GET/POST /console/v1/<kind>, GET/PATCH/POST/DELETE
/console/v1/<kind>/<id>, PUT /console/v1/experiments/<id>/start|stop, GET /console/v1/audit_logs,
GET/POST /console/v1/webhooks; <kind> is gates, dynamic_configs, experiments, metrics, layers or
segments. Every request needs a STATSIG-API-KEY header; a read key cannot write.

Examples:
  $ statsig-hack serve keys create --scope write
  $ statsig-hack serve --port 8787
  $ STATSIG_CONSOLE_API_KEY=shk_... statsig-hack push --api-url http://127.0.0.1:8787
  $ statsig-hack serve log --entity checkout_flow`,
    )
    .action(async (opts: ServeOpts, cmd: Command) => {
      const ctx = await app.context(cmd);
      const port = intOption('--port', opts.port, 0, 65535);
      const bodyLimit = intOption('--body-limit', opts.bodyLimit, 1024, 64 * 1024 * 1024);
      const store = await openServeStore(ctx, { create: true });
      const { startServer } = await import('../server/server.js');
      let server;
      try {
        server = await startServer(store, { host: opts.host, port, cache: opts.cache, bodyLimit });
      } catch (error) {
        store.close();
        if ((error as { code?: string }).code === 'EADDRINUSE') throw new UserError(`port ${port} on ${opts.host} is in use`, { hint: 'pass another --port (or --port 0 for any free one)', code: 'SERVE_PORT' });
        throw error;
      }
      if (!['127.0.0.1', '::1', 'localhost'].includes(opts.host)) ctx.out.warn(`listening on ${opts.host}, beyond this machine: keys and data travel over plain HTTP; put TLS in front of it`);
      if (server.service.keys.size === 0) ctx.out.warn('no API keys yet: every request gets 401. Create one: statsig-hack serve keys create --scope write');
      ctx.out.info(`Console API listening on ${server.url} (cache ${opts.cache ? `on, ${server.service.cache?.size ?? 0} entities` : 'off'}, store ${ctx.settings.db.value}); Ctrl-C stops it`);
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      await server.close();
      store.close();
      const { jobs, batches } = server.service.writer;
      ctx.out.result({ url: server.url, writer_jobs: jobs, transactions: batches }, () => `stopped; ${jobs} writer jobs (writes and delivery bookkeeping) in ${batches} transactions`);
    });
  serve.addCommand(keysCommand(app));
  serve.addCommand(logCommand(app));
  return serve;
}
