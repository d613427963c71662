/**
 * Fingerprints of jobs logged by earlier builds, brought to this build's (`fingerprint` in
 * record.ts: its hash changed from sha256 to hash48), so that `jobs slow` and `--by
 * fingerprint` see one shape across the upgrade. Stateless: the latest job is checked, and only
 * when its fingerprint is not this build's is every job's recomputed from its stored SQL. Also
 * the fingerprints the log leaves to `jobs` (fillFingerprints).
 */
import type { Store } from '../../store/store.js';
import { fingerprint, MAX_SQL_CHARS } from './record.js';

/** Jobs whose SQL was stored truncated keep their fingerprint: the stored text is not what ran. */
const WHOLE = `length(sql) < ${MAX_SQL_CHARS - 1}`;

/** Recomputes the fingerprints of the store's jobs when they are an earlier build's; returns how many changed. */
export async function refingerprint(store: Store): Promise<number> {
  const [probe] = await store.all<{ sql: string; fingerprint: string }>(`SELECT sql, fingerprint FROM jobs WHERE ${WHOLE} ORDER BY id DESC LIMIT 1`);
  if (!probe || fingerprint(probe.sql) === probe.fingerprint) return 0;
  const texts = await store.all<{ sql: string }>(`SELECT DISTINCT sql FROM jobs WHERE ${WHOLE}`);
  return withFingerprints(store, texts.map((t) => t.sql), async (map) => {
    const [n] = await store.all<{ n: number }>(`SELECT count(*) AS n FROM jobs j JOIN ${map} m ON j.sql = m.s WHERE j.fingerprint <> m.f`);
    await store.run(`UPDATE jobs SET fingerprint = m.f FROM ${map} m WHERE jobs.sql = m.s AND jobs.fingerprint <> m.f`);
    return Number(n?.n ?? 0);
  });
}

/**
 * Fills in the fingerprints the log left out of `table` (a spool read into a temp table: the
 * log computes one only when it looked the query's shape up), from each job's stored SQL.
 */
export async function fillFingerprints(store: Store, table: string): Promise<void> {
  const texts = await store.all<{ sql: string }>(`SELECT DISTINCT sql FROM ${table} WHERE fingerprint IS NULL AND sql IS NOT NULL`);
  if (texts.length === 0) return;
  await withFingerprints(store, texts.map((t) => t.sql), (map) => store.run(`UPDATE ${table} SET fingerprint = m.f FROM ${map} m WHERE ${table}.sql = m.s AND ${table}.fingerprint IS NULL`));
}

/** Runs `fn` with a temp table (s: a text, f: its fingerprint) of `texts`, dropped after. */
async function withFingerprints<T>(store: Store, texts: string[], fn: (table: string) => Promise<T>): Promise<T> {
  const map = 'jobs_fingerprints';
  await store.run(`CREATE OR REPLACE TEMP TABLE ${map} (s VARCHAR, f VARCHAR)`);
  try {
    for (let i = 0; i < texts.length; i += 200) {
      const chunk = texts.slice(i, i + 200);
      const params = chunk.flatMap((t) => [t, fingerprint(t)]);
      await store.run(`INSERT INTO ${map} VALUES ${chunk.map((_, k) => `($${2 * k + 1}, $${2 * k + 2})`).join(', ')}`, params);
    }
    return await fn(map);
  } finally {
    await store.run(`DROP TABLE IF EXISTS ${map}`);
  }
}
