import fs from 'node:fs';
import path from 'node:path';
import { Command } from '../core/commander.js';
import type { App } from '../core/context.js';
import { DEMO_DB, shellWord } from '../core/config.js';

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
          // Lead somewhere: an empty store says how to fill it; the demo's store, when there is one, is named.
          const empty = Object.values(status.tables).every((n) => n === 0);
          if (empty) lines.push('', 'The store is empty: `statsig-hack seed "<what your product is>"` generates a project, `statsig-hack import <file> --into <table>` loads yours.');
          const demo = path.join(ctx.cwd, DEMO_DB);
          if (path.resolve(status.db) !== demo && fs.existsSync(demo)) lines.push('', `The demo's project is in ${DEMO_DB}: statsig-hack status --db ${shellWord(DEMO_DB)}`);
          return lines.join('\n');
        });
      } finally {
        store.close();
      }
    });
}
