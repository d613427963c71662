import { Command } from '../core/commander.js';
import type { App } from '../cli.js';
import { LATEST_VERSION } from '../store/schema.js';

export function initCommand(app: App): Command {
  return new Command('init')
    .description('create the project store (idempotent) and migrate it to the latest schema')
    .addHelpText('after', '\nExamples:\n  $ statsig-hack init\n  $ statsig-hack init --db /tmp/exp.duckdb --json')
    .action(async (_opts: unknown, cmd: Command) => {
      const ctx = await app.context(cmd);
      const { Store } = await import('../store/store.js');
      const file = ctx.settings.db.value;
      const store = await Store.open(file, { create: true, migrate: false });
      try {
        const before = await store.version();
        const applied = await store.migrate();
        const result = { db: file, created: before === 0, schema_version: LATEST_VERSION, migrations_applied: applied };
        ctx.out.result(result, () =>
          before === 0
            ? `Created the project store at ${file} (schema v${LATEST_VERSION}).`
            : applied.length > 0
              ? `Migrated ${file} from schema v${before} to v${LATEST_VERSION}.`
              : `The project store at ${file} is ready (schema v${LATEST_VERSION}).`,
        );
      } finally {
        store.close();
      }
    });
}
