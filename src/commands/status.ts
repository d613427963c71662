import { Command } from '../core/commander.js';
import type { App } from '../cli.js';

export function statusCommand(app: App): Command {
  return new Command('status')
    .description('what the project store holds: rows per table, experiments by status')
    .addHelpText('after', '\nExamples:\n  $ statsig-hack status\n  $ statsig-hack status --json')
    .action(async (_opts: unknown, cmd: Command) => {
      const ctx = await app.context(cmd);
      const { Store } = await import('../store/store.js');
      const { storeStatus } = await import('../store/status.js');
      const { renderTable } = await import('../ui/table.js');
      const store = await Store.open(ctx.settings.db.value, { readOnly: true });
      try {
        const status = await storeStatus(store);
        ctx.out.result(status, () => {
          const lines = [`Project store: ${status.db} (schema v${status.schema_version})`];
          if (status.project) lines.push(`Project: ${status.project.name}${status.project.description ? ` — ${status.project.description}` : ''}`);
          lines.push('', renderTable(['table', 'rows'], Object.entries(status.tables).map(([table, rows]) => ({ table, rows }))));
          const kinds = Object.entries(status.entities);
          if (kinds.length > 0) lines.push('', renderTable(['entity', 'count'], kinds.map(([entity, count]) => ({ entity, count }))));
          const exps = Object.entries(status.experiments_by_status);
          if (exps.length > 0) lines.push('', renderTable(['experiment status', 'count'], exps.map(([s, count]) => ({ 'experiment status': s, count }))));
          return lines.join('\n');
        });
      } finally {
        store.close();
      }
    });
}
