/** What a query shape is, for `jobs --by fingerprint`: the normalised SQL and command of its latest job. */
import type { Store } from '../../store/store.js';
import { normalizeSql } from './record.js';

/** By fingerprint: the normalised SQL (constants as ?) and the command of the job with each of `ids` (a group's latest). */
export async function shapeSql(store: Store, ids: number[]): Promise<Map<string, { sql: string; command: string }>> {
  const wanted = ids.filter((id) => Number.isSafeInteger(id));
  if (wanted.length === 0) return new Map();
  const rows = await store.all<{ fingerprint: string; sql: string; command: string }>(`SELECT fingerprint, sql, command FROM jobs WHERE id IN (${wanted.join(', ')})`);
  return new Map(rows.map((r) => [r.fingerprint, { sql: normalizeSql(r.sql), command: r.command }]));
}
