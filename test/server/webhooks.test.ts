/**
 * Changelog webhooks: Slack Block Kit messages checked by a local receiver, HMAC-signed JSON
 * events, the persisted queue (429 Retry-After, 1 message/s/URL, backoff, dead letters, retry),
 * and the CLI writers (seed, push, ideas --create) notifying too.
 */
import { createHmac } from 'node:crypto';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Store } from '../../src/store/store.js';
import { Deliverer, MAX_ATTEMPTS, addWebhook, enqueue, queueStatus, slackMessage, type ChangeEvent } from '../../src/server/webhooks.js';
import { startFixtureServer } from '../ideas/support/fixture-server.js';
import { badRoutes } from '../ideas/support/helpers.js';
import { baseEnv, runCli } from '../support/run-cli.js';
import { tmpDir } from '../support/tmp.js';
import { serve, type Served } from './helpers.js';
import { SlackMessageSchema, startReceiver, type Receiver } from './slack-receiver.js';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c().catch(() => undefined);
});
async function receiver(opts: Parameters<typeof startReceiver>[0] = {}): Promise<Receiver> {
  const r = await startReceiver(opts);
  closers.push(() => r.close());
  return r;
}
async function server(): Promise<Served> {
  const s = await serve({ deliverEveryMs: 50 });
  closers.push(() => s.stop());
  return s;
}
async function until(cond: () => boolean, ms = 8000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 25));
  }
}
const experiment = (name: string) => ({
  name,
  description: 'first words',
  groups: [
    { name: 'control', size: 50, parameterValues: {} },
    { name: 'test', size: 50, parameterValues: {} },
  ],
});

describe('webhooks from serve', () => {
  it('posts a Block Kit changelog for its experiment only: title, who and when, old -> new, link', async () => {
    const slack = await receiver();
    const s = await server();
    const added = await s.call('POST', '/console/v1/webhooks', { url: `${slack.url}/hook`, experiment: 'blue_cta' });
    expect(added.status).toBe(201);
    expect((await s.call('POST', '/console/v1/webhooks', { url: 'ftp://x' })).status).toBe(400);
    await s.call('POST', '/console/v1/experiments', experiment('blue_cta'));
    await s.call('POST', '/console/v1/experiments', experiment('other_one'));
    await s.call('PATCH', '/console/v1/experiments/blue_cta', { description: 'new <b>words</b> <!channel>' });
    await until(() => slack.delivered().length === 2);
    await new Promise((r) => setTimeout(r, 300));
    expect(slack.received.every((r) => r.status === 200)).toBe(true);
    expect(slack.received).toHaveLength(2);
    const [created, updated] = slack.received.map((r) => r.body);
    expect(SlackMessageSchema.parse(created).blocks[0]).toEqual({ type: 'header', text: { type: 'plain_text', text: 'Experiment blue_cta created' } });
    const keyId = [...s.server.service.keys.values()].find((k) => k.scope === 'write')?.id as string;
    const texts = updated.blocks.flatMap((b: any) => (b.text ? [b.text.text] : b.elements.map((e: any) => e.text))).join('\n');
    expect(updated.blocks[0].text.text).toBe('Experiment blue_cta updated');
    expect(texts).toContain(`by *${keyId}* via api`);
    expect(texts).toMatch(/<!date\^\d+\^/);
    expect(texts).toContain('• `description`: first words → new &lt;b&gt;words&lt;/b&gt; &lt;!channel&gt;');
    expect(texts).not.toContain('<!channel>');
    expect(texts).toContain(`<${s.server.url}/console/v1/experiments/blue_cta|Open experiment blue_cta>`);
  });

  it('signs JSON events with HMAC-SHA256 in X-Signature', async () => {
    const hook = await receiver({ slack: false });
    const s = await server();
    const added = await s.call('POST', '/console/v1/webhooks', { url: hook.url, format: 'json' });
    const secret = added.json.data.secret as string;
    expect(secret).toMatch(/^whsec_/);
    expect((await s.call('GET', '/console/v1/webhooks')).json.data[0].secret).toBeUndefined();
    await s.call('POST', '/console/v1/gates', { name: 'new_gate' });
    await until(() => hook.delivered().length === 1);
    const got = hook.received[0]!;
    expect(got.headers['x-signature']).toBe(`sha256=${createHmac('sha256', secret).update(got.raw).digest('hex')}`);
    expect(got.body).toMatchObject({ type: 'entities.changed', source: 'api', changes: [{ kind: 'gates', id: 'new_gate', action: 'created' }] });
  });

  it('replays 429: waits Retry-After, keeps order, never more than one message per second per URL', async () => {
    const slack = await receiver({ rateLimit: { count: 2, retryAfter: '1' } });
    const s = await server();
    await s.call('POST', '/console/v1/webhooks', { url: slack.url });
    for (const n of ['g_one', 'g_two', 'g_three']) await s.call('POST', '/console/v1/gates', { name: n });
    await until(() => slack.delivered().length === 3, 15_000);
    expect(slack.received.map((r) => r.status)).toEqual([429, 429, 200, 200, 200]);
    expect(slack.delivered().map((r) => r.body.blocks[0].text.text)).toEqual(['Gate g_one created', 'Gate g_two created', 'Gate g_three created']);
    const gaps = slack.received.slice(1).map((r, i) => r.at - slack.received[i]!.at);
    for (const g of gaps) expect(g).toBeGreaterThanOrEqual(950);
  }, 20_000);
});

describe('the delivery queue', () => {
  it('backs off, dead-letters after MAX_ATTEMPTS, survives a reopen, and notify status / retry work on it', async () => {
    const hook = await receiver({ failAll: true });
    const dir = tmpDir('sh-notify-');
    const db = path.join(dir, 'project.duckdb');
    const add = await runCli(['notify', 'add', '--db', db, '--url', `${hook.url}/services/T000/B000/XXXXXXXXXXXXXXXX`, '--json'], { cwd: dir, env: baseEnv() });
    expect(add.code, add.stderr).toBe(0);
    expect(add.stdout).not.toContain('XXXXXXXXXXXXXXXX');

    let clock = 1_000_000;
    let store = await Store.open(db);
    const event: ChangeEvent = { id: 'e1', type: 'entities.changed', at: clock, actor: 'cli', source: 'test', changes: [{ kind: 'gates', id: 'g', name: 'g', action: 'created', diff: [], link: null }] };
    await enqueue(store, (await (await import('../../src/server/webhooks.js')).loadWebhooks(store)), event);
    const deliverer = new Deliverer({ exec: (fn) => fn(store), now: () => clock });
    const waits: number[] = [];
    for (let i = 0; i < MAX_ATTEMPTS; i++) {
      const [o] = await deliverer.tick();
      expect(o?.status).toBe(i === MAX_ATTEMPTS - 1 ? 'dead' : 'pending');
      const row = (await store.all<{ next_attempt_ms: number }>('SELECT next_attempt_ms FROM webhook_deliveries'))[0]!;
      if (o?.status === 'pending') {
        waits.push(Number(row.next_attempt_ms) - clock);
        // not due yet: nothing is sent
        clock = Number(row.next_attempt_ms) - 1;
        expect(await deliverer.tick()).toEqual([]);
        clock += 1;
      }
    }
    expect(waits).toEqual([1000, 2000, 4000, 8000, 16000, 32000, 64000]);
    expect(hook.received).toHaveLength(MAX_ATTEMPTS);
    store.close();

    const status = await runCli(['notify', 'status', '--db', db], { cwd: dir, env: baseEnv() });
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/0 delivered, 0 pending, 1 dead/);
    expect(status.stdout).toMatch(/dead #1 .*8 attempts, last HTTP 500/);
    expect(status.stdout).not.toContain('XXXXXXXXXXXXXXXX');

    hook.set({ failAll: false });
    const retry = await runCli(['notify', 'retry', '--db', db, '--json'], { cwd: dir, env: baseEnv() });
    expect(retry.code, retry.stderr).toBe(0);
    expect(retry.json()).toMatchObject({ requeued: 1, counts: { delivered: 1, pending: 0, dead: 0 } });
    expect(hook.delivered()).toHaveLength(1);
    store = await Store.open(db, { readOnly: true });
    expect((await queueStatus(store)).counts).toEqual({ delivered: 1, pending: 0, dead: 0 });
    store.close();
  });

  it('notify test sends a sample Block Kit message; a failing URL is one line with a hint', async () => {
    const slack = await receiver();
    const dir = tmpDir('sh-notify-');
    const ok = await runCli(['notify', 'test', slack.url], { cwd: dir, env: baseEnv() });
    expect(ok.code, ok.stderr).toBe(0);
    expect(slack.delivered()[0]?.body.blocks[0].text.text).toBe('statsig-hack: test notification');
    slack.set({ failAll: true });
    const bad = await runCli(['notify', 'test', slack.url, '--json'], { cwd: dir, env: baseEnv() });
    expect(bad.code).toBe(1);
    expect(bad.json().error.code).toBe('NOTIFY_TEST_FAILED');
    expect((await runCli(['notify', 'test', 'file:///etc/passwd'], { cwd: dir, env: baseEnv() })).code).toBe(2);
  });

  it('keeps a Slack message within Block Kit limits for huge diffs and control characters', () => {
    const diff = Array.from({ length: 200 }, (_, i) => ({ field: `f${i}`, old: 'x'.repeat(5000), new: '\u0007bell\nline' }));
    const msg = slackMessage({ id: 'e', type: 'entities.changed', at: 0, actor: 'a', source: 's', changes: Array.from({ length: 30 }, (_, i) => ({ kind: 'gates', id: `g${i}`, name: 'n'.repeat(300), action: 'updated' as const, diff, link: null })) });
    expect(SlackMessageSchema.safeParse(msg).success).toBe(true);
    expect(JSON.stringify(msg)).not.toContain('\\u0007');
  });
});

describe('CLI writers notify too', () => {
  it('seed, ideas --create and push post one changelog each to a project webhook', async () => {
    const slack = await receiver();
    const s = await server();
    const dir = tmpDir('sh-notify-');
    const db = path.join(dir, 'project.duckdb');
    expect((await runCli(['notify', 'add', '--db', db, '--url', slack.url], { cwd: dir, env: baseEnv() })).code).toBe(0);
    const seeded = await runCli(['seed', 'acme', '--domain', 'saas', '--offline', '--users', '300', '--days', '3', '--pre-days', '0', '--db', db], { cwd: dir, env: baseEnv() });
    expect(seeded.code, seeded.stderr).toBe(0);
    expect(seeded.stderr).toMatch(/Notified 1 webhook/);
    const seedMsg = slack.delivered()[0]!.body;
    expect(seedMsg.blocks[0].text.text).toMatch(/^seed: \d+ entities changed$/);

    const site = await startFixtureServer(badRoutes());
    closers.push(() => site.close());
    const before = slack.delivered().length;
    const ideas = await runCli(['ideas', `${site.origin}/shoddy/signup.html`, '--pages', '1', '--no-browser', '--offline', '--create', '--db', db, '--json'], { cwd: dir, env: baseEnv() });
    expect(ideas.code, ideas.stderr).toBe(0);
    const made = ideas.json().created.experiments as { name: string }[];
    expect(made.length).toBeGreaterThan(0);
    const ideasMsg = slack.delivered()[before]?.body;
    expect(ideasMsg.blocks[0].text.text).toBe(made.length === 1 ? `Experiment ${made[0]?.name} created` : `ideas --create: ${made.length} entities changed`);
    const store = await Store.open(db);
    const audit = await store.all<{ n: number }>(`SELECT count(*) AS n FROM audit_log WHERE source = 'ideas --create'`);
    expect(Number(audit[0]?.n)).toBe(made.length);
    await addWebhook(store, { url: `${slack.url}/exp`, format: 'slack', experiment: 'nothing_matches' });
    store.close();

    const pushed = await runCli(['push', '--db', db, '--kind', 'gates', '--api-url', s.server.url], { cwd: dir, env: baseEnv({ STATSIG_CONSOLE_API_KEY: s.write }) });
    expect(pushed.code, pushed.stderr).toBe(0);
    const last = slack.delivered().at(-1)!.body;
    expect(last.blocks[0].text.text).toMatch(/^(push: \d+ entities changed|Gate \w+ created)$/);
    // the experiment-scoped webhook saw none of it
    expect(slack.received.some((x) => x.path === '/exp')).toBe(false);
  }, 30_000);
});
