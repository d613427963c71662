/** Starts the built `statsig-hack serve` as a child process on a free port (tests and the serve bench). */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

const bin = path.resolve(import.meta.dirname, '../../bin/statsig-hack.js');

export interface ServeChild {
  child: ChildProcess;
  url: string;
}

/** Resolves with the URL the server prints once it listens; rejects if it exits or is silent for `timeoutMs`. */
export async function startServe(args: string[], options: { cwd?: string; timeoutMs?: number } = {}): Promise<ServeChild> {
  const child = spawn(process.execPath, [bin, 'serve', '--port', '0', ...args], {
    ...(options.cwd ? { cwd: options.cwd } : {}),
    env: { PATH: process.env.PATH, HOME: process.env.HOME, CI: 'true', FORCE_COLOR: '0' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start: ${err}`)), options.timeoutMs ?? 30_000);
    child.stderr?.on('data', (c: Buffer) => {
      err += c.toString('utf8');
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(err);
      if (m?.[1]) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.on('exit', (code) => reject(new Error(`serve exited ${code}: ${err}`)));
  });
  return { child, url };
}
