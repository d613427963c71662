import { spawn, type ChildProcessByStdio } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/run-cli.js';
import { tmpDir } from '../support/tmp.js';

const root = path.resolve(import.meta.dirname, '../..');

/** A second process that opens the store at `file` for writing and holds it (until killed). */
async function holdStore(file: string): Promise<ChildProcessByStdio<null, Readable, null>> {
  const holder = spawn(
    process.execPath,
    ['--input-type=module', '-e', `import { DuckDBInstance } from '@duckdb/node-api'; const i = await DuckDBInstance.create(${JSON.stringify(file)}); await i.connect(); console.log('ready'); setTimeout(() => {}, 60000);`],
    { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  await new Promise<void>((resolve, reject) => {
    holder.stdout.on('data', (d: Buffer) => d.toString().includes('ready') && resolve());
    holder.on('exit', (c) => reject(new Error(`holder exited ${c}`)));
  });
  return holder;
}

describe('a store locked by another process', () => {
  it('status answers from the summary kept at its last status while the holder has not written; a writer still gets the lock error', async () => {
    const cwd = tmpDir();
    expect((await runCli(['init'], { cwd })).code).toBe(0);
    const before = await runCli(['status', '--json'], { cwd }); // keeps the summary beside the store
    const holder = await holdStore(path.join(cwd, '.statsig-hack/project.duckdb'));
    try {
      const r = await runCli(['status', '--json'], { cwd });
      expect(r.code, r.stderr).toBe(0);
      expect(r.json()).toEqual(before.json());
      expect((await runCli(['init', '--json'], { cwd })).json().error.code).toBe('STORE_LOCKED');
    } finally {
      holder.kill();
    }
  });

  it('gives a clear error instead of a crash', async () => {
    const cwd = tmpDir();
    expect((await runCli(['init'], { cwd })).code).toBe(0);
    const file = path.join(cwd, '.statsig-hack/project.duckdb');
    fs.rmSync(`${file}.status.json`); // no summary kept (init keeps one): status must read the store
    // A second process opens the store for writing and holds it.
    const holder = spawn(
      process.execPath,
      ['--input-type=module', '-e', `import { DuckDBInstance } from '@duckdb/node-api'; const i = await DuckDBInstance.create(${JSON.stringify(file)}); await i.connect(); console.log('ready'); setTimeout(() => {}, 60000);`],
      { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    try {
      await new Promise<void>((resolve, reject) => {
        holder.stdout.on('data', (d: Buffer) => d.toString().includes('ready') && resolve());
        holder.on('exit', (c) => reject(new Error(`holder exited ${c}`)));
      });
      const r = await runCli(['status'], { cwd });
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/error: the project store .* is in use by another process \(pid \d+\)/);
      expect(r.stderr).toContain('hint:');
      const j = await runCli(['init', '--json'], { cwd });
      expect(j.json().error.code).toBe('STORE_LOCKED');
    } finally {
      holder.kill();
    }
  });
});
