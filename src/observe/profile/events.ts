/**
 * CPU profiles as events: each call-tree node with time becomes one `cpu_sample` event (value
 * = self ms; metadata = function, file:line, self and total ms, stack id, parent stack id,
 * profile id, experiment, group). A profiled run is one unit: with an experiment and a group
 * it is exposed to that group, and the `cpu_ms` metric (sum of cpu_sample) lets `analyze`
 * compare CPU time per run across groups.
 */
import { quoteLiteral, type Store } from '../../store/store.js';
import type { ProfileSummary } from './cpuprofile.js';

export const CPU_EVENT = 'cpu_sample';
export const CPU_METRIC = 'cpu_ms';

export interface ProfileTags {
  /** Id of this profile (one run of one process). */
  profileId: string;
  /** The unit the run counts as (default: `profile:<profileId>`). */
  unit: string;
  experiment: string | null;
  group: string | null;
  pid: number;
  /** Wall-clock start of the profile. */
  startedAt: Date;
}

export interface CpuEvent {
  unit_id: string;
  event: typeof CPU_EVENT;
  ts: Date;
  value: number;
  metadata: {
    profile: string;
    function: string;
    file: string;
    line: number;
    stack_id: string;
    parent_stack_id: string | null;
    self_ms: number;
    total_ms: number;
    depth: number;
    pid: number;
    experiment: string | null;
    group: string | null;
  };
}

const round = (x: number): number => Math.round(x * 1000) / 1000;

/** The events of a profile: one per call-tree node with time on it, root and idle left out. Pure. */
export function profileEvents(s: ProfileSummary, tags: ProfileTags): CpuEvent[] {
  const byId = new Map(s.nodes.map((n) => [n.id, n]));
  return s.nodes
    .filter((n) => n.id !== s.rootId && n.fn !== '(idle)' && n.totalMs > 0)
    .map((n) => {
      const parent = n.parent === null ? undefined : byId.get(n.parent);
      return {
        unit_id: tags.unit,
        event: CPU_EVENT,
        ts: tags.startedAt,
        value: round(n.selfMs),
        metadata: {
          profile: tags.profileId,
          function: n.fn,
          file: n.file,
          line: n.line,
          stack_id: n.stackId,
          parent_stack_id: parent && parent.id !== s.rootId ? parent.stackId : null,
          self_ms: round(n.selfMs),
          total_ms: round(n.totalMs),
          depth: n.depth,
          pid: tags.pid,
          experiment: tags.experiment,
          group: tags.group,
        },
      };
    });
}

function ts(d: Date): string {
  return quoteLiteral(d.toISOString().replace('T', ' ').replace('Z', ''));
}

/**
 * Writes a profile's events in one transaction; with an experiment and a group also the
 * unit's exposure (one millisecond before the profile began) and the `cpu_ms` metric
 * definition when the project has none. Returns the number of events written.
 */
export async function storeProfileEvents(store: Store, s: ProfileSummary, tags: ProfileTags): Promise<number> {
  const events = profileEvents(s, tags);
  await store.transaction(async () => {
    for (let i = 0; i < events.length; i += 500) {
      const values = events
        .slice(i, i + 500)
        .map((e) => `(${quoteLiteral(e.unit_id)}, '${CPU_EVENT}', ${ts(e.ts)}, ${e.value}, ${quoteLiteral(JSON.stringify(e.metadata))})`);
      await store.run(`INSERT INTO events (unit_id, event, ts, value, metadata) VALUES ${values.join(', ')}`);
    }
    if (tags.experiment !== null && tags.group !== null) {
      await store.run(
        `INSERT INTO exposures (unit_id, experiment, group_name, first_exposure) VALUES ($1, $2, $3, CAST($4 AS TIMESTAMP)) ON CONFLICT DO NOTHING`,
        [tags.unit, tags.experiment, tags.group, new Date(tags.startedAt.getTime() - 1).toISOString().replace('T', ' ').replace('Z', '')],
      );
      const spec = { name: CPU_METRIC, type: 'sum', description: 'CPU time of a profiled run in ms (sum of cpu_sample self time)', directionality: 'decrease', metricEvents: [{ name: CPU_EVENT }] };
      await store.run(`INSERT INTO entities (kind, name, type, spec) VALUES ('metrics', $1, 'sum', $2) ON CONFLICT DO NOTHING`, [CPU_METRIC, JSON.stringify(spec)]);
    }
  });
  return events.length;
}
