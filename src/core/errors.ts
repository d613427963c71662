/**
 * Error types. `UserError` is anything the user can fix: it prints as one line plus a hint,
 * with no stack. Everything else is treated as a bug by the top-level handler in cli.ts.
 */
export interface UserErrorOptions {
  hint?: string;
  /** Stable machine-readable code, e.g. "STORE_LOCKED". */
  code?: string;
  /** Process exit code: 1 for a failure the user can fix, 2 for bad usage. */
  exitCode?: number;
  cause?: unknown;
}

export class UserError extends Error {
  readonly hint: string | undefined;
  readonly code: string;
  readonly exitCode: number;

  constructor(message: string, options: UserErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'UserError';
    this.hint = options.hint;
    this.code = options.code ?? 'USER_ERROR';
    this.exitCode = options.exitCode ?? 1;
  }
}

/** Bad usage: unknown flag, missing argument, invalid option value. Exit code 2. */
export class UsageError extends UserError {
  constructor(message: string, options: Omit<UserErrorOptions, 'exitCode'> = {}) {
    super(message, { ...options, code: options.code ?? 'USAGE', exitCode: 2 });
    this.name = 'UsageError';
  }
}

export function isUserError(error: unknown): error is UserError {
  return error instanceof UserError;
}

export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}

/** Edit distance (insertions, deletions, substitutions, adjacent swaps). */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i += 1) {
    for (let j = 1; j <= b.length; j += 1) {
      const row = d[i] as number[];
      const prev = d[i - 1] as number[];
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      row[j] = Math.min((prev[j] as number) + 1, (row[j - 1] as number) + 1, (prev[j - 1] as number) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) row[j] = Math.min(row[j] as number, ((d[i - 2] as number[])[j - 2] as number) + 1);
    }
  }
  return (d[a.length] as number[])[b.length] as number;
}

/** The candidate closest to `word` (case-insensitive), when it is close enough to be a typo. */
export function didYouMean(word: string, candidates: readonly string[]): string | undefined {
  const w = word.toLowerCase();
  let best: { c: string; d: number } | undefined;
  for (const c of candidates) {
    const d = editDistance(w, c.toLowerCase());
    if (!best || d < best.d) best = { c, d };
  }
  if (!best) return undefined;
  const limit = Math.max(1, Math.floor(Math.max(w.length, best.c.length) / 3));
  return best.d <= limit ? best.c : undefined;
}

/**
 * Commander's "argument 'cupd' is invalid. Allowed choices are none, cuped, cupac." with a
 * did-you-mean appended when one choice is close; other messages unchanged.
 */
export function withChoiceSuggestion(message: string): string {
  const m = /argument '([^']*)' is invalid\. Allowed choices are (.*)\.$/.exec(message);
  if (!m) return message;
  const choices = (m[2] as string).split(', ');
  // --tails one (power's word) where the direction must be named: greater or less.
  if (/^one(-?sided)?$/i.test(m[1] as string) && choices.includes('greater') && choices.includes('less')) return `${message} Did you mean "greater" or "less"? A one-sided test names its direction.`;
  const close = didYouMean(m[1] as string, choices);
  return close ? `${message} Did you mean "${close}"?` : message;
}

/**
 * A DuckDB error in one line: its first line, plus its own suggestion line ("Did you mean
 * "users"?", "Candidate bindings: "plan"") when it has one; the echoed SQL (LINE 1: ...) is left out.
 */
export function duckdbMessage(error: unknown): string {
  const lines = errorMessage(error).split('\n').map((l) => l.trim());
  const first = (lines[0] ?? '').replace(/^Failed to extract statements:\s*/i, '');
  const extra = lines.slice(1).find((l) => /^(Did you mean|Candidate bindings:)/i.test(l));
  return extra ? `${first} ${extra}` : first;
}
