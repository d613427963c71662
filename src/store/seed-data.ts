/**
 * Synthetic users, exposures, events and exact true effects for a project spec, generated in
 * DuckDB SQL (no per-row JavaScript) and deterministic by seed.
 *
 * Randomness: every draw is a hash-based uniform, u = (hash(hash(seed, stream, unit, day, ...)) >> 11 + 0.5) / 2^53,
 * so the same seed gives the same rows whatever the thread count; normals by Box-Muller.
 *
 * The model, per user u, day d (d < 0: pre-period, 0 <= d < days: experiment period) and event e:
 *   expected count   c_ude = rate_e * a_u * f(country_u, d) * anomaly_e(u, d) * Π_X knob_X(e, u, d)
 *     a_u        lognormal activity (sd 0.8) times the population's activity multipliers and a tenure factor
 *     f          weekly seasonality * trend * public-holiday multiplier of the user's country (date-holidays)
 *     knob_X     1 before the unit's first exposure to experiment X, after it the intensity multiplier of
 *                its group (1 for control) for u's segment
 *   C = Σ_e c_ude;  the user is active with p = C / (C + m_u);  an active day has K = floor(C + m_u + U)
 *   events (randomized rounding, so E[K | active] = C / p); each event's type is drawn with
 *   probability c_ude / C. Hence E[count_e] = c_ude exactly and
 *   P(no e that day) = 1 - p + p * ((1 - f)(1 - π)^k + f (1 - π)^(k+1)), k = floor(C + m), f = frac(C + m), π = c_ude / C.
 *   Values: value_e * spend_u * valueKnob * lognormal(mean 1, sd sigma_e), so E[sum] = c_ude * mean.
 *
 * Exposure: eligible (targeting gate) and allocated units get a group by the Statsig bucket; the
 * first exposure is on day d0 = first day the unit hits the experiment's surface (geometric,
 * probability rising with activity) at its arrival time that day; every event of a day comes after
 * the day's arrival time, so all events from d0 on are after the first exposure.
 *
 * Truth: for each exposed unit the expected metric components over [first exposure, end of data]
 * are computed in closed form under every group (the unit's other experiments as assigned), so
 *   abs = mean over exposed units of (E[Y | group] - E[Y | control]),  rel = abs / mean E[Y | control];
 *   ratio and mean metrics: abs = Σ E[num | g] / Σ E[den | g] - (same for control).
 */
import type { Store } from './store.js';
import { quoteLiteral } from './store.js';
import { sqlGroupCase, sqlStatsigBucket, sqlStatsigSlot } from './hash.js';
import { metricComponents, type ComponentAgg, type MetricComponent, type MetricDef } from './metrics.js';
import type { Progress } from '../core/progress.js';

// Types of the spec parts used here (structural, so store/ does not depend on ai/).
export interface SeedOption {
  value: string;
  weight: number;
  activity?: number | null;
  spend?: number | null;
}

export interface SeedPopulation {
  countries: SeedOption[];
  platforms: SeedOption[];
  plans: SeedOption[];
  channels: SeedOption[];
  tenureDaysMean: number;
  attributes: { name: string; values: SeedOption[] }[];
}

export interface SeedEvent {
  name: string;
  dailyRate: number;
  value: { unit: string; mean: number; sigma: number } | null;
  properties: { name: string; values: SeedOption[] }[];
}

export interface SeedCondition {
  type: string;
  operator?: string | null;
  targetValue?: unknown;
  field?: string | null;
}

export interface SeedRule {
  name: string;
  passPercentage: number;
  conditions: SeedCondition[];
}

export interface SeedGate {
  name: string;
  rules?: SeedRule[];
}

export interface SeedSegment {
  name: string;
  type: string;
  rules?: SeedRule[];
}

export interface SegmentCond {
  attribute: string;
  value: string;
}

/** A multiplier applied to the unit's events after exposure, per segment (first match wins). */
export interface Knob {
  /** Factor for units in no listed segment. */
  base: number;
  segments: { attribute: string; value: string; factor: number }[];
}

export interface SeedExperiment {
  name: string;
  groups: { name: string; size: number }[];
  /** Index of the control group in `groups`. */
  control: number;
  allocation: number;
  layer: { name: string; start: number } | null;
  targetingGate: string | null;
  /** Daily probability scale of reaching the experiment's surface (per unit of activity). */
  reach: number;
  /** Per group index, per event: intensity and value knobs. */
  knobs: { group: number; event: string; intensity: Knob | null; value: Knob | null }[];
  metrics: MetricDef[];
  /** Segments to report true effects for (besides "all"). */
  segments: SegmentCond[];
}

export interface Anomaly {
  kind: 'outage' | 'spike' | 'level_shift';
  event: string;
  /** Relative day indexes, inclusive (0 = experiment start). */
  startDay: number;
  endDay: number;
  factor: number;
  segment: SegmentCond | null;
  description: string;
}

export interface Dynamics {
  weekly: number[];
  trendPerWeek: number;
  holidayMultiplier: number;
}

/**
 * A planted interaction between two experiments: units in a non-control group of BOTH get
 * `factor` times the intensity of `event` on the days after both first exposures (on top of each
 * experiment's own knobs), so one experiment's effect on that event depends on the other's group.
 */
export interface PlantedInteraction {
  /** Indexes into `experiments`. */
  a: number;
  b: number;
  event: string;
  factor: number;
}

export interface SeedDataInput {
  seed: number;
  users: number;
  days: number;
  preDays: number;
  /** Experiment start date, YYYY-MM-DD (UTC). */
  start: string;
  population: SeedPopulation;
  events: SeedEvent[];
  dynamics: Dynamics;
  gates: SeedGate[];
  segments: SeedSegment[];
  experiments: SeedExperiment[];
  anomalies: Anomaly[];
  /** Planted interactions between experiments (none by default). */
  interactions?: PlantedInteraction[];
}

export interface HolidayRow {
  country: string;
  date: string;
  name: string;
}

export interface TrueEffectRow {
  experiment: string;
  metric: string;
  group: string;
  segment: string;
  abs: number;
  rel: number | null;
  control_mean: number;
  units: number;
}

export interface SeedDataResult {
  counts: { users: number; exposures: number; events: number; true_effects: number };
  exposuresByExperiment: Record<string, Record<string, number>>;
  trueEffects: TrueEffectRow[];
  holidays: HolidayRow[];
  window: { pre_start: string; start: string; end: string; pre_days: number; days: number };
  /** Targeting conditions the generator could not simulate (they match every user). */
  unsimulated: string[];
}

const DAY_MS = 86_400_000;

function num(x: number): string {
  if (!Number.isFinite(x)) throw new Error(`internal: non-finite number in seed SQL (${x})`);
  const s = String(x);
  return s.includes('.') || s.includes('e') ? s : `${s}.0`;
}

function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);
}

function dayIndex(start: string, date: string): number {
  return Math.round((Date.parse(`${date}T00:00:00Z`) - Date.parse(`${start}T00:00:00Z`)) / DAY_MS);
}

/** Public holidays (date-holidays) of the given countries between two dates (inclusive). */
export async function publicHolidays(countries: string[], from: string, to: string): Promise<HolidayRow[]> {
  const { default: Holidays } = await import('date-holidays');
  const out: HolidayRow[] = [];
  const y0 = Number(from.slice(0, 4));
  const y1 = Number(to.slice(0, 4));
  for (const country of [...new Set(countries)].sort()) {
    const hd = new Holidays();
    if (!(country in hd.getCountries())) continue;
    hd.init(country);
    for (let y = y0; y <= y1; y++) {
      const list = hd.getHolidays(y, 'en') || [];
      for (const h of list) {
        if (h.type !== 'public') continue;
        const date = h.date.slice(0, 10);
        if (date >= from && date <= to) out.push({ country, date, name: h.name });
      }
    }
  }
  out.sort((a, b) => (a.country === b.country ? (a.date === b.date ? a.name.localeCompare(b.name) : a.date.localeCompare(b.date)) : a.country.localeCompare(b.country)));
  // one row per country and date
  return out.filter((h, i) => i === 0 || h.country !== out[i - 1]?.country || h.date !== out[i - 1]?.date);
}

/** SQL builder for one seed run. */
class Sql {
  readonly attrCols = new Map<string, string>();
  readonly unsimulated = new Set<string>();

  constructor(readonly input: SeedDataInput) {
    input.population.attributes.forEach((a, i) => this.attrCols.set(a.name, `attr_${i}`));
  }

  /** A uniform in (0, 1) from the seed, a stream number and integer SQL expressions. */
  uni(stream: number, ...args: string[]): string {
    const parts = [`${Math.trunc(this.input.seed)}::BIGINT`, `${stream}::INTEGER`, ...args].join(', ');
    // hash() combines its arguments by xor-ing the last one in, so two streams of the same row differ
    // by a constant xor: hashing the combined hash again makes the streams independent.
    return `(((hash(hash(${parts})) >> 11)::DOUBLE + 0.5) / 9007199254740992.0)`;
  }

  normal(stream: number, ...args: string[]): string {
    return `(sqrt(-2.0 * ln(${this.uni(stream, ...args)})) * cos(2.0 * pi() * ${this.uni(stream + 1, ...args)}))`;
  }

  /** A categorical draw over options by their weights. */
  categorical(u: string, options: SeedOption[]): string {
    const total = options.reduce((a, o) => a + o.weight, 0);
    let acc = 0;
    const whens = options.slice(0, -1).map((o) => {
      acc += o.weight / total;
      return `WHEN ${u} < ${num(acc)} THEN ${quoteLiteral(o.value)}`;
    });
    const last = quoteLiteral(options[options.length - 1]?.value ?? '');
    return whens.length === 0 ? last : `(CASE ${whens.join(' ')} ELSE ${last} END)`;
  }

  /** A per-value multiplier (activity or spend) of a user column. */
  multiplier(col: string, options: SeedOption[], key: 'activity' | 'spend'): { sql: string; mean: number } {
    const total = options.reduce((a, o) => a + o.weight, 0);
    const mean = options.reduce((a, o) => a + (o.weight / total) * (o[key] ?? 1), 0);
    const whens = options.filter((o) => (o[key] ?? 1) !== 1).map((o) => `WHEN ${quoteLiteral(o.value)} THEN ${num(o[key] ?? 1)}`);
    return { sql: whens.length === 0 ? '1.0' : `(CASE ${col} ${whens.join(' ')} ELSE 1.0 END)`, mean };
  }

  /** The SQL column of a user attribute (in seed_tmp_units), or null. */
  attrColumn(name: string): string | null {
    if (['country', 'platform', 'plan', 'channel', 'tenure_days', 'unit_id'].includes(name)) return name;
    return this.attrCols.get(name) ?? null;
  }

  segmentPredicate(s: SegmentCond): string {
    const col = this.attrColumn(s.attribute);
    return col ? `${col} = ${quoteLiteral(s.value)}` : 'FALSE';
  }

  knobSql(k: Knob): string {
    if (k.segments.length === 0) return num(k.base);
    const whens = k.segments.map((s) => `WHEN ${this.segmentPredicate(s)} THEN ${num(s.factor)}`);
    return `(CASE ${whens.join(' ')} ELSE ${num(k.base)} END)`;
  }

  // ----- targeting (gates and segments evaluated per user) -----

  private targets(c: SeedCondition): string[] {
    const t = c.targetValue;
    const one = (v: unknown): string => (typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : JSON.stringify(v));
    if (Array.isArray(t)) return t.map(one);
    if (t === null || t === undefined) return [];
    return [one(t)];
  }

  conditionSql(c: SeedCondition, depth: number): string {
    const op = (c.operator ?? 'any').toLowerCase();
    const targets = this.targets(c);
    const list = (xs: string[], lower: boolean) => xs.map((x) => quoteLiteral(lower ? x.toLowerCase() : x)).join(', ') || 'NULL';
    const setOp = (col: string, lowerCase: boolean): string | null => {
      const colExpr = lowerCase ? `lower(${col})` : col;
      switch (op) {
        case 'any':
        case 'in':
        case 'eq':
          return `coalesce(${colExpr} IN (${list(targets, lowerCase)}), FALSE)`;
        case 'any_case_sensitive':
          return `coalesce(${col} IN (${list(targets, false)}), FALSE)`;
        case 'none':
        case 'not_in':
        case 'neq':
          return `NOT coalesce(${colExpr} IN (${list(targets, lowerCase)}), FALSE)`;
        case 'none_case_sensitive':
          return `NOT coalesce(${col} IN (${list(targets, false)}), FALSE)`;
        case 'str_contains_any':
          return `(${targets.map((t) => `contains(lower(${col}), ${quoteLiteral(t.toLowerCase())})`).join(' OR ') || 'FALSE'})`;
        case 'str_contains_none':
          return `NOT (${targets.map((t) => `contains(lower(${col}), ${quoteLiteral(t.toLowerCase())})`).join(' OR ') || 'FALSE'})`;
        default:
          return null;
      }
    };
    const numOp = (col: string): string | null => {
      const v = Number(targets[0]);
      if (!Number.isFinite(v)) return null;
      const ops: Record<string, string> = { gt: '>', gte: '>=', lt: '<', lte: '<=' };
      const o = ops[op];
      return o ? `coalesce(TRY_CAST(${col} AS DOUBLE) ${o} ${num(v)}, FALSE)` : null;
    };
    let sql: string | null = null;
    switch (c.type) {
      case 'public':
        sql = 'TRUE';
        break;
      case 'country':
        sql = setOp('country', true);
        break;
      case 'os_name':
        sql = setOp('platform', true);
        break;
      case 'user_id':
      case 'unit_id':
        sql = setOp('unit_id', false);
        break;
      case 'custom_field': {
        const col = c.field ? this.attrColumn(c.field) : null;
        if (col) sql = numOp(col) ?? setOp(col === 'tenure_days' ? 'tenure_days::VARCHAR' : col, true);
        break;
      }
      case 'passes_gate':
      case 'fails_gate': {
        const gate = this.input.gates.find((g) => g.name === targets[0]);
        const inner = gate && depth < 5 ? this.gateSql(gate, depth + 1) : 'FALSE';
        sql = c.type === 'passes_gate' ? inner : `NOT (${inner})`;
        break;
      }
      case 'passes_segment':
      case 'fails_segment': {
        const seg = this.input.segments.find((s) => s.name === targets[0]);
        const inner = seg && seg.type === 'rule_based' && depth < 5 ? this.rulesSql(seg.name, seg.rules ?? [], depth + 1) : 'FALSE';
        sql = c.type === 'passes_segment' ? inner : `NOT (${inner})`;
        break;
      }
      default:
        sql = null;
    }
    if (sql === null) {
      this.unsimulated.add(`${c.type}${c.operator ? ` ${c.operator}` : ''}`);
      return 'TRUE';
    }
    return `(${sql})`;
  }

  rulesSql(salt: string, rules: SeedRule[], depth: number): string {
    if (rules.length === 0) return 'FALSE';
    const whens = rules.map((r, i) => {
      const cond = r.conditions.length === 0 ? 'TRUE' : r.conditions.map((c) => this.conditionSql(c, depth)).join(' AND ');
      const pass = r.passPercentage >= 100 ? 'TRUE' : r.passPercentage <= 0 ? 'FALSE' : `(${sqlStatsigSlot(`${salt}.${i}`, 'unit_id')} < ${Math.round(r.passPercentage * 100)})`;
      return `WHEN ${cond} THEN ${pass}`;
    });
    return `(CASE ${whens.join(' ')} ELSE FALSE END)`;
  }

  gateSql(gate: SeedGate, depth = 0): string {
    return this.rulesSql(gate.name, gate.rules ?? [], depth);
  }

  // ----- rates -----

  /**
   * Expected count of event e for a unit-day row of seed_tmp_units x seed_tmp_cday, with every
   * experiment's knob as assigned, or without experiment `exclude`'s knob (the truth multiplies
   * that one back in per group).
   */
  rateSql(e: SeedEvent, exclude?: number): string {
    const factors = [num(e.dailyRate), 'a', 'f'];
    for (const an of this.input.anomalies) {
      if (an.event !== e.name) continue;
      const seg = an.segment ? ` AND ${this.segmentPredicate(an.segment)}` : '';
      factors.push(`(CASE WHEN d BETWEEN ${an.startDay} AND ${an.endDay}${seg} THEN ${num(an.factor)} ELSE 1.0 END)`);
    }
    factors.push(...this.knobFactors(e.name, 'intensity', exclude));
    for (const it of this.input.interactions ?? []) if (it.event === e.name) factors.push(`(CASE WHEN ${this.interactionActive(it)} THEN ${num(it.factor)} ELSE 1.0 END)`);
    return factors.join(' * ');
  }

  /** Whether a unit-day row gets a planted interaction: in a non-control group of both experiments, after both first exposures. */
  interactionActive(it: PlantedInteraction, override?: { xi: number; group: number }): string {
    const side = (xi: number): string => {
      const ctrl = this.input.experiments[xi]?.control ?? 0;
      if (override && override.xi === xi) return override.group === ctrl ? 'FALSE' : `d >= d0_${xi}`;
      return `(g_${xi} IS NOT NULL AND g_${xi} <> ${ctrl} AND d >= d0_${xi})`;
    };
    return `(${side(it.a)} AND ${side(it.b)})`;
  }

  /** Value multiplier of event e (1 when no experiment changes its value). */
  valueKnobSql(e: SeedEvent, exclude?: number): string {
    const f = this.knobFactors(e.name, 'value', exclude);
    return f.length === 0 ? '1.0' : f.join(' * ');
  }

  /** Experiment xi's knob for group g on event e (a per-unit expression), '1.0' when none. */
  experimentKnobSql(xi: number, group: number, event: string, which: 'intensity' | 'value'): string {
    const k = this.input.experiments[xi]?.knobs.find((kk) => kk.event === event && kk.group === group)?.[which];
    return k ? this.knobSql(k) : '1.0';
  }

  /** Column name of experiment xi's knob on an event (as assigned, per unit), or null when none. */
  knobColumn(xi: number, event: string, which: 'intensity' | 'value'): string | null {
    const x = this.input.experiments[xi];
    const ei = this.input.events.findIndex((e) => e.name === event);
    if (!x || ei < 0 || !x.knobs.some((k) => k.event === event && k[which] !== null)) return null;
    return `${which === 'intensity' ? 'ki' : 'kv'}_${xi}_${ei}`;
  }

  /** Per-unit knob columns for seed_tmp_units: experiment xi's knob of the unit's group. */
  knobColumnsSql(): string[] {
    const out: string[] = [];
    this.input.experiments.forEach((x, xi) => {
      for (const e of this.input.events) {
        for (const which of ['intensity', 'value'] as const) {
          const col = this.knobColumn(xi, e.name, which);
          if (!col) continue;
          const whens = x.knobs
            .filter((k) => k.event === e.name && k[which] !== null)
            .map((k) => `WHEN ${k.group} THEN ${this.knobSql(k[which] as Knob)}`)
            .join(' ');
          out.push(`(CASE g_${xi} ${whens} ELSE 1.0 END)::DOUBLE AS ${col}`);
        }
      }
    });
    return out;
  }

  private knobFactors(event: string, which: 'intensity' | 'value', exclude?: number): string[] {
    const out: string[] = [];
    this.input.experiments.forEach((_, xi) => {
      if (xi === exclude) return;
      const col = this.knobColumn(xi, event, which);
      if (col) out.push(`(CASE WHEN d >= d0_${xi} THEN ${col} ELSE 1.0 END)`);
    });
    return out;
  }
}

/** Arrival time (seconds after midnight) of a unit on a day: 06:00 to 21:00. */
function arrivalSql(sql: Sql, idx: string, d: string): string {
  return `(21600 + floor(54000 * ${sql.uni(50, `${idx}::BIGINT`, `${d}::INTEGER`)})::BIGINT)`;
}

async function scalar(store: Store, q: string): Promise<number> {
  const rows = await store.all(q);
  const v = rows[0] ? Object.values(rows[0])[0] : 0;
  return Number(v ?? 0);
}

const CHUNKS = 12;
/** Users per events chunk: about CHUNKS chunks (a progress report each), 5,000 to 250,000 users. */
export function eventChunkSize(users: number): number {
  return Math.max(1, Math.min(users, Math.max(5_000, Math.min(250_000, Math.ceil(users / CHUNKS)))));
}

/**
 * Generates users, exposures, events and true effects into the store. Call it inside a
 * transaction (the caller owns it); it creates and drops its own temp tables.
 */
export async function generateSeedData(store: Store, input: SeedDataInput, progress?: Progress): Promise<SeedDataResult> {
  const sql = new Sql(input);
  const { users: N, days: D, preDays: P, population: pop } = input;
  const preStart = addDays(input.start, -P);
  const end = addDays(input.start, D); // exclusive
  const holidays = await publicHolidays(
    pop.countries.map((c) => c.value),
    preStart,
    addDays(end, -1),
  );
  const width = Math.max(6, String(Math.max(N - 1, 0)).length);

  await dropTemp(store);

  // ---- users -------------------------------------------------------------------------------
  progress?.start('generating users');
  const mults = [
    sql.multiplier('country', pop.countries, 'activity'),
    sql.multiplier('platform', pop.platforms, 'activity'),
    sql.multiplier('plan', pop.plans, 'activity'),
    sql.multiplier('channel', pop.channels, 'activity'),
    ...pop.attributes.map((a, i) => sql.multiplier(`attr_${i}`, a.values, 'activity')),
  ];
  const spends = [
    sql.multiplier('country', pop.countries, 'spend'),
    sql.multiplier('platform', pop.platforms, 'spend'),
    sql.multiplier('plan', pop.plans, 'spend'),
    sql.multiplier('channel', pop.channels, 'spend'),
    ...pop.attributes.map((a, i) => sql.multiplier(`attr_${i}`, a.values, 'spend')),
  ];
  const actNorm = mults.reduce((a, m) => a * m.mean, 1);
  const spendNorm = spends.reduce((a, m) => a * m.mean, 1);
  const attrSelect = pop.attributes.map((a, i) => `, ${sql.categorical(sql.uni(20 + i, 'i'), a.values)} AS attr_${i}`).join('');
  await store.run(`CREATE TEMP TABLE seed_tmp_base AS
    SELECT i AS idx,
      'u' || lpad(i::VARCHAR, ${width}, '0') AS unit_id,
      ${sql.categorical(sql.uni(1, 'i'), pop.countries)} AS country,
      ${sql.categorical(sql.uni(2, 'i'), pop.platforms)} AS platform,
      ${sql.categorical(sql.uni(3, 'i'), pop.plans)} AS plan,
      ${sql.categorical(sql.uni(4, 'i'), pop.channels)} AS channel,
      ${P + 1} + floor(-ln(${sql.uni(5, 'i')}) * ${num(pop.tenureDaysMean)}) AS tenure_days,
      ${sql.normal(6, 'i')} AS z_act,
      ${sql.normal(8, 'i')} AS z_spend,
      1.0 + 4.0 * ${sql.uni(10, 'i')} AS m,
      ${sql.uni(11, 'i')} AS u_created
      ${attrSelect}
    FROM range(${N}) r(i)`);
  // activity: lognormal (mean 1) * attribute multipliers (normalised to mean 1) * tenure factor (0.8 .. 1.2)
  await store.run(`CREATE TEMP TABLE seed_tmp_users AS
    SELECT *,
      exp(0.8 * z_act - 0.32) * ${mults.map((m) => m.sql).join(' * ')} / ${num(actNorm)}
        * (0.8 + 0.4 * (1.0 - exp(-tenure_days / 365.0))) AS a,
      exp(0.5 * z_spend - 0.125) * ${spends.map((m) => m.sql).join(' * ')} / ${num(spendNorm)} AS s
    FROM seed_tmp_base`);
  await store.run('DROP TABLE seed_tmp_base');
  const attrJson = pop.attributes.length === 0 ? `'{}'::JSON` : `json_object(${pop.attributes.map((a, i) => `${quoteLiteral(a.name)}, attr_${i}`).join(', ')})`;
  await store.run(`INSERT INTO users (unit_id, country, platform, plan, created_at, attributes, tenure_days, channel)
    SELECT unit_id, country, platform, plan,
      TIMESTAMP '${input.start} 00:00:00' - to_seconds((tenure_days * 86400 - floor(u_created * 86400))::BIGINT),
      ${attrJson}, tenure_days, channel
    FROM seed_tmp_users`);
  progress?.stop(`generated ${N.toLocaleString('en-US')} users`);

  // ---- calendar: one row per country and day with the day factor ---------------------------
  const holidaySet = new Set(holidays.map((h) => `${h.country}|${h.date}`));
  const calendar: string[] = [];
  for (const c of pop.countries) {
    for (let d = -P; d < D; d++) {
      const date = addDays(input.start, d);
      const dow = (new Date(`${date}T00:00:00Z`).getUTCDay() + 6) % 7; // Monday = 0
      let f = (input.dynamics.weekly[dow] ?? 1) * Math.pow(1 + input.dynamics.trendPerWeek, (d + P) / 7);
      if (holidaySet.has(`${c.value}|${date}`)) f *= input.dynamics.holidayMultiplier;
      calendar.push(`(${quoteLiteral(c.value)}, ${d}, TIMESTAMP '${date} 00:00:00', ${num(f)})`);
    }
  }
  await store.run(`CREATE TEMP TABLE seed_tmp_cday (country VARCHAR, d INTEGER, day_start TIMESTAMP, f DOUBLE)`);
  for (let i = 0; i < calendar.length; i += 500) {
    await store.run(`INSERT INTO seed_tmp_cday VALUES ${calendar.slice(i, i + 500).join(', ')}`);
  }

  // ---- assignment and exposures -------------------------------------------------------------
  progress?.start('assigning units to experiments', input.experiments.length);
  await store.run(`CREATE TEMP TABLE seed_tmp_assign (x INTEGER, idx BIGINT, grp INTEGER, d0 INTEGER)`);
  for (const [xi, x] of input.experiments.entries()) {
    const conds: string[] = [];
    if (x.targetingGate) {
      const gate = input.gates.find((g) => g.name === x.targetingGate);
      conds.push(gate ? sql.gateSql(gate) : 'FALSE');
    }
    if (x.layer) {
      const lo = Math.round(x.layer.start * 100);
      const hi = Math.round((x.layer.start + x.allocation) * 100);
      conds.push(`${sqlStatsigSlot(x.layer.name, 'unit_id')} BETWEEN ${lo} AND ${hi - 1}`);
    } else if (x.allocation < 100) {
      conds.push(`${sqlStatsigSlot(`${x.name}.allocation`, 'unit_id')} < ${Math.round(x.allocation * 100)}`);
    }
    const q = `greatest(1e-6, least(0.95, 1.0 - exp(-${num(x.reach)} * a)))`;
    await store.run(`INSERT INTO seed_tmp_assign
      SELECT ${xi}, idx, grp, d0 FROM (
        SELECT idx, ${sqlGroupCase(sqlStatsigBucket(x.name, 'unit_id'), x.groups.map((g) => g.size))} AS grp,
          floor(ln(${sql.uni(100 + xi, 'idx')}) / ln(1.0 - ${q}))::INTEGER AS d0
        FROM seed_tmp_users
        ${conds.length > 0 ? `WHERE ${conds.join(' AND ')}` : ''}
      ) WHERE d0 < ${D} AND grp IS NOT NULL`);
    const groupName = `(CASE grp ${x.groups.map((g, gi) => `WHEN ${gi} THEN ${quoteLiteral(g.name)}`).join(' ')} END)`;
    await store.run(`INSERT INTO exposures (unit_id, experiment, group_name, first_exposure)
      SELECT u.unit_id, ${quoteLiteral(x.name)}, ${groupName},
        TIMESTAMP '${input.start} 00:00:00' + to_seconds((a.d0::BIGINT * 86400 + ${arrivalSql(sql, 'a.idx', 'a.d0')})::BIGINT)
      FROM seed_tmp_assign a JOIN seed_tmp_users u ON u.idx = a.idx
      WHERE a.x = ${xi}`);
    progress?.update(xi + 1, input.experiments.length);
  }
  progress?.stop('assigned units to experiments');
  const pivot = input.experiments
    .map((_, xi) => `, max(grp) FILTER (WHERE x = ${xi}) AS g_${xi}, max(d0) FILTER (WHERE x = ${xi}) AS d0_${xi}`)
    .join('');
  const wideCols = input.experiments.map((_, xi) => `, w.g_${xi}, w.d0_${xi}`).join('');
  const knobCols = sql.knobColumnsSql();
  await store.run(`CREATE TEMP TABLE seed_tmp_units AS
    SELECT *${knobCols.length > 0 ? `, ${knobCols.join(', ')}` : ''} FROM (
      SELECT u.*${wideCols}
      FROM seed_tmp_users u LEFT JOIN (SELECT idx${pivot} FROM seed_tmp_assign GROUP BY idx) w ON w.idx = u.idx)`);

  // ---- events -----------------------------------------------------------------------------------
  const evs = input.events;
  const rateCols = evs.map((e, ei) => `${sql.rateSql(e)} AS c_${ei}`).join(',\n        ');
  const valueCols = evs
    .map((e, ei) => (e.value ? `, ${sql.valueKnobSql(e)} AS v_${ei}` : ''))
    .join('');
  const totalC = evs.map((_, ei) => `c_${ei}`).join(' + ');
  const cum: string[] = [];
  const typeCase = `(CASE ${evs
    .slice(0, -1)
    .map((e, ei) => {
      cum.push(`c_${ei}`);
      return `WHEN ut * cc < ${cum.join(' + ')} THEN ${quoteLiteral(e.name)}`;
    })
    .join(' ')} ELSE ${quoteLiteral(evs[evs.length - 1]?.name ?? '')} END)`;
  const valueCase = evs.some((e) => e.value)
    ? `(CASE event ${evs
        .map((e, ei) =>
          e.value
            ? `WHEN ${quoteLiteral(e.name)} THEN round(${num(e.value.mean)} * s * v_${ei} * exp(${num(e.value.sigma)} * ${sql.normal(62, 'idx::BIGINT', 'd::INTEGER', 'j::BIGINT')} - ${num((e.value.sigma * e.value.sigma) / 2)}), 2)`
            : '',
        )
        .join(' ')} ELSE NULL END)`
    : 'NULL::DOUBLE';
  const metaCase = evs.some((e) => e.properties.length > 0)
    ? `(CASE event ${evs
        .map((e) =>
          e.properties.length > 0
            ? `WHEN ${quoteLiteral(e.name)} THEN json_object(${e.properties
                .map((p, pi) => `${quoteLiteral(p.name)}, ${sql.categorical(sql.uni(70 + pi, 'idx', 'd', 'j'), p.values)}`)
                .join(', ')})`
            : '',
        )
        .join(' ')} ELSE NULL END)`
    : 'NULL::JSON';
  const chunk = Math.max(1, Math.min(N, 250_000));
  // Events are generated in chunks of users small enough to report progress about every 8 %
  // (the output does not depend on the chunking: every draw is a hash of unit, day and index).
  const eventChunk = eventChunkSize(N);
  progress?.start('generating events', N);
  // Row order in the events table carries no meaning: let DuckDB insert in parallel without ordering.
  await store.run('SET preserve_insertion_order = false');
  try {
  for (let lo = 0; lo < N; lo += eventChunk) {
    const hi = Math.min(N, lo + eventChunk);
    await store.run(`INSERT INTO events (unit_id, event, ts, value, metadata)
      WITH ud AS (
        SELECT u.idx, u.unit_id, u.m, u.s, c.d, c.day_start,
        ${rateCols}${valueCols}
        FROM seed_tmp_units u JOIN seed_tmp_cday c USING (country)
        WHERE u.idx >= ${lo} AND u.idx < ${hi}
      ), act AS (
        SELECT *, ${totalC} AS cc FROM ud
      ), k AS (
        SELECT *, CASE WHEN ${sql.uni(51, 'idx::BIGINT', 'd::INTEGER')} * (cc + m) < cc
                  THEN floor(cc + m + ${sql.uni(52, 'idx::BIGINT', 'd::INTEGER')})::INTEGER ELSE 0 END AS kk
        FROM act
      ), ev AS (
        SELECT *, unnest(range(kk)) AS j FROM (SELECT *, ${arrivalSql(sql, 'idx', 'd')} AS arr FROM k WHERE kk > 0)
      ), typed AS (
        SELECT *, ${typeCase} AS event
        FROM (SELECT *, ${sql.uni(60, 'idx::BIGINT', 'd::INTEGER', 'j::BIGINT')} AS ut FROM ev)
      )
      SELECT unit_id, event,
        day_start + to_seconds((arr + floor((86400 - arr) * ${sql.uni(61, 'idx::BIGINT', 'd::INTEGER', 'j::BIGINT')}))::BIGINT),
        ${valueCase}, ${metaCase}
      FROM typed`);
    progress?.update(hi, N);
  }
  } finally {
    await store.run('RESET preserve_insertion_order');
  }
  progress?.stop('generated events');

  // ---- truth ----------------------------------------------------------------------------------
  progress?.start('computing true effects', N);
  const trueEffects = await computeTruth(store, sql, chunk, (done) => progress?.update(done, N));
  progress?.stop('computed true effects');
  if (trueEffects.length > 0) {
    const values = trueEffects.map(
      (t) => `(${quoteLiteral(t.experiment)}, ${quoteLiteral(t.metric)}, ${quoteLiteral(t.group)}, ${num(t.abs)}, ${t.rel === null ? 'NULL' : num(t.rel)}, ${quoteLiteral(t.segment)})`,
    );
    for (let i = 0; i < values.length; i += 500) {
      await store.run(`INSERT INTO true_effects (experiment, metric, group_name, abs_effect, rel_effect, segment) VALUES ${values.slice(i, i + 500).join(', ')}`);
    }
  }

  const exposuresByExperiment: Record<string, Record<string, number>> = {};
  for (const x of input.experiments) exposuresByExperiment[x.name] = Object.fromEntries(x.groups.map((g) => [g.name, 0]));
  for (const r of await store.all<{ experiment: string; group_name: string; n: number }>(
    `SELECT experiment, group_name, count(*) AS n FROM exposures GROUP BY ALL`,
  )) {
    const m = exposuresByExperiment[r.experiment];
    if (m) m[r.group_name] = Number(r.n);
  }
  const counts = {
    users: await scalar(store, 'SELECT count(*) FROM users'),
    exposures: await scalar(store, 'SELECT count(*) FROM exposures'),
    events: await scalar(store, 'SELECT count(*) FROM events'),
    true_effects: trueEffects.length,
  };
  await dropTemp(store);
  return {
    counts,
    exposuresByExperiment,
    trueEffects,
    holidays,
    window: { pre_start: preStart, start: input.start, end, pre_days: P, days: D },
    unsimulated: [...sql.unsimulated].sort(),
  };
}

async function dropTemp(store: Store): Promise<void> {
  for (const t of ['seed_tmp_base', 'seed_tmp_users', 'seed_tmp_cday', 'seed_tmp_assign', 'seed_tmp_units']) {
    await store.run(`DROP TABLE IF EXISTS ${t}`);
  }
}

// ---- truth ------------------------------------------------------------------------------------

function componentId(c: MetricComponent): string {
  return `${c.agg}|${c.event}`;
}

interface TruthPlan {
  xi: number;
  x: SeedExperiment;
  comps: MetricComponent[];
  /** Segments reported besides "all": label and predicate column. */
  filters: { label: string; col: string | null }[];
}

/** The truth query of one experiment over the units [lo, hi): one row of sums. */
function truthQuery(sql: Sql, plan: TruthPlan, lo: number, hi: number): string {
  const { input } = sql;
  const evs = input.events;
  const evIndex = new Map(evs.map((e, i) => [e.name, i]));
  const active = [plan];
  const needsP0 = (p: TruthPlan) => p.comps.some((c) => c.agg === 'any' || c.agg === 'days');
  const needed = new Set<number>();
  for (const p of active) {
    for (const c of p.comps) needed.add(evIndex.get(c.event) as number);
    if (needsP0(p)) evs.forEach((_, i) => needed.add(i));
  }
  const valueNeeded = new Set<number>();
  for (const p of active) for (const c of p.comps) if (c.agg === 'sum' && evs[evIndex.get(c.event) as number]?.value) valueNeeded.add(evIndex.get(c.event) as number);

  /** Per-unit column: ratio of X's knob for group g to its knob as assigned, or null when X never changes e. */
  const ratioCols: string[] = [];
  const ratio = (xi: number, g: number, ei: number, which: 'intensity' | 'value'): string | null => {
    const e = (evs[ei] as SeedEvent).name;
    const col = sql.knobColumn(xi, e, which);
    if (!col) return null;
    const name = `r${which === 'intensity' ? 'i' : 'v'}_${g}_${ei}`;
    if (!ratioCols.some((c) => c.endsWith(` AS ${name}`))) ratioCols.push(`${sql.experimentKnobSql(xi, g, e, which)} / ${col} AS ${name}`);
    return name;
  };
  // stage 1: per unit-day rates as assigned
  const s1: string[] = [];
  for (const ei of needed) s1.push(`${sql.rateSql(evs[ei] as SeedEvent)} AS c_${ei}`);
  for (const ei of valueNeeded) s1.push(`${sql.valueKnobSql(evs[ei] as SeedEvent)} AS v_${ei}`);
  const segCols: string[] = [];
  for (const p of active) p.x.segments.forEach((sg, si) => segCols.push(`(${sql.segmentPredicate(sg)}) AS seg_${p.xi}_${si}`));
  // stage 2: counterfactual counts per experiment and group
  const s2: string[] = [];
  // A planted interaction of X with another experiment: its factor under group g of X over its factor as assigned.
  const interaction = (xi: number, g: number, ei: number): string | null => {
    const its = (input.interactions ?? []).filter((it) => it.event === evs[ei]?.name && (it.a === xi || it.b === xi));
    if (its.length === 0) return null;
    const f = (it: PlantedInteraction, override?: { xi: number; group: number }): string => `(CASE WHEN ${sql.interactionActive(it, override)} THEN ${num(it.factor)} ELSE 1.0 END)`;
    return its.map((it) => `${f(it, { xi, group: g })} / ${f(it)}`).join(' * ');
  };
  const cName = (xi: number, g: number, ei: number): string => (ratio(xi, g, ei, 'intensity') || interaction(xi, g, ei) ? `c_${xi}_${g}_${ei}` : `c_${ei}`);
  for (const p of active) {
    for (let g = 0; g < p.x.groups.length; g++) {
      for (const ei of needed) {
        const r = ratio(p.xi, g, ei, 'intensity');
        const it = interaction(p.xi, g, ei);
        if (r || it) s2.push(`c_${ei}${r ? ` * ${r}` : ''}${it ? ` * ${it}` : ''} AS c_${p.xi}_${g}_${ei}`);
      }
    }
  }
  // stage 3: totals for P0
  const s3: string[] = [];
  for (const p of active.filter(needsP0)) {
    for (let g = 0; g < p.x.groups.length; g++) s3.push(`${[...needed].map((ei) => cName(p.xi, g, ei)).join(' + ')} AS cc_${p.xi}_${g}`);
  }
  // per-unit aggregates
  const aggs: string[] = [];
  for (const p of active) {
    const after = '';
    for (let g = 0; g < p.x.groups.length; g++) {
      p.comps.forEach((c, ci) => {
        const ei = evIndex.get(c.event) as number;
        const e = evs[ei] as SeedEvent;
        const cexpr = cName(p.xi, g, ei);
        const k = `k_${p.xi}_${g}_${ci}`;
        switch (c.agg) {
          case 'count':
            aggs.push(`sum(${cexpr})${after} AS ${k}`);
            break;
          case 'sum': {
            const vr = ratio(p.xi, g, ei, 'value');
            aggs.push(e.value ? `sum(${cexpr} * v_${ei}${vr ? ` * ${vr}` : ''} * s) ${after} * ${num(e.value.mean)} AS ${k}` : `0.0 AS ${k}`);
            break;
          }
          case 'any':
          case 'days': {
            const C = `cc_${p.xi}_${g}`;
            const M = `(${C} + m)`;
            const q = `(CASE WHEN ${C} > 0 THEN 1.0 - ${cexpr} / ${C} ELSE 1.0 END)`;
            const frac = `(${M} - floor(${M}))`;
            const p0 = `(1.0 - ${C} / ${M} + ${C} / ${M} * pow(${q}, floor(${M})) * (1.0 - ${frac} + ${frac} * ${q}))`;
            aggs.push(c.agg === 'any' ? `sum(ln(greatest(${p0}, 1e-300))) ${after} AS ${k}` : `sum(1.0 - ${p0}) ${after} AS ${k}`);
            break;
          }
        }
      });
    }
  }
  // totals over units
  const outer: string[] = [];
  for (const p of active) {
    p.filters.forEach((f, fi) => {
      const where = `FILTER (WHERE g_${p.xi} IS NOT NULL${f.col ? ` AND ${f.col}` : ''})`;
      outer.push(`count(*) ${where} AS n_${p.xi}_${fi}`);
      for (let g = 0; g < p.x.groups.length; g++) {
        p.comps.forEach((c, ci) => {
          const k = `k_${p.xi}_${g}_${ci}`;
          outer.push(`coalesce(sum(${c.agg === 'any' ? `1.0 - exp(${k})` : k}) ${where}, 0) AS t_${p.xi}_${fi}_${g}_${ci}`);
        });
      }
    });
  }
  const groupCols = ['idx', `g_${plan.xi}`, ...segCols.map((c) => c.replace(/^.* AS /, ''))];
  return `
      WITH ux AS (
        SELECT *${segCols.length > 0 ? `, ${segCols.join(', ')}` : ''}${ratioCols.length > 0 ? `, ${ratioCols.join(', ')}` : ''}
        FROM seed_tmp_units
        WHERE idx >= ${lo} AND idx < ${hi} AND g_${plan.xi} IS NOT NULL
      ), w1 AS (
        SELECT ux.*, c.d, c.f,
          ${s1.join(',\n          ')}
        FROM ux JOIN seed_tmp_cday c USING (country)
        WHERE c.d >= ux.d0_${plan.xi}
      ), w2 AS (
        SELECT *${s2.length > 0 ? `, ${s2.join(', ')}` : ''} FROM w1
      ), w3 AS (
        SELECT *${s3.length > 0 ? `, ${s3.join(', ')}` : ''} FROM w2
      ), per_unit AS (
        SELECT ${groupCols.join(', ')}, ${aggs.join(', ')}
        FROM w3 GROUP BY ${groupCols.join(', ')}
      )
      SELECT ${outer.join(', ')} FROM per_unit`;
}

/**
 * Exact expected metric components of every exposed unit under each group of each experiment,
 * in one pass over unit-days (chunked by units; the sums are added up across chunks):
 *   per row: the day's expected count c_e of every needed event with every knob as assigned;
 *   for experiment X and group g: c_e * knob_X(g) / knob_X(assigned), on days >= the unit's first exposure;
 *   count -> Σ c, sum -> Σ c * value, any -> 1 - Π P0, days -> Σ (1 - P0), with
 *   P0 = P(no such event that day) = 1 - p + p * q^floor(M) * (1 - frac(M) + frac(M) * q),
 *   M = C + m (expected events on an active day), p = C / M, q = 1 - c / C, C = Σ_e c_e.
 */
async function computeTruth(store: Store, sql: Sql, chunk: number, onChunk: (done: number) => void): Promise<TrueEffectRow[]> {
  const { input } = sql;
  const evs = input.events;
  const evIndex = new Map(evs.map((e, i) => [e.name, i]));
  const plans: TruthPlan[] = input.experiments.map((x, xi) => {
    const comps = new Map<string, MetricComponent>();
    for (const m of x.metrics) {
      const { numerator, denominator } = metricComponents(m);
      if (evIndex.has(numerator.event)) comps.set(componentId(numerator), numerator);
      if (denominator && evIndex.has(denominator.event)) comps.set(componentId(denominator), denominator);
    }
    return {
      xi,
      x,
      comps: [...comps.values()],
      filters: [{ label: 'all', col: null }, ...x.segments.map((s, si) => ({ label: `${s.attribute}=${s.value}`, col: `seg_${xi}_${si}` }))],
    };
  });
  const active = plans.filter((p) => p.comps.length > 0);
  if (active.length === 0) return [];
  const totals = new Map<string, number>();
  const N = input.users;
  let step = 0;
  for (const p of active) {
    for (let lo = 0; lo < N; lo += chunk) {
      const hi = Math.min(N, lo + chunk);
      const rows = await store.all(truthQuery(sql, p, lo, hi));
      for (const [k, v] of Object.entries(rows[0] ?? {})) totals.set(k, (totals.get(k) ?? 0) + Number(v ?? 0));
      step += hi - lo;
      onChunk(Math.round(step / active.length));
    }
  }
  const val = (k: string): number => totals.get(k) ?? 0;
  const out: TrueEffectRow[] = [];
  for (const p of active) {
    const compIndex = new Map(p.comps.map((c, ci) => [componentId(c), ci]));
    p.filters.forEach((f, fi) => {
      const n = val(`n_${p.xi}_${fi}`);
      if (n === 0) return;
      for (const m of p.x.metrics) {
        const { numerator, denominator } = metricComponents(m);
        const ni = compIndex.get(componentId(numerator));
        const di = denominator ? compIndex.get(componentId(denominator)) : undefined;
        if (ni === undefined || (denominator && di === undefined)) continue;
        const stat = (g: number): number => {
          const nsum = val(`t_${p.xi}_${fi}_${g}_${ni}`);
          if (di === undefined) return nsum / n;
          const dsum = val(`t_${p.xi}_${fi}_${g}_${di}`);
          return dsum === 0 ? 0 : nsum / dsum;
        };
        const control = stat(p.x.control);
        for (let g = 0; g < p.x.groups.length; g++) {
          if (g === p.x.control) continue;
          const abs = stat(g) - control;
          out.push({
            experiment: p.x.name,
            metric: m.key,
            group: p.x.groups[g]?.name ?? String(g),
            segment: f.label,
            abs,
            rel: control === 0 ? null : abs / control,
            control_mean: control,
            units: n,
          });
        }
      }
    });
  }
  // report in experiment order, "all" first
  return out;
}

export type { ComponentAgg };
export { addDays, dayIndex };
