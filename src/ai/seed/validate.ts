/**
 * Referential checks on a schema-valid project spec: what the Console API would reject or what
 * would make the generated data meaningless. Returns a list of violations (empty = valid), worded
 * so that a model can fix them in a repair turn.
 */
import { MetricMappingError, metricFromSpec, metricKey, type MetricDef } from '../../store/metrics.js';
import { SEED_NAME_PATTERN, type ExperimentSpec, type LayerSpec, type ProjectSpec, type Rule } from './schema.js';

export const CORE_USER_ATTRIBUTES = ['country', 'platform', 'plan', 'channel'] as const;

/** The control group of an experiment: controlGroupID, else a group named "control", else the first. */
export function controlGroupOf(exp: Pick<ExperimentSpec, 'groups' | 'controlGroupID'>): string {
  if (exp.controlGroupID) return exp.controlGroupID;
  const named = exp.groups.find((g) => g.name.toLowerCase() === 'control');
  return (named ?? exp.groups[0])?.name ?? 'Control';
}

/** All metric references of an experiment (primary first), with their keys. */
export function experimentRefs(exp: ExperimentSpec): { key: string; name: string; type: string; direction?: 'increase' | 'decrease'; primary: boolean }[] {
  return [
    ...(exp.primaryMetrics ?? []).map((r) => ({ ...r, key: metricKey(r), primary: true })),
    ...(exp.secondaryMetrics ?? []).map((r) => ({ ...r, key: metricKey(r), primary: false })),
  ];
}

/** Resolves every metric reference of an experiment; unresolvable ones are skipped (validate reports them). */
export function resolveExperimentMetrics(spec: ProjectSpec, exp: ExperimentSpec): { def: MetricDef; primary: boolean }[] {
  const out: { def: MetricDef; primary: boolean }[] = [];
  for (const ref of experimentRefs(exp)) {
    const def = resolveRef(spec, ref);
    if (typeof def !== 'string') out.push({ def, primary: ref.primary });
  }
  return out;
}

function resolveRef(spec: ProjectSpec, ref: { name: string; type: string; direction?: 'increase' | 'decrease' }): MetricDef | string {
  const eventNames = new Set(spec.events.map((e) => e.name));
  if (ref.type === 'event_count' || ref.type === 'event_dau') {
    if (!eventNames.has(ref.name)) return `built-in ${ref.type} metric "${ref.name}" refers to an event that is not in the event catalog`;
    return {
      key: `${ref.name}:${ref.type}`,
      name: ref.name,
      type: ref.type,
      kind: ref.type === 'event_count' ? 'count' : 'days',
      event: ref.name,
      direction: ref.direction ?? 'increase',
    };
  }
  const metric = spec.metrics.find((m) => m.name === ref.name);
  if (!metric) return `metric "${ref.name}" is not defined in metrics (define it, or reference a built-in {name: <event>, type: "event_count" | "event_dau"})`;
  if (metric.type !== ref.type) return `metric "${ref.name}" is referenced with type "${ref.type}" but defined with type "${metric.type}"`;
  try {
    return metricFromSpec(metric, ref.direction);
  } catch (error) {
    return error instanceof MetricMappingError ? error.message : String(error);
  }
}

function checkName(v: string[], where: string, name: string): void {
  if (!SEED_NAME_PATTERN.test(name)) v.push(`${where}: name "${name}" must be snake_case: a lowercase letter, then 2-63 lowercase letters, digits or underscores`);
}

function duplicates(names: string[]): string[] {
  const seen = new Set<string>();
  const dup = new Set<string>();
  for (const n of names) (seen.has(n) ? dup : seen).add(n);
  return [...dup];
}

function valueMatchesType(value: unknown, type: LayerSpec['parameters'][number]['type']): boolean {
  switch (type) {
    case 'string':
      return typeof value === 'string';
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'boolean':
      return typeof value === 'boolean';
    case 'array':
      return Array.isArray(value);
    case 'object':
      return value !== null && typeof value === 'object' && !Array.isArray(value);
  }
}

function checkRules(v: string[], where: string, rules: Rule[] | undefined, gates: Set<string>, segments: Set<string>, self?: string): void {
  (rules ?? []).forEach((rule, i) => {
    for (const c of rule.conditions) {
      const targets = Array.isArray(c.targetValue) ? c.targetValue.map(String) : c.targetValue === null || c.targetValue === undefined ? [] : [String(c.targetValue)];
      if (c.type === 'passes_gate' || c.type === 'fails_gate') {
        for (const t of targets) {
          if (t === self) v.push(`${where}.rules[${i}]: a gate cannot refer to itself (${c.type} ${t})`);
          else if (!gates.has(t)) v.push(`${where}.rules[${i}]: ${c.type} refers to gate "${t}" which is not defined`);
        }
      }
      if (c.type === 'passes_segment' || c.type === 'fails_segment') {
        for (const t of targets) if (!segments.has(t) || t === self) v.push(`${where}.rules[${i}]: ${c.type} refers to segment "${t}" which is not defined`);
      }
      if (c.type === 'custom_field' && !c.field) v.push(`${where}.rules[${i}]: a custom_field condition needs "field"`);
      if (c.type !== 'public' && c.type !== 'passes_gate' && c.type !== 'fails_gate' && c.type !== 'passes_segment' && c.type !== 'fails_segment' && !c.operator) {
        v.push(`${where}.rules[${i}]: a ${c.type} condition needs an "operator" (e.g. "any")`);
      }
    }
  });
}

/** All violations of a project spec (empty when valid). */
export function validateProjectSpec(spec: ProjectSpec): string[] {
  const v: string[] = [];
  const gateNames = new Set(spec.gates.map((g) => g.name));
  const segmentNames = new Set(spec.segments.map((s) => s.name));
  const layerByName = new Map(spec.layers.map((l) => [l.name, l]));
  const eventByName = new Map(spec.events.map((e) => [e.name, e]));

  // Names: API-valid, snake_case (so the API id equals the name), unique.
  const configKinds: [string, { name: string }[]][] = [
    ['gates', spec.gates],
    ['dynamic_configs', spec.dynamic_configs],
    ['experiments', spec.experiments],
    ['layers', spec.layers],
    ['segments', spec.segments],
  ];
  for (const [kind, list] of configKinds) for (const e of list) checkName(v, `${kind}.${e.name}`, e.name);
  for (const d of duplicates(configKinds.flatMap(([, list]) => list.map((e) => e.name)))) {
    v.push(`name "${d}" is used more than once across gates, dynamic_configs, experiments, layers and segments; names must be unique`);
  }
  for (const m of spec.metrics) checkName(v, `metrics.${m.name}`, m.name);
  for (const d of duplicates(spec.metrics.map((m) => m.name))) v.push(`metrics: name "${d}" is used more than once`);
  for (const e of spec.events) checkName(v, `events.${e.name}`, e.name);
  for (const d of duplicates(spec.events.map((e) => e.name))) v.push(`events: name "${d}" is used more than once`);
  for (const m of spec.metrics) if (eventByName.has(m.name)) v.push(`metrics.${m.name}: a metric must not have the same name as an event`);

  // Events and population.
  for (const e of spec.events) {
    for (const d of duplicates(e.properties.map((p) => p.name))) v.push(`events.${e.name}: property "${d}" is listed twice`);
    for (const p of e.properties) for (const d of duplicates(p.values.map((x) => x.value))) v.push(`events.${e.name}.properties.${p.name}: value "${d}" is listed twice`);
  }
  const pop = spec.population;
  const dims: [string, { value: string }[]][] = [
    ['countries', pop.countries],
    ['platforms', pop.platforms],
    ['plans', pop.plans],
    ['channels', pop.channels],
    ...pop.attributes.map((a): [string, { value: string }[]] => [`attributes.${a.name}`, a.values]),
  ];
  for (const [name, list] of dims) for (const d of duplicates(list.map((x) => x.value))) v.push(`population.${name}: value "${d}" is listed twice`);
  for (const c of pop.countries) if (!/^[A-Z]{2}$/.test(c.value)) v.push(`population.countries: "${c.value}" must be an ISO 3166-1 alpha-2 code like "US"`);
  for (const a of pop.attributes) {
    if ((CORE_USER_ATTRIBUTES as readonly string[]).includes(a.name) || a.name === 'tenure_days') v.push(`population.attributes: "${a.name}" is a built-in user attribute; use another name`);
  }
  for (const d of duplicates(pop.attributes.map((a) => a.name))) v.push(`population.attributes: "${d}" is listed twice`);

  // Gates, configs, segments.
  for (const g of spec.gates) checkRules(v, `gates.${g.name}`, g.rules, gateNames, segmentNames, g.name);
  for (const c of spec.dynamic_configs) checkRules(v, `dynamic_configs.${c.name}`, c.rules, gateNames, segmentNames);
  for (const s of spec.segments) {
    checkRules(v, `segments.${s.name}`, s.rules, gateNames, segmentNames, s.name);
    if (s.type === 'rule_based' && (s.rules ?? []).length === 0) v.push(`segments.${s.name}: a rule_based segment needs at least one rule`);
  }

  // Layers.
  for (const l of spec.layers) {
    for (const d of duplicates(l.parameters.map((p) => p.name))) v.push(`layers.${l.name}: parameter "${d}" is listed twice`);
    for (const p of l.parameters) if (!valueMatchesType(p.defaultValue, p.type)) v.push(`layers.${l.name}.parameters.${p.name}: defaultValue does not match type ${p.type}`);
  }

  // Metrics.
  for (const m of spec.metrics) {
    const where = `metrics.${m.name}`;
    const events = m.metricEvents ?? [];
    for (const e of events) {
      if (!eventByName.has(e.name)) v.push(`${where}: metricEvents refers to event "${e.name}" which is not in the event catalog`);
      if ((e.criteria ?? []).length > 0) v.push(`${where}: metricEvents criteria (filters) are not supported by seed; leave criteria empty`);
    }
    for (const e of m.funnelEventList ?? []) if (!eventByName.has(e.name)) v.push(`${where}: funnelEventList refers to event "${e.name}" which is not in the event catalog`);
    if ((m.type === 'sum' || m.type === 'mean') && events.length !== 1) v.push(`${where}: a ${m.type} metric needs exactly one metricEvents entry`);
    if ((m.type === 'sum' || m.type === 'mean') && events[0]) {
      const ev = eventByName.get(events[0].name);
      if (ev && ev.value === null) v.push(`${where}: a ${m.type} metric needs an event with a value, but "${ev.name}" has value null`);
      if (events[0].type && events[0].type !== 'value') v.push(`${where}: a ${m.type} metric's metricEvents[0].type must be "value"`);
    }
    if ((m.type === 'event_count_custom' || m.type === 'event_user') && events.length !== 1) v.push(`${where}: a ${m.type} metric needs exactly one metricEvents entry`);
    if (m.type === 'ratio') {
      if (events.length !== 2) v.push(`${where}: a ratio metric needs exactly two metricEvents: [numerator, denominator]`);
      for (const e of events) {
        const ev = eventByName.get(e.name);
        if (e.type === 'value' && ev && ev.value === null) v.push(`${where}: metricEvents "${e.name}" has type "value" but the event has no value`);
        if (e.type === 'metadata') v.push(`${where}: metricEvents type "metadata" is not supported by seed; use count, count_distinct or value`);
      }
    }
    if (m.type === 'funnel' && (m.funnelEventList ?? []).length < 2) v.push(`${where}: a funnel metric needs at least two funnelEventList steps`);
    if (m.type !== 'funnel' && (m.funnelEventList ?? []).length > 0) v.push(`${where}: funnelEventList is only for funnel metrics`);
    if ((m.type === 'sum' || m.type === 'mean' || m.type === 'event_count_custom' || m.type === 'event_user') && events[0]?.type === 'metadata') {
      v.push(`${where}: metricEvents type "metadata" is not supported by seed`);
    }
  }

  // Experiments.
  const layerAllocation = new Map<string, number>();
  for (const x of spec.experiments) {
    const where = `experiments.${x.name}`;
    const groupNames = x.groups.map((g) => g.name);
    for (const d of duplicates(groupNames)) v.push(`${where}: group name "${d}" is used twice`);
    const total = x.groups.reduce((a, g) => a + g.size, 0);
    if (Math.abs(total - 100) > 1e-6) v.push(`${where}: group sizes sum to ${Number(total.toFixed(4))}, they must sum to 100`);
    for (const g of x.groups) {
      if (Math.abs(g.size * 10 - Math.round(g.size * 10)) > 1e-9) v.push(`${where}.groups.${g.name}: size ${g.size} must be a multiple of 0.1`);
      if (g.size <= 0) v.push(`${where}.groups.${g.name}: size must be positive`);
    }
    if (x.controlGroupID && !groupNames.includes(x.controlGroupID)) v.push(`${where}: controlGroupID "${x.controlGroupID}" is not one of its groups (${groupNames.join(', ')})`);
    const allocation = x.allocation ?? 100;
    if (allocation <= 0) v.push(`${where}: allocation must be above 0`);
    if (x.idType && x.idType !== 'userID') v.push(`${where}: idType must be "userID" (seed simulates users)`);
    if (x.targetingGateID && !gateNames.has(x.targetingGateID)) v.push(`${where}: targetingGateID "${x.targetingGateID}" is not a defined gate`);
    if (x.layerID) {
      const layer = layerByName.get(x.layerID);
      if (!layer) {
        v.push(`${where}: layerID "${x.layerID}" is not a defined layer`);
      } else {
        layerAllocation.set(layer.name, (layerAllocation.get(layer.name) ?? 0) + allocation);
        const params = new Map(layer.parameters.map((p) => [p.name, p]));
        for (const g of x.groups) {
          for (const [k, value] of Object.entries(g.parameterValues)) {
            const p = params.get(k);
            if (!p) v.push(`${where}.groups.${g.name}: parameter "${k}" is not a parameter of layer ${layer.name} (${[...params.keys()].join(', ') || 'none'})`);
            else if (!valueMatchesType(value, p.type)) v.push(`${where}.groups.${g.name}: parameter "${k}" must be a ${p.type} as in layer ${layer.name}`);
          }
        }
      }
    }
    const keys0 = Object.keys(x.groups[0]?.parameterValues ?? {}).sort().join(',');
    for (const g of x.groups.slice(1)) {
      if (Object.keys(g.parameterValues).sort().join(',') !== keys0) v.push(`${where}: every group must set the same parameters (group ${g.name} differs from ${x.groups[0]?.name})`);
    }
    const refs = experimentRefs(x);
    if ((x.primaryMetrics ?? []).length === 0) v.push(`${where}: primaryMetrics must list at least one metric`);
    for (const d of duplicates(refs.map((r) => r.key))) v.push(`${where}: metric "${d}" is referenced twice`);
    for (const r of refs) {
      const res = resolveRef(spec, r);
      if (typeof res === 'string') v.push(`${where}: ${res}`);
    }
  }
  for (const [layer, alloc] of layerAllocation) {
    if (alloc > 100 + 1e-9) v.push(`layers.${layer}: the allocations of its experiments add up to ${alloc}%, at most 100% fits in a layer`);
  }

  // Intended true effects.
  const expByName = new Map(spec.experiments.map((x) => [x.name, x]));
  const attrValues = new Map<string, Set<string>>([
    ['country', new Set(pop.countries.map((o) => o.value))],
    ['platform', new Set(pop.platforms.map((o) => o.value))],
    ['plan', new Set(pop.plans.map((o) => o.value))],
    ['channel', new Set(pop.channels.map((o) => o.value))],
    ...pop.attributes.map((a): [string, Set<string>] => [a.name, new Set(a.values.map((o) => o.value))]),
  ]);
  const seenEffects = new Set<string>();
  for (const [i, t] of spec.true_effects.entries()) {
    const where = `true_effects[${i}]`;
    const x = expByName.get(t.experiment);
    if (!x) {
      v.push(`${where}: experiment "${t.experiment}" is not defined`);
      continue;
    }
    if (!x.groups.some((g) => g.name === t.group)) v.push(`${where}: group "${t.group}" is not a group of ${x.name}`);
    else if (t.group === controlGroupOf(x)) v.push(`${where}: group "${t.group}" is the control group of ${x.name}; effects are for the other groups`);
    const keys = experimentRefs(x).map((r) => r.key);
    if (!keys.includes(t.metric)) v.push(`${where}: metric "${t.metric}" is not a primary or secondary metric of ${x.name} (${keys.join(', ')})`);
    const id = `${t.experiment}/${t.group}/${t.metric}`;
    if (seenEffects.has(id)) v.push(`${where}: a second effect for ${id}; give one entry per experiment, group and metric`);
    seenEffects.add(id);
    for (const s of t.segments) {
      const values = attrValues.get(s.attribute);
      if (!values) v.push(`${where}: segment attribute "${s.attribute}" is not a user attribute (${[...attrValues.keys()].join(', ')})`);
      else if (!values.has(s.value)) v.push(`${where}: segment ${s.attribute} = "${s.value}" is not a value of the population`);
      if (s.relative < -0.9 || s.relative > 3) v.push(`${where}: segment effect ${s.relative} must be between -0.9 and 3`);
    }
  }
  return v;
}
