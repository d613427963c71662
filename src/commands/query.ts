import { Command } from '../core/commander.js';
import type { App } from '../cli.js';
import { UserError, errorMessage } from '../core/errors.js';

export function queryCommand(app: App): Command {
  return new Command('query')
    .description('run read-only SQL on the project store and print the result')
    .argument('<sql>', 'SQL (DuckDB dialect); the store is opened read-only with file access disabled')
    .option('--limit <n>', 'show at most n rows in the table (JSON gets all rows)', '200')
    .addHelpText('after', '\nExamples:\n  $ statsig-hack query "SELECT experiment, group_name, count(*) FROM exposures GROUP BY ALL"\n  $ statsig-hack query "SELECT * FROM users LIMIT 5" --json')
    .action(async (sql: string, opts: { limit: string }, cmd: Command) => {
      const ctx = await app.context(cmd);
      const limit = Number(opts.limit);
      if (!Number.isInteger(limit) || limit <= 0) throw new UserError(`--limit must be a positive integer, got "${opts.limit}"`, { exitCode: 2, code: 'USAGE' });
      const { Store } = await import('../store/store.js');
      const { renderTable } = await import('../ui/table.js');
      const store = await Store.open(ctx.settings.db.value, { readOnly: true, sandbox: true });
      try {
        let result: { columns: string[]; rows: Record<string, unknown>[] };
        try {
          result = await store.table(sql);
        } catch (error) {
          const msg = (errorMessage(error).split('\n')[0] ?? '').trim();
          const readOnly = /read-only|read only/i.test(msg);
          throw new UserError(`query failed: ${msg}`, {
            hint: readOnly ? 'query is read-only; use `statsig-hack import` to change data' : 'check the SQL; `statsig-hack status` lists the tables',
            code: readOnly ? 'QUERY_READ_ONLY' : 'QUERY_FAILED',
            cause: error,
          });
        }
        ctx.out.result({ columns: result.columns, rows: result.rows }, () => {
          const shown = result.rows.slice(0, limit);
          const more = result.rows.length > limit ? `\n(${result.rows.length - limit} more rows; use --limit or --json)` : '';
          return `${renderTable(result.columns, shown)}\n(${result.rows.length} row${result.rows.length === 1 ? '' : 's'})${more}`;
        });
      } finally {
        store.close();
      }
    });
}
