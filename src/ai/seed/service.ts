/**
 * The seed service: writes a validated project spec and its generated data into the store in one
 * transaction (an interrupted or failed seed leaves the previous project as it was), and returns
 * the summary `seed --json` prints. Never prints.
 *
 * Store layout written:
 *   entities      one row per gate, dynamic config, segment, layer, metric, experiment; spec = the Console API body
 *   users, exposures, events, true_effects   the generated data (see src/store/seed-data.ts)
 *   project       key -> JSON: project {name, description, prompt, domain, source},
 *                 seed {seed, users, days, pre_days, start, ...}, window {pre_start, start, end (exclusive), ...},
 *                 events (catalog), population, dynamics, intended_effects, anomalies, holidays, assignment
 */
import type { Progress } from '../../core/progress.js';
import type { Store } from '../../store/store.js';
import { quoteLiteral } from '../../store/store.js';
import { addDays, generateSeedData, type SeedDataResult } from '../../store/seed-data.js';
import { metricFromSpec, type MetricKind } from '../../store/metrics.js';
import { PUSH_ORDER, type ProjectSpec } from './schema.js';
import { planSeedData } from './plan.js';
import { controlGroupOf, experimentRefs } from './validate.js';

export interface SeedParams {
  seed: number;
  users: number;
  days: number;
  preDays: number;
  /** Experiment start date, YYYY-MM-DD. */
  start: string;
  /** --plant-interaction: intensity factor of a planted interaction between two experiments. */
  plantInteraction?: number | undefined;
}

export interface SeedMeta {
  prompt: string;
  source: 'offline' | 'llm';
  domain: string | null;
  theme: string | null;
}

export interface SeedSummary {
  project: { name: string; description: string };
  source: 'offline' | 'llm';
  domain: string | null;
  seed: number;
  window: SeedDataResult['window'];
  counts: {
    users: number;
    exposures: number;
    events: number;
    true_effects: number;
    gates: number;
    dynamic_configs: number;
    segments: number;
    layers: number;
    metrics: number;
    experiments: number;
    holidays: number;
    anomalies: number;
  };
  experiments: {
    name: string;
    control: string;
    groups: { name: string; size: number; units: number }[];
    primary_metrics: string[];
    secondary_metrics: string[];
    true_effects: { metric: string; group: string; segment: string; abs: number; rel: number | null }[];
  }[];
  gates: { name: string; description: string | null }[];
  metrics: { name: string; type: string; kind: MetricKind | null }[];
  anomalies: { kind: string; event: string; start: string; end: string; factor: number; segment: string | null; description: string }[];
  /** Interactions planted with --plant-interaction (also in the store's project table). */
  planted_interactions: PlantedInteractionSummary[];
  notices: string[];
}

export interface PlantedInteractionSummary {
  experiments: [string, string];
  event: string;
  factor: number;
  description: string;
}

/** What the store holds now, or null when it has no project (nothing seeded or imported). */
export async function existingProject(store: Store): Promise<{ name: string | null; users: number; events: number; entities: number } | null> {
  const rows = await store.all<{ p: number; e: number; u: number; v: number; x: number }>(
    `SELECT (SELECT count(*) FROM project) AS p, (SELECT count(*) FROM entities) AS e, (SELECT count(*) FROM users) AS u,
            (SELECT count(*) FROM events) AS v, (SELECT count(*) FROM exposures) AS x`,
  );
  const r = rows[0];
  if (!r || Number(r.p) + Number(r.e) + Number(r.u) + Number(r.v) + Number(r.x) === 0) return null;
  const meta = await store.all<{ value: unknown }>(`SELECT value FROM project WHERE key = 'project'`);
  let name: string | null = null;
  if (meta[0]) {
    try {
      const v = (typeof meta[0].value === 'string' ? JSON.parse(meta[0].value) : meta[0].value) as { name?: unknown };
      name = typeof v.name === 'string' ? v.name : null;
    } catch {
      name = null;
    }
  }
  return { name, users: Number(r.u), events: Number(r.v), entities: Number(r.e) };
}

function json(value: unknown): string {
  return quoteLiteral(JSON.stringify(value));
}

function round(x: number, digits = 6): number {
  if (!Number.isFinite(x)) return x;
  const p = 10 ** digits;
  return Math.round(x * p) / p;
}

/** Writes the spec and its generated data, replacing whatever project the store held, in one transaction. */
export async function writeSeedProject(store: Store, spec: ProjectSpec, params: SeedParams, meta: SeedMeta, progress?: Progress): Promise<SeedSummary> {
  const input = planSeedData(spec, params);
  const planted: PlantedInteractionSummary[] = (input.interactions ?? []).map((it) => {
    const names: [string, string] = [input.experiments[it.a]?.name ?? '', input.experiments[it.b]?.name ?? ''];
    return { experiments: names, event: it.event, factor: it.factor, description: `${it.event} x${it.factor} for units in a non-control group of both ${names[0]} and ${names[1]}` };
  });
  const data = await store.transaction(async () => {
    for (const t of ['true_effects', 'events', 'exposures', 'users', 'entities', 'project']) await store.run(`DELETE FROM ${t}`);
    for (const kind of PUSH_ORDER) {
      for (const entity of spec[kind]) {
        const e = entity as Record<string, unknown>;
        const body = kind === 'experiments' ? { ...e, duration: Math.max(2, params.days) } : e;
        const type = typeof e.type === 'string' ? e.type : kind === 'experiments' ? 'experiment' : null;
        const status =
          kind === 'experiments' ? (typeof e.status === 'string' ? e.status : 'active') : kind === 'gates' || kind === 'dynamic_configs' ? (e.isEnabled === false ? 'disabled' : 'enabled') : null;
        await store.run(`INSERT INTO entities (kind, name, type, status, spec) VALUES (${quoteLiteral(kind)}, ${quoteLiteral(String(e.name))}, ${type === null ? 'NULL' : quoteLiteral(type)}, ${status === null ? 'NULL' : quoteLiteral(status)}, ${json(body)})`);
      }
    }
    const result = await generateSeedData(store, input, progress);
    const anomalies = input.anomalies.map((a) => ({
      kind: a.kind,
      event: a.event,
      start: addDays(params.start, a.startDay),
      end: addDays(params.start, a.endDay),
      factor: a.factor,
      segment: a.segment,
      description: a.description,
    }));
    const assignment = Object.fromEntries(
      input.experiments.map((x) => [
        x.name,
        {
          group_salt: x.name,
          allocation: x.allocation,
          allocation_salt: x.layer ? x.layer.name : `${x.name}.allocation`,
          layer: x.layer ? { name: x.layer.name, slots: [Math.round(x.layer.start * 100), Math.round((x.layer.start + x.allocation) * 100)] } : null,
          targeting_gate: x.targetingGate,
          control: x.groups[x.control]?.name ?? null,
          groups: x.groups,
        },
      ]),
    );
    const metaRows: [string, unknown][] = [
      ['project', { name: spec.project.name, description: spec.project.description, prompt: meta.prompt, domain: meta.domain, theme: meta.theme, source: meta.source }],
      ['seed', { ...params, pre_days: params.preDays, source: meta.source, domain: meta.domain, generator: 'statsig-hack seed v1' }],
      ['window', result.window],
      ['events', spec.events],
      ['population', spec.population],
      ['dynamics', spec.dynamics],
      ['intended_effects', spec.true_effects],
      ['anomalies', anomalies],
      // Only when asked for (--plant-interaction): a default project's metadata stays as it was.
      ...(planted.length > 0 ? ([['planted_interactions', planted]] as [string, unknown][]) : []),
      ['holidays', result.holidays],
      [
        'assignment',
        {
          hash: 'first 8 bytes of sha256(salt + "." + unit_id), big-endian uint64',
          bucket: 'hash mod 1000, groups by cumulative size * 10',
          allocation: 'hash mod 10000 < allocation * 100 (layers: slot range)',
          gate_rule_salt: '<gate>.<rule index>',
          experiments: assignment,
        },
      ],
    ];
    for (const [key, value] of metaRows) await store.run(`INSERT INTO project (key, value) VALUES (${quoteLiteral(key)}, ${json(value)})`);
    return { result, anomalies };
  });
  const { result, anomalies } = data;

  const experiments: SeedSummary['experiments'] = spec.experiments.map((x) => {
    const exposures = result.exposuresByExperiment[x.name] ?? {};
    const refs = experimentRefs(x);
    return {
      name: x.name,
      control: controlGroupOf(x),
      groups: x.groups.map((g) => ({ name: g.name, size: g.size, units: exposures[g.name] ?? 0 })),
      primary_metrics: refs.filter((r) => r.primary).map((r) => r.key),
      secondary_metrics: refs.filter((r) => !r.primary).map((r) => r.key),
      true_effects: result.trueEffects
        .filter((t) => t.experiment === x.name)
        .map((t) => ({ metric: t.metric, group: t.group, segment: t.segment, abs: round(t.abs), rel: t.rel === null ? null : round(t.rel) })),
    };
  });
  const kindOf = (m: ProjectSpec['metrics'][number]): MetricKind | null => {
    try {
      return metricFromSpec(m).kind;
    } catch {
      return null;
    }
  };
  const notices: string[] = [];
  if (result.unsimulated.length > 0) notices.push(`targeting conditions not simulated (they match every user): ${result.unsimulated.join(', ')}`);
  return {
    project: { name: spec.project.name, description: spec.project.description },
    source: meta.source,
    domain: meta.domain,
    seed: params.seed,
    window: result.window,
    counts: {
      ...result.counts,
      gates: spec.gates.length,
      dynamic_configs: spec.dynamic_configs.length,
      segments: spec.segments.length,
      layers: spec.layers.length,
      metrics: spec.metrics.length,
      experiments: spec.experiments.length,
      holidays: result.holidays.length,
      anomalies: anomalies.length,
    },
    experiments,
    gates: spec.gates.map((g) => ({ name: g.name, description: g.description ?? null })),
    metrics: spec.metrics.map((m) => ({ name: m.name, type: m.type, kind: kindOf(m) })),
    anomalies: anomalies.map((a) => ({ ...a, segment: a.segment ? `${a.segment.attribute}=${a.segment.value}` : null })),
    planted_interactions: planted,
    notices,
  };
}
