/**
 * The job log of one CLI run. cli.ts runs the whole command inside `queryObserver.run(scope)`;
 * once the command is known (`describe`), every store query is kept in memory and, when the
 * run ends, appended to a spool file next to the project store (one JSON line per query); also
 * every 500 queries, FLUSH_AFTER_MS after the oldest unwritten one once the run has lasted
 * ARM_AFTER_MS, and on the process's 'exit' (process.exit(), an uncaught exception). A SIGKILL
 * loses at most the last FLUSH_AFTER_MS, or the first ARM_AFTER_MS of a run that ran no query after it.
 * A spool rather than the store itself: most commands open the store read-only, and a
 * second process may hold it. `jobs` moves the spool into the store's `jobs` table.
 *
 * The scope also chooses which queries DuckDB profiles (config `jobs.profile`, see shapes.ts):
 * the state of each query shape is kept across runs in `<store>.jobs.shapes.tsv`, and the exact
 * texts of recent queries with their shapes in `<store>.jobs.memo.json` (a cache, see memo.ts).
 */
import fs from 'node:fs';
import type { JobAttribution, ProfileDetail, QueryObserver, QueryRecord } from '../../store/observer.js';
import { jobLine, jobLinePrefix, jobRecord, scanFigures, textHash, type JobContext, type JobRecord } from './record.js';
import { entryOf, memoFor, memoText } from './memo.js';
import { afterRun, carryKey, COMPACT_BYTES, decide, DEFAULT_POLICY, fingerprintOfKey, isBookkeeping, ShapeBook, type ProfileMode, type ProfilePolicy, type ScanSource, type ShapeState } from './shapes.js';

/** The spool of a project store: `<store>.jobs.jsonl`. */
export function spoolPath(db: string): string {
  return `${db}.jobs.jsonl`;
}

/** The query shapes of a project store (what was profiled, when, and what each run cost), a journal: `<store>.jobs.shapes.tsv`. */
export function shapesPath(db: string): string {
  return `${db}.jobs.shapes.tsv`;
}

/** Recent query texts and their shapes, a cache of the journal (see memo.ts): `<store>.jobs.memo.json`. */
export function memoPath(db: string): string {
  return `${db}.jobs.memo.json`;
}

/**
 * Flags for the log's files: never through a symbolic link at the file's own name (a project
 * cloned with `project.duckdb.jobs.jsonl -> ~/.bashrc` would otherwise have the log appended there).
 */
const NOFOLLOW = fs.constants.O_NOFOLLOW ?? 0;
const APPEND = fs.constants.O_WRONLY | fs.constants.O_APPEND | fs.constants.O_CREAT | NOFOLLOW;

/** The config's `jobs` settings the log uses. */
export interface JobSettings {
  enabled?: boolean | undefined;
  detail?: ProfileDetail | undefined;
  profile?: ProfileMode | undefined;
  slowFactor?: number | undefined;
  sampleEvery?: number | undefined;
}

/** Commands whose own queries are not logged (reading the log is not a job). */
const UNLOGGED = new Set(['jobs']);
const FLUSH_EVERY = 500;
/** A record waits at most this long in memory (a long `serve` killed with SIGKILL loses at most this much of its log). */
export const FLUSH_AFTER_MS = 10_000;
/**
 * The flush timer is armed only by a query this long after the run's first: a CLI run, over in
 * well under a second, writes its log when it ends and never arms it. A process's first
 * setTimeout cost about 0.3 ms, which a CLI run does not otherwise pay.
 */
export const ARM_AFTER_MS = 1_000;
/** A spool nobody moves into the store stops growing here (`jobs` empties it). */
export const MAX_SPOOL_BYTES = 64 * 1024 * 1024;

/**
 * Scopes holding records not yet written: the process's 'exit' writes them (an exit through
 * process.exit(), e.g. a closed pipe, or an uncaught exception, which skip cli.ts's own flush).
 */
const unwritten = new Set<JobScope>();
let exitHooked = false;
function holdUntilWritten(scope: JobScope): void {
  unwritten.add(scope);
  if (exitHooked) return;
  exitHooked = true;
  process.once('exit', () => {
    for (const s of [...unwritten]) s.flush();
  });
}

/** A query's carry key, its fingerprint, and the textHash of its text ('' when not needed). */
interface ShapeKey {
  key: string;
  fingerprint: string;
  text: string;
  /** Whether the journal had a line with this text (false: the key was computed; record writes the text once). */
  found: boolean;
}

/** A query waiting to be written: records are built at flush, off the queries' path. */
interface Pending {
  q: QueryRecord;
  ctx: JobContext;
  carry: ScanSource | null;
  /** Null when it is computed at flush (cached by SQL text). */
  fingerprint: string | null;
}

export class JobScope implements QueryObserver {
  private id: string | null = null;
  /**
   * This run's id, drawn when first needed: 12 random hex digits (48 bits) from Math.random, which
   * V8 seeds from the system's entropy. An id groups a run's jobs; it guards nothing, so it needs
   * no cryptographic draw (a fresh process's first randomUUID cost 0.2-0.3 ms).
   */
  get runId(): string {
    this.id ??= Math.floor(Math.random() * 2 ** 48).toString(16).padStart(12, '0');
    return this.id;
  }
  private ctx: JobContext | null = null;
  /** What DuckDB profiles per query (config `jobs.detail`). */
  detail: ProfileDetail = 'summary';
  /** Which queries DuckDB profiles (config `jobs.profile`, and `jobs.slowFactor` for a change of speed). */
  policy: ProfilePolicy = DEFAULT_POLICY;
  private db: string | null = null;
  /** Queries observed and not yet written. */
  private pending: Pending[] = [];
  /** Writes the pending records FLUSH_AFTER_MS after the first of them (unref'd: it keeps no process alive). */
  private timer: NodeJS.Timeout | null = null;
  /** How long a record may wait in memory (FLUSH_AFTER_MS; tests shorten it). */
  flushAfterMs = FLUSH_AFTER_MS;
  /** How long after its first query a run arms the timer (ARM_AFTER_MS; tests shorten it). */
  armAfterMs = ARM_AFTER_MS;
  /** When the run's first query ended (epoch ms; null before it). */
  private firstAt: number | null = null;
  /** The shapes of the store, read on the first query ('sampled' only). */
  private book: ShapeBook | null = null;
  /** The journal's text as this run last read or wrote it (null: unknown, or there is none): what a memo is written for. */
  private journalText: string | null = null;
  /** The memo's entries by query text, when it matched the journal (checked as they are used). */
  private memo: Map<string, unknown> | null = null;
  /** Whether the memo is to be written at the next flush: it did not match, missed a query, or the journal changed. */
  private memoStale = false;
  /** Shapes changed since the last flush (appended to the journal then), and whether the journal is due for compaction. */
  private readonly changedShapes = new Set<string>();
  private compact = false;
  /**
   * The random sample's draw (see decide), one per run and drawn again at each write (a long
   * `serve` has many): a sampled run profiles all its shapes together, one switch of DuckDB's
   * profiler on and off, where a draw per query would switch it for each.
   */
  private draw = Math.random();
  /** Carry keys and fingerprints by SQL text (null: bookkeeping): a query run again is not looked at again. */
  private readonly keys = new Map<string, ShapeKey | null>();

  get active(): boolean {
    return this.ctx !== null;
  }

  /**
   * Starts logging for a command: its name (`profile compare` for a subcommand), the
   * experiment and metric it was asked about (its --experiment and --metric options), and the
   * project store whose spool receives the log. The config's `jobs` settings: `enabled: false`
   * turns logging off; `detail` chooses query-level figures or whole plans; `profile` which
   * queries are profiled; `slowFactor` what counts as a change of speed; `sampleEvery` how often
   * an unchanged shape is profiled anyway.
   */
  describe(command: string, opts: Record<string, unknown>, db: string, settings: JobSettings = {}): void {
    if (settings.enabled === false || UNLOGGED.has(command.split(' ')[0] ?? '')) return;
    this.detail = settings.detail ?? 'summary';
    this.policy = { ...DEFAULT_POLICY, mode: settings.profile ?? DEFAULT_POLICY.mode, detail: this.detail, factor: settings.slowFactor ?? DEFAULT_POLICY.factor, sampleEvery: settings.sampleEvery ?? DEFAULT_POLICY.sampleEvery };
    this.ctx = { command, experiment: optionText(opts.experiment), metric: optionText(opts.metric) };
    this.db = db;
  }

  /**
   * What the run's next queries compute, as the command found it: store-mode analyze without
   * --metric computes every metric the experiment lists in one query, so its jobs carry that
   * list (comma-joined, as `--metric a,b` is) and `jobs --by metric` splits them equally.
   * Queries already recorded keep what they had (a new context object, not a mutation).
   */
  attribute(a: JobAttribution): void {
    if (!this.ctx || a.metrics === undefined || a.metrics.length === 0) return;
    this.ctx = { ...this.ctx, metric: [...new Set(a.metrics)].join(',') };
  }

  private shapes(): ShapeBook {
    if (this.book === null) {
      const journal = this.db === null ? null : readJournal(shapesPath(this.db));
      this.book = journal === null ? new ShapeBook() : ShapeBook.parse(journal);
      this.journalText = journal;
      if (journal !== null && this.db !== null) {
        const raw = readJournal(memoPath(this.db));
        this.memo = raw === null ? null : memoFor(raw, journal);
      }
      this.memoStale = this.memo === null;
      // No journal yet: this run writes the first, and removes the JSON one of earlier builds.
      this.compact = journal === null || journal.length > COMPACT_BYTES;
    }
    return this.book;
  }

  /**
   * A query's carry key and fingerprint. Under 'sampled', a text in the memo takes its key and
   * state from there (one Map lookup); else a text the shapes journal has seen (its textHash on a
   * journal line) takes its key from there, without normalizing it: normalizing cost 15-25 µs a
   * query between DuckDB's queries, hashing the text about 5.
   */
  private keyOf(sql: string): ShapeKey | null {
    let key = this.keys.get(sql);
    if (key === undefined) {
      if (this.keys.size >= 2000) this.keys.clear();
      if (isBookkeeping(sql)) {
        this.keys.set(sql, null);
        return null;
      }
      if (this.policy.mode === 'sampled') {
        const book = this.shapes();
        const hit = this.memo === null ? null : entryOf(this.memo.get(sql));
        if (hit !== null) {
          // The book's state first: this run may have changed the shape through another text.
          if (book.known(hit.key) === undefined) book.set(hit.key, hit.state);
          key = { key: hit.key, fingerprint: fingerprintOfKey(hit.key), text: hit.text, found: true };
          this.keys.set(sql, key);
          return key;
        }
        this.memoStale = true;
      }
      const text = this.policy.mode === 'sampled' ? textHash(sql) : '';
      const known = text === '' ? undefined : this.shapes().keyForText(text);
      if (known === undefined) {
        const c = carryKey(sql);
        key = { key: c.key, fingerprint: c.fingerprint, text, found: false };
      } else {
        key = { key: known, fingerprint: fingerprintOfKey(known), text, found: true };
      }
      this.keys.set(sql, key);
    }
    return key;
  }

  /**
   * Whether DuckDB profiles this query: always ('every'), never ('off'), or as its shape's state
   * says ('sampled'; null for bookkeeping such as `SET`: either way, the profiler stays as it is).
   */
  wantsProfile(sql: string): boolean | null {
    if (this.policy.mode !== 'sampled') return this.policy.mode === 'every';
    const key = this.keyOf(sql);
    if (key === null) return null;
    return decide(this.shapes().get(key.key), Date.now(), this.policy, this.draw) !== null;
  }

  record(q: QueryRecord): void {
    if (!this.ctx) return;
    let carry: ScanSource | null = null;
    let fingerprint: string | null = null;
    // The run's clock: when this query ended (no clock read of its own).
    const now = q.startedAt + q.durationMs;
    // A DuckDB query (not a warehouse's) under 'sampled': update its shape; an unprofiled run carries the latest profile.
    const shapeKey = q.profiled !== undefined && this.policy.mode === 'sampled' && q.ok ? this.keyOf(q.sql) : null;
    if (shapeKey !== null) {
      const { key, fingerprint: fp, text } = shapeKey;
      fingerprint = fp;
      const book = this.shapes();
      const state = book.get(key);
      const source = q.profile ? { run_id: this.runId, started_ms: q.startedAt, figures: scanFigures(q.profile), detail: this.detail } : null;
      const next = afterRun(state, { costMs: q.cpuMs ?? q.durationMs, now, profiled: source, text }, this.policy);
      // A run like the last leaves its shape as it was: nothing to write back, unless the journal
      // lacks this text (another text of the shape, a journal compacted since, or keys of an
      // earlier build): its line is written once, and the next run finds the text without normalizing it.
      if (next !== state) {
        book.set(key, next);
        this.changedShapes.add(key);
      } else if (state !== undefined && !shapeKey.found && text !== '' && state.text !== text) {
        book.set(key, { ...state, text });
        this.changedShapes.add(key);
      }
      shapeKey.found = true;
      carry = source ? null : (state?.source ?? null);
    }
    // A fixed shape, no spread: see jobRecord.
    const entry: Pending = { q, ctx: this.ctx, carry, fingerprint };
    this.pending.push(entry);
    if (this.pending.length === 1) holdUntilWritten(this);
    this.firstAt ??= now;
    if (this.timer === null && now - this.firstAt >= this.armAfterMs) {
      this.timer = setTimeout(() => this.flush(), this.flushAfterMs);
      this.timer.unref();
    }
    // A long-running command (serve) writes its log as it goes.
    if (this.pending.length >= FLUSH_EVERY) this.flush();
  }

  /** The jobs observed and not yet flushed. */
  get records(): JobRecord[] {
    return this.pending.map((p) => this.recordOf(p, true));
  }

  /**
   * A pending query's record. Its fingerprint only when known (a 'sampled' run looked its shape
   * up) or `fingerprint` asks for it: otherwise `jobs` computes it when it moves the spool in,
   * off the command's path (normalizing a query's text in a fresh process, before V8 compiled the
   * scan, cost 0.1-0.3 ms a query).
   */
  private recordOf(p: Pending, fingerprint = false): JobRecord {
    return jobRecord(p.q, p.ctx, this.runId, p.carry, p.fingerprint ?? (fingerprint ? (this.keyOf(p.q.sql) ?? carryKey(p.q.sql)).fingerprint : null));
  }

  /**
   * Writes the memo for the journal as it is now: this run's query texts whose shapes it knows,
   * then the memo's other entries (when it matched), each with the book's state when it has one.
   */
  private writeMemo(book: ShapeBook, journal: string, db: string): void {
    const rows: [string, string, string, ShapeState][] = [];
    for (const [sql, k] of this.keys) {
      if (k === null || !k.found || k.text === '') continue;
      const state = book.known(k.key);
      if (state !== undefined) rows.push([sql, k.key, k.text, state]);
    }
    if (this.memo !== null) {
      for (const [sql, value] of this.memo) {
        if (typeof sql !== 'string' || this.keys.has(sql)) continue;
        const e = entryOf(value);
        if (e !== null) rows.push([sql, e.key, e.text, book.known(e.key) ?? e.state]);
      }
    }
    try {
      overwrite(memoPath(db), memoText(journal, rows));
      this.memoStale = false;
    } catch {
      // a cache: the next run finds its shapes through the journal
    }
  }

  /**
   * Appends the run's jobs to the spool. Only when the project store exists: a file-mode
   * analysis in a folder without a project leaves nothing behind. Never throws: a log that
   * cannot be written must not fail the command. Returns the number of jobs written. The
   * shapes the run changed are appended to their journal too (a cache: a line lost to a
   * concurrent compaction costs a profile more, nothing else).
   */
  flush(): number {
    const pending = this.pending.splice(0);
    unwritten.delete(this);
    this.draw = Math.random();
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (pending.length === 0 || this.db === null) return 0;
    // The spool's size first: a spool is only there next to a store (the store itself is looked
    // for only when there is none yet, one file system call less a run).
    const spool = spoolPath(this.db);
    let spoolBytes: number;
    try {
      spoolBytes = fs.statSync(spool, { throwIfNoEntry: false })?.size ?? -1;
    } catch {
      return 0;
    }
    if (spoolBytes === -1 && !fs.existsSync(this.db)) return 0;
    if (this.book !== null && this.changedShapes.size > 0) {
      try {
        const file = shapesPath(this.db);
        // Unknown until written (a failed write leaves no memo written for it).
        const before = this.journalText;
        this.journalText = null;
        if (this.compact) {
          const text = this.book.compacted();
          writeWith(`${file}.${process.pid}`, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_TRUNC | NOFOLLOW, text);
          fs.renameSync(`${file}.${process.pid}`, file);
          fs.rmSync(`${this.db}.jobs.shapes.jsonl`, { force: true }); // the JSON journal of earlier versions, whose keys no longer match
          this.compact = false;
          this.journalText = text;
        } else {
          const lines = this.book.lines(this.changedShapes);
          writeWith(file, APPEND, lines);
          // What the journal holds if no other process wrote it meanwhile (if one did, the memo
          // will not match it, and is not used).
          if (before !== null) this.journalText = before + lines;
        }
        this.memoStale = true;
      } catch {
        // without it the next run profiles again
      }
      this.changedShapes.clear();
    }
    if (this.memoStale && this.book !== null && this.journalText !== null) this.writeMemo(this.book, this.journalText, this.db);
    if (spoolBytes > MAX_SPOOL_BYTES) return 0;
    try {
      let text = '';
      // The common job (not profiled, not a warehouse's) written as text; the rest serialized (see jobLine).
      let prefixOf: JobContext | null = null;
      let prefix = '';
      for (const p of pending) {
        if (p.q.profile === null && p.q.engine === undefined) {
          if (prefixOf !== p.ctx) {
            prefixOf = p.ctx;
            prefix = jobLinePrefix(p.ctx, this.runId);
          }
          text += jobLine(prefix, p.q, p.carry, p.fingerprint);
        } else {
          text += `${JSON.stringify(this.recordOf(p))}\n`;
        }
      }
      // A run killed in the middle of its append leaves a line without its end: this one starts on
      // a line of its own (the torn line alone is skipped when `jobs` moves the spool in; joined
      // to this run's first record it would lose that record too).
      const fd = fs.openSync(spool, fs.constants.O_RDWR | fs.constants.O_APPEND | fs.constants.O_CREAT | NOFOLLOW);
      try {
        if (spoolBytes > 0) {
          const last = Buffer.alloc(1);
          if (fs.readSync(fd, last, 0, 1, spoolBytes - 1) === 1 && last[0] !== 10) text = `\n${text}`;
        }
        fs.writeFileSync(fd, text);
      } finally {
        fs.closeSync(fd);
      }
      return pending.length;
    } catch {
      return 0;
    }
  }
}

/** Writes `text` to `file` opened with `flags` (which say whether it is created, truncated or appended to). */
function writeWith(file: string, flags: number, text: string): void {
  const fd = fs.openSync(file, flags);
  try {
    fs.writeFileSync(fd, text);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Writes `text` over `file` in place: from its start, then cut to its length. Neither a
 * replacement by rename nor a truncation to nothing first, after either of which ext4 flushes the
 * file to disk when it is closed (milliseconds). A write torn by a crash, or mixed with another
 * process's, leaves a file that does not parse (a prefix, or one write's text with the end of
 * another's after it): as a memo it is not used.
 */
function overwrite(file: string, text: string): void {
  const data = Buffer.from(text);
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_RDWR | NOFOLLOW);
  } catch {
    fd = fs.openSync(file, fs.constants.O_RDWR | fs.constants.O_CREAT | fs.constants.O_EXCL | NOFOLLOW);
  }
  try {
    let at = 0;
    while (at < data.length) at += fs.writeSync(fd, data, at, data.length - at, at);
    fs.ftruncateSync(fd, data.length);
  } finally {
    fs.closeSync(fd);
  }
}

/** The shapes journal's text; null when there is none (no book yet: every shape is new). One call, Node's native UTF-8 read. */
function readJournal(file: string): string | null {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

function optionText(v: unknown): string | null {
  if (typeof v === 'string' && v.length > 0) return v;
  if (Array.isArray(v) && v.length > 0) return v.map(String).join(',');
  return null;
}

/** `jobs slow` for a subcommand, `analyze` for a top-level one. */
export function commandPath(command: { name(): string; parent: unknown }): string {
  const names: string[] = [];
  let c: { name(): string; parent: unknown } | null = command;
  while (c && c.parent) {
    names.unshift(c.name());
    c = c.parent as { name(): string; parent: unknown } | null;
  }
  return names.join(' ') || command.name();
}
