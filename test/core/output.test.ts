import { describe, expect, it } from 'vitest';
import { Output } from '../../src/core/output.js';
import { Redactor } from '../../src/core/redact.js';
import { UserError, UsageError } from '../../src/core/errors.js';
import { runCli, baseEnv } from '../support/run-cli.js';
import { tmpDir } from '../support/tmp.js';

class Sink {
  text = '';
  write(s: string) {
    this.text += s;
    return true;
  }
}

function make(opts: Partial<{ json: boolean; debug: boolean; quiet: boolean; width: number }> = {}, secrets: string[] = []) {
  const stdout = new Sink();
  const stderr = new Sink();
  const out = new Output(stdout, stderr, { json: false, quiet: false, debug: false, color: false, ...opts }, new Redactor(secrets));
  return { out, stdout, stderr };
}

describe('error formatting', () => {
  it('prints a user error as one line plus a hint on stderr, exit 1, no stack', () => {
    const { out, stdout, stderr } = make();
    const code = out.failure(new UserError('the store is locked', { hint: 'wait for the other process' }));
    expect(code).toBe(1);
    expect(stdout.text).toBe('');
    expect(stderr.text).toBe('error: the store is locked\n  hint: wait for the other process\n');
  });

  it('gives usage errors exit code 2', () => {
    const { out } = make();
    expect(out.failure(new UsageError('bad flag'))).toBe(2);
  });

  it('prints a JSON error object on stdout with --json', () => {
    const { out, stdout, stderr } = make({ json: true });
    const code = out.failure(new UserError('no such metric', { hint: 'use revenue', code: 'UNKNOWN_METRIC' }));
    expect(code).toBe(1);
    expect(JSON.parse(stdout.text)).toEqual({ error: { message: 'no such metric', hint: 'use revenue', code: 'UNKNOWN_METRIC' } });
    expect(stderr.text).toBe('');
  });

  it('treats other errors as bugs: short message and a --debug hint, stack only with --debug', () => {
    const plain = make();
    plain.out.failure(new TypeError('x is undefined'));
    expect(plain.stderr.text).toContain('unexpected error: x is undefined');
    expect(plain.stderr.text).toContain('run with --debug for details');
    expect(plain.stderr.text).not.toContain('at ');

    const debug = make({ debug: true });
    debug.out.failure(new TypeError('x is undefined'));
    expect(debug.stderr.text).toMatch(/TypeError: x is undefined\n\s+at /);
  });

  it('wraps errors, hints and warnings to the terminal at word boundaries; a suggested command stays whole on its own line', () => {
    const { out, stderr } = make({ width: 60 });
    const cmd = 'statsig-hack forecast --metric dau --by country --db .statsig-hack/demo.duckdb';
    out.failure(new UserError('no project store at .statsig-hack/project.duckdb (the default store)', { hint: `the demo wrote its project to .statsig-hack/demo.duckdb; use it with:\n${cmd}` }));
    out.warn('cohort has 207 values: kept the 50 that move session_start most, the other 157 are grouped as "(other)"');
    const lines = stderr.text.trimEnd().split('\n');
    expect(lines.filter((l) => l.length > 60)).toEqual([]);
    expect(lines[0]).toBe('error: no project store at .statsig-hack/project.duckdb (the');
    expect(lines[1]).toBe('       default store)');
    expect(lines[2]).toBe('  hint: the demo wrote its project to');
    expect(lines[3]).toBe('        .statsig-hack/demo.duckdb; use it with:');
    // Broken only before flags, with shell continuations: pasting the lines runs the one command.
    expect(lines.slice(4, 6).join('\n')).toBe('        statsig-hack forecast --metric dau --by country \\\n            --db .statsig-hack/demo.duckdb');
    expect(lines.slice(4, 6).join(' ').replace(/ \\ +/g, ' ').trim()).toBe(cmd);
    expect(lines[6]).toMatch(/^warning: cohort has 207 values/);
    expect(lines[7]).toMatch(/^ {9}\S/);
    // Without a width (a pipe, CI): one line each, as before.
    const plain = make();
    plain.out.failure(new UserError('the store is locked', { hint: `use it with:\n${cmd}` }));
    expect(plain.stderr.text).toBe(`error: the store is locked\n  hint: use it with:\n        ${cmd}\n`);
  });

  it('redacts secrets from every stream', () => {
    const { out, stdout, stderr } = make({}, ['sk-live-abcdef123456']);
    out.print('key=sk-live-abcdef123456');
    out.warn('using sk-live-abcdef123456');
    out.failure(new UserError('bad key sk-live-abcdef123456'));
    expect(stdout.text + stderr.text).not.toContain('abcdef123456');
    expect(stdout.text).toContain('key=***');
  });

  it('writes non-finite numbers as null and bigints as numbers in JSON', () => {
    const { out, stdout } = make({ json: true });
    out.result({ a: Number.NaN, b: 12n, c: Infinity }, () => '');
    expect(JSON.parse(stdout.text)).toEqual({ a: null, b: 12, c: null });
  });
});

describe('CLI error handling end to end (in-process)', () => {
  it('unknown command: exit 2 with a usage error, JSON on stdout with --json', async () => {
    const cwd = tmpDir();
    const human = await runCli(['frobnicate'], { cwd });
    expect(human.code).toBe(2);
    expect(human.stderr).toContain("error: unknown command 'frobnicate'");
    const json = await runCli(['frobnicate', '--json'], { cwd });
    expect(json.code).toBe(2);
    expect(json.json().error.code).toBe('USAGE');
  });

  it('a missing store is a user error naming the fix', async () => {
    const cwd = tmpDir();
    const r = await runCli(['status'], { cwd });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('no project store at');
    expect(r.stderr).toContain('hint: run `statsig-hack init`');
    expect(r.stderr.split('\n').filter(Boolean)).toHaveLength(2);
  });

  it('--debug prints the stack of a user error', async () => {
    const cwd = tmpDir();
    const r = await runCli(['status', '--debug'], { cwd });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/UserError: no project store[\s\S]*\n\s+at /);
  });

  it('never prints the API key, even when the input contains it', async () => {
    const cwd = tmpDir();
    const env = baseEnv({ OPENAI_API_KEY: 'sk-proj-VERYSECRET0123456789' });
    await runCli(['init'], { cwd, env });
    const r = await runCli(['query', "SELECT 'sk-proj-VERYSECRET0123456789' AS k"], { cwd, env });
    expect(r.code).toBe(0);
    const j = await runCli(['query', "SELECT 'sk-proj-VERYSECRET0123456789' AS k", '--json'], { cwd, env });
    const e = await runCli(['query', "SELECT * FROM nope_sk-proj-VERYSECRET0123456789"], { cwd, env });
    for (const x of [r, j, e]) expect(x.stdout + x.stderr).not.toContain('VERYSECRET');
  });
});
