/**
 * Ctrl-C, a closed terminal or a `kill` while `profile` holds something open (the target's
 * inspector, a running program and its temp folder): the signal is caught, the work in flight is
 * aborted, the caller undoes what it opened, and the run ends with one "interrupted" line and the
 * shell's exit code for the signal (130, 143, 129).
 */
import { UserError } from '../../core/errors.js';

export type StopSignal = 'SIGINT' | 'SIGTERM' | 'SIGHUP';

export const STOP_SIGNALS: readonly StopSignal[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/** 128 + the signal's number, as a shell reports a process ended by it. */
export const signalExitCode = (sig: StopSignal): number => (sig === 'SIGINT' ? 130 : sig === 'SIGTERM' ? 143 : 129);

export interface Interrupts {
  /** Aborted with the StopSignal as its reason on the first signal. */
  signal: AbortSignal;
  /** The first signal caught, or null. */
  caught(): StopSignal | null;
  /** Removes the handlers (the default action again). */
  dispose(): void;
}

/**
 * Catches SIGINT, SIGTERM and SIGHUP until dispose(). Repeats are ignored: the clean-up after the
 * first one is bounded in time, and leaving before it ends would leave open what it closes.
 */
export function catchInterrupts(onSignal?: (sig: StopSignal) => void): Interrupts {
  const controller = new AbortController();
  let first: StopSignal | null = null;
  const handler = (sig: NodeJS.Signals): void => {
    if (first !== null) return;
    first = sig as StopSignal;
    if (sig === 'SIGHUP') {
      // The terminal is gone: writing to it fails (EIO), which must not stop the clean-up.
      for (const stream of [process.stdout, process.stderr]) stream.on('error', () => undefined);
    }
    onSignal?.(first);
    controller.abort(first);
  };
  for (const sig of STOP_SIGNALS) process.on(sig, handler);
  return {
    signal: controller.signal,
    caught: () => first,
    dispose: () => {
      for (const sig of STOP_SIGNALS) process.off(sig, handler);
    },
  };
}

/** The one-line error of an interrupted run; `done` says what was undone. */
export function interruptedError(sig: StopSignal, done: string, hint = 'nothing was written or stored; run it again'): UserError {
  return new UserError(`interrupted (${sig}): ${done}`, { hint, code: 'INTERRUPTED', exitCode: signalExitCode(sig) });
}

/** Resolves after `ms`, or rejects at once with the abort reason when `signal` aborts. */
export function sleepUnless(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason as Error);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason as Error);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
