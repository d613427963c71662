import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { baseEnv, runCli } from '../support/run-cli.js';
import { tmpDir, writeFile } from '../support/tmp.js';
import { startOpenAIServer, type OpenAIServer } from '../support/openai-server.js';
import { checkNode } from '../../src/commands/doctor.js';

const hasChromium = fs.existsSync('/usr/bin/chromium');
const KEY = 'sk-test-SECRET123456';

const servers: OpenAIServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});

interface Check {
  name: string;
  ok: boolean;
  status: string;
  detail: string;
  hint: string | null;
  info: Record<string, unknown>;
}
const byName = (checks: Check[]) => Object.fromEntries(checks.map((c) => [c.name, c]));

describe('doctor', () => {
  it('--json on an empty folder: nothing failed, store/browser/model are warnings', async () => {
    const dir = tmpDir();
    const r = await runCli(['doctor', '--json', '--offline'], { cwd: dir, env: baseEnv({ STATSIG_HACK_CHROMIUM: '/no/such/chrome' }) });
    expect(r.code).toBe(0);
    const report = r.json<{ ok: boolean; checks: Check[] }>();
    expect(report.ok).toBe(true);
    expect(report.checks.map((c) => [c.name, c.status])).toEqual([
      ['node', 'ok'],
      ['config', 'ok'],
      ['store', 'warn'],
      ['browser', 'warn'],
      ['model', 'warn'],
    ]);
    const c = byName(report.checks);
    expect(c.node!.detail).toBe(`Node ${process.versions.node}`);
    expect(c.config!.detail).toBe('no config file found (using defaults)');
    expect(c.store!.detail).toBe(`no project store at ${path.join(dir, '.statsig-hack', 'project.duckdb')}`);
    expect(c.store!.hint).toContain('statsig-hack init');
    expect(c.browser!.detail).toContain('STATSIG_HACK_CHROMIUM does not exist');
    expect(c.browser!.info.code).toBe('BROWSER_PATH_MISSING');
    expect(c.model!.detail).toContain('no model configured');
    expect(c.model!.hint).toContain('OPENAI_API_KEY');
    expect(c.model!.ok).toBe(true);
  });

  it('human output: a checklist with a fix per warning', async () => {
    const dir = tmpDir();
    const r = await runCli(['doctor', '--offline'], { cwd: dir, env: baseEnv({ STATSIG_HACK_CHROMIUM: '/no/such/chrome' }) });
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe(`✓ node     Node ${process.versions.node}`);
    expect(r.stdout).toContain('! store    no project store at');
    expect(r.stdout).toMatch(/^ {11}fix: run `statsig-hack init`/m);
    expect(r.stdout).toContain('! browser  the browser set in STATSIG_HACK_CHROMIUM does not exist');
    expect(r.stdout).toContain('! model    no model configured');
    expect(r.stdout).toContain('Nothing failed; 3 warnings');
    expect(r.stderr).toBe('');
  });

  it('all green with a store, a config, a browser and a model endpoint', async () => {
    const dir = tmpDir();
    writeFile(dir, 'statsig-hack.config.json', JSON.stringify({ llm: { model: 'llama3' } }));
    expect((await runCli(['init'], { cwd: dir })).code).toBe(0);
    const s = await startOpenAIServer([], { models: ['llama3', 'qwen2.5'], apiKey: KEY });
    servers.push(s);
    const env = baseEnv({ OPENAI_API_KEY: KEY, OPENAI_BASE_URL: s.url, ...(hasChromium ? { STATSIG_HACK_CHROMIUM: '/usr/bin/chromium' } : {}) });
    const r = await runCli(['doctor', '--json'], { cwd: dir, env });
    expect(r.code).toBe(0);
    const c = byName(r.json<{ checks: Check[] }>().checks);
    expect(c.config!.detail).toBe(`config file ${path.join(dir, 'statsig-hack.config.json')}`);
    expect(c.store).toMatchObject({ status: 'ok', info: { schema_version: expect.any(Number), exists: true } });
    expect(c.store!.detail).toMatch(/project\.duckdb \(schema v\d+, /);
    expect(c.model).toMatchObject({ status: 'ok', info: { base_url: s.url, model: 'llama3', method: 'models', models_listed: 2, api_key: 'set' } });
    expect(c.model!.detail).toMatch(new RegExp(`^llama3 at ${s.url.replace(/[.]/g, '\\.')} answered in \\d+ ms \\(lists 2 models\\)$`));
    expect(s.requests.map((q) => `${q.method} ${q.path}`)).toEqual(['GET /v1/models']);
    if (hasChromium) {
      expect(c.browser).toMatchObject({ status: 'ok', info: { path: '/usr/bin/chromium', source: 'env', version: expect.stringMatching(/^\d+\./) } });
    }
    expect(r.stdout).not.toContain('SECRET123456');
  });

  it('warns when the endpoint refuses the key or does not serve the model, without showing the key', async () => {
    const s = await startOpenAIServer([], { models: ['qwen2.5'], apiKey: 'sk-the-right-one-0000' });
    servers.push(s);
    const dir = tmpDir();
    const refused = await runCli(['doctor', '--json', '--no-launch'], { cwd: dir, env: baseEnv({ OPENAI_API_KEY: KEY, OPENAI_BASE_URL: s.url }) });
    expect(refused.code).toBe(0);
    const m1 = byName(refused.json<{ checks: Check[] }>().checks).model!;
    expect(m1).toMatchObject({ status: 'warn', info: { code: 'LLM_AUTH' } });
    expect(m1.detail).toContain('refused the API key');
    expect(refused.stdout + refused.stderr).not.toContain('SECRET123456');

    const other = await runCli(['doctor', '--no-launch'], { cwd: dir, env: baseEnv({ OPENAI_API_KEY: 'sk-the-right-one-0000', OPENAI_BASE_URL: s.url }) });
    expect(other.code).toBe(0);
    expect(other.stdout).toContain('does not list the model "gpt-4.1-mini"');
    expect(other.stdout).toContain('fix: set --model, STATSIG_HACK_MODEL or llm.model to one it serves: qwen2.5');
  });

  it('an unreachable endpoint is a warning with a fix', async () => {
    const s = await startOpenAIServer([]);
    await s.close();
    const r = await runCli(['doctor', '--json', '--no-launch'], { cwd: tmpDir(), env: baseEnv({ OPENAI_BASE_URL: s.url }) });
    expect(r.code).toBe(0);
    const m = byName(r.json<{ checks: Check[] }>().checks).model!;
    expect(m).toMatchObject({ status: 'warn', info: { code: 'LLM_UNREACHABLE', api_key: 'not set' } });
    expect(m.hint).toContain('OPENAI_BASE_URL');
  });

  it('a broken store fails the run: exit 1, JSON still one document', async () => {
    const dir = tmpDir();
    writeFile(dir, '.statsig-hack/project.duckdb', 'this is not a duckdb file, just some text that is long enough to look like something'.repeat(100));
    const r = await runCli(['doctor', '--json', '--offline', '--no-launch'], { cwd: dir });
    expect(r.code).toBe(1);
    const report = r.json<{ ok: boolean; checks: Check[] }>();
    expect(report.ok).toBe(false);
    const store = byName(report.checks).store!;
    expect(store).toMatchObject({ status: 'fail', ok: false });
    expect(store.hint).toBeTruthy();
    expect(r.stderr).toContain('doctor: store failed');

    const human = await runCli(['doctor', '--offline', '--no-launch'], { cwd: dir });
    expect(human.code).toBe(1);
    expect(human.stdout).toMatch(/^✗ store/m);
    expect(human.stdout).toContain('1 check failed');
  });

  it('an invalid config file is a failed check, and the other checks still run', async () => {
    const dir = tmpDir();
    writeFile(dir, 'statsig-hack.config.json', JSON.stringify({ llm: { timeoutMs: 'soon' } }));
    const r = await runCli(['doctor', '--json', '--offline', '--no-launch'], { cwd: dir });
    expect(r.code).toBe(1);
    const report = r.json<{ ok: boolean; checks: Check[] }>();
    const byN = byName(report.checks);
    expect(byN.config).toMatchObject({ status: 'fail', ok: false });
    expect(byN.config!.detail).toContain('invalid config in statsig-hack.config.json: llm.timeoutMs');
    expect(byN.node).toMatchObject({ status: 'ok' });
    expect(byN.store).toBeDefined();
    // Other commands still refuse the invalid config outright.
    const s = await runCli(['status'], { cwd: dir });
    expect(s.code).toBe(1);
    expect(s.stderr).toContain('invalid config');
  });

  it('a store held by another process is a warning, not a failure', async () => {
    const dir = tmpDir();
    expect((await runCli(['init'], { cwd: dir })).code).toBe(0);
    const file = path.join(dir, '.statsig-hack', 'project.duckdb');
    const holder = spawn(
      process.execPath,
      ['--input-type=module', '-e', `const { DuckDBInstance } = await import('@duckdb/node-api'); await DuckDBInstance.create(${JSON.stringify(file)}); console.log('ready'); setTimeout(() => {}, 60000);`],
      { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'inherit'] },
    );
    try {
      await new Promise<void>((resolve, reject) => {
        holder.stdout.on('data', (d: Buffer) => d.toString().includes('ready') && resolve());
        holder.once('exit', (code) => reject(new Error(`holder exited ${code}`)));
      });
      const r = await runCli(['doctor', '--json', '--offline', '--no-launch'], { cwd: dir });
      expect(r.code).toBe(0);
      const store = byName(r.json<{ checks: Check[] }>().checks).store!;
      expect(store).toMatchObject({ status: 'warn', info: { code: 'STORE_LOCKED' } });
      expect(store.detail).toContain('in use by another process');
    } finally {
      holder.kill();
    }
  });

  it('--no-launch finds the browser without starting it', async () => {
    const dir = tmpDir();
    const fake = writeFile(dir, 'bin/chrome', '#!/bin/sh\nexit 1\n');
    fs.chmodSync(fake, 0o755);
    const r = await runCli(['doctor', '--json', '--offline', '--no-launch'], { cwd: dir, env: baseEnv({ STATSIG_HACK_CHROMIUM: fake }) });
    const b = byName(r.json<{ checks: Check[] }>().checks).browser!;
    expect(b).toMatchObject({ status: 'ok', detail: `${fake} (env; not launched)`, info: { path: fake, source: 'env' } });
  });

  it('a browser that cannot start is a warning', async () => {
    const dir = tmpDir();
    const fake = writeFile(dir, 'bin/chrome', '#!/bin/sh\nexit 1\n');
    fs.chmodSync(fake, 0o755);
    const r = await runCli(['doctor', '--json', '--offline'], { cwd: dir, env: baseEnv({ STATSIG_HACK_CHROMIUM: fake }) });
    expect(r.code).toBe(0);
    const b = byName(r.json<{ checks: Check[] }>().checks).browser!;
    expect(b.status).toBe('warn');
    expect(b.detail).toContain(`could not start the browser ${fake}`);
  });

  it('Node older than 20 fails', () => {
    expect(checkNode('18.19.0')).toMatchObject({ status: 'fail', ok: false, hint: expect.stringContaining('Node 20') });
    expect(checkNode('20.0.0').status).toBe('ok');
    expect(checkNode('22.11.0').status).toBe('ok');
  });
});
