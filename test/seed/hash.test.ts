import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Store } from '../../src/store/store.js';
import {
  assignGroup,
  groupBounds,
  groupForBucket,
  passesPercentage,
  sqlGroupCase,
  sqlStatsigBucket,
  sqlStatsigHash,
  sqlStatsigSlot,
  statsigBucket,
  statsigHash,
} from '../../src/store/hash.js';

// Reference values computed independently with python hashlib:
//   import hashlib
//   h = lambda s, u: int.from_bytes(hashlib.sha256(f'{s}.{u}'.encode()).digest()[:8], 'big')
//   for s, u in cases: x = h(s, u); print(x, x % 1000, x % 10000)
const PINNED: [string, string, bigint, number, number][] = [
  ['abc', 'u1', 13348637251954806134n, 134, 6134],
  ['checkout_redesign', 'u000042', 1369473932459627224n, 224, 7224],
  ['my_experiment', 'user-123', 2788856894851133178n, 178, 3178],
  ['layer_1', '42', 12392713622683410142n, 142, 142],
  ['gate.0', 'u000000', 7205947625041898505n, 505, 8505],
  ['ünïcode_salt', 'üser', 12827206929143731442n, 442, 1442],
];

describe('Statsig unit hash (TypeScript)', () => {
  it.each(PINNED)('sha256(%s.%s) matches python hashlib', (salt, unit, hash, bucket, slot) => {
    expect(statsigHash(salt, unit)).toBe(hash);
    expect(statsigBucket(salt, unit)).toBe(bucket);
    expect(passesPercentage(salt, unit, slot / 100 + 0.01)).toBe(true);
    expect(passesPercentage(salt, unit, slot / 100)).toBe(false);
  });

  it('maps buckets to groups by cumulative size * 10', () => {
    expect(groupBounds([50, 50])).toEqual([500, 1000]);
    expect(groupBounds([34, 33, 33])).toEqual([340, 670, 1000]);
    expect(groupForBucket(339, [34, 33, 33])).toBe(0);
    expect(groupForBucket(340, [34, 33, 33])).toBe(1);
    expect(groupForBucket(999, [34, 33, 33])).toBe(2);
    expect(groupForBucket(999, [50, 40])).toBe(-1);
    // bucket 134 of ('abc', 'u1'): first group of a 20/80 split, second of 10/90
    expect(assignGroup('abc', 'u1', [20, 80])).toBe(0);
    expect(assignGroup('abc', 'u1', [10, 90])).toBe(1);
  });
});

describe('Statsig unit hash (DuckDB SQL)', () => {
  let store: Store;
  beforeAll(async () => {
    store = await Store.memory();
  });
  afterAll(() => store.close());

  it('gives the pinned values', async () => {
    for (const [salt, unit, hash, bucket, slot] of PINNED) {
      const lit = `'${unit.replace(/'/g, "''")}'`;
      const rows = await store.all<{ h: string | number; b: number; s: number }>(
        `SELECT ${sqlStatsigHash(salt, lit)}::VARCHAR AS h, ${sqlStatsigBucket(salt, lit)} AS b, ${sqlStatsigSlot(salt, lit)} AS s`,
      );
      expect(BigInt(String(rows[0]?.h))).toBe(hash);
      expect(Number(rows[0]?.b)).toBe(bucket);
      expect(Number(rows[0]?.s)).toBe(slot);
    }
  });

  it('agrees with the TypeScript implementation on 2000 units and a 3-way split', async () => {
    const sizes = [34, 33, 33];
    const rows = await store.all<{ unit: string; h: string; g: number }>(
      `SELECT 'u' || i AS unit, ${sqlStatsigHash('exp_x', `'u' || i`)}::VARCHAR AS h,
              ${sqlGroupCase(sqlStatsigBucket('exp_x', `'u' || i`), sizes)} AS g
       FROM range(2000) r(i) ORDER BY i`,
    );
    const counts = [0, 0, 0];
    for (const r of rows) {
      expect(BigInt(r.h)).toBe(statsigHash('exp_x', r.unit));
      expect(r.g).toBe(assignGroup('exp_x', r.unit, sizes));
      counts[r.g] = (counts[r.g] ?? 0) + 1;
    }
    // roughly the sizes (binomial sd ~ 21 units per group)
    expect(counts[0]).toBeGreaterThan(600);
    expect(counts[1]).toBeGreaterThan(580);
    expect(counts[2]).toBeGreaterThan(580);
  });
});
