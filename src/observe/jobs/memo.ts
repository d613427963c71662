/**
 * The shapes memo: the exact texts of recent queries with their shape's key and state, kept
 * beside the shapes journal in `<store>.jobs.memo.json`, so that a command run again finds each
 * of its queries in one Map lookup on its text (V8's own string hash) instead of hashing the text,
 * searching the journal for its key and parsing the key's line. In a fresh CLI process, before
 * V8 has compiled any of it, this took about 0.3 ms off the log's cold cost on a 35-query `analyze`
 * (paired fresh processes; see README, `npm run bench -- jobs`).
 *
 * The memo is a cache of the journal: it holds the states the journal held when it was written,
 * and is used only while the journal is still as it was then (the same length and the same last
 * TAIL characters; every line ends in its run's timestamps). Any other write to the journal (a
 * run that changed a shape, a compaction, an edit) leaves it unused until the next run writes it
 * again. A memo that does not parse, or an entry that does not read as one, is passed over.
 *
 * Pure: parse, check and serialize; scope.ts reads and writes the file.
 */
import type { ShapeState } from './shapes.js';

/** The memo's format; a memo of another version is not used. */
const VERSION = 1;
/** Characters of the journal's end the memo keeps to recognise it. */
const TAIL = 160;
/** The memo stops taking entries at about this size (the latest run's texts first). */
export const MEMO_BYTES = 48 * 1024;
/** A query text longer than this is not kept (it is found through the journal, as without a memo). */
export const MEMO_TEXT_MAX = 8 * 1024;

/** One query text's shape: its carry key, its textHash (the journal's text field) and its state. */
export interface MemoEntry {
  key: string;
  text: string;
  state: ShapeState;
}

/**
 * The memo's entries by query text, unchecked (checked one by one as they are used: `entryOf`),
 * when `raw` is a memo of this version written for `journal` as it is now; otherwise null.
 */
export function memoFor(raw: string, journal: string): Map<string, unknown> | null {
  try {
    const m = JSON.parse(raw) as { v?: unknown; size?: unknown; tail?: unknown; texts?: unknown };
    if (m.v !== VERSION || m.size !== journal.length || m.tail !== journal.slice(-TAIL) || !Array.isArray(m.texts)) return null;
    // The Map constructor checks that each element is a pair (it throws otherwise); the key of a
    // pair that is not a string is never looked up.
    return new Map(m.texts as [string, unknown][]);
  } catch {
    return null;
  }
}

/**
 * A memo entry's value as an entry, or null when it is not shaped as one (torn, foreign, hostile).
 * Checked only as far as the log's code needs to run on it: a state whose fields are not numbers
 * where numbers belong (a file written by hand) compares as no change and writes a journal line
 * that no run reads back, and `jobs` skips a spool record whose figures are not numbers; this is
 * the trust the journal itself gets. A fuller check, field by field, cost about 0.3 ms of a fresh
 * CLI run (24 entries, before V8 compiled it).
 */
export function entryOf(value: unknown): MemoEntry | null {
  if (!Array.isArray(value) || value.length !== 3) return null;
  const key: unknown = value[0];
  const text: unknown = value[1];
  const state = value[2] as Record<string, unknown> | null;
  if (typeof key !== 'string' || key === '' || typeof text !== 'string' || typeof state !== 'object' || state === null) return null;
  // A key is written at the start of a journal line: no field or line separator in it.
  if (key.includes('\t') || key.includes('\n')) return null;
  const source = state.source as Record<string, unknown> | null;
  if (source !== null && (typeof source !== 'object' || typeof source.figures !== 'object' || source.figures === null)) return null;
  return { key, text, state: state as unknown as ShapeState };
}

/**
 * The memo for `journal` as it is now: `entries` (query text, key, textHash, state) in order,
 * the first of a text kept, texts over MEMO_TEXT_MAX left out, up to about MEMO_BYTES.
 */
export function memoText(journal: string, entries: Iterable<[string, string, string, ShapeState]>): string {
  const seen = new Set<string>();
  let out = '';
  let bytes = 0;
  for (const [sql, key, text, state] of entries) {
    if (seen.has(sql) || sql.length > MEMO_TEXT_MAX) continue;
    seen.add(sql);
    const pair = JSON.stringify([sql, [key, text, state]]);
    if (bytes + pair.length > MEMO_BYTES) break;
    out += out === '' ? pair : `,${pair}`;
    bytes += pair.length + 1;
  }
  return `{"v":${VERSION},"size":${journal.length},"tail":${JSON.stringify(journal.slice(-TAIL))},"texts":[${out}]}`;
}
