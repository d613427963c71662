/**
 * The install paths the README documents, run for real: `npm pack` -> `npm install -g <tarball>`
 * into a temp prefix, `npx --package <tarball>`, and `npm install -g <clone>` (a link); each then
 * runs `statsig-hack` from another directory. The suite reaches no network: the tarball is unpacked
 * beside the repository's installed dependencies, and the link is made `--offline`. The real
 * `npm install -g <tarball>` and `npx --package <tarball>` resolve dependencies from the registry,
 * so they run only with STATSIG_HACK_NETWORK_TESTS=1 (README "Install").
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import type { cachedAnswer as CachedAnswer } from '../../src/commands/help-cache.js';
import { tmpDir } from '../support/tmp.js';

const exec = promisify(execFile);
const repo = path.resolve(import.meta.dirname, '../..');
const pkg = JSON.parse(fs.readFileSync(path.join(repo, 'package.json'), 'utf8')) as { name: string; version: string; allowScripts?: Record<string, boolean> };

const npmEnv = (): NodeJS.ProcessEnv => ({
  PATH: process.env.PATH,
  HOME: process.env.HOME,
  CI: 'true',
  FORCE_COLOR: '0',
  npm_config_audit: 'false',
  npm_config_fund: 'false',
  npm_config_update_notifier: 'false',
});

/** npm, offline unless the network tests are asked for. */
const network = process.env.STATSIG_HACK_NETWORK_TESTS === '1';
async function npm(args: string[], cwd: string, online = false): Promise<{ stdout: string; stderr: string }> {
  return exec('npm', [...args, online ? '--prefer-offline' : '--offline', '--no-audit', '--no-fund'], { cwd, env: npmEnv(), maxBuffer: 16 * 1024 * 1024 });
}

/** Runs an installed `statsig-hack` (a bin link) from `cwd` with a clean env. */
async function installed(binFile: string, args: string[], cwd: string): Promise<{ stdout: string; stderr: string }> {
  return exec(binFile, args, { cwd, env: { PATH: `${path.dirname(process.execPath)}:${process.env.PATH ?? ''}`, CI: 'true', FORCE_COLOR: '0', HOME: process.env.HOME } });
}

describe('install paths (README "Install")', () => {
  let tarball = '';
  beforeAll(async () => {
    // dist/ is fresh: the suite's global setup built it; --ignore-scripts skips a second build.
    const dest = tmpDir('sh-pack-');
    const { stdout } = await npm(['pack', '--ignore-scripts', '--pack-destination', dest, '--json'], repo);
    const packed = JSON.parse(stdout) as { filename: string; files: { path: string }[] }[];
    tarball = path.join(dest, packed[0]!.filename);
    const files = packed[0]!.files.map((f) => f.path);
    expect(files).toContain('bin/statsig-hack.js');
    expect(files).toContain('dist/cli.js');
    expect(files).toContain('dist/commands/help.json'); // the help the binary prints without the CLI
    expect(files.some((f) => f.startsWith('templates/'))).toBe(true);
    expect(files.some((f) => f.startsWith('test/') || f.startsWith('src/'))).toBe(false);
  }, 120_000);

  it('the packed tarball runs from any directory with only its dependencies beside it (offline)', { timeout: 120_000 }, async () => {
    // What `npm install -g <tarball>` lays out: the package's files under lib/node_modules, its
    // dependencies beside them (here the repository's, linked), and a bin link on PATH.
    const prefix = tmpDir('sh-unpacked-');
    const home = path.join(prefix, 'lib', 'node_modules', pkg.name);
    fs.mkdirSync(home, { recursive: true });
    await exec('tar', ['-xzf', tarball, '-C', home, '--strip-components', '1']);
    expect(fs.existsSync(path.join(home, 'src'))).toBe(false);
    fs.symlinkSync(path.join(repo, 'node_modules'), path.join(home, 'node_modules'), 'dir');
    const binFile = path.join(home, 'bin', 'statsig-hack.js');
    const elsewhere = tmpDir('sh-elsewhere-');
    const run = (args: string[]) => exec(process.execPath, [binFile, ...args], { cwd: elsewhere, env: { PATH: process.env.PATH, CI: 'true', FORCE_COLOR: '0', HOME: process.env.HOME } });
    expect((await run(['--version'])).stdout.trim()).toBe(pkg.version);
    const help = (await run(['--help'])).stdout;
    for (const c of ['demo', 'seed', 'analyze', 'status', 'completion']) expect(help).toMatch(new RegExp(`^  ${c}\\b`, 'm'));
    // npm gives every packed file one date: the help cache still answers (its sizes match), with the CLI's text.
    const { cachedAnswer } = (await import(pathToFileURL(path.join(home, 'dist/commands/help-cache.js')).href)) as { cachedAnswer: typeof CachedAnswer };
    expect(cachedAnswer(['--help'], { isTTY: false }, {}, path.join(home, 'dist/commands/help.json'))).toBe(help);
    // The templates resolve from the package, not from the cwd.
    const init = JSON.parse((await run(['init', '--json'])).stdout) as { db: string; created: boolean };
    expect(init).toMatchObject({ db: path.join(elsewhere, '.statsig-hack', 'project.duckdb'), created: true });
    const seed = JSON.parse((await run(['seed', 'a shop', '--offline', '--users', '200', '--force', '--json'])).stdout) as { counts: { users: number } };
    expect(seed.counts.users).toBe(200);
  });

  it.runIf(network)('npm install -g <tarball> puts statsig-hack on PATH; it runs from any directory (network)', { timeout: 300_000 }, async () => {
    const prefix = tmpDir('sh-prefix-');
    const r = await npm(['install', '-g', '--prefix', prefix, tarball], tmpDir(), true);
    // No runtime dependency has an install script (the DuckDB binary comes as an optional
    // dependency per platform); npm 11.16+ may name only our own `prepare` (the TypeScript
    // build), which npm never runs for a tarball: dist/ is inside it.
    expect(r.stderr).not.toMatch(/esbuild|duckdb/);
    expect(fs.existsSync(path.join(prefix, 'lib', 'node_modules', pkg.name, 'dist', 'cli.js'))).toBe(true);
    const binFile = path.join(prefix, 'bin', 'statsig-hack');
    const elsewhere = tmpDir('sh-elsewhere-');
    expect((await installed(binFile, ['--version'], elsewhere)).stdout.trim()).toBe(pkg.version);
    const help = (await installed(binFile, ['--help'], elsewhere)).stdout;
    for (const c of ['demo', 'seed', 'analyze', 'status', 'completion']) expect(help).toMatch(new RegExp(`^  ${c}\\b`, 'm'));
    // The native DuckDB binding and the templates resolve from the install, not from the cwd.
    const init = JSON.parse((await installed(binFile, ['init', '--json'], elsewhere)).stdout) as { db: string; created: boolean };
    expect(init).toMatchObject({ db: path.join(elsewhere, '.statsig-hack', 'project.duckdb'), created: true });
    const seed = JSON.parse((await installed(binFile, ['seed', 'a shop', '--offline', '--users', '200', '--force', '--json'], elsewhere)).stdout) as { counts: { users: number } };
    expect(seed.counts.users).toBe(200);
  });

  it.runIf(network)('npx --package <tarball> statsig-hack runs without an install (network)', { timeout: 300_000 }, async () => {
    const cwd = tmpDir('sh-npx-');
    const r = await exec('npm', ['exec', '--yes', '--prefer-offline', '--package', tarball, '--', 'statsig-hack', '--json', '--version'], { cwd, env: npmEnv() });
    expect(JSON.parse(r.stdout)).toEqual({ name: pkg.name, version: pkg.version });
  });

  it('npm install -g <clone> links the working copy (what `npm link` does)', { timeout: 120_000 }, async () => {
    const prefix = tmpDir('sh-link-');
    await npm(['install', '-g', '--ignore-scripts', '--prefix', prefix, repo], tmpDir());
    expect(fs.realpathSync(path.join(prefix, 'lib', 'node_modules', pkg.name))).toBe(fs.realpathSync(repo));
    const v = await installed(path.join(prefix, 'bin', 'statsig-hack'), ['-v'], tmpDir());
    expect(v.stdout.trim()).toBe(pkg.version);
  });

  it('every dependency install script is reviewed (no npm "install-scripts" advisory on npm install)', () => {
    // esbuild (a devDependency of tsx and vitest) has a postinstall that checks its platform binary.
    expect(pkg.allowScripts).toEqual({ esbuild: true });
    const lock = JSON.parse(fs.readFileSync(path.join(repo, 'package-lock.json'), 'utf8')) as { packages: Record<string, { hasInstallScript?: boolean; dev?: boolean }> };
    const withScripts = Object.entries(lock.packages)
      .filter(([, p]) => p.hasInstallScript)
      .map(([name]) => name.replace(/^.*node_modules\//, ''));
    for (const name of withScripts) expect(pkg.allowScripts, `${name} has an install script`).toHaveProperty(name);
  });

  it('npm (11.16+, which has allowScripts) finds no unreviewed install script', { timeout: 60_000 }, async () => {
    const version = (await exec('npm', ['--version'], { env: npmEnv() })).stdout.trim();
    const [major, minor] = version.split('.').map(Number) as [number, number];
    if (major < 11 || (major === 11 && minor < 16)) return; // older npm neither warns nor knows the field
    const r = await exec('npm', ['approve-scripts', '--allow-scripts-pending'], { cwd: repo, env: npmEnv() });
    expect(`${r.stdout}${r.stderr}`).toMatch(/No packages with unreviewed install scripts/);
  });
});

describe('a clone needs nothing beside it', () => {
  it('no test or bench reads a file outside the repository (../shared)', () => {
    const offenders: string[] = [];
    const walk = (dir: string): void => {
      for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) {
          if (e.name !== 'node_modules' && e.name !== 'fixtures') walk(p);
        } else if (/\.(ts|tsx|js|mjs)$/.test(e.name) && /\.\.\/shared\//.test(fs.readFileSync(p, 'utf8'))) offenders.push(path.relative(repo, p));
      }
    };
    walk(path.join(repo, 'test'));
    walk(path.join(repo, 'bench'));
    expect(offenders.filter((f) => f !== 'test/e2e/install.test.ts')).toEqual([]);
    expect(fs.existsSync(path.join(repo, 'test/fixtures/forecast/peyton_manning.csv'))).toBe(true);
  });
});
