import { afterEach, describe, expect, it } from 'vitest';
import { baseEnv, runCli } from '../support/run-cli.js';
import { tmpDir } from '../support/tmp.js';
import { startConsoleServer, type ConsoleServer } from './console-server.js';
import { MAX_429_RETRIES, MAX_RETRY_WAIT_MS, MUTATIONS_PER_WINDOW, RateLimiter, WINDOW_MS, pushProject, retryDelayMs } from '../../src/ai/seed/push.js';
import { offlineProjectSpec } from '../../src/ai/seed/offline.js';
import { PUSH_ORDER } from '../../src/ai/seed/schema.js';
import { controlGroupOf } from '../../src/ai/seed/validate.js';

const KEY = 'console-TESTKEY1234567890';
const SMALL = ['--users', '300', '--days', '3', '--pre-days', '0'];
let server: ConsoleServer | null = null;

afterEach(async () => {
  await server?.close();
  server = null;
});

describe('seed --push', () => {
  it('creates every entity in dependency order with valid bodies, skipping the ones that exist', async () => {
    server = await startConsoleServer({ apiKey: KEY, existing: { gates: ['other_gate', 'enterprise_sso', 'x_gate'], metrics: ['upgrades'] } });
    const cwd = tmpDir();
    const r = await runCli(['seed', 'acme', '--domain', 'saas', '--offline', ...SMALL, '--push', '--api-url', server.url, '--json'], {
      cwd,
      env: baseEnv({ STATSIG_CONSOLE_API_KEY: KEY }),
    });
    expect(r.code, r.stderr).toBe(0);
    const push = r.json().push;
    expect(push.dry_run).toBe(false);
    expect(push.skipped).toBe(2);
    expect(push.items.filter((i: { action: string }) => i.action === 'skipped').map((i: { name: string }) => i.name)).toEqual(['enterprise_sso', 'upgrades']);
    expect(push.created).toBe(4 + 2 + 2 + 7 + 1 + 4 - 2);
    // every request authenticated, never with another key
    for (const q of server.requests) expect(q.headers['statsig-api-key']).toBe(KEY);
    for (const q of server.requests) expect(q.headers['statsig-api-version']).toBe('20240601');
    // lists first (with pagination), then creates in dependency order
    const gets = server.requests.filter((q) => q.method === 'GET').map((q) => q.path);
    expect(gets).toContain('/console/v1/gates?limit=100&page=2');
    const posts = server.requests.filter((q) => q.method === 'POST');
    expect(posts.every((q) => q.problems.length === 0)).toBe(true);
    const kinds = posts.map((q) => q.path.split('/')[3] as string);
    const order = kinds.map((k) => PUSH_ORDER.indexOf(k as (typeof PUSH_ORDER)[number]));
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(posts.map((q) => q.body.name)).not.toContain('enterprise_sso');
    // the layer gets its parameters, and the layered experiments point at it
    const patch = server.requests.find((q) => q.method === 'PATCH');
    expect(patch?.path).toBe('/console/v1/layers/onboarding_layer');
    expect(patch?.body.parameters.map((p: { name: string }) => p.name)).toEqual(['checklist_variant', 'show_templates', 'trial_days']);
    const layered = posts.filter((q) => q.body.layerID);
    expect(layered.map((q) => q.body.layerID)).toEqual(['onboarding_layer', 'onboarding_layer']);
    // nothing prints the key
    expect(r.stdout + r.stderr).not.toContain('TESTKEY1234567890');
    expect(r.stderr).toMatch(/Push plan/);
  });

  it('is idempotent: a second push creates nothing', async () => {
    server = await startConsoleServer({ apiKey: KEY });
    const cwd = tmpDir();
    const env = baseEnv({ STATSIG_CONSOLE_API_KEY: KEY });
    const first = await runCli(['seed', 'acme', '--domain', 'gaming', '--offline', ...SMALL, '--push', '--api-url', server.url, '--json'], { cwd, env });
    expect(first.code, first.stderr).toBe(0);
    const second = await runCli(['seed', 'acme', '--domain', 'gaming', '--offline', ...SMALL, '--force', '--push', '--api-url', server.url], { cwd, env });
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toMatch(/0 created, 20 skipped \(already there\)/);
  });

  it('--dry-run prints the exact requests, sends nothing and redacts the key', async () => {
    server = await startConsoleServer();
    const cwd = tmpDir();
    const r = await runCli(['seed', 'acme', '--domain', 'media', '--offline', ...SMALL, '--push', '--dry-run', '--api-url', server.url, '--json'], {
      cwd,
      env: baseEnv({ STATSIG_CONSOLE_API_KEY: KEY }),
    });
    expect(r.code, r.stderr).toBe(0);
    expect(server.requests).toHaveLength(0);
    const reqs = r.json().push.requests;
    expect(reqs[0]).toEqual({
      method: 'POST',
      url: `${server.url}/console/v1/segments`,
      headers: { 'STATSIG-API-KEY': '***', 'STATSIG-API-VERSION': '20240601', 'Content-Type': 'application/json' },
      body: expect.objectContaining({ name: 'premium_members', type: 'rule_based' }),
    });
    expect(reqs.filter((q: { method: string }) => q.method === 'POST')).toHaveLength(20);
    expect(r.stdout).not.toContain('TESTKEY');
  });

  it('fails clearly without a key, with a refused key, and on a rejected entity', async () => {
    server = await startConsoleServer({ apiKey: KEY, failOn: 'upgrade_revenue' });
    const cwd = tmpDir();
    const noKey = await runCli(['seed', 'acme', '--domain', 'saas', '--offline', ...SMALL, '--push', '--api-url', server.url, '--json'], { cwd });
    expect(noKey.code).toBe(1);
    expect(noKey.json().error.code).toBe('PUSH_NO_KEY');
    const wrong = await runCli(['seed', 'acme', '--domain', 'saas', '--offline', ...SMALL, '--force', '--push', '--api-url', server.url, '--json'], {
      cwd,
      env: baseEnv({ STATSIG_CONSOLE_API_KEY: 'console-WRONGKEY999999' }),
    });
    expect(wrong.code).toBe(1);
    expect(wrong.json().error.code).toBe('PUSH_AUTH');
    expect(wrong.stdout).not.toContain('WRONGKEY999999');
    const failing = await runCli(['seed', 'acme', '--domain', 'saas', '--offline', ...SMALL, '--force', '--push', '--api-url', server.url, '--json'], {
      cwd,
      env: baseEnv({ STATSIG_CONSOLE_API_KEY: KEY }),
    });
    expect(failing.code).toBe(1);
    expect(failing.json().error).toMatchObject({ code: 'PUSH_FAILED', message: expect.stringMatching(/creating metric upgrade_revenue failed \(HTTP 400: upgrade_revenue is not allowed\); created \d+/) });
    expect(server.requests.some((q) => q.method === 'POST' && q.path.endsWith('/experiments'))).toBe(false);
  });
});

describe('error bodies', () => {
  it('a proxy HTML 502 on a create is one short line, not the page', async () => {
    server = await startConsoleServer({ apiKey: KEY, htmlErrorOn: 'upgrade_revenue' });
    const spec = offlineProjectSpec({ prompt: '', domain: 'saas', seed: 1 }).spec;
    const err = (await pushProject(spec, { apiUrl: server.url, apiKey: KEY }).then(
      () => null,
      (e: unknown) => e,
    )) as { code: string; message: string } | null;
    expect(err).toMatchObject({ code: 'PUSH_FAILED', hint: expect.stringMatching(/^the Console API failed on its side; run seed --push again later/) });
    expect(err?.message).toMatch(/^creating metric upgrade_revenue failed \(HTTP 502: 502 Bad Gateway \(an HTML page\)\); created \d+, skipped 0 before it$/);
  });
});

describe('rate limiting', () => {
  it('never allows more than 100 mutations in any 10 s window', async () => {
    let now = 0;
    const times: number[] = [];
    const limiter = new RateLimiter(MUTATIONS_PER_WINDOW, WINDOW_MS, () => now, async (ms) => {
      now += ms;
    });
    for (let i = 0; i < 250; i++) {
      await limiter.acquire();
      times.push(now);
      now += 5; // 5 ms per request
    }
    for (let i = 100; i < times.length; i++) expect((times[i] as number) - (times[i - 100] as number)).toBeGreaterThanOrEqual(WINDOW_MS);
    // 250 requests need two full waits: the 101st and the 201st start 10 s after the 1st and the 101st
    expect(times[100]).toBe(10_000);
    expect(times[200]).toBe(20_000);
  });

  it('pushProject waits instead of exceeding the limit', async () => {
    server = await startConsoleServer({ apiKey: KEY, pageSize: 100 });
    const spec = structuredClone(offlineProjectSpec({ prompt: '', domain: 'ecommerce', seed: 1 }).spec);
    for (let i = 0; i < 110; i++) spec.gates.push({ name: `bulk_gate_${i}`, isEnabled: true, idType: 'userID', rules: [] });
    let now = 0;
    const sleeps: number[] = [];
    const result = await pushProject(spec, {
      apiUrl: server.url,
      apiKey: KEY,
      now: () => now,
      sleep: async (ms) => {
        sleeps.push(ms);
        now += ms;
      },
    });
    // + one PATCH per experiment setting controlGroupID to the control group's id
    expect(result.mutations).toBe(2 + 114 + 2 + 7 + 2 + 4 + 4);
    expect(sleeps).toEqual([10_000]);
  });
});

describe('experiments: setup unless --start, and controlGroupID as a group id', () => {
  it('creates experiments in setup with the control group first, then sets controlGroupID to the id Statsig gave that group', async () => {
    server = await startConsoleServer({ apiKey: KEY, pageSize: 100 });
    const r = await runCli(['seed', 'acme', '--domain', 'saas', '--offline', ...SMALL, '--push', '--api-url', server.url], { cwd: tmpDir(), env: baseEnv({ STATSIG_CONSOLE_API_KEY: KEY }) });
    expect(r.code, r.stderr).toBe(0);
    const spec = offlineProjectSpec({ prompt: 'acme', domain: 'saas', seed: 42 }).spec;
    expect(server.experiments.size).toBe(spec.experiments.length);
    for (const x of spec.experiments) {
      const pushed = server.experiments.get(x.name)!;
      expect(pushed.body.status).toBe('setup');
      expect(pushed.body).not.toHaveProperty('controlGroupID');
      expect(pushed.body.groups[0].name).toBe(controlGroupOf(x));
      // the PATCH sent an id the server assigned, never a name
      expect(pushed.controlGroupID).toBe(pushed.groupIds[pushed.body.groups[0].name]);
      expect(Object.keys(pushed.groupIds)).not.toContain(pushed.controlGroupID);
    }
    const patches = server.requests.filter((q) => q.method === 'PATCH' && q.path.startsWith('/console/v1/experiments/'));
    expect(patches).toHaveLength(spec.experiments.length);
    expect(patches.every((q) => q.problems.length === 0)).toBe(true);
    expect(r.stdout).toMatch(/experiments created in setup \(not started\)/);
  });

  it('--start-experiments creates them active', async () => {
    server = await startConsoleServer({ apiKey: KEY, pageSize: 100 });
    const r = await runCli(['seed', 'acme', '--domain', 'gaming', '--offline', ...SMALL, '--push', '--start-experiments', '--api-url', server.url, '--json'], { cwd: tmpDir(), env: baseEnv({ STATSIG_CONSOLE_API_KEY: KEY }) });
    expect(r.code, r.stderr).toBe(0);
    expect([...server.experiments.values()].map((x) => x.body.status)).toEqual(Array(server.experiments.size).fill('active'));
    expect(r.json().push.start).toBe(true);
  });

  it('--start-experiments without --push is a usage error', async () => {
    const r = await runCli(['seed', 'acme', '--offline', ...SMALL, '--start-experiments', '--json'], { cwd: tmpDir() });
    expect(r.code).toBe(2);
    expect(r.json().error.message).toMatch(/--start-experiments only applies to --push/);
  });
});

describe('HTTP 429 from the Console API', () => {
  const spec = () => offlineProjectSpec({ prompt: '', domain: 'media', seed: 1 }).spec;
  const run = async (rateLimit: { count: number; retryAfter: string | null; methods?: string[]; status?: number }) => {
    server = await startConsoleServer({ apiKey: KEY, pageSize: 100, rateLimit });
    const sleeps: number[] = [];
    let now = 1_700_000_000_000;
    const result = pushProject(spec(), { apiUrl: server.url, apiKey: KEY, now: () => now, sleep: async (ms) => { sleeps.push(ms); now += ms; } });
    return { result, sleeps };
  };

  it('waits the Retry-After seconds and goes on (the old push stopped with "fix the entity")', async () => {
    const { result, sleeps } = await run({ count: 2, retryAfter: '7', methods: ['POST'] });
    const r = await result;
    expect(sleeps).toEqual([7000, 7000]);
    expect(r.rate_limited).toEqual({ retries: 2, waited_ms: 14_000 });
    expect(r.created).toBe(spec().segments.length + spec().gates.length + spec().dynamic_configs.length + spec().metrics.length + spec().layers.length + spec().experiments.length);
    const first = spec().segments[0]!.name;
    expect(server!.requests.filter((q) => q.method === 'POST' && q.body?.name === first)).toHaveLength(3); // 429, 429, created
  });

  it('backs off exponentially without Retry-After, and caps a huge Retry-After', async () => {
    const a = await run({ count: 3, retryAfter: null });
    await a.result;
    expect(a.sleeps).toEqual([1000, 2000, 4000]);
    await server!.close();
    const b = await run({ count: 1, retryAfter: '86400' });
    await b.result;
    expect(b.sleeps).toEqual([MAX_RETRY_WAIT_MS]);
  });

  it('gives up after a bounded number of retries with a hint to wait, not to fix the entity', async () => {
    const { result, sleeps } = await run({ count: 1000, retryAfter: '1' });
    await expect(result).rejects.toMatchObject({ code: 'PUSH_RATE_LIMITED', hint: expect.stringMatching(/^wait a minute and run seed --push again/) });
    expect(sleeps).toHaveLength(MAX_429_RETRIES);
    expect(server!.requests).toHaveLength(MAX_429_RETRIES + 1);
  });

  it('a 503 on a read is retried the same way; on a create it is reported, not retried', async () => {
    const a = await run({ count: 2, retryAfter: '2', methods: ['GET'], status: 503 });
    expect((await a.result).created).toBeGreaterThan(0);
    expect(a.sleeps).toEqual([2000, 2000]);
    await server!.close();
    const b = await run({ count: 1, retryAfter: '2', methods: ['POST'], status: 503 });
    await expect(b.result).rejects.toMatchObject({ code: 'PUSH_FAILED', hint: expect.stringMatching(/failed on its side/) });
    expect(b.sleeps).toEqual([]);
  });

  it('retryDelayMs reads seconds and HTTP dates', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(retryDelayMs('3', 0, now)).toBe(3000);
    expect(retryDelayMs('0.5', 0, now)).toBe(500);
    expect(retryDelayMs('Thu, 01 Jan 2026 00:00:09 GMT', 0, now)).toBe(9000);
    expect(retryDelayMs('soon', 2, now)).toBe(4000);
    expect(retryDelayMs(null, 10, now)).toBe(MAX_RETRY_WAIT_MS);
  });
});
