/**
 * Statsig Wrapped from the project store: gathers a year of experiments (units, first and last
 * day of first exposures, status, groups) with SQL aggregates, analyses each one with the store-mode analysis
 * `analyze --experiment` runs (CUPAC by default; decisions as its scorecards make them), sums
 * them up (wrapped-data.ts) and writes the card (wrapped-card.tsx). `writeWrapped` is what the
 * command and the demo call.
 */
import fs from 'node:fs';
import path from 'node:path';
import { UserError, errorMessage } from '../core/errors.js';
import { scorecardsOf } from '../ask/scorecards.js';
import { experimentMetrics } from '../store/metrics.js';
import type { Store } from '../store/store.js';
import { productUnitSql } from '../store/tool-events.js';
import { analyzeExperiment } from '../engines/experiment.js';
import { computeWrapped, redactWrapped, type WrappedData, type WrappedExperimentInput, type WrappedInput } from './wrapped-data.js';
import { WRAPPED_SIZES, wrappedPng, wrappedSvg, type WrappedSize } from './wrapped-card.js';

export interface WrappedOptions {
  /** The year to sum up; default: the latest year with a first exposure in the store. */
  year?: number | undefined;
  /** Hide metric and experiment names and metric values (see redactWrapped). */
  redact?: boolean | undefined;
  /** Pre-period days for the CUPAC covariates (as analyze --pre-days). Default 14. */
  preDays?: number | undefined;
  /** Significance level. Default 0.05. */
  alpha?: number | undefined;
  /** Called before each experiment's analysis (progress). */
  onExperiment?: ((name: string, index: number, total: number) => void) | undefined;
}

interface ExperimentSpec {
  groups?: { name?: unknown; id?: unknown }[];
  status?: unknown;
  launchedGroupID?: unknown;
}

function parseSpec(spec: unknown): ExperimentSpec {
  try {
    const v = typeof spec === 'string' ? (JSON.parse(spec) as unknown) : spec;
    return v !== null && typeof v === 'object' ? v : {};
  } catch {
    return {};
  }
}

const isoDay = (d: unknown): string => (d instanceof Date ? d.toISOString().slice(0, 10) : String(d).slice(0, 10));

/** The years that have first exposures, oldest first. */
export async function wrappedYears(store: Store): Promise<number[]> {
  const rows = await store.all<{ y: number }>(`SELECT DISTINCT CAST(year(first_exposure) AS INTEGER) AS y FROM exposures WHERE ${productUnitSql()} ORDER BY y`);
  return rows.map((r) => Number(r.y));
}

/** What computeWrapped needs, read from the store (one analysis per experiment of the year). */
export async function collectWrapped(store: Store, options: WrappedOptions = {}): Promise<WrappedInput> {
  const years = await wrappedYears(store);
  if (years.length === 0) {
    throw new UserError('the project store has no experiment exposures', { hint: 'run `statsig-hack seed` (or `statsig-hack demo`), or import exposures with `statsig-hack import`', code: 'WRAPPED_EMPTY' });
  }
  const year = options.year ?? Math.max(...years);
  if (!years.includes(year)) {
    throw new UserError(`no experiments ran in ${year}`, { hint: `years with experiments: ${years.join(', ')} (pass --year)`, code: 'WRAPPED_NO_YEAR' });
  }
  const from = `${year}-01-01 00:00:00`;
  const to = `${year + 1}-01-01 00:00:00`;
  // A `profile --experiment` run's exposures are the tool's own units, not a product experiment's.
  const inYear = `first_exposure >= CAST($1 AS TIMESTAMP) AND first_exposure < CAST($2 AS TIMESTAMP) AND ${productUnitSql()}`;
  const perExp = await store.all<{ experiment: string; units: number; groups: number; first_day: unknown; last_day: unknown }>(
    `SELECT experiment, count(DISTINCT unit_id) AS units, count(DISTINCT group_name) AS groups,
       CAST(min(first_exposure) AS DATE) AS first_day, CAST(max(first_exposure) AS DATE) AS last_day
     FROM exposures WHERE ${inYear} GROUP BY 1 ORDER BY 1`,
    [from, to],
  );
  const [total] = await store.all<{ n: number }>(`SELECT count(DISTINCT unit_id) AS n FROM exposures WHERE ${inYear}`, [from, to]);
  const entities = await store.all<{ name: string; status: string | null; spec: unknown }>("SELECT name, status, spec FROM entities WHERE kind = 'experiments'");
  const byName = new Map(entities.map((e) => [e.name, e]));
  const projectRow = await store.all<{ value: unknown }>("SELECT value FROM project WHERE key = 'project'").catch(() => []);
  const projectValue = parseSpec(projectRow[0]?.value) as { name?: unknown };

  const experiments: WrappedExperimentInput[] = [];
  for (const [i, row] of perExp.entries()) {
    const name = row.experiment;
    options.onExperiment?.(name, i, perExp.length);
    const entity = byName.get(name);
    const spec = parseSpec(entity?.spec);
    const groups = Array.isArray(spec.groups) ? spec.groups : [];
    const groupIds = Object.fromEntries(groups.filter((g) => typeof g.name === 'string' && typeof g.id === 'string').map((g) => [g.name as string, g.id as string]));
    const status = entity?.status ?? (typeof spec.status === 'string' ? spec.status : null);
    const base = {
      name,
      status,
      launchedGroup: typeof spec.launchedGroupID === 'string' ? spec.launchedGroupID : null,
      groupIds,
      groups: Math.max(groups.length, Number(row.groups)),
      firstDay: isoDay(row.first_day),
      lastDay: isoDay(row.last_day),
      units: Number(row.units),
    };
    try {
      const result = await analyzeExperiment(store, {
        experiment: name,
        metrics: [],
        ratios: [],
        covariates: [],
        preDays: options.preDays ?? 14,
        alpha: options.alpha ?? 0.05,
        tails: 'two',
        correction: 'none',
      });
      const listed = await experimentMetrics(store, name).catch(() => null);
      const directions = new Map([...(listed?.primary ?? []), ...(listed?.secondary ?? [])].map((m) => [m.key, m.direction]));
      // scorecardsOf maps result.results one to one: the decisions `analyze` would save.
      const cards = scorecardsOf(result, directions, '');
      experiments.push({
        ...base,
        control: result.control,
        results: result.results.map((r, k) => ({
          metric: r.metric,
          variant: r.variant,
          significant: r.significant,
          decision: cards[k]?.decision ?? 'neutral',
          rel_lift: r.rel_lift,
          variance_reduction: r.method === 'none' ? null : r.variance_reduction,
        })),
        analysisError: null,
      });
    } catch (error) {
      if (!(error instanceof UserError)) throw error;
      experiments.push({ ...base, control: null, results: [], analysisError: errorMessage(error) });
    }
  }
  return { year, project: typeof projectValue.name === 'string' ? projectValue.name : null, units: Number(total?.n ?? 0), experiments };
}

/** The year's numbers from the store, redacted when asked. */
export async function wrappedFromStore(store: Store, options: WrappedOptions = {}): Promise<WrappedData> {
  const data = computeWrapped(await collectWrapped(store, options));
  return options.redact ? redactWrapped(data) : data;
}

export interface WrittenWrapped {
  file: string;
  size: WrappedSize;
  width: number;
  height: number;
  bytes: number;
}

/** The kind of file `file` asks for, from its extension. */
export function wrappedFormat(file: string): 'png' | 'svg' {
  if (/\.png$/i.test(file)) return 'png';
  if (/\.svg$/i.test(file)) return 'svg';
  throw new UserError(`--out must end in .png or .svg, got "${path.basename(file)}"`, { hint: 'e.g. --out wrapped.png', code: 'WRAPPED_OUT', exitCode: 2 });
}

/** Draws already computed numbers to `file` (.png or .svg) at one size. */
export async function writeWrappedData(data: WrappedData, file: string, size: WrappedSize = 'card'): Promise<WrittenWrapped> {
  const format = wrappedFormat(file);
  if (!fs.existsSync(path.dirname(file))) throw new UserError(`the folder for ${file} does not exist`, { hint: 'create it first or choose another path', code: 'WRAPPED_OUT_DIR' });
  const body = format === 'png' ? await wrappedPng(data, size) : Buffer.from(await wrappedSvg(data, size));
  fs.writeFileSync(file, body);
  return { file, size, ...WRAPPED_SIZES[size], bytes: body.length };
}

/**
 * Computes the year's Wrapped from `store` and writes it to `file` (.png or .svg), as a card
 * (1200x630, default) or a story (1080x1920). Returns the numbers and what was written.
 */
export async function writeWrapped(store: Store, options: WrappedOptions & { size?: WrappedSize }, file: string): Promise<{ data: WrappedData; written: WrittenWrapped }> {
  wrappedFormat(file);
  const data = await wrappedFromStore(store, options);
  return { data, written: await writeWrappedData(data, file, options.size ?? 'card') };
}
