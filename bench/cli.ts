/**
 * CLI start-up: wall time of `statsig-hack --help` on the built binary (target < 300 ms), median of
 * 10 runs after one warm-up, next to a bare `node -e 0` for scale.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';

const bin = path.resolve(import.meta.dirname, '../bin/statsig-hack.js');

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
}

function time(args: string[]): number {
  const t = performance.now();
  execFileSync(process.execPath, args, { stdio: 'ignore' });
  return performance.now() - t;
}

export default async function bench(): Promise<void> {
  time([bin, '--help']);
  const help = median(Array.from({ length: 10 }, () => time([bin, '--help'])));
  const bare = median(Array.from({ length: 10 }, () => time(['-e', '0'])));
  console.log(`statsig-hack --help: ${help.toFixed(0)} ms median of 10 (target < 300 ms); bare node: ${bare.toFixed(0)} ms; ratio ${(help / bare).toFixed(2)}`);
}
