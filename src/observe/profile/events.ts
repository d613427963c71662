/**
 * CPU profiles as events: each call-tree node with time becomes one `cpu_sample` event (value
 * = self ms of sampled time; metadata = function, file:line, self and total ms, stack id, parent
 * stack id, profile id, experiment, group). Sampled time is wall-clock gaps between samples, so it
 * stretches on a busy machine; each process also gets one `cpu_time` event whose value is its own
 * CPU time (user + system ms, from process.cpuUsage()). A profiled run is one unit: with an
 * experiment and a group it is exposed to that group, and the `cpu_ms` metric (sum of cpu_time)
 * lets `analyze` compare CPU time per run across groups, not at the mercy of other load.
 */
import { quoteLiteral, type Store } from '../../store/store.js';
import type { ProfileSummary } from './cpuprofile.js';
import type { CpuTime } from './run.js';

export const CPU_EVENT = 'cpu_sample';
/** One per profiled process: value = its CPU time (user + system) in ms. */
export const CPU_TIME_EVENT = 'cpu_time';
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
  /** The process's own CPU time over the profile; null: unknown (no cpu_time event). */
  cpu?: CpuTime | null;
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
 * Writes a profile's events (and its cpu_time event when the CPU time is known) in one transaction; with an experiment and a group also the
 * unit's exposure (one millisecond before the profile began) and the `cpu_ms` metric
 * definition when the project has none. Returns the number of events written.
 */
export async function storeProfileEvents(store: Store, s: ProfileSummary, tags: ProfileTags): Promise<number> {
  const events = profileEvents(s, tags);
  const cpu = tags.cpu ?? null;
  await store.transaction(async () => {
    if (cpu) {
      const meta = { profile: tags.profileId, pid: tags.pid, user_ms: round(cpu.userMs), system_ms: round(cpu.systemMs), sampled_ms: round(s.sampledMs), experiment: tags.experiment, group: tags.group };
      await store.run(
        `INSERT INTO events (unit_id, event, ts, value, metadata) VALUES (${quoteLiteral(tags.unit)}, '${CPU_TIME_EVENT}', ${ts(tags.startedAt)}, ${round(cpu.userMs + cpu.systemMs)}, ${quoteLiteral(JSON.stringify(meta))})`,
      );
    }
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
      const spec = { name: CPU_METRIC, type: 'sum', description: 'CPU time of a profiled run in ms (user + system, sum of cpu_time)', directionality: 'decrease', metricEvents: [{ name: CPU_TIME_EVENT }] };
      // A definition this command wrote before (on cpu_sample, sampled wall time) is replaced; the user's own is kept.
      await store.run(
        `INSERT INTO entities (kind, name, type, spec) VALUES ('metrics', $1, 'sum', $2)
         ON CONFLICT (kind, name) DO UPDATE SET spec = excluded.spec
         WHERE json_extract_string(entities.spec, '$.metricEvents[0].name') = '${CPU_EVENT}'`,
        [CPU_METRIC, JSON.stringify(spec)],
      );
    }
  });
  return events.length;
}
