/**
 * Turns a validated project spec into the data generator's input: group indexes, layer slots,
 * the per-event knobs that realise the intended effects, experiment reach, and the anomalies to
 * inject. Pure and deterministic by seed.
 *
 * Intended effects become knobs on events (the recorded truth is then computed exactly from the
 * knobs, so an intent that two metrics share is realised as well as it can be, never misreported):
 *   count / any / days metrics, ratio and funnel numerators -> intensity of the event (rate x (1 + r))
 *   mean metrics and ratio numerators aggregating value     -> value of the event (x (1 + r))
 *   sum metrics -> intensity, or the value when the intensity is already set (so the sum moves by r)
 */
import type { Anomaly, Knob, PlantedInteraction, SeedDataInput, SeedExperiment } from '../../store/seed-data.js';
import type { MetricDef } from '../../store/metrics.js';
import type { ProjectSpec, TrueEffectIntent } from './schema.js';
import { Rng } from './random.js';
import { controlGroupOf, resolveExperimentMetrics } from './validate.js';

export interface PlanOptions {
  seed: number;
  users: number;
  days: number;
  preDays: number;
  start: string;
  /** Plant an interaction with this intensity factor between two overlapping experiments (see plantedInteraction). */
  plantInteraction?: number | undefined;
}

function knobFromIntent(t: TrueEffectIntent): Knob {
  return { base: 1 + t.relative, segments: t.segments.map((s) => ({ attribute: s.attribute, value: s.value, factor: 1 + s.relative })) };
}

function factorFor(k: Knob | null, seg: { attribute: string; value: string } | null): number {
  if (!k) return 1;
  if (seg) {
    const hit = k.segments.find((s) => s.attribute === seg.attribute && s.value === seg.value);
    if (hit) return hit.factor;
  }
  return k.base;
}

/** Divides a target knob by an existing one, segment by segment. */
function divideKnob(target: Knob, by: Knob): Knob {
  const segs = [...target.segments.map((s) => ({ attribute: s.attribute, value: s.value })), ...by.segments.map((s) => ({ attribute: s.attribute, value: s.value }))];
  const seen = new Set<string>();
  const out: Knob = { base: target.base / factorFor(by, null), segments: [] };
  for (const s of segs) {
    const id = `${s.attribute}=${s.value}`;
    if (seen.has(id)) continue;
    seen.add(id);
    out.segments.push({ ...s, factor: factorFor(target, s) / factorFor(by, s) });
  }
  return out;
}

type Knobs = Map<string, { intensity: Knob | null; value: Knob | null }>;

function knobsForGroup(intents: { t: TrueEffectIntent; def: MetricDef }[]): Knobs {
  const knobs: Knobs = new Map();
  const get = (event: string) => {
    let k = knobs.get(event);
    if (!k) {
      k = { intensity: null, value: null };
      knobs.set(event, k);
    }
    return k;
  };
  const rank = (d: MetricDef): number => (d.kind === 'sum' ? 2 : d.kind === 'mean' ? 1 : 0);
  for (const { t, def } of [...intents].sort((a, b) => rank(a.def) - rank(b.def))) {
    const knob = knobFromIntent(t);
    switch (def.kind) {
      case 'count':
      case 'any':
      case 'days': {
        const k = get(def.event);
        if (!k.intensity) k.intensity = knob;
        break;
      }
      case 'ratio': {
        const event = def.numeratorEvent ?? def.event;
        const k = get(event);
        if (def.numeratorAgg === 'sum' && def.denominatorEvent === event) {
          if (!k.value) k.value = knob;
        } else if (def.numeratorAgg === 'sum') {
          if (!k.intensity) k.intensity = knob;
          else if (!k.value) k.value = divideKnob(knob, k.intensity);
        } else if (!k.intensity) {
          k.intensity = knob;
        }
        break;
      }
      case 'mean': {
        const k = get(def.event);
        if (!k.value) k.value = knob;
        break;
      }
      case 'sum': {
        const k = get(def.event);
        if (!k.intensity && !k.value) k.intensity = knob;
        else if (k.intensity && !k.value) k.value = divideKnob(knob, k.intensity);
        else if (!k.intensity && k.value) k.intensity = divideKnob(knob, k.value);
        break;
      }
    }
  }
  return knobs;
}

/** Anomalies to inject, chosen by seed: an outage, a campaign spike and a level shift. */
export function planAnomalies(spec: ProjectSpec, opts: PlanOptions): Anomaly[] {
  const rng = new Rng(opts.seed, 7);
  const out: Anomaly[] = [];
  const events = [...spec.events].sort((a, b) => b.dailyRate - a.dailyRate);
  const top = events[0];
  if (!top) return out;
  const D = opts.days;
  const P = opts.preDays;
  if (D >= 3) {
    const platform = rng.pick(spec.population.platforms).value;
    const day = rng.int(1, D - 2);
    out.push({
      kind: 'outage',
      event: top.name,
      startDay: day,
      endDay: day,
      factor: 0.2,
      segment: { attribute: 'platform', value: platform },
      description: `${top.name} dropped to 20% on ${platform} for a day (outage)`,
    });
  }
  const spikeEvent = rng.pick(spec.events);
  const channel = rng.pick(spec.population.channels).value;
  if (P >= 4 || D >= 6) {
    const day = P >= 4 ? -rng.int(2, P - 1) : rng.int(1, D - 3);
    out.push({
      kind: 'spike',
      event: spikeEvent.name,
      startDay: day,
      endDay: day + 1,
      factor: 2.5,
      segment: { attribute: 'channel', value: channel },
      description: `${spikeEvent.name} x2.5 for users from ${channel} for two days (campaign spike)`,
    });
  }
  if (D >= 6) {
    const shiftEvent = rng.pick(events.slice(0, Math.min(3, events.length)));
    const day = rng.int(Math.floor(D / 2), D - 2);
    out.push({
      kind: 'level_shift',
      event: shiftEvent.name,
      startDay: day,
      endDay: D - 1,
      factor: 1.3,
      segment: null,
      description: `${shiftEvent.name} +30% for everyone from then on (level shift)`,
    });
  }
  return out;
}

/** The data generator's input for a validated spec. */
export function planSeedData(spec: ProjectSpec, opts: PlanOptions): SeedDataInput {
  const rng = new Rng(opts.seed, 3);
  const layerNext = new Map<string, number>();
  const experiments: SeedExperiment[] = spec.experiments.map((x) => {
    const control = Math.max(
      0,
      x.groups.findIndex((g) => g.name === controlGroupOf(x)),
    );
    const allocation = x.allocation ?? 100;
    let layer: SeedExperiment['layer'] = null;
    if (x.layerID) {
      const start = layerNext.get(x.layerID) ?? 0;
      layer = { name: x.layerID, start };
      layerNext.set(x.layerID, start + allocation);
    }
    const metrics = resolveExperimentMetrics(spec, x).map((m) => m.def);
    const byKey = new Map(metrics.map((m) => [m.key, m]));
    const knobs: SeedExperiment['knobs'] = [];
    x.groups.forEach((g, gi) => {
      if (gi === control) return;
      const intents = spec.true_effects
        .filter((t) => t.experiment === x.name && t.group === g.name)
        .flatMap((t) => {
          const def = byKey.get(t.metric);
          return def ? [{ t, def }] : [];
        });
      for (const [event, k] of knobsForGroup(intents)) knobs.push({ group: gi, event, intensity: k.intensity, value: k.value });
    });
    const segments: SeedExperiment['segments'] = [];
    for (const t of spec.true_effects.filter((e) => e.experiment === x.name)) {
      for (const s of t.segments) {
        if (!segments.some((z) => z.attribute === s.attribute && z.value === s.value)) segments.push({ attribute: s.attribute, value: s.value });
      }
    }
    return {
      name: x.name,
      groups: x.groups.map((g) => ({ name: g.name, size: g.size })),
      control,
      allocation,
      layer,
      targetingGate: x.targetingGateID ?? null,
      reach: Number(rng.range(0.25, 0.6).toFixed(4)),
      knobs,
      metrics,
      segments,
    };
  });
  return {
    seed: opts.seed,
    users: opts.users,
    days: opts.days,
    preDays: opts.preDays,
    start: opts.start,
    population: spec.population,
    events: spec.events,
    dynamics: spec.dynamics,
    gates: spec.gates,
    segments: spec.segments,
    experiments,
    anomalies: planAnomalies(spec, opts),
    interactions: opts.plantInteraction === undefined ? [] : plantedInteraction(experiments, opts.plantInteraction),
  };
}

/**
 * The pair to plant an interaction on: the two experiments most likely to share units (not in the
 * same layer, ungated first, then by allocation; spec order breaks ties), on the event of the first
 * experiment's first count metric (else its first metric's event).
 */
export function plantedInteraction(experiments: SeedExperiment[], factor: number): PlantedInteraction[] {
  let best: { a: number; b: number; score: number } | null = null;
  experiments.forEach((x, a) => {
    experiments.forEach((y, b) => {
      if (b <= a || (x.layer && y.layer && x.layer.name === y.layer.name)) return;
      const score = (x.allocation * y.allocation) / ((x.targetingGate ? 2 : 1) * (y.targetingGate ? 2 : 1));
      if (!best || score > best.score) best = { a, b, score };
    });
  });
  const pair = best as { a: number; b: number } | null;
  if (!pair) return [];
  const metrics = experiments[pair.a]?.metrics ?? [];
  const counted = metrics.find((m) => m.kind === 'count') ?? metrics[0];
  const event = counted ? (counted.numeratorEvent ?? counted.event) : null;
  return event ? [{ a: pair.a, b: pair.b, event, factor }] : [];
}
