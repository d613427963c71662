import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { commandName } from '../../src/cli.js';
import { readManifest, type writeManifest as writeManifestType } from '../../src/commands/manifest.js';
import { Command } from '../../src/core/commander.js';
import { runCli } from '../support/run-cli.js';
import { tmpDir, writeFile } from '../support/tmp.js';

const exec = promisify(execFile);
const bin = path.resolve(import.meta.dirname, '../../bin/statsig-hack.js');
const dist = path.resolve(import.meta.dirname, '../../dist');

async function cli(args: string[], cwd: string) {
  try {
    const r = await exec(process.execPath, [bin, ...args], { cwd, env: { PATH: process.env.PATH, CI: 'true', FORCE_COLOR: '0' } });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

describe('the built binary', () => {
  it('in a folder deleted under the shell: one line naming the problem, no stack trace', async () => {
    const gone = path.join(tmpDir(), 'gone');
    fs.mkdirSync(gone);
    const r = await exec('sh', ['-c', `cd '${gone}' && rmdir '${gone}' && '${process.execPath}' '${bin}' status; echo "rc=$?"`], { env: { PATH: process.env.PATH, CI: 'true' } });
    expect(r.stdout).toContain('rc=1');
    expect(r.stderr).toBe('error: the current folder no longer exists\n  hint: cd into an existing folder and run again\n');
  });

  it('lists every command in --help and prints the version', async () => {
    const cwd = tmpDir();
    const help = await cli(['--help'], cwd);
    expect(help.code).toBe(0);
    for (const c of ['init', 'import', 'query', 'status']) expect(help.stdout).toMatch(new RegExp(`^  ${c}\\b`, 'm'));
    expect((await cli(['--version'], cwd)).stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('init, import and query in a temp dir with plain output', async () => {
    const cwd = tmpDir();
    expect((await cli(['init'], cwd)).stdout).toContain('Created the project store');
    writeFile(cwd, 'x.csv', 'unit_id,experiment,group_name,first_exposure\nu1,e1,control,2026-10-01\nu2,e1,test,2026-10-01\n');
    expect((await cli(['import', 'x.csv', '--into', 'exposures'], cwd)).code).toBe(0);
    const q = await cli(['query', 'SELECT group_name, count(*) AS n FROM exposures GROUP BY 1 ORDER BY 1', '--json'], cwd);
    expect(JSON.parse(q.stdout)).toEqual({ columns: ['group_name', 'n'], rows: [{ group_name: 'control', n: 1 }, { group_name: 'test', n: 1 }] });
    const bad = await cli(['query', 'SELEC 1'], cwd);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^error: query failed: Parser Error/);
    expect(bad.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('version, help and completion', () => {
  const pkg = JSON.parse(fs.readFileSync(path.resolve(import.meta.dirname, '../../package.json'), 'utf8')) as { name: string; version: string };

  it('-v, -V and --version print the version; with --json a JSON document', async () => {
    const cwd = tmpDir();
    for (const flag of ['-v', '-V', '--version']) {
      const r = await runCli([flag], { cwd });
      expect(r.code, flag).toBe(0);
      expect(r.stdout).toBe(`${pkg.version}\n`);
    }
    for (const argv of [['--json', '--version'], ['--version', '--json'], ['--json', '-v']]) {
      const r = await runCli(argv, { cwd });
      expect(r.code).toBe(0);
      expect(r.json()).toEqual({ name: pkg.name, version: pkg.version });
    }
  });

  it('a subcommand --help lists the global flags', async () => {
    const r = await runCli(['status', '--help'], { cwd: tmpDir() });
    expect(r.code).toBe(0);
    const globals = r.stdout.slice(r.stdout.indexOf('Global Options:'));
    expect(r.stdout).toContain('Global Options:');
    for (const flag of ['--json', '--db <path>', '--config <file>', '--quiet', '--no-color', '--debug']) expect(globals).toContain(flag);
    // The top-level help still lists every command (they are loaded lazily), also when a command follows.
    const top = await runCli(['--help'], { cwd: tmpDir() });
    for (const c of ['demo', 'analyze', 'status', 'completion']) expect(top.stdout).toMatch(new RegExp(`^  ${c}\\b`, 'm'));
    expect((await runCli(['--help', 'status'], { cwd: tmpDir() })).stdout).toBe(top.stdout);
    expect((await runCli(['help', 'status'], { cwd: tmpDir() })).stdout).toBe(r.stdout);
  });

  it('finds the command after global flags, and runs only it', async () => {
    expect(commandName(['--db', 'x.duckdb', '--json', 'status'])).toBe('status');
    expect(commandName(['--config', 'c.json', 'seed', 'a shop'])).toBe('seed');
    expect(commandName(['-q', '--no-color'])).toBeUndefined();
    expect(commandName(['--', 'status'])).toBeUndefined();
    const cwd = tmpDir();
    const r = await runCli(['--db', 'a/b.duckdb', '--json', 'init'], { cwd });
    expect(r.code, r.stderr).toBe(0);
    expect(r.json().db).toBe(path.join(cwd, 'a', 'b.duckdb'));
  });

  it('a typo in a command name is suggested', async () => {
    const r = await runCli(['statsu'], { cwd: tmpDir() });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('(Did you mean status?)');
  });

  it('a usage error in a nested subcommand is one line with the hint and exit 2, like any other', async () => {
    for (const argv of [['serve', 'keys', 'create'], ['jobs', 'slow', '--bogus'], ['codemonkey', 'undo', '--bogus'], ['rollout', 'start', '--bogus']]) {
      const r = await runCli(argv, { cwd: tmpDir() });
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.stderr, argv.join(' ')).toMatch(/^error: .+\n {2}hint: run with --help to see the usage\n$/);
    }
  });

  it('completion bash completes commands, options, choices and files', async () => {
    const cwd = tmpDir();
    const r = await runCli(['completion', 'bash'], { cwd });
    expect(r.code).toBe(0);
    const script = writeFile(cwd, 'statsig-hack.bash', r.stdout);
    writeFile(cwd, 'exp.csv', 'a\n');
    const complete = async (words: string[]): Promise<string[]> => {
      const line = words.map((w) => `'${w}'`).join(' ');
      const { stdout } = await exec('bash', ['-c', `source '${script}'; COMP_WORDS=(${line}); COMP_CWORD=${words.length - 1}; _statsig_hack; printf '%s\\n' "\${COMPREPLY[@]}"`], { cwd });
      return stdout.split('\n').filter(Boolean);
    };
    expect(await complete(['statsig-hack', 'sta'])).toEqual(['status']);
    expect(await complete(['statsig-hack', '--db', 'x.duckdb', 'an'])).toEqual(['analyze']);
    expect(await complete(['statsig-hack', '--js'])).toEqual(['--json']);
    expect(await complete(['statsig-hack', 'analyze', '--meth'])).toEqual(['--method']);
    expect(await complete(['statsig-hack', 'analyze', '--method', ''])).toEqual(['none', 'cuped', 'cupac']);
    expect(await complete(['statsig-hack', 'analyze', '--data', 'ex'])).toEqual(['exp.csv']);
    expect(await complete(['statsig-hack', 'status', '--j'])).toEqual(['--json']);
    expect(await complete(['statsig-hack', 'completion', ''])).toEqual(['bash', 'zsh', 'fish']);
    // nested commands: their names after the command, then their own options (not the parent's)
    expect(await complete(['statsig-hack', 'jobs', ''])).toEqual(['slow', 'show', 'list']);
    expect(await complete(['statsig-hack', 'serve', ''])).toEqual(['keys', 'log']);
    expect(await complete(['statsig-hack', 'notify', 'st'])).toEqual(['status']);
    expect(await complete(['statsig-hack', 'rollout', 'pro'])).toEqual(['promote']);
    const slow = await complete(['statsig-hack', 'jobs', 'slow', '--']);
    expect(slow).toEqual(expect.arrayContaining(['--factor', '--window', '--json']));
    expect(slow).not.toContain('--by');
    expect(await complete(['statsig-hack', 'jobs', '--b'])).toEqual(['--by']);
    expect(await complete(['statsig-hack', 'analyze', 'x', '--meth'])).toEqual(['--method']);
    const syntax = await exec('bash', ['-n', script]);
    expect(syntax.stderr).toBe('');
  });

  it('completion zsh and fish describe the same commands and options', async () => {
    const cwd = tmpDir();
    const zsh = (await runCli(['completion', 'zsh'], { cwd })).stdout;
    expect(zsh.startsWith('#compdef statsig-hack\n')).toBe(true);
    expect(zsh).toMatch(/^ {8}analyze\) _arguments \$globals .*'--method\[[^\]]*\]:value:\(none cuped cupac\)'/m);
    expect(zsh).toContain(`'status:what the project store holds`);
    expect(zsh).toContain("'--db[project store (default\\: .statsig-hack/project.duckdb)]:path:_files'");
    const fish = (await runCli(['completion', 'fish'], { cwd })).stdout;
    expect(fish).toContain("complete -c statsig-hack -n '__fish_use_subcommand' -f -a 'status'");
    expect(fish).toContain("complete -c statsig-hack -n '__fish_seen_subcommand_from analyze' -l method -x -a 'none cuped cupac'");
    expect(fish).toContain('complete -c statsig-hack -l db -r -F');
    expect(fish).toMatch(/^complete -c statsig-hack -n '__fish_seen_subcommand_from jobs; and __fish_seen_subcommand_from slow' -l factor /m);
    expect(zsh).toMatch(/^ {10}slow\) _arguments \$globals .*'--factor\[/m);
    // Syntax checks where the shell is installed.
    for (const [shell, text] of [['zsh', zsh], ['fish', fish]] as const) {
      const file = writeFile(cwd, `c.${shell}`, text);
      const has = await exec('sh', ['-c', `command -v ${shell}`]).then(() => true, () => false);
      if (has) expect((await exec(shell, ['-n', file])).stderr).toBe('');
      // fish completes a command line on request: check what it offers.
      if (has && shell === 'fish') {
        const offered = async (line: string): Promise<string[]> =>
          (await exec('fish', ['-c', `source '${file}'; complete -C '${line}'`], { cwd })).stdout.split('\n').filter(Boolean).map((l) => l.split('\t')[0] as string);
        expect(await offered('statsig-hack sta')).toEqual(['status']);
        expect(await offered('statsig-hack analyze --method ')).toEqual(['cupac', 'cuped', 'none']);
        expect(await offered('statsig-hack completion ')).toEqual(['bash', 'fish', 'zsh']);
      }
    }
    const bad = await runCli(['completion', 'powershell'], { cwd });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('Allowed choices are bash, zsh, fish');
  });
});

describe('status leads somewhere', () => {
  it('in an empty folder: says which store it looked at, and how to get one', async () => {
    const cwd = tmpDir();
    const r = await runCli(['status'], { cwd });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('error: no project store at .statsig-hack/project.duckdb (the default store)');
    expect(r.stderr).toContain('hint: run `statsig-hack init` for an empty store here, or `statsig-hack demo` for a sample project');
    const env = await runCli(['status', '--json'], { cwd, env: { ...process.env, CI: 'true', FORCE_COLOR: '0', STATSIG_HACK_DB: 'elsewhere.duckdb' } });
    expect(env.json().error.message).toBe('no project store at elsewhere.duckdb (from STATSIG_HACK_DB)');
  });

  it('after demo: points at the demo store with the exact command, which works', async () => {
    const cwd = tmpDir();
    // The store `demo` writes (an initialised store at the same path stands in for it here).
    expect((await runCli(['init', '--db', '.statsig-hack/demo.duckdb'], { cwd })).code).toBe(0);
    const r = await runCli(['status'], { cwd });
    expect(r.code).toBe(1);
    // The command has a line of its own, to copy.
    expect(r.stderr).toContain('hint: the demo wrote its project to .statsig-hack/demo.duckdb; use it with:\n        statsig-hack status --db .statsig-hack/demo.duckdb\n');
    const q = await runCli(['query', 'SELECT 1 AS one', '--json'], { cwd });
    expect(q.json().error.hint).toContain("statsig-hack query 'SELECT 1 AS one' --json --db .statsig-hack/demo.duckdb");
    const suggested = /^ +statsig-hack (.*)$/m.exec(r.stderr)![1]!.split(' ');
    const ok = await runCli(suggested, { cwd });
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toContain('.statsig-hack/demo.duckdb');
    // With a project store of its own as well: status shows it, says it is empty, and names the demo's.
    expect((await runCli(['init'], { cwd })).code).toBe(0);
    const both = await runCli(['status'], { cwd });
    expect(both.code).toBe(0);
    expect(both.stdout).toContain('The store is empty: generate a project, or load yours:\n  statsig-hack seed "<what your product is>"\n  statsig-hack import <file> --into <table>');
    expect(both.stdout).toContain("The demo's project is in .statsig-hack/demo.duckdb:\n  statsig-hack status --db .statsig-hack/demo.duckdb");
    expect(ok.stdout).not.toContain("The demo's project is in");
  });
});

describe('start-up loads only what the command uses (built binary)', () => {
  /** Runs the binary with hooks that record every module it loads (ESM and CommonJS). */
  async function loaded(args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): Promise<{ esm: string[]; cjs: string[]; stdout: string }> {
    const dir = tmpDir('sh-hooks-');
    const log = path.join(dir, 'log');
    writeFile(dir, 'hooks.mjs', `import fs from 'node:fs';\nexport async function load(url, context, next) { fs.appendFileSync(${JSON.stringify(`${log}.esm`)}, url + '\\n'); return next(url, context); }\n`);
    writeFile(dir, 'register.mjs', `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(path.join(dir, 'hooks.mjs')).href)});\n`);
    writeFile(dir, 'cjs.cjs', `process.on('exit', () => require('node:fs').writeFileSync(${JSON.stringify(`${log}.cjs`)}, Object.keys(require.cache).join('\\n')));\n`);
    const r = await exec(process.execPath, ['--require', path.join(dir, 'cjs.cjs'), '--import', pathToFileURL(path.join(dir, 'register.mjs')).href, bin, ...args], {
      cwd,
      env: { PATH: process.env.PATH, CI: 'true', FORCE_COLOR: '0', ...env },
    }).catch(() => ({ stdout: '' }));
    const read = (f: string): string[] => (fs.existsSync(f) ? fs.readFileSync(f, 'utf8').split('\n').filter(Boolean) : []);
    return { esm: read(`${log}.esm`), cjs: read(`${log}.cjs`), stdout: r.stdout };
  }
  const has = (list: string[], part: string): boolean => list.some((u) => u.includes(part));
  const commandModules = (esm: string[]): string[] => esm.filter((u) => /\/dist\/commands\//.test(u)).map((u) => path.basename(u)).sort();

  beforeAll(async () => {
    // `npm run build` writes the manifest and the help cache after tsc; the suite's global setup runs tsc alone.
    const { writeManifest } = (await import(pathToFileURL(path.join(dist, 'commands/manifest.js')).href)) as { writeManifest: typeof writeManifestType };
    await writeManifest();
  });

  it('--help and --version off a terminal: the build\'s texts alone, no CLI, no commander', { timeout: 60_000 }, async () => {
    for (const args of [['--help'], ['status', '--help'], ['--version']]) {
      const { esm, cjs, stdout } = await loaded(args, tmpDir());
      expect(esm.filter((u) => u.includes('/dist/')).map((u) => path.basename(u)), args.join(' ')).toEqual(['help-cache.js']);
      expect(has(cjs, '/commander/')).toBe(false);
      expect(stdout).toBe((await runCli(args, { cwd: tmpDir() })).stdout);
    }
  });

  it('--help at another width: the CLI, with no command module, no config validator, no colour library, no DuckDB, commander not through the ESM loader', { timeout: 60_000 }, async () => {
    const { esm, cjs, stdout } = await loaded(['--help'], tmpDir(), { COLUMNS: '100' });
    expect(has(esm, '/dist/cli.js')).toBe(true);
    // The command list comes from dist/commands/manifest.json.
    expect(commandModules(esm)).toEqual(['help-cache.js', 'index.js', 'manifest.js']);
    for (const heavy of ['/zod/', '/cosmiconfig/', '/chalk/', '@duckdb', 'commander/esm.mjs', '/ink/', '/openai/', 'playwright']) expect(has(esm, heavy), heavy).toBe(false);
    expect(has(cjs, '@duckdb')).toBe(false);
    expect(has(cjs, '/commander/')).toBe(true);
    // The job log and the error classes load only when a command runs or something fails.
    for (const lazy of ['/dist/store/observer.js', '/dist/observe/jobs/', '/dist/core/errors.js']) expect(has(esm, lazy), lazy).toBe(false);
    expect(stdout).toBe((await runCli(['--help'], { cwd: tmpDir(), env: { PATH: process.env.PATH, CI: 'true', FORCE_COLOR: '0', COLUMNS: '100' } })).stdout);
  });

  it('status: without the CLI, from the summary init kept (no DuckDB), else through the DuckDB bindings alone; zod only with a config file', { timeout: 60_000 }, async () => {
    const cwd = tmpDir();
    await exec(process.execPath, [bin, 'init'], { cwd, env: { PATH: process.env.PATH, CI: 'true' } });
    // init changed the store and kept its summary: the binary answers without the CLI or DuckDB.
    const first = await loaded(['status'], cwd);
    expect(commandModules(first.esm)).toEqual(['help-cache.js', 'status-fast.js']);
    for (const lazy of ['/dist/cli.js', '/dist/store/observer.js', '/dist/observe/jobs/', '/dist/store/lite.js', '/chalk/']) expect(has(first.esm, lazy), lazy).toBe(false);
    for (const heavy of ['@duckdb', '/commander/']) expect(has(first.cjs, heavy), heavy).toBe(false);
    // The store changed by another program (no summary): one read-only query through the native
    // bindings (store/lite.ts), not @duckdb/node-api's ~180 files, and still no CLI.
    fs.rmSync(path.join(cwd, '.statsig-hack/project.duckdb.status.json'));
    const again = await loaded(['status'], cwd);
    expect(again.stdout).toBe(first.stdout);
    expect(commandModules(again.esm)).toEqual(['help-cache.js', 'status-fast.js']);
    expect(has(again.esm, '/dist/store/lite.js')).toBe(true);
    expect(has(again.cjs, '@duckdb/node-bindings')).toBe(true);
    expect(has(again.cjs, '@duckdb/node-api')).toBe(false);
    for (const lazy of ['/dist/cli.js', '/dist/observe/jobs/', '/chalk/']) expect(has(again.esm, lazy), lazy).toBe(false);
    for (const heavy of ['@duckdb', '/zod/', '/cosmiconfig/', 'commander/esm.mjs']) expect(has(again.esm, heavy), heavy).toBe(false);
    expect(fs.existsSync(path.join(cwd, '.statsig-hack/project.duckdb.status.json'))).toBe(true);
    writeFile(cwd, 'statsig-hack.config.json', JSON.stringify({ db: '.statsig-hack/project.duckdb' }));
    const withConfig = await loaded(['status'], cwd);
    expect(has(withConfig.esm, '/zod/')).toBe(true);
    expect(has(withConfig.esm, '/dist/cli.js')).toBe(true);
  });

  it('the help from the manifest is the help of the real commands', { timeout: 60_000 }, async () => {
    const cwd = tmpDir();
    const built = await exec(process.execPath, [bin, '--help'], { cwd, env: { PATH: process.env.PATH, CI: 'true', FORCE_COLOR: '0', COLUMNS: '100' } });
    const real = await runCli(['--help'], { cwd, env: { PATH: process.env.PATH, CI: 'true', FORCE_COLOR: '0', COLUMNS: '100' } }); // from src/: no manifest, every module loaded
    expect(built.stdout).toBe(real.stdout);
  });

  it('a manifest that is stale or does not match the registry is ignored', () => {
    const dir = tmpDir();
    const file = path.join(dir, 'manifest.json');
    const entries = [{ name: 'a', load: () => Promise.reject(new Error('unused')) }, { name: 'b', load: () => Promise.reject(new Error('unused')) }];
    const list = [{ name: 'a', term: 'a [options]', description: 'A', size: 3 }, { name: 'b', term: 'b <x>', description: 'B', size: 3 }];
    writeFile(dir, 'a.js', 'a()');
    writeFile(dir, 'b.js', 'b()');
    const past = new Date(Date.now() - 60_000);
    fs.utimesSync(path.join(dir, 'a.js'), past, past);
    fs.utimesSync(path.join(dir, 'b.js'), past, past);
    fs.writeFileSync(file, JSON.stringify(list));
    expect(readManifest(file, entries)).toEqual(list);
    expect(readManifest(file, [...entries, { name: 'c', load: () => Promise.reject(new Error('unused')) }])).toBeNull();
    expect(readManifest(file, [entries[0]!, () => new Command('b')])).toBeNull();
    // Packed by npm, every file has the same date: a module of another size is caught by its size.
    writeFile(dir, 'b.js', 'b(1)');
    fs.utimesSync(path.join(dir, 'b.js'), past, past);
    expect(readManifest(file, entries)).toBeNull();
    writeFile(dir, 'b.js', 'b()');
    fs.utimesSync(path.join(dir, 'b.js'), past, past);
    expect(readManifest(file, entries)).toEqual(list);
    const future = new Date(Date.now() + 60_000);
    fs.utimesSync(path.join(dir, 'b.js'), future, future); // b.js rebuilt after the manifest
    expect(readManifest(file, entries)).toBeNull();
    expect(readManifest(path.join(dir, 'missing.json'), entries)).toBeNull();
  });

  it('no source file imports commander as ESM (core/commander.ts requires it once)', () => {
    const src = path.resolve(import.meta.dirname, '../../src');
    const offenders: string[] = [];
    const walk = (dir: string): void => {
      for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) walk(p);
        else if (/\.tsx?$/.test(e.name) && /^import (?!type)[^;]*from 'commander';/m.test(fs.readFileSync(p, 'utf8'))) offenders.push(path.relative(src, p));
      }
    };
    walk(src);
    expect(offenders).toEqual([]);
  });
});
