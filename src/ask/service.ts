/**
 * Opens the ask index of a project store: reads the entities and scorecards (read-only), loads
 * the persisted index next to the store, refreshes what changed and saves it back.
 */
import fs from 'node:fs';
import path from 'node:path';
import { UserError } from '../core/errors.js';
import { Store } from '../store/store.js';
import { storeDocs } from './corpus.js';
import { AskIndex, indexPathFor, type Embedder, type RefreshStats } from './engine.js';
import { loadScorecards, type Scorecard } from './scorecards.js';

export interface OpenIndexOptions {
  db: string;
  cwd: string;
  /** A docs folder (relative to cwd), or null. */
  docs?: string | null;
  embedder?: Embedder | null;
  /** Write the refreshed index next to the store (default true). */
  persist?: boolean;
}

export interface ProjectFacts {
  /** Metric entities: name -> description and directionality. */
  metrics: { name: string; description: string; direction: 'increase' | 'decrease' }[];
  experiments: string[];
}

export interface OpenedIndex {
  index: AskIndex;
  scorecards: Scorecard[];
  facts: ProjectFacts;
  stats: RefreshStats;
  indexFile: string;
}

export function resolveDocsRoot(cwd: string, docs: string | null | undefined): string | null {
  if (!docs) return null;
  const root = path.resolve(cwd, docs);
  let st: fs.Stats;
  try {
    st = fs.statSync(root);
  } catch {
    throw new UserError(`--docs ${docs}: no such folder`, { hint: 'pass a folder of Markdown, HTML or text files, e.g. --docs ./docs', code: 'DOCS_MISSING', exitCode: 2 });
  }
  if (!st.isDirectory()) throw new UserError(`--docs ${docs} is not a folder`, { hint: 'pass a folder of Markdown, HTML or text files, e.g. --docs ./docs', code: 'DOCS_MISSING', exitCode: 2 });
  return fs.realpathSync(root);
}

export async function openIndex(opts: OpenIndexOptions): Promise<OpenedIndex> {
  const started = Date.now();
  const store = await Store.open(opts.db, { readOnly: true });
  try {
    return await indexFromStore(store, opts, started);
  } finally {
    store.close();
  }
}

/** The same as openIndex, on a store the caller holds open (the demo). */
export async function indexFromStore(store: Store, opts: OpenIndexOptions, started = Date.now()): Promise<OpenedIndex> {
  // Without --docs the index keeps the docs folder it last read (chat --docs, then search finds them too).
  const docsRoot = opts.docs ? resolveDocsRoot(opts.cwd, opts.docs) : undefined;
  const scorecards = await loadScorecards(store);
  const docs = await storeDocs(store, scorecards);
  const metricRows = await store.all<{ name: string; spec: string }>("SELECT name, CAST(spec AS VARCHAR) AS spec FROM entities WHERE kind = 'metrics' ORDER BY name");
  const expRows = await store.all<{ name: string }>("SELECT name FROM entities WHERE kind = 'experiments' ORDER BY name");
  const facts: ProjectFacts = {
    metrics: metricRows.map((r) => {
      let spec: { description?: unknown; directionality?: unknown } = {};
      try {
        spec = JSON.parse(r.spec) as typeof spec;
      } catch {
        spec = {};
      }
      return { name: r.name, description: typeof spec.description === 'string' ? spec.description : '', direction: spec.directionality === 'decrease' ? 'decrease' : 'increase' };
    }),
    experiments: expRows.map((r) => r.name),
  };
  const indexFile = indexPathFor(opts.db);
  const { index, loaded } = AskIndex.load(indexFile, scorecards, opts.embedder ?? null);
  const stats = await index.refresh({ storeDocs: docs, scorecards, docsRoot }, started);
  stats.loaded = loaded;
  if ((opts.persist ?? true) && (!loaded || stats.added > 0 || stats.removed > 0 || stats.embedded > 0)) {
    try {
      index.save(indexFile);
    } catch {
      // a read-only folder only costs the next run a rebuild
    }
  }
  return { index, scorecards, facts, stats, indexFile };
}
