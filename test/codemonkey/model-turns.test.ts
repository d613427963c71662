/**
 * Issue 20 "codemonkey with a real model": a cut-off JSON reply gets one repair turn, a dry
 * run says its edits were never checked, and money is shown with enough digits.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { baseEnv, runCli } from '../support/run-cli.js';
import { type OpenAIServer } from '../support/openai-server.js';
import { scriptedServers } from '../support/scripted-servers.js';
import { tmpDir } from '../support/tmp.js';
import { MATH_ADD, git, lastUser, makeRepo, options, read, status } from './helpers.js';

const server = scriptedServers();

const env = (s: OpenAIServer): NodeJS.ProcessEnv => baseEnv({ OPENAI_API_KEY: 'sk-test-0123456789', OPENAI_BASE_URL: s.url });
const DOC_ADD = `/** Adds two numbers. */\n${MATH_ADD}`;

describe('a malformed or cut-off reply', () => {
  it('gets one repair turn, and the repaired answer is applied', async () => {
    const dir = makeRepo();
    const good = options([{ title: 'Document add', edits: [{ search: MATH_ADD, replace: DOC_ADD }] }]);
    const full = JSON.stringify(good.json);
    const s = await server([{ content: full.slice(0, Math.floor(full.length / 2)), finishReason: 'length' }, good]);
    const r = await runCli(['codemonkey', 'document add', '--files', 'src/math.ts', '--check', 'node check.js', '--yes', '--json'], { cwd: dir, env: env(s) });
    expect(r.code, r.stderr).toBe(0);
    expect(r.json().files[0]).toMatchObject({ status: 'committed', model_calls: 2, retries: 0 });
    const requests = s.chatRequests();
    expect(requests).toHaveLength(2);
    const repair = lastUser(requests[1]);
    expect(repair).toContain('Your previous reply does not satisfy the required format.');
    expect(repair).toContain('the reply was cut off by the token limit');
    expect(read(dir, 'src/math.ts')).toContain('/** Adds two numbers. */');
  });

  it('is not repaired when the budget has room for one call only', async () => {
    const dir = makeRepo();
    const s = await server([{ content: '{"options": [', finishReason: 'length' }]);
    // gpt-4.1-mini: one call's worst case is about $0.016 (8000 completion tokens at $1.60/1M
    // plus the prompt); a call and its repair about $0.035. $0.025 allows the first only.
    const r = await runCli(['codemonkey', 'document add', '--files', 'src/math.ts', '--check', 'node check.js', '--budget-usd', '0.025', '--yes', '--json'], { cwd: dir, env: env(s) });
    expect(r.code, r.stderr).toBe(0);
    expect(s.chatRequests()).toHaveLength(1);
    expect(r.json().files[0].reason).toMatch(/still invalid after 1 attempt: the reply was cut off/);
  });
});

describe('--dry-run', () => {
  it('says in its output that the edits were never checked (the patch says it too)', async () => {
    const dir = makeRepo();
    const s = await server([options([{ title: 'Document add', edits: [{ search: MATH_ADD, replace: DOC_ADD }] }])]);
    const patch = path.join(tmpDir('cm-dry-'), 'out.patch');
    const r = await runCli(['codemonkey', 'document add', '--files', 'src/math.ts', '--dry-run', '--patch', patch], { cwd: dir, env: env(s) });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('codemonkey (dry run): 1 file; nothing will be written but a patch, and its edits will NOT be checked (no check runs)');
    expect(r.stderr).toContain('~ proposed (dry run, not checked)');
    expect(r.stdout).toContain('dry run: these edits were never checked (no check command ran); review them and run your check after applying');
    expect(fs.readFileSync(patch, 'utf8').split('\n')[1]).toBe('UNCHECKED: these edits were never checked (a dry run writes no file and runs no check command).');
    git(dir, 'apply', '--check', patch);
    expect(status(dir)).toBe('');
  });
});

describe('money', () => {
  it('--budget-usd 0.015 is shown as $0.015, not $0.01', async () => {
    const dir = makeRepo();
    const s = await server([options([{ title: 'Document add', edits: [{ search: MATH_ADD, replace: DOC_ADD }] }], { usage: { prompt_tokens: 1000, completion_tokens: 100 } })]);
    const r = await runCli(['codemonkey', 'document add', '--files', 'src/math.ts', '--check', 'node check.js', '--budget-usd', '0.015', '--yes'], { cwd: dir, env: env(s) });
    // One call's worst case (~$0.0147) fits in $0.015.
    expect(r.code, r.stderr).toBe(0);
    // 1000 * $0.40/1M + 100 * $1.60/1M = $0.00056
    expect(r.stdout).toContain('cost $0.0006 of $0.015 · ');
  });
});
