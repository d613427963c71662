/**
 * Benchmark runner: `npm run bench` runs every benchmark, `npm run bench -- analyze` one.
 * Each bench/<name>.ts exports `default async function (args: string[]): Promise<void>` that prints its figures.
 */
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const dir = import.meta.dirname;
const available = fs
  .readdirSync(dir)
  .filter((f) => f.endsWith('.ts') && f !== 'run.ts' && !f.startsWith('_'))
  .map((f) => f.replace(/\.ts$/, ''))
  .sort();
const [name, ...rest] = process.argv.slice(2);
const chosen = name ? [name] : available;
for (const n of chosen) {
  if (!available.includes(n)) {
    process.stderr.write(`unknown benchmark "${n}"; available: ${available.join(', ')}\n`);
    process.exit(2);
  }
  process.stdout.write(`\n== bench: ${n} ==\n`);
  const mod = (await import(pathToFileURL(path.join(dir, `${n}.ts`)).href)) as { default: (args: string[]) => Promise<void> };
  await mod.default(rest);
}
