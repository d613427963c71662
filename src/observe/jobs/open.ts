/**
 * How `jobs` opens the store named by --db: read-write (it moves the spool in), but only a file
 * that is a project store. A file of another kind (a CSV, which DuckDB would otherwise open as a
 * database of its own) and a DuckDB database statsig-hack did not create (schema version 0, as
 * `status` judges it: store.ts version()) are refused before anything is written, so a foreign
 * file is never migrated and gets no `.status.json` beside it. An older project store is
 * migrated, as every read-write open does.
 */
import { isUserError, UserError } from '../../core/errors.js';
import type { Store } from '../../store/store.js';

/** The hint of both refusals. */
const HINT = 'pass --db with a project store (`statsig-hack status --db <file>` checks one; `statsig-hack init` creates one)';

/**
 * Opens `db` read-write for `jobs`: refused unless it is a project store (see the module's
 * comment); pending migrations applied after the check. A file that is no DuckDB database is
 * refused by Store.open itself, before DuckDB opens it; here in jobs' words.
 */
export async function openJobsStore(db: string): Promise<Store> {
  const { Store } = await import('../../store/store.js');
  let store: Store;
  try {
    store = await Store.open(db, { migrate: false });
  } catch (error) {
    if (!isUserError(error) || error.code !== 'STORE_NOT_DUCKDB') throw error;
    throw new UserError(`${db} is not a project store: it is not a DuckDB database file`, { hint: HINT, code: 'STORE_NOT_PROJECT' });
  }
  try {
    if ((await store.version()) === 0) {
      const tables = await store.all<{ name: string }>(`SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'main' ORDER BY 1 LIMIT 6`);
      const listed = tables.length === 0 ? 'no tables' : `its tables: ${tables.slice(0, 5).map((t) => t.name).join(', ')}${tables.length > 5 ? ', ...' : ''}`;
      throw new UserError(`${db} is not a project store: a DuckDB database at schema version 0 (${listed}); jobs leaves it unchanged`, {
        hint: `${HINT}; \`statsig-hack init --db ${db}\` would turn this database into one`,
        code: 'STORE_NOT_PROJECT',
      });
    }
    await store.migrate();
  } catch (error) {
    store.close();
    throw error;
  }
  return store;
}
