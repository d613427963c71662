/** serve's CLI: keys are printed once and stored as hashes; bad options are one line with a hint. */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Store } from '../../src/store/store.js';
import { baseEnv, runCli } from '../support/run-cli.js';
import { tmpDir } from '../support/tmp.js';

describe('serve keys', () => {
  it('prints a key once and stores only its SHA-256', async () => {
    const dir = tmpDir('sh-keys-');
    const db = path.join(dir, 'p.duckdb');
    const r = await runCli(['serve', 'keys', 'create', '--scope', 'read', '--label', 'ci\u001b[31m', '--db', db, '--json'], { cwd: dir, env: baseEnv() });
    expect(r.code, r.stderr).toBe(0);
    const { key, id, scope } = r.json<{ key: string; id: string; scope: string }>();
    expect(scope).toBe('read');
    const list = await runCli(['serve', 'keys', 'list', '--db', db], { cwd: dir, env: baseEnv() });
    expect(list.stdout).toContain(id);
    expect(list.stdout).not.toContain(key);
    expect(list.stdout).not.toContain('\u001b');
    const store = await Store.open(db, { readOnly: true });
    const rows = await store.all<{ hash: string }>('SELECT * FROM api_keys');
    store.close();
    expect(rows).toHaveLength(1);
    expect(rows[0]?.hash).toBe(createHash('sha256').update(key).digest('hex'));
    expect(JSON.stringify(rows)).not.toContain(key);
    const files = fs.readdirSync(dir).map((f) => fs.readFileSync(path.join(dir, f)).toString('latin1'));
    expect(files.some((f) => f.includes(key))).toBe(false);
  });

  it('refuses bad scopes, ports and limits with one line and a hint', async () => {
    const dir = tmpDir('sh-keys-');
    const bad = await runCli(['serve', 'keys', 'create', '--scope', 'admin', '--db', path.join(dir, 'p.duckdb')], { cwd: dir, env: baseEnv() });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--scope takes read or write; got "admin"/);
    expect(bad.stderr).not.toMatch(/\n\s+at /);
    const port = await runCli(['serve', '--port', '70000', '--db', path.join(dir, 'p.duckdb'), '--json'], { cwd: dir, env: baseEnv() });
    expect(port.code).toBe(2);
    expect(port.json().error.message).toMatch(/--port takes a whole number from 0 to 65535/);
    const log = await runCli(['serve', 'log', '--limit', 'all', '--db', path.join(dir, 'p.duckdb')], { cwd: dir, env: baseEnv() });
    expect(log.code).toBe(2);
  });
});
