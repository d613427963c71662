/**
 * `status` answered by the binary without the CLI (src/commands/status-fast.ts): for the plain
 * forms it prints exactly what the CLI prints; for anything else it prints nothing and leaves it
 * to the CLI.
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
  it('prints nothing and returns null until a status has read the store; then exactly what the CLI prints', { timeout: 60_000 }, async () => {
    const cwd = await project();
    expect(await fast(['status'], cwd)).toEqual({ code: null, stdout: '', stderr: '' });
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

  it('leaves the store that changed, a missing store and a folder with a config file to the CLI', { timeout: 60_000 }, async () => {
    const cwd = await project();
    expect((await runCli(['status'], { cwd })).code).toBe(0);
    expect((await fast(['status'], cwd)).code).toBe(0);
    await experiment(cwd, 'beta', 'setup');
    expect(await fast(['status'], cwd)).toEqual({ code: null, stdout: '', stderr: '' });
    expect((await runCli(['status'], { cwd })).stdout).toContain('beta');
    expect((await fast(['status'], cwd)).stdout).toContain('beta');
    expect((await fast(['status', '--db', 'none.duckdb'], cwd)).code).toBeNull();
    writeFile(cwd, 'statsig-hack.config.json', JSON.stringify({ db: '.statsig-hack/demo.duckdb' }));
    expect((await fast(['status'], cwd)).code).toBeNull();
    fs.rmSync(path.join(cwd, 'statsig-hack.config.json'));
    expect((await fast(['status'], cwd)).code).toBe(0);
  });
});
