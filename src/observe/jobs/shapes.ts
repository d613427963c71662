/**
 * Which queries DuckDB profiles (config `jobs.profile`). Profiling costs a query about 0.15 ms
 * (DuckDB writes its JSON profile to a file), which is more than 2% of a query of a few ms, so by
 * default ('sampled') only some runs of a query shape are profiled: the first one, one whose
 * last run changed its work by the `jobs slow` factor (its CPU time against the trailing median
 * of its shape: CPU time follows the rows a query reads and hardly the load of the machine,
 * where wall time on a busy machine jumps by that factor without any change in the data), one
 * whose profile is older than an hour, and every 20th run. The other runs are timed only,
 * and carry the scans and memory of the latest profiled run of the same shape, marked estimated.
 *
 * Pure: the state of each shape and the decisions. `ShapeBook` keeps them per store across CLI
 * runs in `<store>.jobs.shapes.json` (see scope.ts).
 */
import { createHash } from 'node:crypto';
import type { ProfileDetail } from '../../store/observer.js';
import { fingerprint } from './record.js';

export type ProfileMode = 'every' | 'sampled' | 'off';

/** What a profile said about a query's scans and memory: what unprofiled runs of its shape carry. */
export interface ScanFigures {
  rows_scanned: number | null;
  bytes_scanned: number | null;
  peak_memory: number | null;
}

/** The profiled job figures are carried from: its run and start (the job id is given at ingest). */
export interface ScanSource {
  run_id: string;
  started_ms: number;
  figures: ScanFigures;
  /** What the profile held (config `jobs.detail`): a shape profiled in 'summary' is profiled again when 'plan' is asked for. */
  detail: ProfileDetail;
}

export interface ShapeState {
  /** The latest profiled run of the shape, or null before the first. */
  source: ScanSource | null;
  /** When the source was profiled (epoch ms). */
  profiledAt: number;
  /** Runs since the source was profiled. */
  since: number;
  /** The latest costs (CPU ms, else wall ms), oldest first, at most `window`. */
  durations: number[];
  /** The latest run cost more than `factor` times, or less than 1/`factor` of, the median of the runs before it. */
  changed: boolean;
  /** When a run of the shape was last seen (epoch ms): the book keeps the most recent shapes. */
  seenAt: number;
}

export interface ProfilePolicy {
  mode: ProfileMode;
  /** What a profile holds (config `jobs.detail`). */
  detail: ProfileDetail;
  /** The `jobs slow` factor: a run this many times slower (or faster) than the trailing median marks a change. */
  factor: number;
  /** Durations the trailing median covers (as `jobs slow --window`). */
  window: number;
  /** Earlier runs needed to judge a change (as `jobs slow`). */
  minHistory: number;
  /** A change smaller than this (ms) is not one: sub-millisecond queries jitter by more than the factor. */
  minChangeMs: number;
  /** Profile every n-th run of a shape even when nothing changed. */
  sampleEvery: number;
  /** A profile older than this is not carried: the next run is profiled. */
  maxAgeMs: number;
}

export const DEFAULT_POLICY: ProfilePolicy = { mode: 'sampled', detail: 'summary', factor: 3, window: 20, minHistory: 3, minChangeMs: 1, sampleEvery: 20, maxAgeMs: 3_600_000 };

/** Why a run is profiled; null: it is not (it carries the latest profile). */
export type ProfileReason = 'every' | 'first' | 'stale' | 'changed' | 'sample' | null;

/** Whether the next run of a shape is profiled, and why. */
export function decide(state: ShapeState | undefined, now: number, policy: ProfilePolicy): ProfileReason {
  if (policy.mode === 'every') return 'every';
  if (policy.mode === 'off') return null;
  if (!state || state.source === null || state.source.detail !== policy.detail) return 'first';
  if (now - state.profiledAt > policy.maxAgeMs) return 'stale';
  if (state.changed) return 'changed';
  if (state.since + 1 >= policy.sampleEvery) return 'sample';
  return null;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

/**
 * The state after one run of the shape: its cost (CPU ms when measured, else wall ms), and its
 * profile's figures when it was profiled.
 */
export function afterRun(state: ShapeState | undefined, run: { costMs: number; now: number; profiled: ScanSource | null }, policy: ProfilePolicy): ShapeState {
  // A profile taken because the work changed starts the history afresh: the runs before the
  // change would otherwise hold the median back and flag every run after it as changed too.
  if (run.profiled && state?.changed) return { source: run.profiled, profiledAt: run.now, since: 0, durations: [run.costMs], changed: false, seenAt: run.now };
  const before = state?.durations ?? [];
  const med = before.length >= policy.minHistory ? median(before) : 0;
  const changed = med > 0 && Math.abs(run.costMs - med) >= policy.minChangeMs && (run.costMs > policy.factor * med || run.costMs * policy.factor < med);
  const durations = [...before, run.costMs].slice(-policy.window);
  if (run.profiled) return { source: run.profiled, profiledAt: run.now, since: 0, durations, changed, seenAt: run.now };
  return { source: state?.source ?? null, profiledAt: state?.profiledAt ?? 0, since: (state?.since ?? 0) + 1, durations, changed, seenAt: run.now };
}

/** String literals that name files (a path or a data-file extension): a query shape on another file is another table. */
const FILE_LITERAL = /'((?:[^']|'')*)'/g;
function fileLiterals(sql: string): string[] {
  const out: string[] = [];
  for (const m of sql.matchAll(FILE_LITERAL)) {
    const s = m[1] as string;
    if (/[/\\]|\.(csv|tsv|parquet|json|jsonl|ndjson|gz|zst|duckdb|db|xlsx)$/i.test(s)) out.push(s);
  }
  return out;
}

/**
 * The key under which a query's scans are carried: its shape (fingerprint) on the same tables.
 * Tables by name are part of the fingerprint; files read by a table function are string
 * literals, which the fingerprint drops, so they are added here.
 */
export function carryKey(sql: string): { key: string; fingerprint: string } {
  const fp = fingerprint(sql);
  const files = fileLiterals(sql);
  return { fingerprint: fp, key: files.length === 0 ? fp : `${fp}@${createHash('sha256').update(files.join('\0')).digest('hex').slice(0, 12)}` };
}

export const MAX_SHAPES = 500;

/**
 * The states of the query shapes of one store, most recently seen kept. Stored as a journal of
 * JSON lines (`{"k": key, "s": state}`, the last line of a key wins): a run appends the shapes
 * it changed, which costs about as much as the spool's append, where rewriting a file costs
 * milliseconds on ext4 (it flushes a file replaced by truncation or rename). The journal is
 * rewritten whole (compacted) only once it has grown past COMPACT_BYTES.
 *
 * A journal read back is only split into lines by key: a line is parsed when its shape is asked
 * for. A run asks for the few shapes it runs, where parsing a journal near COMPACT_BYTES whole
 * cost 1.3-6 ms a run (bench jobs), more than the log's whole budget for a short analysis. And
 * a run may start from the journal's tail only (`older` reads the rest when a shape is not in
 * it): a command run again finds its shapes in the latest lines.
 */
export class ShapeBook {
  private readonly shapes: Map<string, ShapeState>;
  /** Journal lines not parsed yet, by key, oldest first (the last line that reads as a state wins). */
  private readonly raw = new Map<string, string[]>();
  /** The part of the journal before the lines read so far, read when a shape is not in them. */
  private older: (() => string) | null = null;

  constructor(entries: Iterable<[string, ShapeState]> = []) {
    this.shapes = new Map(entries);
  }

  get(key: string): ShapeState | undefined {
    const known = this.shapes.get(key);
    if (known !== undefined) return known;
    let lines = this.raw.get(key);
    if (lines === undefined && this.older !== null) {
      this.readOlder();
      lines = this.raw.get(key);
    }
    if (lines === undefined) return undefined;
    this.raw.delete(key);
    for (let i = lines.length - 1; i >= 0; i--) {
      const state = stateOf(lines[i] as string, key);
      if (state !== null) {
        this.shapes.set(key, state);
        return state;
      }
    }
    return undefined;
  }

  set(key: string, state: ShapeState): void {
    this.raw.delete(key);
    this.shapes.set(key, state);
  }

  /** The shapes that read back (every pending line parsed). */
  get size(): number {
    this.parseAll();
    return this.shapes.size;
  }

  private parseAll(): void {
    this.readOlder();
    for (const key of [...this.raw.keys()]) this.get(key);
  }

  private readOlder(): void {
    const read = this.older;
    if (read === null) return;
    this.older = null;
    let text = '';
    try {
      text = read();
    } catch {
      return; // the book is a cache: what cannot be read costs a profile
    }
    const older = ShapeBook.parse(text);
    for (const [key, lines] of older.raw) {
      if (this.shapes.has(key)) continue; // set by this run, or read from a later line
      const later = this.raw.get(key);
      this.raw.set(key, later ? [...lines, ...later] : lines);
    }
  }

  /** Journal lines for `keys` (each ends in a newline). */
  lines(keys: Iterable<string>): string {
    let out = '';
    for (const k of keys) {
      const st = this.shapes.get(k);
      // Written out field by field: no object spread on this path (see jobRecord).
      if (st) {
        const s: ShapeState = { source: st.source, profiledAt: st.profiledAt, since: st.since, durations: st.durations.map(round2), changed: st.changed, seenAt: st.seenAt };
        out += `${JSON.stringify({ k, s })}\n`;
      }
    }
    return out;
  }

  /** The whole journal, compacted: at most MAX_SHAPES shapes, the most recently seen. */
  compacted(): string {
    this.parseAll();
    const kept = [...this.shapes].sort((a, b) => b[1].seenAt - a[1].seenAt).slice(0, MAX_SHAPES);
    return this.lines(kept.map(([k]) => k));
  }

  /**
   * A book from its journal, or from the journal's latest lines and a way to read the lines
   * before them (`older`, read at most once, when a shape is not in the latest lines); a line
   * that is malformed is dropped when its shape is asked for (the book is a cache: losing it
   * costs profiles, nothing else).
   */
  static parse(text: string, older: (() => string) | null = null): ShapeBook {
    const book = new ShapeBook();
    book.older = older;
    let at = 0;
    while (at < text.length) {
      let end = text.indexOf('\n', at);
      if (end === -1) end = text.length;
      const line = text.slice(at, end);
      at = end + 1;
      const key = keyOf(line);
      if (key === null) continue;
      const lines = book.raw.get(key);
      if (lines) lines.push(line);
      else book.raw.set(key, [line]);
    }
    return book;
  }
}

const KEY_HEAD = '{"k":"';
const KEY_TAIL = '","s":';

/** The key of a journal line: read off the line as `lines` writes it, else from the parsed line; null for what is no entry. */
function keyOf(line: string): string | null {
  if (!line) return null;
  if (line.startsWith(KEY_HEAD)) {
    const end = line.indexOf(KEY_TAIL, KEY_HEAD.length);
    const key = end === -1 ? '' : line.slice(KEY_HEAD.length, end);
    if (key && !key.includes('\\') && !key.includes('"')) return key;
  }
  try {
    const e = JSON.parse(line) as { k?: unknown } | null;
    return e && typeof e.k === 'string' ? e.k : null;
  } catch {
    return null; // a torn or foreign line
  }
}

/** The state a journal line holds for `key`, or null when the line does not read as one. */
function stateOf(line: string, key: string): ShapeState | null {
  try {
    const e = JSON.parse(line) as { k?: unknown; s?: unknown } | null;
    return e && e.k === key && isState(e.s) ? e.s : null;
  } catch {
    return null;
  }
}

/** A journal past this size is compacted by the next run that writes it. */
export const COMPACT_BYTES = 256 * 1024;

const round2 = (x: number): number => Math.round(x * 100) / 100;

const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isNumOrNull = (v: unknown): boolean => v === null || isNum(v);

function isState(v: unknown): v is ShapeState {
  if (!v || typeof v !== 'object') return false;
  const s = v as Record<string, unknown>;
  if (!isNum(s.profiledAt) || !isNum(s.since) || !isNum(s.seenAt) || typeof s.changed !== 'boolean') return false;
  if (!Array.isArray(s.durations) || !s.durations.every(isNum)) return false;
  if (s.source === null) return true;
  const src = s.source as Record<string, unknown> | undefined;
  if (!src || typeof src.run_id !== 'string' || !isNum(src.started_ms) || (src.detail !== 'summary' && src.detail !== 'plan') || !src.figures || typeof src.figures !== 'object') return false;
  const f = src.figures as Record<string, unknown>;
  return isNumOrNull(f.rows_scanned) && isNumOrNull(f.bytes_scanned) && isNumOrNull(f.peak_memory);
}
