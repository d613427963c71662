/**
 * `ideas --create`: each idea becomes a Statsig Console API-shaped experiment (status `setup`)
 * in the project store's `entities` table, all in one transaction, ready to be pushed like
 * the experiments `seed` writes.
 *
 * Names are the ideas' snake_case ids. Re-running on the same site updates the experiments a
 * previous `ideas --create` wrote (tagged `statsig-hack-ideas`, still in `setup`); a name
 * taken by any other experiment gets a numeric suffix instead, so nothing else is overwritten.
 */
import type { Store } from '../../store/store.js';
import type { Idea, Metric } from './schema.js';

export const IDEAS_TAG = 'statsig-hack-ideas';

/** Statsig metric types for the schema's metric types. */
const METRIC_TYPE: Record<Metric['type'], string> = {
  conversion: 'event_user',
  count: 'event_count',
  sum: 'sum',
  mean: 'mean',
  ratio: 'ratio',
};

export interface ConsoleExperiment {
  name: string;
  description: string;
  hypothesis: string;
  idType: string;
  groups: { name: string; size: number; parameterValues: Record<string, unknown>; description: string }[];
  controlGroupID: string;
  allocation: number;
  primaryMetrics: { name: string; type: string; direction: 'increase' | 'decrease' }[];
  secondaryMetrics: { name: string; type: string; direction: 'increase' | 'decrease' }[];
  status: 'setup';
  tags: string[];
}

const clip = (s: string, n: number): string => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

const metricRef = (m: Metric): ConsoleExperiment['primaryMetrics'][number] => ({ name: m.name, type: METRIC_TYPE[m.type], direction: m.direction });

/** The Console API create body for an idea (POST /console/v1/experiments), with status setup. */
export function experimentSpec(idea: Idea, name: string): ConsoleExperiment {
  const evidence = idea.evidence.map((e) => e.selector).join(', ');
  return {
    name,
    description: clip(`${idea.title}. ${idea.summary} Page: ${idea.page_url}. Evidence: ${evidence}. ICE ${idea.ice.score}.`, 1000),
    hypothesis: idea.hypothesis,
    idType: idea.id_type,
    groups: [
      { name: 'Control', size: 50, parameterValues: { enabled: false }, description: clip(idea.control, 1000) },
      { name: 'Test', size: 50, parameterValues: { enabled: true }, description: clip(idea.test, 1000) },
    ],
    controlGroupID: 'Control',
    allocation: 100,
    primaryMetrics: [metricRef(idea.primary_metric)],
    secondaryMetrics: idea.guardrail_metrics.map(metricRef),
    status: 'setup',
    tags: [IDEAS_TAG],
  };
}

export interface CreatedExperiment {
  name: string;
  idea: string;
  action: 'created' | 'updated';
}

function parseSpec(value: unknown): { tags?: unknown } {
  if (typeof value === 'string') {
    try {
      return JSON.parse(value) as { tags?: unknown };
    } catch {
      return {};
    }
  }
  return value !== null && typeof value === 'object' ? value : {};
}

/** Writes the ideas as experiments in one transaction. */
export async function createExperiments(store: Store, ideas: Idea[]): Promise<CreatedExperiment[]> {
  return store.transaction(async () => {
    const rows = await store.all<{ name: string; status: string | null; spec: unknown }>(`SELECT name, status, spec FROM entities WHERE kind = 'experiments'`);
    const existing = new Map(rows.map((r) => [r.name, r]));
    const ours = (name: string): boolean => {
      const row = existing.get(name);
      if (!row) return false;
      const tags = parseSpec(row.spec).tags;
      return Array.isArray(tags) && tags.includes(IDEAS_TAG) && row.status === 'setup';
    };
    const used = new Set<string>();
    const out: CreatedExperiment[] = [];
    for (const idea of ideas) {
      let name = idea.id;
      for (let n = 2; used.has(name) || (existing.has(name) && !ours(name)); n++) name = `${idea.id}_${n}`;
      used.add(name);
      const spec = experimentSpec(idea, name);
      const action = existing.has(name) ? 'updated' : 'created';
      await store.run(
        `INSERT INTO entities (kind, name, type, status, spec) VALUES ('experiments', $1, 'experiment', 'setup', CAST($2 AS JSON))
         ON CONFLICT (kind, name) DO UPDATE SET type = excluded.type, status = excluded.status, spec = excluded.spec, updated_at = now()`,
        [name, JSON.stringify(spec)],
      );
      out.push({ name, idea: idea.id, action });
    }
    return out;
  });
}
