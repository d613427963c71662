/**
 * serve: the Console API v1 routes on a real server (in-process, 127.0.0.1) over a temp store,
 * cached and --no-cache: CRUD, pagination and filters, ETag / If-Match, experiment start/stop,
 * keys (401 / 403), 413 and 400 with zod issues, the audit log, and seed --push / push unchanged.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { baseEnv, runCli } from '../support/run-cli.js';
import { serve, type Restartable, type Served } from './helpers.js';

let running: Served[] = [];
afterEach(async () => {
  for (const s of running.splice(0)) await s.stop().catch(() => undefined);
});
async function start(opts: Parameters<typeof serve>[0] = {}): Promise<Restartable> {
  const s = (await serve(opts)) as Restartable;
  running.push(s);
  return s;
}

const gate = (name: string, extra: Record<string, unknown> = {}) => ({ name, description: `gate ${name}`, type: 'TEMPORARY', tags: ['growth'], ...extra });
const experiment = (name: string) => ({
  name,
  idType: 'userID',
  groups: [
    { name: 'control', size: 50, parameterValues: { color: 'grey' } },
    { name: 'test', size: 50, parameterValues: { color: 'blue' } },
  ],
  tags: ['checkout'],
});

describe.each([true, false])('serve (cache %s)', (cache) => {
  it('creates, reads, lists with pages and filters, updates with If-Match, deletes', async () => {
    const s = await start({ cache });
    for (let i = 0; i < 5; i++) {
      const r = await s.call('POST', '/console/v1/gates', gate(`gate_${i}`, i % 2 === 0 ? {} : { tags: ['other'], type: 'PERMANENT' }));
      expect(r.status).toBe(201);
      expect(r.json.data).toMatchObject({ id: `gate_${i}`, name: `gate_${i}` });
      expect(r.headers.get('etag')).toMatch(new RegExp(`^"gate_${i}-[0-9a-z]+"$`));
    }
    expect((await s.call('POST', '/console/v1/gates', gate('gate_0'))).status).toBe(409);
    // "My Gate" gets the id my_gate and is found by id or by name
    expect((await s.call('POST', '/console/v1/gates', gate('My Gate'))).json.data.id).toBe('my_gate');
    expect((await s.call('GET', '/console/v1/gates/My%20Gate')).json.data.id).toBe('my_gate');

    const p1 = await s.call('GET', '/console/v1/gates?limit=2&page=1');
    expect(p1.json.data.map((g: any) => g.id)).toEqual(['gate_0', 'gate_1']);
    expect(p1.json.pagination).toMatchObject({ itemsPerPage: 2, pageNumber: 1, totalItems: 6, previousPage: null });
    const p3 = await s.call('GET', '/console/v1/gates?limit=2&page=3');
    expect(p3.json.data.map((g: any) => g.id)).toEqual(['gate_4', 'my_gate']);
    expect(p3.json.pagination.nextPage).toBeNull();
    expect((await s.call('GET', '/console/v1/gates?tags=other')).json.data.map((g: any) => g.id)).toEqual(['gate_1', 'gate_3']);
    expect((await s.call('GET', '/console/v1/gates?type=PERMANENT&tags=other')).json.pagination.totalItems).toBe(2);
    expect((await s.call('GET', '/console/v1/gates?search=MY')).json.data.map((g: any) => g.id)).toEqual(['my_gate']);
    expect((await s.call('GET', '/console/v1/gates?status=disabled')).json.data).toEqual([]);

    const got = await s.call('GET', '/console/v1/gates/gate_2');
    const tag = got.headers.get('etag');
    expect(tag).toMatch(/^"gate_2-[0-9a-z]+"$/);
    expect((await s.call('GET', '/console/v1/gates/gate_2', undefined, { 'if-none-match': tag as string })).status).toBe(304);
    const patched = await s.call('PATCH', '/console/v1/gates/gate_2', { isEnabled: false }, { 'if-match': tag as string });
    expect(patched.status).toBe(200);
    expect(patched.json.data).toMatchObject({ isEnabled: false, description: 'gate gate_2' });
    expect(patched.headers.get('etag')).not.toBe(tag);
    // the old ETag no longer matches: 412, nothing written
    const stale = await s.call('PATCH', '/console/v1/gates/gate_2', { description: 'lost update' }, { 'if-match': tag as string });
    expect(stale.status).toBe(412);
    expect((await s.call('GET', '/console/v1/gates/gate_2')).json.data).toMatchObject({ description: 'gate gate_2', isEnabled: false });
    expect((await s.call('GET', '/console/v1/gates?status=disabled')).json.data.map((g: any) => g.id)).toEqual(['gate_2']);
    // full update replaces the fields
    const full = await s.call('POST', '/console/v1/gates/gate_2', { name: 'gate_2', type: 'PERMANENT' });
    expect(full.json.data).toEqual(expect.objectContaining({ name: 'gate_2', type: 'PERMANENT' }));
    expect(full.json.data.description).toBeUndefined();

    expect((await s.call('DELETE', '/console/v1/gates/gate_2', undefined, { 'if-match': '"gate_2-v1"' })).status).toBe(412);
    expect((await s.call('DELETE', '/console/v1/gates/gate_2')).status).toBe(200);
    expect((await s.call('GET', '/console/v1/gates/gate_2')).status).toBe(404);
    expect((await s.call('DELETE', '/console/v1/gates/gate_2')).status).toBe(404);
    expect((await s.call('GET', '/console/v1/gates')).json.pagination.totalItems).toBe(5);
    expect((await s.call('GET', '/console/v1/widgets')).status).toBe(404);
  });

  it('starts and stops experiments, assigns group ids, checks controlGroupID', async () => {
    const s = await start({ cache });
    const created = await s.call('POST', '/console/v1/experiments', experiment('blue_cta'));
    expect(created.json.data.status).toBe('setup');
    const ids = created.json.data.groups.map((g: any) => g.id);
    expect(ids.every((id: unknown) => typeof id === 'string' && id.length > 0)).toBe(true);
    expect((await s.call('PATCH', '/console/v1/experiments/blue_cta', { controlGroupID: 'nope' })).status).toBe(400);
    expect((await s.call('PATCH', '/console/v1/experiments/blue_cta', { controlGroupID: ids[0] })).json.data.controlGroupID).toBe(ids[0]);
    expect((await s.call('PUT', '/console/v1/experiments/blue_cta/stop')).status).toBe(400);
    expect((await s.call('PUT', '/console/v1/experiments/blue_cta/start')).json.data.status).toBe('active');
    expect((await s.call('GET', '/console/v1/experiments?status=active')).json.data.map((e: any) => e.id)).toEqual(['blue_cta']);
    expect((await s.call('PUT', '/console/v1/experiments/blue_cta/stop')).json.data.status).toBe('experiment_stopped');
    // group ids survive a partial update that does not touch the groups
    expect((await s.call('GET', '/console/v1/experiments/blue_cta')).json.data.groups.map((g: any) => g.id)).toEqual(ids);
  });
});

describe('serve: keys, limits, bad bodies', () => {
  it('401 without or with a wrong key, 403 for a read key writing, 413 over the limit, 400 with zod issues', async () => {
    const s = await start({ bodyLimit: 4096 });
    const url = s.server.url;
    expect((await fetch(`${url}/console/v1/gates`)).status).toBe(401);
    const wrong = await fetch(`${url}/console/v1/gates`, { headers: { 'STATSIG-API-KEY': `${s.write}x` } });
    expect(wrong.status).toBe(401);
    expect(await wrong.text()).not.toContain(s.write);
    expect((await fetch(`${url}/console/v1/gates`, { headers: { 'STATSIG-API-KEY': s.read } })).status).toBe(200);
    const readWrite = await fetch(`${url}/console/v1/gates`, { method: 'POST', headers: { 'STATSIG-API-KEY': s.read, 'content-type': 'application/json' }, body: JSON.stringify(gate('g_read')) });
    expect(readWrite.status).toBe(403);
    expect((await s.call('GET', '/console/v1/gates/g_read')).status).toBe(404);

    const big = await s.call('POST', '/console/v1/gates', gate('g_big', { description: 'x'.repeat(5000) }));
    expect(big.status).toBe(413);
    expect(big.json.message).toMatch(/4096 byte limit/);

    const bad = await s.call('POST', '/console/v1/gates', { name: 'a', type: 'FOREVER', extra: 1 });
    expect(bad.status).toBe(400);
    const paths = bad.json.errors.map((e: any) => e.path);
    expect(paths).toEqual(expect.arrayContaining(['name', 'type']));
    expect(bad.json.errors.some((e: any) => e.code === 'unrecognized_keys')).toBe(true);
    expect((await s.call('POST', '/console/v1/gates', '{"name": ')).status).toBe(400);
    expect((await s.call('PATCH', '/console/v1/gates/nope', { isEnabled: 'yes' })).status).toBe(400);
    expect((await s.call('GET', '/console/v1/gates?limit=0')).status).toBe(400);
  });
});

describe('serve: audit log and restart', () => {
  it('records every mutation with its key and diff, and the cache is rebuilt from the store on start', async () => {
    const s = await start();
    await s.call('POST', '/console/v1/gates', gate('audited'));
    await s.call('PATCH', '/console/v1/gates/audited', { description: 'new words' });
    await s.call('DELETE', '/console/v1/gates/audited');
    await s.call('POST', '/console/v1/metrics', { name: 'revenue', type: 'sum', metricEvents: [{ name: 'purchase', type: 'value' }] });
    const log = await s.call('GET', '/console/v1/audit_logs?kind=gates');
    expect(log.json.data.map((a: any) => a.action)).toEqual(['deleted', 'updated', 'created']);
    const keyId = [...s.server.service.keys.values()].find((k) => k.scope === 'write')?.id;
    expect(log.json.data.every((a: any) => a.actor === keyId)).toBe(true);
    expect(log.json.data[1].diff).toEqual([{ field: 'description', old: 'gate audited', new: 'new words' }]);
    expect((await s.call('GET', '/console/v1/audit_logs?entity=revenue')).json.data).toHaveLength(1);

    await s.restart(true);
    expect(s.server.service.cache?.size).toBe(1);
    expect((await s.call('GET', '/console/v1/metrics/revenue')).json.data).toMatchObject({ name: 'revenue', type: 'sum' });
    expect((await s.call('GET', '/console/v1/gates/audited')).status).toBe(404);
    await s.stop();
    running = running.filter((r) => r !== s);

    const cli = await runCli(['serve', 'log', '--db', s.db, '--kind', 'gates'], { cwd: s.dir, env: baseEnv() });
    expect(cli.code).toBe(0);
    expect(cli.stdout).toMatch(/updated gates\/audited/);
    expect(cli.stdout).toMatch(/description: gate audited -> new words/);
  });

  it('one writer: concurrent updates with the same If-Match let exactly one through; concurrent creates are group-committed', async () => {
    const s = await start();
    const tag = (await s.call('POST', '/console/v1/gates', gate('contended'))).headers.get('etag') as string;
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => s.call('PATCH', '/console/v1/gates/contended', { description: `writer ${i}` }, { 'if-match': tag })));
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
    expect(results.filter((r) => r.status === 412)).toHaveLength(19);
    const before = s.server.service.writer.batches;
    const creates = await Promise.all(Array.from({ length: 60 }, (_, i) => s.call('POST', '/console/v1/gates', gate(`burst_${i}`))));
    expect(creates.every((r) => r.status === 201)).toBe(true);
    expect(s.server.service.writer.batches - before).toBeLessThan(60);
    const rows = await s.store.all<{ n: number }>(`SELECT count(*) AS n FROM entities WHERE kind = 'gates'`);
    expect(Number(rows[0]?.n)).toBe(61);
    // delete, re-create and update one name in one group commit: the last state wins, in the store too
    // (through the service, so that the order of the four is the order they were queued in)
    const svc = s.server.service;
    const who = { id: 'test', source: 'api' };
    const batchesBefore = svc.writer.batches;
    const mixed = await Promise.allSettled([
      svc.remove('gates', 'burst_0', who, undefined),
      svc.create('gates', gate('burst_0', { description: 'reborn' }), who),
      svc.update('gates', 'burst_0', { type: 'PERMANENT' }, who, undefined, true),
      svc.create('gates', gate('burst_0'), who),
    ]);
    expect(mixed.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'rejected']);
    expect((mixed[3] as PromiseRejectedResult).reason).toMatchObject({ status: 409 });
    expect(svc.writer.batches - batchesBefore).toBeLessThanOrEqual(2);
    const inStore = await s.store.all<{ spec: string }>(`SELECT CAST(spec AS VARCHAR) AS spec FROM entities WHERE kind = 'gates' AND name = 'burst_0'`);
    expect(JSON.parse(inStore[0]?.spec ?? '{}')).toMatchObject({ description: 'reborn', type: 'PERMANENT' });
    expect((await s.call('GET', '/console/v1/gates/burst_0')).json.data).toMatchObject({ description: 'reborn', type: 'PERMANENT' });
  });
});

describe('serve: seed --push and push work against it unchanged', () => {
  it('creates the seeded project through the Console API client, then push skips everything', async () => {
    const s = await start();
    const cwd = s.dir;
    const env = baseEnv({ STATSIG_CONSOLE_API_KEY: s.write });
    const seeded = await runCli(['seed', 'acme', '--domain', 'saas', '--offline', '--users', '300', '--days', '3', '--pre-days', '0', '--db', `${cwd}/seed.duckdb`, '--push', '--api-url', s.server.url, '--json'], { cwd, env });
    expect(seeded.code, seeded.stderr).toBe(0);
    const push = seeded.json().push;
    expect(push.created).toBeGreaterThan(5);
    expect(push.items.every((i: any) => i.action === 'created' && !i.error)).toBe(true);
    const exps = (await s.call('GET', '/console/v1/experiments?limit=100')).json.data;
    expect(exps.length).toBe(push.items.filter((i: any) => i.kind === 'experiments').length);
    for (const e of exps) {
      expect(e.status).toBe('setup');
      expect(e.groups.map((g: any) => g.id)).toContain(e.controlGroupID);
    }
    const layers = (await s.call('GET', '/console/v1/layers')).json.data;
    for (const l of layers) expect(Array.isArray(l.parameters) && l.parameters.length > 0).toBe(true);

    const again = await runCli(['push', '--db', `${cwd}/seed.duckdb`, '--api-url', s.server.url, '--json'], { cwd, env });
    expect(again.code, again.stderr).toBe(0);
    expect(again.json()).toMatchObject({ created: 0, skipped: push.created });
    // with a read key, push is refused with the auth error
    const ro = await runCli(['push', '--db', `${cwd}/seed.duckdb`, '--kind', 'gates', '--api-url', s.server.url, '--json'], { cwd, env: baseEnv({ STATSIG_CONSOLE_API_KEY: 'wrong' }) });
    expect(ro.code).toBe(1);
    expect(ro.json().error.code).toBe('PUSH_AUTH');
  });
});
