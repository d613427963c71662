/**
 * Console API v1 entities as `serve` keeps them: pure logic (schemas, ids, derived index keys,
 * diffs, filters, pages). The bodies are validated with seed's zod schemas (src/ai/seed/schema.ts),
 * the same ones `seed --push` and `push` build their requests from.
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import {
  CREATE_BODY_SCHEMAS,
  DynamicConfigSchema,
  ExperimentGroupSchema,
  ExperimentSchema,
  GateSchema,
  LayerSchema,
  MetricSchema,
  PUSH_ORDER,
  SegmentSchema,
  type PushKind,
} from '../ai/seed/schema.js';

export const KINDS = PUSH_ORDER;
export type Kind = PushKind;

export function isKind(value: string): value is Kind {
  return (KINDS as readonly string[]).includes(value);
}

/**
 * One entity: `id` is its key (the store's `entities.name`), `body` its Console API fields.
 * `updatedAt` (ms, strictly increasing per write) is also its version: the ETag is made of it.
 */
export interface Entity {
  kind: Kind;
  id: string;
  createdAt: number;
  updatedAt: number;
  body: Record<string, unknown>;
}

const GroupWithId = ExperimentGroupSchema.extend({ id: z.string().min(1).optional() }).strict();
const ExperimentFull = ExperimentSchema.extend({ groups: z.array(GroupWithId).min(2) }).strict();

/** Schemas of a full update (POST /<kind>/<id>) and of a partial one (PATCH). */
const FULL_SCHEMAS: Record<Kind, z.ZodObject> = {
  segments: SegmentSchema.strict(),
  gates: GateSchema.strict(),
  dynamic_configs: DynamicConfigSchema.strict(),
  metrics: MetricSchema.strict(),
  layers: LayerSchema.partial({ parameters: true }).strict(),
  experiments: ExperimentFull,
};

export function createSchema(kind: Kind): z.ZodType {
  return CREATE_BODY_SCHEMAS[kind];
}
export function fullSchema(kind: Kind): z.ZodType {
  return FULL_SCHEMAS[kind];
}
export function patchSchema(kind: Kind): z.ZodType {
  return FULL_SCHEMAS[kind].partial();
}

/** An entity's display name (its id when the body has none). */
export function nameOf(e: Pick<Entity, 'id' | 'body'>): string {
  return typeof e.body.name === 'string' ? e.body.name : e.id;
}

/** Control characters (newlines included) to blanks: for anything a client sent that is shown. */
export function stripControl(s: string): string {
  return s.replace(/\p{Cc}/gu, ' ');
}

/** The Console API id of a new entity: its name, lower-cased, blanks to underscores. */
export function idFromName(name: string): string {
  return name.trim().toLowerCase().replace(/\s+/g, '_');
}

/** Server-assigned fields of a created entity: experiment group ids, a setup status. */
export function withServerFields(kind: Kind, body: Record<string, unknown>): Record<string, unknown> {
  if (kind !== 'experiments') return body;
  const groups = Array.isArray(body.groups) ? (body.groups as Record<string, unknown>[]) : [];
  return {
    ...body,
    status: typeof body.status === 'string' ? body.status : 'setup',
    groups: groups.map((g) => ({ ...g, id: typeof g.id === 'string' ? g.id : randomBytes(11).toString('base64url') })),
  };
}

/** A problem of a merged experiment that the schema cannot see: controlGroupID names none of its groups. */
export function semanticProblem(kind: Kind, body: Record<string, unknown>): string | null {
  if (kind !== 'experiments' || typeof body.controlGroupID !== 'string') return null;
  const groups = Array.isArray(body.groups) ? (body.groups as { id?: unknown; name?: unknown }[]) : [];
  const ok = groups.some((g) => g.id === body.controlGroupID || g.name === body.controlGroupID);
  return ok ? null : `controlGroupID "${body.controlGroupID}" is not the id of one of the experiment's groups`;
}

export function typeOf(kind: Kind, body: Record<string, unknown>): string | null {
  if (typeof body.type === 'string') return body.type;
  return kind === 'experiments' ? 'experiment' : null;
}

export function statusOf(kind: Kind, body: Record<string, unknown>): string | null {
  if (kind === 'experiments') return typeof body.status === 'string' ? body.status : 'setup';
  if (kind === 'gates' || kind === 'dynamic_configs') return body.isEnabled === false ? 'disabled' : 'enabled';
  return null;
}

export function tagsOf(body: Record<string, unknown>): string[] {
  return Array.isArray(body.tags) ? body.tags.filter((t): t is string => typeof t === 'string') : [];
}

export function etag(e: Pick<Entity, 'id' | 'updatedAt'>): string {
  return `"${e.id}-${e.updatedAt.toString(36)}"`;
}

/** Whether an If-Match header allows writing over `current` (absent or `*` always does). */
export function ifMatchOk(header: string | undefined, current: Entity): boolean {
  if (header === undefined || header.trim() === '*') return true;
  const wanted = etag(current);
  return header.split(',').some((t) => t.trim().replace(/^W\//, '') === wanted);
}

/** The response document of one entity. */
export function toApi(e: Entity): Record<string, unknown> {
  return { id: e.id, ...e.body, createdTime: e.createdAt, lastModifiedTime: e.updatedAt };
}

export interface Change {
  field: string;
  old: unknown;
  new: unknown;
}

/** Field-level differences old -> new: nested objects by dotted path, arrays compared whole. */
export function diff(before: Record<string, unknown> | null, after: Record<string, unknown> | null, prefix = ''): Change[] {
  const out: Change[] = [];
  const keys = new Set([...Object.keys(before ?? {}), ...Object.keys(after ?? {})]);
  for (const k of [...keys].sort()) {
    const a = before?.[k];
    const b = after?.[k];
    const path = prefix ? `${prefix}.${k}` : k;
    if (isPlain(a) && isPlain(b)) out.push(...diff(a, b, path));
    else if (JSON.stringify(a) !== JSON.stringify(b)) out.push({ field: path, old: a ?? null, new: b ?? null });
  }
  return out;
}

function isPlain(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

export const ListQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  page: z.coerce.number().int().min(1).max(1_000_000).default(1),
  type: z.string().max(100).optional(),
  status: z.string().max(100).optional(),
  tags: z.string().max(1000).optional(),
  search: z.string().max(200).optional(),
});
export type ListQuery = z.infer<typeof ListQuerySchema>;

export interface Page {
  data: Record<string, unknown>[];
  pagination: { itemsPerPage: number; pageNumber: number; totalItems: number; nextPage: string | null; previousPage: string | null };
}

export function pageOf(kind: Kind, items: Entity[], total: number, q: ListQuery): Page {
  const last = Math.max(1, Math.ceil(total / q.limit));
  const link = (p: number) => `/console/v1/${kind}?page=${p}&limit=${q.limit}`;
  return {
    data: items.map(toApi),
    pagination: {
      itemsPerPage: q.limit,
      pageNumber: q.page,
      totalItems: total,
      nextPage: q.page < last ? link(q.page + 1) : null,
      previousPage: q.page > 1 ? link(q.page - 1) : null,
    },
  };
}

/** Whether an entity passes a list query's filters (the no-cache path and tests use it too). */
export function matches(e: Entity, q: ListQuery): boolean {
  if (q.type !== undefined && typeOf(e.kind, e.body) !== q.type) return false;
  if (q.status !== undefined && statusOf(e.kind, e.body) !== q.status) return false;
  if (q.tags !== undefined) {
    const tags = tagsOf(e.body);
    if (!q.tags.split(',').every((t) => t.trim() === '' || tags.includes(t.trim()))) return false;
  }
  if (q.search !== undefined && !nameOf(e).toLowerCase().includes(q.search.toLowerCase())) return false;
  return true;
}
