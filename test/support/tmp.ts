/** Temp dirs and temp stores, removed after each test file. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll } from 'vitest';
import { Store } from '../../src/store/store.js';

const made: string[] = [];

afterAll(() => {
  for (const dir of made.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

export function tmpDir(prefix = 'sh-test-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  made.push(dir);
  return dir;
}

export function writeFile(dir: string, name: string, content: string): string {
  const file = path.join(dir, name);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, content);
  return file;
}

/** A store file in a fresh temp dir, migrated to the latest schema. */
export async function tmpStore(): Promise<{ dir: string; file: string; store: Store }> {
  const dir = tmpDir();
  const file = path.join(dir, '.statsig-hack', 'project.duckdb');
  const store = await Store.open(file, { create: true });
  return { dir, file, store };
}
