/**
 * The ask golden set: builds the demo project (offline spec, seed 42, scorecards saved) in a
 * folder, indexes it with the fixture docs, and measures recall@3 of the golden questions.
 * Shared by bench/ask.ts (which reports it) and test/ask/golden.test.ts (which enforces a floor).
 */
import fs from 'node:fs';
import path from 'node:path';
import { offlineProjectSpec } from '../src/ai/seed/offline.js';
import { writeSeedProject } from '../src/ai/seed/service.js';
import { DEMO_PROMPT } from '../src/demo/run.js';
import type { Hit } from '../src/ask/engine.js';
import { rankExperiments } from '../src/ask/knowledge.js';
import { saveScorecards } from '../src/ask/scorecards.js';
import { openIndex, type OpenedIndex } from '../src/ask/service.js';
import { analyzeExperiment } from '../src/engines/experiment.js';
import { Store } from '../src/store/store.js';

const root = path.resolve(import.meta.dirname, '..');
export const GOLDEN_FILE = path.join(root, 'test', 'fixtures', 'ask', 'golden.json');
export const DOCS_DIR = path.join(root, 'test', 'fixtures', 'ask', 'docs');

export interface GoldenQuestion {
  kind: 'search' | 'ask' | 'docs';
  q: string;
  expect: string[];
}

export function goldenQuestions(): GoldenQuestion[] {
  return (JSON.parse(fs.readFileSync(GOLDEN_FILE, 'utf8')) as { questions: GoldenQuestion[] }).questions;
}

/** Writes the demo project with saved scorecards into `dir`/.statsig-hack/project.duckdb. */
export async function buildDemoProject(dir: string, users = 2000): Promise<string> {
  const db = path.join(dir, '.statsig-hack', 'project.duckdb');
  const store = await Store.open(db, { create: true });
  try {
    const { spec } = offlineProjectSpec({ prompt: DEMO_PROMPT, domain: 'ecommerce', seed: 42 });
    const summary = await writeSeedProject(store, spec, { seed: 42, users, days: 28, preDays: 14, start: '2026-09-07' }, { prompt: DEMO_PROMPT, source: 'offline', domain: 'ecommerce', theme: null });
    for (const exp of summary.experiments) {
      const res = await analyzeExperiment(store, { experiment: exp.name, metrics: [], ratios: [], covariates: [], preDays: 14, alpha: 0.05, tails: 'two', correction: 'none' });
      await saveScorecards(store, res);
    }
  } finally {
    store.close();
  }
  return db;
}

/** The key a result is judged by: kind:name, or doc:file#heading for a docs chunk. */
export function keyOf(h: Pick<Hit, 'kind' | 'name' | 'doc'>): string {
  if (h.kind === 'doc') return `doc:${h.doc.file ?? h.name}#${h.doc.heading ?? ''}`;
  if (h.kind === 'scorecard') return `experiment:${h.name}`;
  return `${h.kind}:${h.name}`;
}

export async function top3(opened: OpenedIndex, g: GoldenQuestion): Promise<string[]> {
  if (g.kind === 'ask') {
    const { ranked } = await rankExperiments(opened.index, opened.facts, opened.scorecards, g.q, { limit: 3, now: new Date('2026-10-06T00:00:00Z') });
    return ranked.map((e) => `experiment:${e.name}`);
  }
  const hits = await opened.index.search(g.q, { limit: 10 });
  return [...new Set(hits.map(keyOf))].slice(0, 3);
}

export interface GoldenReport {
  questions: number;
  recallAt3: number;
  byKind: Record<string, { questions: number; recallAt3: number }>;
  misses: { q: string; expect: string[]; got: string[] }[];
  msPerQuery: number;
}

export async function evaluateGolden(opened: OpenedIndex, questions = goldenQuestions()): Promise<GoldenReport> {
  let total = 0;
  const byKind: Record<string, { questions: number; sum: number }> = {};
  const misses: GoldenReport['misses'] = [];
  const started = performance.now();
  for (const g of questions) {
    const got = await top3(opened, g);
    const want = g.expect.slice(0, 3);
    const recall = want.filter((e) => got.includes(e)).length / want.length;
    total += recall;
    const k = (byKind[g.kind] ??= { questions: 0, sum: 0 });
    k.questions += 1;
    k.sum += recall;
    if (recall < 1) misses.push({ q: g.q, expect: g.expect, got });
  }
  const ms = (performance.now() - started) / questions.length;
  return {
    questions: questions.length,
    recallAt3: total / questions.length,
    byKind: Object.fromEntries(Object.entries(byKind).map(([k, v]) => [k, { questions: v.questions, recallAt3: v.sum / v.questions }])),
    misses,
    msPerQuery: ms,
  };
}

export async function openGolden(db: string, cwd: string): Promise<OpenedIndex> {
  return openIndex({ db, cwd, docs: DOCS_DIR, persist: false });
}
