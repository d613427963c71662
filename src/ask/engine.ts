/**
 * The retrieval engine: a minisearch (BM25, prefix and fuzzy matching, field boosts) index over
 * the store's entities, saved scorecards and a docs folder, persisted next to the store and
 * refreshed incrementally (only entities, scorecards and files that changed are re-indexed).
 * With an embedder, search is hybrid: lexical and cosine rankings fused by reciprocal rank.
 */
import fs from 'node:fs';
import path from 'node:path';
import MiniSearch, { type SearchResult } from 'minisearch';
import { UserError, editDistance, errorMessage } from '../core/errors.js';
import { docHash, fileDocs, listDocFiles, storeDocs, type DocKind, type IndexDoc } from './corpus.js';
import type { Scorecard } from './scorecards.js';
import { SYNONYMS, processTerm, queryTerms, stem } from './text.js';

/** 2: documents carry `prose` (what snippets and quotes show). An index of another version is rebuilt. */
export const INDEX_VERSION = 2;

export interface Embedder {
  model: string;
  embed(texts: string[]): Promise<number[][]>;
}

interface Persisted {
  version: number;
  docsRoot: string | null;
  hashes: Record<string, string>;
  files: Record<string, { mtimeMs: number; size: number; ids: string[] }>;
  embedModel: string | null;
  vectors: Record<string, { hash: string; v: number[] }>;
  index: unknown;
}

export interface Hit {
  id: string;
  kind: DocKind;
  name: string;
  title: string;
  path: string;
  score: number;
  /** Query terms (after synonyms) this document matched. */
  matched: string[];
  /** The document's terms that matched them (exactly, by prefix or fuzzily). */
  docTerms: string[];
  doc: IndexDoc;
}

export interface RefreshStats {
  added: number;
  removed: number;
  unchanged: number;
  files: number;
  skipped: string[];
  /** Documents embedded in this refresh (hybrid search). */
  embedded: number;
  ms: number;
  loaded: boolean;
}

const FIELDS = ['name', 'title', 'text', 'tags'];
const STORED = ['kind', 'name', 'title', 'text', 'tags', 'path', 'file', 'heading', 'lines', 'prose'];

function options() {
  return {
    idField: 'id',
    fields: FIELDS,
    storeFields: STORED,
    processTerm: (term: string) => processTerm(term) ?? null,
    searchOptions: {
      boost: { name: 3, title: 2, tags: 1.5, text: 1 },
      prefix: (term: string) => term.length > 3,
      fuzzy: (term: string) => (term.length > 4 ? 0.25 : false),
      combineWith: 'OR' as const,
    },
  };
}

/** Where the index of a store is kept: next to it, <store>.ask-index.json. */
export function indexPathFor(db: string): string {
  const dir = path.dirname(db);
  const base = path.basename(db).replace(/\.[^.]+$/, '');
  return path.join(dir, `${base}.ask-index.json`);
}

export interface BuildInput {
  /** Docs from the store (entities and scorecard summaries). */
  storeDocs: IndexDoc[];
  scorecards: Scorecard[];
  /** Absolute docs folder; null drops the docs; undefined keeps what the index holds without re-reading it. */
  docsRoot: string | null | undefined;
}

export class AskIndex {
  private constructor(
    private mini: MiniSearch<IndexDoc>,
    private state: Omit<Persisted, 'index'>,
    readonly scorecards: Scorecard[],
    private readonly embedder: Embedder | null,
  ) {}

  static empty(scorecards: Scorecard[] = [], embedder: Embedder | null = null): AskIndex {
    return new AskIndex(new MiniSearch<IndexDoc>(options()), { version: INDEX_VERSION, docsRoot: null, hashes: {}, files: {}, embedModel: embedder?.model ?? null, vectors: {} }, scorecards, embedder);
  }

  /** Loads the persisted index at `file` when it is readable and of this version, else an empty one. */
  static load(file: string | null, scorecards: Scorecard[], embedder: Embedder | null): { index: AskIndex; loaded: boolean } {
    if (file && fs.existsSync(file)) {
      try {
        const raw = JSON.parse(fs.readFileSync(file, 'utf8')) as Persisted;
        if (raw.version === INDEX_VERSION) {
          const mini = MiniSearch.loadJS<IndexDoc>(raw.index as Parameters<typeof MiniSearch.loadJS>[0], options());
          const { index: _i, ...state } = raw;
          if ((embedder?.model ?? null) !== state.embedModel) state.vectors = {};
          state.embedModel = embedder?.model ?? null;
          return { index: new AskIndex(mini, state, scorecards, embedder), loaded: true };
        }
      } catch {
        // a broken index file is rebuilt
      }
    }
    return { index: AskIndex.empty(scorecards, embedder), loaded: false };
  }

  get size(): number {
    return this.mini.documentCount;
  }

  get docsRoot(): string | null {
    return this.state.docsRoot;
  }

  private put(doc: IndexDoc): void {
    if (this.mini.has(doc.id)) this.mini.discard(doc.id);
    this.mini.add(doc);
    this.state.hashes[doc.id] = docHash(doc);
  }

  private remove(id: string): void {
    if (this.mini.has(id)) this.mini.discard(id);
    delete this.state.hashes[id];
    delete this.state.vectors[id];
  }

  /** Brings the index up to date with the store's docs and the docs folder. */
  async refresh(input: BuildInput, started = Date.now()): Promise<RefreshStats> {
    const stats: RefreshStats = { added: 0, removed: 0, unchanged: 0, files: 0, skipped: [], embedded: 0, ms: 0, loaded: false };
    const seen = new Set<string>();
    for (const doc of input.storeDocs) {
      seen.add(doc.id);
      if (this.state.hashes[doc.id] === docHash(doc) && this.mini.has(doc.id)) {
        stats.unchanged += 1;
        continue;
      }
      this.put(doc);
      stats.added += 1;
    }
    for (const id of Object.keys(this.state.hashes)) {
      if (!id.startsWith('docs/') && !seen.has(id)) {
        this.remove(id);
        stats.removed += 1;
      }
    }
    // Docs: a new root replaces every doc chunk; a file is re-read only when its size or mtime changed.
    if (input.docsRoot !== undefined && input.docsRoot !== this.state.docsRoot) {
      for (const rel of Object.keys(this.state.files)) for (const id of this.state.files[rel]?.ids ?? []) this.remove(id);
      stats.removed += Object.values(this.state.files).reduce((n, f) => n + f.ids.length, 0);
      this.state.files = {};
      this.state.docsRoot = input.docsRoot;
    }
    if (input.docsRoot) {
      const { files, skipped } = listDocFiles(input.docsRoot);
      stats.skipped = skipped;
      stats.files = files.length;
      const present = new Set(files.map((f) => f.rel));
      for (const rel of Object.keys(this.state.files)) {
        if (present.has(rel)) continue;
        for (const id of this.state.files[rel]?.ids ?? []) this.remove(id);
        delete this.state.files[rel];
        stats.removed += 1;
      }
      for (const f of files) {
        const known = this.state.files[f.rel];
        if (known && known.mtimeMs === f.mtimeMs && known.size === f.size) {
          stats.unchanged += known.ids.length;
          continue;
        }
        for (const id of known?.ids ?? []) this.remove(id);
        let content: string;
        try {
          content = fs.readFileSync(f.abs, 'utf8');
        } catch (error) {
          stats.skipped.push(`${f.rel} (${errorMessage(error)})`);
          continue;
        }
        const docs = fileDocs(f, content);
        for (const d of docs) this.put(d);
        this.state.files[f.rel] = { mtimeMs: f.mtimeMs, size: f.size, ids: docs.map((d) => d.id) };
        stats.added += docs.length;
      }
    }
    if (this.embedder) stats.embedded = await this.embedMissing();
    stats.ms = Date.now() - started;
    return stats;
  }

  private async embedMissing(): Promise<number> {
    const embedder = this.embedder as Embedder;
    const todo: { id: string; hash: string; text: string }[] = [];
    for (const [id, hash] of Object.entries(this.state.hashes)) {
      if (this.state.vectors[id]?.hash === hash) continue;
      const doc = this.doc(id);
      if (doc) todo.push({ id, hash, text: `${doc.name}\n${doc.title}\n${doc.text}`.slice(0, 4000) });
    }
    for (let i = 0; i < todo.length; i += 64) {
      const batch = todo.slice(i, i + 64);
      const vectors = await embedder.embed(batch.map((b) => b.text));
      if (vectors.length !== batch.length) throw new UserError(`the embeddings endpoint returned ${vectors.length} vectors for ${batch.length} inputs`, { hint: 'check the embeddings model', code: 'EMBEDDINGS_INVALID' });
      batch.forEach((b, k) => {
        this.state.vectors[b.id] = { hash: b.hash, v: normalize(vectors[k]) };
      });
    }
    return todo.length;
  }

  save(file: string): void {
    const data: Persisted = { ...this.state, index: this.mini.toJSON() };
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(data));
    fs.renameSync(tmp, file);
  }

  doc(id: string): IndexDoc | undefined {
    const stored = this.mini.getStoredFields(id) as Omit<IndexDoc, 'id'> | undefined;
    return stored ? ({ id, ...stored }) : undefined;
  }

  /** Lexical search (with synonyms); hybrid when an embedder is configured. */
  async search(query: string, opts: { kinds?: readonly DocKind[]; limit?: number } = {}): Promise<Hit[]> {
    const limit = opts.limit ?? 10;
    const lexical = this.lexical(query, opts.kinds, Math.max(limit, 50));
    if (!this.embedder || Object.keys(this.state.vectors).length === 0) return lexical.slice(0, limit);
    const [qv] = await this.embedder.embed([query]);
    if (!qv) return lexical.slice(0, limit);
    const q = normalize(qv);
    const kinds = opts.kinds ? new Set(opts.kinds) : null;
    const dense: { id: string; score: number }[] = [];
    for (const [id, { v }] of Object.entries(this.state.vectors)) {
      const doc = this.doc(id);
      if (!doc || (kinds && !kinds.has(doc.kind))) continue;
      dense.push({ id, score: dot(q, v) });
    }
    dense.sort((a, b) => b.score - a.score);
    const fused = new Map<string, number>();
    lexical.forEach((h, i) => fused.set(h.id, (fused.get(h.id) ?? 0) + 1 / (60 + i)));
    dense.slice(0, 50).forEach((h, i) => fused.set(h.id, (fused.get(h.id) ?? 0) + 1 / (60 + i)));
    const byId = new Map(lexical.map((h) => [h.id, h]));
    return [...fused]
      .sort((a, b) => b[1] - a[1])
      .slice(0, limit)
      .map(([id, score]) => {
        const known = byId.get(id);
        const doc = this.doc(id) as IndexDoc;
        return known ? { ...known, score } : { id, kind: doc.kind, name: doc.name, title: doc.title, path: doc.path, score, matched: [], docTerms: [], doc };
      });
  }

  lexical(query: string, kinds: readonly DocKind[] | undefined, limit: number): Hit[] {
    const { terms } = queryTerms(query);
    if (terms.length === 0) return [];
    const allowed = kinds ? new Set(kinds) : null;
    const results: SearchResult[] = this.mini.search(terms.join(' '), allowed ? { filter: (r) => allowed.has(r.kind as DocKind) } : {});
    return results.slice(0, limit).map((r) => {
      const doc = { id: String(r.id), ...(r as unknown as Omit<IndexDoc, 'id'>) };
      return { id: doc.id, kind: doc.kind, name: doc.name, title: doc.title, path: doc.path, score: r.score, matched: r.queryTerms, docTerms: r.terms, doc };
    });
  }
}

/** Unit length; anything non-numeric or non-finite a server sends counts as 0, and vectors are capped at 8192 dims. */
function normalize(v: unknown): number[] {
  const xs = (Array.isArray(v) ? v.slice(0, 8192) : []).map((x) => (typeof x === 'number' && Number.isFinite(x) ? x : 0));
  const n = Math.sqrt(xs.reduce((s, x) => s + x * x, 0)) || 1;
  return xs.map((x) => x / n);
}

function dot(a: number[], b: number[]): number {
  let s = 0;
  for (let i = 0; i < Math.min(a.length, b.length); i += 1) s += (a[i] as number) * (b[i] as number);
  return s;
}

/**
 * How much of a question a hit supports: the share of the question's content words (or a synonym
 * of one) that the document contains, exactly or as a prefix; a fuzzy match counts only for long
 * words (a typo in "experimnet"), so "france" is not supported by "finance".
 */
export function support(hit: Pick<Hit, 'docTerms'>, question: string): number {
  const { content } = queryTerms(question);
  if (content.length === 0) return 0;
  const terms = hit.docTerms.map((t) => stem(t));
  const meets = (f: string): boolean => terms.some((m) => m === f || (f.length >= 4 && m.startsWith(f)) || (f.length >= 8 && editDistance(m, f) <= 1));
  let n = 0;
  for (const c of content) {
    const forms = [stem(c), ...(SYNONYMS[c] ?? []).map(stem)];
    if (forms.some(meets)) n += 1;
  }
  return n / content.length;
}

export { storeDocs };
