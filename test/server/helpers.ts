/** A real `serve` in-process on 127.0.0.1 over a temp store, and a small fetch client for it. */
import path from 'node:path';
import { Store } from '../../src/store/store.js';
import { createKey } from '../../src/server/keys.js';
import { startServer, type RunningServer } from '../../src/server/server.js';
import { tmpDir } from '../support/tmp.js';

export interface Served {
  server: RunningServer;
  store: Store;
  db: string;
  dir: string;
  write: string;
  read: string;
  call(method: string, p: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; json: any; headers: Headers }>;
  stop(): Promise<void>;
}

export async function serve(opts: { cache?: boolean; db?: string; bodyLimit?: number; deliverEveryMs?: number } = {}): Promise<Served> {
  const dir = tmpDir('sh-serve-');
  const db = opts.db ?? path.join(dir, 'project.duckdb');
  let store = await Store.open(db, { create: true });
  const write = (await createKey(store, 'write', 'test')).key;
  const read = (await createKey(store, 'read', 'test')).key;
  let server = await startServer(store, {
    host: '127.0.0.1',
    port: 0,
    cache: opts.cache ?? true,
    ...(opts.bodyLimit ? { bodyLimit: opts.bodyLimit } : {}),
    ...(opts.deliverEveryMs ? { deliverEveryMs: opts.deliverEveryMs } : {}),
  });
  const served: Served = {
    get server() {
      return server;
    },
    get store() {
      return store;
    },
    db,
    dir,
    write,
    read,
    async call(method, p, body, headers = {}) {
      const res = await fetch(`${server.url}${p}`, {
        method,
        headers: { 'STATSIG-API-KEY': write, ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
        ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
      });
      const text = await res.text();
      return { status: res.status, json: text ? JSON.parse(text) : null, headers: res.headers };
    },
    async stop() {
      await server.close();
      store.close();
    },
  };
  // restart support: stop, reopen the same store
  (served as Served & { restart(cache?: boolean): Promise<void> }).restart = async (cache = true) => {
    await server.close();
    store.close();
    store = await Store.open(db);
    server = await startServer(store, { host: '127.0.0.1', port: 0, cache });
  };
  return served;
}

export type Restartable = Served & { restart(cache?: boolean): Promise<void> };
