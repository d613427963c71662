/**
 * `statsig-hack push`: pushes the entities already in the store (what `seed` and `ideas --create`
 * wrote) with the same client and rules as `seed --push`, against the local Console API stand-in.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { baseEnv, runCli } from '../support/run-cli.js';
import { tmpDir } from '../support/tmp.js';
import { startConsoleServer, type ConsoleServer } from './console-server.js';
import { Store } from '../../src/store/store.js';
import { createExperiments } from '../../src/ai/ideas/experiments.js';
import type { Idea } from '../../src/ai/ideas/schema.js';

const KEY = 'console-PUSHKEY1234567890';
const SMALL = ['--users', '300', '--days', '3', '--pre-days', '0'];
let server: ConsoleServer | null = null;

afterEach(async () => {
  await server?.close();
  server = null;
});

function idea(id: string, title: string): Idea {
  return {
    id,
    rank: 1,
    title,
    summary: 'Make the primary action obvious.',
    page_url: 'https://example.com/pricing',
    evidence: [{ selector: 'a.cta', observation: 'the button is grey' }],
    hypothesis: 'Because the button is grey, we believe a blue one will get more clicks.',
    control: 'the grey button',
    test: 'a blue button',
    primary_metric: { name: 'checkout_started', type: 'conversion', direction: 'increase' },
    guardrail_metrics: [{ name: 'refunds', type: 'count', direction: 'decrease' }],
    id_type: 'stableID',
    ice: { impact: 6, confidence: 5, ease: 8, score: 6.3 },
    source: 'model',
    rule: null,
  };
}

/** A store holding what `ideas --create` writes (through its own code). */
async function ideasStore(): Promise<{ cwd: string; db: string }> {
  const cwd = tmpDir('sh-push-');
  const db = path.join(cwd, 'ideas.duckdb');
  const store = await Store.open(db, { create: true });
  try {
    await createExperiments(store, [idea('blue_pricing_cta', 'Blue pricing CTA'), idea('shorter_signup_form', 'Shorter signup form')]);
  } finally {
    store.close();
  }
  return { cwd, db };
}

const env = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => baseEnv({ STATSIG_CONSOLE_API_KEY: KEY, ...extra });

describe('push', () => {
  it('pushes the experiments ideas --create stored: in setup, control first, controlGroupID set to its id', async () => {
    const { cwd, db } = await ideasStore();
    server = await startConsoleServer({ apiKey: KEY });
    const r = await runCli(['push', '--db', db, '--api-url', server.url], { cwd, env: env() });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`Pushed to ${server.url}: 2 created, 0 skipped (already there).`);
    expect(r.stdout).toContain('2 experiments created in setup (not started)');
    expect(r.stderr).toMatch(/Push plan \(http:\/\/127\.0\.0\.1:\d+\): 2 experiments/);
    for (const name of ['blue_pricing_cta', 'shorter_signup_form']) {
      const x = server.experiments.get(name)!;
      expect(x.body.status).toBe('setup');
      expect(x.body).not.toHaveProperty('controlGroupID');
      expect(x.body.groups.map((g: { name: string }) => g.name)).toEqual(['Control', 'Test']);
      expect(x.controlGroupID).toBe(x.groupIds.Control);
    }
    expect(server.requests.filter((q) => q.method === 'POST').every((q) => q.problems.length === 0)).toBe(true);
    expect(r.stdout + r.stderr).not.toContain('PUSHKEY1234567890');
    // idempotent: a second push creates nothing
    const again = await runCli(['push', '--db', db, '--api-url', server.url, '--json'], { cwd, env: env() });
    expect(again.code, again.stderr).toBe(0);
    expect(again.json()).toMatchObject({ created: 0, skipped: 2, mutations: 0 });
  });

  it('pushes a seeded project from the store like seed --push would, filtered by --kind, and --start starts experiments', async () => {
    const cwd = tmpDir('sh-push-');
    expect((await runCli(['seed', 'acme', '--domain', 'saas', '--offline', ...SMALL], { cwd })).code).toBe(0);
    server = await startConsoleServer({ apiKey: KEY, pageSize: 100 });
    const dry = await runCli(['push', '--dry-run', '--api-url', server.url, '--json'], { cwd, env: baseEnv() });
    expect(dry.code, dry.stderr).toBe(0);
    expect(server.requests).toHaveLength(0);
    const posts = dry.json().requests.filter((q: { method: string }) => q.method === 'POST');
    expect(posts).toHaveLength(20);
    const seedDry = await runCli(['seed', 'acme', '--domain', 'saas', '--offline', ...SMALL, '--force', '--push', '--dry-run', '--api-url', server.url, '--json'], { cwd, env: baseEnv() });
    // the same create bodies as seed --push sends (the store keeps each experiment's duration as seeded)
    const seedPosts = seedDry.json().push.requests.filter((q: { method: string }) => q.method === 'POST');
    expect(posts.map((q: { url: string; body: { name: string } }) => `${q.url} ${q.body.name}`).sort()).toEqual(seedPosts.map((q: { url: string; body: { name: string } }) => `${q.url} ${q.body.name}`).sort());

    const r = await runCli(['push', '--kind', 'gates,experiments', '--start', '--api-url', server.url, '--json'], { cwd, env: env() });
    expect(r.code, r.stderr).toBe(0);
    const out = r.json();
    expect(new Set(out.items.map((i: { kind: string }) => i.kind))).toEqual(new Set(['gates', 'experiments']));
    expect(out.start).toBe(true);
    expect([...server.experiments.values()].every((x) => x.body.status === 'active')).toBe(true);
  });

  it('waits out a 429 with Retry-After instead of failing', async () => {
    const { cwd, db } = await ideasStore();
    server = await startConsoleServer({ apiKey: KEY, rateLimit: { count: 1, retryAfter: '0', methods: ['POST'] } });
    const r = await runCli(['push', '--db', db, '--api-url', server.url], { cwd, env: env() });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('Console API rate limit (HTTP 429): waiting 0.0 s (retry 1)');
    expect(r.stdout).toContain('2 created');
    expect(r.stdout).toContain('rate limited 1 time');
  });

  it('checks its preconditions before any work: the key first, then the store and what it holds', async () => {
    server = await startConsoleServer({ apiKey: KEY });
    const cwd = tmpDir('sh-push-');
    const noKey = await runCli(['push', '--db', path.join(cwd, 'none.duckdb'), '--api-url', server.url, '--json'], { cwd, env: baseEnv() });
    expect(noKey.code).toBe(1);
    expect(noKey.json().error.code).toBe('PUSH_NO_KEY');
    const noStore = await runCli(['push', '--db', path.join(cwd, 'none.duckdb'), '--api-url', server.url, '--json'], { cwd, env: env() });
    expect(noStore.code).toBe(1);
    expect(noStore.json().error.message).toMatch(/no project store at/);
    expect(fs.existsSync(path.join(cwd, 'none.duckdb'))).toBe(false);
    const empty = path.join(cwd, 'empty.duckdb');
    (await Store.open(empty, { create: true })).close();
    const nothing = await runCli(['push', '--db', empty, '--api-url', server.url, '--json'], { cwd, env: env() });
    expect(nothing.json().error).toMatchObject({ code: 'PUSH_NOTHING', hint: expect.stringContaining('ideas <url> --create') });
    const badKind = await runCli(['push', '--db', empty, '--kind', 'experiment', '--json'], { cwd, env: env() });
    expect(badKind.code).toBe(2);
    expect(badKind.json().error.message).toMatch(/--kind takes a comma-separated list of segments, gates/);
    expect(server.requests).toHaveLength(0);
  });

  it('refuses a stored entity that is not a valid Console API body, before sending anything', async () => {
    const { cwd, db } = await ideasStore();
    const store = await Store.open(db);
    try {
      await store.run(`INSERT INTO entities (kind, name, type, status, spec) VALUES ('experiments', 'broken_one', 'experiment', 'setup', '{"name":"broken_one","groups":[{"name":"A"}]}')`);
    } finally {
      store.close();
    }
    server = await startConsoleServer({ apiKey: KEY });
    const r = await runCli(['push', '--db', db, '--api-url', server.url, '--json'], { cwd, env: env() });
    expect(r.code).toBe(1);
    expect(r.json().error).toMatchObject({ code: 'PUSH_INVALID_ENTITY', message: expect.stringMatching(/^1 stored entity is not a valid Console API body: experiments broken_one: groups/) });
    expect(server.requests).toHaveLength(0);
  });
});
