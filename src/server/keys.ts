/**
 * Console API keys for `serve`: a key is shown once when created; the store keeps only its
 * SHA-256 (a random 32-byte key needs no slow hash) and its scope.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Sql } from './repo.js';

export type Scope = 'read' | 'write';
export const SCOPES: readonly Scope[] = ['read', 'write'];

export interface KeyInfo {
  id: string;
  scope: Scope;
  label: string | null;
}

export function hashKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** Creates a key: returns the secret (to print once) and its stored id. */
export async function createKey(sql: Sql, scope: Scope, label: string | null): Promise<{ key: string; id: string; scope: Scope }> {
  // hex, no dashes: nothing in it looks like the key patterns output redacts (console-..., sk-...)
  const key = `shk_${randomBytes(32).toString('hex')}`;
  const id = `key_${randomBytes(6).toString('hex')}`;
  await sql.run(`INSERT INTO api_keys (id, hash, scope, label) VALUES ($1, $2, $3, $4)`, [id, hashKey(key), scope, label]);
  return { key, id, scope };
}

export async function listKeys(sql: Sql): Promise<(KeyInfo & { created_at: string })[]> {
  const rows = await sql.all<{ id: string; scope: Scope; label: string | null; created_at: Date }>(`SELECT id, scope, label, created_at FROM api_keys ORDER BY created_at, id`);
  return rows.map((r) => ({ id: r.id, scope: r.scope, label: r.label, created_at: new Date(r.created_at).toISOString() }));
}

/** Hash -> key, for checking requests without the store. */
export async function loadKeys(sql: Sql): Promise<Map<string, KeyInfo>> {
  const rows = await sql.all<{ id: string; hash: string; scope: Scope; label: string | null }>(`SELECT id, hash, scope, label FROM api_keys`);
  return new Map(rows.map((r) => [r.hash, { id: r.id, scope: r.scope, label: r.label }]));
}
