import fs from 'node:fs';
import path from 'node:path';
import { Command } from '../core/commander.js';
import type { App } from '../cli.js';
import type { FunctionTime } from '../observe/profile/cpuprofile.js';
import type { CpuTime, ProcessProfile } from '../observe/profile/run.js';
import type { Store } from '../store/store.js';
import { UserError, errorMessage, isUserError } from '../core/errors.js';
import { commandLine, shellQuote } from '../observe/profile/processes.js';

interface ProfileOpts {
  experiment?: string;
  group?: string;
  unit?: string;
  intervalUs: string;
  out: string;
  top: string;
  pid?: string;
  duration?: string;
  port: string;
  store: boolean;
  productExperiment?: boolean;
  newGroup?: boolean;
  keepFailed?: boolean;
}

function intOption(name: string, text: string, min: number, max: number): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min || n > max) throw new UserError(`${name} must be an integer from ${min} to ${max}, got "${text}"`, { code: 'USAGE', exitCode: 2 });
  return n;
}

/** Reads a .cpuprofile given on the command line (capped, validated). */
async function readProfileFile(cwd: string, file: string): Promise<{ file: string; text: string }> {
  const { MAX_PROFILE_BYTES } = await import('../observe/profile/run.js');
  const abs = path.resolve(cwd, file);
  if (!fs.existsSync(abs)) throw new UserError(`no such profile: ${file}`, { hint: 'pass two .cpuprofile files written by `statsig-hack profile --out`', code: 'FILE_NOT_FOUND' });
  if (fs.statSync(abs).isDirectory()) {
    const inside = path.join(abs, 'profile.cpuprofile');
    throw new UserError(`${file} is a folder, not a .cpuprofile file`, {
      hint: fs.existsSync(inside) ? `pass the file in it: ${path.join(file, 'profile.cpuprofile')}` : 'pass two .cpuprofile files written by `statsig-hack profile --out`',
      code: 'PROFILE_IS_FOLDER',
    });
  }
  if (fs.statSync(abs).size > MAX_PROFILE_BYTES) throw new UserError(`${file} is larger than ${MAX_PROFILE_BYTES / 1024 / 1024} MB`, { hint: 'profile a shorter run or at a coarser --interval-us', code: 'FILE_TOO_LARGE' });
  return { file: abs, text: fs.readFileSync(abs, 'utf8') };
}

/** An --experiment or --group value: not empty, no spaces at its ends (a name that looks like another). */
function checkName(flag: string, value: string | undefined): void {
  if (value === undefined) return;
  if (value.trim() === '') {
    throw new UserError(`${flag} is empty`, { hint: `name it, e.g. ${flag === '--experiment' ? '--experiment new_parser' : '--group test'}`, code: 'USAGE', exitCode: 2 });
  }
  if (value.trim() !== value) {
    throw new UserError(`${flag} "${value}" has spaces at its ends`, { hint: `pass ${flag} ${shellQuote(value.trim())}`, code: 'USAGE', exitCode: 2 });
  }
}

/**
 * Before the program runs: the files can be written where --out points (a folder that exists or
 * can be made, and takes a file), so that a run is not wasted on an error at its end.
 */
function checkOutWritable(base: string, out: string): void {
  for (const f of [`${base}.cpuprofile`, `${base}.html`]) {
    if (fs.existsSync(f) && fs.statSync(f).isDirectory()) throw new UserError(`--out ${out}: ${f} is a folder`, { hint: 'pass another --out', code: 'OUT_NOT_WRITABLE', exitCode: 2 });
  }
  // The nearest folder that exists: the files (and any folders missing below it) are made there.
  let dir = path.dirname(base);
  while (!fs.existsSync(dir) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  const fail = (why: string): never => {
    throw new UserError(`--out ${out}: ${why}, so the profile could not be written; the program was not started`, {
      hint: 'pass --out <a folder you can write>/<name>, e.g. --out ./prof',
      code: 'OUT_NOT_WRITABLE',
      exitCode: 2,
    });
  };
  if (!fs.statSync(dir).isDirectory()) fail(`${dir} is a file, not a folder`);
  // Writing a file is the only test that holds everywhere (root, read-only mounts, /proc).
  const probe = path.join(dir, `.statsig-hack-out-${process.pid}-${Date.now()}`);
  try {
    fs.writeFileSync(probe, '', { flag: 'wx' });
  } catch (error) {
    fail(`${dir} cannot be written (${(error as NodeJS.ErrnoException).code ?? errorMessage(error)})`);
  }
  fs.rmSync(probe, { force: true });
}

/** A function's times in --json (snake_case, as every command's). */
function functionJson(f: FunctionTime): { fn: string; file: string; line: number; self_ms: number; total_ms: number; key: string } {
  return { fn: f.fn, file: f.file, line: f.line, self_ms: f.selfMs, total_ms: f.totalMs, key: f.key };
}

export function profileCommand(app: App): Command {
  const cmd = new Command('profile')
    .description('run a Node program under the V8 CPU profiler (or attach to one): top functions, a .cpuprofile, a flame graph, and cpu_sample events per experiment group')
    .argument('[command...]', 'the Node command to profile, after --')
    .option('--experiment <name>', 'count this run as a unit of the experiment (with --group)')
    .option('--group <name>', 'the experiment group this run belongs to')
    .option('--unit <id>', 'unit id of this run (default: profile:<id>)')
    .option('--interval-us <n>', 'sampling interval in microseconds', '1000')
    .option('--out <prefix>', 'write <prefix>.cpuprofile and <prefix>.html; a folder (existing, or ending in /): <folder>/profile.cpuprofile and <folder>/profile.html', 'prof')
    .option('--top <n>', 'functions to list', '15')
    .option('--pid <n>', 'attach to this running Node process instead of running a command')
    .option('--duration <s>', 'with --pid: seconds to sample (default 30; a command is profiled until it exits)')
    .option('--port <n>', 'with --pid: the inspector port the process opens on SIGUSR1', '9229')
    .option('--no-store', 'do not write cpu_sample events to the project store')
    .option('--product-experiment', 'let --experiment name an experiment with product users (the run counts as one of its units)')
    .option('--new-group', 'start a --group whose name is close to one the experiment has (e.g. control2 next to control)')
    .option('--keep-failed', 'when the program fails: still write the .cpuprofile and flame graph of the run up to then (never events)')
    .addHelpText(
      'after',
      `
Examples:
  $ statsig-hack profile -- node server-bench.js
  $ statsig-hack profile --experiment new_parser --group test -- node parse.js big.json
  $ statsig-hack profile --pid 4242 --duration 30
  $ statsig-hack profile compare before.cpuprofile after.cpuprofile
  $ statsig-hack analyze --experiment new_parser --metric cpu_ms     CPU time per run, by group`,
    )
    .action(async (command: string[], opts: ProfileOpts, c: Command) => {
      const ctx = await app.context(c);
      const intervalUs = intOption('--interval-us', opts.intervalUs, 10, 1_000_000);
      const top = intOption('--top', opts.top, 1, 1000);
      if ((opts.experiment === undefined) !== (opts.group === undefined)) {
        throw new UserError('--experiment and --group go together', { hint: 'pass both, e.g. --experiment new_parser --group test', code: 'USAGE', exitCode: 2 });
      }
      if (opts.pid === undefined && command.length === 0) {
        throw new UserError('nothing to profile', { hint: 'put a Node command after --, e.g. statsig-hack profile -- node app.js, or attach with --pid <pid>', code: 'USAGE', exitCode: 2 });
      }
      if (opts.pid !== undefined && command.length > 0) throw new UserError('pass either a command or --pid, not both', { code: 'USAGE', exitCode: 2 });
      if (opts.pid === undefined && opts.duration !== undefined) {
        throw new UserError('--duration goes with --pid: a command is profiled until it exits', { hint: 'drop --duration (or stop the program yourself after a while), or start the program and attach with --pid <pid> --duration <s>', code: 'USAGE', exitCode: 2 });
      }
      checkName('--experiment', opts.experiment);
      checkName('--group', opts.group);
      const { outBase: outBaseOf } = await import('../observe/profile/processes.js');
      const base = outBaseOf(ctx.cwd, opts.out, (abs) => fs.existsSync(abs) && fs.statSync(abs).isDirectory());
      checkOutWritable(base, opts.out);
      const db = ctx.settings.db.value;
      const tagged = opts.experiment !== undefined;
      const storing = opts.store && (tagged || fs.existsSync(db));
      if (tagged && !opts.store) throw new UserError('--experiment needs the project store', { hint: 'drop --no-store', code: 'USAGE', exitCode: 2 });
      if (tagged && !fs.existsSync(db)) {
        throw new UserError(`no project store at ${db}`, { hint: 'run `statsig-hack init` first, or pass --db with an existing store', code: 'STORE_MISSING' });
      }
      // Before the program runs: the store can be written (not held by a running serve), and the
      // experiment, group and unit are a safe place for this run's events.
      let storeOk = storing;
      let targetNote: string | null = null;
      if (storing) {
        const { Store } = await import('../store/store.js');
        let pre: Store | null = null;
        try {
          pre = await Store.open(db);
        } catch (error) {
          if (!isUserError(error) || error.code !== 'STORE_LOCKED') throw error;
          if (tagged) {
            throw new UserError(`${error.message}: the run's events could not be stored, so the program was not started`, {
              hint: 'stop that process (a running `statsig-hack serve`?) and profile again, or pass --no-store (and no --experiment) to write only the .cpuprofile and flame graph',
              code: 'STORE_LOCKED',
            });
          }
          ctx.out.warn(`${error.message}: this run's events will not be stored (the report and files are written as usual)`);
          storeOk = false;
        }
        if (pre) {
          try {
            if (tagged) {
              const { checkTarget, targetFacts } = await import('../observe/profile/target.js');
              const facts = await targetFacts(pre, opts.experiment as string, opts.unit ?? null);
              targetNote = checkTarget(facts, { group: opts.group as string, unit: opts.unit ?? null, productExperiment: opts.productExperiment === true, newGroup: opts.newGroup === true });
            }
          } finally {
            pre.close();
          }
        }
      }
      const { mergeThreadProfiles, summarizeProfile, topFunctions } = await import('../observe/profile/cpuprofile.js');
      const { renderFlameGraph } = await import('../observe/profile/flame.js');
      const { randomBytes } = await import('node:crypto');

      let runs: ProcessProfile[];
      let startedAt: Date;
      let exitCode: number | null = null;
      let label: string;
      let failed: ((files: string) => UserError) | null = null;
      if (opts.pid !== undefined) {
        const pid = intOption('--pid', opts.pid, 1, 2 ** 31 - 1);
        const seconds = Number(opts.duration ?? '30');
        if (!(seconds > 0 && seconds <= 3600)) throw new UserError(`--duration must be more than 0 and at most 3600 seconds, got "${opts.duration ?? ''}"`, { hint: 'e.g. --duration 30', code: 'USAGE', exitCode: 2 });
        const { attachProfile } = await import('../observe/profile/attach.js');
        const port = intOption('--port', opts.port, 1, 65535);
        const got = await attachProfile({
          pid,
          durationMs: seconds * 1000,
          intervalUs,
          port,
          onStart: () => ctx.out.info(`sampling process ${pid} for ${seconds} s…`),
          onInterrupt: (sig) => {
            if (sig !== 'SIGHUP') ctx.out.warn(`interrupted (${sig}): closing the inspector of process ${pid}…`);
          },
          onWarn: (m) => ctx.out.warn(m),
        });
        runs = [{ pid, profile: got.profile, cpu: got.cpu, threads: [] }];
        startedAt = got.startedAt;
        label = `process ${pid} (${seconds} s)`;
      } else {
        const { runProfiled } = await import('../observe/profile/run.js');
        const got = await runProfiled({
          command,
          cwd: ctx.cwd,
          env: ctx.env,
          intervalUs,
          output: ctx.io.stderr,
          onInterrupt: (sig) => {
            if (sig !== 'SIGHUP') ctx.out.warn(`interrupted (${sig}): stopping the program…`);
          },
        });
        runs = got.profiles;
        startedAt = got.startedAt;
        exitCode = got.exitCode;
        label = commandLine(command);
        if (got.exitCode !== 0 || got.signal !== null) {
          // The program's exit code is ours, and a failed run stores no events; its files only with --keep-failed.
          const { constants } = await import('node:os');
          const signo = got.signal ? (constants.signals as Record<string, number | undefined>)[got.signal] : undefined;
          const how = `"${label}" ${got.signal ? `was killed by ${got.signal}` : `exited with code ${String(got.exitCode)}`}`;
          const code = { code: 'PROGRAM_FAILED', exitCode: got.signal ? 128 + (signo ?? 0) : (got.exitCode ?? 1) };
          if (!opts.keepFailed || runs.length === 0) {
            throw new UserError(`${how}; no profile written or stored`, { hint: `fix the program so that it succeeds, then profile it again${runs.length > 0 ? ' (or pass --keep-failed for the profile up to the failure)' : ''}`, ...code });
          }
          failed = (files) => new UserError(`${how}; its profile up to then: ${files} (nothing stored)`, { hint: 'open the .cpuprofile in Chrome DevTools or speedscope', ...code });
        }
      }

      const { orderProcesses, ownCodeMs, totalCpuMs, unsampledCpuNote } = await import('../observe/profile/processes.js');
      const cpuMs = (c: CpuTime | null): number | null => (c ? c.userMs + c.systemMs : null);
      // Worker threads' call trees go under their process's (the tables, flame graph and events show them); wall time stays the main thread's.
      const summaries = orderProcesses(
        runs.map((r) => {
          const summary = { ...summarizeProfile(mergeThreadProfiles(r.profile, r.threads), ctx.cwd), durationMs: Math.max(0, r.profile.endTime - r.profile.startTime) / 1000 };
          return { pid: r.pid, profile: r.profile, cpu: r.cpu, threads: r.threads, summary, cpuMs: cpuMs(r.cpu), sampledMs: summary.sampledMs, ownMs: ownCodeMs(summary.functions) };
        }),
      );
      const main = summaries[0] as (typeof summaries)[number];
      const outBase = base;
      fs.mkdirSync(path.dirname(outBase), { recursive: true });
      // The process shown gets <out>.cpuprofile; every other process and worker thread its own file beside it.
      const files = { cpuprofile: `${outBase}.cpuprofile`, html: `${outBase}.html`, others: [] as string[] };
      fs.writeFileSync(files.cpuprofile, JSON.stringify(main.profile));
      fs.writeFileSync(files.html, renderFlameGraph(main.summary, { title: `CPU profile: ${label}`, subtitle: `${startedAt.toISOString()}.` }));
      for (const s of summaries) {
        const own = s === main ? [] : [{ file: `${outBase}.${s.pid}.cpuprofile`, profile: s.profile }];
        for (const t of [...own, ...s.threads.map((t) => ({ file: `${outBase}.${s.pid}.t${t.threadId}.cpuprofile`, profile: t.profile }))]) {
          fs.writeFileSync(t.file, JSON.stringify(t.profile));
          files.others.push(t.file);
        }
      }

      if (failed) throw failed([files.cpuprofile, files.html, ...files.others].map((f) => path.relative(ctx.cwd, f)).join(', '));

      let stored: { events: number; unit: string; profile_ids: string[]; experiment: string | null; group: string | null } | null = null;
      let storeError: string | null = null;
      if (storeOk && tagged && summaries.some((s) => s.cpu === null)) {
        ctx.out.warn(`the CPU time of ${summaries.filter((s) => s.cpu === null).map((s) => `pid ${s.pid}`).join(', ')} could not be read: cpu_ms leaves it out of this run`);
      }
      if (storeOk) {
        const { Store } = await import('../store/store.js');
        const { storeProfileEvents } = await import('../observe/profile/events.js');
        const runId = randomBytes(4).toString('hex');
        const unit = opts.unit ?? `profile:${runId}`;
        // The store was free before the run; if another process took it since, the report and the
        // files are still written, and the failure is said after them.
        try {
          const store = await Store.open(db);
          try {
            let events = 0;
            const ids: string[] = [];
            for (const s of summaries) {
              const profileId = `${runId}-${s.pid}`;
              ids.push(profileId);
              events += await storeProfileEvents(store, s.summary, { profileId, unit, experiment: opts.experiment ?? null, group: opts.group ?? null, pid: s.pid, startedAt, cpu: s.cpu });
            }
            stored = { events, unit, profile_ids: ids, experiment: opts.experiment ?? null, group: opts.group ?? null };
          } finally {
            store.close();
          }
        } catch (error) {
          storeError = errorMessage(error).split('\n')[0] ?? 'unknown error';
          if (!tagged) ctx.out.warn(`this run's events were not stored: ${storeError}`);
        }
      }

      const tops = topFunctions(main.summary, top);
      const result = {
        command: opts.pid === undefined ? command : null,
        pid: opts.pid === undefined ? null : Number(opts.pid),
        exit_code: exitCode,
        shown_pid: main.pid,
        total_cpu_ms: totalCpuMs(summaries),
        processes: summaries.map((s) => ({ pid: s.pid, worker_threads: s.threads.map((t) => t.threadId), cpu_ms: cpuMs(s.cpu), cpu_user_ms: s.cpu?.userMs ?? null, cpu_system_ms: s.cpu?.systemMs ?? null, sampled_ms: s.summary.sampledMs, duration_ms: s.summary.durationMs, samples: s.summary.samples })),
        cpu_ms: cpuMs(main.cpu),
        cpu_user_ms: main.cpu?.userMs ?? null,
        cpu_system_ms: main.cpu?.systemMs ?? null,
        sampled_ms: main.summary.sampledMs,
        duration_ms: main.summary.durationMs,
        samples: main.summary.samples,
        top_self: tops.bySelf.map(functionJson),
        top_total: tops.byTotal.map(functionJson),
        top_total_pass_through_left_out: tops.passThrough,
        files,
        stored,
        store_error: storeError,
        note: targetNote,
      };
      const { renderTopFunctions, renderProfileHeader, sampledNote } = await import('../ui/profile.js');
      const { terminalWidth, wrap } = await import('../core/text.js');
      const { formatMs } = await import('../ui/jobs.js');
      const { count } = await import('../ui/format.js');
      const width = terminalWidth(ctx.io.stdout, ctx.env);
      ctx.out.result(result, () => {
        const all = totalCpuMs(summaries);
        const lines = [renderProfileHeader(main.summary, label, main.cpu) + (summaries.length > 1 && all !== null ? ` (CPU of ${formatMs(all)} in ${summaries.length} processes)` : ''), sampledNote(opts.pid !== undefined)];
        if (summaries.length > 1) {
          const each = summaries.map((s) => `pid ${s.pid} CPU ${s.cpuMs === null ? 'unknown' : formatMs(s.cpuMs)}, ${formatMs(s.sampledMs)} in code`).join('; ');
          lines.push(`${summaries.length} Node processes; shown: pid ${main.pid}, ${main.ownMs > 0 ? 'the most time in the program’s own files (not node_modules or Node’s)' : 'the most CPU'}: ${each}`);
        }
        if (main.threads.length > 0) lines.push(`${main.threads.length === 1 ? 'Worker thread' : 'Worker threads'} ${main.threads.map((t) => t.threadId).join(', ')} included (under "(worker thread N)"); wall time is the main thread's.`);
        const unsampled = unsampledCpuNote(main.cpuMs, main.sampledMs, main.threads.length);
        if (unsampled) lines.push(unsampled);
        lines.push('', renderTopFunctions('Top functions by self time (sampled)', tops.bySelf, main.summary.sampledMs, width), '', renderTopFunctions('Top functions by total time (sampled)', tops.byTotal, main.summary.sampledMs, width));
        if (tops.passThrough > 0) lines.push(`(${count(tops.passThrough, 'pass-through frame')} of Node's entry point and module loader, or a module's top level, left out: ~100% total, no time of their own)`);
        const shown = (f: string): string => shellQuote(path.relative(ctx.cwd, f)); // a path with spaces in quotes, as a shell takes it
        lines.push('', `Profile: ${shown(files.cpuprofile)} (Chrome DevTools, speedscope)   Flame graph: ${shown(files.html)}`);
        if (targetNote) lines.push(targetNote);
        if (files.others.length > 0) lines.push(`Other processes and threads: ${files.others.map(shown).join(', ')}`);
        if (stored) {
          const cpuEvents = summaries.filter((s) => s.cpu !== null).length;
          const cpuText = cpuEvents > 0 ? ` and ${count(cpuEvents, 'cpu_time event')} (the CPU time that cpu_ms sums)` : '';
          const tag = stored.experiment ? ` (experiment ${stored.experiment}, group ${stored.group ?? ''})` : '';
          const next = stored.experiment ? `; compare CPU time per run with: statsig-hack analyze --experiment ${shellQuote(stored.experiment)} --metric cpu_ms` : '';
          lines.push(`Stored ${count(stored.events, 'cpu_sample event')} for unit ${stored.unit}${tag}${cpuText}${next}`);
        }
        // Tables fit already; the prose around them wraps between words.
        return wrap(lines.join('\n'), width);
      });
      if (storeError !== null && tagged) {
        throw new UserError(`this run's events were not stored in ${opts.experiment ?? ''}: ${storeError}`, {
          hint: `the report and ${path.relative(ctx.cwd, files.cpuprofile)} are kept; a .cpuprofile cannot be stored later, so profile the program again once the store is free`,
          code: 'PROFILE_NOT_STORED',
        });
      }
    });

  cmd
    .command('compare')
    .description('which functions got slower from profile a to profile b')
    .argument('<a>', 'the earlier .cpuprofile')
    .argument('<b>', 'the later .cpuprofile')
    .action(async (a: string, b: string, _opts: unknown, c: Command) => {
      const ctx = await app.context(c);
      const top = intOption('--top', String(c.optsWithGlobals<{ top?: string }>().top ?? '15'), 1, 1000);
      const { parseCpuProfile, summarizeProfile, compareProfiles } = await import('../observe/profile/cpuprofile.js');
      const load = async (f: string) => {
        const { text } = await readProfileFile(ctx.cwd, f);
        try {
          return summarizeProfile(parseCpuProfile(text), ctx.cwd);
        } catch {
          throw new UserError(`${f} is not a V8 CPU profile`, { hint: 'pass .cpuprofile files (from `statsig-hack profile`, node --cpu-prof or Chrome DevTools)', code: 'PROFILE_INVALID' });
        }
      };
      const sa = await load(a);
      const sb = await load(b);
      const rows = compareProfiles(sa, sb);
      const { renderComparison, renderProfileHeader } = await import('../ui/profile.js');
      const { terminalWidth, wrap } = await import('../core/text.js');
      const width = terminalWidth(ctx.io.stdout, ctx.env);
      const changed = rows.filter((r) => !r.noise);
      const json = {
        a: { file: a, sampled_ms: sa.sampledMs, duration_ms: sa.durationMs },
        b: { file: b, sampled_ms: sb.sampledMs, duration_ms: sb.durationMs },
        functions: changed.slice(0, top * 4).map((r) => ({
          key: r.key,
          fn: r.fn,
          file: r.file,
          line: r.line,
          a_self_ms: r.aSelfMs,
          b_self_ms: r.bSelfMs,
          delta_self_ms: r.deltaSelfMs,
          a_total_ms: r.aTotalMs,
          b_total_ms: r.bTotalMs,
          delta_total_ms: r.deltaTotalMs,
          a_share: r.aShare,
          b_share: r.bShare,
          matched_by: r.matchedBy,
        })),
        within_noise: rows.length - changed.length,
      };
      ctx.out.result(json, () =>
        wrap([renderProfileHeader(sa, `a ${a}`), renderProfileHeader(sb, `b ${b}`), '', renderComparison(rows, top, width)].join('\n'), width),
      );
    });
  return cmd;
}
