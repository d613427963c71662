import { Command, Option } from '../core/commander.js';
import type { App } from '../cli.js';
import { UsageError, UserError, duckdbMessage } from '../core/errors.js';
import type { Writable } from '../core/output.js';
import { parseNumber } from '../core/options.js';
import type { RowFormat } from '../ui/rows.js';

interface QueryFlags {
  limit: string;
  all?: boolean;
  format?: RowFormat;
}

const DEFAULT_LIMIT = 200;

function queryError(error: unknown): UserError {
  if (error instanceof UserError) return error;
  // The binding prefixes parser errors met while splitting statements; DuckDB's own message follows.
  // DuckDB's own suggestion ("Did you mean "users"?") is kept.
  const msg = duckdbMessage(error);
  const readOnly = /read-only|read only/i.test(msg);
  return new UserError(`query failed: ${msg}`, {
    hint: readOnly ? 'query is read-only; use `statsig-hack import` to change data' : 'check the SQL; `statsig-hack status` lists the tables',
    code: readOnly ? 'QUERY_READ_ONLY' : 'QUERY_FAILED',
    cause: error,
  });
}

/** Writes and waits for the stream to drain when it asks to, so a slow reader bounds memory. */
async function write(stream: Writable, text: string): Promise<void> {
  if (text.length === 0) return;
  const ok = stream.write(text);
  const s = stream as Writable & { once?: (event: string, fn: () => void) => unknown };
  if (ok === false && typeof s.once === 'function') await new Promise<void>((resolve) => s.once?.('drain', resolve));
}

export function queryCommand(app: App): Command {
  return new Command('query')
    .description('run read-only SQL on the project store and print the result')
    .argument('<sql>', 'SQL (DuckDB dialect); the store is opened read-only with file access disabled')
    .option('--limit <n>', `rows to print (default ${DEFAULT_LIMIT}); the limit is applied in SQL, so only those rows are read`, String(DEFAULT_LIMIT))
    .option('--all', 'print every row, streamed in chunks (memory stays flat)')
    .addOption(new Option('--format <format>', 'table (default), or csv / ndjson / json streamed row by row (every row unless --limit is given)').choices(['table', 'csv', 'ndjson', 'json']))
    .addHelpText(
      'after',
      `
Output is bounded: the table shows the first ${DEFAULT_LIMIT} rows (--limit n for more or fewer); --all,
or --format csv|ndjson|json, streams every row without holding the result. --json (one document)
holds at most --limit rows.

Examples:
  $ statsig-hack query "SELECT experiment, count(*) AS n FROM exposures GROUP BY ALL"
  $ statsig-hack query "SELECT * FROM users LIMIT 5" --json
  $ statsig-hack query "SELECT * FROM events" --format csv > events.csv`,
    )
    .action(async (sql: string, opts: QueryFlags, cmd: Command) => {
      const ctx = await app.context(cmd);
      const format: RowFormat = opts.format ?? 'table';
      const limitGiven = cmd.getOptionValueSource('limit') === 'cli';
      const limit = parseNumber('--limit', opts.limit, { min: 1, integer: true, example: 200 });
      if (opts.all && limitGiven) throw new UsageError('--all and --limit contradict each other', { hint: 'pass one: --limit n rows, or --all for every row' });
      if (ctx.out.json && opts.format !== undefined) throw new UsageError('--json and --format are two output formats', { hint: 'pass one: --json for one document, or --format csv|ndjson|json to stream rows' });
      if (ctx.out.json && opts.all) {
        throw new UsageError('--json writes one document, which would hold every row in memory', { hint: 'stream them instead: --format ndjson --all (or --format json --all)' });
      }
      // Every row for --all and for the streaming formats (unless --limit says otherwise).
      const streamAll = Boolean(opts.all) || (format !== 'table' && !limitGiven);
      const { Store } = await import('../store/store.js');
      const { streamQuery } = await import('../store/query.js');
      const { rowEncoder, rowObjects } = await import('../ui/rows.js');
      const store = await Store.open(ctx.settings.db.value, { readOnly: true, sandbox: true });
      try {
        // One row past the limit tells whether there are more.
        const stream = await streamQuery(store, sql, { limit: streamAll ? undefined : limit + 1 }).catch((error: unknown) => {
          throw queryError(error);
        });
        if (ctx.out.json) {
          const rows: unknown[][] = [];
          try {
            for await (const batch of stream.batches) rows.push(...batch);
          } catch (error) {
            throw queryError(error);
          }
          const doc: Record<string, unknown> = { columns: stream.columns, rows: rowObjects(stream.columns, rows.slice(0, limit)) };
          // Only a cut result carries the flag, so the document of a complete result keeps its shape.
          if (rows.length > limit) Object.assign(doc, { truncated: true, limit });
          ctx.out.writeJson(doc);
          return;
        }
        const { count, targetOf, wrap } = await import('../ui/format.js');
        const width = targetOf(ctx.io.stdout, ctx.env).width;
        const encoder = rowEncoder(format, stream.columns, width);
        const stdout = ctx.io.stdout;
        const emit = (text: string): Promise<void> => write(stdout, ctx.out.redact(text));
        let shown = 0;
        let more = false;
        await emit(encoder.head());
        try {
          for await (const batch of stream.batches) {
            let rows = batch;
            if (!streamAll && shown + rows.length > limit) {
              rows = rows.slice(0, limit - shown);
              more = true;
            }
            if (rows.length > 0) await emit(encoder.batch(rows, shown === 0));
            shown += rows.length;
          }
        } catch (error) {
          throw queryError(error);
        }
        if (format === 'table' && shown === 0) await emit(encoder.batch([], true));
        await emit(encoder.tail());
        if (format === 'table') {
          const rows = count(shown, 'row');
          if (more) {
            await emit(`${wrap(`(first ${rows} shown; there are more: --all or --format csv|ndjson streams every row, --limit n shows n)`, width, ' ')}\n`);
          } else {
            await emit(`(${rows})\n`);
          }
        } else if (more) {
          ctx.out.info(`stopped after ${count(shown, 'row')} (--limit); drop --limit or pass --all to stream every row`);
        }
      } finally {
        store.close();
      }
    });
}
