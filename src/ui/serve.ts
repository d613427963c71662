/** Plain-text renderers of `serve log` and `notify status`. */
import type { AuditEntry } from '../server/repo.js';
import { maskUrl, type QueueStatus } from '../server/webhooks.js';

const show = (v: unknown) => {
  const s = v === null || v === undefined ? '∅' : typeof v === 'string' ? v : JSON.stringify(v);
  return s.length > 60 ? `${s.slice(0, 59)}…` : s;
};

export function renderAudit(items: AuditEntry[], total: number): string {
  if (items.length === 0) return 'no mutations recorded yet';
  const lines: string[] = [];
  for (const a of items) {
    lines.push(`#${a.seq} ${new Date(a.at).toISOString()}  ${a.actor} (${a.source})  ${a.action} ${a.kind}/${a.entity_id}`);
    for (const d of a.diff.slice(0, 8)) lines.push(`    ${d.field}: ${show(d.old)} -> ${show(d.new)}`);
    if (a.diff.length > 8) lines.push(`    … ${a.diff.length - 8} more fields`);
  }
  if (total > items.length) lines.push(`(${items.length} of ${total}; --limit shows more)`);
  return lines.join('\n');
}

/** `cli`: how this user runs the CLI ("statsig-hack" or "npx statsig-hack"), for the suggested commands. */
export function renderQueue(s: QueueStatus, cli = 'statsig-hack'): string {
  const lines = [`deliveries: ${s.counts.delivered} delivered, ${s.counts.pending} pending, ${s.counts.dead} dead`];
  lines.push(s.webhooks.length === 0 ? `no webhooks: ${cli} notify add --url <url>` : 'webhooks:');
  for (const h of s.webhooks) lines.push(`  ${h.id}  ${h.format.padEnd(5)}  ${h.scope === 'project' ? 'project' : `${h.scope.replace(/s$/, '')} ${h.target ?? ''}`}  ${maskUrl(h.url)}`);
  for (const p of s.pending) lines.push(`  pending #${p.id} ${maskUrl(p.url)}: ${p.attempts} attempts${p.last_error ? `, last ${p.last_error}` : ''}`);
  for (const d of s.dead) lines.push(`  dead #${d.id} ${maskUrl(d.url)}: ${d.attempts} attempts, last ${d.last_error ?? `HTTP ${d.last_status}`}`);
  if (s.counts.dead > 0) lines.push(`retry dead letters: ${cli} notify retry`);
  return lines.join('\n');
}
