/**
 * Issue 11 (codemonkey): hostile replies through the scripted model server against real git
 * repositories: symbolic links, odd paths, runs that crash or are killed, files past the size
 * limit, terminal escapes, and secrets in the check's environment.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { baseEnv, runCli } from '../support/run-cli.js';
import { type OpenAIServer } from '../support/openai-server.js';
import { scriptedServers } from '../support/scripted-servers.js';
import { tmpDir } from '../support/tmp.js';
import { resolveSettings } from '../../src/core/config.js';
import { createLlmClient } from '../../src/ai/llm.js';
import { DEFAULT_PRICES } from '../../src/ai/prices.js';
import { runCodemonkey } from '../../src/ai/codemonkey/loop.js';
import { MATH_ADD, branches, git, lastUser, makeRepo, options, read, redo, status, waitForPid } from './helpers.js';

const KEY = 'sk-test-codemonkey-0123456789';
const BIN = path.resolve(import.meta.dirname, '../../bin/statsig-hack.js');
const DOC_ADD = `/** Adds two numbers. */\n${MATH_ADD}`;
const FAST = ['--check', 'node check.js'];
const server = scriptedServers();

const env = (s: OpenAIServer, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => baseEnv({ OPENAI_API_KEY: KEY, OPENAI_BASE_URL: s.url, ...extra });

/** A fixture repo at <outer>/repo, so that `../x` from the repo root lands in `outer`. */
function nestedRepo(extra: Record<string, string> = {}): { outer: string; dir: string } {
  const outer = fs.realpathSync(tmpDir('cm-outer-'));
  const dir = path.join(outer, 'repo');
  fs.renameSync(makeRepo(extra), dir);
  return { outer, dir };
}

function runRecord(dir: string, runId?: string): Record<string, unknown> {
  const runs = path.join(dir, '.statsig-hack/codemonkey/runs');
  const name = runId ? `${runId}.json` : (fs.readdirSync(runs).filter((n) => n.endsWith('.json')).sort().pop() as string);
  return JSON.parse(fs.readFileSync(path.join(runs, name), 'utf8')) as Record<string, unknown>;
}

/** Every ESC, C1 control, BEL and other C0 control except tab and newline. */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;

describe('codemonkey and symbolic links', () => {
  it('refuses an edit of a committed dangling symlink: nothing written outside, the link kept, the record ends', async () => {
    const { outer, dir } = nestedRepo();
    fs.symlinkSync('../outside.js', path.join(dir, 'dangling.js'));
    fs.symlinkSync('..', path.join(dir, 'up'));
    fs.symlinkSync('src/math.ts', path.join(dir, 'alias.ts'));
    git(dir, 'add', '-A');
    git(dir, 'commit', '-q', '-m', 'links');
    const base = git(dir, 'rev-parse', 'HEAD');
    const s = await server([
      options([
        {
          title: 'Write through links',
          edits: [
            { path: 'dangling.js', search: '', replace: 'pwned\n' },
            { path: 'up/escaped.ts', search: '', replace: 'pwned\n' },
            { path: 'alias.ts', search: MATH_ADD, replace: DOC_ADD },
          ],
        },
      ]),
      redo({ title: 'Document add', edits: [{ search: MATH_ADD, replace: DOC_ADD }] }),
    ]);
    const r = await runCli(['codemonkey', 'document add', '--files', 'src/math.ts', ...FAST, '--yes', '--json'], { cwd: dir, env: env(s) });
    expect(r.stderr).not.toContain('unexpected error');
    expect(r.code, r.stderr).toBe(0);
    const feedback = lastUser(s.chatRequests()[1]);
    expect(feedback).toContain('edit 1: refused: dangling.js is a symbolic link pointing outside the repository; codemonkey never follows, edits or deletes symbolic links');
    expect(feedback).toContain('edit 2: refused: up is a symbolic link pointing outside the repository');
    expect(feedback).toContain('edit 3: refused: alias.ts is a symbolic link;');
    const out = r.json();
    expect(out.status).toBe('completed');
    expect(out.files[0]).toMatchObject({ path: 'src/math.ts', status: 'committed', retries: 1 });
    // Nothing outside the repository; the links are still there, unchanged and committed.
    expect(fs.readdirSync(outer)).toEqual(['repo']);
    expect(fs.readlinkSync(path.join(dir, 'dangling.js'))).toBe('../outside.js');
    expect(fs.readlinkSync(path.join(dir, 'up'))).toBe('..');
    expect(fs.readlinkSync(path.join(dir, 'alias.ts'))).toBe('src/math.ts');
    expect(git(dir, 'diff', '--name-only', base, 'HEAD')).toBe('src/math.ts');
    expect(status(dir)).toBe('');
    expect(runRecord(dir)).toMatchObject({ status: 'completed' });
  });

  it('never selects a symlinked file, even one pointing to a tracked file, and never reads through it', async () => {
    const { outer, dir } = nestedRepo();
    fs.writeFileSync(path.join(outer, 'secret.ts'), 'export const password = "hunter2";\n');
    fs.mkdirSync(path.join(dir, 'lib'));
    fs.symlinkSync('../../secret.ts', path.join(dir, 'lib/linked.ts'));
    fs.symlinkSync('../src/math.ts', path.join(dir, 'lib/math-alias.ts'));
    git(dir, 'add', '-A');
    git(dir, 'commit', '-q', '-m', 'link');
    const s = await server(() => options([]));
    const r = await runCli(['codemonkey', 'tidy linked password', '--files', 'lib/**,src/math.ts', ...FAST, '--yes', '--json'], { cwd: dir, env: env(s) });
    expect(r.code, r.stdout).toBe(0);
    expect(r.json().files.map((f: { path: string }) => f.path)).toEqual(['src/math.ts']);
    expect(r.json().skipped_candidates.unreadable).toBe(2);
    for (const req of s.chatRequests()) expect(req.raw).not.toContain('hunter2');
  });
});

describe('codemonkey and odd paths', () => {
  it('refuses a folder, a 5,000-character name, a path through a file and control characters, per file, back to the model', async () => {
    const dir = makeRepo();
    const long = `${'a'.repeat(5000)}.ts`;
    const s = await server([
      options([
        {
          title: 'Odd paths',
          edits: [
            { path: 'src', search: '', replace: 'x\n' },
            { path: long, search: '', replace: 'x\n' },
            { path: 'src/math.ts/inner.ts', search: '', replace: 'x\n' },
            { path: 'src/\u001b[2Jnew.ts', search: '', replace: 'x\n' },
            { path: `src/${'b'.repeat(300)}.ts`, search: '', replace: 'x\n' },
          ],
        },
      ]),
      redo({ title: 'Document add', edits: [{ search: MATH_ADD, replace: DOC_ADD }] }),
    ]);
    const r = await runCli(['codemonkey', 'document add', '--files', 'src/math.ts', ...FAST, '--yes', '--json'], { cwd: dir, env: env(s) });
    expect(r.stderr).not.toMatch(/EISDIR|ENAMETOOLONG|ENOTDIR|unexpected error/);
    expect(r.code).toBe(0);
    const feedback = lastUser(s.chatRequests()[1]);
    expect(feedback).toContain('edit 1: refused: src is a folder, not a file');
    expect(feedback).toMatch(/edit 2: the path "a{59}…" \(5003 characters\) is too long \(at most 1024 bytes\)/);
    expect(feedback).toContain('edit 3: refused: src/math.ts is a file, not a folder');
    expect(feedback).toContain('edit 4: the path "src/\\u001b[2Jnew.ts" contains control characters');
    expect(feedback).toContain('has a name longer than 255 bytes');
    expect(r.json().files[0]).toMatchObject({ status: 'committed', retries: 1 });
    expect(status(dir)).toBe('');
  });

  it('refuses a new file that git ignores instead of failing at the commit', async () => {
    const dir = makeRepo({ '.gitignore': 'dist/\nlogs/\n' });
    const s = await server([
      options([{ title: 'Add a log helper', edits: [{ path: 'logs/helper.ts', search: '', replace: 'export const log = 1;\n' }] }]),
      redo(null, 'ok'),
    ]);
    const r = await runCli(['codemonkey', 'add logging', '--files', 'src/math.ts,logs/**', ...FAST, '--yes', '--json'], { cwd: dir, env: env(s) });
    expect(r.code).toBe(0);
    expect(lastUser(s.chatRequests()[1])).toContain('edit 1 (logs/helper.ts): refused: git ignores logs/helper.ts (.gitignore), so it could not be committed');
    expect(r.json()).toMatchObject({ status: 'completed', branch_kept: false });
    expect(fs.existsSync(path.join(dir, 'logs'))).toBe(false);
    expect(status(dir)).toBe('');
  });
});

describe('the run record always ends and the tree is restored', () => {
  it('after a crash in the middle of a file (a bug): status error, files restored, back on the user branch', async () => {
    const dir = makeRepo();
    const before = read(dir, 'src/math.ts');
    const s = await server([options([{ title: 'Document add', edits: [{ search: MATH_ADD, replace: DOC_ADD }] }])]);
    const e = env(s);
    const llm = createLlmClient({ env: e, config: {}, settings: resolveSettings(dir, {}, e, {}), cwd: dir });
    const crash = runCodemonkey({
      cwd: dir, env: e, goal: 'document add', files: ['src/math.ts'], check: { command: 'node check.js', source: 'flag' }, checkTimeoutMs: 60_000,
      maxRetries: 1, budgetUsd: 1, maxFiles: 1, dryRun: false, branch: null, allowDirty: false, patchFile: null, llm, prices: { ...DEFAULT_PRICES }, choose: null,
      // The change is written and checked; then something throws (stands in for any bug).
      onEvent: (ev) => {
        if (ev.type === 'check') throw new Error('boom in the middle of a file');
      },
    });
    await expect(crash).rejects.toThrow('boom in the middle of a file');
    const record = runRecord(dir);
    expect(record).toMatchObject({ status: 'error', stop_reason: 'boom in the middle of a file', branch_kept: false });
    expect(record.finished_at).toEqual(expect.stringMatching(/^\d{4}-/));
    expect((record.files as unknown[])[0]).toMatchObject({ status: 'failed', restored: true });
    expect(read(dir, 'src/math.ts')).toBe(before);
    expect(status(dir)).toBe('');
    expect(git(dir, 'rev-parse', '--abbrev-ref', 'HEAD')).toBe('main');
    expect(branches(dir)).toEqual(['main']);
  });

  it('after a chooser that throws (the picker crashing): status error, nothing left behind', async () => {
    const dir = makeRepo();
    const s = await server([options([{ title: 'Document add', edits: [{ search: MATH_ADD, replace: DOC_ADD }] }])]);
    const e = env(s);
    const llm = createLlmClient({ env: e, config: {}, settings: resolveSettings(dir, {}, e, {}), cwd: dir });
    await expect(
      runCodemonkey({
        cwd: dir, env: e, goal: 'document add', files: ['src/math.ts'], check: { command: 'node check.js', source: 'flag' }, checkTimeoutMs: 60_000,
        maxRetries: 1, budgetUsd: 1, maxFiles: 1, dryRun: false, branch: null, allowDirty: false, patchFile: null, llm, prices: { ...DEFAULT_PRICES },
        choose: () => Promise.reject(new TypeError('picker exploded')),
      }),
    ).rejects.toThrow('picker exploded');
    expect(runRecord(dir)).toMatchObject({ status: 'error', stop_reason: 'picker exploded' });
    expect(branches(dir)).toEqual(['main']);
    expect(status(dir)).toBe('');
  });

  it('when git fails (a check that leaves .git/index.lock): the file fails and is restored, the record ends, one clear error', async () => {
    const lock = "import fs from 'node:fs';\nif (fs.readFileSync('src/math.ts', 'utf8').includes('LOCKME')) fs.writeFileSync('.git/index.lock', '');\n";
    const dir = makeRepo({ 'lock.js': lock });
    const before = read(dir, 'src/math.ts');
    const s = await server([options([{ title: 'Lock git', edits: [{ search: MATH_ADD, replace: `// LOCKME\n${MATH_ADD}` }] }])]);
    const r = await runCli(['codemonkey', 'document add', '--files', 'src/math.ts', '--check', 'node lock.js && node check.js', '--yes'], { cwd: dir, env: env(s) });
    expect(r.code).toBe(1);
    expect(r.stderr).not.toContain('unexpected error');
    expect(r.stderr).toMatch(/error: codemonkey could not clean up after the run: git checkout .*index\.lock/);
    expect(r.stderr).toContain('hint: fix what git reports, then `git checkout main`');
    const record = runRecord(dir);
    expect(record).toMatchObject({ status: 'error' });
    const file = (record.files as { status: string; restored: boolean; reason: string }[])[0];
    expect(file).toMatchObject({ status: 'failed', restored: true });
    expect(file?.reason).toMatch(/^the change passed the check but could not be committed: git add -- failed: fatal: Unable to create '.*index\.lock': File exists\.$/);
    expect(read(dir, 'src/math.ts')).toBe(before);
  });

  it('on SIGTERM (built binary): the check is stopped, the file restored, the record says interrupted', async () => {
    const dir = makeRepo();
    const base = git(dir, 'rev-parse', 'HEAD');
    const mathBefore = read(dir, 'src/math.ts');
    const marker = path.join(tmpDir('cm-sigterm-'), 'started');
    const s = await server([options([{ title: 'Slow change', edits: [{ search: '/** Small math helpers. */', replace: '/** Small math helpers. SLOW */' }] }])]);
    const child = spawn(process.execPath, [BIN, 'codemonkey', 'slow math', '--files', 'src/math.ts', ...FAST, '--yes', '--json'], {
      cwd: dir,
      env: env(s, { CHECK_SLOW_MS: '30000', CHECK_STARTED: marker }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    expect(await waitForPid(marker), stderr).not.toBeNull();
    child.kill('SIGTERM');
    expect(await exited, stderr).toBe(143);
    expect(stderr).toContain('error: interrupted: the work tree was restored');
    const out = JSON.parse(stdout);
    expect(out).toMatchObject({ status: 'interrupted', stop_reason: 'interrupted (SIGTERM)', branch_kept: false });
    expect(runRecord(dir, out.run_id)).toMatchObject({ status: 'interrupted' });
    expect(read(dir, 'src/math.ts')).toBe(mathBefore);
    expect(status(dir)).toBe('');
    expect(git(dir, 'rev-parse', 'HEAD')).toBe(base);
    expect(branches(dir)).toEqual(['main']);
  });
});

describe('codemonkey never writes a file past its size limit', () => {
  it('refuses edits that would grow a file past 100,000 bytes and sends that back', async () => {
    const body = Array.from({ length: 1900 }, (_, i) => `export const v${String(i).padStart(4, '0')} = ${i}; // ${'x'.repeat(20)}`).join('\n');
    const dir = makeRepo({ 'src/big.ts': `${body}\n` });
    const size = fs.statSync(path.join(dir, 'src/big.ts')).size;
    expect(size).toBeLessThan(100_000);
    expect(size).toBeGreaterThan(90_000);
    const grow = `export const v0000 = 0; // ${'x'.repeat(20)}\n${'// padding padding padding padding padding padding padding\n'.repeat(200)}`;
    const s = await server([
      options([{ title: 'Grow big', edits: [{ search: `export const v0000 = 0; // ${'x'.repeat(20)}\n`, replace: grow }] }]),
      redo(null, 'too big'),
    ]);
    const r = await runCli(['codemonkey', 'expand big', '--files', 'src/big.ts', ...FAST, '--yes', '--json'], { cwd: dir, env: env(s) });
    expect(r.code).toBe(0);
    expect(lastUser(s.chatRequests()[1])).toMatch(/the edits would make src\/big\.ts 1\d{5} bytes, over the 100000-byte limit on files codemonkey edits: refused/);
    expect(r.json().files[0]).toMatchObject({ status: 'failed', check_runs: 0 });
    expect(fs.statSync(path.join(dir, 'src/big.ts')).size).toBe(size);
    expect(status(dir)).toBe('');
  });
});

describe('terminal escapes from the model', () => {
  it('never reach the terminal, the commit message, the record or the report', async () => {
    const dir = makeRepo();
    const title = '\u001b]0;pwned title\u0007Document add\u001b[2J\u009b31m';
    const rationale = 'Clearer.\u001b]52;c;Y3VybCBldmlsLnNofHNo\u0007 Really\u001bc.\r\nSecond line\u0007';
    const s = await server([
      options([{ title, rationale, edits: [{ search: MATH_ADD, replace: DOC_ADD }] }]),
    ]);
    const r = await runCli(['codemonkey', 'document add', '--files', 'src/math.ts', ...FAST, '--yes'], { cwd: dir, env: env(s) });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).not.toMatch(CONTROL);
    expect(r.stderr).not.toMatch(CONTROL);
    expect(r.stderr).toContain('applying Document add\n');
    const message = git(dir, 'log', '-1', '--format=%B');
    expect(message).not.toMatch(CONTROL);
    expect(message.split('\n')[0]).toBe('codemonkey: Document add');
    expect(message).toContain('Clearer. Really.\nSecond line');
    const record = JSON.stringify(runRecord(dir));
    expect(record).not.toMatch(/\\u001b|\\u0007|\u009b/);
    const report = await runCli(['codemonkey', 'report'], { cwd: dir, env: baseEnv() });
    expect(report.stdout).toContain('Document add');
    expect(report.stdout).not.toMatch(CONTROL);
  });

  it('are stripped from the check output that becomes a failure reason, and from a give-up reason', async () => {
    const dir = makeRepo();
    const s = await server([
      options([{ title: 'Break it', edits: [{ search: '  return a + b;', replace: '  return a + b; // BROKEN \u001bc\u009b2J\u009d0;x\u0007' }] }]),
      redo(null, 'I give up \u001b[2J\u001b]52;c;ZXZpbA==\u0007now'),
    ]);
    const r = await runCli(['codemonkey', 'break add', '--files', 'src/math.ts', ...FAST, '--yes'], { cwd: dir, env: env(s) });
    expect(r.code).toBe(0);
    expect(r.stdout + r.stderr).not.toMatch(CONTROL);
    expect(r.stdout).toContain('the model gave up: I give up now');
    const files = runRecord(dir).files as { reason: string }[];
    expect(files[0]?.reason).toMatch(/^the model gave up: I give up now; last problem: the check failed \(exit code 1\): src\/math\.ts:3: error CM2: broken code: return a \+ b; \/\/ BROKEN/);
    expect(files[0]?.reason).not.toMatch(CONTROL);
  });
});

describe('secrets in the check environment', () => {
  it('are withheld by name, by value and as URL credentials, and the names are reported', async () => {
    const dir = makeRepo({ 'dumpenv.js': "import fs from 'node:fs';\nfs.writeFileSync(process.env.DUMP_TO, JSON.stringify(process.env));\n" });
    const dump = path.join(tmpDir('cm-env-'), 'env.json');
    const s = await server([options([{ title: 'Document add', edits: [{ search: MATH_ADD, replace: DOC_ADD }] }])]);
    const secrets = {
      OPENAI_KEY: 'sk-live-abcdefghijklmnop',
      DATABASE_URL: 'postgres://u:pa55word@db.example:5432/app',
      GITHUB_TOKEN: 'ghp_abcdefghijklmnopqrstuvwxyz012345',
      MY_SECRET: 'x',
      PGPASSWORD: 'pw',
      AWS_ACCESS_KEY_ID: 'AKIAABCDEFGHIJKLMNOP',
      SOME_SETTING: 'sk-proj-abcdefghijklmnopqrstuv',
      Stripe_Credential: 'c',
      MYSQL_PWD: 'pw',
    };
    const kept = { DATABASE_HOST: 'db.example', PUBLIC_URL: 'https://user@example.com/x', GIT_AUTHOR_NAME: 'Ada', DUMP_TO: dump };
    const r = await runCli(['codemonkey', 'document add', '--files', 'src/math.ts', '--check', 'node dumpenv.js && node check.js', '--yes'], {
      cwd: dir,
      env: env(s, { ...secrets, ...kept }),
    });
    expect(r.code, r.stderr).toBe(0);
    const seen = JSON.parse(fs.readFileSync(dump, 'utf8')) as Record<string, string>;
    for (const name of [...Object.keys(secrets), 'OPENAI_API_KEY', 'OPENAI_BASE_URL']) expect(seen[name], name).toBeUndefined();
    for (const [name, value] of Object.entries(kept)) expect(seen[name]).toBe(value);
    expect(seen.PATH).toBe(process.env.PATH);
    const withheld = ['AWS_ACCESS_KEY_ID', 'DATABASE_URL', 'GITHUB_TOKEN', 'MYSQL_PWD', 'MY_SECRET', 'OPENAI_API_KEY', 'OPENAI_BASE_URL', 'OPENAI_KEY', 'PGPASSWORD', 'SOME_SETTING', 'Stripe_Credential'];
    expect((runRecord(dir).check as { env_withheld: string[] }).env_withheld).toEqual(withheld);
    expect(r.stdout).toContain(`kept from the check's environment (they look like secrets): ${withheld.join(', ')}`);
    for (const value of Object.values(secrets)) if (value.length > 4) expect(r.stdout + r.stderr).not.toContain(value);
  });
});
