/** Human rendering of the demo: each estimate next to the planted truth. */
import { shellWord } from '../core/config.js';
import { AS_INSTALLED, type Invocation } from '../core/invocation.js';
import type { DemoResult } from '../demo/run.js';
import { commandLine, count, displayPath, int, num, paintOf, pct, PLAIN, pval, share, significance, wrap, type Target } from './format.js';
import { fitTable, hiddenNote } from './table.js';

/** Hidden first when the table must fit: the variance cut, then p (the lift's colour still tells significance), then the estimate. */
const DEMO_DROP = ['var cut', 'p', 'estimate'];

/** The day before an ISO date: the last day with data of a window whose `end` is exclusive ("a..b" reads inclusive). */
function dayBefore(day: string): string {
  const t = Date.parse(`${day}T00:00:00Z`);
  return Number.isNaN(t) ? day : new Date(t - 86_400_000).toISOString().slice(0, 10);
}

/** `cli`: how the suggested commands are spelled for this user (`npx statsig-hack …` under npx), and the note under them. */
export function renderDemo(d: DemoResult, target: Target = PLAIN, cwd?: string, cli: Invocation = AS_INSTALLED): string {
  const c = paintOf(target);
  const lines: string[] = [];
  lines.push(`${d.project.name}: ${count(d.counts.users, 'user')}, ${count(d.counts.events, 'event')}, ${count(d.counts.experiments, 'experiment')}, ${count(d.counts.metrics, 'metric')} (${d.window.pre_start}..${dayBefore(d.window.end)})`);
  lines.push(`Store: ${displayPath(d.db, cwd)}`);
  lines.push('');
  const table = fitTable(
    ['experiment', 'metric', 'variant', 'estimate', '95% CI', 'lift', 'p', 'truth', 'in CI', 'var cut'],
    d.rows.map((r) => ({
      experiment: r.experiment,
      metric: r.metric,
      variant: r.variant,
      estimate: num(r.estimate),
      '95% CI': `${num(r.ci[0], 3)}..${num(r.ci[1], 3)}`,
      lift: pct(r.rel_lift),
      p: pval(r.p_value),
      truth: r.truth === null ? '-' : num(r.truth),
      'in CI': r.covered === null ? '-' : r.covered ? 'yes' : 'NO',
      'var cut': r.variance_reduction === null || r.method === 'none' ? '-' : share(r.variance_reduction),
      _row: r,
    })),
    {
      align: { estimate: 'right', lift: 'right', p: 'right', truth: 'right', 'var cut': 'right' },
      width: target.width,
      groupBy: 'experiment',
      drop: DEMO_DROP,
      shrink: ['metric', 'variant'],
      paint: (col, row, text) => {
        const r = row._row as DemoResult['rows'][number];
        if (col === 'in CI' && r.covered === false) return c.red(text);
        if (col !== 'lift' && col !== 'p') return text;
        return significance(c, r.p_value !== null && r.p_value < 0.05, r.rel_lift)(text);
      },
    },
  );
  lines.push(table.text);
  const note = hiddenNote(table.hidden, target.width);
  if (note) lines.push(c.dim(note));
  lines.push('');
  lines.push(`The planted effect lies inside the 95% CI for ${d.coverage.covered} of ${d.coverage.total} metrics (expect about 95%).`);
  const srmBad = d.srm.filter((s) => s.mismatch);
  lines.push(srmBad.length === 0 ? 'SRM: every experiment matches its configured split.' : `SRM mismatch in ${srmBad.map((s) => s.experiment).join(', ')}.`);
  if (d.anomalies.length > 0) {
    lines.push('', 'Planted anomalies (for forecast and whatchanged):');
    for (const a of d.anomalies) lines.push(`  ${a.start === a.end ? a.start : `${a.start}..${a.end}`}  ${a.description}`);
  }
  if (d.drilldown) {
    const w = d.drilldown.result;
    const top = w.dimensions[0];
    const seg = top?.segments[0];
    lines.push('', `What happened on ${w.periods.current.label}? (planted: ${d.drilldown.anomaly})`);
    const whole = (x: number | null): string => (x === null ? 'n/a' : int(x));
    lines.push(`  ${w.metric}: ${whole(w.headline.baseline)} → ${whole(w.headline.current)} (${pct(w.headline.rel_delta)}) against ${w.periods.baseline.label}`);
    if (top && seg) lines.push(`  top dimension: ${top.dimension}; ${seg.value} carries ${share(seg.contribution ?? 0)} of the change`);
    lines.push(`  ${w.summary}`);
  }
  if (d.forecast && d.forecast.points.length > 0) {
    const f = d.forecast;
    const first = f.points[0];
    const last = f.points[f.points.length - 1];
    const mean = f.points.reduce((a, p) => a + p.yhat, 0) / f.points.length;
    lines.push('', `DAU forecast (${f.model}), next ${f.horizon} days: ${first?.ds}..${last?.ds}, mean ${int(mean)} a day (last day ${int(last?.yhat ?? 0)}, 80% ${int(last?.yhat_lower ?? 0)}..${int(last?.yhat_upper ?? 0)})`);
    lines.push(f.anomalies.length > 0 ? `  anomalies in the history: ${f.anomalies.map((a) => `${a.ds} (${int(a.y)} vs ${int(a.expected)} expected)`).join(', ')}` : '  no anomalies flagged in the history');
  }
  const db = displayPath(d.db, cwd);
  if (d.ask) {
    // The command on a line of its own, broken only before a flag (with a backslash), so it pastes.
    lines.push('', 'Ask the project:', commandLine(`${cli.command} ask ${shellWord(d.ask.question)} --db ${shellWord(db)}`, target.width), `  ${d.ask.answer}`);
    for (const e of d.ask.experiments.slice(1)) lines.push(`  also: ${e.name}${e.results[0] ? ` (${e.results[0].metric} ${pct(e.results[0].rel_lift)})` : ''}`);
  }
  if (d.search && d.search.results.length > 0) {
    lines.push('', 'Search:', commandLine(`${cli.command} search ${shellWord(d.search.query)} --db ${shellWord(db)}`, target.width));
    for (const r of d.search.results) lines.push(`  [${r.kind.replace('_', ' ')}] ${r.name}  ${r.path}`);
  }
  const pics = [d.pictures.map ? `DAU by country map: ${displayPath(d.pictures.map, cwd)}` : null, d.pictures.wrapped ? `Wrapped card: ${displayPath(d.pictures.wrapped, cwd)}` : null].filter((x): x is string => x !== null);
  if (pics.length > 0) lines.push('', 'Pictures:', ...pics.map((p) => `  ${p}`));
  const text = wrap(lines.join('\n'), target.width, '    ');
  const dbw = shellWord(db);
  const next = ['Next:', commandLine(`${cli.command} status --db ${dbw}`, target.width), commandLine(`${cli.command} analyze --experiment ${shellWord(d.rows[0]?.experiment ?? '<name>')} --db ${dbw}`, target.width)];
  if (d.drilldown) {
    const w = d.drilldown.result;
    next.push(commandLine(`${cli.command} whatchanged --metric ${shellWord(w.metric)} --baseline ${w.periods.baseline.label} --current ${w.periods.current.label} --db ${dbw}`, target.width));
  }
  if (d.forecast) next.push(commandLine(`${cli.command} forecast --metric dau --by country --db ${dbw}`, target.width));
  if (cli.note) next.push(wrap(`  ${cli.note}`, target.width, '    '));
  return `${text}\n\n${next.join('\n')}`;
}
