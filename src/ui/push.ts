/** Plain-text renderers shared by `seed --push` and `push`: the push result and the model's usage. */
import type { LlmUsage } from '../ai/llm.js';
import type { PushResult } from '../ai/seed/push.js';
import { wrap } from './format.js';

const n = (x: number): string => x.toLocaleString('en-US');

export function formatUsd(usd: number): string {
  if (usd > 0 && usd < 0.0001) return '<$0.0001';
  return `$${usd.toFixed(4)}`;
}

/** "gpt-4.1-mini: 2 calls, 12,345 tokens (10,000 in, 2,345 out), $0.0078 (1 call estimated)". */
export function formatLlmUsage(u: LlmUsage, model: string | null): string {
  const calls = `${u.calls} call${u.calls === 1 ? '' : 's'}`;
  const tokens = `${n(u.promptTokens + u.completionTokens)} tokens (${n(u.promptTokens)} in, ${n(u.completionTokens)} out)`;
  const cost =
    u.unpricedModels.length > 0
      ? `cost unknown (no price for ${u.unpricedModels.join(', ')}: add it under llm.prices in the config)`
      : formatUsd(u.costUsd);
  const estimated = u.estimatedCalls > 0 ? ` (${u.estimatedCalls} call${u.estimatedCalls === 1 ? '' : 's'} estimated: the endpoint gave no or implausible usage, or the call was abandoned)` : '';
  return `${model ? `${model}: ` : ''}${calls}, ${tokens}, ${cost}${estimated}`;
}

/**
 * The push result as lines. With a `width` (a terminal), prose is word-wrapped and a request body
 * too wide for one line is pretty-printed (the same JSON, one field a line).
 */
export function renderPush(p: PushResult, width?: number): string[] {
  return p.dry_run ? dryRunLines(p, width) : resultLines(p).map((l) => wrap(l, width, '    '));
}

/**
 * The requests a dry run would send: the base URL once, the headers once when every request
 * has the same, then each request as its method, path and body. With a `width`, a body too
 * wide for one line is pretty-printed (the same JSON, a field a line) and its long strings
 * word-wrapped; paths are never cut.
 */
function dryRunLines(p: PushResult, width: number | undefined): string[] {
  const lines = [wrap(`Console API requests to ${p.api_url} (dry run, nothing sent; key redacted):`, width, '  ')];
  const headerText = (h: Record<string, string>): string[] => Object.entries(h).map(([k, v]) => `    ${k}: ${v}`);
  const shared = p.requests.length > 0 && p.requests.every((q) => JSON.stringify(q.headers) === JSON.stringify(p.requests[0]?.headers));
  if (shared && p.requests[0]) lines.push('  headers on every request:', ...headerText(p.requests[0].headers));
  for (const q of p.requests) {
    lines.push(`  ${q.method} ${q.url.startsWith(`${p.api_url}/`) ? q.url.slice(p.api_url.length) : q.url}`);
    if (!shared) lines.push(...headerText(q.headers));
    if (q.body === undefined) continue;
    const one = `    ${JSON.stringify(q.body)}`;
    if (width === undefined || one.length <= width) lines.push(one);
    else lines.push(wrap(JSON.stringify(q.body, null, 2).replace(/^/gm, '    '), width, '  '));
  }
  return lines;
}

function resultLines(p: PushResult): string[] {
  const lines: string[] = [];
  lines.push(`Pushed to ${p.api_url}: ${p.created} created, ${p.skipped} skipped (already there).`);
  for (const i of p.items.filter((x) => x.action === 'skipped')) lines.push(`  skipped ${i.kind} ${i.name} (exists)`);
  for (const i of p.items.filter((x) => x.error)) lines.push(`  ${i.kind} ${i.name}: ${i.error}`);
  const experiments = p.items.filter((x) => x.kind === 'experiments' && x.action === 'created');
  if (experiments.length > 0) {
    lines.push(
      p.start
        ? `  ${experiments.length} experiments created active (started)`
        : `  ${experiments.length} experiments created in setup (not started): start them in the console (or push with --start)`,
    );
    const noId = experiments.filter((x) => x.control_group_id === null);
    if (noId.length > 0) lines.push(`  control group left to Statsig's default (the first group) for ${noId.map((x) => x.name).join(', ')}: the reply gave no group ids`);
  }
  if (p.rate_limited.retries > 0) lines.push(`  rate limited ${p.rate_limited.retries} time${p.rate_limited.retries === 1 ? '' : 's'}: waited ${(p.rate_limited.waited_ms / 1000).toFixed(1)} s`);
  return lines;
}
