/**
 * Review 2, finding 14: the commands the CLI suggests ("Next:" blocks, hints) are spelled the way
 * this user can run them: `npx statsig-hack …` under npx, `statsig-hack …` otherwise, with a note
 * on how to install it when no `statsig-hack` is on PATH. The pure helpers here; the CLI below
 * (demo under npx, status with and without statsig-hack on PATH, a hint, --json).
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { AS_INSTALLED, invocation, onPath, spell, underNpx } from '../../src/core/invocation.js';
import { baseEnv, runCli } from '../support/run-cli.js';
import { tmpDir } from '../support/tmp.js';

/** What npm 11 sets for `npx statsig-hack demo` (seen with `npx -c env`), and for `npm run`/`npm test`. */
const NPX = { npm_command: 'exec', npm_lifecycle_event: 'npx', npm_execpath: '/usr/lib/node_modules/npm/bin/npm-cli.js', npm_config_user_agent: 'npm/11.19.1 node/v20.20.2 linux x64 workspaces/false' };
const NPM_RUN = { npm_command: 'run-script', npm_lifecycle_event: 'demo', npm_execpath: '/usr/lib/node_modules/npm/bin/npm-cli.js' };

/** A folder holding an executable `statsig-hack` (and one holding a non-executable one). */
function binDirs(): { withBin: string; notExecutable: string; empty: string } {
  const withBin = tmpDir('sh-bin-');
  fs.writeFileSync(path.join(withBin, 'statsig-hack'), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
  const notExecutable = tmpDir('sh-bin-');
  fs.writeFileSync(path.join(notExecutable, 'statsig-hack'), 'not a program\n', { mode: 0o644 });
  return { withBin, notExecutable, empty: tmpDir('sh-bin-') };
}

const ROOT = path.resolve(import.meta.dirname, '../..');

describe('invocation', () => {
  const dirs = binDirs();

  it('knows npx (and npm exec) from the environment npm gives it, and nothing else', () => {
    expect(underNpx(NPX)).toBe(true);
    expect(underNpx({ npm_command: 'exec' })).toBe(true); // npm exec -- statsig-hack
    expect(underNpx({ npm_lifecycle_event: 'npx' })).toBe(true);
    expect(underNpx(NPM_RUN)).toBe(false);
    expect(underNpx({ npm_command: 'test', npm_lifecycle_event: 'test' })).toBe(false);
    expect(underNpx({})).toBe(false);
  });

  it('finds statsig-hack on PATH only as an executable file', () => {
    expect(onPath('statsig-hack', { PATH: `${dirs.empty}:${dirs.withBin}` })).toBe(true);
    expect(onPath('statsig-hack', { PATH: `${dirs.empty}:${dirs.notExecutable}` })).toBe(false);
    expect(onPath('statsig-hack', { PATH: '' })).toBe(false);
    expect(onPath('statsig-hack', {})).toBe(false);
    // Windows: ; between folders, PATHEXT's extensions (npm writes statsig-hack.cmd there).
    const seen: string[] = [];
    const isExecutable = (f: string): boolean => {
      seen.push(f);
      return f === 'C:\\npm\\statsig-hack.CMD';
    };
    expect(onPath('statsig-hack', { Path: 'C:\\Windows;C:\\npm', PATHEXT: '.EXE;.CMD' }, { platform: 'win32', isExecutable })).toBe(true);
    expect(seen).toEqual(['C:\\Windows\\statsig-hack', 'C:\\Windows\\statsig-hack.EXE', 'C:\\Windows\\statsig-hack.CMD', 'C:\\npm\\statsig-hack', 'C:\\npm\\statsig-hack.EXE', 'C:\\npm\\statsig-hack.CMD']);
  });

  it('spells commands "npx statsig-hack" under npx, whatever PATH holds', () => {
    expect(invocation({ ...NPX, PATH: dirs.empty })).toEqual({ command: 'npx statsig-hack', note: null });
    expect(invocation({ ...NPX, PATH: dirs.withBin })).toEqual({ command: 'npx statsig-hack', note: null });
  });

  it('spells them "statsig-hack" otherwise, with a note on how to install it when it is not on PATH', () => {
    expect(invocation({ ...NPM_RUN, PATH: dirs.withBin })).toEqual(AS_INSTALLED);
    expect(invocation({ PATH: dirs.withBin })).toEqual({ command: 'statsig-hack', note: null });
    // In the clone: `npm install -g .`; elsewhere: the clone's path, relative when it lies below.
    expect(invocation({ PATH: dirs.empty }, { cwd: ROOT })).toEqual({ command: 'statsig-hack', note: 'These need statsig-hack on your PATH: `npm install -g .` puts it there' });
    expect(invocation({ PATH: dirs.empty }, { cwd: path.dirname(ROOT) }).note).toBe(`These need statsig-hack on your PATH: \`npm install -g ${path.basename(ROOT)}\` puts it there`);
    expect(invocation({ PATH: dirs.empty }, { cwd: '/tmp', root: '/opt/my clone' }).note).toBe("These need statsig-hack on your PATH: `npm install -g '/opt/my clone'` puts it there");
    expect(invocation({ PATH: dirs.empty }, { cwd: '/tmp', root: null }).note).toBe('These need statsig-hack on your PATH: `npm install -g .` in the clone puts it there');
  });

  it('rewrites suggested commands in our own text, and leaves paths and spelled commands alone', () => {
    const npx = { command: 'npx statsig-hack', note: null };
    expect(spell('  statsig-hack status --db .statsig-hack/demo.duckdb', npx)).toBe('  npx statsig-hack status --db .statsig-hack/demo.duckdb');
    expect(spell('run `statsig-hack init` (or `statsig-hack demo`) first', npx)).toBe('run `npx statsig-hack init` (or `npx statsig-hack demo`) first');
    expect(spell('see statsig-hack analyze --help\nstatsig-hack seed "x"', npx)).toBe('see npx statsig-hack analyze --help\nnpx statsig-hack seed "x"');
    expect(spell('(statsig-hack interactions should find them)', npx)).toBe('(npx statsig-hack interactions should find them)');
    expect(spell('already `npx statsig-hack init`', npx)).toBe('already `npx statsig-hack init`');
    expect(spell('upgrade statsig-hack, or pass --db', npx)).toBe('upgrade statsig-hack, or pass --db');
    expect(spell('  statsig-hack status', AS_INSTALLED)).toBe('  statsig-hack status');
  });
});

describe('through the CLI', () => {
  const dirs = binDirs();

  it('demo under npx prints its next steps as npx statsig-hack …, with no note', async () => {
    const cwd = tmpDir('sh-npx-demo-');
    const r = await runCli(['demo', '--users', '600'], { cwd, env: baseEnv({ ...NPX, PATH: dirs.empty }) });
    expect(r.code, r.stderr).toBe(0);
    const next = r.stdout.split(/^Next:\n/m)[1] ?? '';
    const lines = next.replace(/ \\\n\s+/g, ' ').split('\n').filter((l) => l !== '');
    expect(lines.length).toBeGreaterThanOrEqual(2);
    for (const l of lines) expect(l).toMatch(/^ {2}npx statsig-hack \S+ .*--db \.statsig-hack\/demo\.duckdb$/);
    expect(lines[0]).toBe('  npx statsig-hack status --db .statsig-hack/demo.duckdb');
    // The other commands it shows (ask, search) too; none is left unspelled.
    expect(r.stdout).not.toMatch(/(^|[^x] )statsig-hack (?=[a-z])/m);
    expect(r.stdout).toMatch(/^ {2}npx statsig-hack ask /m);
    expect(r.stdout).not.toContain('on your PATH');
  }, 240_000);

  it('status says how to install statsig-hack when it is not on PATH, and not when it is', async () => {
    const cwd = tmpDir('sh-path-status-');
    expect((await runCli(['init'], { cwd })).code).toBe(0);
    const missing = await runCli(['status'], { cwd, env: baseEnv({ PATH: dirs.empty }) });
    expect(missing.code, missing.stderr).toBe(0);
    const tail = missing.stdout.trimEnd().split('\n').slice(-4);
    expect(tail[0]).toBe('The store is empty: generate a project, or load yours:');
    expect(tail[1]).toBe('  statsig-hack seed "<what your product is>"');
    expect(tail[2]).toBe('  statsig-hack import <file> --into <table>');
    // The clone is where this test runs from: its path, as the user in `cwd` would type it.
    expect(tail[3]).toBe(`  These need statsig-hack on your PATH: \`npm install -g ${ROOT}\` puts it there`);
    const installed = await runCli(['status'], { cwd, env: baseEnv({ PATH: dirs.withBin }) });
    expect(installed.stdout).toContain('  statsig-hack seed "<what your product is>"');
    expect(installed.stdout).not.toContain('on your PATH');
    const npx = await runCli(['status'], { cwd, env: baseEnv({ ...NPX, PATH: dirs.empty }) });
    expect(npx.stdout).toContain('  npx statsig-hack seed "<what your product is>"\n  npx statsig-hack import <file> --into <table>');
    expect(npx.stdout).not.toContain('on your PATH');
  });

  it('an error hint spells its command the same way, in text and in --json', async () => {
    const cwd = tmpDir('sh-npx-hint-');
    const plain = await runCli(['analyze'], { cwd, env: baseEnv({ PATH: dirs.withBin }) });
    expect(plain.code).toBe(2);
    expect(plain.stderr).toContain('hint: see statsig-hack analyze --help');
    const npx = await runCli(['analyze'], { cwd, env: baseEnv({ ...NPX, PATH: dirs.empty }) });
    expect(npx.stderr).toContain('hint: see npx statsig-hack analyze --help');
    const json = await runCli(['analyze', '--json'], { cwd, env: baseEnv({ ...NPX, PATH: dirs.empty }) });
    expect(json.json().error.hint).toBe('see npx statsig-hack analyze --help');
  });
});
