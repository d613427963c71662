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
