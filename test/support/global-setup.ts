/**
 * Runs once before the suite: builds dist/ as `npm run build` does (tsc, then the command
 * manifest the top-level help reads), so end-to-end tests run the real binary as users get it.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export default function setup(): void {
  const root = path.resolve(import.meta.dirname, '../..');
  if (process.env.STATSIG_HACK_SKIP_BUILD === '1' && fs.existsSync(path.join(root, 'dist/cli.js'))) return;
  execFileSync(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], { cwd: root, stdio: 'inherit' });
  execFileSync(process.execPath, ['--input-type=module', '-e', "await (await import('./dist/commands/manifest.js')).writeManifest()"], { cwd: root, stdio: 'inherit' });
}
