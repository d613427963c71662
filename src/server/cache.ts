/**
 * The Sigma cache: every entity in memory, indexed by kind+id, kind+name, kind+type and kind+tag,
 * so gets and listings need no round trip to the store. It is only changed after the store has
 * committed (write-through, see writer.ts), and rebuilt from the store on start.
 */
import { matches, nameOf, tagsOf, typeOf, type Entity, type Kind, type ListQuery } from './entities.js';

const key = (kind: Kind, v: string) => `${kind}\u0000${v}`;

export class SigmaCache {
  private readonly byId = new Map<string, Entity>();
  private readonly byName = new Map<string, string>();
  private readonly byType = new Map<string, Set<string>>();
  private readonly byTag = new Map<string, Set<string>>();
  /** Entities of a kind in creation order; rebuilt lazily after a change of that kind. */
  private readonly ordered = new Map<Kind, Entity[]>();

  constructor(entities: Iterable<Entity> = []) {
    for (const e of entities) this.put(e);
  }

  get size(): number {
    return this.byId.size;
  }

  /** By id, else by name. */
  get(kind: Kind, idOrName: string): Entity | undefined {
    const e = this.byId.get(key(kind, idOrName));
    if (e) return e;
    const id = this.byName.get(key(kind, idOrName));
    return id === undefined ? undefined : this.byId.get(key(kind, id));
  }

  put(e: Entity): void {
    this.remove(e.kind, e.id);
    this.byId.set(key(e.kind, e.id), e);
    this.byName.set(key(e.kind, nameOf(e)), e.id);
    const type = typeOf(e.kind, e.body);
    if (type !== null) add(this.byType, key(e.kind, type), e.id);
    for (const t of tagsOf(e.body)) add(this.byTag, key(e.kind, t), e.id);
    this.ordered.delete(e.kind);
  }

  remove(kind: Kind, id: string): void {
    const old = this.byId.get(key(kind, id));
    if (!old) return;
    this.byId.delete(key(kind, id));
    const nameKey = key(kind, nameOf(old));
    if (this.byName.get(nameKey) === id) this.byName.delete(nameKey);
    const type = typeOf(kind, old.body);
    if (type !== null) this.byType.get(key(kind, type))?.delete(id);
    for (const t of tagsOf(old.body)) this.byTag.get(key(kind, t))?.delete(id);
    this.ordered.delete(kind);
  }

  all(kind: Kind): Entity[] {
    let list = this.ordered.get(kind);
    if (!list) {
      list = [...this.byId.values()].filter((e) => e.kind === kind).sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1));
      this.ordered.set(kind, list);
    }
    return list;
  }

  /** One page of a listing: the smallest index (type or a tag) narrows the candidates, the rest are filtered. */
  list(kind: Kind, q: ListQuery): { items: Entity[]; total: number } {
    const all = this.all(kind);
    const narrowing: Set<string>[] = [];
    if (q.type !== undefined) narrowing.push(this.byType.get(key(kind, q.type)) ?? new Set());
    for (const t of (q.tags ?? '').split(',').map((s) => s.trim()).filter(Boolean)) narrowing.push(this.byTag.get(key(kind, t)) ?? new Set());
    const unfiltered = q.type === undefined && q.tags === undefined && q.status === undefined && q.search === undefined;
    let rows: Entity[];
    if (unfiltered) rows = all;
    else if (narrowing.length > 0) {
      const smallest = narrowing.reduce((a, b) => (b.size < a.size ? b : a));
      rows = all.filter((e) => smallest.has(e.id) && matches(e, q));
    } else rows = all.filter((e) => matches(e, q));
    const start = (q.page - 1) * q.limit;
    return { items: rows.slice(start, start + q.limit), total: rows.length };
  }
}

function add(map: Map<string, Set<string>>, k: string, id: string): void {
  let set = map.get(k);
  if (!set) map.set(k, (set = new Set()));
  set.add(id);
}
