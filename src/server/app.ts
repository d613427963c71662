/**
 * The HTTP side of `serve` (fastify): Console API v1 routes, STATSIG-API-KEY checks (401 / 403),
 * body limits (413), zod issues (400), ETag / If-Match (412) and If-None-Match (304).
 */
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { z } from 'zod';
import { etag, isKind, ListQuerySchema, pageOf, toApi, type Kind } from './entities.js';
import { hashKey, type KeyInfo } from './keys.js';
import { zodProblem, type ConsoleService } from './service.js';
import { ApiError } from './writer.js';

export const DEFAULT_BODY_LIMIT = 256 * 1024;

declare module 'fastify' {
  interface FastifyRequest {
    apiKey: KeyInfo | null;
  }
}

const AuditQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  page: z.coerce.number().int().min(1).default(1),
  kind: z.string().max(100).optional(),
  entity: z.string().max(200).optional(),
});

function kindOf(raw: string): Kind {
  if (!isKind(raw)) throw new ApiError(404, `unknown resource ${raw.slice(0, 60)}`);
  return raw;
}

function ifMatch(req: FastifyRequest): string | undefined {
  const h = req.headers['if-match'];
  return Array.isArray(h) ? h.join(',') : h;
}

function actor(req: FastifyRequest) {
  return { id: req.apiKey?.id ?? 'unknown', source: 'api' };
}

export function buildApp(svc: ConsoleService, opts: { bodyLimit?: number } = {}): FastifyInstance {
  const serialized = new WeakMap<object, string>();
  const app = Fastify({ logger: false, bodyLimit: opts.bodyLimit ?? DEFAULT_BODY_LIMIT });
  app.decorateRequest('apiKey', null);

  app.setErrorHandler((error: unknown, _req, reply) => {
    if (error instanceof ApiError) return reply.code(error.status).send({ status: error.status, message: error.message, ...(error.errors ? { errors: error.errors } : {}) });
    if (error instanceof z.ZodError) {
      const e = zodProblem(error);
      return reply.code(400).send({ status: 400, message: e.message, errors: e.errors });
    }
    const status = (error as { statusCode?: number }).statusCode;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      const message = status === 413 ? `the request body is over the ${opts.bodyLimit ?? DEFAULT_BODY_LIMIT} byte limit` : String((error as Error).message).slice(0, 200);
      return reply.code(status).send({ status, message });
    }
    return reply.code(500).send({ status: 500, message: 'internal error' });
  });
  app.setNotFoundHandler((req, reply) => reply.code(404).send({ status: 404, message: `no route ${req.method} ${req.url.split('?')[0]?.slice(0, 100)}` }));

  app.addHook('onRequest', (req, _reply, done) => {
    const raw = req.headers['statsig-api-key'];
    const key = typeof raw === 'string' ? svc.keys.get(hashKey(raw)) : undefined;
    if (!key) return done(new ApiError(401, raw === undefined ? 'missing STATSIG-API-KEY header' : 'invalid STATSIG-API-KEY'));
    if (req.method !== 'GET' && req.method !== 'HEAD' && key.scope !== 'write') return done(new ApiError(403, `the key ${key.id} is read-only; ${req.method} needs a write key`));
    req.apiKey = key;
    done();
  });

  const sendEntity = (reply: FastifyReply, e: Parameters<typeof toApi>[0], code = 200, message = 'ok') =>
    reply.code(code).header('etag', etag(e)).send({ message, data: toApi(e) });

  app.get('/console/v1/audit_logs', async (req) => {
    const q = AuditQuerySchema.parse(req.query);
    const { items, total } = await svc.audit(q);
    return { message: 'ok', data: items, pagination: { itemsPerPage: q.limit, pageNumber: q.page, totalItems: total, nextPage: q.page * q.limit < total ? `/console/v1/audit_logs?page=${q.page + 1}&limit=${q.limit}` : null } };
  });
  app.get('/console/v1/webhooks', (_req, reply) => reply.send({ message: 'ok', data: svc.webhooks() }));
  app.post('/console/v1/webhooks', async (req, reply) => {
    const hook = await svc.addWebhook(req.body);
    return reply.code(201).send({ message: 'created; the secret is shown once', data: hook });
  });

  app.get<{ Params: { kind: string } }>('/console/v1/:kind', async (req) => {
    const kind = kindOf(req.params.kind);
    const q = ListQuerySchema.parse(req.query);
    const { items, total } = await svc.list(kind, q);
    return { message: 'ok', ...pageOf(kind, items, total, q) };
  });
  app.post<{ Params: { kind: string } }>('/console/v1/:kind', async (req, reply) => {
    const kind = kindOf(req.params.kind);
    return sendEntity(reply, await svc.create(kind, req.body, actor(req)), 201, 'created');
  });
  app.get<{ Params: { kind: string; id: string } }>('/console/v1/:kind/:id', async (req, reply) => {
    const kind = kindOf(req.params.kind);
    const e = await svc.get(kind, req.params.id);
    if (!e) throw new ApiError(404, `no ${kind.replace(/s$/, '')} ${req.params.id.slice(0, 100)}`);
    const tag = etag(e);
    if (req.headers['if-none-match'] === tag) return reply.code(304).header('etag', tag).send();
    // entities are immutable (a write makes a new one): the reply text is made once per version
    let text = serialized.get(e);
    if (text === undefined) serialized.set(e, (text = JSON.stringify({ message: 'ok', data: toApi(e) })));
    return reply.code(200).header('etag', tag).type('application/json; charset=utf-8').send(text);
  });
  app.patch<{ Params: { kind: string; id: string } }>('/console/v1/:kind/:id', async (req, reply) =>
    sendEntity(reply, await svc.update(kindOf(req.params.kind), req.params.id, req.body, actor(req), ifMatch(req), true)),
  );
  app.post<{ Params: { kind: string; id: string } }>('/console/v1/:kind/:id', async (req, reply) =>
    sendEntity(reply, await svc.update(kindOf(req.params.kind), req.params.id, req.body, actor(req), ifMatch(req), false)),
  );
  app.delete<{ Params: { kind: string; id: string } }>('/console/v1/:kind/:id', async (req) => {
    await svc.remove(kindOf(req.params.kind), req.params.id, actor(req), ifMatch(req));
    return { message: 'deleted' };
  });
  for (const to of ['start', 'stop'] as const) {
    const handler = async (req: FastifyRequest<{ Params: { id: string } }>, reply: FastifyReply) => sendEntity(reply, await svc.transition(req.params.id, to, actor(req), ifMatch(req)));
    app.put(`/console/v1/experiments/:id/${to}`, handler);
    app.post(`/console/v1/experiments/:id/${to}`, handler);
  }
  return app;
}
