/** A second process that holds a DuckDB store open (read-write, or read-only), as a running `serve` does. */
import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';

/** Starts the holder, waits until it has the store open, and returns its pid; `children` collects it for the test's clean-up. */
export async function holdStore(file: string, children: ChildProcess[], readOnly = false): Promise<number> {
  const duck = createRequire(import.meta.url).resolve('@duckdb/node-api');
  const code = `const { DuckDBInstance } = require(${JSON.stringify(duck)});
    DuckDBInstance.create(${JSON.stringify(file)}, ${readOnly ? "{ access_mode: 'READ_ONLY' }" : '{}'}).then(async (i) => { await i.connect(); console.log('ready'); setInterval(() => {}, 1000); });`;
  const child = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (d: Buffer) => (String(d).includes('ready') ? resolve() : undefined));
    child.on('exit', (c) => reject(new Error(`holder exited ${c}`)));
  });
  return child.pid as number;
}
