/**
 * A fake Statsig Console API on 127.0.0.1 for push tests: lists entities (paginated), creates
 * them after checking the body against seed's create-body schemas, records every request.
 * Like the real API, an experiment's groups get server-assigned ids on create (returned in the
 * reply), and PATCH /experiments/<id> accepts controlGroupID only as one of those ids.
 * `rateLimit` answers the first N requests 429 with a Retry-After header.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { CREATE_BODY_SCHEMAS, type PushKind } from '../../src/ai/seed/schema.js';

export interface ConsoleRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: any;
  /** Schema problems of a create body (empty when valid). */
  problems: string[];
}

export interface ConsoleServer {
  url: string;
  requests: ConsoleRequest[];
  /** Entities by kind (pre-existing plus created). */
  entities: Map<string, string[]>;
  /** Created experiments: their body, group ids by name, and the controlGroupID set by PATCH. */
  experiments: Map<string, { body: any; groupIds: Record<string, string>; controlGroupID: string | null }>;
  close(): Promise<void>;
}

export interface ConsoleServerOptions {
  existing?: Partial<Record<PushKind, string[]>>;
  /** Required STATSIG-API-KEY (401 otherwise). */
  apiKey?: string;
  /** Reply 400 to creating this entity name. */
  failOn?: string;
  /** Reply a proxy's HTML 502 page to creating this entity name. */
  htmlErrorOn?: string;
  pageSize?: number;
  /** Answer the first `count` requests (of `methods`, default all) 429 with `Retry-After: retryAfter` (omitted when null). */
  rateLimit?: { count: number; retryAfter: string | null; methods?: string[]; status?: number };
}

export async function startConsoleServer(opts: ConsoleServerOptions = {}): Promise<ConsoleServer> {
  const entities = new Map<string, string[]>();
  for (const [k, v] of Object.entries(opts.existing ?? {})) entities.set(k, [...(v ?? [])]);
  const requests: ConsoleRequest[] = [];
  const experiments: ConsoleServer['experiments'] = new Map();
  const pageSize = opts.pageSize ?? 2;
  let limited = 0;
  let groupCounter = 0;
  const server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString('utf8')));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      let body: unknown = null;
      try {
        body = raw ? JSON.parse(raw) : null;
      } catch {
        body = raw;
      }
      const record: ConsoleRequest = { method: req.method ?? '', path: url.pathname + url.search, headers: req.headers, body, problems: [] };
      requests.push(record);
      const send = (status: number, json: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(json));
      };
      if (opts.apiKey && req.headers['statsig-api-key'] !== opts.apiKey) return send(401, { status: 401, message: 'Invalid API key' });
      const rl = opts.rateLimit;
      if (rl && limited < rl.count && (!rl.methods || rl.methods.includes(req.method ?? ''))) {
        limited++;
        const status = rl.status ?? 429;
        res.writeHead(status, { 'content-type': 'application/json', ...(rl.retryAfter !== null ? { 'retry-after': rl.retryAfter } : {}) });
        res.end(JSON.stringify({ status, message: status === 429 ? 'Too many requests' : 'Service unavailable' }));
        return;
      }
      const m = /^\/console\/v1\/([a-z_]+)(?:\/([^/]+))?$/.exec(url.pathname);
      const kind = m?.[1] as PushKind | undefined;
      if (!m || !kind || !(kind in CREATE_BODY_SCHEMAS)) return send(404, { message: 'not found' });
      const list = entities.get(kind) ?? [];
      if (req.method === 'GET' && !m[2]) {
        const page = Number(url.searchParams.get('page') ?? '1');
        const data = list.slice((page - 1) * pageSize, page * pageSize).map((name) => ({ id: name, name }));
        const more = page * pageSize < list.length;
        return send(200, { message: 'ok', data, pagination: { itemsPerPage: pageSize, pageNumber: page, totalItems: list.length, nextPage: more ? page + 1 : null, previousPage: page > 1 ? page - 1 : null } });
      }
      if (req.method === 'POST' && !m[2]) {
        const parsed = CREATE_BODY_SCHEMAS[kind].safeParse(body);
        if (!parsed.success) {
          record.problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
          return send(400, { status: 400, message: record.problems.join('; ') });
        }
        const name = (body as { name: string }).name;
        if (name === opts.failOn) return send(400, { status: 400, message: `${name} is not allowed` });
        if (name === opts.htmlErrorOn) {
          res.writeHead(502, { 'content-type': 'text/html' });
          res.end(`<html><head><title>502 Bad Gateway</title></head><body>\n<h1>502 Bad Gateway</h1>\n${'<p>upstream reset</p>\n'.repeat(5000)}</body></html>`);
          return;
        }
        if (list.includes(name)) return send(400, { status: 400, message: `${name} already exists` });
        entities.set(kind, [...list, name]);
        if (kind === 'experiments') {
          const b = body as { groups: { name: string }[] };
          const groupIds = Object.fromEntries(b.groups.map((g) => [g.name, `grp${++groupCounter}x${name.length}`]));
          experiments.set(name, { body, groupIds, controlGroupID: null });
          return send(201, { message: 'Experiment created successfully.', data: { id: name, name, status: (body as { status?: string }).status ?? 'setup', groups: b.groups.map((g) => ({ ...g, id: groupIds[g.name] })) } });
        }
        return send(201, { message: `${kind} created successfully.`, data: { id: name, name } });
      }
      if (req.method === 'PATCH' && kind === 'experiments' && m[2]) {
        const x = experiments.get(decodeURIComponent(m[2]));
        if (!x) return send(404, { message: 'no such experiment' });
        const id = (body as { controlGroupID?: unknown }).controlGroupID;
        if (typeof id !== 'string' || !Object.values(x.groupIds).includes(id)) {
          record.problems = [`controlGroupID ${JSON.stringify(id)} is not the id of one of the experiment's groups`];
          return send(400, { status: 400, message: record.problems[0] });
        }
        x.controlGroupID = id;
        return send(200, { message: 'Experiment updated successfully.', data: { id: m[2] } });
      }
      if (req.method === 'PATCH' && kind === 'layers' && m[2]) {
        if (!list.includes(decodeURIComponent(m[2]))) return send(404, { message: 'no such layer' });
        return send(200, { message: 'Layer updated successfully.', data: { id: m[2] } });
      }
      return send(405, { message: 'method not allowed' });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    entities,
    experiments,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
