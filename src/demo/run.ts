/**
 * The demo: seeds a small offline project into its own DuckDB store, analyzes every experiment
 * and sets each estimate next to the planted truth. Later steps (forecast, whatchanged) add
 * their part here. Returns plain data; the command renders it.
 */
import path from 'node:path';
import { UserError } from '../core/errors.js';
import type { Progress } from '../core/progress.js';
import { Store } from '../store/store.js';
import { existingProject, writeSeedProject, type SeedSummary } from '../ai/seed/service.js';
import { offlineProjectSpec } from '../ai/seed/offline.js';
import { analyzeExperiment } from '../engines/experiment.js';
import { parsePeriod, whatChanged, type WhatChangedResult } from '../engines/whatchanged/index.js';
import { forecastFromStore } from '../forecast/service.js';
import { count } from '../ui/format.js';
import { saveScorecards } from '../ask/scorecards.js';
import { indexFromStore } from '../ask/service.js';
import { askQuestion, type AskResult } from '../ask/knowledge.js';
import { searchProject, type SearchOutput } from '../ask/search.js';

/** The question and the search the demo ends with, so a new user sees ask and search. */
export const DEMO_QUESTION = 'which experiments moved revenue the most';
export const DEMO_SEARCH = 'checkout';

export const DEMO_PROMPT = 'an online shop for garden gnomes';

export interface DemoOptions {
  db: string;
  users: number;
  seed: number;
  /** Replace a store that holds a project the demo did not write. */
  force: boolean;
  /** Ask before replacing such a project (interactive runs); returns true to go on. */
  confirm?: (question: string) => Promise<boolean>;
  progress?: Progress;
}

export interface DemoRow {
  experiment: string;
  metric: string;
  variant: string;
  method: string;
  estimate: number | null;
  ci: [number | null, number | null];
  rel_lift: number | null;
  p_value: number | null;
  truth: number | null;
  truth_rel: number | null;
  covered: boolean | null;
  variance_reduction: number | null;
}

export interface DemoResult {
  db: string;
  project: SeedSummary['project'];
  counts: SeedSummary['counts'];
  window: SeedSummary['window'];
  rows: DemoRow[];
  coverage: { covered: number; total: number };
  srm: { experiment: string; p_value: number; mismatch: boolean }[];
  anomalies: SeedSummary['anomalies'];
  /** Drill-down of a planted segment anomaly: the anomaly days against the same days a week before. */
  drilldown: { anomaly: string; result: WhatChangedResult } | null;
  /** DAU forecast for the next 14 days with the anomalies found in its history. */
  forecast: {
    model: string;
    horizon: number;
    points: { ds: string; yhat: number; yhat_lower: number; yhat_upper: number }[];
    anomalies: { ds: string; y: number; expected: number }[];
    holidays: string[];
  } | null;
  /** One question answered by the knowledge bank (offline) and one console search. */
  ask: AskResult | null;
  search: SearchOutput | null;
  /** Pictures written next to the store: the Wrapped card and the DAU map (paths). */
  pictures: { wrapped: string | null; map: string | null };
  warnings: string[];
}

/** `<store>-wrapped.png` and `<store>-map.png` beside the store; a picture that fails is a warning, not a failed demo. */
async function demoPictures(store: Store, db: string, warnings: string[]): Promise<DemoResult['pictures']> {
  const base = db.replace(/\.duckdb$/, '');
  const pictures: DemoResult['pictures'] = { wrapped: null, map: null };
  try {
    const { writeMap } = await import('../charts/map-service.js');
    // Quantile classes: DAU by country is skewed (one large market), equal widths would paint the rest alike.
    pictures.map = (await writeMap(store, { metric: 'dau', by: 'country' }, `${base}-map.png`, { classes: 'quantile' })).file;
  } catch (error) {
    warnings.push(`map: ${error instanceof Error ? error.message : String(error)}`);
  }
  try {
    const { writeWrapped } = await import('../charts/wrapped.js');
    pictures.wrapped = (await writeWrapped(store, {}, `${base}-wrapped.png`)).written.file;
  } catch (error) {
    warnings.push(`wrapped: ${error instanceof Error ? error.message : String(error)}`);
  }
  return pictures;
}

export async function runDemo(opts: DemoOptions): Promise<DemoResult> {
  const store = await Store.open(opts.db, { create: true });
  try {
    const existing = await existingProject(store);
    if (existing) {
      const meta = await store.all<{ value: string }>("SELECT value FROM project WHERE key = 'project'");
      const prompt = meta[0] ? (JSON.parse(String(meta[0].value)) as { prompt?: string }).prompt : undefined;
      if (prompt !== DEMO_PROMPT && !opts.force) {
        const what = `${existing.name ? `"${existing.name}" ` : ''}(${count(existing.users, 'user')}, ${count(existing.events, 'event')})`;
        const ok = opts.confirm ? await opts.confirm(`${opts.db} holds the project ${what}. Replace it with the demo?`) : false;
        if (!ok) {
          throw new UserError(`${opts.db} already holds the project ${what}; the demo will not replace it`, {
            hint: 'run the demo without --db (it uses .statsig-hack/demo.duckdb), or pass --force to replace that project',
            code: 'DEMO_EXISTS',
          });
        }
      }
    }
    const { spec } = offlineProjectSpec({ prompt: DEMO_PROMPT, domain: 'ecommerce', seed: opts.seed });
    const summary = await writeSeedProject(store, spec, { seed: opts.seed, users: opts.users, days: 28, preDays: 14, start: '2026-09-07' }, { prompt: DEMO_PROMPT, source: 'offline', domain: 'ecommerce', theme: null }, opts.progress);

    const truth = await store.all<{ experiment: string; metric: string; group_name: string; abs_effect: number; rel_effect: number | null }>(
      "SELECT experiment, metric, group_name, abs_effect, rel_effect FROM true_effects WHERE segment = 'all'",
    );
    const rows: DemoRow[] = [];
    const srm: DemoResult['srm'] = [];
    const warnings: string[] = [...summary.notices];
    opts.progress?.start('analyzing experiments', summary.experiments.length);
    let done = 0;
    for (const exp of summary.experiments) {
      const res = await analyzeExperiment(store, { experiment: exp.name, metrics: [], ratios: [], covariates: [], preDays: 14, alpha: 0.05, tails: 'two', correction: 'none' });
      await saveScorecards(store, res);
      srm.push({ experiment: exp.name, p_value: res.srm.p_value, mismatch: res.srm.mismatch });
      for (const w of res.warnings) warnings.push(`${exp.name}: ${w}`);
      for (const r of res.results) {
        const t = truth.find((x) => x.experiment === exp.name && x.metric === r.metric && x.group_name === r.variant);
        const lo = r.diff_ci[0];
        const hi = r.diff_ci[1];
        rows.push({
          experiment: exp.name,
          metric: r.metric,
          variant: r.variant,
          method: r.method,
          estimate: r.diff,
          ci: [lo, hi],
          rel_lift: r.rel_lift,
          p_value: r.p_value,
          truth: t ? t.abs_effect : null,
          truth_rel: t ? t.rel_effect : null,
          covered: t && lo !== null && hi !== null ? lo <= t.abs_effect && t.abs_effect <= hi : null,
          variance_reduction: r.variance_reduction,
        });
      }
      done += 1;
      opts.progress?.update(done);
    }
    opts.progress?.stop('analyzed experiments');

    // "What happened?" on the first planted anomaly that hit one segment.
    let drilldown: DemoResult['drilldown'] = null;
    const anomaly = summary.anomalies.find((a) => a.segment !== null) ?? summary.anomalies[0];
    if (anomaly) {
      const shift = (d: string, days: number): string => new Date(Date.parse(`${d}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
      const result = await whatChanged(store, {
        metric: anomaly.event,
        agg: 'count',
        baseline: parsePeriod('--baseline', `${shift(anomaly.start, -7)}..${shift(anomaly.end, -7)}`),
        current: parsePeriod('--current', `${anomaly.start}..${anomaly.end}`),
      });
      drilldown = { anomaly: anomaly.description, result };
    }
    // DAU for the next two weeks, with holidays (US) and the history's anomalies.
    opts.progress?.start('forecasting DAU');
    const fc = await forecastFromStore(store, { metric: 'dau' }, { horizon: 14, holidays: 'US', anomalies: true, workers: 0 });
    opts.progress?.stop('forecast DAU');
    const series = fc.series[0];
    const forecast: DemoResult['forecast'] = series
      ? {
          model: series.model,
          horizon: fc.horizon,
          points: series.forecast.map((p) => ({ ds: p.ds, yhat: p.yhat, yhat_lower: p.yhat_lower, yhat_upper: p.yhat_upper })),
          anomalies: series.anomalies.map((a) => ({ ds: a.ds, y: a.y, expected: a.expected })),
          holidays: series.holidays.map((h) => h.name),
        }
      : null;
    for (const w of fc.warnings) warnings.push(`forecast: ${w}`);
    // Ask the knowledge bank one question and search once (offline, from the scorecards just saved).
    const opened = await indexFromStore(store, { db: opts.db, cwd: path.dirname(opts.db) });
    const ask = await askQuestion(opened.index, opened.facts, opened.scorecards, DEMO_QUESTION, { limit: 3 });
    const search = await searchProject(opened.index, DEMO_SEARCH, { limit: 3 });
    // The pictures, next to the store: the year's Wrapped card and a map of DAU by country.
    opts.progress?.start('drawing the Wrapped card and the DAU map');
    const pictures = await demoPictures(store, opts.db, warnings);
    opts.progress?.stop('drew the Wrapped card and the DAU map');
    const judged = rows.filter((r) => r.covered !== null);
    return {
      db: opts.db,
      project: summary.project,
      counts: summary.counts,
      window: summary.window,
      rows,
      coverage: { covered: judged.filter((r) => r.covered).length, total: judged.length },
      srm,
      anomalies: summary.anomalies,
      drilldown,
      forecast,
      ask,
      search,
      pictures,
      warnings,
    };
  } finally {
    store.close();
  }
}
