/** Human rendering of `seed`: what was generated, the planted effects per experiment, and where to go next. */
import type { LlmUsage } from '../ai/llm.js';
import type { PushResult } from '../ai/seed/push.js';
import { shellWord } from '../core/config.js';
import { AS_INSTALLED, type Invocation } from '../core/invocation.js';
import { commandLine, count, displayPath, int, PLAIN, wrap, type Target } from './format.js';
import { formatLlmUsage, renderPush } from './push.js';
import { fitTable } from './table.js';

export interface SeedView {
  project: { name: string };
  source: string;
  domain: string | null;
  seed: number;
  db: string;
  out: string | null;
  window: { pre_start: string; start: string; end: string };
  counts: Record<string, number>;
  experiments: { name: string; control: string; groups: { name: string; size: number; units: number }[]; true_effects: { metric: string; group: string; segment: string; abs: number; rel: number | null }[] }[];
  anomalies: { kind: string; start: string; end: string; description: string }[];
  planted_interactions?: { description: string }[];
  llm_usage: LlmUsage | null;
  llm_model: string | null;
  push: PushResult | null;
}

function lift(x: number | null): string {
  if (x === null || !Number.isFinite(x)) return 'n/a';
  const v = x * 100;
  return `${v >= 0 ? '+' : ''}${v.toFixed(Math.abs(v) < 10 ? 2 : 1)}%`;
}

function signedNum(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  const s = a >= 100 ? x.toFixed(1) : a >= 1 ? x.toFixed(3) : x.toPrecision(3);
  return `${x >= 0 ? '+' : ''}${s}`;
}

const INDENT = '    ';

/** `view.cli`: how the suggested commands are spelled for this user (`npx statsig-hack …` under npx), and the note under them. */
export function renderSeed(r: SeedView, target: Target = PLAIN, view: { cwd?: string; dbArg?: string; cli?: Invocation } = {}): string {
  const width = target.width;
  const cli = view.cli ?? AS_INSTALLED;
  const c = r.counts;
  const k = (x: number | undefined, one: string, many?: string): string => count(x ?? 0, one, many);
  const head: string[] = [];
  head.push(`Seeded "${r.project.name}" (${r.source}${r.domain ? `, ${r.domain}` : ''}, seed ${r.seed}) into ${displayPath(r.db, view.cwd)}`);
  head.push(`  ${k(c.users, 'user')}, ${k(c.exposures, 'exposure')}, ${k(c.events, 'event')}; history from ${r.window.pre_start}, experiments ${r.window.start} to ${r.window.end} (exclusive)`);
  head.push(
    `  ${k(c.gates, 'gate')}, ${k(c.dynamic_configs, 'dynamic config')}, ${k(c.segments, 'segment')}, ${k(c.layers, 'layer')}, ${k(c.metrics, 'metric')}, ${k(c.experiments, 'experiment')}, ${k(c.holidays, 'holiday')}, ${k(c.anomalies, 'anomaly', 'anomalies')}`,
  );
  if (r.out) head.push(`  spec written to ${displayPath(r.out, view.cwd)}`);
  if (r.llm_usage) head.push(`  model: ${formatLlmUsage(r.llm_usage, r.llm_model)}`);
  head.push('');
  head.push('Experiments and their planted true effects (vs control, over exposed users):');
  const lines = [wrap(head.join('\n'), width, '    ')];
  for (const x of r.experiments) {
    lines.push(wrap(`  ${x.name}: ${x.groups.map((g) => `${g.name} ${g.size}% (${int(g.units)} units)`).join(', ')}`, width, '    '));
    const rows = x.true_effects.filter((e) => e.segment === 'all').map((t) => ({ metric: t.metric, group: t.group, lift: lift(t.rel), effect: `(${signedNum(t.abs)})` }));
    if (rows.length > 0) {
      // The table sits under its experiment, indented; without a header (the columns speak for themselves).
      const table = fitTable(['metric', 'group', 'lift', 'effect'], rows, {
        width: width === undefined ? undefined : width - INDENT.length,
        align: { lift: 'right', effect: 'right' },
        shrink: ['metric', 'group'],
      });
      lines.push(...table.text.split('\n').slice(2).map((l) => `${INDENT}${l}`));
    }
    const segs = x.true_effects.filter((e) => e.segment !== 'all');
    const s0 = segs[0];
    if (s0) lines.push(wrap(`${INDENT}(${count(segs.length, 'segment effect')}, e.g. ${s0.metric} ${s0.group} on ${s0.segment}: ${lift(s0.rel)}; see --json)`, width, '  '));
  }
  if (r.anomalies.length > 0) {
    lines.push('', 'Injected anomalies:');
    for (const a of r.anomalies) lines.push(wrap(`  ${a.start}${a.end !== a.start ? `..${a.end}` : ''}  ${a.description}`, width, '    '));
  }
  if (r.planted_interactions && r.planted_interactions.length > 0) {
    lines.push('', `Planted interactions (${cli.command} interactions should find them):`);
    for (const it of r.planted_interactions) lines.push(wrap(`  ${it.description}`, width, '    '));
  }
  if (r.push) lines.push('', ...renderPush(r.push, width));
  const first = r.experiments[0];
  if (first) {
    lines.push('', 'Next:', commandLine(`${cli.command} analyze --experiment ${shellWord(first.name)}${view.dbArg ?? ''}`, width));
    if (cli.note) lines.push(wrap(`  ${cli.note}`, width, '    '));
  }
  return lines.join('\n');
}
