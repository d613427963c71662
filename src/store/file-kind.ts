/** What kind of file a store path names, read from its first bytes (no DuckDB needed). */
import fs from 'node:fs';

/** DuckDB's file magic: bytes 8..11 of every database file (after the header's checksum). */
const MAGIC = 'DUCK';
const MAGIC_AT = 8;

/** Whether the file at `file` can be a DuckDB database: missing, empty (DuckDB starts one) or with DuckDB's magic. */
export function looksLikeDuckDb(file: string): boolean {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch {
    return true; // missing or unreadable: Store.open says which
  }
  try {
    if (fs.fstatSync(fd).size === 0) return true;
    const head = Buffer.alloc(MAGIC_AT + MAGIC.length);
    const n = fs.readSync(fd, head, 0, head.length, 0);
    return n === head.length && head.subarray(MAGIC_AT).toString('latin1') === MAGIC;
  } catch {
    return true; // a folder, or unreadable: DuckDB's own error says which
  } finally {
    fs.closeSync(fd);
  }
}
