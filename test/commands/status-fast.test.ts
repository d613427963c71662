/**
 * `status` answered by the binary without the CLI (src/commands/status-fast.ts): for the plain
 * forms it prints exactly what the CLI prints, from the kept summary or from one query through the
 * DuckDB bindings (which keeps the summary); for anything else it prints nothing and leaves it to
 * the CLI. A command that changes the store keeps a fresh summary on its way out (cli.ts).
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { fastStatus, fastStatusArgs } from '../../src/commands/status-fast.js';
import { Store } from '../../src/store/store.js';
import { baseEnv, runCli } from '../support/run-cli.js';
import { tmpDir, writeFile } from '../support/tmp.js';

class Capture {
  text = '';
  constructor(readonly isTTY = false, readonly columns = 100) {}
  write(s: string): boolean {
    this.text += s;
    return true;
  }
}

async function fast(argv: string[], cwd: string, env: NodeJS.ProcessEnv = baseEnv()): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const stdout = new Capture();
  const stderr = new Capture();
  const code = await fastStatus(argv, { stdout, stderr, cwd, env });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

async function experiment(cwd: string, name: string, status: string): Promise<void> {
  const store = await Store.open(path.join(cwd, '.statsig-hack/project.duckdb'));
  await store.run("INSERT INTO entities (kind, name, status, spec) VALUES ('experiments', $1, $2, '{}')", [name, status]);
  store.close();
}

/** A project with a store of its own (an experiment, some users) and the demo's store beside it. */
async function project(): Promise<string> {
  const cwd = tmpDir();
  expect((await runCli(['init'], { cwd })).code).toBe(0);
  expect((await runCli(['init', '--db', '.statsig-hack/demo.duckdb'], { cwd })).code).toBe(0);
  await experiment(cwd, 'alpha test', 'active');
  return cwd;
}

describe('fastStatusArgs', () => {
  it('takes status with --json, --no-color and one --db, in any order', () => {
    expect(fastStatusArgs(['status'])).toEqual({ json: false, color: undefined, db: undefined });
    expect(fastStatusArgs(['--db', 'x.duckdb', 'status', '--json', '--no-color'])).toEqual({ json: true, color: false, db: 'x.duckdb' });
    expect(fastStatusArgs(['--db', 'status', 'status'])).toEqual({ json: false, color: undefined, db: 'status' });
  });

  it('leaves everything else to the CLI', () => {
    for (const argv of [[], ['--json'], ['status', 'status'], ['status', '-q'], ['status', '--debug'], ['status', '--config', 'c.json'], ['status', '--db'], ['status', '--db', '--json'], ['status', '--db=x'], ['status', '--db', 'a', '--db', 'b'], ['status', '--help'], ['analyze']]) {
      expect(fastStatusArgs(argv), argv.join(' ')).toBeNull();
    }
  });
});

describe('fastStatus', () => {
  it('prints exactly what the CLI prints, with or without a kept summary', { timeout: 60_000 }, async () => {
    const cwd = await project();
    const summary = path.join(cwd, '.statsig-hack/project.duckdb.status.json');
    const { cachedStoreStatus } = await import('../../src/store/status.js');
    expect(cachedStoreStatus(path.join(cwd, '.statsig-hack/project.duckdb'))).toBeNull(); // written by Store after init kept its summary
    const first = await fast(['status'], cwd); // one query through the bindings
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('alpha test');
    expect(JSON.parse(fs.readFileSync(summary, 'utf8')).value.experiments).toEqual([{ name: 'alpha test', status: 'active' }]);
    expect(first).toEqual(await runCli(['status'], { cwd }).then((r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr })));
    const abs = path.join(cwd, '.statsig-hack/project.duckdb');
    const cases: { argv: string[]; env?: NodeJS.ProcessEnv }[] = [
      { argv: ['status'] },
      { argv: ['status', '--json'] },
      { argv: ['--db', '.statsig-hack/project.duckdb', 'status'] },
      { argv: ['status', '--db', abs, '--no-color'] },
      { argv: ['status', '--db', '.statsig-hack/demo.duckdb'] },
      { argv: ['status'], env: baseEnv({ STATSIG_HACK_DB: '.statsig-hack/demo.duckdb' }) },
      { argv: ['status'], env: baseEnv({ COLUMNS: '50', FORCE_COLOR: '1' }) },
    ];
    for (const { argv, env } of cases) {
      const live = await runCli(argv, { cwd, ...(env ? { env } : {}) }); // reads the store, and keeps its summary
      expect(live.code, live.stderr).toBe(0);
      const answer = await fast(argv, cwd, env);
      expect(answer, argv.join(' ')).toEqual({ code: 0, stdout: live.stdout, stderr: live.stderr });
    }
    expect((await fast(['status'], cwd)).stdout).toContain("The demo's project is in .statsig-hack/demo.duckdb");
    expect((await fast(['status', '--json'], cwd)).stdout).toContain('"alpha test"');
  });

  it('reads a store that changed again, and leaves a missing store and a folder with a config file to the CLI', { timeout: 60_000 }, async () => {
    const cwd = await project();
    expect((await runCli(['status'], { cwd })).code).toBe(0);
    expect((await fast(['status'], cwd)).code).toBe(0);
    await experiment(cwd, 'beta', 'setup');
    expect((await fast(['status'], cwd)).stdout).toContain('beta');
    expect((await fast(['status', '--db', 'none.duckdb'], cwd)).code).toBeNull();
    writeFile(cwd, 'statsig-hack.config.json', JSON.stringify({ db: '.statsig-hack/demo.duckdb' }));
    expect((await fast(['status'], cwd)).code).toBeNull();
    fs.rmSync(path.join(cwd, 'statsig-hack.config.json'));
    expect((await fast(['status'], cwd)).code).toBe(0);
  });
});

describe('a command that changes the store', () => {
  it('keeps a fresh summary for the next status, and one that does not change it leaves the summary alone', { timeout: 60_000 }, async () => {
    const cwd = await project();
    const db = path.join(cwd, '.statsig-hack/project.duckdb');
    const summary = `${db}.status.json`;
    writeFile(cwd, 'users.csv', 'unit_id,country\nu1,US\nu2,FR\n');
    expect((await runCli(['import', 'users.csv', '--into', 'users'], { cwd })).code).toBe(0);
    const { cachedStoreStatus, storeStatus } = await import('../../src/store/status.js');
    const kept = cachedStoreStatus(db);
    expect(kept?.tables.users).toBe(2);
    const store = await Store.open(db, { readOnly: true });
    try {
      expect(kept).toEqual(await storeStatus(store)); // what a full read of the store gives
    } finally {
      store.close();
    }
    const before = fs.statSync(summary).mtimeMs;
    expect((await runCli(['query', 'SELECT count(*) FROM users'], { cwd })).code).toBe(0); // reads only
    expect(fs.statSync(summary).mtimeMs).toBe(before);
  });
});
