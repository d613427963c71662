/**
 * What the index holds: one document per store entity (gates, experiments, dynamic configs,
 * metrics, layers, segments), one per experiment's saved scorecards, and one per chunk of each
 * file in a docs folder. Everything read here is data: control characters are stripped and sizes
 * are capped before anything is indexed.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ENTITY_KINDS, type EntityKind } from '../store/schema.js';
import type { Store } from '../store/store.js';
import { formatOf, splitDocument } from './docs.js';
import type { Scorecard } from './scorecards.js';
import { fnv1a, stripControl } from './text.js';
import { pct } from '../ui/format.js';

export type DocKind = 'gate' | 'experiment' | 'dynamic_config' | 'metric' | 'layer' | 'segment' | 'scorecard' | 'doc';

export const KIND_OF_TABLE: Record<EntityKind, DocKind> = {
  gates: 'gate',
  experiments: 'experiment',
  dynamic_configs: 'dynamic_config',
  metrics: 'metric',
  layers: 'layer',
  segments: 'segment',
};

export const TABLE_OF_KIND = Object.fromEntries(Object.entries(KIND_OF_TABLE).map(([t, k]) => [k, t])) as Record<Exclude<DocKind, 'scorecard' | 'doc'>, EntityKind>;

export interface IndexDoc {
  id: string;
  kind: DocKind;
  name: string;
  title: string;
  text: string;
  tags: string;
  /** Console-style path (/experiments/<name>) or, for docs, <file>#L<start>-L<end>. */
  path: string;
  file?: string;
  heading?: string;
  lines?: [number, number];
  /**
   * What a person reads for this document (search snippets, chat quotes): the description and
   * a few plain sentences built from the spec, or a scorecard's results in words. `text` is what
   * retrieval matches (every string of the spec, synonyms such as "raised up"); docs have none,
   * their text is already the user's own words.
   */
  prose?: string;
}

/** Caps that keep a hostile store or docs folder from blowing up the index. */
export const LIMITS = { textChars: 8000, fileBytes: 2 * 1024 * 1024, files: 20_000 };

function cap(text: string, max = LIMITS.textChars): string {
  const t = stripControl(text);
  return t.length > max ? t.slice(0, max) : t;
}

/** Every string in a JSON value (depth-first, keys skipped), for the entity's searchable text. */
function strings(value: unknown, out: string[], depth = 0): void {
  if (depth > 8 || out.length > 400) return;
  if (typeof value === 'string') out.push(value);
  else if (typeof value === 'number' || typeof value === 'boolean') return;
  else if (Array.isArray(value)) for (const v of value) strings(v, out, depth + 1);
  else if (value && typeof value === 'object') for (const v of Object.values(value)) strings(v, out, depth + 1);
}

export function docHash(doc: IndexDoc): string {
  return fnv1a(`${doc.kind}\u0001${doc.name}\u0001${doc.title}\u0001${doc.text}\u0001${doc.tags}\u0001${doc.path}\u0001${doc.prose ?? ''}`);
}

/** The names in a list of strings or of objects with a name ("groups", "rules", "metricEvents"). */
function namesOf(value: unknown, max = 12): string[] {
  if (!Array.isArray(value)) return [];
  const out: string[] = [];
  for (const v of value.slice(0, max)) {
    const name = typeof v === 'string' ? v : v && typeof v === 'object' && typeof (v as { name?: unknown }).name === 'string' ? (v as { name: string }).name : '';
    if (name.trim()) out.push(name.trim());
  }
  return out;
}

const sentence = (t: string): string => (/[.!?]$/.test(t) ? t : `${t}.`);

/** An entity in plain sentences: its description, then what its spec says (groups, metrics, rules, parameters). */
export function entityProse(kind: DocKind, spec: Record<string, unknown>): string {
  const str = (k: string): string | null => (typeof spec[k] === 'string' && spec[k].trim() ? spec[k].trim() : null);
  const out: string[] = [];
  const description = str('description');
  if (description) out.push(sentence(description));
  const hypothesis = str('hypothesis');
  if (hypothesis) out.push(`Hypothesis: ${sentence(hypothesis)}`);
  if (kind === 'metric') {
    const type = str('type');
    const events = namesOf(spec.metricEvents);
    const steps = namesOf(spec.funnelEventList);
    const direction = str('directionality');
    const what = steps.length > 1 ? ` of the steps ${steps.join(' → ')}` : events.length > 0 ? ` of ${events.join(', ')} events` : '';
    if (type) out.push(`A ${type} metric${what}${direction ? `; ${direction === 'decrease' ? 'lower' : 'higher'} is better` : ''}.`);
  }
  const groups = namesOf(spec.groups);
  if (groups.length > 0) out.push(`Groups: ${groups.join(', ')}${str('controlGroupID') ? ` (control: ${str('controlGroupID')})` : ''}.`);
  const primary = namesOf(spec.primaryMetrics);
  if (primary.length > 0) out.push(`Primary metrics: ${primary.join(', ')}.`);
  const secondary = namesOf(spec.secondaryMetrics);
  if (secondary.length > 0) out.push(`Secondary metrics: ${secondary.join(', ')}.`);
  const layer = str('layerID');
  if (layer) out.push(`Layer: ${layer}.`);
  const rules = namesOf(spec.rules);
  if (rules.length > 0) out.push(`Rules: ${rules.join(', ')}.`);
  const parameters = namesOf(spec.parameters);
  if (parameters.length > 0) out.push(`Parameters: ${parameters.join(', ')}.`);
  return cap(out.join(' '));
}

export type EntityRow = {
  kind: string;
  name: string;
  type: string | null;
  status: string | null;
  spec: unknown;
};

export function entityDoc(row: EntityRow): IndexDoc | null {
  if (!(ENTITY_KINDS as readonly string[]).includes(row.kind)) return null;
  const kind = KIND_OF_TABLE[row.kind as EntityKind];
  let spec: Record<string, unknown> = {};
  try {
    const parsed = typeof row.spec === 'string' ? (JSON.parse(row.spec) as unknown) : row.spec;
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) spec = parsed as Record<string, unknown>;
  } catch {
    spec = {};
  }
  const name = cap(String(row.name), 200);
  const description = typeof spec.description === 'string' ? spec.description : '';
  const { name: _n, description: _d, tags, ...rest } = spec;
  const body: string[] = [];
  strings(rest, body);
  const tagList: string[] = [];
  strings(tags, tagList);
  return {
    id: `${row.kind}/${name}`,
    kind,
    name,
    title: cap(description, 500),
    text: cap(body.join(' . ')),
    tags: cap([...tagList, row.type ?? '', row.status ?? '', kind.replace('_', ' ')].join(' '), 500),
    path: `/${row.kind}/${name}`,
    prose: entityProse(kind, spec),
  };
}

/** Plain-language words for a scorecard row, so "which experiments moved revenue" finds it. */
export function scorecardWords(s: Scorecard): string {
  const dir = s.estimate === null || s.estimate === 0 ? 'no change' : s.estimate > 0 ? 'increased raised up' : 'decreased lowered down';
  const sig = s.significant ? 'significant' : 'not significant';
  return `${s.metric} ${s.variant} ${dir} ${sig} ${s.decision}`;
}

/** A scorecard row in words, as the user reads results elsewhere: "revenue (Test vs Control): -4.7%, not significant." */
export function scorecardProse(s: Scorecard): string {
  return `${s.metric} (${s.variant} vs ${s.control ?? 'control'}): ${pct(s.rel_lift)}, ${s.significant ? 'significant' : 'not significant'}${s.decision !== 'neutral' ? ` (${s.decision})` : ''}.`;
}

export function scorecardDocs(cards: readonly Scorecard[]): IndexDoc[] {
  const byExp = new Map<string, Scorecard[]>();
  for (const c of cards) byExp.set(c.experiment, [...(byExp.get(c.experiment) ?? []), c]);
  return [...byExp].map(([experiment, rows]) => ({
    id: `scorecards/${experiment}`,
    kind: 'scorecard' as const,
    name: cap(experiment, 200),
    title: `results of ${experiment}`,
    text: cap(rows.map(scorecardWords).join(' . ')),
    tags: 'results scorecard outcome',
    path: `/experiments/${experiment}/results`,
    prose: cap(rows.map(scorecardProse).join(' ')),
  }));
}

export async function storeDocs(store: Store, cards: readonly Scorecard[]): Promise<IndexDoc[]> {
  const rows = await store.all<EntityRow>('SELECT kind, name, type, status, CAST(spec AS VARCHAR) AS spec FROM entities ORDER BY kind, name');
  const docs = rows.map(entityDoc).filter((d): d is IndexDoc => d !== null);
  return [...docs, ...scorecardDocs(cards)];
}

export interface DocFile {
  /** Path relative to the docs root, with forward slashes. */
  rel: string;
  abs: string;
  mtimeMs: number;
  size: number;
}

/** The indexable files under a docs folder: no symlinks followed, no dot folders, capped in size and number. */
export function listDocFiles(root: string): { files: DocFile[]; skipped: string[] } {
  const files: DocFile[] = [];
  const skipped: string[] = [];
  const walk = (dir: string): void => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      if (e.name.startsWith('.') || e.name === 'node_modules') continue;
      const abs = path.join(dir, e.name);
      if (e.isDirectory()) walk(abs);
      else if (e.isFile() && formatOf(e.name)) {
        if (files.length >= LIMITS.files) {
          skipped.push(`${path.relative(root, abs)} (more than ${LIMITS.files} files)`);
          continue;
        }
        const st = fs.statSync(abs);
        const rel = path.relative(root, abs).split(path.sep).join('/');
        if (st.size > LIMITS.fileBytes) skipped.push(`${rel} (larger than ${LIMITS.fileBytes} bytes)`);
        else files.push({ rel, abs, mtimeMs: st.mtimeMs, size: st.size });
      }
    }
  };
  walk(root);
  return { files, skipped };
}

export function fileDocs(file: DocFile, content: string): IndexDoc[] {
  const format = formatOf(file.rel);
  if (!format) return [];
  const title = file.rel.split('/').pop() ?? file.rel;
  return splitDocument(content, format, title).map((c, i) => ({
    id: `docs/${file.rel}#${i}`,
    kind: 'doc' as const,
    name: file.rel,
    title: cap(c.trail.join(' > '), 500),
    text: cap(c.text),
    tags: 'docs',
    path: `${file.rel}#L${c.startLine}-L${c.endLine}`,
    file: file.rel,
    heading: cap(c.heading, 300),
    lines: [c.startLine, c.endLine] as [number, number],
  }));
}
