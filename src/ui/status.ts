/** Human rendering of `status`: the store, the project, rows per table, entities, experiments and where to go next. */
import fs from 'node:fs';
import path from 'node:path';
import { DEMO_DB, dbArg, shellWord, type Setting } from '../core/config.js';
import { AS_INSTALLED, type Invocation } from '../core/invocation.js';
import type { Output } from '../core/output.js';
import type { StoreStatus } from '../store/status.js';
import { commandLine, count, displayPath, int, PLAIN, targetOf, wrap, type Target } from './format.js';
import { renderTable } from './table.js';

export interface StatusView {
  /** The working directory: paths inside it are shown relative. */
  cwd?: string;
  /** ` --db <path>` to repeat in suggested commands ('' when the store is found without it). */
  dbArg?: string;
  /** The demo's store, when there is one here and it is not the store shown. */
  demoDb?: string | null;
  /** How the suggested commands are spelled for this user (`npx statsig-hack …` under npx), and the note under them. */
  cli?: Invocation;
}

/** Experiments named in the human output; the rest are counted (`--json` lists every one). */
const NAMED = 8;

export function renderStatus(s: StoreStatus, target: Target = PLAIN, view: StatusView = {}): string {
  const width = target.width;
  const lines: string[] = [`Project store: ${displayPath(s.db, view.cwd)} (schema v${s.schema_version})`];
  if (s.project) lines.push(`Project: ${s.project.name}${s.project.description ? ` — ${s.project.description}` : ''}`);
  const tables = [
    renderTable(['table', 'rows'], Object.entries(s.tables).map(([table, rows]) => ({ table, rows: int(rows) })), { align: { rows: 'right' }, width }),
  ];
  const kinds = Object.entries(s.entities);
  if (kinds.length > 0) tables.push(renderTable(['entity', 'count'], kinds.map(([entity, n]) => ({ entity, count: int(n) })), { align: { count: 'right' }, width }));
  const byStatus = Object.entries(s.experiments_by_status);
  if (byStatus.length > 0) {
    tables.push(renderTable(['experiment status', 'count'], byStatus.map(([st, n]) => ({ 'experiment status': st, count: int(n) })), { align: { count: 'right' }, width }));
  }
  const out = [wrap(lines.join('\n'), width, '    '), '', tables.join('\n\n')];
  const prose: string[] = [];
  if (s.experiments.length > 0) {
    const named = s.experiments.slice(0, NAMED).map((e) => e.name);
    const rest = s.experiments.length - named.length;
    prose.push(`Experiments: ${named.join(', ')}${rest > 0 ? `, and ${count(rest, 'more', 'more')} (--json lists them)` : ''}`);
  }
  // Lead somewhere: an empty store says how to fill it; the demo's store, when there is one, is named.
  const empty = Object.values(s.tables).every((n) => n === 0);
  const cli = view.cli ?? AS_INSTALLED;
  if (prose.length > 0) out.push('', wrap(prose.join('\n'), width, '    '));
  if (empty) out.push('', 'The store is empty: generate a project, or load yours:', commandLine(`${cli.command} seed "<what your product is>"`, width), commandLine(`${cli.command} import <file> --into <table>`, width));
  const first = s.experiments.find((e) => e.status === 'active') ?? s.experiments[0];
  if (first) out.push('', 'Next:', commandLine(`${cli.command} analyze --experiment ${shellWord(first.name)}${view.dbArg ?? ''}`, width));
  if (view.demoDb) out.push('', `The demo's project is in ${view.demoDb}:`, commandLine(`${cli.command} status --db ${shellWord(view.demoDb)}`, width));
  if (cli.note && (empty || first || view.demoDb)) out.push(wrap(`  ${cli.note}`, width, '    '));
  return out.join('\n');
}

/**
 * What `status` prints for the store `db` (as the run found it: flag, env, config or default):
 * the summary as one JSON document with --json, else its rendering, naming the demo's store when
 * there is one in `cwd` and it is not the store shown.
 */
export function printStatus(out: Output, io: { stdout: { isTTY?: boolean; columns?: number }; env: NodeJS.ProcessEnv; cwd: string }, db: Setting<string>, status: StoreStatus): void {
  const demo = path.join(io.cwd, DEMO_DB);
  const demoDb = path.resolve(status.db) !== demo && fs.existsSync(demo) ? DEMO_DB : null;
  out.result(status, () => renderStatus(status, targetOf(io.stdout, io.env), { cwd: io.cwd, dbArg: dbArg(db, io.cwd), demoDb, cli: out.cli }));
}
