/** Plain-text renderings of the rollout results (the --json output is the data itself). */
import type { LiveObject, RolloutRecord } from '../rollout/records.js';
import type { DryRunResult, EndResult, StartResult, StatusResult } from '../rollout/service.js';
import type { Tick } from '../rollout/watch.js';

const objectLine = (o: LiveObject): string =>
  o.kind === 'Deployment' ? `  Deployment/${o.name}${o.group ? ` [${o.group}]` : ''}  ${o.available ?? 0}/${o.replicas ?? 0} available` : `  ${o.kind}/${o.name}${o.group ? ` [${o.group}]` : ''}`;

export function renderDryRun(r: DryRunResult, showYaml: boolean): string {
  // --yaml: only the manifests, ready for `kubectl apply --server-side -f -`.
  if (showYaml) return r.yaml;
  const lines = [`Dry run: ${r.experiment} in namespace ${r.namespace} (base from ${r.source}); nothing applied.`, ''];
  for (const g of r.groups) lines.push(`  ${g.group.padEnd(16)} ${g.deployment.padEnd(32)} ${g.replicas} replica(s)`);
  for (const d of r.diffs) lines.push('', `${d.exists ? '~' : '+'} ${d.object}${d.exists ? '' : ' (new)'}`, d.diff);
  return lines.join('\n');
}

export function renderStart(r: StartResult): string {
  const lines = [`Rollout of ${r.experiment} in ${r.namespace}: ${r.state}`];
  for (const g of r.groups) lines.push(`  ${g.group.padEnd(16)} ${g.deployment.padEnd(32)} ${g.replicas} replica(s)`);
  return lines.join('\n');
}

export function renderRecord(r: RolloutRecord): string {
  return `${r.source === 'config' ? 'config' : 'experiment'} ${r.name}  ${r.namespace}/${r.deployment}  wanted ${r.desired}, ${r.state}${r.message ? `  (${r.message})` : ''}`;
}

export function renderStatus(s: StatusResult): string {
  const lines = [renderRecord(s.record)];
  if (s.live) {
    lines.push('live:');
    lines.push(...(s.live.length > 0 ? s.live.map(objectLine) : ['  (nothing)']));
  } else {
    lines.push(`recorded (${s.liveError ?? 'cluster not read'}):`);
    lines.push(...(s.record.objects.length > 0 ? s.record.objects.map(objectLine) : ['  (nothing)']));
  }
  return lines.join('\n');
}

export function renderEnd(r: EndResult): string {
  const lines = [`${r.experiment}: ${r.state}`];
  if (r.applied.length > 0) lines.push(`  applied: ${r.applied.join(', ')}`);
  lines.push(`  removed: ${r.removed.length > 0 ? r.removed.join(', ') : '(nothing)'}`);
  lines.push(...r.objects.map(objectLine));
  return lines.join('\n');
}

export function renderTick(t: Tick): string {
  const head = `pass ${t.pass}: ${t.leader ? 'leader' : `standby (lease held by ${t.holder ?? 'nobody'})`}`;
  if (t.error) return `${head}; error: ${t.error}`;
  return [head, ...t.actions.map((a) => `  ${a.rollout}: ${a.action}`)].join('\n');
}
