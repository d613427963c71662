/** Starts `serve`: the service over an open store, the fastify app, the delivery loop. */
import type { Store } from '../store/store.js';
import { buildApp } from './app.js';
import { ConsoleService } from './service.js';

export interface ServeOptions {
  host: string;
  port: number;
  cache: boolean;
  bodyLimit?: number;
  fetch?: typeof globalThis.fetch;
  /** Deliver webhooks every this many ms (default 200). */
  deliverEveryMs?: number;
}

export interface RunningServer {
  url: string;
  service: ConsoleService;
  /** Stops accepting requests, waits for queued writes, stops delivery. The store stays open. */
  close(): Promise<void>;
}

export async function startServer(store: Store, opts: ServeOptions): Promise<RunningServer> {
  const service = await ConsoleService.open(store, { cache: opts.cache, ...(opts.fetch ? { fetch: opts.fetch } : {}) });
  const app = buildApp(service, opts.bodyLimit === undefined ? {} : { bodyLimit: opts.bodyLimit });
  await app.listen({ host: opts.host, port: opts.port });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : opts.port;
  const url = `http://${opts.host.includes(':') ? `[${opts.host}]` : opts.host}:${port}`;
  service.baseUrl = url;
  service.deliverer.start(opts.deliverEveryMs ?? 200);
  return {
    url,
    service,
    async close() {
      await app.close();
      await service.close();
    },
  };
}
