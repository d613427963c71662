import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Store } from '../../src/store/store.js';
import { runCli } from '../support/run-cli.js';
import { tmpDir, writeFile } from '../support/tmp.js';

async function setup() {
  const cwd = tmpDir();
  expect((await runCli(['init'], { cwd })).code).toBe(0);
  return cwd;
}

async function snapshot(cwd: string) {
  const store = await Store.open(path.join(cwd, '.statsig-hack/project.duckdb'), { readOnly: true });
  const rows = await store.all('SELECT * FROM events ORDER BY unit_id, ts');
  const users = await store.all('SELECT * FROM users ORDER BY unit_id');
  store.close();
  return { rows, users };
}

describe('import', () => {
  it('loads a CSV with mapped columns and keeps the rest as metadata', async () => {
    const cwd = await setup();
    writeFile(cwd, 'ev.csv', 'user,event,timestamp,value,source\nu1,purchase,2026-10-01 10:00:00,12.5,ad\nu2,purchase,2026-10-02,3,organic\n');
    const r = await runCli(['import', 'ev.csv', '--into', 'events', '--map', 'unit_id=user', '--map', 'ts=timestamp', '--json'], { cwd });
    expect(r.code).toBe(0);
    expect(r.json()).toMatchObject({ table: 'events', rows: 2, extra_columns: ['source'] });
    const { rows } = await snapshot(cwd);
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatchObject({ unit_id: 'u1', event: 'purchase', value: 12.5 });
    expect(JSON.parse(String(rows[0]!.metadata))).toEqual({ source: 'ad' });
    expect((rows[1]!.ts as Date).toISOString()).toBe('2026-10-02T00:00:00.000Z');
  });

  it('loads JSONL and Parquet through DuckDB readers', async () => {
    const cwd = await setup();
    writeFile(cwd, 'u.jsonl', '{"unit_id":"a","country":"US","plan":"pro"}\n{"unit_id":"b","country":"DE","plan":"free"}\n');
    expect((await runCli(['import', 'u.jsonl', '--into', 'users'], { cwd })).code).toBe(0);
    const store = await Store.memory();
    await store.run(`COPY (SELECT 'c' AS unit_id, 'FR' AS country) TO '${path.join(cwd, 'u.parquet')}' (FORMAT parquet)`);
    store.close();
    expect((await runCli(['import', 'u.parquet', '--into', 'users'], { cwd })).code).toBe(0);
    expect((await snapshot(cwd)).users.map((u) => u.unit_id)).toEqual(['a', 'b', 'c']);
  });

  it('a missing column names it and lists what the file has; nothing is written', async () => {
    const cwd = await setup();
    writeFile(cwd, 'ev.csv', 'user_id,name,when\nu1,x,2026-10-01\n');
    const r = await runCli(['import', 'ev.csv', '--into', 'events'], { cwd });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('ev.csv is missing required columns unit_id, event, ts for events');
    expect(r.stderr).toContain('the file has: user_id, name, when');
    expect((await snapshot(cwd)).rows).toHaveLength(0);
  });

  it('a wrong type names the column and an example value, and leaves the store unchanged', async () => {
    const cwd = await setup();
    writeFile(cwd, 'good.csv', 'unit_id,event,ts,value\nu0,view,2026-10-01,1\n');
    expect((await runCli(['import', 'good.csv', '--into', 'events'], { cwd })).code).toBe(0);
    const before = await snapshot(cwd);
    const lines = ['unit_id,event,ts,value'];
    for (let i = 0; i < 5000; i += 1) lines.push(`u${i},view,2026-10-01,${i}`);
    lines.push('bad,view,2026-10-01,12 USD');
    writeFile(cwd, 'bad.csv', `${lines.join('\n')}\n`);
    const r = await runCli(['import', 'bad.csv', '--into', 'events', '--json'], { cwd });
    expect(r.code).toBe(1);
    expect(r.json().error).toMatchObject({ code: 'IMPORT_TYPE' });
    expect(r.json().error.message).toContain('column "value" (value) must be a number');
    expect(r.json().error.message).toContain('12 USD');
    expect(await snapshot(cwd)).toEqual(before);
  });

  it('refuses a file that is not a CSV, and an unsupported extension', async () => {
    const cwd = await setup();
    fs.writeFileSync(path.join(cwd, 'img.csv'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, 0xff, 0xfe, 0, 1, 2, 3]));
    const r = await runCli(['import', 'img.csv', '--into', 'users'], { cwd });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/error: (cannot read img\.csv as CSV|img\.csv is missing required column unit_id)/);
    writeFile(cwd, 'data.xlsx', 'x');
    const x = await runCli(['import', 'data.xlsx', '--into', 'users'], { cwd });
    expect(x.stderr).toContain('unsupported file type ".xlsx"');
    const m = await runCli(['import', 'nope.csv', '--into', 'users'], { cwd });
    expect(m.stderr).toContain('file not found');
  });

  it('an import that fails midway (duplicate keys) rolls back entirely', async () => {
    const cwd = await setup();
    writeFile(cwd, 'u1.csv', 'unit_id,country\nu5,US\n');
    expect((await runCli(['import', 'u1.csv', '--into', 'users'], { cwd })).code).toBe(0);
    const lines = ['unit_id,country'];
    for (let i = 0; i < 3000; i += 1) lines.push(`u${i},BR`);
    writeFile(cwd, 'u2.csv', `${lines.join('\n')}\n`);
    const r = await runCli(['import', 'u2.csv', '--into', 'users'], { cwd });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('--replace');
    expect((await snapshot(cwd)).users).toEqual([{ unit_id: 'u5', country: 'US', platform: null, plan: null, created_at: null, attributes: null, tenure_days: null, channel: null }]);
    const ok = await runCli(['import', 'u2.csv', '--into', 'users', '--replace'], { cwd });
    expect(ok.code).toBe(0);
    expect((await snapshot(cwd)).users).toHaveLength(3000);
  });

  it('rejects a --map target that is not a column', async () => {
    const cwd = await setup();
    writeFile(cwd, 'u.csv', 'id\nx\n');
    const r = await runCli(['import', 'u.csv', '--into', 'users', '--map', 'userid=id'], { cwd });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('"userid" is not a column of users');
  });
});
