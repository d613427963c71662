/**
 * Issue 20 "Errors arrive in the wrong order": every precondition of codemonkey is checked
 * before any work, the most basic first (a bad --check, no model, not a git repository, then
 * the --yes a non-interactive run needs), and no hint names a flag codemonkey does not have.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { baseEnv, runCli } from '../support/run-cli.js';
import { startOpenAIServer, type OpenAIServer } from '../support/openai-server.js';
import { tmpDir } from '../support/tmp.js';
import { branches, makeRepo, status } from './helpers.js';

const servers: OpenAIServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});

describe('codemonkey preconditions, in order, before any work', () => {
  it('without a model says so first (not "pass --yes"), with a hint that names no --offline', async () => {
    const dir = makeRepo();
    const r = await runCli(['codemonkey', 'document add', '--check', 'node check.js'], { cwd: dir, env: baseEnv() });
    expect(r.code).toBe(1);
    const [first, hint] = r.stderr.split('\n');
    expect(first).toBe('error: no model configured: codemonkey needs an OpenAI-compatible model endpoint');
    expect(hint).toBe('  hint: set OPENAI_API_KEY, or OPENAI_BASE_URL for a local server (Ollama, vLLM, llama.cpp, LM Studio); codemonkey has no offline mode');
    expect(r.stderr).not.toContain('--yes');
    expect(r.stderr).not.toContain('--offline');
    // The hint's claim holds: codemonkey has no --offline flag.
    const help = await runCli(['codemonkey', '--help'], { cwd: dir, env: baseEnv() });
    expect(help.stdout).not.toContain('--offline');
    expect(fs.existsSync(path.join(dir, '.statsig-hack'))).toBe(false);
    expect(branches(dir)).toEqual(['main']);
  });

  it('--json gives the same first error as one JSON document', async () => {
    const r = await runCli(['codemonkey', 'document add', '--json'], { cwd: makeRepo(), env: baseEnv() });
    expect(r.code).toBe(1);
    expect(r.json().error).toMatchObject({ code: 'NO_MODEL' });
  });

  it('outside a git repository says so before asking for --yes', async () => {
    const s = await startOpenAIServer([]);
    servers.push(s);
    const r = await runCli(['codemonkey', 'document add'], { cwd: tmpDir('cm-nogit-'), env: baseEnv({ OPENAI_API_KEY: 'sk-test-0123456789', OPENAI_BASE_URL: s.url }) });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: not inside a git repository: /);
    expect(r.stderr).not.toContain('--yes');
    expect(s.chatRequests()).toHaveLength(0);
  });

  it('a --check it cannot run is refused before the model and --yes questions', async () => {
    const dir = makeRepo();
    const r = await runCli(['codemonkey', 'document add', '--check', 'npm test | tee log'], { cwd: dir, env: baseEnv() });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: --check: a pipe \("\|"\) is not supported/);
  });

  it('with a model and a repository, only then asks for --yes, still before any model call or branch', async () => {
    const s = await startOpenAIServer([]);
    servers.push(s);
    const dir = makeRepo();
    const r = await runCli(['codemonkey', 'document add', '--check', 'node check.js'], { cwd: dir, env: baseEnv({ OPENAI_API_KEY: 'sk-test-0123456789', OPENAI_BASE_URL: s.url }) });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: codemonkey asks you to pick an option for each file, and this is not an interactive terminal\n/);
    expect(s.chatRequests()).toHaveLength(0);
    expect(branches(dir)).toEqual(['main']);
    expect(status(dir)).toBe('');
  });
});
