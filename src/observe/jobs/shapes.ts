/**
 * Which queries DuckDB profiles (config `jobs.profile`). Profiling costs a query about 0.15 ms
 * (DuckDB writes its JSON profile to a file), which is more than 2% of a query of a few ms, so by
 * default ('sampled') only some runs of a query shape are profiled: the first one, the run after
 * one whose work grew by the `jobs slow` factor (its CPU time against that of the shape's
 * latest profiled run: CPU time follows the rows a query reads and hardly the load of the
 * machine, where wall time on a busy machine jumps by that factor without any change in the
 * data), one whose profile is older than a week, and one run in 20 at random. The other runs
 * are timed only, and carry the scans and memory of the latest profiled run of the same shape,
 * marked estimated.
 *
 * A shape's state changes only when it is profiled or its work changes: a run like the last
 * one leaves it as it was, so most runs write nothing to the journal (a random draw rather than
 * a count of runs since the profile, which every run would have to write back).
 *
 * Pure: the state of each shape and the decisions. `ShapeBook` keeps them per store across CLI
 * runs in `<store>.jobs.shapes.tsv` (see scope.ts).
 */
import type { ProfileDetail } from '../../store/observer.js';
import { hash48, scanSql } from './record.js';

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
  /** What the profiled run cost (CPU ms, else wall ms): the work later runs are held against; 0 before the first. */
  baseMs: number;
  /** A run since the profile cost more than `factor` times baseMs (and by at least minChangeMs). */
  changed: boolean;
  /**
   * The latest run cost that much more once: a second such run in a row marks the change. One run
   * is no evidence: a CLI run's first query pays for DuckDB's cold start (a 2 ms lookup took 1 to
   * 41 ms over 96 fresh processes), and a single spike profiled the shape on the next run.
   */
  grown: boolean;
  /** When the state last changed (epoch ms): the book keeps the most recent shapes. */
  seenAt: number;
  /** textHash of the query's text when the state was written ('' unknown; hash48 in earlier builds): the same text run again finds its shape without normalizing it. */
  text: string;
}

export interface ProfilePolicy {
  mode: ProfileMode;
  /** What a profile holds (config `jobs.detail`). */
  detail: ProfileDetail;
  /** The `jobs slow` factor: a run this many times slower (or faster) than the profiled run marks a change. */
  factor: number;
  /** A change smaller than this (ms) is not one: sub-millisecond queries jitter by more than the factor. */
  minChangeMs: number;
  /** Profile one run in this many at random even when nothing changed (0: never). */
  sampleEvery: number;
  /** A profile older than this is not carried: the next run is profiled. */
  maxAgeMs: number;
}

export const DEFAULT_POLICY: ProfilePolicy = { mode: 'sampled', detail: 'summary', factor: 3, minChangeMs: 5, sampleEvery: 20, maxAgeMs: 7 * 24 * 3_600_000 };

/** Why a run is profiled; null: it is not (it carries the latest profile). */
export type ProfileReason = 'every' | 'first' | 'stale' | 'changed' | 'sample' | null;

/** Whether the next run of a shape is profiled, and why; `draw` is uniform in [0, 1) (the sample). */
export function decide(state: ShapeState | undefined, now: number, policy: ProfilePolicy, draw: number = Math.random()): ProfileReason {
  if (policy.mode === 'every') return 'every';
  if (policy.mode === 'off') return null;
  if (!state || state.source === null || state.source.detail !== policy.detail) return 'first';
  if (now - state.profiledAt > policy.maxAgeMs) return 'stale';
  if (state.changed) return 'changed';
  if (policy.sampleEvery > 0 && draw * policy.sampleEvery < 1) return 'sample';
  return null;
}

/**
 * The state after one run of the shape: its cost (CPU ms when measured, else wall ms), and its
 * profile's figures when it was profiled. A profiled run becomes the new base; an unprofiled
 * one costing the factor more than the base (and by minChangeMs) marks the shape grown, and a
 * second one in a row marks it changed (profiled on its next run); one that does not undoes
 * grown. Otherwise the state is returned as it was: the same object.
 */
export function afterRun(state: ShapeState | undefined, run: { costMs: number; now: number; profiled: ScanSource | null; text?: string }, policy: ProfilePolicy): ShapeState {
  const text = run.text ?? '';
  if (run.profiled) return { source: run.profiled, profiledAt: run.now, baseMs: run.costMs, changed: false, grown: false, seenAt: run.now, text };
  if (state === undefined) return { source: null, profiledAt: 0, baseMs: 0, changed: false, grown: false, seenAt: run.now, text };
  if (state.changed) return state;
  const base = state.baseMs;
  // Only more work is a change: the profiled run is most often the shape's first, on cold caches,
  // and the warm runs after it cost a fraction of it; for a table that shrank, the carried
  // figures are an upper bound until the next sample (`jobs` reads it the same way).
  const more = base > 0 && run.costMs - base >= policy.minChangeMs && run.costMs > policy.factor * base;
  if (!more && !state.grown) return state;
  return { source: state.source, profiledAt: state.profiledAt, baseMs: base, changed: more && state.grown, grown: more && !state.grown, seenAt: run.now, text };
}

/**
 * First words of bookkeeping statements (settings and transaction control): their profile says
 * nothing, their time is no work. `jobs` counts the same statements apart (OVERHEAD_SQL in log.ts).
 */
export const BOOKKEEPING_WORDS: readonly string[] = ['SET', 'RESET', 'PRAGMA', 'BEGIN', 'COMMIT', 'ROLLBACK', 'ABORT', 'END', 'START', 'CHECKPOINT', 'SAVEPOINT', 'RELEASE'];
const BOOKKEEPING = new Set(BOOKKEEPING_WORDS);

/**
 * Whether a statement is bookkeeping (its first word is SET, PRAGMA, BEGIN, COMMIT...): such a
 * statement has no shape to follow and is never a reason to switch DuckDB's profiler (analyze's
 * `SET threads` around a one-thread scan, jittering between 0.3 and 2 ms, would otherwise read as
 * grown work and be profiled on its own, two switches of the profiler for nothing).
 */
export function isBookkeeping(sql: string): boolean {
  let i = 0;
  while (i < sql.length && sql.charCodeAt(i) <= 32) i++;
  let j = i;
  while (j < sql.length && j - i < 11) {
    const c = sql.charCodeAt(j) | 32; // lower case a letter
    if (c < 97 || c > 122) break;
    j++;
  }
  return j > i && BOOKKEEPING.has(sql.slice(i, j).toUpperCase());
}

/** The fingerprint part of a carry key (carryKey: the fingerprint, then `@` and the files' hash when it reads files). */
export function fingerprintOfKey(key: string): string {
  const at = key.indexOf('@');
  return at === -1 ? key : key.slice(0, at);
}

/** A string literal that names a file (a path or a data-file extension): a query shape on another file is another table. */
const FILE_NAME = /[/\\]|\.(csv|tsv|parquet|json|jsonl|ndjson|gz|zst|duckdb|db|xlsx)$/i;

/**
 * The key under which a query's scans are carried: its shape (fingerprint) on the same tables.
 * Tables by name are part of the fingerprint; files read by a table function are string
 * literals, which the fingerprint drops, so they are added here.
 */
export function carryKey(sql: string): { key: string; fingerprint: string } {
  const { shape, literals } = scanSql(sql);
  const fp = hash48(shape);
  const files = literals.filter((s) => FILE_NAME.test(s));
  return { fingerprint: fp, key: files.length === 0 ? fp : `${fp}@${hash48(files.join('\0'))}` };
}

export const MAX_SHAPES = 500;

/**
 * The states of the query shapes of one store, most recently seen kept. Stored as a journal of
 * tab-separated lines (lineOf: a key and its state; the last line of a key wins): a run appends the shapes
 * it changed, which costs about as much as the spool's append, where rewriting a file costs
 * milliseconds on ext4 (it flushes a file replaced by truncation or rename). The journal is
 * rewritten whole (compacted) only once it has grown past COMPACT_BYTES.
 *
 * A journal read back is not parsed: a shape asked for is looked up in its text, from the end
 * (`lastIndexOf` of the key at a line's start, a native search), and only that line is parsed.
 * A run asks for the few shapes it runs, and a command run again finds them in the latest lines;
 * parsing the journal first, even its last 16 KB, cost 50-150 µs a run between DuckDB's queries,
 * and all of it (near COMPACT_BYTES) 1.3-6 ms. `older`, when given, is the part of the journal
 * before `text`, read once when a lookup misses `text`.
 */
export class ShapeBook {
  private readonly shapes: Map<string, ShapeState>;
  /** Keys looked up and not in the journal. */
  private readonly absent = new Set<string>();
  /** Keys by the hash of a query text, as looked up (null: not in the journal). */
  private readonly texts = new Map<string, string | null>();
  /** The journal's text: its latest part, searched first, and the part before it (read when needed). */
  private tail = '';
  private head: string | null = null;
  private older: (() => string) | null = null;
  private parsed = false;

  constructor(entries: Iterable<[string, ShapeState]> = []) {
    this.shapes = new Map(entries);
  }

  /** The journal's parts from the latest: the text given, then the part before it (read once, on the first miss). */
  private part(i: number): string | null {
    if (i === 0) return this.tail;
    if (i > 1) return null;
    if (this.head === null) {
      const read = this.older;
      this.older = null;
      try {
        this.head = read ? read() : '';
      } catch {
        this.head = ''; // the book is a cache: what cannot be read costs a profile
      }
    }
    return this.head;
  }

  get(key: string): ShapeState | undefined {
    const known = this.shapes.get(key);
    if (known !== undefined || this.absent.has(key)) return known;
    const prefix = `${key}\t`;
    for (let i = 0; ; i++) {
      const text = this.part(i);
      if (text === null) break;
      // The last line of the key that reads as a state wins.
      for (let start = lastLineStart(text, prefix, text.length + 1); start >= 0; start = lastLineStart(text, prefix, start)) {
        const end = text.indexOf('\n', start);
        const state = stateOf(text.slice(start, end === -1 ? text.length : end), key);
        if (state !== null) {
          this.shapes.set(key, state);
          return state;
        }
      }
    }
    this.absent.add(key);
    return undefined;
  }

  /** The key of the shape last written with this query text (a textHash), if the journal has one. */
  keyForText(text: string): string | undefined {
    const cached = this.texts.get(text);
    if (cached !== undefined) return cached ?? undefined;
    const needle = `\t${text}\t`;
    for (let i = 0; ; i++) {
      const part = this.part(i);
      if (part === null) break;
      // The text is a line's second field: the key before it has no tab.
      for (let at = part.lastIndexOf(needle); at > 0; at = part.lastIndexOf(needle, at - 1)) {
        const key = part.slice(part.lastIndexOf('\n', at) + 1, at);
        if (key.length > 0 && !key.includes('\t')) {
          this.texts.set(text, key);
          return key;
        }
      }
    }
    this.texts.set(text, null);
    return undefined;
  }

  /** The state of a shape this book already holds (set, or read from the journal), without searching the journal. */
  known(key: string): ShapeState | undefined {
    return this.shapes.get(key);
  }

  set(key: string, state: ShapeState): void {
    this.absent.delete(key);
    this.shapes.set(key, state);
  }

  /** The shapes that read back (every line parsed). */
  get size(): number {
    this.parseAll();
    return this.shapes.size;
  }

  /** Every key's state from its last line that reads as one, but for the shapes already known (set by this run, or read). */
  private parseAll(): void {
    if (this.parsed) return;
    this.parsed = true;
    const lines = new Map<string, string[]>();
    for (const text of [this.part(1) ?? '', this.tail]) {
      let at = 0;
      while (at < text.length) {
        let end = text.indexOf('\n', at);
        if (end === -1) end = text.length;
        const line = text.slice(at, end);
        at = end + 1;
        const tab = line.indexOf('\t');
        if (tab <= 0) continue;
        const key = line.slice(0, tab);
        const list = lines.get(key);
        if (list) list.push(line);
        else lines.set(key, [line]);
      }
    }
    for (const [key, list] of lines) {
      if (this.shapes.has(key)) continue;
      for (let i = list.length - 1; i >= 0; i--) {
        const state = stateOf(list[i] as string, key);
        if (state !== null) {
          this.shapes.set(key, state);
          break;
        }
      }
    }
  }

  /** Journal lines for `keys` (each ends in a newline; see lineOf). */
  lines(keys: Iterable<string>): string {
    let out = '';
    for (const k of keys) {
      const st = this.shapes.get(k);
      if (st) out += lineOf(k, st);
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
   * that is malformed is passed over when its shape is asked for (the book is a cache: losing it
   * costs profiles, nothing else).
   */
  static parse(text: string, older: (() => string) | null = null): ShapeBook {
    const book = new ShapeBook();
    book.tail = text;
    book.older = older;
    if (older === null) book.head = '';
    return book;
  }
}

/** Where the last line of `text` that starts with `prefix` and starts before `before` starts; -1 when none does. */
function lastLineStart(text: string, prefix: string, before: number): number {
  if (before <= 0) return -1;
  const nl = before >= 2 ? text.lastIndexOf(`\n${prefix}`, before - 2) : -1;
  if (nl !== -1) return nl + 1;
  return text.startsWith(prefix) ? 0 : -1;
}

/**
 * One journal line: tab-separated fields, no JSON (a run reads a line per query shape it runs,
 * between DuckDB's queries, where JSON.parse of the nested state cost about 20 µs a line):
 * key, text, profiledAt, baseMs, changed (0, 1 changed, 2 grown once), seenAt, and the source's run_id, started_ms, detail,
 * rows_scanned, bytes_scanned, peak_memory (empty fields when there is no source; an empty
 * figure is null).
 */
function lineOf(k: string, st: ShapeState): string {
  const src = st.source;
  const tail = src === null ? '\t\t\t\t\t' : `${src.run_id}\t${src.started_ms}\t${src.detail}\t${src.figures.rows_scanned ?? ''}\t${src.figures.bytes_scanned ?? ''}\t${src.figures.peak_memory ?? ''}`;
  return `${k}\t${st.text}\t${st.profiledAt}\t${round2(st.baseMs)}\t${st.changed ? 1 : st.grown ? 2 : 0}\t${st.seenAt}\t${tail}\n`;
}

const FIELDS = 12;
/** A finite number from a field; null for an empty field or one that is no number. */
function numOf(field: string): number | null {
  if (field === '') return null;
  const v = Number(field);
  return Number.isFinite(v) ? v : null;
}

/** The state a journal line holds for `key`, or null when the line does not read as one (torn, foreign, or of another key). */
function stateOf(line: string, key: string): ShapeState | null {
  const f = line.split('\t');
  if (f.length !== FIELDS || f[0] !== key) return null;
  const profiledAt = numOf(f[2] as string);
  const baseMs = numOf(f[3] as string);
  const seenAt = numOf(f[5] as string);
  if (profiledAt === null || baseMs === null || seenAt === null || (f[4] !== '0' && f[4] !== '1' && f[4] !== '2')) return null;
  let source: ScanSource | null = null;
  if (f[6] !== '') {
    const started = numOf(f[7] as string);
    const detail = f[8];
    if (started === null || (detail !== 'summary' && detail !== 'plan')) return null;
    const figure = (x: string): number | null | undefined => (x === '' ? null : (numOf(x) ?? undefined));
    const rows = figure(f[9] as string);
    const bytes = figure(f[10] as string);
    const mem = figure(f[11] as string);
    if (rows === undefined || bytes === undefined || mem === undefined) return null;
    source = { run_id: f[6] as string, started_ms: started, detail, figures: { rows_scanned: rows, bytes_scanned: bytes, peak_memory: mem } };
  }
  return { source, profiledAt, baseMs, changed: f[4] === '1', grown: f[4] === '2', seenAt, text: f[1] as string };
}

/** A journal past this size is compacted by the next run that writes it. */
export const COMPACT_BYTES = 128 * 1024;

const round2 = (x: number): number => Math.round(x * 100) / 100;

