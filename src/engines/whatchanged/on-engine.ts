/**
 * whatchanged on a warehouse engine: the events, users and exposures tables of the engine
 * (config engine.tables), the metric definitions from the project store. The engine only
 * aggregates (warehouse-sql.ts): daily totals, one scan for the period totals and every
 * dimension's per-value sums, one for the 2-D cells, one for quantiles when asked. Capping values
 * into "(other)" and everything after is done on the returned sums (stats/whatchanged/).
 */
import { UserError, errorMessage } from '../../core/errors.js';
import type { Store } from '../../store/store.js';
import { foldCapped, topValues, totals, valueProfile, type KeyedSums } from '../../stats/whatchanged/fold.js';
import type { Sums } from '../../stats/whatchanged/math.js';
import type { Engine } from '../engine.js';
import type { EngineTables } from '../open.js';
import { resolveMetric, type EventCatalog } from './metric.js';
import { listPreview, plural } from './text.js';
import type { Aggregates, DailyRow, ExplainSource, WhatChangedOptions } from './types.js';
import {
  USER_DIMENSIONS,
  dailySql,
  eventNamesSql,
  experimentsSql,
  groupingsSql,
  nonFiniteSql,
  parseTimestampText,
  probeSql,
  quantilesSql,
  rangeSql,
  userColumnsSql,
  type WarehouseDim,
  type WarehousePlan,
  type WarehouseTables,
} from './warehouse-sql.js';

export interface EngineTarget {
  engine: Engine;
  /** The config's table names (engine.tables). */
  tables: EngineTables;
}

/** The built-in dimensions, in the order auto mode adds them (as in the store). */
const BUILTINS = ['country', 'platform', 'plan', 'channel', 'cohort', 'tenure'] as const;

export function warehouseTables(on: EngineTarget): WarehouseTables {
  const d = on.engine.dialect;
  return { events: d.table(on.tables.events), users: d.table(on.tables.users), exposures: d.table(on.tables.exposures) };
}

/** The metric's event and aggregation, its events probed in the engine's events table. */
export async function resolveEngineSource(store: Store, options: WhatChangedOptions, on: EngineTarget): Promise<ExplainSource> {
  const { engine } = on;
  const d = engine.dialect;
  const t = warehouseTables(on);
  const catalog: EventCatalog = {
    where: `the ${engine.name} events table ${on.tables.events}`,
    async probe(event) {
      const [r] = await engine.all(probeSql(d, t.events, event));
      return { exists: Number(r?.n ?? 0) > 0, values: Number(r?.nv ?? 0) > 0 };
    },
    async names() {
      return (await engine.all(eventNamesSql(d, t.events))).map((r) => String(r.event));
    },
  };
  const { event, agg } = await resolveMetric(store, options, catalog);
  return {
    label: options.metric,
    source: engine.name,
    event,
    agg,
    range: async () => {
      const [r] = await engine.all(rangeSql(d, t.events, event));
      return { lo: parseTimestampText(r?.lo), hi: parseTimestampText(r?.hi) };
    },
  };
}

/** The value expression (NaN and ±Infinity left out with --non-finite null) and its notice. */
export async function engineValue(on: EngineTarget, event: string, policy: 'error' | 'null'): Promise<{ expr: string; notice: string | null }> {
  const d = on.engine.dialect;
  const [r] = await on.engine.all(nonFiniteSql(d, warehouseTables(on).events, event));
  const n = Number(r?.n ?? 0);
  if (n === 0) return { expr: 'value', notice: null };
  const column = `value (event ${event})`;
  const rows = plural(n, 'row');
  if (policy === 'error') {
    throw new UserError(`column ${column} of the ${on.engine.name} events table ${on.tables.events} has NaN or Infinity in ${rows}`, {
      hint: 'fix the data, or pass --non-finite null to leave those rows out',
      code: 'NON_FINITE',
    });
  }
  return { expr: `CASE WHEN ${d.isFinite(d.double('value'))} THEN value END`, notice: `column ${column}: NaN or Infinity in ${rows} left out (--non-finite null)` };
}

/**
 * The dimensions on the engine: the built-ins its users table has columns for (country, platform,
 * plan, channel, cohort from created_at, tenure from tenure_days) and experiment groups from its
 * exposures. Attribute keys (the store's JSON attributes) are not read on a warehouse.
 */
export async function resolveEngineDimensions(options: WhatChangedOptions, on: EngineTarget): Promise<{ dims: WarehouseDim[]; auto: boolean; notices: string[] }> {
  const { engine } = on;
  const d = engine.dialect;
  const t = warehouseTables(on);
  const notices: string[] = [];
  let exposedCache: string[] | null = null;
  const exposed = async (): Promise<string[]> => (exposedCache ??= (await engine.all(experimentsSql(d, t.exposures))).map((r) => String(r.experiment)));
  const checkExperiment = async (x: string, flag: string): Promise<void> => {
    const list = await exposed();
    if (!list.includes(x)) {
      throw new UserError(`${flag}: no experiment "${x}" with exposures in the ${engine.name} table ${on.tables.exposures}`, {
        hint: list.length > 0 ? `experiments with exposures: ${listPreview(list)}` : `the exposures table is empty; check engine.tables.exposures in the config`,
        code: 'UNKNOWN_EXPERIMENT',
        exitCode: 2,
      });
    }
  };
  let userColumns: string[];
  try {
    userColumns = (await engine.columns(t.users)).map((c) => c.name.toLowerCase());
  } catch (error) {
    throw new UserError(`the ${engine.name} users table ${on.tables.users} cannot be read: ${(errorMessage(error).split('\n')[0] ?? '').trim()}`, {
      hint: 'map it with engine.tables.users in the config (its unit_id joins the events)',
      code: 'ENGINE_QUERY',
    });
  }
  const available = BUILTINS.filter((b) => userColumns.includes(USER_DIMENSIONS[b] as string));
  const dims: WarehouseDim[] = [];
  const add = (dim: WarehouseDim): void => {
    if (!dims.some((x) => x.name === dim.name)) dims.push(dim);
  };
  const auto = options.dimensions === undefined || options.dimensions === 'auto';
  if (options.experiment) await checkExperiment(options.experiment, '--experiment');
  if (auto) {
    if (available.length > 0) {
      const [r] = await engine.all(userColumnsSql(d, t.users, available.map((b) => USER_DIMENSIONS[b] as string)));
      for (const b of available) if (Number(r?.[USER_DIMENSIONS[b] as string] ?? 0) > 0) add({ name: b, kind: 'user', builtin: b });
    }
  } else {
    for (const raw of options.dimensions as readonly string[]) {
      const name = raw.trim();
      if ((BUILTINS as readonly string[]).includes(name)) {
        const column = USER_DIMENSIONS[name] as string;
        if (!userColumns.includes(column)) {
          throw new UserError(`dimension ${name} needs the column ${column} in the ${engine.name} users table ${on.tables.users}`, {
            hint: `its columns: ${listPreview(userColumns, 40)}`,
            code: 'UNKNOWN_DIMENSION',
            exitCode: 2,
          });
        }
        add({ name, kind: 'user', builtin: name });
      } else if (name.startsWith('experiment:')) {
        const x = name.slice('experiment:'.length);
        await checkExperiment(x, '--dimensions');
        add({ name, kind: 'experiment', experiment: x });
      } else {
        const valid = [...available, ...(await exposed()).map((x) => `experiment:${x}`)];
        throw new UserError(`unknown dimension "${name}" on the ${engine.name} engine`, {
          hint: `valid dimensions: ${listPreview(valid, 40)} (attribute keys are read from the project store: drop --engine for those)`,
          code: 'UNKNOWN_DIMENSION',
          exitCode: 2,
        });
      }
    }
  }
  if (options.experiment) add({ name: `experiment:${options.experiment}`, kind: 'experiment', experiment: options.experiment });
  return { dims, auto, notices };
}

/** Checks --where against the engine's events table, as one line naming what it may use. */
export async function checkEngineWhere(on: EngineTarget, where: string): Promise<void> {
  try {
    await on.engine.all(`SELECT COUNT(*) AS n FROM ${warehouseTables(on).events} WHERE (${where}) AND 1 = 0`);
  } catch (error) {
    throw new UserError(`--where: ${(errorMessage(error).split('\n')[0] ?? '').trim()}`, {
      hint: `on the ${on.engine.name} engine, --where is a SQL condition over the events table's columns (unit_id, event, ts, value)`,
      code: 'BAD_WHERE',
      exitCode: 2,
    });
  }
}

const DAY_RE = /^(\d{4})-(\d{2})-(\d{2})/;

function sumsOf(r: Record<string, unknown>): Sums {
  const n = (k: string): number => Number(r[k] ?? 0);
  return { n: n('n'), v: n('v'), c: n('c'), vv: n('vv'), cc: n('cc'), vc: n('vc') };
}

/** The engine's answers as whatchanged's Aggregates: a few queries up front, the rest folded from them. */
export async function engineAggregates(engine: Engine, plan: WarehousePlan, opts: { quantiles: readonly number[] | null }): Promise<Aggregates> {
  const daily: DailyRow[] = (await engine.all(dailySql(plan))).flatMap((r) => {
    const m = DAY_RE.exec(String(r.day));
    if (!m) return [];
    return [{ period: Number(r.per), day: Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])), c: Number(r.c), v: r.v === null || r.v === undefined ? null : Number(r.v) }];
  });
  // One scan: the period totals (grouping 0) and each dimension's values (grouping 1 + i).
  const first = [[], ...plan.dims.map((_, i) => [i])];
  const keyed = (rows: Record<string, unknown>[], groupings: readonly (readonly number[])[]): KeyedSums[][] => {
    const out: KeyedSums[][] = groupings.map(() => []);
    for (const r of rows) {
      const g = Number(r.grp);
      const width = groupings[g]?.length ?? 0;
      out[g]?.push({ period: Number(r.per) === 0 ? 0 : 1, keys: [String(r.k1), String(r.k2)].slice(0, width), sums: sumsOf(r) });
    }
    return out;
  };
  const [total = [], ...perDim] = keyed(await engine.all(groupingsSql(plan, first)), first);
  const overall = totals(total);
  /** Kept dimensions: position -> the plan's dimension index. */
  let index = plan.dims.map((_, i) => i);
  const profiles = perDim.map(valueProfile);
  const row = (dims: number[], k: KeyedSums): Record<string, unknown> => ({ period: k.period, ...Object.fromEntries(dims.map((dim, j) => [`k${dim}`, k.keys[j]])), ...k.sums });
  return {
    daily,
    overall: { base: overall.base, cur: overall.cur },
    distinct: profiles.map((p) => p.distinct),
    hasNone: profiles.map((p) => p.hasNone),
    keepDims(keep) {
      index = keep.map((j) => index[j] as number);
      return Promise.resolve();
    },
    topValues(dim, limit, p) {
      return Promise.resolve(topValues(perDim[index[dim] as number] ?? [], limit, p));
    },
    async grouping(groupings, keep) {
      const capped = (g: number[]): (string[] | null)[] => g.map((i) => keep[i] ?? null);
      if (groupings.every((g) => g.length === 1)) {
        return groupings.flatMap((g) => foldCapped(perDim[index[g[0] as number] as number] ?? [], capped(g)).map((k) => row(g, k)));
      }
      const planned = groupings.map((g) => g.map((i) => index[i] as number));
      const rows = keyed(await engine.all(groupingsSql(plan, planned)), planned);
      return groupings.flatMap((g, gi) => foldCapped(rows[gi] ?? [], capped(g)).map((k) => row(g, k)));
    },
    async quantiles() {
      const ps = opts.quantiles ?? [];
      const rows = ps.length > 0 ? await engine.all(quantilesSql(plan, ps)) : [];
      const pick = (p: 0 | 1): (number | null)[] => {
        const r = rows.find((x) => Number(x.per) === p);
        return ps.map((_, i) => (r?.[`q${i}`] === null || r?.[`q${i}`] === undefined ? null : Number(r[`q${i}`])));
      };
      return { q0: pick(0), q1: pick(1) };
    },
  };
}
