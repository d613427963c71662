/**
 * The status summary kept beside a store (store/status-cache.ts): used only while the store file
 * is exactly as it was read (no write, no checkpoint, no write-ahead log), and never for another
 * schema or query; what it gives equals a fresh read.
 */
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { LATEST_VERSION } from '../../src/store/schema.js';
import { readCached, statusCachePath, storeStamp, writeCached } from '../../src/store/status-cache.js';
import { cachedStoreStatus, readStoreStatus, storeStatusLite } from '../../src/store/status.js';
import { Store } from '../../src/store/store.js';
import { tmpStore } from '../support/tmp.js';

async function store(): Promise<string> {
  const { file, store } = await tmpStore();
  await store.run("INSERT INTO entities (kind, name, status, spec) VALUES ('experiments', 'alpha', 'active', '{}')");
  await store.run("INSERT INTO users (unit_id, country) SELECT 'u' || i, 'US' FROM range(40) t(i)");
  store.close();
  return file;
}

describe('the status summary kept beside the store', () => {
  it('is written by a read, equals a fresh read, and answers while the store is unchanged', async () => {
    const file = await store();
    expect(cachedStoreStatus(file)).toBeNull();
    const read = await readStoreStatus(file);
    expect(read.tables.users).toBe(40);
    expect(fs.existsSync(statusCachePath(file))).toBe(true);
    expect(cachedStoreStatus(file)).toEqual(read);
    expect(JSON.stringify(cachedStoreStatus(file))).toBe(JSON.stringify(await storeStatusLite(file))); // keys in the same order
  });

  it('is not used once the store is written to (the counts are read again)', async () => {
    const file = await store();
    await readStoreStatus(file);
    const rw = await Store.open(file);
    await rw.run("INSERT INTO users (unit_id, country) SELECT 'v' || i, 'FR' FROM range(7) t(i)");
    rw.close();
    expect(cachedStoreStatus(file)).toBeNull();
    expect((await readStoreStatus(file)).tables.users).toBe(47);
    expect(cachedStoreStatus(file)?.tables.users).toBe(47);
  });

  it('is not used while the store has a write-ahead log, nor when the file was replaced', async () => {
    const file = await store();
    await readStoreStatus(file);
    fs.writeFileSync(`${file}.wal`, 'x');
    expect(storeStamp(file)).toBeNull();
    expect(cachedStoreStatus(file)).toBeNull();
    fs.rmSync(`${file}.wal`);
    expect(cachedStoreStatus(file)).not.toBeNull();
    // The same bytes in a new file (another inode, another time): not the store that was read.
    const copy = `${file}.copy`;
    fs.copyFileSync(file, copy);
    fs.rmSync(file);
    fs.renameSync(copy, file);
    expect(cachedStoreStatus(file)).toBeNull();
  });

  it('a header that changed with the size and time kept (a checkpoint in the same tick) is caught', async () => {
    const file = await store();
    await readStoreStatus(file);
    /** Flips a bit of the second database header's checkpoint counter; the kept stamp then takes the file's new time. */
    const flip = (): void => {
      const fd = fs.openSync(file, 'r+');
      const b = Buffer.alloc(1);
      fs.readSync(fd, b, 0, 1, 8192 + 8);
      fs.writeSync(fd, Buffer.from([b[0]! ^ 1]), 0, 1, 8192 + 8);
      fs.closeSync(fd);
      const cache = JSON.parse(fs.readFileSync(statusCachePath(file), 'utf8')) as { stamp: { mtimeMs: number } };
      cache.stamp.mtimeMs = fs.statSync(file).mtimeMs;
      fs.writeFileSync(statusCachePath(file), JSON.stringify(cache));
    };
    flip();
    expect(cachedStoreStatus(file)).toBeNull();
    flip(); // back as it was read
    expect(cachedStoreStatus(file)).not.toBeNull();
  });

  it('is written only when the store did not change during the read, and only read back with its own key', async () => {
    const file = await store();
    const before = storeStamp(file);
    expect(before).not.toBeNull();
    expect(writeCached(file, 'k1', { ...before!, size: before!.size + 1 }, { n: 1 })).toBe(false);
    expect(fs.existsSync(statusCachePath(file))).toBe(false);
    expect(writeCached(file, 'k1', before, { n: 1 })).toBe(true);
    expect(readCached(file, 'k1')).toEqual({ n: 1 });
    expect(readCached(file, 'k2')).toBeNull();
    fs.writeFileSync(statusCachePath(file), '{"key": "k1", "stamp"'); // cut off
    expect(readCached(file, 'k1')).toBeNull();
  });

  it('a summary of an older schema is not used (the store path words STORE_OUTDATED)', async () => {
    const file = await store();
    await readStoreStatus(file);
    const cache = JSON.parse(fs.readFileSync(statusCachePath(file), 'utf8')) as { value: { schema_version: number } };
    cache.value.schema_version = LATEST_VERSION - 1;
    fs.writeFileSync(statusCachePath(file), JSON.stringify(cache));
    expect(cachedStoreStatus(file)).toBeNull();
  });
});
