import { spawn } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/run-cli.js';
import { tmpDir } from '../support/tmp.js';

const root = path.resolve(import.meta.dirname, '../..');

describe('a store locked by another process', () => {
  it('gives a clear error instead of a crash', async () => {
    const cwd = tmpDir();
    expect((await runCli(['init'], { cwd })).code).toBe(0);
    const file = path.join(cwd, '.statsig-hack/project.duckdb');
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
