import { Command, Option } from '../core/commander.js';
import path from 'node:path';
import type { App } from '../cli.js';
import { UsageError } from '../core/errors.js';
import { IMPORT_TABLES } from '../store/schema.js';
import type { NonFinitePolicy } from '../store/import.js';

function collectMap(value: string, previous: Record<string, string>): Record<string, string> {
  const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.+)$/.exec(value);
  if (!m) throw new UsageError(`--map expects target=source, got "${value}"`, { hint: 'e.g. --map unit_id=user_id' });
  return { ...previous, [m[1] as string]: m[2] as string };
}

export function importCommand(app: App): Command {
  return new Command('import')
    .description('load a CSV, Parquet or JSON(L) file into a store table (all or nothing)')
    .argument('<file>', 'data file (.csv, .tsv, .parquet, .json, .jsonl, .ndjson)')
    .addOption(new Option('--into <table>', 'target table').choices(Object.keys(IMPORT_TABLES)).makeOptionMandatory())
    .option('--map <target=source>', 'take a table column from a differently named file column (repeatable)', collectMap, {})
    .option('--replace', 'overwrite rows whose key already exists (default: refuse)')
    .addOption(new Option('--non-finite <policy>', 'NaN / Infinity in number columns: error (default), null (store NULL) or keep').choices(['error', 'null', 'keep']))
    .option('--keep-na', 'read NA, N/A, NULL and None in a CSV as text (default: missing, like an empty cell; e.g. a country column with NA for Namibia)')
    .addHelpText(
      'after',
      `
Required columns: users(unit_id), exposures(unit_id, experiment, group_name, first_exposure),
events(unit_id, event, ts), true_effects(experiment, metric, group_name). Other users/events columns
are kept in their attributes/metadata JSON.

Examples:
  $ statsig-hack import users.csv --into users
  $ statsig-hack import events.parquet --into events --map unit_id=user_id --map ts=timestamp`,
    )
    .action(async (file: string, opts: { into: string; map: Record<string, string>; replace?: boolean; nonFinite?: NonFinitePolicy; keepNa?: boolean }, cmd: Command) => {
      const ctx = await app.context(cmd);
      const { Store } = await import('../store/store.js');
      const { importFile } = await import('../store/import.js');
      const store = await Store.open(ctx.settings.db.value, { create: true });
      try {
        const result = await importFile(store, { file: path.resolve(ctx.cwd, file), table: opts.into, map: opts.map, replace: Boolean(opts.replace), nonFinite: opts.nonFinite, keepNa: Boolean(opts.keepNa) });
        if (result.non_finite) {
          const counts = Object.entries(result.non_finite.rows).map(([c, n]) => `${c}: ${n.toLocaleString('en-US')} row${n === 1 ? '' : 's'}`);
          ctx.out.warn(`NaN or Infinity ${result.non_finite.policy === 'null' ? 'stored as NULL' : 'stored as is'} in ${counts.join(', ')} (--non-finite ${result.non_finite.policy})`);
        }
        ctx.out.result(result, () => {
          const extra = result.extra_columns.length > 0 ? ` (${result.extra_columns.join(', ')} kept in ${opts.into === 'users' ? 'attributes' : 'metadata'})` : '';
          return `Imported ${result.rows.toLocaleString('en-US')} rows into ${result.table}${extra}.`;
        });
      } finally {
        store.close();
      }
    });
}
