/**
 * Statsig assignment hashing, in TypeScript and as DuckDB SQL expressions that give the same
 * numbers (tests check both against values computed with python hashlib).
 *
 *   unit hash  = first 8 bytes of SHA-256(salt + "." + unitID), big-endian unsigned 64-bit
 *   bucket     = unit hash mod 1000   (experiment groups: group i takes the next size_i * 10 buckets)
 *   allocation = unit hash mod 10000 < passPercentage * 100   (rules, experiment allocation)
 *
 * Salts used by `seed` (documented in README "seed"):
 *   group          salt = experiment name
 *   allocation     salt = `${experiment}.allocation`   (not in a layer)
 *   layer slot     salt = layer name; an experiment takes the layer's slots [start, start + allocation*100)
 *   gate rule      salt = `${gate}.${ruleIndex}`
 */
import { createHash } from 'node:crypto';
import { quoteLiteral } from './store.js';

/** The Statsig unit hash: first 8 bytes of SHA-256(`${salt}.${unitId}`) as a big-endian uint64. */
export function statsigHash(salt: string, unitId: string): bigint {
  const digest = createHash('sha256').update(`${salt}.${unitId}`, 'utf8').digest();
  return digest.readBigUInt64BE(0);
}

/** hash mod 1000: the bucket experiment groups are drawn from. */
export function statsigBucket(salt: string, unitId: string): number {
  return Number(statsigHash(salt, unitId) % 1000n);
}

/** Whether a unit passes a rule / allocation of `passPercentage` (0..100, 0.01 steps). */
export function passesPercentage(salt: string, unitId: string, passPercentage: number): boolean {
  return Number(statsigHash(salt, unitId) % 10000n) < Math.round(passPercentage * 100);
}

/** Upper bucket bounds (exclusive) of groups of the given sizes (percent): cumulative size*10. */
export function groupBounds(sizes: number[]): number[] {
  let acc = 0;
  return sizes.map((s) => {
    acc += s * 10;
    return Math.round(acc);
  });
}

/** The index of the group a bucket falls into, or -1 past the last bound. */
export function groupForBucket(bucket: number, sizes: number[]): number {
  const bounds = groupBounds(sizes);
  for (let i = 0; i < bounds.length; i++) if (bucket < (bounds[i] ?? 0)) return i;
  return -1;
}

/** The group index a unit is assigned to in an experiment salted with `salt`. */
export function assignGroup(salt: string, unitId: string, sizes: number[]): number {
  return groupForBucket(statsigBucket(salt, unitId), sizes);
}

// ---------------------------------------------------------------------------------------------
// SQL (DuckDB): sha256() returns lowercase hex; the first 16 hex digits are the first 8 bytes.

/** SQL for the unit hash (UBIGINT) of a salt (a JS string) and a unit-id SQL expression. */
export function sqlStatsigHash(salt: string, unitIdExpr: string): string {
  return `('0x' || substr(sha256(${quoteLiteral(`${salt}.`)} || ${unitIdExpr}), 1, 16))::UBIGINT`;
}

/** SQL for the bucket (hash mod 1000). */
export function sqlStatsigBucket(salt: string, unitIdExpr: string): string {
  return `(${sqlStatsigHash(salt, unitIdExpr)} % 1000)`;
}

/** SQL for hash mod 10000 (allocation slots). */
export function sqlStatsigSlot(salt: string, unitIdExpr: string): string {
  return `(${sqlStatsigHash(salt, unitIdExpr)} % 10000)`;
}

/** SQL CASE giving the group index (0-based) for a bucket expression, NULL past the last bound. */
export function sqlGroupCase(bucketExpr: string, sizes: number[]): string {
  const bounds = groupBounds(sizes);
  const whens = bounds.map((b, i) => `WHEN ${bucketExpr} < ${b} THEN ${i}`).join(' ');
  return `(CASE ${whens} ELSE NULL END)`;
}
