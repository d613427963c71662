/**
 * `statsig-hack status`, answered by bin/statsig-hack.js without the CLI (no commander, no
 * command context): from the summary kept beside a store that has not changed since its last
 * `status` (no DuckDB at all), else from one read-only query through the DuckDB bindings alone
 * (store/status.ts, quickStoreStatus), which keeps the summary for next time. That query writes
 * no job record (the job log's observer belongs to the CLI; `status` reads a few counts). It
 * prints exactly what the status command prints (the same printStatus), for the plain forms
 * only: `status` with `--json`, `--no-color` and one `--db <path>`, in any order, and no config
 * file to read. Anything else (another flag, a config file, no store, a lock, an older schema)
 * returns null having printed nothing, and the CLI runs as usual and words any problem.
 */
import type { CliIO } from '../core/context.js';

export interface FastStatusArgs {
  json: boolean;
  color: false | undefined;
  db: string | undefined;
}

/** The flags of a plain `status` run, or null when `argv` is anything else. */
export function fastStatusArgs(argv: readonly string[]): FastStatusArgs | null {
  const args: FastStatusArgs = { json: false, color: undefined, db: undefined };
  let named = false;
  for (let i = 0; i < argv.length; i += 1) {
    const a = argv[i] as string;
    if (a === 'status' && !named) named = true;
    else if (a === '--json') args.json = true;
    else if (a === '--no-color') args.color = false;
    else if (a === '--db' && args.db === undefined && i + 1 < argv.length && !(argv[i + 1] as string).startsWith('-') && argv[i + 1] !== '') {
      i += 1;
      args.db = argv[i];
    } else return null;
  }
  return named ? args : null;
}

/** Prints the status of an unchanged store and returns 0, or returns null (having printed nothing) for the CLI to run. */
export async function fastStatus(argv: readonly string[], io: Omit<CliIO, 'stdin'>): Promise<number | null> {
  const args = fastStatusArgs(argv);
  if (!args) return null;
  const { mayHaveConfig, resolveSettings } = await import('../core/config.js');
  if (mayHaveConfig(io.cwd)) return null;
  const settings = resolveSettings(io.cwd, { db: args.db }, io.env, {});
  const { quickStoreStatus } = await import('../store/status.js');
  const status = await quickStoreStatus(settings.db.value);
  if (!status) return null;
  const [{ makeOutput }, { Redactor }, { useColor }, { printStatus }] = await Promise.all([
    import('../core/context.js'),
    import('../core/redact.js'),
    import('../core/tty.js'),
    import('../ui/status.js'),
  ]);
  if (useColor(io.stdout, io.env, args.color) || useColor(io.stderr, io.env, args.color)) await (await import('../core/paint.js')).loadColor();
  const out = makeOutput({ ...io, stdin: {} }, { json: args.json, color: args.color }, Redactor.fromEnv(io.env));
  printStatus(out, io, settings.db, status);
  return 0;
}
