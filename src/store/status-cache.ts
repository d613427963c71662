/**
 * The last `status` summary of a store, kept beside it (`<store>.status.json`) with a stamp of
 * the store file, so that a second `status` of an unchanged store needs no DuckDB at all: loading
 * the native library and opening a store cost about twice a bare Node start, more than the rest
 * of the command together.
 *
 * The stamp is exact for what DuckDB writes: the file's size, modification time and inode, and the
 * start of DuckDB's three headers (each with the checksum of its block; the database headers with
 * the checkpoint counter, which moves with every checkpoint). A store with a write-ahead log (`<store>.wal`: changes
 * not yet checkpointed into the file) has no stamp, so it is never answered from the cache.
 * The summary is written only when the stamp taken before the query still holds after it, and
 * is keyed by `key` (a hash of the summary's SQL and shape): a new version of the summary never
 * reads an old file. No part of this throws: a cache that cannot be read or written is no cache.
 */
import fs from 'node:fs';

/**
 * DuckDB's main header and its two database headers start at these offsets; each starts with a
 * checksum of its block, then (database headers) the checkpoint counter, the meta block, the free
 * list and the block count. The first 64 bytes of each are kept, as they are.
 */
const HEADERS = [0, 4096, 8192];
const HEAD_BYTES = 64;

export interface StoreStamp {
  size: number;
  mtimeMs: number;
  ino: number;
  /** The first 64 bytes of each of DuckDB's three headers, in hex. */
  head: string;
}

interface CacheFile<T> {
  key: string;
  stamp: StoreStamp;
  value: T;
}

/** Where the summary of the store at `db` is kept. */
export function statusCachePath(db: string): string {
  return `${db}.status.json`;
}

/** FNV-1a, 32 bits, as 8 hex digits: a cheap fingerprint (no node:crypto to load). */
export function fnv1a(data: Uint8Array | string): string {
  const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
  let h = 0x811c9dc5;
  for (const b of bytes) h = Math.imul(h ^ b, 0x01000193);
  return (h >>> 0).toString(16).padStart(8, '0');
}

/** The stamp of the store file at `db`; null when there is none or it has a write-ahead log. */
export function storeStamp(db: string): StoreStamp | null {
  try {
    if (fs.existsSync(`${db}.wal`)) return null;
    const fd = fs.openSync(db, 'r');
    try {
      const st = fs.fstatSync(fd);
      const head = Buffer.alloc(HEADERS.length * HEAD_BYTES);
      let n = 0;
      for (const [i, at] of HEADERS.entries()) n += fs.readSync(fd, head, i * HEAD_BYTES, HEAD_BYTES, at);
      return { size: st.size, mtimeMs: st.mtimeMs, ino: st.ino, head: head.subarray(0, n).toString('hex') };
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return null;
  }
}

export const sameStamp = (a: StoreStamp, b: StoreStamp): boolean => a.size === b.size && a.mtimeMs === b.mtimeMs && a.ino === b.ino && a.head === b.head;

/** The cached value for the store at `db` when its key and stamp match the store as it is now; else null. */
export function readCached<T>(db: string, key: string): T | null {
  try {
    const cache = JSON.parse(fs.readFileSync(statusCachePath(db), 'utf8')) as CacheFile<T>;
    if (cache.key !== key || !cache.stamp) return null;
    const now = storeStamp(db);
    return now && sameStamp(now, cache.stamp) ? cache.value : null;
  } catch {
    return null;
  }
}

/**
 * Keeps `value`, read from the store at `db` while it had stamp `before`, when the store still
 * has that stamp (nothing wrote to it meanwhile). Returns whether it was written.
 */
export function writeCached<T>(db: string, key: string, before: StoreStamp | null, value: T): boolean {
  const after = storeStamp(db);
  if (!before || !after || !sameStamp(before, after)) return false;
  try {
    const file = statusCachePath(db);
    const tmp = `${file}.${process.pid}.tmp`;
    try {
      fs.writeFileSync(tmp, `${JSON.stringify({ key, stamp: after, value } satisfies CacheFile<T>)}\n`);
      fs.renameSync(tmp, file); // a reader sees the old file or the new one, never half of one
    } finally {
      fs.rmSync(tmp, { force: true });
    }
    return true;
  } catch {
    return false;
  }
}
