/** Unit tests of codemonkey's parts: check parsing and running, globs, paths, edits, files, budget, store. */
import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/core/errors.js';
import { budgetCheck, estimatePromptTokens, worstCaseCallUsd } from '../../src/ai/codemonkey/budget.js';
import { checkEnv, detectCheckCommand, failureSignature, parseCheckCommand, runCheck, trimOutput } from '../../src/ai/codemonkey/check.js';
import { ChangeTracker, checkPath, nearestLines, planEdits, type FileReader } from '../../src/ai/codemonkey/edits.js';
import { contentSkipReason, exportedSymbols, goalTerms, isProtectedPath, pathSkipReason, relevance, repoMap } from '../../src/ai/codemonkey/files.js';
import { compileGlobs, globToRegExp, matchesGlobs, splitGlobList } from '../../src/ai/codemonkey/glob.js';
import { Git, ProcessAudit, rewriteDiffHeaders } from '../../src/ai/codemonkey/git.js';
import { slugify } from '../../src/ai/codemonkey/loop.js';
import { commitMessage, fenceFor, render } from '../../src/ai/codemonkey/prompts.js';
import type { CodemonkeyOption } from '../../src/ai/codemonkey/schema.js';
import { ensureExcluded, newRunId } from '../../src/ai/codemonkey/store.js';
import { tmpDir } from '../support/tmp.js';
import { alive, makeRepo } from './helpers.js';

function usageCode(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return (error as UsageError).code;
  }
  throw new Error('expected a UsageError');
}

describe('parseCheckCommand', () => {
  it('splits words, quotes, escapes, NAME=value prefixes and && steps', () => {
    expect(parseCheckCommand('npm test')).toEqual([{ argv: ['npm', 'test'], env: {} }]);
    expect(parseCheckCommand(`node "a b.js" 'c d' e\\ f ""`)).toEqual([{ argv: ['node', 'a b.js', 'c d', 'e f', ''], env: {} }]);
    expect(parseCheckCommand('FOO=1 BAR="x y" node t.js && tsc -p .')).toEqual([
      { argv: ['node', 't.js'], env: { FOO: '1', BAR: 'x y' } },
      { argv: ['tsc', '-p', '.'], env: {} },
    ]);
    expect(parseCheckCommand('"FOO=1" node')).toEqual([{ argv: ['FOO=1', 'node'], env: {} }]);
    expect(parseCheckCommand('node -e "console.log(\\"hi\\")"')).toEqual([{ argv: ['node', '-e', 'console.log("hi")'], env: {} }]);
  });

  it('refuses shell features it cannot honour without a shell', () => {
    for (const bad of ['a | b', 'a; b', 'a || b', 'a > out', 'a < in', 'echo $HOME', 'echo `id`', 'a & b', '(a)', 'echo "$(id)"']) {
      expect(usageCode(() => parseCheckCommand(bad)), bad).toBe('CHECK_UNSUPPORTED');
    }
    expect(usageCode(() => parseCheckCommand(''))).toBe('CHECK_EMPTY');
    expect(usageCode(() => parseCheckCommand('a && '))).toBe('CHECK_EMPTY');
    expect(usageCode(() => parseCheckCommand("echo 'open"))).toBe('CHECK_PARSE');
  });

  it('round-trips any argument list quoted with single quotes', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ minLength: 0, maxLength: 12 }), { minLength: 1, maxLength: 5 }), (args) => {
        const command = ['prog', ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
        expect(parseCheckCommand(command)).toEqual([{ argv: ['prog', ...args], env: {} }]);
      }),
      { numRuns: 200 },
    );
  });
});

describe('detectCheckCommand and checkEnv', () => {
  it('prefers npm test, then npm run build, then tsc', () => {
    const dir = tmpDir('cm-detect-');
    expect(detectCheckCommand(dir)).toBeNull();
    fs.writeFileSync(path.join(dir, 'tsconfig.json'), '{}');
    expect(detectCheckCommand(dir)).toBe('tsc --noEmit');
    fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ scripts: { test: 'echo "Error: no test specified" && exit 1', build: 'tsc' } }));
    expect(detectCheckCommand(dir)).toBe('npm run build');
    fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ scripts: { test: 'vitest run' } }));
    expect(detectCheckCommand(dir)).toBe('npm test');
  });

  it('removes API keys and other secrets from the check environment', () => {
    const e = checkEnv({ PATH: '/bin', HOME: '/h', OPENAI_API_KEY: 'sk-x', OPENAI_BASE_URL: 'http://x', GITHUB_TOKEN: 't', AWS_SECRET_ACCESS_KEY: 's', NPM_TOKEN: 'n', DB_PASSWORD: 'p', MY_VAR: 'keep' });
    expect(e).toEqual({ PATH: '/bin', HOME: '/h', MY_VAR: 'keep', NO_COLOR: '1', FORCE_COLOR: '0' });
  });
});

describe('runCheck', () => {
  const env = { PATH: process.env.PATH };
  const node = (code: string) => ({ argv: [process.execPath, '-e', code], env: {} });

  it('passes, fails with the combined output, and stops at the first failing step', async () => {
    const dir = tmpDir('cm-check-');
    const ok = await runCheck([node('console.log("out"); console.error("err")')], { cwd: dir, env, timeoutMs: 10_000 });
    expect(ok).toMatchObject({ ok: true, exitCode: 0, timedOut: false, aborted: false, failedStep: null });
    expect(ok.output).toBe('out\nerr\n');
    const audit = new ProcessAudit();
    const bad = await runCheck([node('console.error("\\u001b[31mboom\\u001b[0m"); process.exit(3)'), node('require("fs").writeFileSync("ran", "")')], { cwd: dir, env, timeoutMs: 10_000, audit });
    expect(bad).toMatchObject({ ok: false, exitCode: 3, failedStep: 0 });
    expect(bad.output).toBe('boom\n');
    expect(fs.existsSync(path.join(dir, 'ran'))).toBe(false);
    expect(audit.records).toHaveLength(1);
  });

  it('kills the whole process tree on timeout and on abort', async () => {
    const dir = tmpDir('cm-check-');
    const pidFile = path.join(dir, 'grandchild.pid');
    // The check starts a grandchild that would outlive a plain kill of the check process.
    const spawnGrandchild = `const c = require("child_process").spawn(process.execPath, ["-e", "setTimeout(() => {}, 60000)"], { stdio: "ignore" }); require("fs").writeFileSync(${JSON.stringify(pidFile)}, String(c.pid)); setTimeout(() => {}, 60000);`;
    const t0 = Date.now();
    const r = await runCheck([node(spawnGrandchild)], { cwd: dir, env, timeoutMs: 2000, killGraceMs: 300 });
    expect(r).toMatchObject({ ok: false, timedOut: true });
    expect(r.output).toContain('[codemonkey] the check timed out');
    expect(Date.now() - t0).toBeLessThan(8000);
    const grandchild = Number(fs.readFileSync(pidFile, 'utf8'));
    await new Promise((res) => setTimeout(res, 200));
    expect(alive(grandchild)).toBe(false);

    const controller = new AbortController();
    setTimeout(() => controller.abort(), 300);
    const a = await runCheck([node('setTimeout(() => {}, 60000)')], { cwd: dir, env, timeoutMs: 60_000, signal: controller.signal });
    expect(a).toMatchObject({ ok: false, aborted: true, timedOut: false });
  });

  it('reports a program that does not exist', async () => {
    const r = await runCheck([{ argv: ['definitely-not-a-program-xyz'], env: {} }], { cwd: tmpDir(), env, timeoutMs: 5000 });
    expect(r).toMatchObject({ ok: false, spawnError: '"definitely-not-a-program-xyz" was not found on PATH' });
  });
});

describe('trimOutput and failureSignature', () => {
  it('keeps short output, and error lines plus the tail of long output', () => {
    expect(trimOutput('  a\nb  ')).toBe('a\nb');
    const noise = Array.from({ length: 400 }, (_, i) => `line ${i} fine`);
    noise[10] = 'src/a.ts(3,1): error TS2322: bad';
    const t = trimOutput(noise.join('\n'), 1000);
    expect(t.length).toBeLessThanOrEqual(1000);
    expect(t.startsWith('src/a.ts(3,1): error TS2322: bad\n…\n')).toBe(true);
    expect(t.endsWith('line 399 fine')).toBe(true);
  });

  it('ignores timings, counts and temp paths but not the message', () => {
    const a = failureSignature({ exitCode: 1, timedOut: false, spawnError: null, output: 'FAIL x.test.ts (12 ms)\nexpected 3 got 4 at /tmp/abc123/x.ts:10' });
    const b = failureSignature({ exitCode: 1, timedOut: false, spawnError: null, output: 'FAIL x.test.ts (980 ms)\nexpected 5 got 7 at /tmp/zz9/x.ts:12' });
    const c = failureSignature({ exitCode: 1, timedOut: false, spawnError: null, output: 'FAIL y.test.ts (12 ms)\nexpected 3 got 4' });
    expect(a).toBe(b);
    expect(a).not.toBe(c);
  });
});

describe('globs', () => {
  it('matches like .gitignore-style globs', () => {
    const m = (pattern: string, p: string) => globToRegExp(pattern).test(p);
    expect(m('src/**/*.ts', 'src/a.ts')).toBe(true);
    expect(m('src/**/*.ts', 'src/x/y/z.ts')).toBe(true);
    expect(m('src/**/*.ts', 'lib/a.ts')).toBe(false);
    expect(m('src/**/*.ts', 'src/a.tsx')).toBe(false);
    expect(m('*.ts', 'deep/down/b.ts')).toBe(true);
    expect(m('src/*.ts', 'src/x/b.ts')).toBe(false);
    expect(m('{src,lib}/*.js', 'lib/a.js')).toBe(true);
    expect(m('{src,lib}/*.js', 'test/a.js')).toBe(false);
    expect(m('src/', 'src/a/b.c')).toBe(true);
    expect(m('[ab].ts', 'b.ts')).toBe(true);
    expect(m('[!ab].ts', 'b.ts')).toBe(false);
    expect(m('?.ts', 'ab.ts')).toBe(false);
    expect(m('a.b+c(1).ts', 'a.b+c(1).ts')).toBe(true);
    const set = compileGlobs(['src/**', '!**/*.test.ts']);
    expect(matchesGlobs(set, 'src/a.ts')).toBe(true);
    expect(matchesGlobs(set, 'src/a.test.ts')).toBe(false);
    expect(matchesGlobs(compileGlobs([]), 'anything/at/all')).toBe(true);
    expect(splitGlobList(' src/*.ts, {a,b}/**/*.{js,mjs} ,,!x ')).toEqual(['src/*.ts', '{a,b}/**/*.{js,mjs}', '!x']);
  });

  it('** matches every relative path', () => {
    fc.assert(
      fc.property(fc.array(fc.stringMatching(/^[a-z0-9_.-]{1,8}$/), { minLength: 1, maxLength: 5 }), (parts) => {
        expect(globToRegExp('**').test(parts.join('/'))).toBe(true);
      }),
    );
  });
});

describe('checkPath', () => {
  it('refuses traversal, absolute paths, backslashes, .git and symlink escapes', () => {
    const root = fs.realpathSync(tmpDir('cm-root-'));
    const outside = fs.realpathSync(tmpDir('cm-outside-'));
    fs.mkdirSync(path.join(root, 'src'));
    fs.symlinkSync(outside, path.join(root, 'link'));
    expect(checkPath(root, 'src/./a.ts')).toEqual({ ok: true, rel: 'src/a.ts' });
    expect(checkPath(root, './src/new/b.ts')).toEqual({ ok: true, rel: 'src/new/b.ts' });
    expect(checkPath(root, '../x')).toEqual({ ok: false, problem: 'path traversal refused: "../x" points outside the repository' });
    expect(checkPath(root, 'src/../../x')).toMatchObject({ ok: false, problem: expect.stringContaining('path traversal refused') });
    expect(checkPath(root, '/etc/passwd')).toMatchObject({ ok: false, problem: expect.stringContaining('is absolute') });
    expect(checkPath(root, '~/x')).toMatchObject({ ok: false, problem: expect.stringContaining('is absolute') });
    expect(checkPath(root, 'src\\a.ts')).toMatchObject({ ok: false, problem: expect.stringContaining('backslashes') });
    expect(checkPath(root, '.git/config')).toMatchObject({ ok: false, problem: expect.stringContaining('inside .git/') });
    expect(checkPath(root, 'link/evil.ts')).toEqual({ ok: false, problem: 'refused: link is a symbolic link pointing outside the repository; codemonkey never follows, edits or deletes symbolic links' });
    expect(checkPath(root, '.')).toMatchObject({ ok: false });
  });
});

function opt(edits: CodemonkeyOption['edits'], shrinks = false): CodemonkeyOption {
  return { title: 't', rationale: 'r', risk: 'low', shrinks, edits };
}

function memReader(files: Record<string, string>): FileReader {
  return { read: (rel) => Promise.resolve(files[rel] ?? null) };
}

const allow = { root: fs.realpathSync(tmpDir('cm-plan-')), currentFile: 'a.ts', refuse: () => null };

describe('planEdits', () => {
  it('applies edits in order, each matching exactly once, without $-pattern surprises', async () => {
    const r = await planEdits(opt([
      { path: null, search: 'let x = 1;', replace: 'let x = 2; // $& $1 $$' },
      { path: null, search: 'let x = 2;', replace: 'const x = 2;' },
    ]), { reader: memReader({ 'a.ts': 'let x = 1;\nlet y = 1;\n' }), policy: allow });
    expect(r).toEqual({ ok: true, changes: [{ path: 'a.ts', before: 'let x = 1;\nlet y = 1;\n', after: 'const x = 2; // $& $1 $$\nlet y = 1;\n' }] });
  });

  it('reports several matches with their lines', async () => {
    const r = await planEdits(opt([{ path: null, search: 'x()', replace: 'y()' }]), { reader: memReader({ 'a.ts': 'x();\nz();\nx();\n' }), policy: allow });
    expect(r).toEqual({ ok: false, problems: ['edit 1 (a.ts): the search text matches 2 times (at lines 1, 3); include more surrounding lines so it matches exactly once'] });
  });

  it('reports the nearest real lines for a miss, noting whitespace-only differences', async () => {
    const file = 'function a() {\n  return 1;\n}\n\nfunction b() {\n  return 2;\n}\n';
    const r = await planEdits(opt([{ path: null, search: 'function b() {\nreturn 2;\n}', replace: 'x' }]), { reader: memReader({ 'a.ts': file }), policy: allow });
    expect(r.ok).toBe(false);
    const problem = (r as { problems: string[] }).problems[0] ?? '';
    expect(problem).toBe(
      'edit 1 (a.ts): the search text was not found in the file:\nfunction b() {\nreturn 2;\n}\nThe nearest real lines are 4-8:\n4| \n5| function b() {\n6|   return 2;\n7| }\n8| \n' +
        'Copy the search text exactly (whitespace included) from the file. It matches these lines if whitespace is ignored: copy the indentation and line breaks exactly.',
    );
    expect(nearestLines(file, 'function a() {\n  return 1;')?.start).toBe(1);
  });

  it('matches LF search text in a CRLF file and keeps CRLF', async () => {
    const r = await planEdits(opt([{ path: null, search: 'a\nb', replace: 'a\nB\nc' }]), { reader: memReader({ 'a.ts': 'a\r\nb\r\n' }), policy: allow });
    expect(r).toEqual({ ok: true, changes: [{ path: 'a.ts', before: 'a\r\nb\r\n', after: 'a\r\nB\r\nc\r\n' }] });
  });

  it('refuses shrinking below half unless the option says so, no-op edits, empty searches and refused paths', async () => {
    const long = 'x'.repeat(100);
    const reader = memReader({ 'a.ts': long });
    const shrink = await planEdits(opt([{ path: null, search: long, replace: 'y'.repeat(49) }]), { reader, policy: allow });
    expect(shrink.ok).toBe(false);
    expect((shrink as { problems: string[] }).problems[0]).toMatch(/^the edits would shrink a\.ts from 100 to 49 characters \(below half\): refused\./);
    expect((await planEdits(opt([{ path: null, search: long, replace: 'y'.repeat(50) }]), { reader, policy: allow })).ok).toBe(true);
    expect((await planEdits(opt([{ path: null, search: long, replace: 'y' }], true), { reader, policy: allow })).ok).toBe(true);
    expect(await planEdits(opt([{ path: null, search: 'xx', replace: 'xx' }]), { reader: memReader({ 'a.ts': 'xx' }), policy: allow })).toEqual({
      ok: false,
      problems: ['the edits change nothing: every replace equals its search text'],
    });
    expect(await planEdits(opt([{ path: null, search: '', replace: 'z' }]), { reader, policy: allow })).toEqual({
      ok: false,
      problems: ['edit 1 (a.ts): the search text is empty; copy the exact lines to replace from the file (an empty search only creates new files)'],
    });
    expect(await planEdits(opt([{ path: 'new/b.ts', search: '', replace: 'export {};\n' }]), { reader, policy: allow })).toEqual({
      ok: true,
      changes: [{ path: 'new/b.ts', before: null, after: 'export {};\n' }],
    });
    const refusing = { ...allow, refuse: (rel: string) => (rel === 'package.json' ? 'refused: protected' : null) };
    expect(await planEdits(opt([{ path: 'package.json', search: 'a', replace: 'b' }]), { reader: memReader({ 'package.json': 'a' }), policy: refusing })).toEqual({
      ok: false,
      problems: ['edit 1 (package.json): refused: protected'],
    });
    expect(await planEdits(opt([]), { reader, policy: allow })).toEqual({ ok: false, problems: ['the option has no edits'] });
  });
});

describe('ChangeTracker', () => {
  it('restores written files byte for byte and removes files and folders it created', async () => {
    const root = tmpDir('cm-track-');
    const original = Buffer.from([0xef, 0xbb, 0xbf, 0x61, 0x0d, 0x0a, 0x20, 0x20]); // BOM, CRLF, trailing spaces
    fs.writeFileSync(path.join(root, 'a.ts'), original);
    const t = new ChangeTracker(root);
    await t.write([{ path: 'a.ts', before: 'x', after: 'changed' }, { path: 'new/deep/b.ts', before: null, after: 'new' }]);
    await t.write([{ path: 'a.ts', before: 'changed', after: 'changed again' }]);
    expect(fs.readFileSync(path.join(root, 'a.ts'), 'utf8')).toBe('changed again');
    expect(await t.restore()).toEqual(['a.ts', 'new/deep/b.ts']);
    expect(fs.readFileSync(path.join(root, 'a.ts')).equals(original)).toBe(true);
    expect(fs.existsSync(path.join(root, 'new'))).toBe(false);
    expect(t.pending).toEqual([]);
  });
});

describe('file picking', () => {
  it('classifies paths and contents', () => {
    const none = new Set<string>();
    expect(pathSkipReason('node_modules/x/index.js', none, none)).toBe('vendored');
    expect(pathSkipReason('dist/cli.js', none, none)).toBe('generated');
    expect(pathSkipReason('package-lock.json', none, none)).toBe('generated');
    expect(pathSkipReason('web/app.min.js', none, none)).toBe('generated');
    expect(pathSkipReason('img/logo.png', none, none)).toBe('binary');
    expect(pathSkipReason('.env.local', none, none)).toBe('secret');
    expect(pathSkipReason('certs/server.pem', none, none)).toBe('secret');
    expect(pathSkipReason('src/a.ts', none, new Set(['src/a.ts']))).toBe('dirty');
    expect(pathSkipReason('scripts/check.js', new Set(['scripts/check.js']), none)).toBe('protected');
    expect(pathSkipReason('src/a.ts', none, none)).toBeNull();
    for (const p of ['package.json', 'tsconfig.json', 'tsconfig.build.json', 'vitest.config.ts', 'eslint.config.js', '.github/workflows/ci.yml', '.husky/pre-commit', 'Makefile', '.gitattributes', 'statsig-hack.config.json']) {
      expect(isProtectedPath(p), p).toBe(true);
    }
    expect(isProtectedPath('src/config.ts')).toBe(false);
    expect(contentSkipReason(Buffer.from('a\u0000b'))).toBe('binary');
    expect(contentSkipReason(Buffer.alloc(100_001, 97))).toBe('huge');
    expect(contentSkipReason(Buffer.from('x\n'.repeat(3001)))).toBe('huge');
    expect(contentSkipReason(Buffer.from('// Code generated by protoc. DO NOT EDIT.\npackage x\n'))).toBe('generated');
    expect(contentSkipReason(Buffer.from('export const a = 1;\n'))).toBeNull();
  });

  it('lists exported symbols of TS/JS, Python and Go files', () => {
    const ts = [
      'export function add() {}',
      'export async function load() {}',
      'export const PI = 3;',
      'export class Store {}',
      'export interface Row {}',
      'export type Id = string;',
      'export enum Kind { A }',
      'export default function main() {}',
      'const a = 1, b = 2;',
      'export { a, b as bee, type Row as R2 };',
      'function hidden() {}',
    ].join('\n');
    expect(exportedSymbols('x.ts', ts)).toEqual(['add', 'load', 'PI', 'Store', 'Row', 'Id', 'Kind', 'main', 'a', 'bee', 'R2']);
    expect(exportedSymbols('x.js', 'export default { a: 1 };\nexports.helper = 1;\n')).toEqual(['default', 'helper']);
    expect(exportedSymbols('m.py', 'def run():\n  pass\ndef _private():\n  pass\nclass Model:\n  pass\n')).toEqual(['run', 'Model']);
    expect(exportedSymbols('m.go', 'func Serve() {}\nfunc helper() {}\nfunc (s *S) Close() {}\ntype Config struct{}\n')).toEqual(['Serve', 'Close', 'Config']);
    expect(repoMap([{ path: 'a.ts', symbols: ['x', 'y'] }, { path: 'b.ts', symbols: [] }, { path: 'c.ts', symbols: ['z'] }])).toBe('a.ts: x, y\nc.ts: z');
    expect(repoMap([{ path: 'a.ts', symbols: ['x'] }, { path: 'b.ts', symbols: ['y'] }], 10)).toBe('a.ts: x\n(… 1 more files not shown)');
  });

  it('ranks files about the goal first', () => {
    const terms = goalTerms('Make the logging better and use the logger everywhere');
    expect(terms).toEqual(['logging', 'logger', 'everywhere']);
    const score = (p: string, content: string, symbols: string[] = []) => relevance(terms, { path: p, size: 1000, content, symbols });
    const logger = score('src/util/logger.ts', 'export const logger = createLogger();', ['logger']);
    const user = score('src/user.ts', 'export function createUser() { console.log("x") }', ['createUser']);
    const test = score('test/logger.test.ts', "import { logger } from '../src/util/logger.js';", []);
    expect(logger).toBeGreaterThan(user);
    expect(logger).toBeGreaterThan(test);
  });
});

describe('budget', () => {
  it('estimates the worst case of a call and stops before passing the budget', () => {
    const messages = [{ role: 'user' as const, content: 'x'.repeat(3000) }];
    expect(estimatePromptTokens(messages)).toBe(1000 + 600);
    // (1600 * $1 + 8000 * $2) / 1M
    expect(worstCaseCallUsd(messages, { input: 1, output: 2 })).toBeCloseTo(0.0176, 12);
    expect(worstCaseCallUsd(messages, null)).toBe(0);
    expect(budgetCheck(0.0824, messages, { input: 1, output: 2 }, 0.1).ok).toBe(true);
    const no = budgetCheck(0.0825, messages, { input: 1, output: 2 }, 0.1);
    expect(no.ok).toBe(false);
    expect(no.message).toBe('budget reached: $0.0825 spent, and the next model call could cost up to $0.0176, which would pass --budget-usd 0.1');
  });
});

describe('names, prompts and the store', () => {
  it('slugifies goals into branch names', () => {
    expect(slugify('Add JSDoc to exported functions!')).toBe('add-jsdoc-to-exported-functions');
    expect(slugify('replace every console.log call with the structured logger from src/log.ts please')).toBe('replace-every-console-log-call-with-the');
    expect(slugify('Ünïcödé café')).toBe('unicode-cafe');
    expect(slugify('日本語')).toBe('run');
    expect(slugify('x'.repeat(60))).toBe('x'.repeat(40));
  });

  it('renders templates and fences that file content cannot close', () => {
    expect(render('a {{x}} b {{y}}', { x: 1, y: 'two' })).toBe('a 1 b two');
    expect(() => render('{{missing}}', {})).toThrow(/missing/);
    expect(fenceFor('plain')).toBe('````');
    expect(fenceFor('has ```` and `````')).toBe('``````');
    const msg = commitMessage({ title: 'A very long title '.repeat(6), rationale: 'Because.', risk: 'medium', shrinks: false, edits: [] }, { goal: 'tidy\nup', file: 'src/a.ts', runId: 'r1', retries: 2 });
    const [subject, blank, ...body] = msg.split('\n');
    expect(subject).toHaveLength('codemonkey: '.length + 64);
    expect(subject?.endsWith('…')).toBe(true);
    expect(blank).toBe('');
    expect(body).toEqual(['Because.', '', 'Goal: tidy up', 'File: src/a.ts', 'Risk: medium', 'Retries: 2', 'Codemonkey-Run: r1']);
  });

  it('adds the store folder to .git/info/exclude once, and makes sortable run ids', async () => {
    const dir = makeRepo();
    const git = new Git(dir, { PATH: process.env.PATH, HOME: process.env.HOME });
    await ensureExcluded(git);
    await ensureExcluded(git);
    const text = fs.readFileSync(path.join(dir, '.git/info/exclude'), 'utf8');
    expect(text.split('\n').filter((l) => l === '/.statsig-hack/codemonkey/')).toHaveLength(1);
    expect(newRunId(new Date('2026-03-04T05:06:07.890Z'))).toMatch(/^20260304-050607-[0-9a-f]{4}$/);
    expect(git.audit.records.every((r) => r.file === 'git')).toBe(true);
  });

  it('rewrites diff headers of temp files to repository paths', () => {
    const diff = 'diff --git a/tmp/x/a b/tmp/x/b\nindex 1..2 100644\n--- a/tmp/x/a\n+++ b/tmp/x/b\n@@ -1 +1 @@\n-a\n+b\n';
    expect(rewriteDiffHeaders(diff, 'src/a.ts', false, false)).toBe('diff --git a/src/a.ts b/src/a.ts\nindex 1..2 100644\n--- a/src/a.ts\n+++ b/src/a.ts\n@@ -1 +1 @@\n-a\n+b\n');
    expect(rewriteDiffHeaders(diff.replace('--- a/tmp/x/a', '--- /dev/null'), 'n.ts', true, false)).toContain('--- /dev/null\n+++ b/n.ts');
  });
});
